package live

import (
	"testing"
	"time"
)

func TestPublishReachesEverySubscriber(t *testing.T) {
	h := NewHub(func() time.Time { return time.Unix(100, 0) })
	a, b := h.Subscribe(0), h.Subscribe(0)
	h.Publish(TypeScreenPop, "alice", map[string]string{"call": "c1"})
	for name, s := range map[string]*Sub{"a": a, "b": b} {
		select {
		case ev := <-s.C:
			if ev.Type != TypeScreenPop || ev.Agent != "alice" || ev.ID != 1 || !ev.At.Equal(time.Unix(100, 0)) {
				t.Errorf("%s: got %+v, want screen_pop #1 for alice at 100", name, ev)
			}
		default:
			t.Errorf("%s: got no event, want one", name)
		}
	}
	h.Unsubscribe(b)
	h.Publish(TypeFeedback, "", nil)
	if got := len(b.C); got != 0 {
		t.Errorf("after unsubscribe: got %d events, want 0", got)
	}
	if got := len(a.C); got != 1 {
		t.Errorf("still subscribed: got %d events, want 1", got)
	}
}

func TestSlowSubscriberDropsInsteadOfBlocking(t *testing.T) {
	h := NewHub(nil)
	s := h.Subscribe(0)
	total := cap(s.C) + 10
	for range total {
		h.Publish(TypeFeedback, "", nil) // must not block
	}
	if got, want := h.Dropped(s), uint64(10); got != want {
		t.Errorf("dropped: got %d, want %d", got, want)
	}
}

func TestReconnectCatchesUp(t *testing.T) {
	h := NewHub(nil)
	for range 5 {
		h.Publish(TypeFeedback, "", nil)
	}
	s := h.Subscribe(3)
	var ids []uint64
	for len(s.C) > 0 {
		ids = append(ids, (<-s.C).ID)
	}
	if len(ids) != 2 || ids[0] != 4 || ids[1] != 5 {
		t.Errorf("replayed ids: got %v, want [4 5]", ids)
	}
}
