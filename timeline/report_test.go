package timeline_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/timeline"
)

func TestBuildQueueReport(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := time.Second
	rows := []timeline.ReportRow{
		{CallID: "a", Queue: "support", Reason: "billing", QueuedAt: t0.Add(5 * time.Minute), Outcome: timeline.QueueAnswered, Wait: 10 * s, Talk: 100 * s},
		{CallID: "b", Queue: "support", Reason: "billing", QueuedAt: t0.Add(10 * time.Minute), Outcome: timeline.QueueAnswered, Wait: 30 * s, Talk: 200 * s},
		{CallID: "c", Queue: "support", QueuedAt: t0.Add(20 * time.Minute), Outcome: timeline.QueueAbandoned, Wait: 40 * s},
		{CallID: "d", Queue: "support", QueuedAt: t0.Add(30 * time.Minute), Outcome: timeline.QueueAbandoned, Wait: 5 * s},
		{CallID: "e", Queue: "support", QueuedAt: t0.Add(70 * time.Minute), Outcome: timeline.QueueCallback, Wait: 60 * s},
		{CallID: "f", Queue: "sales", Reason: "new_order", QueuedAt: t0.Add(15 * time.Minute), Outcome: timeline.QueueOverflowed, Wait: 15 * s, Talk: 60 * s},
	}
	scores := map[string]timeline.Score{"a": {Satisfied: true}, "b": {Satisfied: false}, "f": {Satisfied: true}}
	got := timeline.BuildQueueReport(rows, timeline.ReportOptions{Interval: timeline.Hourly, Scores: scores,
		Targets: map[string]time.Duration{"support": 20 * s}})
	csat := func(q timeline.QueueInterval) string {
		if q.CSAT == nil {
			return "none"
		}
		return fmt.Sprintf("%.0f", *q.CSAT)
	}
	var lines []string
	for _, q := range got {
		lines = append(lines, fmt.Sprintf("%s %s offered=%d answered=%d abandoned=%d asa=%.0f sl=%.1f aht=%.0f csat=%s rated=%d reasons=%v",
			q.Start.Format("15:04"), q.Queue, q.Offered, q.Answered, q.Abandoned, q.ASA, q.ServiceLevel, q.AHT, csat(q), q.Rated, q.ByReason))
	}
	want := []string{
		// 1 of 2 answered within 20 s; one abandoned after 20 s counts against, one before does not.
		"09:00 sales offered=1 answered=1 abandoned=0 asa=15 sl=100.0 aht=60 csat=100 rated=1 reasons=map[new_order:1]",
		"09:00 support offered=4 answered=2 abandoned=2 asa=20 sl=33.3 aht=150 csat=50 rated=2 reasons=map[:2 billing:2]",
		"10:00 support offered=1 answered=0 abandoned=0 asa=0 sl=100.0 aht=0 csat=none rated=0 reasons=map[:1]",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d rows %v, want %d", len(lines), lines, len(want))
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("row %d: got %q, want %q", i, lines[i], want[i])
		}
	}
	daily := timeline.BuildQueueReport(rows, timeline.ReportOptions{Interval: timeline.Daily, Location: time.FixedZone("UTC+10", 10*3600)})
	if len(daily) != 2 || daily[1].Offered != 5 || daily[1].Start.Hour() != 0 {
		t.Errorf("daily in UTC+10: got %+v, want sales and support, support with 5 calls from local midnight", daily)
	}
}

// ReportRows reads what Finish wrote: queue, reason, wait and talk time,
// only for calls that reached a queue in the range.
func TestReportRows(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *sql.DB) {
		ctx := context.Background()
		calls := timeline.NewCalls(db)
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		mk := func(id string, at time.Time, q *timeline.Queueing, reason string) {
			c := &timeline.Call{ID: id, Caller: "1", Dialled: "100", StartedAt: at}
			if err := calls.Start(ctx, c); err != nil {
				t.Fatal(err)
			}
			c.EndedAt, c.Queueing, c.Reason = at.Add(time.Minute), q, reason
			if q != nil {
				c.Queue, c.Outcome = q.Queue, q.Outcome
			}
			if err := calls.Finish(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		mk("in", t0, &timeline.Queueing{Queue: "support", QueuedAt: t0.Add(time.Second), Outcome: timeline.QueueAnswered, WaitSeconds: 12.5, TalkSeconds: 90}, "billing")
		mk("ivr-only", t0.Add(time.Minute), nil, "opening_hours")
		mk("later", t0.Add(2*time.Hour), &timeline.Queueing{Queue: "sales", QueuedAt: t0.Add(2 * time.Hour), Outcome: timeline.QueueAbandoned, WaitSeconds: 3}, "")
		rows, err := calls.ReportRows(ctx, t0, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("rows: got %+v, want the one queued call in the hour", rows)
		}
		r := rows[0]
		if r.CallID != "in" || r.Queue != "support" || r.Reason != "billing" || r.Outcome != "answered" || r.Wait != 12500*time.Millisecond || r.Talk != 90*time.Second {
			t.Errorf("row: got %+v, want support/billing answered after 12.5 s, 90 s talk", r)
		}
		got, err := calls.Get(ctx, "ivr-only")
		if err != nil || got.Reason != "opening_hours" {
			t.Errorf("reason round trip: got %v %v, want opening_hours", got, err)
		}
	})
}
