package feedback

import (
	"fmt"
	"slices"
	"time"

	"github.com/contactd/contactd/ivr"
)

// Defaults applied by WithDefaults to fields left at their zero value.
const (
	DefaultTimeout           = 5 * time.Second
	DefaultInterDigitTimeout = 2 * time.Second
	DefaultRetries           = 1
	DefaultCommentLength     = 30 * time.Second
	DefaultCommentKey        = '#'
)

// NoRetries asks for no repeat at all. A zero Retries means "the default"
// (one repeat), so "none" needs its own value; it survives WithDefaults, so
// applying defaults twice changes nothing.
const NoRetries = -1

// Survey is one queue's post-call survey.
type Survey struct {
	Name string
	// Intro is played once, before the first question; digits typed during
	// it answer the first question.
	Intro     []ivr.Prompt
	Questions []Question
	// Comment, when set, records a spoken comment after the questions.
	Comment *Comment
	Thanks  []ivr.Prompt
	// AlertAtOrBelow raises an alert when the alert question (the one
	// marked Alert, else the first) scores at or below it; 0 means never.
	AlertAtOrBelow int
}

// Question is one keypad question.
type Question struct {
	// ID names the question in the store and in aggregates; it must stay
	// the same when the wording changes, or history splits in two.
	ID     string
	Prompt []ivr.Prompt
	Scale  Scale
	// Timeout is how long to wait for the first digit once the prompt has
	// ended.
	Timeout time.Duration
	// InterDigitTimeout is how long a digit that may start a two-digit
	// answer ('1' of "10") waits for the next one.
	InterDigitTimeout time.Duration
	// Retries is how many times the question is repeated after a timeout
	// or an invalid answer before it is skipped; see NoRetries.
	Retries int
	// Invalid is played before the repeat that follows an invalid answer.
	Invalid []ivr.Prompt
	// Alert marks the question AlertAtOrBelow applies to.
	Alert bool
}

// Comment is the optional recorded comment.
type Comment struct {
	Prompt    []ivr.Prompt
	MaxLength time.Duration
	// Key ends the recording early.
	Key byte
}

// Scale is the range of scores a question accepts. The zero value is 1–5.
type Scale int

// Scales.
const (
	Scale1to5  Scale = iota // 1–5, CSAT
	Scale1to10              // 1–10
	Scale0to10              // 0–10, NPS
)

var scaleNames = [...]string{Scale1to5: "1-5", Scale1to10: "1-10", Scale0to10: "0-10"}

// ParseScale reads "1-5", "1-10" or "0-10".
func ParseScale(s string) (Scale, error) {
	if i := slices.Index(scaleNames[:], s); i >= 0 {
		return Scale(i), nil
	}
	return 0, fmt.Errorf("unknown scale %q: want 1-5, 1-10 or 0-10", s)
}

func (s Scale) valid() bool { return s >= 0 && int(s) < len(scaleNames) }

// String is the name ParseScale reads.
func (s Scale) String() string {
	if !s.valid() {
		return fmt.Sprintf("Scale(%d)", int(s))
	}
	return scaleNames[s]
}

// Min is the lowest score.
func (s Scale) Min() int {
	if s == Scale0to10 {
		return 0
	}
	return 1
}

// Max is the highest score.
func (s Scale) Max() int {
	if s == Scale1to5 {
		return 5
	}
	return 10
}

// Contains reports whether score is on the scale.
func (s Scale) Contains(score int) bool { return score >= s.Min() && score <= s.Max() }

// Satisfied reports whether score counts towards CSAT: the top two points
// of 1–5 (4, 5) and the top three of the ten-point scales (8–10), the
// usual "top box" for each.
func (s Scale) Satisfied(score int) bool {
	if s == Scale1to5 {
		return score >= 4
	}
	return score >= 8
}

// MarshalText writes the scale as ParseScale reads it (JSON "1-5").
func (s Scale) MarshalText() ([]byte, error) {
	if !s.valid() {
		return nil, fmt.Errorf("marshal scale: unknown scale %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads "1-5", "1-10" or "0-10".
func (s *Scale) UnmarshalText(b []byte) error {
	v, err := ParseScale(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// extends reports whether v, typed first, could begin a two-digit score,
// so the entry must wait for another digit ('1' on the ten-point scales).
func (s Scale) extends(v int) bool { return v > 0 && v*10 <= s.Max() }

// WithDefaults returns a copy with zero-valued timeouts, retries, comment
// length and comment key set to their defaults. It is idempotent.
func (s *Survey) WithDefaults() *Survey {
	c := *s
	c.Questions = slices.Clone(s.Questions)
	for i := range c.Questions {
		q := &c.Questions[i]
		if q.Timeout == 0 {
			q.Timeout = DefaultTimeout
		}
		if q.InterDigitTimeout == 0 {
			q.InterDigitTimeout = DefaultInterDigitTimeout
		}
		if q.Retries == 0 {
			q.Retries = DefaultRetries
		}
	}
	if s.Comment != nil {
		cm := *s.Comment
		if cm.MaxLength == 0 {
			cm.MaxLength = DefaultCommentLength
		}
		if cm.Key == 0 {
			cm.Key = DefaultCommentKey
		}
		c.Comment = &cm
	}
	return &c
}

// FieldError is one problem in a survey; Field is a dotted path such as
// "questions[1].timeout", which a config decoder can map to a line.
type FieldError struct {
	Field   string
	Problem string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }

// Validate reports every problem of the survey as it will run, that is
// after WithDefaults; nil means it is fine.
func (s *Survey) Validate() []error {
	d := s.WithDefaults()
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if len(d.Questions) == 0 {
		add("questions", "at least one question is needed")
	}
	seen := map[string]int{}
	alerts := 0
	for i, q := range d.Questions {
		f := fmt.Sprintf("questions[%d]", i)
		switch j, dup := seen[q.ID]; {
		case q.ID == "":
			add(f+".id", "must not be empty")
		case dup:
			add(f+".id", "%q is already the id of questions[%d]", q.ID, j)
		default:
			seen[q.ID] = i
		}
		if !q.Scale.valid() {
			add(f+".scale", "unknown scale %d", int(q.Scale))
		}
		if q.Timeout <= 0 {
			add(f+".timeout", "must be > 0, got %v", q.Timeout)
		}
		if q.InterDigitTimeout <= 0 {
			add(f+".inter_digit_timeout", "must be > 0, got %v", q.InterDigitTimeout)
		}
		if q.Retries < 0 && q.Retries != NoRetries {
			add(f+".retries", "must be >= 0, got %d", q.Retries)
		}
		if q.Alert {
			alerts++
		}
	}
	if alerts > 1 {
		add("questions", "%d questions are marked alert, at most one may be", alerts)
	}
	if d.AlertAtOrBelow < 0 {
		add("alert_at_or_below", "must be >= 0 (0: no alerts), got %d", d.AlertAtOrBelow)
	} else if q, ok := d.alertQuestion(); ok && d.AlertAtOrBelow >= q.Scale.Max() && q.Scale.valid() {
		add("alert_at_or_below", "%d would alert on every answer to %q (scale %v)", d.AlertAtOrBelow, q.ID, q.Scale)
	}
	if c := d.Comment; c != nil {
		if c.MaxLength <= 0 {
			add("comment.max_length", "must be > 0, got %v", c.MaxLength)
		}
		if !isKey(c.Key) {
			add("comment.key", "%q is not a keypad key", c.Key)
		}
	}
	return errs
}

// alertQuestion is the question AlertAtOrBelow applies to.
func (s *Survey) alertQuestion() (Question, bool) {
	for _, q := range s.Questions {
		if q.Alert {
			return q, true
		}
	}
	if len(s.Questions) > 0 {
		return s.Questions[0], true
	}
	return Question{}, false
}

// isKey reports whether d is a DTMF key the survey listens to.
func isKey(d byte) bool { return d >= '0' && d <= '9' || d == '*' || d == '#' }
