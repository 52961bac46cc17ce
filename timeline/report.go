package timeline

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// ReportRow is one queued call as reports read it.
type ReportRow struct {
	CallID   string
	Queue    string
	Reason   string
	QueuedAt time.Time
	Outcome  string // the queue outcome
	Wait     time.Duration
	Talk     time.Duration
}

// ReportRows returns the calls that reached a queue in [from, to).
func (s *Calls) ReportRows(ctx context.Context, from, to time.Time) ([]ReportRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, queue, reason, queued_at, queue_outcome, wait_ms, queueing FROM calls
		WHERE queued_at >= $1 AND queued_at < $2 AND queue_outcome <> '' ORDER BY queued_at`, micros(from), micros(to))
	if err != nil {
		return nil, fmt.Errorf("report rows: %w", err)
	}
	defer rows.Close()
	var out []ReportRow
	for rows.Next() {
		var r ReportRow
		var at, waitMS int64
		var qj string
		if err := rows.Scan(&r.CallID, &r.Queue, &r.Reason, &at, &r.Outcome, &waitMS, &qj); err != nil {
			return nil, fmt.Errorf("report rows: %w", err)
		}
		r.QueuedAt, r.Wait = fromMicros(at), time.Duration(waitMS)*time.Millisecond
		if q, err := decodeQueueing(qj); err == nil && q != nil {
			r.Talk = time.Duration(q.TalkSeconds * float64(time.Second))
			if q.Queue != "" {
				r.Queue = q.Queue // where it was first queued
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("report rows: %w", err)
	}
	return out, nil
}

// Interval is a report's bucket size.
type Interval string

const (
	Hourly Interval = "hour"
	Daily  Interval = "day"
)

// Score is a call's survey score for CSAT: Satisfied says whether it
// counts as satisfied on its scale.
type Score struct {
	Satisfied bool
}

// ReportOptions configures BuildQueueReport.
type ReportOptions struct {
	From, To time.Time
	Interval Interval
	// Location is where days and hours begin (default UTC).
	Location *time.Location
	// Targets are the queues' service-level thresholds; a queue without
	// one uses 20 s.
	Targets map[string]time.Duration
	// Scores are the calls' survey scores, by call id.
	Scores map[string]Score
}

// QueueInterval is one queue in one interval of a report. Times are
// seconds; ratios are percentages.
type QueueInterval struct {
	Queue        string         `json:"queue"`
	Start        time.Time      `json:"start"`
	Offered      int            `json:"offered"`
	Answered     int            `json:"answered"`
	Abandoned    int            `json:"abandoned"`
	ASA          float64        `json:"asa_seconds"`
	ServiceLevel float64        `json:"service_level_pct"`
	AHT          float64        `json:"aht_seconds"`
	CSAT         *float64       `json:"csat_pct"` // nil when nobody rated
	Rated        int            `json:"rated"`
	ByReason     map[string]int `json:"by_reason"`
}

// BuildQueueReport groups calls by queue and interval: offered (every
// call that reached the queue), answered (overflowed calls count, as an
// agent took them), abandoned, average speed of answer, service level
// (answered within target over answered plus abandoned after the target;
// 100 when both are 0), average handle time and CSAT. Intervals with no
// calls are left out. Calls without a reason count under "".
func BuildQueueReport(rows []ReportRow, o ReportOptions) []QueueInterval {
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	type key struct {
		queue string
		start time.Time
	}
	type acc struct {
		QueueInterval
		wait, talk      time.Duration
		inSL, abandLate int
		satisfied       int
	}
	buckets := map[key]*acc{}
	for _, r := range rows {
		start := truncate(r.QueuedAt.In(loc), o.Interval)
		k := key{r.Queue, start}
		b := buckets[k]
		if b == nil {
			b = &acc{QueueInterval: QueueInterval{Queue: r.Queue, Start: start, ByReason: map[string]int{}}}
			buckets[k] = b
		}
		target, ok := o.Targets[r.Queue]
		if !ok {
			target = 20 * time.Second
		}
		b.Offered++
		b.ByReason[r.Reason]++
		switch r.Outcome {
		case QueueAnswered, QueueOverflowed:
			b.Answered++
			b.wait += r.Wait
			b.talk += r.Talk
			if r.Wait <= target {
				b.inSL++
			}
		case QueueAbandoned:
			b.Abandoned++
			if r.Wait > target {
				b.abandLate++
			}
		}
		if sc, ok := o.Scores[r.CallID]; ok {
			b.Rated++
			if sc.Satisfied {
				b.satisfied++
			}
		}
	}
	out := make([]QueueInterval, 0, len(buckets))
	for _, b := range buckets {
		q := b.QueueInterval
		if q.Answered > 0 {
			q.ASA = b.wait.Seconds() / float64(q.Answered)
			q.AHT = b.talk.Seconds() / float64(q.Answered)
		}
		q.ServiceLevel = 100
		if d := q.Answered + b.abandLate; d > 0 {
			q.ServiceLevel = 100 * float64(b.inSL) / float64(d)
		}
		if q.Rated > 0 {
			v := 100 * float64(b.satisfied) / float64(q.Rated)
			q.CSAT = &v
		}
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return out[i].Queue < out[j].Queue
	})
	return out
}

// truncate is the start of t's hour or day, in t's location.
func truncate(t time.Time, iv Interval) time.Time {
	y, m, d := t.Date()
	if iv == Hourly {
		return time.Date(y, m, d, t.Hour(), 0, 0, 0, t.Location())
	}
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
