package queue

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// serveAll lets agent take every call in turn from now on, answering each
// at once and ending it a second later; it returns the calls in the order
// agent was offered them.
func serveAll(h *harness, now time.Time, agent string, first []Action) string {
	h.t.Helper()
	var order []string
	as := first
	for i := 0; i < 20; i++ {
		var call string
		for _, a := range as {
			if o, ok := a.(Offer); ok && o.Target.Agent == agent {
				call = o.Call
			}
		}
		if call == "" {
			break
		}
		order = append(order, call)
		now = now.Add(2 * time.Second)
		as = h.talk(now, call, agent, time.Second)
	}
	return strings.Join(order, ",")
}

// Lower priority numbers go first; within a class, the earliest queued.
func TestPriorityOrder(t *testing.T) {
	tests := []struct {
		name  string
		calls []Call // queued one second apart
		want  string
	}{
		{"same class: arrival order", []Call{{ID: "c1", Priority: 5}, {ID: "c2", Priority: 5}, {ID: "c3", Priority: 5}}, "c1,c2,c3"},
		{"priority 0 queued later goes first", []Call{{ID: "c1", Priority: 5}, {ID: "c2", Priority: 5}, {ID: "c3", Priority: 0}}, "c3,c1,c2"},
		{"out-of-range priorities are clamped", []Call{{ID: "c1", Priority: 12}, {ID: "c2", Priority: 9}, {ID: "c3", Priority: -3}}, "c3,c1,c2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, oneQueue(QueueConfig{}, "a"))
			for i, c := range tt.calls {
				c.Queue = "support"
				if as := h.must(h.e.Enqueue(at(i), c)); len(as) != 0 {
					t.Fatalf("enqueue with nobody logged in: got %s, want nothing", acts(as))
				}
			}
			check(t, "service order", serveAll(h, at(10), "a", h.login(at(10), "a")), tt.want)
		})
	}
}

// An agent who serves two queues takes the best call across both.
func TestFairOrderAcrossQueues(t *testing.T) {
	opts := Options{
		Queues: []QueueConfig{{Name: "sales", JoinEmpty: true}, {Name: "support", JoinEmpty: true}},
		Agents: []AgentConfig{{ID: "a", Skills: map[string]int{"sales": 1, "support": 1}}},
	}
	h := newHarness(t, opts)
	h.enqueue(at(1), "s1", "sales", 5)
	h.enqueue(at(2), "p1", "support", 5)
	h.enqueue(at(3), "s2", "sales", 5)
	h.enqueue(at(4), "p2", "support", 3)
	check(t, "service order", serveAll(h, at(10), "a", h.login(at(10), "a")), "p2,s1,p1,s2")
}

// An unreachable agent is never offered a call, even when ready.
func TestUnreachableNeverOffered(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a", "b"))
	h.must(h.e.SetAgentState(at(0), "a", Ready, "login")) // ready, phone not registered
	check(t, "a ready but unreachable", offered(h.enqueue(at(1), "c1", "support", 5)), "")
	check(t, "b comes", offered(h.login(at(2), "b")), "b")

	check(t, "a registers", offered(h.e.SetReachable(at(3), "a", true)), "")
	h.enqueue(at(4), "c2", "support", 5) // to a
	got := acts(h.e.SetReachable(at(5), "a", false))
	check(t, "a unregisters while ringing", got, "cancel c2>a; a ready(unreachable)")
	check(t, "a's state", h.agent("a").State, Ready)
	check(t, "c2 waits for someone reachable", offered(h.talk(at(6), "c1", "b", time.Second)), "b")
}

func TestOverflow(t *testing.T) {
	tests := []struct {
		name     string
		overflow Overflow
		agent    map[string]int // the only agent, logged in from the start
		before   string         // offered at 29s
		after    string         // offered at 30s
	}{
		{"to another queue's agents", Overflow{After: 30 * time.Second, Queue: "general"}, map[string]int{"general": 1}, "", "x"},
		{"to lower skill levels", Overflow{After: 30 * time.Second, MinLevel: 3}, map[string]int{"sales": 3}, "", "x"},
		{"lower level still too high", Overflow{After: 30 * time.Second, MinLevel: 3}, map[string]int{"sales": 2}, "", ""},
		{"to an external uri", Overflow{After: 30 * time.Second, URI: "sip:team@out.example"}, nil, "", "sip:team@out.example"},
		{"the call's own agents at once", Overflow{After: 30 * time.Second, Queue: "general"}, map[string]int{"sales": 5}, "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{
				Queues: []QueueConfig{
					{Name: "sales", Skills: map[string]int{"sales": 5}, JoinEmpty: true, Overflow: []Overflow{tt.overflow}},
					{Name: "general", JoinEmpty: true},
				},
				Agents: []AgentConfig{{ID: "x", Skills: tt.agent}},
			})
			h.login(at(0), "x")
			got := offered(h.enqueue(at(0), "c1", "sales", 5))
			got += offered(h.e.Tick(at(29)))
			check(t, "offered before the step", got, tt.before)
			check(t, "offered at the step", offered(h.e.Tick(at(30))), tt.after)
			wantOverflowed := 0
			if tt.after != "" {
				wantOverflowed = 1
			}
			check(t, "overflowed count", h.queue(at(30), "sales").Overflowed, wantOverflowed)
		})
	}
}

// An external URI is rung alongside an agent already ringing; whichever
// answers first wins.
func TestOverflowURIAlongsideRingingAgent(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{RingTimeout: time.Hour, Overflow: []Overflow{{After: time.Minute, URI: "sip:team@out"}}}, "a"))
	h.login(at(0), "a")
	check(t, "first", offered(h.enqueue(at(0), "c1", "support", 5)), "a")
	check(t, "deadline", func() time.Time { d, _ := h.e.Deadline(); return d }(), at(60))
	check(t, "uri added", offered(h.e.Tick(at(60))), "sip:team@out")
	check(t, "uri answers", acts(h.e.OfferAnswered(at(70), "c1", Target{URI: "sip:team@out"})), "cancel c1>a; a ready(cancelled)")
	q := h.queue(at(70), "support")
	check(t, "answered", q.Answered, 1)
	check(t, "waiting", len(q.Waiting), 0)
	check(t, "call end is harmless", acts(h.e.CallEnded(at(80), "c1")), "")
}

// While the external team rings, the call is not offered to agents; if it
// does not answer, agents get the call again.
func TestOverflowURIFailsBackToAgents(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{Overflow: []Overflow{{After: time.Minute, URI: "sip:team@out"}}}, "a"))
	h.enqueue(at(0), "c1", "support", 5)
	check(t, "uri", offered(h.e.Tick(at(60))), "sip:team@out")
	check(t, "agent logs in while uri rings", offered(h.login(at(61), "a")), "")
	check(t, "uri fails", offered(h.e.OfferFailed(at(75), "c1", Target{URI: "sip:team@out"}, "no_answer")), "a")
}

func TestMaxWait(t *testing.T) {
	opts := func(exit string) Options {
		return Options{
			Queues: []QueueConfig{
				{Name: "sales", JoinEmpty: true, MaxWait: time.Minute, OnMaxWait: Exit{Queue: exit}},
				{Name: "general", JoinEmpty: true},
			},
			Agents: []AgentConfig{{ID: "g", Skills: map[string]int{"general": 1}}},
		}
	}
	t.Run("leave", func(t *testing.T) {
		h := newHarness(t, opts(""))
		h.enqueue(at(0), "c1", "sales", 5)
		check(t, "before", routing(h.e.Tick(at(59))), "")
		check(t, "at max wait", routing(h.e.Tick(at(60))), "exit c1 timeout")
		q := h.queue(at(60), "sales")
		check(t, "timed out", q.TimedOut, 1)
		check(t, "waiting", len(q.Waiting), 0)
		if _, _, ok := h.e.Position(at(60), "c1"); ok {
			t.Errorf("position after exit: got ok, want not found")
		}
	})
	t.Run("move keeps queued time", func(t *testing.T) {
		h := newHarness(t, opts("general"))
		h.enqueue(at(0), "c1", "sales", 5)
		h.enqueue(at(30), "g1", "general", 5)
		check(t, "moved", routing(h.e.Tick(at(60))), "exit c1 timeout>general")
		pos, _, ok := h.e.Position(at(60), "c1")
		check(t, "still waiting", ok, true)
		check(t, "ahead of general's own later call", pos, 1)
		check(t, "service order", serveAll(h, at(70), "g", h.login(at(70), "g")), "c1,g1")
	})
	t.Run("not while ringing", func(t *testing.T) {
		h := newHarness(t, opts(""))
		h.must(h.e.UpsertAgent(at(0), AgentConfig{ID: "s", Skills: map[string]int{"sales": 1}}), nil)
		h.enqueue(at(0), "c1", "sales", 5)
		check(t, "s logs in", offered(h.login(at(50), "s")), "s")
		check(t, "ringing at max wait", routing(h.e.Tick(at(60))), "")
		check(t, "ring fails", routing(h.e.OfferFailed(at(65), "c1", Target{Agent: "s"}, "no_answer")), "exit c1 timeout")
	})
	t.Run("move to a queue refusing joiners leaves", func(t *testing.T) {
		o := opts("general")
		o.Queues[1].JoinEmpty = false
		h := newHarness(t, o)
		h.enqueue(at(0), "c1", "sales", 5)
		check(t, "exit", routing(h.e.Tick(at(60))), "exit c1 timeout")
	})
}

func TestJoinEmpty(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(h *harness)
		wantErr bool
	}{
		{"nobody logged in", func(h *harness) {}, true},
		{"logged in but unreachable", func(h *harness) { h.must(h.e.SetAgentState(at(0), "a", Ready, "")) }, true},
		{"ready", func(h *harness) { h.login(at(0), "a") }, false},
		{"paused counts as logged in", func(h *harness) {
			h.login(at(0), "a")
			h.must(h.e.SetAgentState(at(0), "a", Paused, "lunch"))
		}, false},
		{"logged out again", func(h *harness) {
			h.login(at(0), "a")
			h.must(h.e.SetAgentState(at(0), "a", LoggedOut, "home"))
		}, true},
		{"only another queue's agent", func(h *harness) { h.login(at(0), "other") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{
				Queues: []QueueConfig{{Name: "support"}, {Name: "sales", JoinEmpty: true}},
				Agents: []AgentConfig{
					{ID: "a", Skills: map[string]int{"support": 1}},
					{ID: "other", Skills: map[string]int{"sales": 1}},
				},
			})
			tt.setup(h)
			_, err := h.e.Enqueue(at(1), Call{ID: "c1", Queue: "support"})
			check(t, "refused", errors.Is(err, ErrNoAgents), tt.wantErr)
		})
	}
}

// With LeaveEmpty, waiting calls leave when the last agent who could serve
// them logs out or loses its phone; callbacks and other queues stay.
func TestLeaveEmpty(t *testing.T) {
	for _, how := range []string{"logout", "unreachable"} {
		t.Run(how, func(t *testing.T) {
			h := newHarness(t, Options{
				Queues: []QueueConfig{{Name: "support", JoinEmpty: true, LeaveEmpty: true}, {Name: "sales", JoinEmpty: true}},
				Agents: []AgentConfig{
					{ID: "a", Skills: map[string]int{"support": 1}},
					{ID: "b", Skills: map[string]int{"support": 1}},
				},
			})
			h.login(at(0), "a", "b")
			h.must(h.e.SetAgentState(at(0), "b", Paused, "break"))
			h.enqueue(at(1), "c1", "support", 5) // rings a
			h.enqueue(at(2), "c2", "support", 5)
			h.enqueue(at(3), "c3", "support", 5)
			h.must(h.e.RequestCallback(at(4), "c3", "+441"))
			h.enqueue(at(5), "s1", "sales", 5)
			h.must(h.e.SetAgentState(at(6), "b", LoggedOut, "home"))
			var got []Action
			if how == "logout" {
				got = h.must(h.e.SetAgentState(at(7), "a", LoggedOut, "home"))
			} else {
				got = h.e.SetReachable(at(7), "a", false)
			}
			check(t, "calls leaving", routing(got), "cancel c1>a; exit c1 no_agents; exit c2 no_agents")
			var left []string
			for _, q := range h.e.Snapshot(at(8)).Queues {
				for _, w := range q.Waiting {
					left = append(left, w.Call)
				}
			}
			check(t, "still waiting", strings.Join(left, ","), "s1,c3")
		})
	}
}
