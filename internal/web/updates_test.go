package web_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/queue"
)

type fakeQueues struct {
	mu   sync.Mutex
	snap queue.Snapshot
}

func (f *fakeQueues) Snapshot() queue.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

func (f *fakeQueues) set(waiting int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := queue.QueueSnapshot{Name: "support"}
	for i := range waiting {
		q.Waiting = append(q.Waiting, queue.WaitingCall{Call: "c", Position: i + 1})
	}
	f.snap = queue.Snapshot{Queues: []queue.QueueSnapshot{q}}
}

// A change in a queue is published once; no change, no event.
func TestPublishUpdatesOnChangeOnly(t *testing.T) {
	hub := live.NewHub(nil)
	sub := hub.Subscribe(0)
	q := &fakeQueues{}
	q.set(0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go web.PublishUpdates(ctx, web.UpdateOptions{Hub: hub, Queues: q, Every: time.Millisecond})

	next := func() live.Event {
		t.Helper()
		select {
		case ev := <-sub.C:
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("got no event, want a queue_update")
			return live.Event{}
		}
	}
	waitingOf := func(ev live.Event) int {
		// As a browser sees it.
		b, _ := json.Marshal(ev.Data)
		var body struct {
			Queues []struct {
				Waiting []any `json:"waiting"`
			} `json:"queues"`
		}
		json.Unmarshal(b, &body)
		if len(body.Queues) != 1 {
			t.Fatalf("queue_update: got %s, want one queue", b)
		}
		return len(body.Queues[0].Waiting)
	}
	if ev := next(); ev.Type != web.TypeQueueUpdate || waitingOf(ev) != 0 {
		t.Fatalf("first event: got %+v, want a queue_update with nobody waiting", ev)
	}
	time.Sleep(20 * time.Millisecond) // many ticks, nothing changed
	if n := len(sub.C); n != 0 {
		t.Errorf("events without a change: got %d, want 0", n)
	}
	q.set(2)
	if ev := next(); waitingOf(ev) != 2 {
		t.Errorf("after two callers queued: got %d waiting, want 2", waitingOf(ev))
	}
}
