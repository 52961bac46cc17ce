package ivr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"time"
)

// Outcomes a session can end with (an action's outcome: overrides them).
const (
	OutcomeSelfService = "self_service"     // a play or spoken lookup, then hang-up
	OutcomeAfterHours  = "after_hours"      // after_hours ran and hung up
	OutcomeQueued      = "queued"           // handed to a queue
	OutcomeAbandoned   = "abandoned_in_ivr" // the caller hung up first
	OutcomeHangup      = "ivr_hangup"       // a plain hangup action
	OutcomeNoInput     = "no_input"         // retries exhausted, fallback hung up
)

// Step kinds recorded in the path.
const (
	StepEnter        = "enter"
	StepDigit        = "digit"
	StepInput        = "input"
	StepInvalid      = "invalid"
	StepNoInput      = "no_input"
	StepAfterHours   = "after_hours"
	StepLanguage     = "language"
	StepLookup       = "lookup"
	StepLookupError  = "lookup_error"
	StepFallback     = "fallback"
	StepQueue        = "queue"
	StepHangup       = "hangup"
	StepCallerHangup = "caller_hangup"
)

// Event is something the driver tells the session. Each carries the time
// it happened, which is the session's only clock.
type Event interface{ isEvent() }

// Started: the call was answered; the session enters its menu.
type Started struct{ Now time.Time }

// PlayDone: the Play with this ID ran to its end (not sent when stopped).
type PlayDone struct {
	Now time.Time
	ID  int
}

// Digit: the caller pressed '0'-'9', '*' or '#'.
type Digit struct {
	Now   time.Time
	Digit byte
}

// Tick: sent when Now has reached Deadline().
type Tick struct{ Now time.Time }

// LookupResult answers the Lookup with this ID.
type LookupResult struct {
	Now    time.Time
	ID     int
	Status int
	Body   []byte
	Err    error
}

// CallerHangup: the caller is gone.
type CallerHangup struct{ Now time.Time }

func (Started) isEvent()      {}
func (PlayDone) isEvent()     {}
func (Digit) isEvent()        {}
func (Tick) isEvent()         {}
func (LookupResult) isEvent() {}
func (CallerHangup) isEvent() {}

// Action is something the session asks the driver to do, in order.
type Action interface{ isAction() }

// Play the prompts in order and report PlayDone{ID} when they end.
// BargeIn says whether digits are listened to meanwhile.
type Play struct {
	ID      int
	Prompts []Prompt
	BargeIn bool
}

// StopPlay stops the playback in progress (the caller barged in).
type StopPlay struct{}

// Lookup POSTs Vars as a JSON object to URL and reports LookupResult{ID};
// the driver gives up after Timeout.
type Lookup struct {
	ID      int
	URL     string
	Vars    map[string]string
	Timeout time.Duration
}

// Enqueue hands the call to a queue; the session is done.
type Enqueue struct {
	Queue    string
	Priority int
}

// Hangup ends the call; the session is done.
type Hangup struct{}

func (Play) isAction()     {}
func (StopPlay) isAction() {}
func (Lookup) isAction()   {}
func (Enqueue) isAction()  {}
func (Hangup) isAction()   {}

// Step is one entry of the IVR path kept for the call record.
type Step struct {
	At    time.Time
	Menu  string
	Kind  string
	Value string
}

// phase is what the session is waiting for.
type phase int

const (
	idle       phase = iota // not started
	greeting                // the menu's (re-)prompt is playing
	waiting                 // prompt over, waiting for the first digit
	collecting              // an input menu is receiving digits
	playing                 // an action's prompt is playing; then s.after
	looking                 // a lookup is in flight
	finished
)

// maxEntries bounds menu entries within one event: validation rejects the
// loops it can see, this stops the ones it cannot (e.g. a lookup's
// previous menu being closed) instead of spinning forever.
const maxEntries = 32

// maxHistory bounds the menus remembered for "return to the previous menu".
const maxHistory = 16

// Session runs one call through the menus. It is a pure state machine:
// feed it events, carry out the actions it returns. Not safe for
// concurrent use.
type Session struct {
	cfg   *Config
	start string
	lang  Language
	vars  map[string]string
	path  []Step

	menu    *Menu
	name    string
	history []string // menus entered before, for a lookup's default then

	phase       phase
	seq         int // last Play or Lookup ID handed out
	playID      int // the Play whose PlayDone is awaited; 0 none
	lookupID    int
	lookup      *LookupSpec
	after       func(time.Time) // what follows the action Play in progress
	deadline    time.Time
	hasDeadline bool
	failures    int
	digits      []byte

	// explicit is the latest outcome: override on the running branch;
	// implicit is what a hang-up on this branch means (after_hours,
	// no_input, self_service). Both reset when a menu is entered.
	explicit, implicit string
	outcome            string
	reason             string // the latest labelled action's label

	entries int
	out     []Action
}

// NewSession prepares a session that will enter menu on Started. vars are
// the call's starting variables (copied); a "language" var naming a listed
// language selects it, otherwise the default language is used.
func NewSession(cfg *Config, menu string, vars map[string]string) *Session {
	s := &Session{cfg: cfg, start: menu, vars: maps.Clone(vars)}
	if s.vars == nil {
		s.vars = map[string]string{}
	}
	code := s.vars["language"]
	if !cfg.hasLanguage(code) {
		code = ""
	}
	s.setLanguage(code)
	return s
}

// Handle advances the session by one event and returns what the driver
// must do, in order. Events before Started and after Done are ignored, as
// are PlayDone and LookupResult with stale IDs.
func (s *Session) Handle(ev Event) []Action {
	if s.phase == finished {
		return nil
	}
	s.out, s.entries = nil, 0
	switch ev := ev.(type) {
	case Started:
		if s.phase == idle {
			s.enter(ev.Now, s.start, false)
		}
	case PlayDone:
		if ev.ID != 0 && ev.ID == s.playID {
			s.playDone(ev.Now)
		}
	case Digit:
		s.digit(ev.Now, ev.Digit)
	case Tick:
		if s.hasDeadline && !ev.Now.Before(s.deadline) {
			s.expire(ev.Now)
		}
	case LookupResult:
		if s.phase == looking && ev.ID == s.lookupID {
			s.lookupDone(ev)
		}
	case CallerHangup:
		s.record(ev.Now, StepCallerHangup, "")
		s.finish(OutcomeAbandoned)
		return nil
	}
	return s.out
}

// Deadline is when the driver must send a Tick; false when no timer runs.
func (s *Session) Deadline() (time.Time, bool) { return s.deadline, s.hasDeadline }

// Done reports whether the session has ended (Enqueue, Hangup or the
// caller hung up).
func (s *Session) Done() bool { return s.phase == finished }

// Outcome is how the session ended; "" until Done.
func (s *Session) Outcome() string { return s.outcome }

// Reason is the label of the latest labelled action the caller reached
// ("" when none): why they called, for reports.
func (s *Session) Reason() string { return s.reason }

// Vars returns a copy of the call variables, including "language".
func (s *Session) Vars() map[string]string { return maps.Clone(s.vars) }

// Language is the code of the caller's language ("" when none are listed).
func (s *Session) Language() string { return s.lang.Code }

// Menu is the menu the caller is in ("" before Started).
func (s *Session) Menu() string { return s.name }

// Path returns a copy of the steps so far.
func (s *Session) Path() []Step { return append([]Step(nil), s.path...) }

func (s *Session) emit(a Action) { s.out = append(s.out, a) }

func (s *Session) record(now time.Time, kind, value string) {
	s.path = append(s.path, Step{At: now, Menu: s.name, Kind: kind, Value: value})
}

func (s *Session) setDeadline(t time.Time) { s.deadline, s.hasDeadline = t, true }

func (s *Session) clearDeadline() { s.deadline, s.hasDeadline = time.Time{}, false }

func (s *Session) setLanguage(code string) {
	s.lang = s.cfg.language(code)
	s.vars["language"] = s.lang.Code
}

func (s *Session) finish(outcome string) {
	s.outcome = outcome
	s.phase = finished
	s.playID, s.lookupID, s.after = 0, 0, nil
	s.clearDeadline()
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// hangup ends the call on the current branch.
func (s *Session) hangup(now time.Time, why string) {
	s.record(now, StepHangup, why)
	s.finish(firstOf(s.explicit, s.implicit, OutcomeHangup))
	s.emit(Hangup{})
}

// enter runs a menu from the top: after_hours when closed, else the
// greeting. remember keeps the menu being left for a lookup's default then.
func (s *Session) enter(now time.Time, name string, remember bool) {
	s.entries++
	if s.entries > maxEntries {
		s.explicit, s.implicit = "", ""
		s.hangup(now, "loop")
		return
	}
	m := s.cfg.Menus[name]
	if m == nil {
		s.explicit, s.implicit = "", ""
		s.hangup(now, "unknown menu "+name)
		return
	}
	if remember && s.name != "" && s.name != name {
		s.history = append(s.history, s.name)
		if len(s.history) > maxHistory {
			s.history = s.history[1:]
		}
	}
	s.menu, s.name = m, name
	s.failures = 0
	s.explicit, s.implicit = "", ""
	s.record(now, StepEnter, "")
	if why := m.closedBecause(now); why != "" {
		s.record(now, StepAfterHours, why)
		s.implicit = OutcomeAfterHours
		if m.AfterHours == nil { // only a hand-built Config lacks it
			s.hangup(now, "")
			return
		}
		s.run(now, m.AfterHours)
		return
	}
	s.prompt(now, nil)
}

// prompt plays the greeting, after pre (the invalid or no_input prompt)
// when re-prompting, and then waits for digits.
func (s *Session) prompt(now time.Time, pre []PromptSpec) {
	s.digits = s.digits[:0]
	s.clearDeadline()
	prompts := append(s.resolve(pre), s.resolve(s.menu.Greeting)...)
	if len(prompts) == 0 {
		s.wait(now)
		return
	}
	s.seq++
	s.playID = s.seq
	s.phase = greeting
	s.emit(Play{ID: s.seq, Prompts: prompts, BargeIn: s.menu.BargeIn})
}

// wait starts the first-digit timeout.
func (s *Session) wait(now time.Time) {
	s.phase = waiting
	s.playID = 0
	s.setDeadline(now.Add(s.menu.Timeout))
}

// play plays an action's prompts without barge-in, then runs after.
func (s *Session) play(now time.Time, specs []PromptSpec, after func(time.Time)) {
	s.clearDeadline()
	s.seq++
	s.playID = s.seq
	s.phase = playing
	s.after = after
	s.emit(Play{ID: s.seq, Prompts: s.resolve(specs)})
}

func (s *Session) resolve(specs []PromptSpec) []Prompt {
	var out []Prompt
	for _, p := range specs {
		r := s.cfg.resolve(p, s.lang.Code)
		r.Text = substitute(r.Text, s.vars)
		out = append(out, r)
	}
	return out
}

func (s *Session) playDone(now time.Time) {
	s.playID = 0
	switch s.phase {
	case greeting:
		s.wait(now)
	case playing:
		after := s.after
		s.after = nil
		after(now)
	}
}

func (s *Session) digit(now time.Time, d byte) {
	if !isDTMF(d) {
		return
	}
	switch s.phase {
	case greeting:
		if !s.menu.BargeIn {
			return
		}
		if s.playID != 0 {
			s.playID = 0
			s.emit(StopPlay{})
		}
	case waiting, collecting:
	default:
		return // idle, an action's prompt or a lookup: not listening
	}
	if s.menu.Input != nil {
		s.collect(now, d)
		return
	}
	s.clearDeadline()
	s.record(now, StepDigit, string(d))
	cmd := s.menu.Options[d]
	if cmd == nil {
		s.record(now, StepInvalid, string(d))
		s.fail(now, StepInvalid)
		return
	}
	s.run(now, cmd)
}

// collect adds a digit to an input menu's entry.
func (s *Session) collect(now time.Time, d byte) {
	in := s.menu.Input
	s.phase = collecting
	if d == in.Terminator {
		s.endInput(now)
		return
	}
	if d < '0' || d > '9' {
		// The other symbol key is not part of any number.
		s.clearDeadline()
		s.record(now, StepInvalid, string(s.digits)+string(d))
		s.fail(now, StepInvalid)
		return
	}
	s.digits = append(s.digits, d)
	if len(s.digits) >= in.MaxDigits {
		s.endInput(now)
		return
	}
	s.setDeadline(now.Add(s.menu.InterDigitTimeout))
}

func (s *Session) endInput(now time.Time) {
	in := s.menu.Input
	v := string(s.digits)
	s.digits = s.digits[:0]
	s.clearDeadline()
	if len(v) < in.MinDigits {
		s.record(now, StepInvalid, v)
		s.fail(now, StepInvalid)
		return
	}
	s.vars[in.Var] = v
	s.record(now, StepInput, v)
	s.run(now, in.Then)
}

// expire handles a Tick at or after the deadline.
func (s *Session) expire(now time.Time) {
	s.clearDeadline()
	switch s.phase {
	case waiting:
		s.record(now, StepNoInput, "")
		s.fail(now, StepNoInput)
	case collecting:
		s.endInput(now)
	case looking:
		s.lookupFailed(now, "timeout")
	}
}

// fail counts an invalid or missing input: re-prompt while retries last,
// then run the fallback.
func (s *Session) fail(now time.Time, kind string) {
	s.failures++
	if s.failures > s.menu.Retries {
		s.record(now, StepFallback, kind)
		s.explicit, s.implicit = "", OutcomeNoInput
		if s.menu.Fallback == nil {
			s.hangup(now, "")
			return
		}
		s.run(now, s.menu.Fallback)
		return
	}
	pre := s.menu.NoInput
	if kind == StepInvalid {
		pre = s.menu.Invalid
	}
	s.prompt(now, pre)
}

// run carries out an action on behalf of the current menu.
func (s *Session) run(now time.Time, cmd *Command) {
	if cmd.Outcome != "" {
		s.explicit = cmd.Outcome
	}
	if cmd.Label != "" {
		s.reason = cmd.Label
	}
	switch cmd.Kind {
	case KindHangup:
		s.hangup(now, "")
	case KindReturn:
		s.enter(now, s.name, false)
	case KindMenu:
		s.enter(now, cmd.Menu, true)
	case KindQueue:
		s.record(now, StepQueue, cmd.Queue)
		s.finish(firstOf(s.explicit, OutcomeQueued))
		s.emit(Enqueue{Queue: cmd.Queue, Priority: cmd.Priority})
	case KindPlay:
		if s.implicit == "" {
			s.implicit = OutcomeSelfService
		}
		then := cmd.Then
		s.play(now, cmd.Prompts, func(now time.Time) {
			if then == nil {
				s.enter(now, s.name, false)
				return
			}
			s.run(now, then)
		})
	case KindLanguage:
		s.setLanguage(cmd.Language)
		s.record(now, StepLanguage, s.lang.Code)
		target := cmd.Menu
		if target == "" {
			target = s.name
		}
		s.enter(now, target, true)
	case KindLookup:
		s.seq++
		s.lookupID = s.seq
		s.lookup = cmd.Lookup
		s.phase = looking
		s.playID = 0
		// The driver enforces the timeout too; this deadline covers a
		// driver that never answers.
		s.setDeadline(now.Add(cmd.Lookup.Timeout))
		s.emit(Lookup{ID: s.seq, URL: cmd.Lookup.URL, Vars: s.Vars(), Timeout: cmd.Lookup.Timeout})
	}
}

// back returns to the menu entered before this one (or re-enters this one).
func (s *Session) back(now time.Time) {
	if n := len(s.history); n > 0 {
		prev := s.history[n-1]
		s.history = s.history[:n-1]
		s.enter(now, prev, false)
		return
	}
	s.enter(now, s.name, false)
}

func (s *Session) lookupDone(ev LookupResult) {
	s.lookupID = 0
	s.clearDeadline()
	l := s.lookup
	fields, why := answerFields(ev)
	if why != "" {
		s.lookupFailed(ev.Now, why)
		return
	}
	for k, v := range fields {
		if k == "language" {
			continue // only a language action changes the prompt set
		}
		s.vars[k] = v
	}
	value, hasValue := "", false
	if l.Field != "" {
		value, hasValue = fields[l.Field]
	}
	s.record(ev.Now, StepLookup, value)
	next := func(now time.Time) {
		if c, ok := l.Cases[value]; ok && hasValue {
			s.run(now, c)
			return
		}
		if l.Then != nil {
			s.run(now, l.Then)
			return
		}
		s.back(now)
	}
	if len(l.Say) > 0 {
		if s.implicit == "" {
			s.implicit = OutcomeSelfService
		}
		s.play(ev.Now, l.Say, next)
		return
	}
	next(ev.Now)
}

func (s *Session) lookupFailed(now time.Time, why string) {
	s.lookupID = 0
	s.record(now, StepLookupError, why)
	// A failed lookup served nobody: a hang-up here is not self-service.
	s.implicit = OutcomeHangup
	if s.lookup.OnError != nil {
		s.run(now, s.lookup.OnError)
		return
	}
	s.back(now)
}

// answerFields reads a lookup answer's top-level scalar fields as strings;
// why is the short reason recorded when the answer is unusable.
func answerFields(ev LookupResult) (fields map[string]string, why string) {
	switch {
	case ev.Err != nil:
		return nil, "error"
	case ev.Status < 200 || ev.Status > 299:
		return nil, fmt.Sprintf("status %d", ev.Status)
	}
	dec := json.NewDecoder(bytes.NewReader(ev.Body))
	dec.UseNumber() // keep numbers as written: 12345678901234567890 must not become 1.2345678901234567e+19
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, "invalid JSON"
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, "invalid JSON"
	}
	fields = map[string]string{}
	for k, v := range obj {
		switch v := v.(type) {
		case string:
			fields[k] = v
		case json.Number:
			fields[k] = v.String()
		case bool:
			fields[k] = strconv.FormatBool(v)
		case nil:
			fields[k] = ""
		}
	}
	return fields, ""
}
