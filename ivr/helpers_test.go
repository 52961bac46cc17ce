package ivr

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// knownQueues are the queues the test configs may name.
var knownQueues = map[string]bool{"support": true, "sales": true, "vip": true}

func decodeString(t *testing.T, src string) (*Config, []FieldError) {
	t.Helper()
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(src), &root); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return Decode(&root)
}

func decodeFile(t *testing.T, name string) (*Config, []FieldError) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return decodeString(t, string(b))
}

// mustConfig decodes and validates, failing the test on any problem.
func mustConfig(t *testing.T, src string) *Config {
	t.Helper()
	c, errs := decodeString(t, src)
	if len(errs) == 0 {
		errs = c.Validate(knownQueues, nil)
	}
	if len(errs) > 0 {
		t.Fatalf("config problems: %v", errs)
	}
	return c
}

func exampleConfig(t *testing.T) *Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "menus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return mustConfig(t, string(b))
}

// t0 is a Monday at 10:00 in London (GMT), inside the example's hours.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func sec(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// describe renders actions compactly so that scenario tables stay readable.
func describe(actions []Action) string {
	var parts []string
	for _, a := range actions {
		switch a := a.(type) {
		case Play:
			var ps []string
			for _, p := range a.Prompts {
				ps = append(ps, describePrompt(p))
			}
			s := fmt.Sprintf("play#%d[%s]", a.ID, strings.Join(ps, " "))
			if a.BargeIn {
				s += " barge"
			}
			parts = append(parts, s)
		case StopPlay:
			parts = append(parts, "stop")
		case Lookup:
			parts = append(parts, fmt.Sprintf("lookup#%d %s %s", a.ID, a.URL, a.Timeout))
		case Enqueue:
			parts = append(parts, fmt.Sprintf("enqueue %s/%d", a.Queue, a.Priority))
		case Hangup:
			parts = append(parts, "hangup")
		default:
			parts = append(parts, fmt.Sprintf("%T", a))
		}
	}
	return strings.Join(parts, "; ")
}

func describePrompt(p Prompt) string {
	if p.Text != "" {
		return fmt.Sprintf("%q@%s", p.Text, p.Voice)
	}
	if p.Dir != "" {
		return p.Dir + "/" + p.File
	}
	return p.File
}

// describePath renders a path as menu:kind[=value] words.
func describePath(steps []Step) string {
	var parts []string
	for _, s := range steps {
		w := s.Menu + ":" + s.Kind
		if s.Value != "" {
			w += "=" + s.Value
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
