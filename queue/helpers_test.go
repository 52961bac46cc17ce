package queue

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// at is t0 plus s seconds.
func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

// act renders an action compactly so tests can compare sequences:
// "offer c1>alice", "cancel c1>bob", "callback c1>alice +441", "exit c1
// timeout", "exit c1 timeout>general", "alice ringing(offer)".
func act(a Action) string {
	switch a := a.(type) {
	case Offer:
		return fmt.Sprintf("offer %s>%s", a.Call, a.Target)
	case CancelOffer:
		return fmt.Sprintf("cancel %s>%s", a.Call, a.Target)
	case StartCallback:
		return fmt.Sprintf("callback %s>%s %s", a.Call, a.Agent, a.Number)
	case ExitCall:
		if a.ToQueue != "" {
			return fmt.Sprintf("exit %s %s>%s", a.Call, a.Reason, a.ToQueue)
		}
		return fmt.Sprintf("exit %s %s", a.Call, a.Reason)
	case AgentChanged:
		return fmt.Sprintf("%s %s(%s)", a.Agent, a.State, a.Reason)
	}
	return fmt.Sprintf("%T", a)
}

func acts(as []Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = act(a)
	}
	return strings.Join(s, "; ")
}

// routing keeps only what reaches phones: offers, cancels, callbacks, exits.
func routing(as []Action) string {
	var s []string
	for _, a := range as {
		if _, ok := a.(AgentChanged); !ok {
			s = append(s, act(a))
		}
	}
	return strings.Join(s, "; ")
}

// changes keeps only agent state changes.
func changes(as []Action) string {
	var s []string
	for _, a := range as {
		if _, ok := a.(AgentChanged); ok {
			s = append(s, act(a))
		}
	}
	return strings.Join(s, "; ")
}

// offered lists the targets offered, in order.
func offered(as []Action) string {
	var s []string
	for _, a := range as {
		if o, ok := a.(Offer); ok {
			s = append(s, o.Target.String())
		}
	}
	return strings.Join(s, ",")
}

type harness struct {
	t *testing.T
	e *Engine
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, e: e}
}

// oneQueue is a queue named q needing skill q, served by agents with skill q.
func oneQueue(q QueueConfig, agents ...string) Options {
	if q.Name == "" {
		q.Name = "support"
	}
	q.JoinEmpty = true
	opts := Options{Queues: []QueueConfig{q}}
	for _, a := range agents {
		opts.Agents = append(opts.Agents, AgentConfig{ID: a, Skills: map[string]int{q.Name: 5}})
	}
	return opts
}

func (h *harness) must(as []Action, err error) []Action {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("unexpected error: %v", err)
	}
	return as
}

// login makes agents reachable and ready at now, in order.
func (h *harness) login(now time.Time, ids ...string) []Action {
	h.t.Helper()
	var out []Action
	for _, id := range ids {
		out = append(out, h.e.SetReachable(now, id, true)...)
		out = append(out, h.must(h.e.SetAgentState(now, id, Ready, "login"))...)
	}
	return out
}

func (h *harness) enqueue(now time.Time, id, queue string, prio int) []Action {
	h.t.Helper()
	return h.must(h.e.Enqueue(now, Call{ID: id, Queue: queue, Priority: prio, Customer: "+44" + id}))
}

// talk answers call by agent and ends it d later.
func (h *harness) talk(now time.Time, call, agent string, d time.Duration) []Action {
	out := h.e.OfferAnswered(now, call, Target{Agent: agent})
	return append(out, h.e.CallEnded(now.Add(d), call)...)
}

func (h *harness) agent(id string) AgentSnapshot {
	h.t.Helper()
	for _, a := range h.e.Snapshot(t0).Agents {
		if a.ID == id {
			return a
		}
	}
	h.t.Fatalf("no agent %s in snapshot", id)
	return AgentSnapshot{}
}

func (h *harness) queue(now time.Time, name string) QueueSnapshot {
	h.t.Helper()
	for _, q := range h.e.Snapshot(now).Queues {
		if q.Name == name {
			return q
		}
	}
	h.t.Fatalf("no queue %s in snapshot", name)
	return QueueSnapshot{}
}

func check[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// pendingTimers counts the engine's live timers.
func (e *Engine) pendingTimers() int {
	n := 0
	for _, t := range e.timers.items {
		if e.live(t) {
			n++
		}
	}
	return n
}
