package callflow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/timeline"
)

// party is a phone contactd called: an agent or a customer called back.
type party struct {
	id     string
	digits chan byte
	done   chan struct{}
	once   sync.Once
}

func newParty(id string) *party {
	return &party{id: id, digits: make(chan byte, 4), done: make(chan struct{})}
}

func (p *party) ID() string          { return p.id }
func (p *party) Digits() <-chan byte { return p.digits }
func (p *party) Done() <-chan struct{} {
	return p.done
}
func (p *party) EndReason() string { return "" }
func (p *party) Hangup(ctx context.Context) error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// Play takes a little time, as a real leg does, so music loops do not spin.
func (p *party) Play(ctx context.Context, pcm []int16) error {
	select {
	case <-time.After(10 * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.done:
		return errors.New("party gone")
	}
}

// dialer answers or ignores rings per target, and logs each ring.
type dialer struct {
	mu      sync.Mutex
	answer  map[string]bool // target -> answers
	rings   chan ring
	answers chan *party
}

type ring struct {
	target string
	d      callflow.Dial
	result string
}

func newDialer(answer map[string]bool) *dialer {
	return &dialer{answer: answer, rings: make(chan ring, 32), answers: make(chan *party, 32)}
}

func (f *dialer) dial(ctx context.Context, target string, d callflow.Dial) (callflow.Party, error) {
	f.mu.Lock()
	ok := f.answer[target]
	f.mu.Unlock()
	if ok {
		p := newParty(target)
		f.rings <- ring{target, d, "answered"}
		f.answers <- p
		return p, nil
	}
	timeout := d.RingTimeout
	if timeout == 0 {
		timeout = time.Hour
	}
	select {
	case <-time.After(timeout):
		f.rings <- ring{target, d, "no_answer"}
		return nil, fmt.Errorf("ring %s: %w", target, callflow.ErrNoAnswer)
	case <-ctx.Done():
		f.rings <- ring{target, d, "cancelled"}
		return nil, ctx.Err()
	}
}

func (f *dialer) DialAgent(ctx context.Context, agent string, d callflow.Dial) (callflow.Party, error) {
	return f.dial(ctx, agent, d)
}

func (f *dialer) DialURI(ctx context.Context, uri string, d callflow.Dial) (callflow.Party, error) {
	return f.dial(ctx, uri, d)
}

type bridger struct{ pairs chan [2]string }

func (b *bridger) Bridge(x, y callflow.Party, _ func(int, []int16)) (func(), error) {
	b.pairs <- [2]string{x.ID(), y.ID()}
	return func() {}, nil
}

type acdHarness struct {
	*harness
	acd    *callflow.ACD
	dialer *dialer
	bridge *bridger
}

// newACDHarness runs a flow whose "support" queue is served by agents
// alice and bob, both registered.
func newACDHarness(t *testing.T, answer map[string]bool, qc queue.QueueConfig, callbackKey byte) *acdHarness {
	t.Helper()
	eng, err := queue.New(queue.Options{
		Queues: []queue.QueueConfig{qc},
		Agents: []queue.AgentConfig{
			{ID: "alice", Skills: map[string]int{"support": 5}},
			{ID: "bob", Skills: map[string]int{"support": 5}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &acdHarness{
		harness: &harness{p: &prompts{signal: make(chan string, 256)}, r: &records{calls: map[string]*timeline.Call{}}},
		dialer:  newDialer(answer),
		bridge:  &bridger{pairs: make(chan [2]string, 4)},
	}
	queues := map[string]callflow.Queue{"support": {
		Unavailable: []ivr.Prompt{{File: "busy.wav"}},
		Music:       []ivr.Prompt{{File: "moh.wav"}},
		CallbackKey: callbackKey,
	}}
	h.acd = callflow.NewACD(callflow.ACDOptions{
		Engine: eng, Dialer: h.dialer, Bridger: h.bridge, Records: h.r, Queues: queues,
		WaitPrompts: callflow.WaitPrompts{
			Hold: ivr.Prompt{File: "hold.wav"}, CallbackConfirm: ivr.Prompt{File: "confirm.wav"},
			CallbackIntro: ivr.Prompt{File: "intro.wav"},
		},
		Prompts:     h.p,
		CallbackURI: func(n string) string { return "sip:" + n + "@trunk" },
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go h.acd.Run(ctx)
	h.flow = callflow.New(callflow.Options{
		Menus: menus(t, demoMenus), Queues: queues, ACD: h.acd, Prompts: h.p, Records: h.r,
	})
	return h
}

func (h *acdHarness) nextRing(t *testing.T) ring {
	t.Helper()
	select {
	case r := <-h.dialer.rings:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no ring")
		return ring{}
	}
}

func (h *acdHarness) nextAnswer(t *testing.T) *party {
	t.Helper()
	select {
	case p := <-h.dialer.answers:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("nobody answered")
		return nil
	}
}

func offers(q *timeline.Queueing) string {
	var s []string
	for _, o := range q.Offered {
		s = append(s, o.Target+":"+o.Result)
	}
	return strings.Join(s, ",")
}

// A caller who picks the queue is put through to a ringing agent who
// answers; the agent's hang-up ends the call.
func TestQueuedCallerReachesAgent(t *testing.T) {
	h := newACDHarness(t, map[string]bool{"alice": true, "bob": true}, queue.QueueConfig{Name: "support", RingTimeout: time.Second}, 0)
	h.acd.SetReachable("alice", true)
	leg := newLeg("100")
	done := h.run(leg)
	h.waitPrompt(t, "welcome.wav")
	leg.digits <- '1'
	r := h.nextRing(t)
	agent := h.nextAnswer(t)
	if r.d.Caller != "+4412345" || r.d.Headers["X-Contactd-Call-Id"] != "call-1" || r.d.Headers["X-Contactd-Queue"] != "support" {
		t.Errorf("got ring %+v, want the caller's number and the call id and queue in headers", r)
	}
	select {
	case pair := <-h.bridge.pairs:
		if pair != [2]string{"call-1", "alice"} {
			t.Errorf("got bridge %v, want call-1 with alice", pair)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not bridged")
	}
	agent.Hangup(context.Background())
	wait(t, done)
	c := h.r.calls["call-1"]
	q := c.Queueing
	if q == nil {
		t.Fatal("got no queueing on the record")
	}
	if c.Outcome != timeline.QueueAnswered || q.Agent != "alice" || offers(q) != "alice:answered" || q.AnsweredAt.IsZero() {
		t.Errorf("got outcome %q agent %q offers %s, want answered by alice", c.Outcome, q.Agent, offers(q))
	}
	if leg.EndReason() != "hangup" {
		t.Errorf("got caller leg %q, want hung up by us after the agent left", leg.EndReason())
	}
}

// An agent who does not answer within the ring timeout is passed over
// for the next.
func TestRingNoAnswerMovesOn(t *testing.T) {
	h := newACDHarness(t, map[string]bool{"bob": true}, queue.QueueConfig{Name: "support", RingTimeout: 100 * time.Millisecond}, 0)
	h.acd.SetReachable("alice", true)
	h.acd.SetReachable("bob", true)
	leg := newLeg("100")
	done := h.run(leg)
	h.waitPrompt(t, "welcome.wav")
	leg.digits <- '1'
	var rings []string
	for range 2 {
		r := h.nextRing(t)
		rings = append(rings, r.target+":"+r.result)
	}
	if got := strings.Join(rings, ","); got != "alice:no_answer,bob:answered" {
		t.Errorf("got rings %s, want alice unanswered then bob", got)
	}
	h.nextAnswer(t)
	leg.end("caller_hangup")
	wait(t, done)
	q := h.r.calls["call-1"].Queueing
	if got, want := offers(q), "alice:no_answer,bob:answered"; got != want {
		t.Errorf("got offers %s, want %s", got, want)
	}
}

// A caller who hangs up while the agent's phone rings stops the ringing.
func TestCallerHangupCancelsRinging(t *testing.T) {
	h := newACDHarness(t, map[string]bool{}, queue.QueueConfig{Name: "support", RingTimeout: time.Hour}, 0)
	h.acd.SetReachable("alice", true)
	leg := newLeg("100")
	done := h.run(leg)
	h.waitPrompt(t, "welcome.wav")
	leg.digits <- '1'
	h.waitPrompt(t, "hold.wav")
	time.Sleep(50 * time.Millisecond) // let the ring start
	leg.end("caller_hangup")
	if r := h.nextRing(t); r.target != "alice" || r.result != "cancelled" {
		t.Errorf("got ring %s:%s, want alice cancelled", r.target, r.result)
	}
	wait(t, done)
	c := h.r.calls["call-1"]
	if c.Outcome != timeline.QueueAbandoned || c.Queueing.WaitSeconds <= 0 {
		t.Errorf("got outcome %q wait %v, want abandoned with its wait", c.Outcome, c.Queueing.WaitSeconds)
	}
}

// A caller who asks for a callback hangs up; when an agent is free the
// customer is called first, then the reserved agent, and the two are
// bridged.
func TestCallbackKeepsPlace(t *testing.T) {
	h := newACDHarness(t, map[string]bool{"alice": true, "sip:+4412345@trunk": true}, queue.QueueConfig{Name: "support", RingTimeout: time.Second, JoinEmpty: true}, '*')
	leg := newLeg("100")
	done := h.run(leg)
	h.waitPrompt(t, "welcome.wav")
	leg.digits <- '1'
	h.waitPrompt(t, "hold.wav")
	leg.digits <- '*'
	h.waitPrompt(t, "confirm.wav")
	wait(t, done)
	if c := h.r.calls["call-1"]; c.Outcome != timeline.QueueCallback || c.Queueing.CallbackNumber != "+4412345" {
		t.Fatalf("got outcome %q, want callback to +4412345", c.Outcome)
	}

	h.acd.SetReachable("alice", true)
	if r := h.nextRing(t); r.target != "sip:+4412345@trunk" || r.result != "answered" {
		t.Fatalf("got first ring %s:%s, want the customer called back first", r.target, r.result)
	}
	customer := h.nextAnswer(t)
	if r := h.nextRing(t); r.target != "alice" {
		t.Fatalf("got second ring %s, want the reserved agent alice", r.target)
	}
	h.nextAnswer(t)
	select {
	case pair := <-h.bridge.pairs:
		if pair != [2]string{"sip:+4412345@trunk", "alice"} {
			t.Errorf("got bridge %v, want the customer with alice", pair)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not bridged")
	}
	customer.Hangup(context.Background())
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.r.mu.Lock()
		cb := h.r.calls["call-1-cb1"]
		h.r.mu.Unlock()
		if cb != nil && !cb.EndedAt.IsZero() {
			if cb.Outcome != timeline.QueueAnswered || cb.Queueing.Agent != "alice" || cb.Queueing.CallbackOf != "call-1" {
				t.Errorf("got callback record outcome %q agent %q of %q, want answered by alice for call-1", cb.Outcome, cb.Queueing.Agent, cb.Queueing.CallbackOf)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("callback record never finished")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
