package callflow_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/timeline"
)

// fakeLeg is a caller whose audio is "sent" at once.
type fakeLeg struct {
	dialled  string
	digits   chan byte
	done     chan struct{}
	once     sync.Once
	mu       sync.Mutex
	reason   string
	rejected int
	answered bool
}

func newLeg(dialled string) *fakeLeg {
	return &fakeLeg{dialled: dialled, digits: make(chan byte, 16), done: make(chan struct{})}
}

func (l *fakeLeg) ID() string          { return "call-1" }
func (l *fakeLeg) Caller() string      { return "+4412345" }
func (l *fakeLeg) Dialled() string     { return l.dialled }
func (l *fakeLeg) Transport() string   { return "test" }
func (l *fakeLeg) Digits() <-chan byte { return l.digits }
func (l *fakeLeg) Done() <-chan struct{} {
	return l.done
}
func (l *fakeLeg) Answer(ctx context.Context) error {
	l.mu.Lock()
	l.answered = true
	l.mu.Unlock()
	return nil
}
func (l *fakeLeg) Play(ctx context.Context, pcm []int16) error { return ctx.Err() }
func (l *fakeLeg) end(reason string) {
	l.once.Do(func() {
		l.mu.Lock()
		l.reason = reason
		l.mu.Unlock()
		close(l.done)
	})
}
func (l *fakeLeg) Reject(ctx context.Context, status int) error {
	l.mu.Lock()
	l.rejected = status
	l.mu.Unlock()
	l.end("rejected")
	return nil
}
func (l *fakeLeg) Hangup(ctx context.Context) error { l.end("hangup"); return nil }
func (l *fakeLeg) EndReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// prompts records what was loaded for playing, in order.
type prompts struct {
	mu     sync.Mutex
	played []string
	signal chan string
}

func (p *prompts) Load(ctx context.Context, ref prompt.Ref) (*prompt.Audio, error) {
	name := ref.File
	if name == "" {
		name = "text:" + ref.Text
	}
	p.mu.Lock()
	p.played = append(p.played, name)
	p.mu.Unlock()
	select {
	case p.signal <- name:
	default:
	}
	return &prompt.Audio{Samples: make([]int16, 160)}, nil
}

type records struct {
	mu    sync.Mutex
	calls map[string]*timeline.Call
}

func (r *records) Start(ctx context.Context, c *timeline.Call) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cp := *c
	r.calls[c.ID] = &cp
	return nil
}

func (r *records) Finish(ctx context.Context, c *timeline.Call) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cp := *c
	r.calls[c.ID] = &cp
	return nil
}

func menus(t *testing.T, text string) *ivr.Config {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(text), &root); err != nil {
		t.Fatal(err)
	}
	cfg, errs := ivr.Decode(&root)
	if len(errs) > 0 {
		t.Fatalf("decode: %v", errs)
	}
	if errs := cfg.Validate(map[string]bool{"support": true}, nil); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	return cfg
}

type harness struct {
	flow *callflow.Flow
	p    *prompts
	r    *records
}

func newHarness(t *testing.T, text string) *harness {
	h := &harness{p: &prompts{signal: make(chan string, 64)}, r: &records{calls: map[string]*timeline.Call{}}}
	h.flow = callflow.New(callflow.Options{
		Menus:   menus(t, text),
		Queues:  map[string]callflow.Queue{"support": {Unavailable: []ivr.Prompt{{File: "busy.wav"}}}},
		Prompts: h.p,
		Records: h.r,
	})
	return h
}

// waitPrompt blocks until prompt name is loaded for playing.
func (h *harness) waitPrompt(t *testing.T, name string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-h.p.signal:
			if got == name {
				return
			}
		case <-timeout:
			t.Fatalf("prompt %s never played; played %v", name, h.p.played)
		}
	}
}

func (h *harness) run(leg *fakeLeg) chan struct{} {
	done := make(chan struct{})
	go func() { h.flow.Handle(context.Background(), leg); close(done) }()
	return done
}

func wait(t *testing.T, done chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("call did not end")
	}
}

const demoMenus = `
routes:
  - {number: "100", menu: main}
menus:
  main:
    greeting: welcome.wav
    options:
      "1": {queue: support}
      "3": {play: hours.wav, then: return}
`

func TestMenuChoiceReachesQueue(t *testing.T) {
	h := newHarness(t, demoMenus)
	leg := newLeg("100")
	done := h.run(leg)
	h.waitPrompt(t, "welcome.wav")
	leg.digits <- '3'
	h.waitPrompt(t, "hours.wav")
	h.waitPrompt(t, "welcome.wav")
	leg.digits <- '1'
	wait(t, done)
	c := h.r.calls["call-1"]
	if c.Outcome != ivr.OutcomeQueued || c.Queue != "support" || c.EndReason != "hangup" {
		t.Errorf("got outcome %q queue %q reason %q, want queued to support, hung up", c.Outcome, c.Queue, c.EndReason)
	}
	if got := strings.Join(h.p.played, ","); got != "welcome.wav,hours.wav,welcome.wav,busy.wav" {
		t.Errorf("got prompts %s, want welcome, hours, welcome, busy", got)
	}
	var digits string
	for _, s := range c.Path {
		if s.Kind == ivr.StepDigit {
			digits += s.Value
		}
	}
	if digits != "31" {
		t.Errorf("got digits %q, want 31", digits)
	}
}

func TestSelfServiceLookup(t *testing.T) {
	var got map[string]string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status": "shipped"}`))
	}))
	defer api.Close()
	h := newHarness(t, `
routes:
  - {number: "*", menu: orders}
menus:
  orders:
    greeting: ask.wav
    input:
      var: order
      max_digits: 8
      then:
        lookup:
          url: `+api.URL+`
          say: {text: "Order {{order}} is {{status}}."}
          then: {play: bye.wav, then: hangup}
`)
	leg := newLeg("555")
	done := h.run(leg)
	h.waitPrompt(t, "ask.wav")
	for _, d := range "4711#" {
		leg.digits <- byte(d)
	}
	wait(t, done)
	if got["order"] != "4711" || got["caller"] != "+4412345" {
		t.Errorf("lookup got %v, want order 4711 and the caller", got)
	}
	if want := "text:Order 4711 is shipped."; !strings.Contains(strings.Join(h.p.played, ","), want) {
		t.Errorf("got prompts %v, want %q spoken", h.p.played, want)
	}
	c := h.r.calls["call-1"]
	if c.Outcome != ivr.OutcomeSelfService || c.Vars["status"] != "shipped" || c.Vars["order"] != "4711" {
		t.Errorf("got outcome %q vars %v, want self_service with order and status", c.Outcome, c.Vars)
	}
}

func TestUnroutedNumberIsRejected(t *testing.T) {
	h := newHarness(t, demoMenus)
	leg := newLeg("999")
	wait(t, h.run(leg))
	if leg.rejected != 404 || leg.answered {
		t.Errorf("got rejected %d answered %v, want 404 unanswered", leg.rejected, leg.answered)
	}
	if c := h.r.calls["call-1"]; c.Outcome != timeline.OutcomeFailed || c.EndReason != callflow.ReasonNoRoute {
		t.Errorf("got %q/%q, want failed/no_route", c.Outcome, c.EndReason)
	}
}

func TestCallerHangupMidGreeting(t *testing.T) {
	h := newHarness(t, demoMenus)
	leg := newLeg("100")
	done := h.run(leg)
	h.waitPrompt(t, "welcome.wav")
	leg.end("caller_hangup")
	wait(t, done)
	c := h.r.calls["call-1"]
	if c.Outcome != ivr.OutcomeAbandoned || c.EndReason != "caller_hangup" || c.EndedAt.IsZero() {
		t.Errorf("got %q/%q ended %v, want abandoned_in_ivr/caller_hangup", c.Outcome, c.EndReason, c.EndedAt)
	}
}
