package ivr

import (
	"fmt"
	"slices"
	"time"
)

// Defaults applied by Decode where the file says nothing.
const (
	DefaultTimeout           = 5 * time.Second
	DefaultInterDigitTimeout = 3 * time.Second
	DefaultRetries           = 2
	DefaultPriority          = 5
	DefaultLookupTimeout     = 3 * time.Second
	DefaultMinDigits         = 1
	DefaultMaxDigits         = 20
	DefaultTerminator        = '#'
)

// Config is the ivr part of the config file: the languages, routes and
// menus keys.
type Config struct {
	// Languages in file order; the first is the default.
	Languages []Language
	// Routes in file order; see MenuFor.
	Routes []Route
	// Menus by name.
	Menus map[string]*Menu
}

// Language is one prompt set a caller can choose.
type Language struct {
	Code string
	// Voice is the text-to-speech voice (default: Code).
	Voice string
	// Dir is the prompt sub-directory; files not found there are taken
	// from the top directory (the driver's job).
	Dir  string
	Line int
}

// Route sends a dialled number to a menu. Number "*" matches any number.
type Route struct {
	Number string
	Menu   string
	Line   int

	menuLine int
}

// Menu is one IVR menu. Exactly one of Options and Input is set.
type Menu struct {
	Name string
	// Location is the menu's time zone for Hours and Holidays (default UTC).
	Location *time.Location
	// Hours are the opening hours; none means always open (unless a holiday).
	Hours []Hours
	// Holidays are closed all day, as YYYY-MM-DD in Location.
	Holidays []string
	// AfterHours runs on entry when the menu is closed.
	AfterHours *Command
	Greeting   []PromptSpec
	BargeIn    bool
	// Options maps a DTMF key ('0'-'9', '*', '#') to what it does.
	Options           map[byte]*Command
	Input             *Input
	Timeout           time.Duration
	InterDigitTimeout time.Duration
	// Retries is how many times the greeting is replayed after an invalid
	// or missing input before Fallback runs.
	Retries int
	Invalid []PromptSpec
	NoInput []PromptSpec
	// Fallback runs once retries are exhausted; nil means hang up.
	Fallback *Command
	Line     int
}

// Hours is one opening period on some days of the week, in minutes after
// local midnight: Open inclusive, Close exclusive (Close may be 24*60).
type Hours struct {
	Days        [7]bool // indexed by time.Weekday
	Open, Close int
	Line        int
}

// Input collects several digits into a call variable, then runs Then.
type Input struct {
	Var        string
	MinDigits  int
	MaxDigits  int
	Terminator byte
	Then       *Command
	Line       int
}

// Kind names what a Command does.
type Kind string

// Command kinds. "repeat" in the file decodes as KindReturn.
const (
	KindHangup   Kind = "hangup"
	KindReturn   Kind = "return"
	KindMenu     Kind = "menu"
	KindQueue    Kind = "queue"
	KindPlay     Kind = "play"
	KindLanguage Kind = "language"
	KindLookup   Kind = "lookup"
)

// Command is what a menu does in answer to something: an option's value, a
// then, a fallback, after_hours, a branch case or on_error.
type Command struct {
	Kind Kind
	// Menu is the target of KindMenu, and of KindLanguage when set (empty:
	// re-enter the current menu).
	Menu     string
	Queue    string
	Priority int
	// Prompts and Then belong to KindPlay; a nil Then means return.
	Prompts  []PromptSpec
	Then     *Command
	Language string
	Lookup   *LookupSpec
	// Outcome overrides the outcome recorded if the call ends on this branch.
	Outcome string
	// Label names why the caller came ("billing", "opening hours") for
	// reports and metrics; the last labelled action a call runs wins.
	Label string
	Line  int

	field   string // dotted path, for validation messages
	refLine int    // line of the menu/queue/language name
}

// LookupSpec is a self-service HTTP lookup: the driver POSTs the call's
// variables as JSON and the answer's top-level scalar fields become
// variables.
type LookupSpec struct {
	URL     string
	Timeout time.Duration
	// Say is spoken after a successful lookup (text may use {{var}}).
	Say []PromptSpec
	// Field, when set, selects a case by the answer's value of that field.
	Field string
	Cases map[string]*Command
	// Then runs after Say when no case matched; nil returns to the
	// previous menu.
	Then *Command
	// OnError runs on a transport error, timeout, non-2xx status or an
	// answer that is not a JSON object; nil returns to the previous menu.
	OnError *Command
	Line    int
}

// PromptSpec is a prompt as written in the file. Exactly one of File,
// Text, Files and Texts is set; Files and Texts are keyed by language code.
type PromptSpec struct {
	File  string
	Text  string
	Files map[string]string
	Texts map[string]string
	Line  int

	field     string
	langLines map[string]int
}

// Prompt is what the driver must play, resolved for the session's
// language. Exactly one of File and Text is set; Dir is the language's
// prompt directory and Voice its text-to-speech voice.
type Prompt struct {
	File  string
	Text  string
	Lang  string
	Voice string
	Dir   string
	// Line is where the prompt is written in the config, for messages.
	Line int
}

// FieldError is one problem in the config. File is left for the caller.
type FieldError struct {
	File    string
	Line    int
	Field   string
	Problem string
}

func (e FieldError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Problem)
	}
	return fmt.Sprintf("line %d: %s: %s", e.Line, e.Field, e.Problem)
}

// sortErrors orders problems as they appear in the file.
func sortErrors(errs []FieldError) []FieldError {
	slices.SortStableFunc(errs, func(a, b FieldError) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Field < b.Field {
			return -1
		}
		if a.Field > b.Field {
			return 1
		}
		return 0
	})
	return errs
}

// MenuFor returns the menu for a dialled number: an exact route first,
// else the first "*" route.
func (c *Config) MenuFor(dialled string) (string, bool) {
	for _, r := range c.Routes {
		if r.Number == dialled {
			return r.Menu, true
		}
	}
	for _, r := range c.Routes {
		if r.Number == "*" {
			return r.Menu, true
		}
	}
	return "", false
}

// Open reports whether the menu is open at t: not a holiday and, when
// hours are set, inside one of them, both in the menu's time zone.
func (m *Menu) Open(t time.Time) bool { return m.closedBecause(t) == "" }

// closedBecause is "" when open, else the reason recorded in the path.
func (m *Menu) closedBecause(t time.Time) string {
	if len(m.Hours) == 0 && len(m.Holidays) == 0 {
		return ""
	}
	loc := m.Location
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	if slices.Contains(m.Holidays, lt.Format(time.DateOnly)) {
		return "holiday"
	}
	if len(m.Hours) == 0 {
		return ""
	}
	minute := lt.Hour()*60 + lt.Minute()
	for _, h := range m.Hours {
		if h.Days[lt.Weekday()] && minute >= h.Open && minute < h.Close {
			return ""
		}
	}
	return "closed"
}

// language returns the language with this code, or the default one.
func (c *Config) language(code string) Language {
	for _, l := range c.Languages {
		if l.Code == code {
			return l
		}
	}
	if len(c.Languages) > 0 {
		return c.Languages[0]
	}
	return Language{}
}

// hasLanguage reports whether code is listed.
func (c *Config) hasLanguage(code string) bool {
	return slices.ContainsFunc(c.Languages, func(l Language) bool { return l.Code == code })
}
