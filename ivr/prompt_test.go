package ivr

import "testing"

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"order": "123", "status": "shipped"}
	tests := []struct{ in, want string }{
		{"Your order {{order}} is {{status}}.", "Your order 123 is shipped."},
		{"Spaces {{ order }} ok", "Spaces 123 ok"},
		{"Unknown {{eta}} is empty", "Unknown  is empty"},
		{"No placeholders", "No placeholders"},
		{"{{order}}{{order}}", "123123"},
		{"Unclosed {{order", "Unclosed {{order"},
	}
	for _, tt := range tests {
		if got := substitute(tt.in, vars); got != tt.want {
			t.Errorf("substitute(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckPlaceholders(t *testing.T) {
	tests := []struct {
		in     string
		wantOK bool
	}{
		{"Your order {{order}} is {{ status }}.", true},
		{"plain", true},
		{"{{order", false},
		{"order}} {{a}}", false},
		{"{{}}", false},
		{"{{a b}}", false},
	}
	for _, tt := range tests {
		if err := checkPlaceholders(tt.in); (err == nil) != tt.wantOK {
			t.Errorf("checkPlaceholders(%q): got %v, want ok %v", tt.in, err, tt.wantOK)
		}
	}
}

func TestResolve(t *testing.T) {
	c := mustConfig(t, `
languages:
  en: {voice: en-gb}
  ar: {voice: ar, dir: ar}
  fa: {voice: fa, dir: prompts/fa}
routes: [{number: "*", menu: m}]
menus:
  m:
    options: {"1": hangup}
`)
	files := PromptSpec{Files: map[string]string{"en": "a.wav", "ar": "a-ar.wav"}}
	texts := PromptSpec{Texts: map[string]string{"en": "Hello", "fa": "Salaam"}}
	tests := []struct {
		name string
		p    PromptSpec
		lang string
		want Prompt
	}{
		{"file in default language", PromptSpec{File: "x.wav"}, "en", Prompt{File: "x.wav", Lang: "en", Voice: "en-gb"}},
		{"file takes the language's dir", PromptSpec{File: "x.wav"}, "fa", Prompt{File: "x.wav", Lang: "fa", Voice: "fa", Dir: "prompts/fa"}},
		{"text takes the language's voice", PromptSpec{Text: "Hi"}, "ar", Prompt{Text: "Hi", Lang: "ar", Voice: "ar", Dir: "ar"}},
		{"file variant", files, "ar", Prompt{File: "a-ar.wav", Lang: "ar", Voice: "ar", Dir: "ar"}},
		{"missing file variant falls back to default", files, "fa", Prompt{File: "a.wav", Lang: "en", Voice: "en-gb"}},
		{"text variant", texts, "fa", Prompt{Text: "Salaam", Lang: "fa", Voice: "fa", Dir: "prompts/fa"}},
		{"missing text variant speaks default", texts, "ar", Prompt{Text: "Hello", Lang: "en", Voice: "en-gb"}},
		{"unknown language is the default", PromptSpec{File: "x.wav"}, "zz", Prompt{File: "x.wav", Lang: "en", Voice: "en-gb"}},
	}
	for _, tt := range tests {
		if got := c.resolve(tt.p, tt.lang); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
