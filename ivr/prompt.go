package ivr

import (
	"errors"
	"fmt"
	"strings"
)

// resolve picks the variant of p for a language (falling back to the
// default language's) and fills in that language's voice and directory.
// Text placeholders are left as written; see substitute.
func (c *Config) resolve(p PromptSpec, code string) Prompt {
	lang := c.language(code)
	out := Prompt{File: p.File, Text: p.Text, Line: p.Line}
	if p.Files != nil || p.Texts != nil {
		variants := p.Files
		if variants == nil {
			variants = p.Texts
		}
		s, ok := variants[lang.Code]
		if !ok {
			// The default language's variant is spoken in that language,
			// so it takes that language's voice and directory too.
			lang = c.language("")
			s = variants[lang.Code]
		}
		if p.Files != nil {
			out.File = s
		} else {
			out.Text = s
		}
	}
	out.Lang, out.Voice, out.Dir = lang.Code, lang.Voice, lang.Dir
	return out
}

// substitute replaces {{name}} with the call variable name; unknown
// variables become empty so a missing field never speaks braces.
func substitute(s string, vars map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(vars[strings.TrimSpace(s[i+2:i+j])])
		s = s[i+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

// checkPlaceholders rejects text whose {{...}} would be spoken literally.
func checkPlaceholders(s string) error {
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			i = len(s)
		}
		if strings.Contains(s[:i], "}}") {
			return errors.New("\"}}\" without \"{{\"")
		}
		if i == len(s) {
			return nil
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return errors.New("unclosed \"{{\" placeholder")
		}
		if name := strings.TrimSpace(s[i+2 : i+j]); !isName(name) {
			return fmt.Errorf("invalid placeholder {{%s}} (want {{variable}})", name)
		}
		s = s[i+j+2:]
	}
}
