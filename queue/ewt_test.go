package queue

import (
	"fmt"
	"testing"
	"time"
)

func TestPositionAndEWT(t *testing.T) {
	type want struct {
		call string
		pos  int
		ewt  time.Duration
	}
	min := time.Minute
	tests := []struct {
		name  string
		queue QueueConfig
		setup func(h *harness) time.Time // returns now
		want  []want
	}{
		{
			// Both agents started calls at 0 and take the default 3m.
			name:  "pos 3 with 2 agents waits a second round; pos 1 and 2 the first",
			queue: QueueConfig{},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a", "b")
				h.enqueue(at(0), "x", "support", 5)
				h.enqueue(at(0), "y", "support", 5)
				h.e.OfferAnswered(at(0), "x", Target{Agent: "a"})
				h.e.OfferAnswered(at(0), "y", Target{Agent: "b"})
				for i := 1; i <= 3; i++ {
					h.enqueue(at(i), fmt.Sprintf("c%d", i), "support", 5)
				}
				return at(60)
			},
			want: []want{{"c1", 1, 2 * min}, {"c2", 2, 2 * min}, {"c3", 3, 5 * min}},
		},
		{
			// a's calls take 1m, b's 5m: a frees up first and keeps taking
			// the next call until b is due.
			name:  "per-agent handle times",
			queue: QueueConfig{},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a", "b")
				h.enqueue(at(0), "x", "support", 5)
				h.enqueue(at(0), "y", "support", 5)
				h.talk(at(0), "x", "a", min)
				h.talk(at(0), "y", "b", 5*min)
				h.enqueue(at(400), "x2", "support", 5)
				h.enqueue(at(400), "y2", "support", 5)
				h.e.OfferAnswered(at(400), "x2", Target{Agent: "a"}) // idle since 60, before b
				h.e.OfferAnswered(at(400), "y2", Target{Agent: "b"})
				for i := 1; i <= 5; i++ {
					h.enqueue(at(400), fmt.Sprintf("c%d", i), "support", 5)
				}
				return at(400)
			},
			want: []want{{"c1", 1, min}, {"c2", 2, 2 * min}, {"c3", 3, 3 * min}, {"c4", 4, 4 * min}, {"c5", 5, 5 * min}},
		},
		{
			name:  "wrap-up adds to every round",
			queue: QueueConfig{WrapUp: 30 * time.Second},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a")
				h.enqueue(at(0), "x", "support", 5)
				h.e.OfferAnswered(at(0), "x", Target{Agent: "a"})
				h.enqueue(at(1), "c1", "support", 5)
				h.enqueue(at(2), "c2", "support", 5)
				return at(0)
			},
			want: []want{{"c1", 1, 3*min + 30*time.Second}, {"c2", 2, 7 * min}},
		},
		{
			name:  "an agent in wrap-up is free when it ends",
			queue: QueueConfig{WrapUp: 30 * time.Second},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a")
				h.enqueue(at(0), "x", "support", 5)
				h.e.OfferAnswered(at(0), "x", Target{Agent: "a"})
				h.e.CallEnded(at(60), "x")
				h.enqueue(at(61), "c1", "support", 5)
				return at(70)
			},
			want: []want{{"c1", 1, 20 * time.Second}},
		},
		{
			name:  "no agents: position known, wait unknown (0)",
			queue: QueueConfig{},
			setup: func(h *harness) time.Time {
				h.enqueue(at(0), "c1", "support", 5)
				h.enqueue(at(1), "c2", "support", 5)
				return at(5)
			},
			want: []want{{"c1", 1, 0}, {"c2", 2, 0}},
		},
		{
			name:  "paused agents and pending pauses do not count",
			queue: QueueConfig{},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a", "b")
				h.must(h.e.SetAgentState(at(0), "b", Paused, "lunch"))
				h.enqueue(at(0), "x", "support", 5)
				h.e.OfferAnswered(at(0), "x", Target{Agent: "a"})
				h.must(h.e.SetAgentState(at(0), "a", Paused, "lunch")) // after this call
				h.enqueue(at(1), "c1", "support", 5)
				return at(5)
			},
			want: []want{{"c1", 1, 0}},
		},
		{
			name:  "a ringing call is ahead but has its agent",
			queue: QueueConfig{},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a", "b")
				h.enqueue(at(0), "x", "support", 5)
				h.e.OfferAnswered(at(0), "x", Target{Agent: "a"})
				h.enqueue(at(1), "r", "support", 5) // rings b
				h.enqueue(at(2), "c1", "support", 5)
				return at(60)
			},
			// a frees at 180; b, once it takes r, at 60+180.
			want: []want{{"r", 1, 0}, {"c1", 2, 2 * min}},
		},
		{
			name:  "a ringing agent's wrap-up counts too",
			queue: QueueConfig{WrapUp: 30 * time.Second},
			setup: func(h *harness) time.Time {
				h.login(at(0), "a", "b")
				h.enqueue(at(0), "x", "support", 5)
				h.e.OfferAnswered(at(0), "x", Target{Agent: "a"})
				h.enqueue(at(1), "r", "support", 5) // rings b
				h.enqueue(at(2), "c1", "support", 5)
				h.enqueue(at(3), "c2", "support", 5)
				return at(60)
			},
			// a frees at 180+30, then 420; b at 60+180+30 = 270.
			want: []want{{"r", 1, 0}, {"c1", 2, 150 * time.Second}, {"c2", 3, 210 * time.Second}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, oneQueue(tt.queue, "a", "b"))
			now := tt.setup(h)
			snap := h.queue(now, "support")
			for i, w := range tt.want {
				pos, ewt, ok := h.e.Position(now, w.call)
				if !ok {
					t.Fatalf("%s: got not queued, want queued", w.call)
				}
				if pos != w.pos || ewt != w.ewt {
					t.Errorf("%s: got pos %d ewt %v, want pos %d ewt %v", w.call, pos, ewt, w.pos, w.ewt)
				}
				if i < len(snap.Waiting) {
					s := snap.Waiting[i]
					if s.Call != w.call || s.Position != w.pos || s.EWT != w.ewt {
						t.Errorf("snapshot %d: got %s pos %d ewt %v, want %s pos %d ewt %v", i, s.Call, s.Position, s.EWT, w.call, w.pos, w.ewt)
					}
				}
			}
		})
	}
}

func TestPositionUnknownCall(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	if pos, ewt, ok := h.e.Position(at(0), "nope"); ok || pos != 0 || ewt != 0 {
		t.Errorf("got %d %v %v, want 0 0 false", pos, ewt, ok)
	}
}

// Position counts only the call's own queue, in service order.
func TestPositionIsPerQueue(t *testing.T) {
	h := newHarness(t, Options{Queues: []QueueConfig{{Name: "sales", JoinEmpty: true}, {Name: "support", JoinEmpty: true}}})
	h.enqueue(at(0), "s1", "sales", 5)
	h.enqueue(at(1), "p1", "support", 5)
	h.enqueue(at(2), "p2", "support", 1)
	for _, tt := range []struct {
		call string
		want int
	}{{"s1", 1}, {"p1", 2}, {"p2", 1}} {
		pos, _, _ := h.e.Position(at(3), tt.call)
		check(t, tt.call, pos, tt.want)
	}
}
