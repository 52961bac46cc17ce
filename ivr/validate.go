package ivr

import (
	"fmt"
	"slices"
	"strings"
)

// Validate checks what Decode cannot see in one node: routes and actions
// name existing menus, queues (queues holds the names that exist) and
// listed languages; per-language prompts have the default language's
// variant; no after_hours branch loops back into a closed menu. checkPrompt
// (may be nil) is called once per distinct prompt and language; its error
// is reported at the prompt's line.
func (c *Config) Validate(queues map[string]bool, checkPrompt func(p Prompt) error) []FieldError {
	v := &validator{c: c, queues: queues}
	for i, r := range c.Routes {
		if _, ok := c.Menus[r.Menu]; !ok {
			v.add(r.menuLine, join(index("routes", i), "menu"), "unknown menu %q", r.Menu)
		}
	}
	menus := c.menusInOrder()
	for _, m := range menus {
		v.prompts(m.Greeting)
		v.prompts(m.Invalid)
		v.prompts(m.NoInput)
		for _, k := range optionKeys(m) {
			v.command(m.Options[k])
		}
		if m.Input != nil {
			v.command(m.Input.Then)
		}
		v.command(m.Fallback)
		v.command(m.AfterHours)
		if m.AfterHours != nil && (len(m.Hours) > 0 || len(m.Holidays) > 0) {
			v.afterHoursLoops(m)
		}
	}
	if checkPrompt != nil {
		v.checkPrompts(checkPrompt)
	}
	return sortErrors(v.errs)
}

type validator struct {
	c      *Config
	queues map[string]bool
	errs   []FieldError
	specs  []PromptSpec // every prompt met, for checkPrompts
}

func (v *validator) add(line int, field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Line: line, Field: field, Problem: fmt.Sprintf(format, args...)})
}

func (c *Config) menusInOrder() []*Menu {
	ms := make([]*Menu, 0, len(c.Menus))
	for _, m := range c.Menus {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *Menu) int { return a.Line - b.Line })
	return ms
}

func optionKeys(m *Menu) []byte {
	keys := make([]byte, 0, len(m.Options))
	for k := range m.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// command checks one action and everything nested in it.
func (v *validator) command(cmd *Command) {
	if cmd == nil {
		return
	}
	switch cmd.Kind {
	case KindMenu:
		v.menuRef(cmd, cmd.Menu)
	case KindQueue:
		if !v.queues[cmd.Queue] {
			v.add(cmd.refLine, cmd.field, "unknown queue %q", cmd.Queue)
		}
	case KindPlay:
		v.prompts(cmd.Prompts)
		v.command(cmd.Then)
	case KindLanguage:
		if !v.c.hasLanguage(cmd.Language) {
			v.add(cmd.refLine, cmd.field, "language %q is not listed in languages", cmd.Language)
		}
		if cmd.Menu != "" {
			v.menuRef(cmd, cmd.Menu)
		}
	case KindLookup:
		l := cmd.Lookup
		v.prompts(l.Say)
		keys := make([]string, 0, len(l.Cases))
		for k := range l.Cases {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v.command(l.Cases[k])
		}
		v.command(l.Then)
		v.command(l.OnError)
	}
}

func (v *validator) menuRef(cmd *Command, name string) {
	if _, ok := v.c.Menus[name]; !ok {
		v.add(cmd.refLine, cmd.field, "unknown menu %q", name)
	}
}

// prompts checks per-language variants and remembers the prompts for
// checkPrompts.
func (v *validator) prompts(ps []PromptSpec) {
	for _, p := range ps {
		v.specs = append(v.specs, p)
		variants := p.Files
		if variants == nil {
			variants = p.Texts
		}
		if variants == nil {
			continue
		}
		codes := make([]string, 0, len(variants))
		for code := range variants {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			if !v.c.hasLanguage(code) {
				v.add(p.langLines[code], p.field, "language %q is not listed in languages", code)
			}
		}
		if def := v.c.language(""); def.Code != "" {
			if _, ok := variants[def.Code]; !ok {
				v.add(p.Line, p.field, "no variant for the default language %q (other languages fall back to it)", def.Code)
			}
		}
	}
}

// checkPrompts runs the caller's check once per distinct resolved prompt.
func (v *validator) checkPrompts(check func(Prompt) error) {
	ps := v.specs
	slices.SortStableFunc(ps, func(a, b PromptSpec) int { return a.Line - b.Line })
	codes := []string{""}
	if len(v.c.Languages) > 0 {
		codes = codes[:0]
		for _, l := range v.c.Languages {
			codes = append(codes, l.Code)
		}
	}
	seen := map[Prompt]bool{}
	for _, p := range ps {
		for _, code := range codes {
			r := v.c.resolve(p, code)
			if r.File == "" && r.Text == "" {
				continue // a missing variant, already reported
			}
			key := r
			key.Line = 0
			if seen[key] {
				continue
			}
			seen[key] = true
			if err := check(r); err != nil {
				problem := err.Error()
				if len(v.c.Languages) > 1 {
					problem += fmt.Sprintf(" (language %s)", r.Lang)
				}
				v.add(p.Line, p.field, "%s", problem)
			}
		}
	}
}

// exit is a place where an action enters a menu.
type exit struct {
	menu  string
	line  int
	field string
}

// exits lists the menus an action can end up entering; cur stands for
// the menu running it. A lookup's missing then/on_error counts as cur,
// since with no previous menu that is where it goes.
func exits(cmd *Command, cur string, out []exit) []exit {
	if cmd == nil {
		return out
	}
	here := exit{cur, cmd.Line, cmd.field}
	switch cmd.Kind {
	case KindReturn:
		out = append(out, here)
	case KindMenu:
		out = append(out, exit{cmd.Menu, cmd.refLine, cmd.field})
	case KindLanguage:
		if cmd.Menu != "" {
			here.menu = cmd.Menu
		}
		out = append(out, here)
	case KindPlay:
		if cmd.Then == nil {
			out = append(out, here)
		} else {
			out = exits(cmd.Then, cur, out)
		}
	case KindLookup:
		l := cmd.Lookup
		for _, c := range l.Cases {
			out = exits(c, cur, out)
		}
		for _, c := range []*Command{l.Then, l.OnError} {
			if c == nil {
				out = append(out, here)
			} else {
				out = exits(c, cur, out)
			}
		}
	}
	return out
}

func scheduled(m *Menu) bool {
	return m != nil && m.AfterHours != nil && (len(m.Hours) > 0 || len(m.Holidays) > 0)
}

// afterHoursLoops rejects an after_hours branch that re-enters its own
// closed menu, directly or through other menus' after_hours branches:
// entering a closed menu runs after_hours at once, so it would never stop.
func (v *validator) afterHoursLoops(m *Menu) {
	reported := map[int]bool{}
	for _, e := range exits(m.AfterHours, m.Name, nil) {
		if reported[e.line] {
			continue
		}
		var via []string
		if e.menu != m.Name {
			via = v.afterHoursPath(e.menu, m.Name, map[string]bool{m.Name: true})
			if via == nil {
				continue
			}
		}
		reported[e.line] = true
		how := ""
		if len(via) > 0 {
			how = " (through the after_hours of " + strings.Join(via, ", ") + ")"
		}
		v.add(e.line, e.field, "after_hours re-enters menu %q while it is closed%s and would loop; end it with hangup, queue or a menu that is open", m.Name, how)
	}
}

// afterHoursPath returns the scheduled menus through which entering from
// while closed can reach target, or nil when it cannot.
func (v *validator) afterHoursPath(from, target string, seen map[string]bool) []string {
	m := v.c.Menus[from]
	if !scheduled(m) || seen[from] {
		return nil
	}
	seen[from] = true
	for _, e := range exits(m.AfterHours, from, nil) {
		if e.menu == target {
			return []string{from}
		}
		if rest := v.afterHoursPath(e.menu, target, seen); rest != nil {
			return append([]string{from}, rest...)
		}
	}
	return nil
}
