package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
)

// The wallboard and the agent desk in headless Chromium, against a real
// contactd with SIPp callers and phones: what a supervisor and an agent
// see while calls come, wait and get answered.

const chromiumPath = "/usr/bin/chromium"

// pageWait bounds every wait for the page to show something.
const pageWait = 25 * time.Second

// browserTab is one headless Chromium tab; it keeps the page's script
// errors so a test can fail on them.
type browserTab struct {
	t    *testing.T
	ctx  context.Context
	mu   sync.Mutex
	errs []string
}

func newBrowserTab(t *testing.T) *browserTab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium at %s (apt-get install -y chromium): %v", chromiumPath, err)
		}
		t.Skipf("no %s (apt-get install -y chromium): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // tests run as root
		chromedp.WindowSize(1400, 900),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &browserTab{t: t, ctx: ctx}
	// Listen starts the browser, without a timeout: one on the first call
	// would stop the browser with it.
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = ev.ExceptionDetails.Text
			if ex := ev.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *log.EventEntryAdded:
			// A stream cut when contactd stops is a network error, not
			// the page's fault; CSP violations and the like are.
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
			}
		}
		if msg != "" {
			b.mu.Lock()
			b.errs = append(b.errs, msg)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// open loads url and returns the HTTP status of the page.
func (b *browserTab) open(url string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageWait)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.t.Fatalf("open %s: %v", url, err)
	}
	return res.Status
}

func evalIn[T any](b *browserTab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// until polls a JavaScript condition until it holds, and fails the test
// with what the page shows if it does not within pageWait. (chromedp.Poll
// compiles its predicate with new Function, which the pages' CSP forbids.)
func (b *browserTab) until(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(pageWait)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			shown, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
			b.t.Fatalf("%s: got no such page within %v (last error %v); the page shows:\n%s", what, pageWait, err, shown)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browserTab) click(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// screenshot saves what the tab shows as a PNG test artefact: under
// $CONTACTD_TEST_ARTIFACTS when set (CI keeps that directory), else in
// the test's temporary directory.
func (b *browserTab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("CONTACTD_TEST_ARTIFACTS")
	if dir == "" {
		dir = b.t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("artefact directory: %v", err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, b.t.Name()+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// noPageErrors fails the test for every error the page threw or logged.
func (b *browserTab) noPageErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("page error: got %q, want none", e)
	}
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// shows is a condition: the element's visible text is want.
func shows(sel, want string) string {
	return fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").trim() === %s`, jsString(sel), jsString(want))
}

// tileSel is a figure on a queue's wallboard tile (data-k: waiting,
// abandoned, why, badge, agents_paused…).
func tileSel(queue, key string) string {
	return fmt.Sprintf(`[data-queue=%s] [data-k=%s]`, jsString(queue), jsString(key))
}

// tileLevel is a condition: the queue's tile is at level (ok, amber, red).
func tileLevel(queue, level string) string {
	return fmt.Sprintf(`document.querySelector(%s)?.dataset.level === %s`, jsString("[data-queue="+jsString(queue)+"]"), jsString(level))
}

// Two callers wait in support while the only logged-in agent is paused:
// the wallboard counts them as they come and turns the tile amber, then
// red, on the oldest caller's wait alone. An agent logs in and answers
// both; the tile empties and is no longer red.
func TestBrowserWallboardLiveCalls(t *testing.T) {
	t.Parallel()
	c := startQueues(t, queueConfig{ringTimeout: "5s", agents: aliceSupport + "\n" + bobSupport})
	// alice is logged in but paused, so the tile's alarm comes from the
	// wait and not from "no agent logged in".
	c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer.xml"})
	if a := c.setState("alice", "paused", "lunch"); a.State != "paused" {
		t.Fatalf("PUT paused: got state %q, want paused", a.State)
	}

	b := newBrowserTab(t)
	if status := b.open(c.api + "/wallboard?token=" + testToken + "&red_wait=6&amber_wait=3&lang=en"); status != http.StatusOK {
		t.Fatalf("GET /wallboard: got status %d, want 200", status)
	}
	b.until("stream live", shows("#conn", "Live"))
	b.until("alice shown paused", shows(tileSel("support", "agents_paused"), "1"))
	b.until("support tile with nobody waiting", shows(tileSel("support", "waiting"), "0")+" && "+tileLevel("support", "ok"))
	if got := evalIn[string](b, `document.querySelector(`+jsString(tileSel("support", "abandoned"))+`).textContent`); got != "—" {
		t.Errorf("support abandoned before any call ended: got %q, want —", got)
	}
	// Record each level the tile passes through: amber lasts only the
	// three seconds between the thresholds.
	evalIn[bool](b, `(() => {
		const tile = document.querySelector('[data-queue="support"]');
		window.seenLevels = [tile.dataset.level];
		new MutationObserver(() => {
			if (window.seenLevels.at(-1) !== tile.dataset.level) window.seenLevels.push(tile.dataset.level);
		}).observe(tile, { attributes: true, attributeFilter: ['data-level'] });
		return true;
	})()`)

	first := c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "7001"})
	b.until("one caller waiting", shows(tileSel("support", "waiting"), "1"))
	second := c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "7002"})
	b.until("two callers waiting", shows(tileSel("support", "waiting"), "2"))
	b.until("support tile red", tileLevel("support", "red"))
	if got, want := evalIn[[]string](b, `window.seenLevels`), []string{"ok", "amber", "red"}; !slices.Equal(got, want) {
		t.Errorf("support tile levels: got %v, want %v", got, want)
	}
	if got := evalIn[string](b, `document.querySelector(`+jsString(tileSel("support", "badge"))+`).textContent`); !strings.Contains(got, "ALARM") {
		t.Errorf("red tile's badge: got %q, want it to say ALARM", got)
	}
	if got, want := evalIn[string](b, `document.querySelector(`+jsString(tileSel("support", "why"))+`).textContent`), "Longest wait over 0:06"; got != want {
		t.Errorf("red tile's reason: got %q, want %q", got, want)
	}
	b.screenshot("wallboard-red")

	bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_answer_bye.xml", calls: 2, hold: 1500 * time.Millisecond})
	b.until("nobody waiting once bob answers", shows(tileSel("support", "waiting"), "0"))
	// With both answered within the service level, nothing is wrong.
	b.until("support tile ok again", tileLevel("support", "ok"))
	// Abandoned shows a share once calls have ended: 0 of 2 answered.
	b.until("answered calls counted", shows(tileSel("support", "abandoned"), "0%"))

	for _, p := range []*sippProc{first, second} {
		if code := p.wait(); code != 0 {
			t.Errorf("%s: sipp exit code %d, want 0 (BYE from contactd after bob's)", p.name, code)
		}
	}
	if code := bob.wait(); code != 0 {
		t.Errorf("bob's phone: sipp exit code %d, want 0 (two calls answered and hung up)", code)
	}
	for _, num := range []string{"7001", "7002"} {
		checkAnswered(t, c.waitInbound(num), "support", "bob")
	}
	if got, want := c.queueViews()["support"].Answered, 2; got != want {
		t.Errorf("support answered in the API: got %d, want %d", got, want)
	}
	b.noPageErrors()
}

// deskToken is alice's own agent token: what an agent opens the desk with.
const deskToken = "alice-desk-token-1"

// alice, paused for lunch, opens her desk with her agent token and goes
// ready with its button; a caller who presses 1 pops up on her desk with
// number and queue while her phone rings, and she takes the call.
func TestBrowserAgentDeskScreenPop(t *testing.T) {
	t.Parallel()
	c := startContactd(t, queueConfig{ringTimeout: "5s", agents: aliceSupport}.yaml(), demo.FS(), func(cfg *config.Config) {
		cfg.HTTP.Tokens = append(cfg.HTTP.Tokens, config.APIToken{Token: deskToken, Role: "agent", Agent: "alice"})
	})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})
	c.setState("alice", "paused", "lunch")

	b := newBrowserTab(t)
	if status := b.open(c.api + "/agent?token=" + deskToken + "&agent=alice&lang=en"); status != http.StatusOK {
		t.Fatalf("GET /agent with alice's token: got status %d, want 200", status)
	}
	b.until("stream live", shows("#conn", "Live"))
	b.until("alice shown paused for lunch", shows("#who", "Alice (alice)")+" && "+shows("#state", "Paused")+" && "+shows("#reason", "Lunch"))
	b.until("no call offered yet", `!document.getElementById("idle").hidden && document.getElementById("pop").hidden`)

	b.click("#ready")
	b.until("alice shown ready", shows("#state", "Ready"))
	if a := c.agentViews()["alice"]; a.State != "ready" {
		t.Errorf("alice in the API after Ready: got state %q, want ready", a.State)
	}
	if got := evalIn[bool](b, `document.getElementById("ready").disabled`); !got {
		t.Errorf("Ready button while ready: got enabled, want disabled")
	}

	caller := c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "7101"})
	b.until("screen-pop shown", `!document.getElementById("pop").hidden && document.getElementById("idle").hidden`)
	b.until("screen-pop with the caller's number", shows("#pop-caller", "7101"))
	if got, want := evalIn[string](b, `document.getElementById("pop-queue").textContent`), "support"; got != want {
		t.Errorf("screen-pop queue: got %q, want %q", got, want)
	}
	if got := evalIn[string](b, `document.title`); !strings.Contains(got, "7101") {
		t.Errorf("tab title during the offer: got %q, want the caller's number", got)
	}
	// The history comes from contactd's timeline, read with alice's token.
	b.until("the call's journey in the history", `document.getElementById("pop-timeline").innerText.includes("Pressed 1 in main")`)
	b.until("alice shown on the call", shows("#state", "On call"))
	b.screenshot("desk-screen-pop")

	if code := caller.wait(); code != 0 {
		t.Errorf("caller: sipp exit code %d, want 0 (BYE from contactd after alice's)", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0 (answered, then hung up)", code)
	}
	checkAnswered(t, c.waitInbound("7101"), "support", "alice")
	// No wrap-up: she is ready for the next call, and the pop stays up
	// for her notes until she closes it.
	b.until("alice shown ready after the call", shows("#state", "Ready"))
	if got := evalIn[string](b, `document.getElementById("pop-caller").textContent`); got != "7101" {
		t.Errorf("screen-pop after the call: got caller %q, want 7101 still shown", got)
	}
	b.noPageErrors()
}
