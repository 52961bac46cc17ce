package feedback

import (
	"testing"
	"time"
)

// FuzzSessionDigits feeds any sequence of keys, ticks and driver reports
// to a survey with every scale and a comment. Whatever the caller does, the
// session must not panic, must finish once the driver keeps reporting, must
// emit Finished exactly once and must only store scores on their scale.
//
// Bytes: keys '0'-'9', '*', '#'; 'p' PlayDone; 't' Tick at the deadline;
// 'c' CommentDone; 'h' Hangup; 's' a stale Tick from the past; anything
// else advances the clock by that many tens of milliseconds.
func FuzzSessionDigits(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewSession(survey3(), sec(0))
		var fc finishCounter
		now := sec(0)
		fc.add(s.Start(now))
		for _, b := range data {
			switch {
			case isKey(b):
				fc.add(s.Digit(now, b))
			case b == 'p':
				fc.add(s.PlayDone(now))
			case b == 't':
				if d, ok := s.Deadline(); ok {
					now = d
				}
				fc.add(s.Tick(now))
			case b == 'c':
				fc.add(s.CommentDone(now, "r", 3*time.Second))
			case b == 'h':
				fc.add(s.Hangup(now))
			case b == 's':
				fc.add(s.Tick(now.Add(-time.Hour)))
			default:
				now = now.Add(time.Duration(b) * 10 * time.Millisecond)
			}
		}
		// A silent caller and a driver that reports everything: each
		// round ends a prompt or fires a timer, so this must finish.
		for i := 0; !s.Done(); i++ {
			if i > 100 {
				t.Fatalf("after %q: still running after %d driver rounds", data, i)
			}
			fc.add(s.PlayDone(now))
			if d, ok := s.Deadline(); ok {
				now = d
				fc.add(s.Tick(now))
			}
		}
		fc.check(t, s)
		r := s.Result()
		qs := survey3().Questions
		if len(r.Answers) != len(qs) {
			t.Fatalf("after %q: got %d answers, want %d", data, len(r.Answers), len(qs))
		}
		answered := 0
		for i, a := range r.Answers {
			if a.Question != qs[i].ID || a.Scale != qs[i].Scale {
				t.Errorf("after %q: answer %d is %s on %v, want %s on %v", data, i, a.Question, a.Scale, qs[i].ID, qs[i].Scale)
			}
			if !a.Skipped {
				answered++
				if !a.Scale.Contains(a.Score) {
					t.Errorf("after %q: got score %d for %s, want one on %v", data, a.Score, a.Question, a.Scale)
				}
			}
			if i > 0 && a.At.Before(r.Answers[i-1].At) {
				t.Errorf("after %q: answer %d at %v is before the one before it", data, i, a.At)
			}
		}
		if r.Completed != (answered == len(qs)) || r.Skipped != (answered == 0) {
			t.Errorf("after %q: got completed %v skipped %v with %d answered", data, r.Completed, r.Skipped, answered)
		}
		if r.Comment != nil && answered == 0 {
			t.Errorf("after %q: got a comment with nothing answered", data)
		}
	})
}
