package ivr

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeExample(t *testing.T) {
	c := exampleConfig(t)

	if got, want := len(c.Languages), 2; got != want {
		t.Fatalf("languages: got %v, want %v", got, want)
	}
	if got, want := c.Languages[1], (Language{Code: "ar", Voice: "ar", Dir: "ar", Line: 12}); got != want {
		t.Errorf("languages[1]: got %+v, want %+v", got, want)
	}
	main, orders, account := c.Menus["main"], c.Menus["orders"], c.Menus["account"]
	if main == nil || orders == nil || account == nil {
		t.Fatalf("menus: got %v, want main, orders and account", sortedKeys(c.Menus))
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"main time zone", main.Location.String(), "Europe/London"},
		{"main hours", len(main.Hours), 2},
		{"main saturday open", main.Hours[1].Open, 10 * 60},
		{"main friday listed", main.Hours[0].Days[time.Friday], true},
		{"main sunday listed", main.Hours[0].Days[time.Sunday], false},
		{"main holidays", strings.Join(main.Holidays, ","), "2026-12-25,2027-01-01"},
		{"main greeting prompts", len(main.Greeting), 2},
		{"main option 1", *main.Options['1'], Command{Kind: KindQueue, Queue: "support", Priority: 2, Label: "support_request", Line: 30, field: "menus.main.options.1", refLine: 30}},
		{"main option 2 default priority", main.Options['2'].Priority, DefaultPriority},
		{"main option * repeats", main.Options['*'].Kind, KindReturn},
		{"main option # outcome", main.Options['#'].Outcome, "caller_declined"},
		{"main option 8 language", main.Options['8'].Language + "/" + main.Options['8'].Menu, "ar/main"},
		{"main option 3 then", main.Options['3'].Then.Kind, KindReturn},
		{"main barge-in default", main.BargeIn, true},
		{"main retries", main.Retries, 2},
		{"orders default time zone", orders.Location, time.UTC},
		{"orders input", *orders.Input, Input{Var: "order", MinDigits: 3, MaxDigits: 10, Terminator: '#', Then: orders.Input.Then, Line: 50}},
		{"orders inter-digit", orders.InterDigitTimeout, 2 * time.Second},
		{"orders lookup timeout", orders.Input.Then.Lookup.Timeout, 3 * time.Second},
		{"orders lookup cases", len(orders.Input.Then.Lookup.Cases), 2},
		{"orders lost priority", orders.Input.Then.Lookup.Cases["lost"].Priority, 1},
		{"orders fallback outcome", orders.Fallback.Outcome, "no_order_number"},
		{"account barge-in", account.BargeIn, false},
		{"account terminator", account.Input.Terminator, byte('*')},
		{"account min digits default", account.Input.MinDigits, DefaultMinDigits},
		{"account timeout default", account.Timeout, DefaultTimeout},
		{"account inter-digit default", account.InterDigitTimeout, DefaultInterDigitTimeout},
		{"account lookup timeout default", account.Input.Then.Lookup.Timeout, DefaultLookupTimeout},
		{"account lookup then default", account.Input.Then.Lookup.Then == nil, true},
		{"account close 24:00", account.Hours[0].Close, 24 * 60},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestMenuFor(t *testing.T) {
	example := exampleConfig(t)
	starFirst := mustConfig(t, `
routes:
  - {number: "*", menu: a}
  - {number: "300", menu: b}
menus:
  a: {options: {"1": hangup}}
  b: {options: {"1": hangup}}
`)
	noStar := mustConfig(t, `
routes: [{number: "300", menu: a}]
menus:
  a: {options: {"1": hangup}}
`)
	tests := []struct {
		name    string
		c       *Config
		dialled string
		want    string
		wantOK  bool
	}{
		{"exact", example, "200", "orders", true},
		{"star", example, "100", "main", true},
		{"exact beats an earlier star", starFirst, "300", "b", true},
		{"star after exact", starFirst, "301", "a", true},
		{"no match", noStar, "301", "", false},
	}
	for _, tt := range tests {
		got, ok := tt.c.MenuFor(tt.dialled)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: got %q %v, want %q %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

type wantErr struct {
	line    int
	field   string
	problem string // a substring of the problem
}

func checkErrors(t *testing.T, got []FieldError, want []wantErr) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:", len(got), len(want))
		for _, e := range got {
			t.Errorf("  %v", e)
		}
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Field != w.field || !strings.Contains(g.Problem, w.problem) {
			t.Errorf("problem %d: got %v, want line %d: %s: ...%s...", i, g, w.line, w.field, w.problem)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		file string
		want []wantErr
	}{
		{"bad-keys.yaml", []wantErr{
			{2, "languages.en.speed", "unknown key"},
			{4, "routes[0].priority", "unknown key"},
			{8, "menus.main.colour", "unknown key"},
			{10, "menus.main.options.1.then", "only goes with play"},
			{11, "menus.main.options.12", "not a single DTMF key"},
			{12, "menus.main.options.a", "not a single DTMF key"},
			{13, "menus.main.options.2", "got menu, queue"},
			{14, "menus.main.options.3", "got none"},
			{15, "menus.main.options.4", `unknown action "goto"`},
			{16, "menus.main.options.1", "duplicate key (first at line 10)"},
			{18, "menus.both", "both options and input"},
			{21, "menus.neither", "neither options nor input"},
			{22, "menus.neither.greeting", "exactly one of file or text"},
		}},
		{"bad-values.yaml", []wantErr{
			{5, "menus.main.timezone", `unknown time zone "Mars/Olympus_Mons"`},
			{7, "menus.main.hours[0].days[1]", `unknown day "funday"`},
			{7, "menus.main.hours[0].open", `invalid time "9am"`},
			{8, "menus.main.hours[1].close", "close 10:00 is not after open 14:00"},
			{9, "menus.main.hours[2].close", `invalid time "25:00"`},
			{10, "menus.main.holidays[1]", `invalid date "2026-13-01"`},
			{13, "menus.main.options.1.priority", "outside 0-9"},
			{14, "menus.main.options.2.priority", "whole number"},
			{15, "menus.main.options.3.hangup", "hangup: false"},
			{16, "menus.main.options.4.play", "empty list of prompts"},
			{17, "menus.main.options.5.play", `invalid prompt file "../secret.wav"`},
			{18, "menus.main.options.6.play.text", "unclosed"},
			{19, "menus.main.timeout", `invalid duration "5"`},
			{20, "menus.main.inter_digit_timeout", `invalid duration "-1s"`},
			{21, "menus.main.retries", "negative"},
			{22, "menus.main.barge_in", "true or false"},
			{24, "menus.orders.holidays", "without after_hours"},
			{27, "menus.orders.input.min_digits", "min_digits 5 is more than max_digits 3"},
			{29, "menus.orders.input.terminator", `want "#" or "*"`},
			{32, "menus.orders.input.then.lookup.url", `bad URL "ftp://example.com/orders"`},
			{33, "menus.orders.input.then.lookup.timeout", `invalid duration "soon"`},
			{35, "menus.info.after_hours", "no effect without hours"},
		}},
		{"bad-empty.yaml", []wantErr{
			{2, "routes", "missing"},
			{4, "menus", "empty"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, errs := decodeFile(t, tt.file)
			if c != nil {
				t.Errorf("got a config, want nil with problems")
			}
			checkErrors(t, errs, tt.want)
		})
	}
}

// Problems that need a document of their own.
func TestDecodeErrorsInline(t *testing.T) {
	const menus = "menus:\n  m: {options: {\"1\": hangup}}\n"
	tests := []struct {
		name string
		src  string
		want []wantErr
	}{
		{"root is a list", "- a\n", []wantErr{{1, "(root)", "mapping"}}},
		{"routes not a list", "routes: {number: 1}\n" + menus, []wantErr{{1, "routes", "want a list"}}},
		{"routes empty", "routes: []\n" + menus, []wantErr{{1, "routes", "empty"}}},
		{"route without menu", "routes:\n  - {number: \"1\"}\n" + menus, []wantErr{{2, "routes[0]", "missing menu"}}},
		{"duplicate route", "routes:\n  - {number: \"*\", menu: m}\n  - {number: \"*\", menu: m}\n" + menus,
			[]wantErr{{3, "routes[1].number", "already routed at line 2"}}},
		{"no menus key", "routes: [{number: \"*\", menu: m}]\n", []wantErr{{1, "menus", "missing"}}},
		{"local time zone", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    timezone: Local\n    options: {\"1\": hangup}\n",
			[]wantErr{{4, "menus.m.timezone", "unknown time zone"}}},
		{"input without then", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    input: {var: x}\n",
			[]wantErr{{4, "menus.m.input", "missing then"}}},
		{"input var language", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    input: {var: language, then: hangup}\n",
			[]wantErr{{4, "menus.m.input.var", "invalid variable name"}}},
		{"placeholder name", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    greeting: {text: \"hi {{a b}}\"}\n    options: {\"1\": hangup}\n",
			[]wantErr{{4, "menus.m.greeting.text", "invalid placeholder"}}},
		{"lookup branch without cases", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    options:\n      \"1\": {lookup: {url: \"http://h/x\", branch: {field: f}}}\n",
			[]wantErr{{5, "menus.m.options.1.lookup.branch", "missing cases"}}},
		{"hours without after_hours", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    options: {\"1\": hangup}\n    hours:\n      - {days: [mon], open: \"09:00\", close: \"17:00\"}\n",
			[]wantErr{{5, "menus.m.hours", "without after_hours"}}},
		{"anchors and aliases are followed", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    options: {\"1\": &bye {play: bye.wav, then: hangup}, \"2\": *bye}\n    fallback: *bye\n",
			nil},
		{"then under queue", "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    options:\n      \"1\": {queue: support,\n             then: hangup}\n",
			[]wantErr{{6, "menus.m.options.1.then", "only goes with play"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := decodeString(t, tt.src)
			checkErrors(t, errs, tt.want)
		})
	}
}

func TestValidateErrors(t *testing.T) {
	c, errs := decodeFile(t, "bad-refs.yaml")
	if len(errs) > 0 {
		t.Fatalf("decode: %v", errs)
	}
	checkErrors(t, c.Validate(knownQueues, nil), []wantErr{
		{6, "routes[1].menu", `unknown menu "missing"`},
		{9, "menus.main.greeting", `no variant for the default language "en"`},
		{11, "menus.main.options.1", `unknown queue "nosuchqueue"`},
		{12, "menus.main.options.2", `unknown menu "nowhere"`},
		{13, "menus.main.options.3", `language "fr" is not listed`},
		{14, "menus.main.options.4.play", `language "fr" is not listed`},
		{15, "menus.main.options.5.lookup.on_error", `unknown menu "gone"`},
		{19, "menus.closed.after_hours", `re-enters menu "closed"`},
		{23, "menus.night.after_hours.then", "through the after_hours of weekend"},
		{28, "menus.weekend.after_hours", "through the after_hours of night"},
	})
}

func TestValidateAfterHoursLoops(t *testing.T) {
	const head = "routes: [{number: \"*\", menu: m}]\nmenus:\n  m:\n    holidays: [\"2026-12-25\"]\n    options: {\"1\": hangup}\n    after_hours: "
	tests := []struct {
		afterHours string
		want       []wantErr
	}{
		{"return", []wantErr{{6, "menus.m.after_hours", `re-enters menu "m"`}}},
		{"{menu: m}", []wantErr{{6, "menus.m.after_hours", `re-enters menu "m"`}}},
		{"{language: en}", []wantErr{{6, "menus.m.after_hours", `re-enters menu "m"`}}},
		{"{play: x.wav, then: repeat}", []wantErr{{6, "menus.m.after_hours.then", `re-enters menu "m"`}}},
		{"{lookup: {url: \"http://h/x\", then: hangup}}", []wantErr{{6, "menus.m.after_hours", `re-enters menu "m"`}}},
		{"{play: x.wav, then: hangup}", nil},
		{"{queue: support}", nil},
		{"{lookup: {url: \"http://h/x\", then: hangup, on_error: hangup}}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.afterHours, func(t *testing.T) {
			c, errs := decodeString(t, head+tt.afterHours+"\nlanguages: {en: {}}\n")
			if len(errs) > 0 {
				t.Fatalf("decode: %v", errs)
			}
			checkErrors(t, c.Validate(knownQueues, nil), tt.want)
		})
	}
}

func TestValidateChecksPrompts(t *testing.T) {
	c := exampleConfig(t)
	calls := map[Prompt]int{}
	errs := c.Validate(knownQueues, func(p Prompt) error {
		line := p.Line
		p.Line = 0
		calls[p]++
		if p.File == "hours-ar.wav" {
			return errors.New("prompt hours-ar.wav: file does not exist")
		}
		if line == 0 {
			t.Errorf("prompt %+v: got line 0, want its line in the file", p)
		}
		return nil
	})
	checkErrors(t, errs, []wantErr{
		{32, "menus.main.options.3.play", "file does not exist (language ar)"},
	})
	for p, n := range calls {
		if n != 1 {
			t.Errorf("prompt %+v: got %d checks, want 1", p, n)
		}
	}
	en, ar := Language{"en", "en", "", 11}, Language{"ar", "ar", "ar", 12}
	for _, tt := range []struct {
		p    Prompt
		want int
	}{
		{Prompt{File: "welcome.wav", Lang: "en", Voice: en.Voice}, 1},
		{Prompt{File: "welcome.wav", Lang: "ar", Voice: ar.Voice, Dir: ar.Dir}, 1},
		{Prompt{File: "hours.wav", Lang: "en", Voice: en.Voice}, 1},
		{Prompt{File: "hours.wav", Lang: "ar", Voice: ar.Voice, Dir: ar.Dir}, 0}, // ar has its own variant
		{Prompt{File: "hours-ar.wav", Lang: "ar", Voice: ar.Voice, Dir: ar.Dir}, 1},
		{Prompt{Text: "Your order {{order}} is {{status}}.", Lang: "ar", Voice: "ar", Dir: "ar"}, 1},
	} {
		if got := calls[tt.p]; got != tt.want {
			t.Errorf("checks of %+v: got %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestFieldErrorString(t *testing.T) {
	e := FieldError{Line: 12, Field: "menus.main.options.4", Problem: `unknown menu "x"`}
	if got, want := e.Error(), `line 12: menus.main.options.4: unknown menu "x"`; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	e.File = "contactd.yaml"
	if got, want := e.Error(), `contactd.yaml:12: menus.main.options.4: unknown menu "x"`; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}
