// Package live fans contactd's events (screen-pops, feedback alerts, agent
// and queue changes) out to whoever watches: the server-sent event stream,
// and later the wallboard and agent desk.
package live

import (
	"sync"
	"time"
)

// Event is one thing that happened, as watchers receive it.
type Event struct {
	ID   uint64    `json:"id"`
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	// Agent, when set, names the one agent the event is for (a
	// screen-pop): the stream can be narrowed to it.
	Agent string `json:"agent,omitempty"`
	Data  any    `json:"data"`
}

// Event types.
const (
	TypeScreenPop     = "screen_pop"
	TypeFeedback      = "feedback"
	TypeFeedbackAlert = "feedback_alert"
	TypeRecording     = "recording_ready"
)

// Hub broadcasts events to subscribers. A subscriber that does not keep up
// loses events rather than slowing calls down: publishers never block.
type Hub struct {
	mu     sync.Mutex
	next   uint64
	subs   map[*Sub]struct{}
	recent []Event // the last few, replayed to a reconnecting client
	now    func() time.Time
}

// keepRecent is how many events a client reconnecting with Last-Event-ID
// can catch up on.
const keepRecent = 256

// subBuffer is how many events one subscriber may fall behind.
const subBuffer = 64

// NewHub returns a hub; now may be nil (time.Now).
func NewHub(now func() time.Time) *Hub {
	if now == nil {
		now = time.Now
	}
	return &Hub{subs: map[*Sub]struct{}{}, now: now}
}

// Sub is one subscription.
type Sub struct {
	C       chan Event
	dropped uint64 // under Hub.mu
}

// Publish sends an event to every subscriber and returns it with its id.
func (h *Hub) Publish(typ, agent string, data any) Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	ev := Event{ID: h.next, Type: typ, At: h.now(), Agent: agent, Data: data}
	h.recent = append(h.recent, ev)
	if len(h.recent) > keepRecent {
		h.recent = append(h.recent[:0], h.recent[len(h.recent)-keepRecent:]...)
	}
	for s := range h.subs {
		select {
		case s.C <- ev:
		default:
			s.dropped++
		}
	}
	return ev
}

// Subscribe starts a subscription; events after lastID that are still
// kept are delivered first. Call Unsubscribe when done.
func (h *Hub) Subscribe(lastID uint64) *Sub {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &Sub{C: make(chan Event, subBuffer+keepRecent)}
	if lastID > 0 {
		for _, ev := range h.recent {
			if ev.ID > lastID {
				s.C <- ev
			}
		}
	}
	h.subs[s] = struct{}{}
	return s
}

// Unsubscribe ends a subscription.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// Dropped reports how many events s missed because it fell behind.
func (h *Hub) Dropped(s *Sub) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return s.dropped
}
