package feedback

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/ivr"
)

// t0 is when the agent hung up; script times are seconds after it.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// ps makes text prompts; describe prints their text.
func ps(texts ...string) []ivr.Prompt {
	out := make([]ivr.Prompt, len(texts))
	for i, t := range texts {
		out[i] = ivr.Prompt{Text: t}
	}
	return out
}

// event is one call on the session, at a script time.
type event func(*Session) []Action

func start(s float64) event       { return func(x *Session) []Action { return x.Start(sec(s)) } }
func key(s float64, d byte) event { return func(x *Session) []Action { return x.Digit(sec(s), d) } }
func done(s float64) event        { return func(x *Session) []Action { return x.PlayDone(sec(s)) } }
func tick(s float64) event        { return func(x *Session) []Action { return x.Tick(sec(s)) } }
func bye(s float64) event         { return func(x *Session) []Action { return x.Hangup(sec(s)) } }
func recorded(s float64, id string, secs float64) event {
	return func(x *Session) []Action {
		return x.CommentDone(sec(s), id, time.Duration(secs*float64(time.Second)))
	}
}

// describe prints actions compactly: "stop play(invalid q1)".
func describe(as []Action) string {
	var parts []string
	for _, a := range as {
		switch a := a.(type) {
		case Play:
			var texts []string
			for _, p := range a.Prompts {
				texts = append(texts, p.Text)
			}
			parts = append(parts, "play("+strings.Join(texts, " ")+")")
		case StopPlay:
			parts = append(parts, "stop")
		case RecordComment:
			parts = append(parts, fmt.Sprintf("record(%v %c)", a.MaxLength, a.StopKey))
		case Finished:
			parts = append(parts, "finished("+describeResult(a.Result)+")")
		default:
			parts = append(parts, fmt.Sprintf("%T", a))
		}
	}
	return strings.Join(parts, " ")
}

// describeResult prints "q1=5 q2=skip comment=r1/12s completed".
func describeResult(r Result) string {
	var parts []string
	for _, a := range r.Answers {
		if a.Skipped {
			parts = append(parts, a.Question+"=skip")
		} else {
			parts = append(parts, fmt.Sprintf("%s=%d", a.Question, a.Score))
		}
	}
	if r.Comment != nil {
		parts = append(parts, fmt.Sprintf("comment=%s/%v", r.Comment.RecordingID, r.Comment.Length))
	}
	if r.Completed {
		parts = append(parts, "completed")
	}
	if r.Skipped {
		parts = append(parts, "skipped")
	}
	return strings.Join(parts, " ")
}

// finishCounter checks the one rule every run obeys: Finished comes at
// most once, and exactly once when the session says it is done.
type finishCounter struct{ n int }

func (c *finishCounter) add(as []Action) {
	for _, a := range as {
		if _, ok := a.(Finished); ok {
			c.n++
		}
	}
}

func (c *finishCounter) check(t testing.TB, s *Session) {
	t.Helper()
	want := 0
	if s.Done() {
		want = 1
	}
	if c.n != want {
		t.Errorf("Finished emitted: got %d, want %d (done %v)", c.n, want, s.Done())
	}
}
