package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/queue"
)

// Scenario is one contact centre to simulate: its queues and the traffic
// they receive, its agents and their hours, and the strategies to compare.
// Times of day count from midnight of the first simulated day; the daily
// pattern repeats when Duration is longer than a day.
type Scenario struct {
	Name     string
	Seed     uint64
	Duration time.Duration // arrivals stop after this
	WarmUp   time.Duration // calls arriving before this are not measured
	// Ring is how long an agent takes to answer an offer, uniform in
	// [Min, Max]. An offer not answered within the queue's ring timeout
	// fails with "no_answer".
	Ring   Uniform
	Engine EngineSettings
	Queues []Queue
	Agents []AgentGroup
	// Strategies are compared on the same arrivals; with none, one run
	// uses the queues as configured.
	Strategies []Strategy
}

// EngineSettings are the queue.Options the simulator passes through.
type EngineSettings struct {
	HandleTimeSamples int
	DefaultHandleTime time.Duration
	RetryDelay        time.Duration
}

// Uniform is a delay drawn uniformly from [Min, Max].
type Uniform struct{ Min, Max time.Duration }

// Queue is a queue.QueueConfig plus the traffic it receives.
type Queue struct {
	queue.QueueConfig
	Arrivals []Rate // Poisson arrivals, rate by time of day
	Handle   Dist   // handle time (answer to hang-up)
	Patience Dist   // how long a caller waits before hanging up; Kind None waits for ever
}

// Rate is a Poisson arrival rate over part of the day, [From, To) as
// offsets from midnight. To may be 24h.
type Rate struct {
	From, To time.Duration
	PerHour  float64
}

// DistKind names a distribution.
type DistKind string

// Distributions.
const (
	None        DistKind = "none"
	Exponential DistKind = "exponential"
	Lognormal   DistKind = "lognormal"
	Constant    DistKind = "constant"
)

// Dist is a distribution of durations: Exponential and Constant use Mean,
// Lognormal Mean and SD (of the duration itself, not of its logarithm).
type Dist struct {
	Kind     DistKind
	Mean, SD time.Duration
}

// AgentGroup is Count agents with the same skills and hours.
type AgentGroup struct {
	Name   string
	Count  int
	Skills map[string]int
	// Shifts are when the agents are logged in (none: all day); Breaks,
	// within shifts, when they are paused. A span whose To is before its
	// From runs past midnight.
	Shifts, Breaks []Span
}

// Span is part of a day, [From, To) from midnight.
type Span struct{ From, To time.Duration }

// Across-queue orders for Strategy.AcrossQueues.
const (
	// OldestFirst is the engine's own order: a free agent takes the call
	// that has waited longest among every queue it serves.
	OldestFirst = "oldest"
	// QueueOrder gives each call its queue's place in the scenario's list
	// as its priority class, so a free agent serving several queues
	// empties the first one before looking at the next, the way
	// app_queue's queue weights prefer one queue over another.
	QueueOrder = "queue-order"
)

// Strategy is one way of running the centre.
type Strategy struct {
	Name string
	// Routing overrides every queue's strategy; empty keeps each queue's.
	Routing      queue.Strategy
	AcrossQueues string // OldestFirst (default) or QueueOrder
}

// Defaults.
const (
	DefaultRingMax = 2 * time.Second
)

// Error lists a scenario's problems, each "file:line: field: problem".
type Error struct{ Problems []string }

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// Load reads a scenario file. The format (see testdata/ for whole files):
//
//	name: centre
//	seed: 7                 # same seed, same callers
//	duration: 24h           # arrivals stop then; calls in progress finish
//	warm_up: 1h             # calls arriving earlier are not counted
//	ring: {min: 0s, max: 2s}   # agents answer after this (default 0-2s)
//	engine: {handle_time_samples: 10, default_handle_time: 3m, retry_delay: 5s}
//	queues:
//	  - name: sales         # also: skills, strategy, ring_timeout, wrap_up,
//	                        # service_level, max_wait, max_wait_queue, overflow
//	    arrivals:           # Poisson; rate per hour by time of day
//	      - {from: "08:00", to: "12:00", per_hour: 300}
//	      - {per_hour: 20}  # no from/to: all day
//	    handle: {dist: lognormal, mean: 4m, sd: 3m}   # or exponential, constant
//	    patience: {dist: exponential, mean: 2m}       # or none (the default)
//	agents:
//	  - name: sales
//	    count: 20
//	    skills: {sales: 5}
//	    shifts: [{from: "08:00", to: "18:00"}]        # none: all day
//	    breaks: [{from: "12:00", to: "12:30"}]        # paused
//	strategies:             # compared on the same callers
//	  - {name: sparing, strategy: skill-sparing}
//	  - {name: li-queue-order, strategy: longest-idle, across_queues: queue-order}
//
// Queues always accept callers (join_empty) so that waits, not refusals,
// are measured.
func Load(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(b, path)
}

// The file's shape. Durations and times of day are checked as they decode
// so a bad one is reported at its own line.
type fileScenario struct {
	Name       string         `yaml:"name"`
	Seed       uint64         `yaml:"seed"`
	Duration   duration       `yaml:"duration"`
	WarmUp     duration       `yaml:"warm_up"`
	Ring       *fileRing      `yaml:"ring"`
	Engine     fileEngine     `yaml:"engine"`
	Queues     []fileQueue    `yaml:"queues"`
	Agents     []fileGroup    `yaml:"agents"`
	Strategies []fileStrategy `yaml:"strategies"`
}

type fileRing struct {
	Min duration `yaml:"min"`
	Max duration `yaml:"max"`
}

type fileEngine struct {
	HandleTimeSamples int      `yaml:"handle_time_samples"`
	DefaultHandleTime duration `yaml:"default_handle_time"`
	RetryDelay        duration `yaml:"retry_delay"`
}

type fileQueue struct {
	Name            string         `yaml:"name"`
	Skills          map[string]int `yaml:"skills"`
	Strategy        string         `yaml:"strategy"`
	RingTimeout     duration       `yaml:"ring_timeout"`
	WrapUp          duration       `yaml:"wrap_up"`
	ServiceLevel    duration       `yaml:"service_level"`
	ServiceLevelPct float64        `yaml:"service_level_pct"`
	MaxWait         duration       `yaml:"max_wait"`
	MaxWaitQueue    string         `yaml:"max_wait_queue"`
	Overflow        []fileOverflow `yaml:"overflow"`
	Arrivals        []fileRate     `yaml:"arrivals"`
	Handle          *fileDist      `yaml:"handle"`
	Patience        *fileDist      `yaml:"patience"`
}

type fileOverflow struct {
	After    duration `yaml:"after"`
	Queue    string   `yaml:"queue"`
	MinLevel int      `yaml:"min_level"`
	URI      string   `yaml:"uri"`
}

type fileRate struct {
	From    *timeOfDay `yaml:"from"`
	To      *timeOfDay `yaml:"to"`
	PerHour float64    `yaml:"per_hour"`
}

type fileDist struct {
	Dist string   `yaml:"dist"`
	Mean duration `yaml:"mean"`
	SD   duration `yaml:"sd"`
}

// UnmarshalYAML accepts "none" as well as a mapping.
func (d *fileDist) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if n.Value != string(None) {
			return typeErr(n, "want none or a mapping like {dist: exponential, mean: 2m}")
		}
		d.Dist = string(None)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return typeErr(n, "want none or a mapping like {dist: exponential, mean: 2m}")
	}
	// A custom unmarshaller loses the decoder's KnownFields, so check here.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains([]string{"dist", "mean", "sd"}, k.Value) {
			return typeErr(k, fmt.Sprintf("field %s not found in type sim.fileDist", k.Value))
		}
	}
	type plain fileDist
	return n.Decode((*plain)(d))
}

type fileGroup struct {
	Name   string         `yaml:"name"`
	Count  int            `yaml:"count"`
	Skills map[string]int `yaml:"skills"`
	Shifts []fileSpan     `yaml:"shifts"`
	Breaks []fileSpan     `yaml:"breaks"`
}

type fileSpan struct {
	From *timeOfDay `yaml:"from"`
	To   *timeOfDay `yaml:"to"`
}

type fileStrategy struct {
	Name         string `yaml:"name"`
	Strategy     string `yaml:"strategy"`
	AcrossQueues string `yaml:"across_queues"`
}

type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return typeErr(n, fmt.Sprintf("invalid duration %q (want e.g. 30s, 4m, 24h)", n.Value))
	}
	*d = duration(v)
	return nil
}

type timeOfDay time.Duration

func (t *timeOfDay) UnmarshalYAML(n *yaml.Node) error {
	v, ok := parseTimeOfDay(n.Value)
	if !ok {
		return typeErr(n, fmt.Sprintf("invalid time of day %q (want HH:MM, 00:00 to 24:00)", n.Value))
	}
	*t = timeOfDay(v)
	return nil
}

func parseTimeOfDay(s string) (time.Duration, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, false
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
}

func typeErr(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}

// Parse decodes and checks a scenario held in memory; name is used in
// messages.
func Parse(b []byte, name string) (*Scenario, error) {
	var problems []string
	add := func(line int, field, problem string) {
		problems = append(problems, fmt.Sprintf("%s:%d: %s: %s", name, line, field, problem))
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, &Error{Problems: []string{config.YAMLProblem(name, err)}}
	}
	if len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{Problems: []string{fmt.Sprintf("%s:1: (root): want a mapping", name)}}
	}
	doc := root.Content[0]
	var f fileScenario
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, &Error{Problems: []string{config.YAMLProblem(name, err)}}
		}
		for _, e := range te.Errors {
			problems = append(problems, config.TypeProblem(name, e))
		}
		// Type errors leave fields at zero values; checking further would
		// only add confusing follow-on problems.
		return nil, &Error{Problems: problems}
	}
	line := func(path ...any) int { return lineOf(doc, path...) }
	sc := f.convert(add, line)
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b string) int { return config.ProblemLine(a) - config.ProblemLine(b) })
		return nil, &Error{Problems: problems}
	}
	return sc, nil
}

type addFunc func(line int, field, problem string)
type lineFunc func(path ...any) int

func (f *fileScenario) convert(add addFunc, line lineFunc) *Scenario {
	sc := &Scenario{
		Name: f.Name, Seed: f.Seed,
		Duration: time.Duration(f.Duration), WarmUp: time.Duration(f.WarmUp),
		Ring: Uniform{Max: DefaultRingMax},
		Engine: EngineSettings{
			HandleTimeSamples: f.Engine.HandleTimeSamples,
			DefaultHandleTime: time.Duration(f.Engine.DefaultHandleTime),
			RetryDelay:        time.Duration(f.Engine.RetryDelay),
		},
	}
	if f.Ring != nil {
		sc.Ring = Uniform{Min: time.Duration(f.Ring.Min), Max: time.Duration(f.Ring.Max)}
		if sc.Ring.Max < sc.Ring.Min {
			add(line("ring", "max"), "ring.max", "is less than ring.min")
		}
	}
	if sc.Duration <= 0 {
		add(line("duration"), "duration", "need a duration above 0 (e.g. 24h)")
	}
	if sc.WarmUp >= sc.Duration && sc.Duration > 0 {
		add(line("warm_up"), "warm_up", "must be shorter than duration")
	}
	if f.Engine.HandleTimeSamples < 0 {
		add(line("engine", "handle_time_samples"), "engine.handle_time_samples", "must not be negative")
	}
	if len(f.Queues) == 0 {
		add(line("queues"), "queues", "need at least one queue")
	}
	names := map[string]bool{}
	for i, fq := range f.Queues {
		field := fmt.Sprintf("queues[%d]", i)
		if fq.Name != "" {
			field = "queues." + fq.Name
		}
		q, ok := fq.convert(field, add, func(p ...any) int { return line(append([]any{"queues", i}, p...)...) })
		if fq.Name != "" && names[fq.Name] {
			add(line("queues", i, "name"), field+".name", "duplicate queue name")
			ok = false
		}
		names[fq.Name] = true
		if ok {
			sc.Queues = append(sc.Queues, q)
		}
	}
	for i, q := range sc.Queues {
		l := func(p ...any) int { return line(append([]any{"queues", i}, p...)...) }
		if n := q.OnMaxWait.Queue; n != "" && !names[n] {
			add(l("max_wait_queue"), "queues."+q.Name+".max_wait_queue", fmt.Sprintf("unknown queue %q", n))
		}
		for j, o := range q.Overflow {
			if o.Queue != "" && !names[o.Queue] {
				add(l("overflow", j, "queue"), fmt.Sprintf("queues.%s.overflow[%d].queue", q.Name, j), fmt.Sprintf("unknown queue %q", o.Queue))
			}
		}
	}
	groups := map[string]bool{}
	for i, fg := range f.Agents {
		l := func(p ...any) int { return line(append([]any{"agents", i}, p...)...) }
		field := fmt.Sprintf("agents[%d]", i)
		if fg.Name == "" {
			add(l(), field+".name", "need a name")
		} else {
			field = "agents." + fg.Name
			if groups[fg.Name] {
				add(l("name"), field+".name", "duplicate group name")
			}
			groups[fg.Name] = true
		}
		if fg.Count < 1 {
			add(l("count"), field+".count", "need at least 1 agent")
		}
		if len(fg.Skills) == 0 {
			add(l("skills"), field+".skills", "need at least one skill")
		}
		for s, lvl := range fg.Skills {
			if lvl < 1 || lvl > queue.MaxSkillLevel {
				add(l("skills", s), field+".skills."+s, fmt.Sprintf("level %d is outside 1-%d", lvl, queue.MaxSkillLevel))
			}
		}
		g := AgentGroup{Name: fg.Name, Count: fg.Count, Skills: fg.Skills}
		g.Shifts = spans(fg.Shifts, field+".shifts", add, func(p ...any) int { return l(append([]any{"shifts"}, p...)...) })
		g.Breaks = spans(fg.Breaks, field+".breaks", add, func(p ...any) int { return l(append([]any{"breaks"}, p...)...) })
		sc.Agents = append(sc.Agents, g)
	}
	if len(f.Agents) == 0 {
		add(line("agents"), "agents", "need at least one agent group")
	}
	seen := map[string]bool{}
	for i, fs := range f.Strategies {
		l := func(p ...any) int { return line(append([]any{"strategies", i}, p...)...) }
		field := fmt.Sprintf("strategies[%d]", i)
		st := Strategy{Name: fs.Name, Routing: queue.Strategy(fs.Strategy), AcrossQueues: fs.AcrossQueues}
		if st.Name == "" {
			st.Name = fs.Strategy
		}
		if st.Name == "" {
			add(l(), field, "need a name or a strategy")
			continue
		}
		if seen[st.Name] {
			add(l("name"), field+".name", fmt.Sprintf("duplicate strategy name %q", st.Name))
		}
		seen[st.Name] = true
		if st.Routing != "" && !validStrategy(st.Routing) {
			add(l("strategy"), field+".strategy", fmt.Sprintf("unknown strategy %q (want %s)", st.Routing, strategyList))
		}
		switch st.AcrossQueues {
		case "":
			st.AcrossQueues = OldestFirst
		case OldestFirst, QueueOrder:
		default:
			add(l("across_queues"), field+".across_queues", fmt.Sprintf("want %s or %s, not %q", OldestFirst, QueueOrder, st.AcrossQueues))
		}
		sc.Strategies = append(sc.Strategies, st)
	}
	if len(sc.Strategies) == 0 {
		sc.Strategies = []Strategy{{Name: "as-configured", AcrossQueues: OldestFirst}}
	}
	return sc
}

const strategyList = "longest-idle, fewest-calls, round-robin, ring-all or skill-sparing"

func validStrategy(s queue.Strategy) bool {
	switch s {
	case queue.LongestIdle, queue.FewestCalls, queue.RoundRobin, queue.RingAll, queue.SkillSparing:
		return true
	}
	return false
}

func (fq *fileQueue) convert(field string, add addFunc, line lineFunc) (Queue, bool) {
	n := 0
	bad := func(l int, f, p string) { add(l, f, p); n++ }
	if fq.Name == "" {
		bad(line(), field+".name", "need a name")
	}
	q := Queue{QueueConfig: queue.QueueConfig{
		Name: fq.Name, Skills: fq.Skills, Strategy: queue.Strategy(fq.Strategy),
		RingTimeout: time.Duration(fq.RingTimeout), WrapUp: time.Duration(fq.WrapUp),
		ServiceLevel: time.Duration(fq.ServiceLevel), ServiceLevelPct: fq.ServiceLevelPct,
		MaxWait: time.Duration(fq.MaxWait), OnMaxWait: queue.Exit{Queue: fq.MaxWaitQueue},
		// The simulator's callers always find the queue open: refusing
		// them would hide the waits it is there to measure.
		JoinEmpty: true,
	}}
	if q.Strategy != "" && !validStrategy(q.Strategy) {
		bad(line("strategy"), field+".strategy", fmt.Sprintf("unknown strategy %q (want %s)", q.Strategy, strategyList))
	}
	for s, lvl := range fq.Skills {
		if lvl < 1 || lvl > queue.MaxSkillLevel {
			bad(line("skills", s), field+".skills."+s, fmt.Sprintf("level %d is outside 1-%d", lvl, queue.MaxSkillLevel))
		}
	}
	if fq.ServiceLevelPct < 0 || fq.ServiceLevelPct > 1 {
		bad(line("service_level_pct"), field+".service_level_pct", "want a fraction from 0 to 1")
	}
	if fq.MaxWaitQueue == fq.Name && fq.Name != "" {
		bad(line("max_wait_queue"), field+".max_wait_queue", "a queue cannot exit to itself")
	}
	for j, fo := range fq.Overflow {
		f := fmt.Sprintf("%s.overflow[%d]", field, j)
		o := queue.Overflow{After: time.Duration(fo.After), Queue: fo.Queue, MinLevel: fo.MinLevel, URI: fo.URI}
		switch {
		case o.Queue == "" && o.MinLevel == 0 && o.URI == "":
			bad(line("overflow", j), f, "need queue, min_level or uri")
		case o.MinLevel < 0 || o.MinLevel > queue.MaxSkillLevel:
			bad(line("overflow", j, "min_level"), f+".min_level", fmt.Sprintf("level %d is outside 1-%d", o.MinLevel, queue.MaxSkillLevel))
		case o.Queue != "" && o.Queue == fq.Name:
			bad(line("overflow", j, "queue"), f+".queue", "a queue cannot overflow to itself")
		}
		q.Overflow = append(q.Overflow, o)
	}
	if len(fq.Arrivals) == 0 {
		bad(line("arrivals"), field+".arrivals", "need at least one arrival rate, e.g. [{per_hour: 120}]")
	}
	for j, fr := range fq.Arrivals {
		f := fmt.Sprintf("%s.arrivals[%d]", field, j)
		r := Rate{To: 24 * time.Hour, PerHour: fr.PerHour}
		if fr.From != nil {
			r.From = time.Duration(*fr.From)
		}
		if fr.To != nil {
			r.To = time.Duration(*fr.To)
		}
		if r.PerHour < 0 {
			bad(line("arrivals", j, "per_hour"), f+".per_hour", "must not be negative")
		}
		if r.To <= r.From {
			bad(line("arrivals", j, "to"), f+".to", "must be after from (split a span that crosses midnight in two)")
		}
		for k, o := range q.Arrivals {
			if r.From < o.To && o.From < r.To {
				bad(line("arrivals", j), f, fmt.Sprintf("overlaps arrivals[%d]", k))
			}
		}
		q.Arrivals = append(q.Arrivals, r)
	}
	slices.SortFunc(q.Arrivals, func(a, b Rate) int { return cmpDur(a.From, b.From) })
	var ok bool
	if fq.Handle == nil {
		bad(line(), field+".handle", "need a handle time, e.g. {dist: exponential, mean: 4m}")
	} else if q.Handle, ok = fq.Handle.convert(field+".handle", false, add, func(p ...any) int { return line(append([]any{"handle"}, p...)...) }); !ok {
		n++
	}
	q.Patience = Dist{Kind: None}
	if fq.Patience != nil {
		if q.Patience, ok = fq.Patience.convert(field+".patience", true, add, func(p ...any) int { return line(append([]any{"patience"}, p...)...) }); !ok {
			n++
		}
	}
	return q, n == 0
}

func (fd *fileDist) convert(field string, noneOK bool, add addFunc, line lineFunc) (Dist, bool) {
	d := Dist{Kind: DistKind(fd.Dist), Mean: time.Duration(fd.Mean), SD: time.Duration(fd.SD)}
	switch d.Kind {
	case None:
		if !noneOK {
			add(line("dist"), field+".dist", "a handle time cannot be none")
			return d, false
		}
		return d, true
	case Exponential, Constant:
		if d.SD != 0 {
			add(line("sd"), field+".sd", fmt.Sprintf("%s takes only a mean", d.Kind))
			return d, false
		}
	case Lognormal:
		if d.SD <= 0 {
			add(line("sd"), field+".sd", "lognormal needs sd above 0")
			return d, false
		}
	case "":
		add(line(), field+".dist", "need dist: exponential, lognormal or constant")
		return d, false
	default:
		add(line("dist"), field+".dist", fmt.Sprintf("unknown distribution %q (want exponential, lognormal or constant)", d.Kind))
		return d, false
	}
	if d.Mean <= 0 {
		add(line("mean"), field+".mean", "need a mean above 0")
		return d, false
	}
	return d, true
}

func spans(in []fileSpan, field string, add addFunc, line lineFunc) []Span {
	var out []Span
	for i, fs := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		if fs.From == nil || fs.To == nil {
			add(line(i), f, "need from and to, e.g. {from: \"08:00\", to: \"16:00\"}")
			continue
		}
		s := Span{From: time.Duration(*fs.From), To: time.Duration(*fs.To)}
		if s.From == s.To {
			add(line(i, "to"), f+".to", "equals from: an empty span")
			continue
		}
		out = append(out, s)
	}
	return out
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lineOf is the line of the node at path (mapping keys as strings,
// sequence indexes as ints), or of the deepest part of it that exists.
func lineOf(n *yaml.Node, path ...any) int {
	line := n.Line
	for _, p := range path {
		switch key := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					n, found = n.Content[i+1], true
					break
				}
			}
			if !found {
				return line
			}
		case int:
			if n.Kind != yaml.SequenceNode || key >= len(n.Content) {
				return line
			}
			n = n.Content[key]
		}
		line = n.Line
	}
	return line
}
