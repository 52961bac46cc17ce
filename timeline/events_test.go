package timeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/timeline"
)

var day0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

func openEvents(t *testing.T, backend string) *timeline.Events {
	t.Helper()
	return timeline.NewEvents(openDB(t, backend))
}

func mustAdd(t *testing.T, s *timeline.Events, ev *timeline.Event) *timeline.Event {
	t.Helper()
	if err := s.Add(context.Background(), ev); err != nil {
		t.Fatalf("add %+v: %v", ev, err)
	}
	return ev
}

func TestEventRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openEvents(t, backend)
		ev := mustAdd(t, s, &timeline.Event{
			Customer: "+447700900123", At: day0.Add(123456789 * time.Nanosecond), Kind: timeline.KindFeedback,
			CallID: "c1", Agent: "alice", Queue: "support", Summary: "Rated 4\r\nof 5",
			Data: map[string]any{"score": 4, "question": "overall"},
		})
		if ev.ID == 0 {
			t.Fatalf("got id 0, want one set by Add")
		}
		events, next, err := s.List(ctx, "+447700900123", timeline.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || next != 0 {
			t.Fatalf("got %d events, next %d, want 1 and 0", len(events), next)
		}
		got := events[0]
		checks := []struct {
			name      string
			got, want any
		}{
			{"id", got.ID, ev.ID},
			{"at", got.At, day0.Add(123456 * time.Microsecond)},
			{"at as added", ev.At, got.At},
			{"channel", got.Channel, timeline.ChannelVoice},
			{"call", got.CallID, "c1"},
			{"agent", got.Agent, "alice"},
			{"queue", got.Queue, "support"},
			{"summary", got.Summary, "Rated 4 of 5"},
			{"score", got.Data["score"], float64(4)},
			{"question", got.Data["question"], "overall"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
			}
		}
	})
}

func TestEventDefaultsAndJSON(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		s := openEvents(t, backend)
		tests := []struct {
			kind, channel string
			want          string
		}{
			{timeline.KindCallStarted, "", "voice"},
			{timeline.KindEmail, "", "email"},
			{timeline.KindNote, "", "note"},
			{"sms", "", "sms"},
			{"order", "web_shop", "web_shop"},
		}
		for _, tt := range tests {
			ev := mustAdd(t, s, &timeline.Event{Customer: "c", At: day0, Kind: tt.kind, Channel: tt.channel})
			if ev.Channel != tt.want {
				t.Errorf("kind %s channel %q: got %v, want %v", tt.kind, tt.channel, ev.Channel, tt.want)
			}
			if ev.Data == nil {
				t.Errorf("kind %s: got nil data, want an empty map", tt.kind)
			}
		}
		b, err := json.Marshal(&timeline.Event{ID: 7, Customer: "c", At: day0, Kind: "note", Channel: "note", CallID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"id":7`, `"customer":"c"`, `"at":"2026-11-30T10:00:00Z"`, `"kind":"note"`, `"channel":"note"`, `"call_id":"x"`, `"summary":""`} {
			if !strings.Contains(string(b), key) {
				t.Errorf("got %s, want it to contain %s", b, key)
			}
		}
	})
}

func TestAddValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		s := openEvents(t, backend)
		tests := []struct {
			name string
			ev   timeline.Event
			ok   bool
		}{
			{"known kind", timeline.Event{Customer: "c", Kind: timeline.KindHungUp}, true},
			{"new lowercase kind", timeline.Event{Customer: "c", Kind: "sms_sent"}, true},
			{"kind with digits", timeline.Event{Customer: "c", Kind: "survey2"}, true},
			{"no customer", timeline.Event{Kind: timeline.KindNote}, false},
			{"blank customer", timeline.Event{Customer: "  ", Kind: timeline.KindNote}, false},
			{"no kind", timeline.Event{Customer: "c"}, false},
			{"upper case kind", timeline.Event{Customer: "c", Kind: "Note"}, false},
			{"kind with space", timeline.Event{Customer: "c", Kind: "call started"}, false},
			{"kind with dash", timeline.Event{Customer: "c", Kind: "call-started"}, false},
			{"kind starting with digit", timeline.Event{Customer: "c", Kind: "2fa"}, false},
			{"kind starting with underscore", timeline.Event{Customer: "c", Kind: "_x"}, false},
			{"kind too long", timeline.Event{Customer: "c", Kind: strings.Repeat("a", 41)}, false},
			{"arabic kind", timeline.Event{Customer: "c", Kind: "ملاحظة"}, false},
			{"bad channel", timeline.Event{Customer: "c", Kind: "note", Channel: "Web Shop"}, false},
		}
		for _, tt := range tests {
			ev := tt.ev
			ev.At = day0
			err := s.Add(context.Background(), &ev)
			if got := err == nil; got != tt.ok {
				t.Errorf("%s: got error %v, want ok=%v", tt.name, err, tt.ok)
			}
			if err != nil && !errors.Is(err, timeline.ErrInvalidEvent) {
				t.Errorf("%s: got %v, want ErrInvalidEvent", tt.name, err)
			}
			if err != nil && ev.ID != 0 {
				t.Errorf("%s: got id %d on a rejected event, want 0", tt.name, ev.ID)
			}
		}

		// Data that cannot be JSON is an error, but not the caller's bad input shape.
		err := s.Add(context.Background(), &timeline.Event{Customer: "c", At: day0, Kind: "note", Data: map[string]any{"f": func() {}}})
		if err == nil || errors.Is(err, timeline.ErrInvalidEvent) {
			t.Errorf("got %v, want a data encoding error", err)
		}
	})
}

func TestListPagesNewestFirst(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openEvents(t, backend)
		// 23 events over 12 distinct times (pairs share a microsecond, so the
		// id breaks ties), added out of order, with another customer's events
		// mixed in.
		const n = 23
		for i := range n {
			at := day0.Add(time.Duration((i*7)%n/2) * time.Minute)
			mustAdd(t, s, &timeline.Event{Customer: "+989123456789", At: at, Kind: timeline.KindIVRChoice, Summary: fmt.Sprint(i)})
			if i%5 == 0 {
				mustAdd(t, s, &timeline.Event{Customer: "other", At: at, Kind: timeline.KindIVRChoice})
			}
		}
		all, next, err := s.List(ctx, "+989123456789", timeline.Page{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != n || next != 0 {
			t.Fatalf("got %d events, next %d, want %d and 0", len(all), next, n)
		}
		for i := 1; i < len(all); i++ {
			a, b := all[i-1], all[i]
			if a.At.Before(b.At) || (a.At.Equal(b.At) && a.ID < b.ID) {
				t.Errorf("event %d (%v, %d) before event %d (%v, %d): want newest first", i-1, a.At, a.ID, i, b.At, b.ID)
			}
		}

		for _, limit := range []int{1, 2, 5, 7, 22, 23, 24} {
			var got []*timeline.Event
			seen := map[int64]bool{}
			before := int64(0)
			for page := 0; ; page++ {
				if page > n {
					t.Fatalf("limit %d: more than %d pages", limit, n)
				}
				events, next, err := s.List(ctx, "+989123456789", timeline.Page{Before: before, Limit: limit})
				if err != nil {
					t.Fatalf("limit %d page %d: %v", limit, page, err)
				}
				if len(events) > limit || (next != 0 && len(events) != limit) {
					t.Errorf("limit %d page %d: got %d events with next %d, want a full page unless last", limit, page, len(events), next)
				}
				for _, ev := range events {
					if seen[ev.ID] {
						t.Errorf("limit %d: got event %d twice", limit, ev.ID)
					}
					seen[ev.ID] = true
				}
				got = append(got, events...)
				if next == 0 {
					break
				}
				before = next
			}
			if len(got) != n {
				t.Errorf("limit %d: got %d events over all pages, want %d", limit, len(got), n)
				continue
			}
			for i := range got {
				if got[i].ID != all[i].ID {
					t.Errorf("limit %d: event %d: got %v, want %v", limit, i, got[i].ID, all[i].ID)
				}
			}
		}

		// The last page ends with next 0 even when it is exactly full.
		if _, next, _ := s.List(ctx, "+989123456789", timeline.Page{Limit: n}); next != 0 {
			t.Errorf("got next %d on an exactly full last page, want 0", next)
		}
		// A cursor from another customer's timeline (or none at all) is not found.
		others, _, _ := s.List(ctx, "other", timeline.Page{})
		for _, before := range []int64{others[0].ID, 12345} {
			if _, _, err := s.List(ctx, "+989123456789", timeline.Page{Before: before}); !errors.Is(err, timeline.ErrNotFound) {
				t.Errorf("cursor %d: got %v, want ErrNotFound", before, err)
			}
		}
		if events, next, err := s.List(ctx, "nobody", timeline.Page{}); err != nil || len(events) != 0 || events == nil || next != 0 {
			t.Errorf("got %v, %v, %v, want an empty list", events, next, err)
		}
	})
}

func TestListLimits(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openEvents(t, backend)
		for i := range 501 {
			mustAdd(t, s, &timeline.Event{Customer: "c", At: day0.Add(time.Duration(i) * time.Second), Kind: timeline.KindNote})
		}
		tests := []struct {
			limit, want int
		}{{0, 50}, {-3, 50}, {10, 10}, {500, 500}, {10000, 500}}
		for _, tt := range tests {
			events, next, err := s.List(ctx, "c", timeline.Page{Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != tt.want || next != events[len(events)-1].ID {
				t.Errorf("limit %d: got %d events next %d, want %d and a next page", tt.limit, len(events), next, tt.want)
			}
		}
	})
}

func TestLastContact(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openEvents(t, backend)
		const who = "+966501234567"
		mustAdd(t, s, &timeline.Event{Customer: who, At: day0, Kind: timeline.KindCallStarted})
		mustAdd(t, s, &timeline.Event{Customer: who, At: day0.Add(time.Hour), Kind: timeline.KindCallStarted})
		mustAdd(t, s, &timeline.Event{Customer: who, At: day0.Add(2 * time.Hour), Kind: timeline.KindHungUp})
		mustAdd(t, s, &timeline.Event{Customer: who, At: day0.Add(2 * time.Hour), Kind: timeline.KindEmail})
		mustAdd(t, s, &timeline.Event{Customer: "other", At: day0.Add(3 * time.Hour), Kind: timeline.KindCallStarted})
		tests := []struct {
			customer string
			before   time.Time
			want     time.Time
			ok       bool
		}{
			{who, day0, time.Time{}, false}, // its own start is not a previous call
			{who, day0.Add(time.Minute), day0, true},
			{who, day0.Add(time.Hour), day0, true},
			{who, day0.Add(5 * time.Hour), day0.Add(time.Hour), true}, // hang-ups and emails are not calls
			{"other", day0.Add(5 * time.Hour), day0.Add(3 * time.Hour), true},
			{"nobody", day0.Add(5 * time.Hour), time.Time{}, false},
		}
		for _, tt := range tests {
			got, ok, err := s.LastContact(ctx, tt.customer, tt.before)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || ok != tt.ok {
				t.Errorf("LastContact(%s, %v): got %v, %v, want %v, %v", tt.customer, tt.before, got, ok, tt.want, tt.ok)
			}
		}
	})
}

func TestSummary(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openEvents(t, backend)
		const who = "acct:42"
		now := day0
		ago := func(d time.Duration) time.Time { return now.Add(-d) }
		const day = 24 * time.Hour
		add := func(at time.Time, kind string, summary string, data map[string]any) *timeline.Event {
			return mustAdd(t, s, &timeline.Event{Customer: who, At: at, Kind: kind, Summary: summary, Data: data})
		}
		add(ago(40*day), timeline.KindCallStarted, "call 40d", nil) // outside the 30 days
		add(ago(30*day), timeline.KindCallStarted, "call 30d", nil) // exactly 30 days: inside
		add(ago(20*day), timeline.KindCallStarted, "call 20d", nil)
		openOld := add(ago(10*day), timeline.KindNote, "wants a refund", map[string]any{"status": "open"})
		add(ago(9*day), timeline.KindNote, "address changed", map[string]any{"status": timeline.NoteClosed})
		order := add(ago(5*day), timeline.KindOrder, "order 1001", nil)
		email := add(ago(3*day), timeline.KindEmail, "asked about delivery", nil)
		call2d := add(ago(2*day), timeline.KindCallStarted, "call 2d", nil)
		add(ago(2*day).Add(time.Minute), timeline.KindIVRChoice, "pressed 1", nil)
		add(ago(2*day).Add(5*time.Minute), timeline.KindFeedback, "rated 4", map[string]any{"score": 4})
		openNew := add(ago(day), timeline.KindNote, "call back after 5pm", nil)
		call1h := add(ago(time.Hour), timeline.KindCallStarted, "call 1h", nil)
		add(ago(time.Hour).Add(time.Minute), timeline.KindHungUp, "", nil)
		add(ago(30*time.Minute), timeline.KindFeedback, "hung up on the survey", nil) // no score
		add(now, timeline.KindCallStarted, "this call", nil)                          // not part of its own summary
		add(now.Add(time.Minute), timeline.KindFeedback, "rated 1", map[string]any{"score": 1})
		mustAdd(t, s, &timeline.Event{Customer: "other", At: ago(time.Minute), Kind: timeline.KindCallStarted})

		sum, err := s.Summary(ctx, who, now)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(events []*timeline.Event) []int64 {
			out := []int64{}
			for _, ev := range events {
				out = append(out, ev.ID)
			}
			return out
		}
		score := -1
		if sum.LastScore != nil {
			score = *sum.LastScore
		}
		checks := []struct {
			name      string
			got, want any
		}{
			{"customer", sum.Customer, who},
			{"contacts", sum.Contacts, 4},
			{"last contact", sum.LastContact, ago(time.Hour)},
			{"recent", fmt.Sprint(ids(sum.Recent)), fmt.Sprint([]int64{call1h.ID, openNew.ID, call2d.ID, email.ID, order.ID})},
			{"open notes", fmt.Sprint(ids(sum.OpenNotes)), fmt.Sprint([]int64{openNew.ID, openOld.ID})},
			{"score", score, 4},
			{"score at", sum.LastScoreAt, ago(2*day - 5*time.Minute)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
			}
		}

		empty, err := s.Summary(ctx, "nobody", now)
		if err != nil {
			t.Fatal(err)
		}
		if empty.Contacts != 0 || !empty.LastContact.IsZero() || empty.LastScore != nil || empty.Recent == nil || len(empty.Recent) != 0 || len(empty.OpenNotes) != 0 {
			t.Errorf("got %+v, want an empty summary with empty lists", empty)
		}
	})
}

func TestHeaders(t *testing.T) {
	four := 4
	note := func(summary string) []*timeline.Event {
		return []*timeline.Event{{Kind: timeline.KindNote, Summary: summary}}
	}
	long := strings.Repeat("a", 300)
	arabic := "يرجى الاتصال بالعميل" // "please call the customer back"
	tests := []struct {
		name     string
		sum      *timeline.Summary
		link     string
		history  string
		timeline string // "" means no header
		note     string
	}{
		{"nil", nil, "", "contacts=0; notes=0", "", ""},
		{"first call", &timeline.Summary{}, "https://cc.example.com/agent#c=%2B447700900123", "contacts=0; notes=0", "https://cc.example.com/agent#c=%2B447700900123", ""},
		{"full", &timeline.Summary{Contacts: 3, LastContact: day0.In(time.FixedZone("Tehran", 12600)), LastScore: &four, OpenNotes: note("VIP")},
			"l", "contacts=3; last=2026-11-30T10:00:00Z; score=4; notes=1", "l", "VIP"},
		{"crlf note", &timeline.Summary{OpenNotes: note("call back\r\nX-Evil: 1\r\n\r\nbody")}, "", "contacts=0; notes=1", "", "call back X-Evil: 1 body"},
		{"crlf link", &timeline.Summary{}, "https://x/\r\nVia: evil", "contacts=0; notes=0", "https://x/ Via: evil", ""},
		{"control chars", &timeline.Summary{OpenNotes: note("\x00a\tb\x7fc\x1b")}, "", "contacts=0; notes=1", "", "a b c"},
		{"arabic note", &timeline.Summary{OpenNotes: note("VIP " + arabic[:8])}, "", "contacts=0; notes=1", "", "VIP %D9%8A%D8%B1%D8%AC%D9%89"},
		{"unicode link", &timeline.Summary{}, "https://x/c/é", "contacts=0; notes=0", "https://x/c/%C3%A9", ""},
		{"blank note", &timeline.Summary{OpenNotes: note(" \r\n ")}, " ", "contacts=0; notes=1", "", ""},
		{"long note", &timeline.Summary{OpenNotes: note(long)}, "", "contacts=0; notes=1", "", strings.Repeat("a", 157) + "..."},
		{"long link", &timeline.Summary{}, long, "contacts=0; notes=0", strings.Repeat("a", 253) + "...", ""},
		// Each letter is two escapes (6 bytes). 157 bytes leave room for
		// "..."; the cut falls between letters, never inside an escape or
		// between a letter's two bytes.
		{"long arabic", &timeline.Summary{OpenNotes: note(strings.Repeat("ي", 100))}, "", "contacts=0; notes=1", "", strings.Repeat("%D9%8A", 26) + "..."},
		{"long arabic, odd start", &timeline.Summary{OpenNotes: note("a" + strings.Repeat("ي", 100))}, "", "contacts=0; notes=1", "", "a" + strings.Repeat("%D9%8A", 26) + "..."},
	}
	for _, tt := range tests {
		h := tt.sum.Headers(tt.link)
		want := map[string]string{timeline.HeaderHistory: tt.history}
		if tt.timeline != "" {
			want[timeline.HeaderTimeline] = tt.timeline
		}
		if tt.note != "" {
			want[timeline.HeaderNote] = tt.note
		}
		if fmt.Sprint(h) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", tt.name, h, want)
		}
		for name, v := range h {
			if len(v) > 256 {
				t.Errorf("%s: %s: got %d bytes, want at most 256", tt.name, name, len(v))
			}
			for i := 0; i < len(v); i++ {
				if v[i] < 0x20 || v[i] > 0x7e {
					t.Errorf("%s: %s: got byte %#x in %q, want printable ASCII", tt.name, name, v[i], v)
				}
			}
		}
	}
}
