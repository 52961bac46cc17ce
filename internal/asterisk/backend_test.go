package asterisk_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/asterisk"
	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/timeline"
)

// logBuffer keeps a test's log, shown only when the test fails: the
// backend's goroutines may still log as the test ends.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func testLogger(t *testing.T) *slog.Logger {
	lb := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", lb)
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startBackend runs a Backend against f until the test ends.
func startBackend(t *testing.T, f *fakeARI, flow asterisk.Handler, edit func(*asterisk.Options)) *asterisk.Backend {
	t.Helper()
	opts := asterisk.Options{
		URL: f.url(), Username: f.user, Password: f.pass, App: f.app,
		MediaListen: "127.0.0.1:0", Flow: flow,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Logger: testLogger(t),
	}
	if edit != nil {
		edit(&opts)
	}
	b, err := asterisk.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Serve(ctx) }()
	t.Cleanup(func() {
		b.HangupAll()
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer wcancel()
		if err := b.Wait(wctx); err != nil {
			t.Errorf("calls still running at the end: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		b.Close()
	})
	return b
}

// demoConfig is the embedded demo config, parsed.
func demoConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse(demo.Config, "demo", demo.FS(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fetchPCM gets a media URL as Asterisk would and decodes it.
func fetchPCM(t *testing.T, media string) []int16 {
	t.Helper()
	u, ok := strings.CutPrefix(media, "sound:")
	if !ok || !strings.HasPrefix(u, "http://") {
		t.Fatalf("media %q: want sound:http://...", media)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: got status %d, want 200", u, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "audio/x-wav" {
		t.Errorf("GET %s: got Content-Type %q, want audio/x-wav", u, ct)
	}
	a, err := prompt.DecodeWAV(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return a.Samples
}

func loadPrompt(t *testing.T, cfg *config.Config, file string) []int16 {
	t.Helper()
	lib := prompt.NewLibrary(prompt.LibraryOptions{FS: cfg.FS})
	a, err := lib.Load(context.Background(), prompt.Ref{File: file})
	if err != nil {
		t.Fatal(err)
	}
	return a.Samples
}

func samePCM(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// waitRecord waits for a call's record to be finished.
func waitRecord(t *testing.T, calls *timeline.Calls, id string) *timeline.Call {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := calls.Get(context.Background(), id)
		if err == nil && !c.EndedAt.IsZero() {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s: record not finished (last error %v)", id, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIVRMenu: a call entering the app hears the demo menu; pressing 3
// stops the greeting (barge-in) and plays the hours; the caller hanging
// up ends the call, whose record keeps its path and outcome.
func TestIVRMenu(t *testing.T) {
	f := newFakeARI(t)
	f.playFor = 0 // prompts play until stopped: the test decides
	cfg := demoConfig(t)
	calls := timeline.NewCalls(storetest.Open(t, storetest.SQLite))
	flow := callflow.New(callflow.Options{
		Menus:   cfg.IVR,
		Prompts: prompt.NewLibrary(prompt.LibraryOptions{FS: cfg.FS}),
		Records: calls,
	})
	startBackend(t, f, flow, nil)
	f.waitConnects(1)

	const id = "1712000000.1"
	f.call(id, "+441234567890", "100")
	f.waitReq("POST", "/channels/"+id+"/answer", 1)
	greet := f.waitReq("POST", "/channels/"+id+"/play/*", 1)
	if got, want := fetchPCM(t, greet.Params["media"]), loadPrompt(t, cfg, "welcome.wav"); !samePCM(got, want) {
		t.Errorf("greeting media: got %d samples, want welcome.wav's %d", len(got), len(want))
	}
	greetID := strings.TrimPrefix(greet.Path, "/channels/"+id+"/play/")

	f.dtmf(id, '3')
	stop := f.waitReq("DELETE", "/playbacks/*", 1)
	if got, want := stop.Path, "/playbacks/"+greetID; got != want {
		t.Errorf("barge-in: got DELETE %v, want DELETE %v", got, want)
	}
	hours := f.waitReq("POST", "/channels/"+id+"/play/*", 2)
	if got, want := fetchPCM(t, hours.Params["media"]), loadPrompt(t, cfg, "hours.wav"); !samePCM(got, want) {
		t.Errorf("after 3: got %d samples, want hours.wav's %d", len(got), len(want))
	}
	if hours.Params["media"] == greet.Params["media"] {
		t.Errorf("hours and greeting share media URL %v", hours.Params["media"])
	}

	f.farHangup(id)
	rec := waitRecord(t, calls, id)
	if got, want := rec.EndReason, asterisk.ReasonCallerHangup; got != want {
		t.Errorf("end reason: got %v, want %v", got, want)
	}
	if got, want := rec.Outcome, ivr.OutcomeAbandoned; got != want {
		t.Errorf("outcome: got %v, want %v", got, want)
	}
	if got, want := rec.Transport, "asterisk"; got != want {
		t.Errorf("transport: got %v, want %v", got, want)
	}
	if got, want := rec.Caller+" "+rec.Dialled+" "+rec.Menu, "+441234567890 100 main"; got != want {
		t.Errorf("caller dialled menu: got %v, want %v", got, want)
	}
	var digits []string
	for _, st := range rec.Path {
		if st.Kind == "digit" {
			digits = append(digits, st.Value)
		}
	}
	if got, want := strings.Join(digits, ","), "3"; got != want {
		t.Errorf("digits in path: got %v, want %v (path %+v)", got, want, rec.Path)
	}
}

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// nopRecords keeps no records.
type nopRecords struct{}

func (nopRecords) Start(context.Context, *timeline.Call) error  { return nil }
func (nopRecords) Finish(context.Context, *timeline.Call) error { return nil }
