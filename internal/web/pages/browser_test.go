package pages_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/internal/web/pages"
)

// These tests drive Debian's Chromium headless against the pages and a
// fake API, and check what a user sees.

const (
	chromium  = "/usr/bin/chromium"
	testToken = "t0ken-for-tests"
)

// fakeAPI stands in for contactd: fixed JSON the test can change, an event
// stream fed from a live.Hub, and a record of what the pages sent. It
// checks the token the way contactd does: a bearer header on API calls,
// ?access_token= on the stream, ?token= on pages.
type fakeAPI struct {
	hub  *live.Hub
	done chan struct{}

	mu           sync.Mutex
	queues       any
	queueGets    int
	csat         map[string]float64 // per queue; missing: nobody answered
	agent        map[string]any
	puts         []map[string]any
	timelines    map[string][]map[string]any
	timelineGets []string
	notes        []map[string]any
	refuseStream bool
	refused      int           // streams refused while refuseStream was set
	kick         chan struct{} // closed to end every open stream
}

func newFake(t *testing.T) (*fakeAPI, *httptest.Server) {
	f := &fakeAPI{
		hub: live.NewHub(nil), done: make(chan struct{}), kick: make(chan struct{}),
		csat: map[string]float64{}, timelines: map[string][]map[string]any{},
	}
	mux := http.NewServeMux()
	pages.Register(mux, pages.Options{Authorize: func(r *http.Request) bool { return r.URL.Query().Get("token") == testToken }})
	mux.HandleFunc("GET /api/v1/queues", f.authed(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.queueGets++
		writeJSON(w, http.StatusOK, f.queues)
	}))
	mux.HandleFunc("GET /api/v1/agents/{id}", f.authed(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.agent == nil || f.agent["id"] != r.PathValue("id") {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such agent"})
			return
		}
		writeJSON(w, http.StatusOK, f.agent)
	}))
	mux.HandleFunc("PUT /api/v1/agents/{id}/state", f.authed(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		in["agent"] = r.PathValue("id")
		f.puts = append(f.puts, in)
		f.agent["state"], f.agent["reason"] = in["state"], in["reason"]
		f.agent["since"] = time.Now().UTC().Format(time.RFC3339)
		writeJSON(w, http.StatusOK, f.agent)
	}))
	mux.HandleFunc("GET /api/v1/feedback/summary", f.authed(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		sum := map[string]any{"question": "satisfaction", "count": 0, "skipped": 0, "average": 0, "csat": 0}
		if c, ok := f.csat[r.URL.Query().Get("queue")]; ok {
			sum["count"], sum["csat"], sum["average"] = 16, c, 4.2
		}
		writeJSON(w, http.StatusOK, map[string]any{"summaries": []any{sum}})
	}))
	mux.HandleFunc("GET /api/v1/customers/{id}/timeline", f.authed(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		id := r.PathValue("id")
		f.timelineGets = append(f.timelineGets, id)
		evs := f.timelines[id]
		if evs == nil {
			evs = []map[string]any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"customer": id, "events": evs})
	}))
	mux.HandleFunc("POST /api/v1/customers/{id}/timeline", f.authed(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.notes = append(f.notes, in)
		ev := map[string]any{"id": 900 + len(f.notes), "customer": r.PathValue("id"), "at": time.Now().UTC().Format(time.RFC3339),
			"kind": in["kind"], "channel": "note", "agent": in["agent"], "summary": in["summary"], "data": in["data"]}
		writeJSON(w, http.StatusCreated, ev)
	}))
	mux.HandleFunc("GET /api/v1/events", f.events)

	srv := httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(func() {
		close(f.done)
		srv.Close()
	})
	return f, srv
}

func (f *fakeAPI) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "token required"})
			return
		}
		h(w, r)
	}
}

// events is a minimal server-sent event stream in contactd's format: a
// named event per hub event, its JSON as data.
func (f *fakeAPI) events(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	refuse, kick := f.refuseStream, f.kick
	f.mu.Unlock()
	if r.URL.Query().Get("access_token") != testToken || refuse {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		http.Error(w, "no stream", http.StatusServiceUnavailable)
		return
	}
	sub := f.hub.Subscribe(0)
	defer f.hub.Unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	// A short retry keeps reconnect tests quick.
	fmt.Fprint(w, "retry: 200\n\n")
	fl := w.(http.Flusher)
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-f.done:
			return
		case <-kick:
			return
		case ev := <-sub.C:
			b, err := json.Marshal(ev)
			if err != nil {
				panic(err)
			}
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, b)
			fl.Flush()
		}
	}
}

// dropStreams ends the open streams; refuse keeps new ones out.
func (f *fakeAPI) dropStreams(refuse bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuseStream = refuse
	close(f.kick)
	f.kick = make(chan struct{})
}

func (f *fakeAPI) setQueues(qs ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues = map[string]any{"queues": qs}
}

func (f *fakeAPI) gets() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.queueGets
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// waiter is one caller in line: seconds waited and estimated wait.
type waiter struct{ waited, ewt float64 }

// queueBody is one queue as GET /api/v1/queues shows it.
func queueBody(name string, waiting []waiter, answered, abandoned int, sl float64, agents map[string]int) map[string]any {
	ws := []map[string]any{}
	longest := 0.0
	for i, w := range waiting {
		ws = append(ws, map[string]any{"call_id": fmt.Sprintf("%s-%d", name, i), "customer": fmt.Sprintf("+1555000%04d", i),
			"priority": 0, "position": i + 1, "waited_seconds": w.waited, "estimated_wait_seconds": w.ewt, "callback": false, "offered": []string{}})
		longest = max(longest, w.waited)
	}
	all := map[string]int{}
	for _, s := range []string{"logged_out", "ready", "reserved", "ringing", "on_call", "wrap_up", "paused"} {
		all[s] = agents[s]
	}
	return map[string]any{"name": name, "waiting": ws, "longest_wait_seconds": longest, "agents": all,
		"answered": answered, "abandoned": abandoned, "callbacks": 0, "overflowed": 0, "timed_out": 0,
		"answered_within_target": int(sl * float64(answered)), "service_level": sl,
		"service_level_target_seconds": 20, "service_level_target_pct": 0.8}
}

// tab is a headless Chromium tab that collects the page's script errors.
type tab struct {
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

func newTab(t *testing.T) *tab {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Debian's chromium package: %v", err)
		}
		t.Skipf("no %s (apt-get install chromium): %v", chromium, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1600, 900),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	tb := &tab{ctx: ctx}
	if err := tb.listen(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return tb
}

// newWindow opens another tab of the same browser, with its own
// sessionStorage.
func (tb *tab) newWindow(t *testing.T) *tab {
	ctx, cancel := chromedp.NewContext(tb.ctx)
	t.Cleanup(cancel)
	nt := &tab{ctx: ctx}
	if err := nt.listen(ctx); err != nil {
		t.Fatal(err)
	}
	return nt
}

func (tb *tab) listen(ctx context.Context) error {
	return chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg = d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
		case *log.EventEntryAdded:
			// Failed requests (the 401 of a page opened without a token)
			// are expected; CSP violations and the like are not.
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
			}
		}
		if msg != "" {
			tb.mu.Lock()
			tb.errs = append(tb.errs, msg)
			tb.mu.Unlock()
		}
	})
}

// noErrors fails the test if the page threw or logged an error.
func (tb *tab) noErrors(t *testing.T) {
	t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, e := range tb.errs {
		t.Errorf("page error: %s", e)
	}
}

func (tb *tab) do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, tb *tab, js string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript condition until it holds or timeout passes. It
// survives navigations (the page may reload itself), and on failure
// reports what the page shows.
func (tb *tab) wait(t *testing.T, what, cond string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			shown, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			t.Fatalf("%s: not within %v (last error %v); the page shows:\n%s", what, timeout, err, shown)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventually waits for a condition on the Go side (the fake's records).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
	}
}

// js quotes s as a JavaScript string.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// textIs is a condition: the element's text is want.
func textIs(sel, want string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").trim() === %s`, js(sel), js(want))
}

// textHas is a condition: the element's text contains want.
func textHas(sel, want string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.innerText ?? "").includes(%s)`, js(sel), js(want))
}

// tiles reads every tile's figures as the wall shows them.
func tiles(t *testing.T, tb *tab) map[string]map[string]string {
	return eval[map[string]map[string]string](t, tb, `(() => {
		const out = {};
		for (const tile of document.querySelectorAll('.tile')) {
			const m = { level: tile.dataset.level, label_waiting: tile.querySelector('dt').textContent };
			for (const n of tile.querySelectorAll('[data-k]')) m[n.dataset.k] = n.textContent;
			out[tile.dataset.queue] = m;
		}
		return out;
	})()`)
}

func supportQueue(waiting ...waiter) map[string]any {
	return queueBody("support", waiting, 40, 10, 0.9,
		map[string]int{"ready": 2, "reserved": 1, "on_call": 3, "wrap_up": 1, "paused": 1, "logged_out": 4})
}

func TestWallboard(t *testing.T) {
	f, srv := newFake(t)
	f.setQueues(
		supportQueue(waiter{12, 40}, waiter{8, 70}, waiter{3, 95}),
		queueBody("sales", nil, 5, 0, 1, map[string]int{"ready": 1, "on_call": 1}),
	)
	f.csat["support"] = 87.5
	tb := newTab(t)

	tb.do(t, chromedp.Navigate(srv.URL+"/wallboard?token="+testToken+"&lang=en"))
	tb.wait(t, "CSAT shown", textIs(`[data-queue="support"] [data-k="csat"]`, "88%"), 5*time.Second)
	got := tiles(t, tb)
	sup, sales := got["support"], got["sales"]
	if !regexp.MustCompile(`^0:1\d$`).MatchString(sup["longest"]) {
		t.Errorf("support longest wait %q, want 0:12 and counting", sup["longest"])
	}
	for k, want := range map[string]string{
		"waiting": "3", "ewt": "1:35", "sl": "90%", "abandoned": "20%", "csat": "88%", "level": "ok",
		"agents_ready": "2", "agents_ringing": "1", "agents_on_call": "3", "agents_wrap_up": "1", "agents_paused": "1",
		"label_waiting": "Waiting",
	} {
		if sup[k] != want {
			t.Errorf("support %s = %q, want %q", k, sup[k], want)
		}
	}
	for k, want := range map[string]string{"waiting": "0", "longest": "0:00", "ewt": "—", "sl": "100%", "abandoned": "0%", "csat": "—", "level": "ok"} {
		if sales[k] != want {
			t.Errorf("sales %s = %q, want %q", k, sales[k], want)
		}
	}

	// The token moved from the address to this tab's storage.
	if s := eval[string](t, tb, `location.search`); s != "?lang=en" {
		t.Errorf("address still has %q", s)
	}
	if s := eval[string](t, tb, `sessionStorage.getItem("contactd.token")`); s != testToken {
		t.Errorf("stored token %q", s)
	}

	// A caller waiting past the red threshold turns the tile red, from
	// the event alone: the page fetches nothing.
	tb.wait(t, "stream live", textIs("#conn", "Live"), 5*time.Second)
	// The page loads once at start and once when the stream opens.
	eventually(t, "the queues fetched on open", func() bool { return f.gets() >= 2 })
	before := f.gets()
	f.hub.Publish("queue_update", "", map[string]any{"queues": []any{
		supportQueue(waiter{12, 40}, waiter{8, 70}, waiter{3, 95}),
		queueBody("sales", []waiter{{75, 20}, {10, 40}}, 5, 2, 0.7, map[string]int{"on_call": 2}),
	}})
	took := tb.wait(t, "sales tile red after queue_update", `document.querySelector('[data-queue="sales"]')?.dataset.level === "red"`, time.Second)
	t.Logf("tile red %v after the event", took)
	got = tiles(t, tb)
	if b := got["sales"]["badge"]; !strings.Contains(b, "ALARM") {
		t.Errorf("red tile's badge %q does not say ALARM", b)
	}
	if w := got["sales"]["why"]; !strings.Contains(w, "Longest wait over 1:00") || !strings.Contains(w, "Service level under 80%") {
		t.Errorf("red tile's reasons %q", w)
	}
	if got["sales"]["waiting"] != "2" || got["sales"]["abandoned"] != "29%" {
		t.Errorf("sales after the event: %v", got["sales"])
	}
	if n := f.gets(); n != before {
		t.Errorf("the page fetched the queues %d times instead of using the event", n-before)
	}

	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		tb.wait(t, "both tiles settled", `document.querySelectorAll('.tile').length === 2`, time.Second)
		ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "wallboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The stream goes down: the wall says so, and when it is back it
	// refetches what changed meanwhile.
	// A refused stream (an HTTP error) makes EventSource give up; the page
	// must retry by itself.
	f.dropStreams(true)
	tb.wait(t, "reconnecting shown", textIs("#conn", "Reconnecting…"), 5*time.Second)
	eventually(t, "the page tries to reconnect", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.refused > 0
	})
	f.setQueues(supportQueue(waiter{20, 40}, waiter{15, 50}, waiter{9, 60}, waiter{4, 80}, waiter{1, 90}))
	f.mu.Lock()
	f.refuseStream = false
	f.mu.Unlock()
	t.Logf("live again after %v", tb.wait(t, "live again", textIs("#conn", "Live"), 10*time.Second))
	tb.wait(t, "refetched after reconnect", textIs(`[data-queue="support"] [data-k="waiting"]`, "5"), 5*time.Second)
	tb.wait(t, "a gone queue's tile removed", `!document.querySelector('[data-queue="sales"]')`, time.Second)

	// Reloading the page, whose address no longer has the token, works:
	// the refused page retries with the token this tab holds.
	tb.do(t, chromedp.Navigate(srv.URL+"/wallboard?lang=en"))
	tb.wait(t, "page back after reload", textIs(`[data-queue="support"] [data-k="waiting"]`, "5"), 10*time.Second)
	if s := eval[string](t, tb, `location.search`); s != "?lang=en" {
		t.Errorf("after the reload the address has %q", s)
	}
	tb.noErrors(t)

	// A tab without the token gets the sign-in page.
	other := tb.newWindow(t)
	ctx, cancel := context.WithTimeout(other.ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+"/wallboard"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusUnauthorized {
		t.Errorf("without a token: status %d", res.Status)
	}
	other.wait(t, "sign-in message", textHas("body", "Sign-in needed"), 5*time.Second)
}

// TestWallboardTurnsRedWhileWaiting: callers keep waiting between events;
// the tile must pass the thresholds on its own.
func TestWallboardTurnsRedWhileWaiting(t *testing.T) {
	f, srv := newFake(t)
	f.setQueues(supportQueue(waiter{0, 30}))
	tb := newTab(t)
	tb.do(t, chromedp.Navigate(srv.URL+"/wallboard?token="+testToken+"&lang=en&amber_wait=2&red_wait=4"))
	tb.wait(t, "tile ok", `document.querySelector('[data-queue="support"]')?.dataset.level === "ok"`, 5*time.Second)
	tb.wait(t, "tile amber", `document.querySelector('[data-queue="support"]')?.dataset.level === "amber"`, 5*time.Second)
	tb.wait(t, "tile red", `document.querySelector('[data-queue="support"]')?.dataset.level === "red"`, 5*time.Second)
	if n := f.gets(); n > 2 {
		t.Errorf("the page fetched the queues %d times; the clock should have done it", n)
	}
	if b := tiles(t, tb)["support"]["why"]; b != "Longest wait over 0:04" {
		t.Errorf("reason %q", b)
	}
	tb.noErrors(t)
}

func TestWallboardRightToLeft(t *testing.T) {
	f, srv := newFake(t)
	f.setQueues(supportQueue(waiter{12, 40}, waiter{8, 70}, waiter{3, 95}))
	f.csat["support"] = 87.5
	tb := newTab(t)
	for _, tt := range []struct {
		query, dir, lang, label, badge string
		// waiting and csat as shown; empty: whatever the browser's
		// locale data says (Arabic's default digits vary).
		waiting, csat string
	}{
		{"lang=ar", "rtl", "ar", "في الانتظار", "جيد", "", ""},
		{"lang=ar&digits=arab", "rtl", "ar", "في الانتظار", "جيد", "٣", "٨٨٪"},
		{"lang=ar&digits=latn", "rtl", "ar", "في الانتظار", "جيد", "3", "88%"},
		{"lang=fa", "rtl", "fa", "در انتظار", "عادی", "۳", "۸۸٪"},
		{"lang=en", "ltr", "en", "Waiting", "OK", "3", "88%"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			tb.do(t, chromedp.Navigate(srv.URL+"/wallboard?token="+testToken+"&"+tt.query))
			tb.wait(t, "tile filled", `!["—", "", undefined].includes(document.querySelector('[data-queue="support"] [data-k="csat"]')?.textContent)`, 5*time.Second)
			if got := eval[string](t, tb, `document.documentElement.dir + " " + document.documentElement.lang`); got != tt.dir+" "+tt.lang {
				t.Errorf("dir and lang %q, want %q", got, tt.dir+" "+tt.lang)
			}
			got := tiles(t, tb)["support"]
			if got["label_waiting"] != tt.label || !strings.Contains(got["badge"], tt.badge) {
				t.Errorf("label %q, badge %q; want %q, %q", got["label_waiting"], got["badge"], tt.label, tt.badge)
			}
			// Intl adds bidirectional marks around the percent sign.
			csat := strings.NewReplacer("\u200e", "", "\u200f", "", "\u061c", "").Replace(got["csat"])
			if tt.waiting != "" && (got["waiting"] != tt.waiting || csat != tt.csat) {
				t.Errorf("waiting %q, CSAT %q; want %q, %q", got["waiting"], got["csat"], tt.waiting, tt.csat)
			}
			if h := eval[string](t, tb, `document.querySelector("h1").textContent`); tt.dir == "rtl" && h == "Wallboard" {
				t.Errorf("title not translated: %q", h)
			}
		})
	}
	tb.noErrors(t)
}

func TestAgentDesk(t *testing.T) {
	f, srv := newFake(t)
	f.agent = map[string]any{"id": "alice", "name": "Alice Smith", "skills": map[string]int{"support": 5}, "registered": true,
		"state": "ready", "since": time.Now().Add(-65 * time.Second).UTC().Format(time.RFC3339), "calls": 3, "missed": 0}
	f.timelines["cust-42"] = []map[string]any{
		{"id": 7, "customer": "cust-42", "at": "2026-11-02T10:15:00Z", "kind": "email", "channel": "email", "summary": "Asked about invoice 1234"},
		{"id": 5, "customer": "cust-42", "at": "2026-10-30T09:00:00Z", "kind": "call_started", "channel": "voice", "queue": "support", "summary": "Called support"},
	}
	tb := newTab(t)
	tb.do(t, chromedp.Navigate(srv.URL+"/agent?token="+testToken+"&agent=alice&lang=en"))
	tb.wait(t, "state shown", textIs("#state", "Ready"), 5*time.Second)
	tb.wait(t, "stream live", textIs("#conn", "Live"), 5*time.Second)
	if s := eval[string](t, tb, `document.getElementById("who").textContent`); s != "Alice Smith (alice)" {
		t.Errorf("agent shown as %q", s)
	}

	// Pause for lunch.
	tb.do(t, chromedp.SetValue(chromedp.CSS("#pause-reason"), "lunch"), chromedp.Click(chromedp.CSS("#pause")))
	tb.wait(t, "paused", textIs("#state", "Paused"), 5*time.Second)
	tb.wait(t, "reason shown", textIs("#reason", "Lunch"), time.Second)
	f.mu.Lock()
	puts := fmt.Sprint(f.puts)
	f.mu.Unlock()
	if puts != "[map[agent:alice reason:lunch state:paused]]" {
		t.Errorf("PUTs %s", puts)
	}

	// A pop for another agent is not ours; ours shows caller and history.
	f.hub.Publish("screen_pop", "bob", map[string]any{"call_id": "c-0", "customer": "cust-bob", "caller": "+15550000000", "queue": "sales", "agent": "bob"})
	f.hub.Publish("screen_pop", "alice", map[string]any{
		"call_id": "c-1", "customer": "cust-42", "caller": "+15551234567", "queue": "support", "agent": "alice",
		"timeline": "/api/v1/customers/cust-42/timeline",
		"summary": map[string]any{
			"customer": "cust-42", "contacts": 4, "last_contact": "2026-11-02T10:15:00Z", "last_score": 2,
			"recent":     []any{map[string]any{"id": 7, "kind": "email", "channel": "email", "at": "2026-11-02T10:15:00Z", "summary": "Asked about invoice 1234"}},
			"open_notes": []any{map[string]any{"id": 6, "kind": "note", "channel": "note", "at": "2026-10-30T09:10:00Z", "agent": "carol", "summary": "Promised a refund by Friday"}},
		},
	})
	tb.wait(t, "screen-pop caller", textIs("#pop-caller", "+15551234567"), 2*time.Second)
	tb.wait(t, "timeline fetched", textHas("#pop-timeline", "Called support"), 5*time.Second)
	for sel, want := range map[string]string{
		"#pop-queue": "support", "#pop-customer": "cust-42", "#pop-contacts": "4", "#pop-score": "2",
		"#pop-notes": "Promised a refund by Friday", "#pop-timeline": "Asked about invoice 1234",
	} {
		if s := eval[string](t, tb, fmt.Sprintf(`document.querySelector(%s).innerText`, js(sel))); !strings.Contains(s, want) {
			t.Errorf("%s shows %q, want %q", sel, s, want)
		}
	}
	f.mu.Lock()
	gets := fmt.Sprint(f.timelineGets)
	f.mu.Unlock()
	if gets != "[cust-42]" {
		t.Errorf("timelines fetched: %s (bob's pop must be ignored)", gets)
	}

	// A note goes to the customer's timeline and shows at once.
	tb.do(t, chromedp.SendKeys(chromedp.CSS("#note"), "Refund sent, customer happy"), chromedp.Click(chromedp.CSS("#note-save")))
	tb.wait(t, "note added", textIs("#note-msg", "Note added"), 5*time.Second)
	tb.wait(t, "note listed", textHas("#pop-notes", "Refund sent, customer happy"), time.Second)
	f.mu.Lock()
	notes, _ := json.Marshal(f.notes)
	f.mu.Unlock()
	if string(notes) != `[{"agent":"alice","data":{"call_id":"c-1","status":"open"},"kind":"note","summary":"Refund sent, customer happy"}]` {
		t.Errorf("notes posted: %s", notes)
	}
	if v := eval[string](t, tb, `document.getElementById("note").value`); v != "" {
		t.Errorf("note field not cleared: %q", v)
	}

	// The queue puts alice in wrap-up; she ends it.
	f.mu.Lock()
	f.agent["state"], f.agent["reason"] = "wrap_up", ""
	upd := maps.Clone(f.agent) // the hub keeps it; the fake changes f.agent
	f.mu.Unlock()
	f.hub.Publish("agent_update", "alice", upd)
	tb.wait(t, "wrap-up shown", textIs("#state", "Wrap-up"), 2*time.Second)
	tb.wait(t, "end wrap-up offered", `!document.getElementById("end-wrap").hidden`, time.Second)
	tb.do(t, chromedp.Click(chromedp.CSS("#end-wrap")))
	tb.wait(t, "ready again", textIs("#state", "Ready"), 5*time.Second)
	f.mu.Lock()
	last := f.puts[len(f.puts)-1]
	f.mu.Unlock()
	if last["state"] != "ready" {
		t.Errorf("end wrap-up sent %v", last)
	}
	tb.noErrors(t)
}

func TestAgentDeskArabic(t *testing.T) {
	f, srv := newFake(t)
	f.agent = map[string]any{"id": "alice", "name": "Alice", "state": "paused", "reason": "break"}
	tb := newTab(t)
	tb.do(t, chromedp.Navigate(srv.URL+"/agent?token="+testToken+"&agent=alice&lang=ar"))
	tb.wait(t, "state in Arabic", textIs("#state", "متوقف مؤقتًا"), 5*time.Second)
	tb.wait(t, "reason in Arabic", textIs("#reason", "استراحة"), time.Second)
	if d := eval[string](t, tb, `document.documentElement.dir`); d != "rtl" {
		t.Errorf("dir %q", d)
	}
	tb.noErrors(t)
}
