package queue

import (
	"errors"
	"testing"
	"time"
)

// A callback requested at position 2 keeps its place: it is served after
// position 1 and before later calls, by reserving an agent and dialling the
// customer first, then ringing that agent.
func TestCallbackKeepsPlace(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	h.login(at(0), "a")
	h.enqueue(at(0), "c0", "support", 5) // a takes it
	h.e.OfferAnswered(at(1), "c0", Target{Agent: "a"})
	h.enqueue(at(2), "c1", "support", 5)
	h.enqueue(at(3), "c2", "support", 5)
	h.enqueue(at(4), "c3", "support", 5)
	pos, _, _ := h.e.Position(at(5), "c2")
	check(t, "position before", pos, 2)
	check(t, "request", acts(h.must(h.e.RequestCallback(at(5), "c2", "+4471"))), "")
	pos, _, ok := h.e.Position(at(6), "c2")
	check(t, "still queued", ok, true)
	check(t, "position kept", pos, 2)

	check(t, "a frees up: position 1 first", routing(h.e.CallEnded(at(10), "c0")), "offer c1>a")
	h.e.OfferAnswered(at(11), "c1", Target{Agent: "a"})
	check(t, "then the callback reserves a", acts(h.e.CallEnded(at(20), "c1")), "a ready(call_ended); a reserved(callback); callback c2>a +4471")
	check(t, "customer answers: ring a", acts(h.e.CallbackAnswered(at(30), "c2")), "a ringing(callback_answered); offer c2>a")
	check(t, "a answers", acts(h.e.OfferAnswered(at(31), "c2", Target{Agent: "a"})), "a on_call(answered)")
	check(t, "c3 after", routing(h.e.CallEnded(at(40), "c2")), "offer c3>a")
	q := h.queue(at(41), "support")
	check(t, "callbacks counted", q.Callbacks, 1)
	check(t, "answered", q.Answered, 3)
}

// A failed callback goes back to the front of its class, ahead of calls
// queued before it; after CallbackRetries dials it ends.
func TestCallbackFailure(t *testing.T) {
	opts := oneQueue(QueueConfig{}, "a", "b")
	opts.MaxMissed = 1
	opts.CallbackRetries = 2
	h := newHarness(t, opts)
	h.enqueue(at(0), "c0", "support", 5)
	h.enqueue(at(1), "c1", "support", 5)
	h.must(h.e.RequestCallback(at(2), "c1", "+4471"))
	check(t, "b takes c0", routing(h.login(at(3), "b")), "offer c0>b")
	check(t, "a is reserved for c1", routing(h.login(at(4), "a")), "callback c1>a +4471")
	check(t, "b misses c0 and is paused", changes(h.e.OfferFailed(at(18), "c0", Target{Agent: "b"}, "no_answer")), "b paused(missed_offers)")

	got := acts(h.e.CallbackFailed(at(30), "c1"))
	check(t, "first failure: c1 at the front, before c0", got, "a ready(callback_failed); a reserved(callback); callback c1>a +4471")
	pos, _, _ := h.e.Position(at(31), "c0")
	check(t, "c0 behind", pos, 2)

	got = acts(h.e.CallbackFailed(at(60), "c1"))
	check(t, "retries exhausted", got, "a ready(callback_failed); exit c1 callback_failed; a ringing(offer); offer c0>a")
	if _, _, ok := h.e.Position(at(61), "c1"); ok {
		t.Errorf("c1 after giving up: got queued, want gone")
	}
}

// A callback retry waits CallbackRetryDelay, keeping its place meanwhile.
func TestCallbackRetryDelay(t *testing.T) {
	opts := oneQueue(QueueConfig{}, "a")
	opts.CallbackRetryDelay = 2 * time.Minute
	h := newHarness(t, opts)
	h.enqueue(at(0), "c1", "support", 5)
	h.must(h.e.RequestCallback(at(1), "c1", "+4471"))
	h.login(at(2), "a")
	check(t, "customer misses it", acts(h.e.CallbackFailed(at(30), "c1")), "a ready(callback_failed)")
	check(t, "a later call is served meanwhile", routing(h.enqueue(at(31), "c2", "support", 5)), "offer c2>a")
	d, _ := h.e.Deadline()
	check(t, "deadline", d, at(150))
	pos, _, _ := h.e.Position(at(32), "c1")
	check(t, "place kept", pos, 1)
	h.talk(at(32), "c2", "a", time.Minute) // ends at 92
	check(t, "not before the delay", routing(h.e.Tick(at(149))), "")
	check(t, "retried", routing(h.e.Tick(at(150))), "callback c1>a +4471")
}

// If the reserved agent goes away while the customer is dialled, the
// answered customer goes to whoever is free next.
func TestCallbackAgentGone(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a", "b"))
	h.enqueue(at(0), "c1", "support", 5)
	h.must(h.e.RequestCallback(at(1), "c1", "+4471"))
	h.login(at(2), "a")
	check(t, "a logs out while reserved", acts(h.must(h.e.SetAgentState(at(3), "a", LoggedOut, "home"))), "a logged_out(home)")
	check(t, "customer answers, nobody free", acts(h.e.CallbackAnswered(at(10), "c1")), "")
	check(t, "b logs in", routing(h.login(at(11), "b")), "offer c1>b")
}

// A caller who asks for a callback while an agent's phone rings stops the
// ringing; the agent is free and may be reserved for the same call.
func TestCallbackWhileRinging(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	h.login(at(0), "a")
	h.enqueue(at(1), "c1", "support", 5)
	got := acts(h.must(h.e.RequestCallback(at(2), "c1", "+4471")))
	check(t, "request", got, "cancel c1>a; a ready(callback); a reserved(callback); callback c1>a +4471")
	check(t, "no miss", h.agent("a").Missed, 0)
}

func TestCallbackErrors(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	h.enqueue(at(0), "c1", "support", 5)
	tests := []struct {
		name string
		call string
		num  string
		want error
	}{
		{"unknown call", "zz", "+44", ErrUnknownCall},
		{"no number", "c1", "", ErrInvalid},
		{"first request", "c1", "+44", nil},
		{"twice", "c1", "+44", ErrInvalid},
	}
	for _, tt := range tests {
		_, err := h.e.RequestCallback(at(1), tt.call, tt.num)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	check(t, "answered without a dial is ignored", acts(h.e.CallbackAnswered(at(2), "c1")), "")
	check(t, "failed without a dial is ignored", acts(h.e.CallbackFailed(at(2), "c1")), "")
}

// Dropping a pending callback (its caller is not on the line) is not an
// abandoned call.
func TestCallbackAbandonNotCounted(t *testing.T) {
	h := newHarness(t, oneQueue(QueueConfig{}, "a"))
	h.enqueue(at(0), "c1", "support", 5)
	h.must(h.e.RequestCallback(at(1), "c1", "+4471"))
	h.e.Abandon(at(2), "c1")
	check(t, "abandoned", h.queue(at(3), "support").Abandoned, 0)
	check(t, "waiting", len(h.queue(at(3), "support").Waiting), 0)
}
