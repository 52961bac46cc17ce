package feedback_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/feedback"
	"github.com/contactd/contactd/internal/store/storetest"
)

var day = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func hour(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }

func openStore(t *testing.T, backend string) *feedback.Store {
	t.Helper()
	return feedback.NewStore(storetest.Open(t, backend))
}

// answers builds a result of csat (1-5), agent (1-10) and nps (0-10)
// answered at at; -1 is a skipped question.
func answers(at time.Time, csat, agent, nps int) feedback.Result {
	var r feedback.Result
	n := 0
	for _, q := range []struct {
		id    string
		scale feedback.Scale
		score int
	}{{"csat", feedback.Scale1to5, csat}, {"agent", feedback.Scale1to10, agent}, {"nps", feedback.Scale0to10, nps}} {
		a := feedback.Answer{Question: q.id, Scale: q.scale, At: at}
		if q.score < 0 {
			a.Skipped = true
		} else {
			a.Score = q.score
			n++
		}
		r.Answers = append(r.Answers, a)
	}
	r.Completed, r.Skipped = n == 3, n == 0
	return r
}

func TestStoreRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		res := answers(hour(0), 4, -1, 10)
		res.Comment = &feedback.CommentRef{RecordingID: "rec-1", Length: 12345 * time.Millisecond}
		rec := feedback.Record{CallID: "c1", Agent: "alice", Queue: "support", Customer: "+441", Survey: "post", Result: res, At: hour(0)}
		if err := s.Save(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got, err := s.ForCall(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, res.Answers) {
			t.Errorf("got %+v, want %+v", got, res.Answers)
		}
		c, err := s.CommentFor(ctx, "c1")
		if err != nil || c == nil || *c != *res.Comment {
			t.Errorf("got %+v %v, want %+v", c, err, res.Comment)
		}

		// Saving again replaces: a retried save must not count twice.
		rec.Result = answers(hour(0), 5, 9, 9)
		if err := s.Save(ctx, rec); err != nil {
			t.Fatal(err)
		}
		got, _ = s.ForCall(ctx, "c1")
		if len(got) != 3 || got[0].Score != 5 {
			t.Errorf("got %+v, want the second result only", got)
		}
		if c, _ := s.CommentFor(ctx, "c1"); c != nil {
			t.Errorf("got comment %+v, want none after the second save", c)
		}

		none, err := s.ForCall(ctx, "nobody")
		if err != nil || none == nil || len(none) != 0 {
			t.Errorf("got %v %v, want an empty list", none, err)
		}
		if c, err := s.CommentFor(ctx, "nobody"); c != nil || err != nil {
			t.Errorf("got %v %v, want nil nil", c, err)
		}
	})
}

// An answer without a time takes the record's.
func TestSaveDefaultsAnswerTime(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		res := answers(time.Time{}, 1, 1, 1)
		if err := s.Save(ctx, feedback.Record{CallID: "c1", Result: res, At: hour(3)}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ForCall(ctx, "c1")
		if !got[2].At.Equal(hour(3)) {
			t.Errorf("got %v, want %v", got[2].At, hour(3))
		}
	})
}

func TestSaveRejects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		s := openStore(t, backend)
		tests := []struct {
			name string
			rec  feedback.Record
			want string
		}{
			{"no call id", feedback.Record{Result: answers(day, 1, 1, 1)}, "empty call id"},
			{"no answers", feedback.Record{CallID: "c1"}, "no answers"},
			{"score off the scale", feedback.Record{CallID: "c1", Result: answers(day, 6, 1, 1)}, "score 6 is not on scale 1-5"},
			{"zero on 1-10", feedback.Record{CallID: "c1", Result: answers(day, 1, 0, 1)}, "score 0 is not on scale 1-10"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.Save(context.Background(), tt.rec)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("got %v, want an error containing %q", err, tt.want)
				}
			})
		}
		if got, _ := s.ForCall(context.Background(), "c1"); len(got) != 0 {
			t.Errorf("got %v stored, want nothing from rejected saves", got)
		}
	})
}

func TestLastScore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		for _, r := range []feedback.Record{
			{CallID: "c1", Customer: "ann", Result: answers(hour(1), 2, 3, 4)},
			{CallID: "c2", Customer: "ann", Result: answers(hour(2), -1, 7, 8)}, // first answered is agent
			{CallID: "c3", Customer: "ann", Result: answers(hour(3), -1, -1, -1)},
			{CallID: "c4", Customer: "bob", Result: answers(hour(4), 5, 5, 5)},
			{CallID: "c5", Customer: "", Result: answers(hour(5), 1, 1, 1)},
		} {
			if err := s.Save(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			customer string
			want     string
		}{
			{"ann", "7 1-10 2026-03-02T11:00:00Z true"},
			{"bob", "5 1-5 2026-03-02T13:00:00Z true"},
			{"carol", "0 1-5 0001-01-01T00:00:00Z false"},
			{"", "0 1-5 0001-01-01T00:00:00Z false"},
		}
		for _, tt := range tests {
			score, scale, at, ok, err := s.LastScore(ctx, tt.customer)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%d %v %s %v", score, scale, at.Format(time.RFC3339), ok); got != tt.want {
				t.Errorf("customer %q: got %v, want %v", tt.customer, got, tt.want)
			}
		}
	})
}

// summaryData is six calls; see the comments for what each filter keeps.
func summaryData(t *testing.T, backend string) *feedback.Store {
	t.Helper()
	s := openStore(t, backend)
	for _, r := range []feedback.Record{
		{CallID: "c1", Queue: "support", Agent: "alice", Survey: "post", Result: answers(hour(0), 5, 8, 10)},
		{CallID: "c2", Queue: "support", Agent: "bob", Survey: "post", Result: answers(hour(1), 4, 10, 9)},
		{CallID: "c3", Queue: "sales", Agent: "alice", Survey: "post", Result: answers(hour(2), 3, 2, 9)},
		{CallID: "c4", Queue: "sales", Agent: "bob", Survey: "post", Result: answers(hour(3), 1, -1, 7)},
		{CallID: "c5", Queue: "support", Agent: "alice", Survey: "post", Result: answers(hour(4), 5, -1, 3)},
		{CallID: "c6", Queue: "support", Agent: "bob", Survey: "post", Result: answers(hour(5), -1, -1, -1)},
	} {
		if err := s.Save(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func describeSummary(s feedback.Summary) string {
	nps := "-"
	if s.NPS != nil {
		nps = fmt.Sprintf("%.1f", *s.NPS)
	}
	return fmt.Sprintf("%s %v n=%d skipped=%d avg=%.2f csat=%.1f nps=%s dist=%v", s.Question, s.Scale, s.Count, s.Skipped, s.Average, s.CSAT, nps, s.Distribution)
}

func TestSummaries(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		s := summaryData(t, backend)
		tests := []struct {
			name   string
			filter feedback.Filter
			want   []string
		}{
			{"everything, one per question", feedback.Filter{}, []string{
				// agent: 8, 10, 2; CSAT counts 8-10 on ten-point scales.
				"agent 1-10 n=3 skipped=3 avg=6.67 csat=66.7 nps=- dist=map[1:0 2:1 3:0 4:0 5:0 6:0 7:0 8:1 9:0 10:1]",
				// csat: 5, 4, 3, 1, 5; CSAT counts 4-5.
				"csat 1-5 n=5 skipped=1 avg=3.60 csat=60.0 nps=- dist=map[1:1 2:0 3:1 4:1 5:2]",
				// nps: 10, 9, 9, 7, 3: 60% promoters, 20% detractors.
				"nps 0-10 n=5 skipped=1 avg=7.60 csat=60.0 nps=40.0 dist=map[0:0 1:0 2:0 3:1 4:0 5:0 6:0 7:1 8:0 9:2 10:1]",
			}},
			{"queue", feedback.Filter{Queue: "support", Question: "csat"}, []string{
				"csat 1-5 n=3 skipped=1 avg=4.67 csat=100.0 nps=- dist=map[1:0 2:0 3:0 4:1 5:2]", // c1 c2 c5 c6
			}},
			{"agent", feedback.Filter{Agent: "alice", Question: "csat"}, []string{
				"csat 1-5 n=3 skipped=0 avg=4.33 csat=66.7 nps=- dist=map[1:0 2:0 3:1 4:0 5:2]", // c1 c3 c5
			}},
			{"queue and agent", feedback.Filter{Queue: "sales", Agent: "bob", Question: "nps"}, []string{
				"nps 0-10 n=1 skipped=0 avg=7.00 csat=0.0 nps=0.0 dist=map[0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:1 8:0 9:0 10:0]", // c4: a passive
			}},
			{"since is inclusive", feedback.Filter{Since: hour(2), Question: "csat"}, []string{
				"csat 1-5 n=3 skipped=1 avg=3.00 csat=33.3 nps=- dist=map[1:1 2:0 3:1 4:0 5:1]", // c3-c6
			}},
			{"until is exclusive", feedback.Filter{Until: hour(2), Question: "csat"}, []string{
				"csat 1-5 n=2 skipped=0 avg=4.50 csat=100.0 nps=- dist=map[1:0 2:0 3:0 4:1 5:1]", // c1 c2
			}},
			{"since and until", feedback.Filter{Since: hour(1), Until: hour(3), Question: "nps"}, []string{
				"nps 0-10 n=2 skipped=0 avg=9.00 csat=100.0 nps=100.0 dist=map[0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0 9:2 10:0]", // c2 c3
			}},
			{"only skipped", feedback.Filter{Since: hour(5), Question: "nps"}, []string{
				"nps 0-10 n=0 skipped=1 avg=0.00 csat=0.0 nps=0.0 dist=map[0:0 1:0 2:0 3:0 4:0 5:0 6:0 7:0 8:0 9:0 10:0]", // c6
			}},
			{"unknown question", feedback.Filter{Question: "nope"}, nil},
			{"unknown survey", feedback.Filter{Survey: "other"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sums, err := s.Summaries(context.Background(), tt.filter)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, sum := range sums {
					got = append(got, describeSummary(sum))
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got %v, want %v", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
			})
		}
	})
}

// A question whose scale changed is summarised once per scale, never
// averaged across them.
func TestSummariesSplitScales(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		for i, a := range []feedback.Answer{
			{Question: "overall", Scale: feedback.Scale1to5, Score: 5},
			{Question: "overall", Scale: feedback.Scale0to10, Score: 0},
		} {
			a.At = hour(i)
			if err := s.Save(ctx, feedback.Record{CallID: fmt.Sprint("c", i), Result: feedback.Result{Answers: []feedback.Answer{a}}}); err != nil {
				t.Fatal(err)
			}
		}
		sums, err := s.Summaries(ctx, feedback.Filter{Question: "overall"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, sum := range sums {
			got = append(got, fmt.Sprintf("%v avg=%.1f", sum.Scale, sum.Average))
		}
		if want := []string{"1-5 avg=5.0", "0-10 avg=0.0"}; !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestSummaryJSON(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		s := summaryData(t, backend)
		sums, err := s.Summaries(context.Background(), feedback.Filter{Queue: "sales", Agent: "bob", Question: "csat"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(sums)
		if err != nil {
			t.Fatal(err)
		}
		want := `[{"question":"csat","scale":"1-5","count":1,"skipped":0,"average":1,"distribution":{"1":1,"2":0,"3":0,"4":0,"5":0},"csat":0}]`
		if string(b) != want {
			t.Errorf("got %v, want %v", string(b), want)
		}
	})
}

// A session's Result saves as it is and reads back the same.
func TestSessionResultSaves(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		sv := &feedback.Survey{Name: "post", Questions: []feedback.Question{{ID: "csat"}, {ID: "nps", Scale: feedback.Scale0to10}}}
		sess := feedback.NewSession(sv, day)
		sess.Start(day)
		sess.Digit(day.Add(time.Second), '4')
		var res feedback.Result
		for _, a := range sess.Hangup(day.Add(2 * time.Second)) {
			if f, ok := a.(feedback.Finished); ok {
				res = f.Result
			}
		}
		if err := s.Save(ctx, feedback.Record{CallID: "c1", Survey: sv.Name, Result: res, At: day}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ForCall(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, res.Answers) {
			t.Errorf("got %+v, want %+v", got, res.Answers)
		}
	})
}
