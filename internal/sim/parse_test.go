package sim

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/queue"
)

const goodScenario = `name: t
seed: 3
duration: 10h
warm_up: 1h
ring: {min: 1s, max: 3s}
queues:
  - name: sales
    strategy: skill-sparing
    arrivals:
      - {from: "08:00", to: "12:00", per_hour: 300}
      - {per_hour: 10, from: "13:00"}
    handle: {dist: lognormal, mean: 4m, sd: 2m}
    patience: none
agents:
  - {name: a, count: 2, skills: {sales: 5}, shifts: [{from: "08:00", to: "16:00"}]}
strategies:
  - {strategy: ring-all}
  - {name: qo, strategy: longest-idle, across_queues: queue-order}
`

func TestParseGood(t *testing.T) {
	sc, err := Parse([]byte(goodScenario), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := time.Hour
	q := sc.Queues[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"seed", sc.Seed, uint64(3)},
		{"duration", sc.Duration, 10 * h},
		{"ring", sc.Ring, Uniform{time.Second, 3 * time.Second}},
		{"strategy", q.Strategy, queue.SkillSparing},
		{"arrivals", q.Arrivals, []Rate{{8 * h, 12 * h, 300}, {13 * h, 24 * h, 10}}},
		{"handle", q.Handle, Dist{Kind: Lognormal, Mean: 4 * time.Minute, SD: 2 * time.Minute}},
		{"patience", q.Patience.Kind, None},
		{"shifts", sc.Agents[0].Shifts, []Span{{8 * h, 16 * h}}},
		{"strategy names", []string{sc.Strategies[0].Name, sc.Strategies[1].Name}, []string{"ring-all", "qo"}},
		{"across", []string{sc.Strategies[0].AcrossQueues, sc.Strategies[1].AcrossQueues}, []string{OldestFirst, QueueOrder}},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case []Rate:
		return slices.Equal(a, b.([]Rate))
	case []Span:
		return slices.Equal(a, b.([]Span))
	case []string:
		return slices.Equal(a, b.([]string))
	}
	return a == b
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, edit, want string
	}{
		{"unknown field", "seed: 3\n", "bad.yaml:3: colour: unknown field"},
		{"bad duration", "duration: 10h\n", "bad.yaml:3: value: invalid duration \"ten\""},
		{"bad time of day", `{from: "08:00"`, `bad.yaml:10: value: invalid time of day "25:00"`},
		{"bad strategy", "strategy: skill-sparing", "bad.yaml:8: queues.sales.strategy: unknown strategy \"fastest\""},
		{"bad dist", "dist: lognormal", "bad.yaml:12: queues.sales.handle.dist: unknown distribution \"normal\""},
		{"lognormal without sd", "sd: 2m}", "bad.yaml:12: queues.sales.handle.sd: lognormal needs sd above 0"},
		{"patience scalar", "patience: none", "bad.yaml:13: value: want none or a mapping"},
		{"overlapping rates", "per_hour: 10, from: \"13:00\"", "bad.yaml:11: queues.sales.arrivals[1]: overlaps arrivals[0]"},
		{"no agents", "count: 2", "bad.yaml:15: agents.a.count: need at least 1 agent"},
		{"across", "across_queues: queue-order", "bad.yaml:18: strategies[1].across_queues: want oldest or queue-order"},
	}
	edits := map[string][2]string{
		"unknown field":        {"seed: 3\n", "seed: 3\ncolour: red\n"},
		"bad duration":         {"duration: 10h\n", "duration: ten\n"},
		"bad time of day":      {`{from: "08:00"`, `{from: "25:00"`},
		"bad strategy":         {"strategy: skill-sparing", "strategy: fastest"},
		"bad dist":             {"dist: lognormal", "dist: normal"},
		"lognormal without sd": {"sd: 2m}", "sd: 0s}"},
		"patience scalar":      {"patience: none", "patience: forever"},
		"overlapping rates":    {"per_hour: 10, from: \"13:00\"", "per_hour: 10, from: \"11:00\""},
		"no agents":            {"count: 2", "count: 0"},
		"across":               {"across_queues: queue-order", "across_queues: newest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := edits[tt.name]
			if !strings.Contains(goodScenario, e[0]) {
				t.Fatalf("edit %q not found", e[0])
			}
			src := strings.Replace(goodScenario, e[0], e[1], 1)
			_, err := Parse([]byte(src), "bad.yaml")
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want *Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) < 3 {
		t.Fatalf("got %d scenario files, want at least 3", len(files))
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
