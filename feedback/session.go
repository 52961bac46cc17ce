package feedback

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/contactd/contactd/ivr"
)

// Action is something the session asks the driver to do, in order.
type Action interface{ isAction() }

// Play the prompts in order, listening to digits meanwhile, and call
// PlayDone when they end. A Play replaces any playback in progress; the
// driver reports PlayDone only for the latest one and never for a stopped one.
type Play struct{ Prompts []ivr.Prompt }

// StopPlay stops the playback in progress: the caller barged in.
type StopPlay struct{}

// RecordComment records the caller until StopKey, silence or MaxLength,
// then reports CommentDone.
type RecordComment struct {
	MaxLength time.Duration
	StopKey   byte
}

// Finished: the survey is over; store Result and end the call. It comes
// exactly once per session.
type Finished struct{ Result Result }

func (Play) isAction()          {}
func (StopPlay) isAction()      {}
func (RecordComment) isAction() {}
func (Finished) isAction()      {}

// Result is what the caller answered.
type Result struct {
	// Answers follow the survey's question order; once Finished, every
	// question has one, skipped or not.
	Answers []Answer    `json:"answers"`
	Comment *CommentRef `json:"comment,omitempty"`
	// Completed: every question was answered.
	Completed bool `json:"completed"`
	// Skipped: no question was answered.
	Skipped bool `json:"skipped"`
}

// Answer is one question's outcome. Score is meaningless when Skipped.
type Answer struct {
	Question string    `json:"question"`
	Scale    Scale     `json:"scale"`
	Score    int       `json:"score"`
	Skipped  bool      `json:"skipped"`
	At       time.Time `json:"at"`
}

// CommentRef points at the recorded comment. In JSON the length is
// length_ms, as in the store; nanoseconds mean nothing to an API client.
type CommentRef struct {
	RecordingID string
	Length      time.Duration
}

type commentJSON struct {
	RecordingID string `json:"recording_id"`
	LengthMS    int64  `json:"length_ms"`
}

// MarshalJSON writes {"recording_id": ..., "length_ms": ...}.
func (c CommentRef) MarshalJSON() ([]byte, error) {
	return json.Marshal(commentJSON{c.RecordingID, c.Length.Milliseconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *CommentRef) UnmarshalJSON(b []byte) error {
	var j commentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("comment: %w", err)
	}
	*c = CommentRef{RecordingID: j.RecordingID, Length: time.Duration(j.LengthMS) * time.Millisecond}
	return nil
}

// AlertScore returns the score of s's alert question and whether it is at
// or below s.AlertAtOrBelow. A skipped or missing answer never alerts:
// silence is not a complaint.
func (r Result) AlertScore(s *Survey) (score int, alert bool) {
	q, ok := s.alertQuestion()
	if !ok {
		return 0, false
	}
	for _, a := range r.Answers {
		if a.Question == q.ID && !a.Skipped {
			return a.Score, s.AlertAtOrBelow > 0 && a.Score <= s.AlertAtOrBelow
		}
	}
	return 0, false
}

// phase is what the session is waiting for.
type phase int

const (
	idle      phase = iota // not started
	asking                 // a question's prompt is playing; digits barge in
	waiting                // prompt over; Timeout runs until the first digit
	entering               // a digit that may start a two-digit score was typed
	inviting               // the comment prompt is playing
	recording              // the comment is being recorded
	thanking               // Thanks is playing
	finished
)

// recordingGrace is how long after MaxLength the session waits for
// CommentDone before going on without a comment, so a driver that never
// reports cannot keep the caller on the line.
const recordingGrace = 5 * time.Second

// Session runs one caller through one survey. It is a pure state machine:
// call its methods as things happen, carry out the actions they return, and
// call Tick when Deadline has passed. Times passed in are its only clock.
// Not safe for concurrent use.
type Session struct {
	survey *Survey
	phase  phase
	last   time.Time // latest time seen; earlier times are read as this

	q        int // current question
	failures int // timeouts and invalid answers on the current question
	pending  int // the first digit of a possible two-digit score
	// swallowHash drops one '#' right after an answer the caller did not
	// end with '#': people habitually press it after "10" or "4", and it
	// must not count as an invalid answer to the next question.
	swallowHash bool

	answers []Answer
	comment *CommentRef

	deadline    time.Time
	hasDeadline bool
	out         []Action
}

// NewSession prepares a survey (defaults applied; see Survey.Validate) for
// a caller whose agent has just hung up at now.
func NewSession(s *Survey, now time.Time) *Session {
	return &Session{survey: s.WithDefaults(), last: now}
}

// Start plays the intro and the first question.
func (s *Session) Start(now time.Time) []Action {
	if s.phase != idle {
		return nil
	}
	now = s.begin(now)
	s.ask(now, s.survey.Intro)
	return s.out
}

// Digit handles a key the caller pressed.
func (s *Session) Digit(now time.Time, d byte) []Action {
	if !isKey(d) {
		return nil
	}
	now = s.begin(now)
	swallow := s.swallowHash
	s.swallowHash = false
	switch s.phase {
	case asking, waiting:
		if swallow && d == '#' {
			return nil
		}
		if s.phase == asking {
			s.emit(StopPlay{})
		}
	case entering:
	default:
		return nil // not listening: the driver owns the comment's stop key
	}
	s.entry(now, d)
	return s.out
}

// Tick fires the timer if its deadline has passed.
func (s *Session) Tick(now time.Time) []Action {
	now = s.begin(now)
	if !s.hasDeadline || now.Before(s.deadline) {
		return nil
	}
	s.clearDeadline()
	switch s.phase {
	case waiting:
		s.fail(now, false)
	case entering:
		s.take(now, s.pending, true)
	case recording:
		s.thank(now)
	}
	return s.out
}

// Deadline is when Tick must be called; false when no timer runs.
func (s *Session) Deadline() (time.Time, bool) { return s.deadline, s.hasDeadline }

// PlayDone reports that the latest Play ended on its own. A question's
// timeout starts now, not when the prompt started.
func (s *Session) PlayDone(now time.Time) []Action {
	now = s.begin(now)
	switch s.phase {
	case asking:
		s.wait(now)
	case inviting:
		s.record(now)
	case thanking:
		s.finish(now)
	}
	return s.out
}

// CommentDone reports the end of RecordComment. An empty recordingID or a
// zero length means nothing was recorded.
func (s *Session) CommentDone(now time.Time, recordingID string, length time.Duration) []Action {
	now = s.begin(now)
	if s.phase != recording {
		return nil
	}
	if recordingID != "" && length > 0 {
		s.comment = &CommentRef{RecordingID: recordingID, Length: length}
	}
	s.thank(now)
	return s.out
}

// Hangup: the caller left. Questions not yet answered are skipped; a first
// digit still waiting for a second counts, as the inter-digit timeout would
// have taken it. A comment being recorded is kept only if CommentDone was
// called first.
func (s *Session) Hangup(now time.Time) []Action {
	if s.phase == finished {
		return nil
	}
	now = s.begin(now)
	if s.phase == entering && s.survey.Questions[s.q].Scale.Contains(s.pending) {
		s.answer(now, s.pending, false)
		s.q++
	}
	s.finish(now)
	return s.out
}

// Done reports whether Finished has been emitted.
func (s *Session) Done() bool { return s.phase == finished }

// Result is the outcome so far; complete once Done.
func (s *Session) Result() Result {
	r := Result{Answers: slices.Clone(s.answers)}
	if s.comment != nil {
		c := *s.comment
		r.Comment = &c
	}
	answered := 0
	for _, a := range s.answers {
		if !a.Skipped {
			answered++
		}
	}
	r.Skipped = answered == 0
	r.Completed = s.phase == finished && answered > 0 && answered == len(s.survey.Questions)
	return r
}

// begin starts handling one call: it clears the actions and keeps time
// from running backwards, so a late event cannot rewind a deadline.
func (s *Session) begin(now time.Time) time.Time {
	s.out = nil
	if now.Before(s.last) {
		return s.last
	}
	s.last = now
	return now
}

func (s *Session) emit(a Action) { s.out = append(s.out, a) }

func (s *Session) setDeadline(t time.Time) { s.deadline, s.hasDeadline = t, true }

func (s *Session) clearDeadline() { s.deadline, s.hasDeadline = time.Time{}, false }

func (s *Session) question() *Question { return &s.survey.Questions[s.q] }

// ask plays pre (the intro, or the invalid prompt) and the current
// question; with no questions left it moves to the comment.
func (s *Session) ask(now time.Time, pre []ivr.Prompt) {
	s.clearDeadline()
	if s.q >= len(s.survey.Questions) {
		s.offerComment(now)
		return
	}
	prompts := slices.Concat(pre, s.question().Prompt)
	if len(prompts) == 0 {
		s.wait(now)
		return
	}
	s.phase = asking
	s.emit(Play{Prompts: prompts})
}

func (s *Session) wait(now time.Time) {
	s.phase = waiting
	s.setDeadline(now.Add(s.question().Timeout))
}

// entry takes one key typed while a question listens.
func (s *Session) entry(now time.Time, d byte) {
	q := s.question()
	if s.phase == entering {
		switch {
		case d == '#':
			s.take(now, s.pending, false)
		case d >= '0' && d <= '9':
			s.take(now, s.pending*10+int(d-'0'), true)
		default:
			s.fail(now, true)
		}
		return
	}
	if d < '0' || d > '9' {
		s.fail(now, true)
		return
	}
	v := int(d - '0')
	if q.Scale.extends(v) {
		s.phase = entering
		s.pending = v
		s.setDeadline(now.Add(q.InterDigitTimeout))
		return
	}
	s.take(now, v, true)
}

// take ends an entry: a score on the scale answers, anything else is
// invalid. open says the caller did not end it with '#'.
func (s *Session) take(now time.Time, v int, open bool) {
	if !s.question().Scale.Contains(v) {
		s.fail(now, true)
		return
	}
	s.answer(now, v, false)
	s.swallowHash = open
	s.next(now)
}

// fail counts a timeout or invalid answer: repeat the question while
// retries last, else skip it.
func (s *Session) fail(now time.Time, invalid bool) {
	s.clearDeadline()
	s.failures++
	q := s.question()
	if s.failures > max(q.Retries, 0) {
		s.answer(now, 0, true)
		s.next(now)
		return
	}
	var pre []ivr.Prompt
	if invalid {
		pre = q.Invalid
	}
	s.ask(now, pre)
}

func (s *Session) answer(now time.Time, score int, skipped bool) {
	q := s.question()
	s.answers = append(s.answers, Answer{Question: q.ID, Scale: q.Scale, Score: score, Skipped: skipped, At: now})
}

func (s *Session) next(now time.Time) {
	s.q++
	s.failures, s.pending = 0, 0
	s.ask(now, nil)
}

// offerComment offers the comment after the last question. A caller who
// answered nothing is probably not listening, so is not recorded.
func (s *Session) offerComment(now time.Time) {
	c := s.survey.Comment
	if c == nil || s.Result().Skipped {
		s.thank(now)
		return
	}
	if len(c.Prompt) == 0 {
		s.record(now)
		return
	}
	s.phase = inviting
	s.emit(Play{Prompts: slices.Clone(c.Prompt)})
}

func (s *Session) record(now time.Time) {
	c := s.survey.Comment
	s.phase = recording
	s.setDeadline(now.Add(c.MaxLength + recordingGrace))
	s.emit(RecordComment{MaxLength: c.MaxLength, StopKey: c.Key})
}

func (s *Session) thank(now time.Time) {
	s.clearDeadline()
	if len(s.survey.Thanks) == 0 {
		s.finish(now)
		return
	}
	s.phase = thanking
	s.emit(Play{Prompts: slices.Clone(s.survey.Thanks)})
}

// finish skips what is left, then emits Finished, once.
func (s *Session) finish(now time.Time) {
	for s.q < len(s.survey.Questions) {
		s.answer(now, 0, true)
		s.q++
	}
	s.clearDeadline()
	s.phase = finished
	s.swallowHash = false
	s.emit(Finished{Result: s.Result()})
}
