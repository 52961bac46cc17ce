package queue

import (
	"strings"
	"testing"
	"time"
)

func TestSnapshot(t *testing.T) {
	h := newHarness(t, Options{
		Queues: []QueueConfig{
			{Name: "support", JoinEmpty: true, ServiceLevel: 20 * time.Second, ServiceLevelPct: 0.9},
			{Name: "sales", JoinEmpty: true},
		},
		Agents: []AgentConfig{
			{ID: "b", Name: "Bea", Skills: map[string]int{"support": 2}},
			{ID: "a", Name: "Al", Skills: map[string]int{"support": 1, "sales": 1}},
			{ID: "c", Skills: map[string]int{"sales": 1}},
		},
	})
	h.login(at(0), "a", "b")
	// Answered within 20s, answered after 20s (25s), abandoned after 20s,
	// abandoned within 20s: SL = 1 / (2 answered + 1 abandoned late).
	h.enqueue(at(0), "in", "support", 5) // rings a
	h.e.OfferAnswered(at(10), "in", Target{Agent: "a"})
	h.enqueue(at(0), "late", "support", 5) // rings b
	h.e.OfferFailed(at(15), "late", Target{Agent: "b"}, "no_answer")
	h.e.Tick(at(20)) // b is rung again after the retry delay (a is busy)
	h.e.OfferAnswered(at(25), "late", Target{Agent: "b"})
	h.enqueue(at(30), "gone", "support", 5)
	h.e.Abandon(at(60), "gone")
	h.enqueue(at(61), "quick", "support", 5)
	h.e.Abandon(at(65), "quick")
	// Waiting: w1, then w2 which asked for a callback; sales call s1.
	h.enqueue(at(70), "w1", "support", 5)
	h.enqueue(at(80), "w2", "support", 5)
	h.must(h.e.RequestCallback(at(85), "w2", "+4471"))
	h.enqueue(at(90), "s1", "sales", 2)
	h.must(h.e.SetAgentState(at(95), "c", Paused, "training"))
	h.e.SetReachable(at(95), "c", true)

	snap := h.e.Snapshot(at(100))
	if len(snap.Queues) != 2 || snap.Queues[0].Name != "sales" || snap.Queues[1].Name != "support" {
		t.Fatalf("queues: got %+v, want sales then support", snap.Queues)
	}
	sup := snap.Queues[1]
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"answered", sup.Answered, 2},
		{"answered in SL", sup.AnsweredInSL, 1},
		{"abandoned", sup.Abandoned, 2},
		{"callbacks", sup.Callbacks, 1},
		{"service level", sup.ServiceLevel, 1.0 / 3},
		{"target", sup.ServiceLevelTarget, 20 * time.Second},
		{"target pct", sup.ServiceLevelPct, 0.9},
		{"longest wait", sup.LongestWait, 30 * time.Second},
		{"on call", sup.AgentsByState[OnCall], 2},
		{"logged out", sup.AgentsByState[LoggedOut], 0},
		{"waiting", len(sup.Waiting), 2},
		{"sales paused", snap.Queues[0].AgentsByState[Paused], 1},
		{"sales on call", snap.Queues[0].AgentsByState[OnCall], 1},
		{"sales default SL", snap.Queues[0].ServiceLevel, 1.0},
		{"sales default target", snap.Queues[0].ServiceLevelTarget, DefaultServiceLevel},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	w := sup.Waiting
	if len(w) == 2 {
		check(t, "first waiting", w[0].Call, "w1")
		check(t, "first position", w[0].Position, 1)
		check(t, "first waited", w[0].Waited, 30*time.Second)
		check(t, "first customer", w[0].Customer, "+44w1")
		check(t, "second waiting", w[1].Call, "w2")
		check(t, "second is a callback", w[1].Callback, true)
	}
	s1 := snap.Queues[0].Waiting
	if len(s1) == 1 {
		check(t, "sales priority", s1[0].Priority, 2)
	}

	var ids []string
	for _, a := range snap.Agents {
		ids = append(ids, a.ID)
	}
	check(t, "agents sorted", strings.Join(ids, ","), "a,b,c")
	a, b, c := snap.Agents[0], snap.Agents[1], snap.Agents[2]
	check(t, "a state", a.State, OnCall)
	check(t, "a name", a.Name, "Al")
	check(t, "a current call", a.CurrentCall, "in")
	check(t, "a calls", a.Calls, 1)
	check(t, "a since", a.Since, at(10))
	check(t, "b missed reset by answer", b.Missed, 0)
	check(t, "b current call", b.CurrentCall, "late")
	check(t, "c state", c.State, Paused)
	check(t, "c reason", c.Reason, "training")
	check(t, "c reachable", c.Reachable, true)
	check(t, "c skill", c.Skills["sales"], 1)

	// Snapshots are copies.
	c.Skills["sales"] = 9
	check(t, "skills copied", h.agent("c").Skills["sales"], 1)
}

// The snapshot shows what a waiting call is ringing.
func TestSnapshotOffered(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{Strategy: RingAll}, "a", "b"))
	h.login(at(0), "a", "b")
	h.enqueue(at(1), "c1", "support", 5)
	q := h.queue(at(2), "support")
	if len(q.Waiting) != 1 {
		t.Fatalf("waiting: got %d, want 1", len(q.Waiting))
	}
	check(t, "offered", strings.Join(q.Waiting[0].Offered, ","), "a,b")
	check(t, "pending shown", func() AgentState {
		h.must(h.e.SetAgentState(at(3), "a", Paused, "lunch"))
		return h.agent("a").Pending
	}(), Paused)
}
