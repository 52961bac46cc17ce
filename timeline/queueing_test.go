package timeline_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/timeline"
)

func TestQueueingRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		// Nanoseconds and a non-UTC zone: the store keeps UTC microseconds.
		paris := time.FixedZone("CET", 3600)
		tests := []struct {
			name string
			in   *timeline.Queueing
			want *timeline.Queueing
		}{
			{"never queued", nil, nil},
			{
				"answered after offers",
				&timeline.Queueing{
					Queue: "support", Priority: 5, QueuedAt: t0.Add(2*time.Second + 123456789).In(paris),
					Offered: []timeline.Offer{
						{Target: "bob", At: t0.Add(3 * time.Second), Result: timeline.OfferNoAnswer},
						{Target: "alice", At: t0.Add(20 * time.Second), Result: timeline.OfferAnswered},
						{Target: "carol", At: t0.Add(20 * time.Second), Result: timeline.OfferCancelled},
					},
					Agent: "alice", AnsweredAt: t0.Add(25 * time.Second), WaitSeconds: 22.876543211, Outcome: timeline.QueueAnswered,
				},
				&timeline.Queueing{
					Queue: "support", Priority: 5, QueuedAt: t0.Add(2*time.Second + 123456000),
					Offered: []timeline.Offer{
						{Target: "bob", At: t0.Add(3 * time.Second), Result: timeline.OfferNoAnswer},
						{Target: "alice", At: t0.Add(20 * time.Second), Result: timeline.OfferAnswered},
						{Target: "carol", At: t0.Add(20 * time.Second), Result: timeline.OfferCancelled},
					},
					Agent: "alice", AnsweredAt: t0.Add(25 * time.Second), WaitSeconds: 22.876543211, Outcome: timeline.QueueAnswered,
				},
			},
			{
				"callback with no offers",
				&timeline.Queueing{Queue: "sales", QueuedAt: t0, WaitSeconds: 40, Outcome: timeline.QueueCallback, CallbackNumber: "+4412345"},
				&timeline.Queueing{Queue: "sales", QueuedAt: t0, Offered: []timeline.Offer{}, WaitSeconds: 40, Outcome: timeline.QueueCallback, CallbackNumber: "+4412345"},
			},
			{
				"overflowed, still ringing when saved",
				&timeline.Queueing{
					Queue: "support", QueuedAt: t0, OverflowedTo: "overflow", CallbackOf: "call-0", Outcome: timeline.QueueOverflowed,
					Offered: []timeline.Offer{{Target: "sip:desk@example.com", At: t0.Add(time.Minute), Result: timeline.OfferRinging}},
				},
				&timeline.Queueing{
					Queue: "support", QueuedAt: t0, OverflowedTo: "overflow", CallbackOf: "call-0", Outcome: timeline.QueueOverflowed,
					Offered: []timeline.Offer{{Target: "sip:desk@example.com", At: t0.Add(time.Minute), Result: timeline.OfferRinging}},
				},
			},
		}
		ctx := context.Background()
		s := openCalls(t, storetest.DSN(t, backend))
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := "q" + string(rune('a'+i))
				c := &timeline.Call{ID: id, Caller: "1001", Dialled: "100", StartedAt: t0.Add(time.Duration(i) * time.Minute)}
				if err := s.Start(ctx, c); err != nil {
					t.Fatal(err)
				}
				c.EndedAt, c.Outcome, c.Queueing = c.StartedAt.Add(time.Hour), "queued", tt.in
				var before []timeline.Offer
				if tt.in != nil {
					before = append(before, tt.in.Offered...)
				}
				if err := s.Finish(ctx, c); err != nil {
					t.Fatal(err)
				}
				if tt.in != nil && !reflect.DeepEqual(tt.in.Offered, before) {
					t.Errorf("got offers %+v after Finish, want the caller's unchanged %+v", tt.in.Offered, before)
				}
				got, err := s.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Queueing, tt.want) {
					t.Errorf("Get: got %+v, want %+v", got.Queueing, tt.want)
				}
				listed, err := s.List(ctx, timeline.Query{})
				if err != nil {
					t.Fatal(err)
				}
				var fromList *timeline.Call
				for _, l := range listed {
					if l.ID == id {
						fromList = l
					}
				}
				if fromList == nil || !reflect.DeepEqual(fromList.Queueing, tt.want) {
					t.Errorf("List: got %+v, want %+v", fromList, tt.want)
				}
			})
		}
	})
}

// The queue columns are filled for reporting queries, not just the JSON.
func TestFinishFillsQueueColumns(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		db := openDB(t, backend)
		s := timeline.NewCalls(db)
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		c := &timeline.Call{ID: "c1", Caller: "1", Dialled: "2", StartedAt: t0}
		if err := s.Start(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.Queueing = &timeline.Queueing{Queue: "support", QueuedAt: t0.Add(time.Second), Agent: "alice", WaitSeconds: 12.3456, Outcome: timeline.QueueAnswered}
		if err := s.Finish(ctx, c); err != nil {
			t.Fatal(err)
		}
		var outcome, agent string
		var queuedAt, waitMS int64
		if err := db.QueryRowContext(ctx, `SELECT queue_outcome, agent, queued_at, wait_ms FROM calls WHERE id = 'c1'`).Scan(&outcome, &agent, &queuedAt, &waitMS); err != nil {
			t.Fatal(err)
		}
		got := []any{outcome, agent, queuedAt, waitMS}
		want := []any{"answered", "alice", t0.Add(time.Second).UnixMicro(), int64(12346)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestQueueingJSON(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want []string // substrings of the JSON
		not  []string
	}{
		{"nil offers are []", timeline.Queueing{Queue: "q", QueuedAt: t0, Outcome: timeline.QueueAbandoned},
			[]string{`"agents_offered":[]`, `"queued_at":"2026-11-22T10:00:00Z"`, `"wait_seconds":0`, `"outcome":"abandoned"`},
			[]string{"answered_at", `"agent"`, "overflowed_to", "callback_number", "callback_of"}},
		{"through a pointer in a call", timeline.Call{ID: "c", Queueing: &timeline.Queueing{Queue: "q"}},
			[]string{`"queueing":{"queue":"q"`, `"agents_offered":[]`}, nil},
		{"no queueing on a call", timeline.Call{ID: "c"}, nil, []string{"queueing"}},
		{"answered", timeline.Queueing{AnsweredAt: t0, Agent: "alice", Offered: []timeline.Offer{{Target: "alice", At: t0, Result: timeline.OfferAnswered}}},
			[]string{`"answered_at":"2026-11-22T10:00:00Z"`, `"agent":"alice"`, `"agents_offered":[{"target":"alice","at":"2026-11-22T10:00:00Z","result":"answered"}]`}, nil},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.in)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s: got %s, want it to contain %s", tt.name, b, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(string(b), n) {
				t.Errorf("%s: got %s, want no %s", tt.name, b, n)
			}
		}
	}
}

func TestLastCall(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openCalls(t, storetest.DSN(t, backend))
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		for _, c := range []*timeline.Call{
			{ID: "a1", Caller: "111", StartedAt: t0},
			{ID: "a2", Caller: "111", StartedAt: t0.Add(time.Hour)},
			{ID: "b1", Caller: "222", StartedAt: t0.Add(30 * time.Minute)},
			{ID: "anon", Caller: "", StartedAt: t0},
		} {
			c.Dialled = "100"
			if err := s.Start(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			caller string
			before time.Time
			want   time.Time
			wantOK bool
		}{
			{"111", t0.Add(2 * time.Hour), t0.Add(time.Hour), true},
			{"111", t0.Add(time.Hour), t0, true}, // strictly before: the call at before is the current one
			{"111", t0.Add(time.Hour + time.Microsecond), t0.Add(time.Hour), true},
			{"111", t0, time.Time{}, false},
			{"222", t0.Add(2 * time.Hour), t0.Add(30 * time.Minute), true},
			{"333", t0.Add(2 * time.Hour), time.Time{}, false},
			{"", t0.Add(2 * time.Hour), time.Time{}, false}, // withheld numbers are not one caller
		}
		for _, tt := range tests {
			got, ok, err := s.LastCall(ctx, tt.caller, tt.before)
			if err != nil {
				t.Fatalf("LastCall(%q, %v): %v", tt.caller, tt.before, err)
			}
			if ok != tt.wantOK || !got.Equal(tt.want) {
				t.Errorf("LastCall(%q, %v): got %v, %v, want %v, %v", tt.caller, tt.before, got, ok, tt.want, tt.wantOK)
			}
		}
	})
}

func TestListQueueAndAgentFilters(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openCalls(t, storetest.DSN(t, backend))
		t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		for i, c := range []struct {
			id, caller, queue, agent string
		}{
			{"ivr-only", "111", "", ""},
			{"sup-alice", "111", "support", "alice"},
			{"sup-abandoned", "222", "support", ""},
			{"sales-alice", "222", "sales", "alice"},
			{"sup-bob", "111", "support", "bob"},
		} {
			rec := &timeline.Call{ID: c.id, Caller: c.caller, Dialled: "100", StartedAt: t0.Add(time.Duration(i) * time.Minute)}
			if err := s.Start(ctx, rec); err != nil {
				t.Fatal(err)
			}
			rec.Queue = c.queue
			if c.queue != "" {
				rec.Queueing = &timeline.Queueing{Queue: c.queue, QueuedAt: rec.StartedAt, Agent: c.agent, Outcome: timeline.QueueAbandoned}
				if c.agent != "" {
					rec.Queueing.Outcome = timeline.QueueAnswered
				}
			}
			rec.EndedAt = rec.StartedAt.Add(time.Second)
			if err := s.Finish(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			q    timeline.Query
			want []string
		}{
			{timeline.Query{Queue: "support"}, []string{"sup-bob", "sup-abandoned", "sup-alice"}},
			{timeline.Query{Agent: "alice"}, []string{"sales-alice", "sup-alice"}},
			{timeline.Query{Queue: "support", Agent: "alice"}, []string{"sup-alice"}},
			{timeline.Query{Queue: "support", Caller: "222"}, []string{"sup-abandoned"}},
			{timeline.Query{Queue: "support", Limit: 1}, []string{"sup-bob"}},
			{timeline.Query{Agent: "carol"}, nil},
			{timeline.Query{Queue: "nope"}, nil},
		}
		for _, tt := range tests {
			calls, err := s.List(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range calls {
				got = append(got, c.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query %+v: got %v, want %v", tt.q, got, tt.want)
			}
		}
	})
}
