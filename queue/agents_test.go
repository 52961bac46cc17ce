package queue

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Every transition of the agent state machine, in one agent's day, with
// the AgentChanged each step emits.
func TestAgentStateTransitions(t *testing.T) {
	h := newHarness(t, Options{
		Queues:    []QueueConfig{{Name: "support", JoinEmpty: true, WrapUp: 30 * time.Second}},
		Agents:    []AgentConfig{{ID: "a", Skills: map[string]int{"support": 1}}},
		MaxMissed: 2,
	})
	e := h.e
	steps := []struct {
		name string
		do   func() []Action
		want string
	}{
		{"phone registers", func() []Action { return e.SetReachable(at(0), "a", true) }, ""},
		{"logged_out -> ready", func() []Action { return h.must(e.SetAgentState(at(1), "a", Ready, "login")) }, "a ready(login)"},
		{"ready -> paused", func() []Action { return h.must(e.SetAgentState(at(2), "a", Paused, "lunch")) }, "a paused(lunch)"},
		{"paused reason changes", func() []Action { return h.must(e.SetAgentState(at(3), "a", Paused, "meeting")) }, "a paused(meeting)"},
		{"paused -> ready", func() []Action { return h.must(e.SetAgentState(at(4), "a", Ready, "back")) }, "a ready(back)"},
		{"ready again is no change", func() []Action { return h.must(e.SetAgentState(at(4), "a", Ready, "back")) }, ""},
		{"ready -> ringing", func() []Action { return h.enqueue(at(5), "c1", "support", 5) }, "a ringing(offer)"},
		{"ringing -> ready", func() []Action {
			return e.OfferFailed(at(20), "c1", Target{Agent: "a"}, "no_answer")
		}, "a ready(no_answer)"},
		{"rung again after the retry delay, as nobody else is free", func() []Action { return e.Tick(at(25)) }, "a ringing(offer)"},
		{"ringing -> on_call", func() []Action { return e.OfferAnswered(at(22), "c1", Target{Agent: "a"}) }, "a on_call(answered)"},
		{"on_call -> wrap_up", func() []Action { return e.CallEnded(at(100), "c1") }, "a wrap_up(call_ended)"},
		{"wrap-up not over", func() []Action { return e.Tick(at(129)) }, ""},
		{"wrap_up -> ready", func() []Action { return e.Tick(at(130)) }, "a ready(wrap_up_done)"},
		{"missed once", func() []Action {
			h.enqueue(at(131), "c2", "support", 5)
			return append(e.OfferFailed(at(146), "c2", Target{Agent: "a"}, "no_answer"), e.Tick(at(151))...)
		}, "a ready(no_answer); a ringing(offer)"},
		{"ringing -> paused after MaxMissed", func() []Action {
			return e.OfferFailed(at(161), "c2", Target{Agent: "a"}, "no_answer")
		}, "a paused(missed_offers)"},
		{"ready -> reserved", func() []Action {
			h.must(e.RequestCallback(at(162), "c2", "+441"))
			return h.must(e.SetAgentState(at(163), "a", Ready, "back"))
		}, "a ready(back); a reserved(callback)"},
		{"reserved -> ready when the customer does not answer, and reserved again", func() []Action {
			return e.CallbackFailed(at(190), "c2")
		}, "a ready(callback_failed); a reserved(callback)"},
		{"reserved -> ringing", func() []Action { return e.CallbackAnswered(at(200), "c2") }, "a ringing(callback_answered)"},
		{"ringing -> logged_out", func() []Action { return h.must(e.SetAgentState(at(201), "a", LoggedOut, "home")) }, "a logged_out(home)"},
		{"logged_out -> paused (log in paused)", func() []Action { return h.must(e.SetAgentState(at(202), "a", Paused, "training")) }, "a paused(training)"},
		{"paused -> logged_out", func() []Action { return h.must(e.SetAgentState(at(203), "a", LoggedOut, "home")) }, "a logged_out(home)"},
	}
	for _, s := range steps {
		if got := changes(s.do()); got != s.want {
			t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
		}
	}
}

// Requests made while ringing, on a call or in wrap-up wait for it to end.
func TestPendingStateChanges(t *testing.T) {
	type step struct {
		name string
		do   func(h *harness) []Action
		want string // all actions
	}
	answer := func(h *harness) []Action { return h.e.OfferAnswered(at(2), "c1", Target{Agent: "a"}) }
	end := func(h *harness) []Action { return h.e.CallEnded(at(60), "c1") }
	wrapEnds := func(h *harness) []Action { return h.e.Tick(at(90)) }
	set := func(s AgentState, reason string, sec int) func(h *harness) []Action {
		return func(h *harness) []Action { return h.must(h.e.SetAgentState(at(sec), "a", s, reason)) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"pause on a call applies after wrap-up", []step{
			{"answer", answer, "a on_call(answered)"},
			{"pause", set(Paused, "lunch", 10), ""},
			{"end", end, "a wrap_up(call_ended)"},
			{"wrap-up ends", wrapEnds, "a paused(lunch)"},
		}},
		{"log out on a call applies after wrap-up", []step{
			{"answer", answer, "a on_call(answered)"},
			{"log out", set(LoggedOut, "home", 10), ""},
			{"end", end, "a wrap_up(call_ended)"},
			{"log out during wrap-up replaces it", set(LoggedOut, "really home", 70), ""},
			{"wrap-up ends", wrapEnds, "a logged_out(really home)"},
		}},
		{"ready withdraws a pending pause", []step{
			{"answer", answer, "a on_call(answered)"},
			{"pause", set(Paused, "lunch", 10), ""},
			{"ready", set(Ready, "never mind", 11), ""},
			{"end", end, "a wrap_up(call_ended)"},
			{"wrap-up ends", wrapEnds, "a ready(wrap_up_done)"},
		}},
		{"ready during wrap-up ends it early", []step{
			{"answer", answer, "a on_call(answered)"},
			{"end", end, "a wrap_up(call_ended)"},
			{"ready", set(Ready, "done", 65), "a ready(done)"},
			{"old wrap-up timer does nothing", wrapEnds, ""},
		}},
		{"pause while ringing applies when the ring fails; the call moves on", []step{
			{"pause", set(Paused, "lunch", 1), ""},
			{"ring fails", func(h *harness) []Action {
				return h.e.OfferFailed(at(16), "c1", Target{Agent: "a"}, "no_answer")
			}, "a paused(lunch); b ringing(offer); offer c1>b"},
		}},
		{"pause while ringing survives the answer", []step{
			{"pause", set(Paused, "lunch", 1), ""},
			{"answer", answer, "a on_call(answered)"},
			{"end", end, "a wrap_up(call_ended)"},
			{"wrap-up ends", wrapEnds, "a paused(lunch)"},
		}},
		{"log out while ringing cancels the offer at once", []step{
			{"log out", set(LoggedOut, "home", 1), "cancel c1>a; a logged_out(home); b ringing(offer); offer c1>b"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, oneQueue(QueueConfig{WrapUp: 30 * time.Second}, "a", "b"))
			h.login(at(0), "a")
			h.enqueue(at(0), "c1", "support", 5) // rings a
			h.login(at(0), "b")
			for _, s := range tt.steps {
				if got := acts(s.do(h)); got != s.want {
					t.Fatalf("%s: got %v, want %v", s.name, got, s.want)
				}
			}
		})
	}
}

func TestAutoPause(t *testing.T) {
	tests := []struct {
		name      string
		maxMissed int
		results   []string // what each offer to a does
		wantState AgentState
		wantMiss  int
	}{
		{"two misses in a row", 2, []string{"no_answer", "no_answer"}, Paused, 2},
		{"busy and declined count", 2, []string{"busy", "declined"}, Paused, 2},
		{"an answer resets the count", 2, []string{"no_answer", "answered", "no_answer"}, Ringing, 1},
		{"errors count too", 2, []string{"error", "error"}, Paused, 2},
		{"0 never pauses", 0, []string{"no_answer", "no_answer", "no_answer", "no_answer"}, Ringing, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := oneQueue(QueueConfig{}, "a")
			opts.MaxMissed = tt.maxMissed
			h := newHarness(t, opts)
			h.login(at(0), "a")
			n := 1
			h.enqueue(at(0), "c1", "support", 5)
			for i, r := range tt.results {
				now := at(15 * (i + 1))
				call := fmt.Sprintf("c%d", n)
				if r == "answered" {
					h.talk(now, call, "a", time.Second)
					n++
					h.enqueue(now.Add(2*time.Second), fmt.Sprintf("c%d", n), "support", 5)
					continue
				}
				h.e.OfferFailed(now, call, Target{Agent: "a"}, r)
				h.e.Tick(now.Add(DefaultRetryDelay)) // a alone: rung again after the delay
			}
			a := h.agent("a")
			check(t, "state", a.State, tt.wantState)
			check(t, "missed", a.Missed, tt.wantMiss)
			if tt.wantState == Paused {
				check(t, "reason", a.Reason, ReasonMissedOffers)
				got := changes(h.must(h.e.SetAgentState(at(100), "a", Ready, "back")))
				check(t, "back from auto-pause", got, "a ready(back); a ringing(offer)")
				check(t, "missed after coming back", h.agent("a").Missed, 0)
			}
		})
	}
}

// Wrap-up is the ended call's queue's, and an agent in wrap-up is not
// offered calls.
func TestWrapUpPerQueue(t *testing.T) {
	h := newHarness(t, Options{
		Queues: []QueueConfig{
			{Name: "sales", JoinEmpty: true, WrapUp: 30 * time.Second},
			{Name: "support", JoinEmpty: true},
		},
		Agents: []AgentConfig{{ID: "a", Skills: map[string]int{"sales": 1, "support": 1}}},
	})
	h.login(at(0), "a")
	h.enqueue(at(0), "s1", "sales", 5)
	h.e.OfferAnswered(at(1), "s1", Target{Agent: "a"})
	h.enqueue(at(2), "p1", "support", 5)
	check(t, "sales call ends", acts(h.e.CallEnded(at(10), "s1")), "a wrap_up(call_ended)")
	d, ok := h.e.Deadline()
	check(t, "deadline set", ok, true)
	check(t, "deadline", d, at(40))
	check(t, "during wrap-up", acts(h.e.Tick(at(39))), "")
	check(t, "wrap-up ends", acts(h.e.Tick(at(40))), "a ready(wrap_up_done); a ringing(offer); offer p1>a")
	h.e.OfferAnswered(at(41), "p1", Target{Agent: "a"})
	check(t, "support call ends", acts(h.e.CallEnded(at(50), "p1")), "a ready(call_ended)")
	if _, ok := h.e.Deadline(); ok {
		t.Errorf("deadline with nothing to do: got set, want none")
	}
}

func TestUpsertAgent(t *testing.T) {
	h := newHarness(t, Options{Queues: []QueueConfig{{Name: "sales", JoinEmpty: true}, {Name: "support", JoinEmpty: true}}})
	check(t, "new agent", acts(h.e.UpsertAgent(at(0), AgentConfig{ID: "a", Name: "Ann", Skills: map[string]int{"sales": 1}})), "")
	a := h.agent("a")
	check(t, "starts logged out", a.State, LoggedOut)
	check(t, "starts unreachable", a.Reachable, false)
	h.login(at(1), "a")
	h.enqueue(at(2), "p1", "support", 5)
	got := acts(h.e.UpsertAgent(at(3), AgentConfig{ID: "a", Name: "Ann", Skills: map[string]int{"sales": 1, "support": 2}}))
	check(t, "gaining a skill routes the waiting call", got, "a ringing(offer); offer p1>a")
	check(t, "state kept through a skill change", changes(h.e.UpsertAgent(at(4), AgentConfig{ID: "a", Skills: map[string]int{"support": 3}})), "")
	check(t, "skills", h.agent("a").Skills["support"], 3)
	h.e.UpsertAgent(at(5), AgentConfig{ID: "b", Skills: map[string]int{"sales": 0, "support": 42}})
	b := h.agent("b").Skills
	check(t, "level 0 dropped", len(b), 1)
	check(t, "level 42 capped", b["support"], MaxSkillLevel)
}

func TestRemoveAgent(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a", "b", "c"))
	h.login(at(0), "a", "b")
	h.enqueue(at(1), "c1", "support", 5) // rings a
	got, err := h.e.RemoveAgent(at(2), "a")
	check(t, "error", err, nil)
	check(t, "remove while ringing", acts(got), "cancel c1>a; a logged_out(removed); b ringing(offer); offer c1>b")
	if _, err := h.e.RemoveAgent(at(3), "a"); !errors.Is(err, ErrUnknownAgent) {
		t.Errorf("remove twice: got %v, want ErrUnknownAgent", err)
	}
	h.e.OfferAnswered(at(4), "c1", Target{Agent: "b"})
	h.must(h.e.RemoveAgent(at(5), "b"))
	check(t, "call of a removed agent ends quietly", acts(h.e.CallEnded(at(6), "c1")), "")
	ids := []string{}
	for _, a := range h.e.Snapshot(at(7)).Agents {
		ids = append(ids, a.ID)
	}
	check(t, "agents left", strings.Join(ids, ","), "c")
	check(t, "answered still counted", h.queue(at(7), "support").Answered, 1)
}

func TestAgentErrors(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	tests := []struct {
		name    string
		err     error
		want    error
		wantMsg string
	}{
		{"unknown agent", func() error { _, err := h.e.SetAgentState(at(0), "zed", Ready, ""); return err }(), ErrUnknownAgent, "set agent zed state: unknown agent"},
		{"state not requestable", func() error { _, err := h.e.SetAgentState(at(0), "a", OnCall, ""); return err }(), ErrInvalid, ""},
		{"remove unknown", func() error { _, err := h.e.RemoveAgent(at(0), "zed"); return err }(), ErrUnknownAgent, "remove agent zed: unknown agent"},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.err, tt.want)
		}
		if tt.wantMsg != "" && tt.err.Error() != tt.wantMsg {
			t.Errorf("%s message: got %v, want %v", tt.name, tt.err, tt.wantMsg)
		}
	}
	check(t, "unknown agent reachability ignored", acts(h.e.SetReachable(at(0), "zed", true)), "")
}
