package ivr

import (
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	// Menus name IANA zones; embedding the database keeps a minimal host
	// without /usr/share/zoneinfo from rejecting a valid config.
	_ "time/tzdata"

	"gopkg.in/yaml.v3"
)

// Decode reads the ivr keys (languages, routes, menus) from the document's
// root mapping; other keys belong to other packages and are ignored. It
// checks everything that can be checked within one node; cross references
// are Validate's job. The Config is nil when there are problems.
func Decode(root *yaml.Node) (*Config, []FieldError) {
	d := &decoder{}
	root = deref(root)
	if root != nil && root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = deref(root.Content[0])
	}
	if root == nil || root.Kind != yaml.MappingNode {
		line := 1
		if root != nil && root.Line > 0 {
			line = root.Line
		}
		return nil, []FieldError{{Line: line, Field: "(root)", Problem: "want a mapping of settings"}}
	}
	c := &Config{Menus: map[string]*Menu{}}
	var langs, routes, menus *entry
	for i := 0; i+1 < len(root.Content); i += 2 {
		e := &entry{key: deref(root.Content[i]), val: deref(root.Content[i+1])}
		switch e.key.Value {
		case "languages":
			langs = e
		case "routes":
			routes = e
		case "menus":
			menus = e
		}
	}
	if langs != nil {
		d.languages(c, langs)
	}
	if routes == nil {
		d.add(root.Line, "routes", "missing: at least one route (number: \"*\" matches any)")
	} else {
		d.routes(c, routes)
	}
	if menus == nil {
		d.add(root.Line, "menus", "missing: at least one menu")
	} else {
		d.menus(c, menus)
	}
	if len(d.errs) > 0 {
		return nil, sortErrors(d.errs)
	}
	return c, nil
}

type decoder struct{ errs []FieldError }

func (d *decoder) add(line int, field, format string, args ...any) {
	d.errs = append(d.errs, FieldError{Line: line, Field: field, Problem: fmt.Sprintf(format, args...)})
}

// entry is one key of a mapping with its value.
type entry struct{ key, val *yaml.Node }

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func index(field string, i int) string { return fmt.Sprintf("%s[%d]", field, i) }

func kindName(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// mapping returns a mapping's entries in file order. Duplicate keys are
// reported here because decoding into yaml.Node does not check them.
func (d *decoder) mapping(n *yaml.Node, field string) ([]entry, bool) {
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, field, "want a mapping, got %s", kindName(n))
		return nil, false
	}
	first := map[string]int{}
	var out []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.add(k.Line, field, "keys must be plain names, got %s", kindName(k))
			continue
		}
		if at, dup := first[k.Value]; dup {
			d.add(k.Line, join(field, k.Value), "duplicate key (first at line %d)", at)
			continue
		}
		first[k.Value] = k.Line
		out = append(out, entry{k, v})
	}
	return out, true
}

// fields reads a mapping whose keys are fixed: any other key is an error.
func (d *decoder) fields(n *yaml.Node, field string, known ...string) (map[string]entry, bool) {
	es, ok := d.mapping(n, field)
	if !ok {
		return nil, false
	}
	m := make(map[string]entry, len(es))
	for _, e := range es {
		if !slices.Contains(known, e.key.Value) {
			d.add(e.key.Line, join(field, e.key.Value), "unknown key (want one of %s)", strings.Join(known, ", "))
			continue
		}
		m[e.key.Value] = e
	}
	return m, true
}

func (d *decoder) str(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.add(n.Line, field, "want a string, got %s", kindName(n))
		return "", false
	}
	if n.Value == "" {
		d.add(n.Line, field, "must not be empty")
		return "", false
	}
	return n.Value, true
}

func (d *decoder) integer(n *yaml.Node, field string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.add(n.Line, field, "want a whole number, got %s", kindName(n))
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		d.add(n.Line, field, "want a whole number, got %q", n.Value)
		return 0, false
	}
	return v, true
}

func (d *decoder) boolean(n *yaml.Node, field string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.add(n.Line, field, "want true or false, got %s", kindName(n))
		return false, false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.add(n.Line, field, "want true or false, got %q", n.Value)
		return false, false
	}
	return b, true
}

func (d *decoder) duration(n *yaml.Node, field string) (time.Duration, bool) {
	s, ok := d.str(n, field)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		d.add(n.Line, field, "invalid duration %q (want a positive Go duration such as 5s or 1500ms)", s)
		return 0, false
	}
	return v, true
}

// isName accepts the names used for menus, languages and variables, so
// that they read well in field paths and {{placeholders}}.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (d *decoder) languages(c *Config, e *entry) {
	es, ok := d.mapping(e.val, "languages")
	if !ok {
		return
	}
	for _, le := range es {
		field := join("languages", le.key.Value)
		l := Language{Code: le.key.Value, Voice: le.key.Value, Line: le.key.Line}
		if !isName(l.Code) {
			d.add(le.key.Line, field, "invalid language code %q (letters, digits, - and _)", l.Code)
		}
		if !isNull(le.val) {
			f, ok := d.fields(le.val, field, "voice", "dir")
			if ok {
				if v, ok := f["voice"]; ok {
					l.Voice, _ = d.str(v.val, join(field, "voice"))
				}
				if v, ok := f["dir"]; ok {
					if dir, ok := d.str(v.val, join(field, "dir")); ok {
						if !fs.ValidPath(dir) || dir == "." {
							d.add(v.val.Line, join(field, "dir"), "invalid directory %q (want a relative, slash-separated path without \"..\")", dir)
						}
						l.Dir = dir
					}
				}
			}
		}
		c.Languages = append(c.Languages, l)
	}
}

func (d *decoder) routes(c *Config, e *entry) {
	if e.val.Kind != yaml.SequenceNode {
		d.add(e.val.Line, "routes", "want a list of {number, menu}, got %s", kindName(e.val))
		return
	}
	if len(e.val.Content) == 0 {
		d.add(e.key.Line, "routes", "empty: at least one route is needed")
		return
	}
	seen := map[string]int{}
	for i, n := range e.val.Content {
		n = deref(n)
		field := index("routes", i)
		f, ok := d.fields(n, field, "number", "menu")
		if !ok {
			continue
		}
		r := Route{Line: n.Line}
		if v, ok := f["number"]; !ok {
			d.add(n.Line, field, "missing number")
		} else if r.Number, ok = d.str(v.val, join(field, "number")); ok {
			if at, dup := seen[r.Number]; dup {
				d.add(v.val.Line, join(field, "number"), "number %q already routed at line %d: this route is never used", r.Number, at)
			} else {
				seen[r.Number] = v.val.Line
			}
		}
		if v, ok := f["menu"]; !ok {
			d.add(n.Line, field, "missing menu")
		} else {
			r.Menu, _ = d.str(v.val, join(field, "menu"))
			r.menuLine = v.val.Line
		}
		c.Routes = append(c.Routes, r)
	}
}

func (d *decoder) menus(c *Config, e *entry) {
	es, ok := d.mapping(e.val, "menus")
	if !ok {
		return
	}
	if len(es) == 0 {
		d.add(e.key.Line, "menus", "empty: at least one menu is needed")
		return
	}
	for _, me := range es {
		field := join("menus", me.key.Value)
		if !isName(me.key.Value) {
			d.add(me.key.Line, field, "invalid menu name (letters, digits, - and _)")
			continue
		}
		if m := d.menu(me, field); m != nil {
			c.Menus[m.Name] = m
		}
	}
}

var menuKeys = []string{"timezone", "hours", "holidays", "after_hours", "greeting", "barge_in",
	"options", "input", "timeout", "inter_digit_timeout", "retries", "invalid", "no_input", "fallback"}

func (d *decoder) menu(e entry, field string) *Menu {
	f, ok := d.fields(e.val, field, menuKeys...)
	if !ok {
		return nil
	}
	m := &Menu{
		Name:              e.key.Value,
		Location:          time.UTC,
		BargeIn:           true,
		Timeout:           DefaultTimeout,
		InterDigitTimeout: DefaultInterDigitTimeout,
		Retries:           DefaultRetries,
		Line:              e.key.Line,
	}
	if v, ok := f["timezone"]; ok {
		if name, ok := d.str(v.val, join(field, "timezone")); ok {
			// "Local" depends on the host, which a config must not.
			loc, err := time.LoadLocation(name)
			if err != nil || name == "Local" {
				d.add(v.val.Line, join(field, "timezone"), "unknown time zone %q (want an IANA name such as Europe/London)", name)
			} else {
				m.Location = loc
			}
		}
	}
	if v, ok := f["hours"]; ok {
		m.Hours = d.hours(v.val, join(field, "hours"))
	}
	if v, ok := f["holidays"]; ok {
		m.Holidays = d.holidays(v.val, join(field, "holidays"))
	}
	if v, ok := f["after_hours"]; ok {
		m.AfterHours = d.command(v.val, join(field, "after_hours"))
	}
	_, hasHours := f["hours"]
	_, hasHolidays := f["holidays"]
	_, hasAfter := f["after_hours"]
	if (hasHours || hasHolidays) && !hasAfter {
		key := "hours"
		if !hasHours {
			key = "holidays"
		}
		d.add(f[key].key.Line, join(field, key), "set without after_hours: say what happens when the menu is closed")
	}
	if v := f["after_hours"]; hasAfter && !hasHours && !hasHolidays {
		d.add(v.key.Line, join(field, "after_hours"), "has no effect without hours or holidays")
	}
	if v, ok := f["greeting"]; ok {
		m.Greeting = d.prompts(v.val, join(field, "greeting"))
	}
	if v, ok := f["barge_in"]; ok {
		m.BargeIn, _ = d.boolean(v.val, join(field, "barge_in"))
	}
	opts, hasOpts := f["options"]
	in, hasInput := f["input"]
	switch {
	case hasOpts && hasInput:
		d.add(e.key.Line, field, "has both options and input: want exactly one")
	case !hasOpts && !hasInput:
		d.add(e.key.Line, field, "has neither options nor input: want exactly one")
	case hasOpts:
		m.Options = d.options(opts.val, join(field, "options"))
	default:
		m.Input = d.input(in.val, join(field, "input"))
	}
	if v, ok := f["timeout"]; ok {
		m.Timeout, _ = d.duration(v.val, join(field, "timeout"))
	}
	if v, ok := f["inter_digit_timeout"]; ok {
		m.InterDigitTimeout, _ = d.duration(v.val, join(field, "inter_digit_timeout"))
	}
	if v, ok := f["retries"]; ok {
		if n, ok := d.integer(v.val, join(field, "retries")); ok {
			if n < 0 {
				d.add(v.val.Line, join(field, "retries"), "must not be negative, got %d", n)
			}
			m.Retries = n
		}
	}
	if v, ok := f["invalid"]; ok {
		m.Invalid = d.prompts(v.val, join(field, "invalid"))
	}
	if v, ok := f["no_input"]; ok {
		m.NoInput = d.prompts(v.val, join(field, "no_input"))
	}
	if v, ok := f["fallback"]; ok {
		m.Fallback = d.command(v.val, join(field, "fallback"))
	}
	return m
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func (d *decoder) hours(n *yaml.Node, field string) []Hours {
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, field, "want a list of {days, open, close}, got %s", kindName(n))
		return nil
	}
	var out []Hours
	for i, hn := range n.Content {
		hn = deref(hn)
		hf := index(field, i)
		f, ok := d.fields(hn, hf, "days", "open", "close")
		if !ok {
			continue
		}
		h := Hours{Line: hn.Line}
		good := true
		for _, k := range []string{"days", "open", "close"} {
			if _, ok := f[k]; !ok {
				d.add(hn.Line, hf, "missing %s", k)
				good = false
			}
		}
		if !good {
			continue
		}
		days := f["days"].val
		if days.Kind != yaml.SequenceNode || len(days.Content) == 0 {
			d.add(days.Line, join(hf, "days"), "want a non-empty list of days (mon, tue, ... sun)")
			good = false
		} else {
			for j, dn := range days.Content {
				dn = deref(dn)
				wd, ok := dayNames[strings.ToLower(dn.Value)]
				if dn.Kind != yaml.ScalarNode || !ok {
					d.add(dn.Line, index(join(hf, "days"), j), "unknown day %s (want mon, tue, wed, thu, fri, sat or sun)", kindName(dn))
					good = false
					continue
				}
				h.Days[wd] = true
			}
		}
		var ok1, ok2 bool
		h.Open, ok1 = d.clock(f["open"].val, join(hf, "open"), false)
		h.Close, ok2 = d.clock(f["close"].val, join(hf, "close"), true)
		if ok1 && ok2 && h.Open >= h.Close {
			d.add(f["close"].val.Line, join(hf, "close"), "close %s is not after open %s (split hours that span midnight in two)",
				f["close"].val.Value, f["open"].val.Value)
			good = false
		}
		if good && ok1 && ok2 {
			out = append(out, h)
		}
	}
	return out
}

// clock reads "HH:MM" as minutes after midnight; a closing time may be
// "24:00" so that a period can run to the end of the day.
func (d *decoder) clock(n *yaml.Node, field string, closing bool) (int, bool) {
	s := n.Value
	bad := func() (int, bool) {
		d.add(n.Line, field, "invalid time %s (want HH:MM, 24-hour)", kindName(n))
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || len(s) != 5 || s[2] != ':' {
		return bad()
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 {
		return bad()
	}
	if h > 23 && !(closing && h == 24 && m == 0) {
		return bad()
	}
	return h*60 + m, true
}

func (d *decoder) holidays(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, field, "want a list of dates (YYYY-MM-DD), got %s", kindName(n))
		return nil
	}
	var out []string
	for i, dn := range n.Content {
		dn = deref(dn)
		if _, err := time.Parse(time.DateOnly, dn.Value); dn.Kind != yaml.ScalarNode || err != nil {
			d.add(dn.Line, index(field, i), "invalid date %s (want YYYY-MM-DD)", kindName(dn))
			continue
		}
		out = append(out, dn.Value)
	}
	return out
}

func isDTMF(c byte) bool { return c >= '0' && c <= '9' || c == '*' || c == '#' }

func (d *decoder) options(n *yaml.Node, field string) map[byte]*Command {
	es, ok := d.mapping(n, field)
	if !ok {
		return nil
	}
	if len(es) == 0 {
		d.add(n.Line, field, "empty: at least one option is needed")
		return nil
	}
	out := map[byte]*Command{}
	for _, e := range es {
		of := join(field, e.key.Value)
		if len(e.key.Value) != 1 || !isDTMF(e.key.Value[0]) {
			d.add(e.key.Line, of, "option key %q is not a single DTMF key (0-9, *, #)", e.key.Value)
			continue
		}
		if c := d.command(e.val, of); c != nil {
			out[e.key.Value[0]] = c
		}
	}
	return out
}

func (d *decoder) input(n *yaml.Node, field string) *Input {
	f, ok := d.fields(n, field, "var", "min_digits", "max_digits", "terminator", "then")
	if !ok {
		return nil
	}
	in := &Input{MinDigits: DefaultMinDigits, MaxDigits: DefaultMaxDigits, Terminator: DefaultTerminator, Line: n.Line}
	if v, ok := f["var"]; !ok {
		d.add(n.Line, field, "missing var (the call variable that receives the digits)")
	} else if name, ok := d.str(v.val, join(field, "var")); ok {
		if !isName(name) || name == "language" {
			d.add(v.val.Line, join(field, "var"), "invalid variable name %q", name)
		}
		in.Var = name
	}
	minOK, maxOK := true, true
	if v, ok := f["min_digits"]; ok {
		in.MinDigits, minOK = d.integer(v.val, join(field, "min_digits"))
		if minOK && in.MinDigits < 0 {
			d.add(v.val.Line, join(field, "min_digits"), "must not be negative, got %d", in.MinDigits)
			minOK = false
		}
	}
	if v, ok := f["max_digits"]; ok {
		in.MaxDigits, maxOK = d.integer(v.val, join(field, "max_digits"))
		if maxOK && in.MaxDigits < 1 {
			d.add(v.val.Line, join(field, "max_digits"), "must be at least 1, got %d", in.MaxDigits)
			maxOK = false
		}
	}
	if minOK && maxOK && in.MinDigits > in.MaxDigits {
		line := n.Line
		if v, ok := f["min_digits"]; ok {
			line = v.val.Line
		}
		d.add(line, join(field, "min_digits"), "min_digits %d is more than max_digits %d", in.MinDigits, in.MaxDigits)
	}
	if v, ok := f["terminator"]; ok {
		if s, ok := d.str(v.val, join(field, "terminator")); ok {
			if s != "#" && s != "*" {
				d.add(v.val.Line, join(field, "terminator"), "terminator %q: want \"#\" or \"*\"", s)
			} else {
				in.Terminator = s[0]
			}
		}
	}
	if v, ok := f["then"]; !ok {
		d.add(n.Line, field, "missing then (what to do with the digits)")
	} else {
		in.Then = d.command(v.val, join(field, "then"))
	}
	return in
}

var commandKeys = []string{"menu", "queue", "priority", "play", "then", "language", "lookup", "hangup", "outcome", "label"}

// maxLabel bounds a label: labels are metric label values and report rows.
const maxLabel = 40

// command reads an action: a scalar (hangup, return, repeat) or a mapping
// with exactly one verb. language is the one verb that takes menu as a
// parameter.
func (d *decoder) command(n *yaml.Node, field string) *Command {
	c := &Command{Line: n.Line, field: field, refLine: n.Line}
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		switch n.Value {
		case "hangup":
			c.Kind = KindHangup
		case "return", "repeat":
			c.Kind = KindReturn
		default:
			d.add(n.Line, field, "unknown action %q (want hangup, return, repeat or a mapping such as {menu: NAME})", n.Value)
			return nil
		}
		return c
	}
	f, ok := d.fields(n, field, commandKeys...)
	if !ok {
		return nil
	}
	_, withLanguage := f["language"]
	var verbs []string
	for _, k := range []string{"menu", "queue", "play", "language", "lookup", "hangup"} {
		if _, ok := f[k]; ok && !(k == "menu" && withLanguage) {
			verbs = append(verbs, k)
		}
	}
	if len(verbs) != 1 {
		what := "none"
		if len(verbs) > 1 {
			what = strings.Join(verbs, ", ")
		}
		d.add(n.Line, field, "want exactly one of menu, queue, play, language, lookup, hangup; got %s", what)
		return nil
	}
	c.Kind = Kind(verbs[0])
	if v, ok := f["priority"]; ok && c.Kind != KindQueue {
		d.add(v.key.Line, join(field, "priority"), "priority only goes with queue")
	}
	if v, ok := f["then"]; ok && c.Kind != KindPlay {
		d.add(v.key.Line, join(field, "then"), "then only goes with play (a lookup has its own then)")
	}
	if v, ok := f["outcome"]; ok {
		if s, ok := d.str(v.val, join(field, "outcome")); ok {
			if !isName(s) {
				d.add(v.val.Line, join(field, "outcome"), "invalid outcome name %q", s)
			}
			c.Outcome = s
		}
	}
	if v, ok := f["label"]; ok {
		if s, ok := d.str(v.val, join(field, "label")); ok {
			if !isName(s) || len(s) > maxLabel {
				d.add(v.val.Line, join(field, "label"), "invalid label %q (want a short name such as billing or opening_hours)", s)
			}
			c.Label = s
		}
	}
	switch c.Kind {
	case KindMenu:
		v := f["menu"]
		c.Menu, _ = d.str(v.val, join(field, "menu"))
		c.refLine = v.val.Line
	case KindQueue:
		v := f["queue"]
		c.Queue, _ = d.str(v.val, join(field, "queue"))
		c.refLine = v.val.Line
		c.Priority = DefaultPriority
		if p, ok := f["priority"]; ok {
			if pr, ok := d.integer(p.val, join(field, "priority")); ok {
				if pr < 0 || pr > 9 {
					d.add(p.val.Line, join(field, "priority"), "priority %d is outside 0-9 (0 is highest)", pr)
				}
				c.Priority = pr
			}
		}
	case KindPlay:
		c.Prompts = d.prompts(f["play"].val, join(field, "play"))
		if v, ok := f["then"]; ok {
			c.Then = d.command(v.val, join(field, "then"))
		}
	case KindLanguage:
		v := f["language"]
		c.Language, _ = d.str(v.val, join(field, "language"))
		c.refLine = v.val.Line
		if m, ok := f["menu"]; ok {
			c.Menu, _ = d.str(m.val, join(field, "menu"))
		}
	case KindLookup:
		c.Lookup = d.lookup(f["lookup"].val, join(field, "lookup"))
	case KindHangup:
		v := f["hangup"]
		if b, ok := d.boolean(v.val, join(field, "hangup")); ok && !b {
			d.add(v.val.Line, join(field, "hangup"), "hangup: false does nothing; use hangup: true or another action")
		}
	}
	return c
}

func (d *decoder) lookup(n *yaml.Node, field string) *LookupSpec {
	f, ok := d.fields(n, field, "url", "timeout", "say", "branch", "then", "on_error")
	if !ok {
		return nil
	}
	l := &LookupSpec{Timeout: DefaultLookupTimeout, Line: n.Line}
	if v, ok := f["url"]; !ok {
		d.add(n.Line, field, "missing url")
	} else if s, ok := d.str(v.val, join(field, "url")); ok {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.add(v.val.Line, join(field, "url"), "bad URL %q (want http:// or https:// with a host)", s)
		}
		l.URL = s
	}
	if v, ok := f["timeout"]; ok {
		l.Timeout, _ = d.duration(v.val, join(field, "timeout"))
	}
	if v, ok := f["say"]; ok {
		l.Say = d.prompts(v.val, join(field, "say"))
	}
	if v, ok := f["branch"]; ok {
		bf := join(field, "branch")
		if b, ok := d.fields(v.val, bf, "field", "cases"); ok {
			if fv, ok := b["field"]; !ok {
				d.add(v.val.Line, bf, "missing field (the answer's field to branch on)")
			} else {
				l.Field, _ = d.str(fv.val, join(bf, "field"))
			}
			if cv, ok := b["cases"]; !ok {
				d.add(v.val.Line, bf, "missing cases")
			} else if es, ok := d.mapping(cv.val, join(bf, "cases")); ok {
				l.Cases = map[string]*Command{}
				for _, e := range es {
					if c := d.command(e.val, join(join(bf, "cases"), e.key.Value)); c != nil {
						l.Cases[e.key.Value] = c
					}
				}
			}
		}
	}
	if v, ok := f["then"]; ok {
		l.Then = d.command(v.val, join(field, "then"))
	}
	if v, ok := f["on_error"]; ok {
		l.OnError = d.command(v.val, join(field, "on_error"))
	}
	return l
}

// prompts reads a prompt or a list of prompts.
func (d *decoder) prompts(n *yaml.Node, field string) []PromptSpec {
	if n.Kind != yaml.SequenceNode {
		if p, ok := d.prompt(n, field); ok {
			return []PromptSpec{p}
		}
		return nil
	}
	if len(n.Content) == 0 {
		d.add(n.Line, field, "empty list of prompts")
		return nil
	}
	var out []PromptSpec
	for i, pn := range n.Content {
		if p, ok := d.prompt(deref(pn), index(field, i)); ok {
			out = append(out, p)
		}
	}
	return out
}

func (d *decoder) prompt(n *yaml.Node, field string) (PromptSpec, bool) {
	p := PromptSpec{Line: n.Line, field: field}
	if n.Kind == yaml.ScalarNode {
		f, ok := d.file(n, field)
		p.File = f
		return p, ok
	}
	f, ok := d.fields(n, field, "file", "text")
	if !ok {
		return p, false
	}
	fv, hasFile := f["file"]
	tv, hasText := f["text"]
	if hasFile == hasText {
		d.add(n.Line, field, "want exactly one of file or text")
		return p, false
	}
	v, key := tv, "text"
	if hasFile {
		v, key = fv, "file"
	}
	vf := join(field, key)
	read := func(n *yaml.Node, field string) (string, bool) {
		if hasFile {
			return d.file(n, field)
		}
		return d.text(n, field)
	}
	if v.val.Kind != yaml.MappingNode {
		s, ok := read(v.val, vf)
		if hasFile {
			p.File = s
		} else {
			p.Text = s
		}
		return p, ok
	}
	es, ok := d.mapping(v.val, vf)
	if !ok {
		return p, false
	}
	if len(es) == 0 {
		d.add(v.val.Line, vf, "want one variant per language, got none")
		return p, false
	}
	vars := map[string]string{}
	p.langLines = map[string]int{}
	good := true
	for _, e := range es {
		s, ok := read(e.val, join(vf, e.key.Value))
		good = good && ok
		vars[e.key.Value] = s
		p.langLines[e.key.Value] = e.key.Line
	}
	if hasFile {
		p.Files = vars
	} else {
		p.Texts = vars
	}
	return p, good
}

func (d *decoder) file(n *yaml.Node, field string) (string, bool) {
	s, ok := d.str(n, field)
	if !ok {
		return "", false
	}
	if !fs.ValidPath(s) || s == "." {
		d.add(n.Line, field, "invalid prompt file %q (want a relative, slash-separated path without \"..\")", s)
		return "", false
	}
	return s, true
}

func (d *decoder) text(n *yaml.Node, field string) (string, bool) {
	s, ok := d.str(n, field)
	if !ok {
		return "", false
	}
	if err := checkPlaceholders(s); err != nil {
		d.add(n.Line, field, "%v", err)
		return "", false
	}
	return s, true
}
