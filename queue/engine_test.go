package queue

import (
	"errors"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	q := func(mod func(*QueueConfig)) Options {
		c := QueueConfig{Name: "support"}
		mod(&c)
		return Options{Queues: []QueueConfig{c, {Name: "general"}}}
	}
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"defaults are fine", q(func(*QueueConfig) {}), nil},
		{"duplicate queue", Options{Queues: []QueueConfig{{Name: "a"}, {Name: "a"}}}, ErrInvalid},
		{"empty queue name", Options{Queues: []QueueConfig{{}}}, ErrInvalid},
		{"queue level 0", q(func(c *QueueConfig) { c.Skills = map[string]int{"x": 0} }), ErrInvalid},
		{"queue level 11", q(func(c *QueueConfig) { c.Skills = map[string]int{"x": 11} }), ErrInvalid},
		{"unknown strategy", q(func(c *QueueConfig) { c.Strategy = "random" }), ErrInvalid},
		{"negative wrap-up", q(func(c *QueueConfig) { c.WrapUp = -time.Second }), ErrInvalid},
		{"service level fraction above 1", q(func(c *QueueConfig) { c.ServiceLevelPct = 80 }), ErrInvalid},
		{"overflow to unknown queue", q(func(c *QueueConfig) { c.Overflow = []Overflow{{After: time.Second, Queue: "nope"}} }), ErrUnknownQueue},
		{"overflow to itself", q(func(c *QueueConfig) { c.Overflow = []Overflow{{After: time.Second, Queue: "support"}} }), ErrInvalid},
		{"empty overflow step", q(func(c *QueueConfig) { c.Overflow = []Overflow{{After: time.Second}} }), ErrInvalid},
		{"overflow level 11", q(func(c *QueueConfig) { c.Overflow = []Overflow{{After: time.Second, MinLevel: 11}} }), ErrInvalid},
		{"max wait exit to unknown queue", q(func(c *QueueConfig) { c.OnMaxWait = Exit{Queue: "nope"} }), ErrUnknownQueue},
		{"max wait exit to itself", q(func(c *QueueConfig) { c.OnMaxWait = Exit{Queue: "support"} }), ErrInvalid},
		{"agent level 11", Options{Agents: []AgentConfig{{ID: "a", Skills: map[string]int{"x": 11}}}}, ErrInvalid},
		{"agent without id", Options{Agents: []AgentConfig{{}}}, ErrInvalid},
		{"duplicate agent", Options{Agents: []AgentConfig{{ID: "a"}, {ID: "a"}}}, ErrInvalid},
		{"negative max missed", Options{MaxMissed: -1}, ErrInvalid},
	}
	for _, tt := range tests {
		_, err := New(tt.opts)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

// Overflow steps listed out of order still apply in order of After.
func TestOverflowStepsSorted(t *testing.T) {
	h := newHarness(t, Options{
		Queues: []QueueConfig{{Name: "sales", Skills: map[string]int{"sales": 5}, JoinEmpty: true, Overflow: []Overflow{
			{After: 60 * time.Second, MinLevel: 1},
			{After: 30 * time.Second, MinLevel: 3},
		}}},
		Agents: []AgentConfig{{ID: "low", Skills: map[string]int{"sales": 1}}, {ID: "mid", Skills: map[string]int{"sales": 3}}},
	})
	h.login(at(0), "low", "mid")
	h.enqueue(at(0), "c1", "sales", 5)
	check(t, "at 30s", offered(h.e.Tick(at(30))), "mid")
	h.must(h.e.SetAgentState(at(40), "mid", Paused, "")) // once the ring ends
	check(t, "mid misses", offered(h.e.OfferFailed(at(45), "c1", Target{Agent: "mid"}, "no_answer")), "")
	check(t, "at 60s", offered(h.e.Tick(at(60))), "low")
}

func TestEnqueueErrors(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	h.enqueue(at(0), "c1", "support", 5)
	h.login(at(0), "a") // takes c1
	h.e.OfferAnswered(at(1), "c1", Target{Agent: "a"})
	tests := []struct {
		name    string
		call    Call
		want    error
		wantMsg string
	}{
		{"unknown queue", Call{ID: "c2", Queue: "nope"}, ErrUnknownQueue, `enqueue c2 to "nope": unknown queue`},
		{"no id", Call{Queue: "support"}, ErrInvalid, ""},
		{"id of a connected call", Call{ID: "c1", Queue: "support"}, ErrInvalid, ""},
	}
	for _, tt := range tests {
		_, err := h.e.Enqueue(at(2), tt.call)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		if tt.wantMsg != "" && err != nil && err.Error() != tt.wantMsg {
			t.Errorf("%s message: got %v, want %v", tt.name, err, tt.wantMsg)
		}
	}
	h.enqueue(at(3), "c3", "support", 5)
	if _, err := h.e.Enqueue(at(3), Call{ID: "c3", Queue: "support"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("id of a waiting call: got %v, want ErrInvalid", err)
	}
}

// A caller hanging up while an agent rings cancels the ring; the agent is
// free again without a miss and the abandon is counted.
func TestAbandon(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{ServiceLevel: 10 * time.Second}, "a"))
	h.login(at(0), "a")
	h.enqueue(at(0), "c1", "support", 5)
	h.enqueue(at(1), "c2", "support", 5)
	check(t, "abandon while ringing", acts(h.e.Abandon(at(12), "c1")), "cancel c1>a; a ready(abandoned); a ringing(offer); offer c2>a")
	check(t, "no miss", h.agent("a").Missed, 0)
	check(t, "unknown call ignored", acts(h.e.Abandon(at(13), "c1")), "")
	check(t, "late answer ignored", acts(h.e.OfferAnswered(at(13), "c1", Target{Agent: "a"})), "")
	check(t, "late failure ignored", acts(h.e.OfferFailed(at(13), "c1", Target{Agent: "a"}, "no_answer")), "")
	q := h.queue(at(14), "support")
	check(t, "abandoned", q.Abandoned, 1)
	check(t, "abandoned after SL lowers the service level", q.ServiceLevel, 0.0)
}

// Offers for targets the engine did not make are ignored.
func TestStrayReports(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a", "b"))
	h.login(at(0), "a", "b")
	h.enqueue(at(1), "c1", "support", 5) // rings a
	check(t, "answer by b", acts(h.e.OfferAnswered(at(2), "c1", Target{Agent: "b"})), "")
	check(t, "failure by b", acts(h.e.OfferFailed(at(2), "c1", Target{Agent: "b"}, "busy")), "")
	check(t, "end of a call never answered", acts(h.e.CallEnded(at(2), "c1")), "")
	check(t, "b still ready", h.agent("b").State, Ready)
}

// Deadline is the earliest of overflow, max wait and wrap-up timers, and
// stale timers are skipped.
func TestDeadline(t *testing.T) {
	h := newHarness(t, Options{
		Queues: []QueueConfig{{Name: "support", JoinEmpty: true, MaxWait: 90 * time.Second, WrapUp: 20 * time.Second,
			Overflow: []Overflow{{After: 60 * time.Second, MinLevel: 1}}}},
		Agents: []AgentConfig{{ID: "a", Skills: map[string]int{"support": 1}}},
	})
	deadline := func() string {
		d, ok := h.e.Deadline()
		if !ok {
			return "none"
		}
		return d.Sub(t0).String()
	}
	check(t, "empty", deadline(), "none")
	h.enqueue(at(0), "c1", "support", 5)
	check(t, "overflow first", deadline(), "1m0s")
	h.e.Tick(at(60))
	check(t, "then max wait", deadline(), "1m30s")
	h.login(at(70), "a")
	h.e.OfferAnswered(at(71), "c1", Target{Agent: "a"})
	check(t, "answered: nothing", deadline(), "none")
	h.e.CallEnded(at(80), "c1")
	check(t, "wrap-up", deadline(), "1m40s")
	check(t, "live timers", h.e.pendingTimers(), 1)
}
