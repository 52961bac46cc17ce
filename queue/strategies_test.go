package queue

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each strategy picks among several free agents. Calls arrive one at a
// time from t=100s; each is answered by the first agent offered and ends a
// second later, so that agent is free again for the next.
func TestStrategies(t *testing.T) {
	tests := []struct {
		name     string
		strategy Strategy
		prep     func(h *harness)
		calls    int
		want     []string
	}{
		{
			name: "longest-idle by login time", strategy: LongestIdle,
			prep:  func(h *harness) { h.login(at(0), "c"); h.login(at(1), "a"); h.login(at(2), "b") },
			calls: 3, want: []string{"c", "a", "b"},
		},
		{
			name: "empty strategy is longest-idle", strategy: "",
			prep:  func(h *harness) { h.login(at(0), "b"); h.login(at(1), "a") },
			calls: 2, want: []string{"b", "a"},
		},
		{
			name: "longest-idle counts from the last call's end", strategy: LongestIdle,
			prep: func(h *harness) {
				h.login(at(0), "a", "b", "c")
				h.enqueue(at(3), "x", "support", 5) // to a, idle longest
				h.talk(at(3), "x", "a", 47*time.Second)
			},
			calls: 3, want: []string{"b", "c", "a"},
		},
		{
			name: "fewest-calls, ties to longest idle", strategy: FewestCalls,
			prep: func(h *harness) {
				h.login(at(0), "a", "b", "c")
				h.enqueue(at(3), "x1", "support", 5) // all at 0 calls: a
				h.talk(at(3), "x1", "a", time.Second)
				h.enqueue(at(5), "x2", "support", 5) // b and c at 0: b idle longer
				h.talk(at(5), "x2", "b", time.Second)
			},
			calls: 3, want: []string{"c", "a", "b"},
		},
		{
			name: "round-robin over ids, not idle time", strategy: RoundRobin,
			prep:  func(h *harness) { h.login(at(0), "c"); h.login(at(1), "b"); h.login(at(2), "a") },
			calls: 4, want: []string{"a", "b", "c", "a"},
		},
		{
			name: "ring-all rings every free agent, longest idle first", strategy: RingAll,
			prep:  func(h *harness) { h.login(at(0), "b"); h.login(at(1), "c"); h.login(at(2), "a") },
			calls: 2, want: []string{"b,c,a", "c,a,b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, oneQueue(QueueConfig{Strategy: tt.strategy}, "a", "b", "c"))
			tt.prep(h)
			for i := range tt.calls {
				now := at(100 + 10*i)
				id := fmt.Sprintf("c%d", i)
				as := h.enqueue(now, id, "support", 5)
				got := offered(as)
				if got != tt.want[i] {
					t.Fatalf("call %d offered: got %v, want %v", i, got, tt.want[i])
				}
				var first string
				for _, a := range as {
					if o, ok := a.(Offer); ok {
						first = o.Target.Agent
						break
					}
				}
				h.talk(now, id, first, time.Second)
			}
		})
	}
}

// Ring-all: the first answer wins and the others stop ringing and are
// free again at once, without a miss.
func TestRingAllFirstAnswerCancelsOthers(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{Strategy: RingAll}, "a", "b", "c"))
	h.login(at(0), "a", "b", "c")
	h.enqueue(at(1), "c1", "support", 5)
	got := acts(h.e.OfferAnswered(at(2), "c1", Target{Agent: "b"}))
	want := "b on_call(answered); cancel c1>a; a ready(cancelled); cancel c1>c; c ready(cancelled)"
	check(t, "answer", got, want)
	check(t, "a missed", h.agent("a").Missed, 0)
	check(t, "next call offered", offered(h.enqueue(at(3), "c2", "support", 5)), "a,c")
}

// Ring-all: when everyone rang out, the call rings everyone again.
func TestRingAllAllFailedStartsOver(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{Strategy: RingAll}, "a", "b"))
	h.login(at(0), "a", "b")
	h.enqueue(at(1), "c1", "support", 5)
	check(t, "a fails", routing(h.e.OfferFailed(at(16), "c1", Target{Agent: "a"}, "no_answer")), "")
	check(t, "b fails", offered(h.e.OfferFailed(at(16), "c1", Target{Agent: "b"}, "no_answer")), "")
	check(t, "before the retry delay", offered(h.e.Tick(at(20))), "")
	check(t, "after the retry delay", offered(h.e.Tick(at(21))), "a,b")
}

// Skill-sparing keeps agents who can serve other queues for them.
func TestSkillSparing(t *testing.T) {
	opts := Options{
		Queues: []QueueConfig{
			{Name: "sales", Strategy: SkillSparing, JoinEmpty: true},
			{Name: "support", JoinEmpty: true, RingTimeout: time.Minute},
			{Name: "billing", JoinEmpty: true},
		},
		Agents: []AgentConfig{
			{ID: "x", Skills: map[string]int{"sales": 1}},
			{ID: "y", Skills: map[string]int{"sales": 1, "support": 1}},
			{ID: "z", Skills: map[string]int{"sales": 1, "billing": 1}},
			{ID: "w", Skills: map[string]int{"support": 1}},
		},
	}
	tests := []struct {
		name  string
		setup func(h *harness)
		want  string
	}{
		{
			name:  "single-skilled before multi-skilled, though idle less",
			setup: func(h *harness) { h.login(at(0), "y"); h.login(at(1), "x") },
			want:  "x",
		},
		{
			name: "the agent whose other queue has calls is spared",
			setup: func(h *harness) {
				h.login(at(0), "w")
				h.enqueue(at(1), "s1", "support", 5) // rings w: y may be needed if w fails
				h.login(at(2), "y")
				h.login(at(3), "z")
			},
			want: "z",
		},
		{
			name:  "equally needed: longest idle",
			setup: func(h *harness) { h.login(at(0), "z"); h.login(at(1), "y") },
			want:  "z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, opts)
			tt.setup(h)
			check(t, "offered", offered(h.enqueue(at(10), "c1", "sales", 5)), tt.want)
		})
	}
}

// A call is not offered to the same agent twice in a row while someone
// else eligible is free; once all have failed it, it starts over after
// RetryDelay (or at once when that is negative).
func TestNoSameAgentTwiceInARow(t *testing.T) {
	type step struct {
		do   func(h *harness) []Action
		want string // offered
	}
	fail := func(sec int, agent string) func(h *harness) []Action {
		return func(h *harness) []Action {
			return h.e.OfferFailed(at(sec), "c1", Target{Agent: agent}, "no_answer")
		}
	}
	tick := func(sec int) func(h *harness) []Action { return func(h *harness) []Action { return h.e.Tick(at(sec)) } }
	pauseB := func(h *harness) []Action { return h.must(h.e.SetAgentState(at(40), "b", Paused, "break")) }
	tests := []struct {
		name  string
		delay time.Duration
		steps []step
	}{
		{"retry after the delay", 0, []step{
			{fail(17, "a"), "b"}, // a is free and idle longest, but b has not tried
			{fail(32, "b"), ""},  // both failed: wait
			{tick(36), ""},
			{tick(37), "a"}, // start over, longest idle first
			{pauseB, ""},
			{fail(52, "a"), ""}, // only a is free
			{tick(57), "a"},
		}},
		{"retry at once", -1, []step{
			{fail(17, "a"), "b"},
			{fail(32, "b"), "a"},
			{pauseB, ""},
			{fail(52, "a"), "a"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := oneQueue(QueueConfig{}, "a", "b")
			opts.RetryDelay = tt.delay
			h := newHarness(t, opts)
			h.login(at(0), "a")
			h.login(at(1), "b")
			check(t, "first offer", offered(h.enqueue(at(2), "c1", "support", 5)), "a")
			for i, s := range tt.steps {
				if got := offered(s.do(h)); got != s.want {
					t.Fatalf("step %d: got %v, want %v", i, got, s.want)
				}
			}
		})
	}
}

// While a call waits to be retried, the agent who just failed it takes the
// next call rather than idle.
func TestFailedAgentTakesNextCall(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	h.login(at(0), "a")
	h.enqueue(at(1), "c1", "support", 5)
	h.enqueue(at(2), "c2", "support", 5)
	check(t, "a misses c1", routing(h.e.OfferFailed(at(16), "c1", Target{Agent: "a"}, "no_answer")), "offer c2>a")
	pos, _, _ := h.e.Position(at(17), "c1")
	check(t, "c1 keeps its place", pos, 1)
	check(t, "retry due while a is busy", routing(h.e.Tick(at(21))), "")
	check(t, "a answers c2 and is free again", routing(h.talk(at(17), "c2", "a", time.Minute)), "offer c1>a")
}

// Ring-all rings at most RingAllMax phones, the longest idle first.
func TestRingAllRingsAtMostTheLongestIdle(t *testing.T) {
	var ids []string
	for i := range RingAllMax + 10 {
		ids = append(ids, fmt.Sprintf("a%03d", i))
	}
	h := newHarness(t, oneQueue(QueueConfig{Strategy: RingAll}, ids...))
	// Logged in one second apart, in reverse: the last id is idle longest.
	for i := range ids {
		h.login(at(i), ids[len(ids)-1-i])
	}
	got := strings.Split(offered(h.enqueue(at(len(ids)+1), "c1", "support", 5)), ",")
	if len(got) != RingAllMax {
		t.Fatalf("phones rung: got %d, want %d", len(got), RingAllMax)
	}
	if got[0] != ids[len(ids)-1] || got[RingAllMax-1] != ids[10] {
		t.Errorf("rung: first %s last %s, want %s (idle longest) to %s", got[0], got[RingAllMax-1], ids[len(ids)-1], ids[10])
	}
}
