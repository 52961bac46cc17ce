package queue

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Strategy is how a queue picks among several free agents for one call.
type Strategy string

// Routing strategies.
const (
	LongestIdle  Strategy = "longest-idle" // default when empty
	FewestCalls  Strategy = "fewest-calls"
	RoundRobin   Strategy = "round-robin"
	RingAll      Strategy = "ring-all"
	SkillSparing Strategy = "skill-sparing"
)

// AgentState is where an agent is in the state machine described in doc.go.
type AgentState string

// Agent states. All are typed AgentState so a switch over them is checked.
const (
	LoggedOut AgentState = "logged_out"
	Ready     AgentState = "ready"
	Reserved  AgentState = "reserved"
	Ringing   AgentState = "ringing"
	OnCall    AgentState = "on_call"
	WrapUp    AgentState = "wrap_up"
	Paused    AgentState = "paused"
)

// Overflow widens who may take a call once it has waited After in its queue.
// Each field that is set adds a way; config normally sets exactly one.
type Overflow struct {
	After    time.Duration
	Queue    string // also offer to agents of this queue (by its required skills)
	MinLevel int    // or: accept agents with this lower skill level for the call's own queue
	URI      string // or: offer to this external SIP URI (an outsourced team); Target.URI set
}

// ExitKind names what happens when a call leaves a queue ("hangup" or
// "queue:<name>"). The engine expresses it through Exit.Queue instead; the
// type is kept for callers that label exits.
type ExitKind string

// Exit is where a call goes when max wait passes: empty Queue = leave
// (caller hears the unavailable prompt and is hung up).
type Exit struct{ Queue string }

// QueueConfig describes one queue.
type QueueConfig struct {
	Name            string
	Skills          map[string]int // required skill -> minimum level; nil/empty means {Name: 1}
	Strategy        Strategy
	RingTimeout     time.Duration // per offer; default 15s
	WrapUp          time.Duration // agent wrap-up after each call of this queue
	ServiceLevel    time.Duration // target answer time, default 20s
	ServiceLevelPct float64       // target fraction, default 0.80 (reported, not enforced)
	MaxWait         time.Duration // 0 = no limit; then Exit action with Exit config
	OnMaxWait       Exit
	// JoinEmpty: false refuses Enqueue (ErrNoAgents) when no agent who could serve the queue is
	// logged in (state other than logged_out, and reachable). LeaveEmpty: a waiting call exits
	// (ExitCall with Reason "no_agents") when the last such agent logs out.
	JoinEmpty, LeaveEmpty bool
	Overflow              []Overflow // in order of After
}

// AgentConfig describes one agent.
type AgentConfig struct {
	ID     string
	Name   string
	Skills map[string]int // level 1..10
}

// Options configure an Engine. Zero values take the defaults noted.
type Options struct {
	Queues            []QueueConfig
	Agents            []AgentConfig // start logged_out and unreachable
	MaxMissed         int           // auto-pause after this many missed offers in a row; 0 = never
	HandleTimeSamples int           // recent handle times kept per agent for EWT; default 10
	DefaultHandleTime time.Duration // used for an agent with no history; default 3m
	CallbackRetries   int           // callback attempts (dials) in all before giving up; default 3
	// RetryDelay is how long a call waits before it is offered again to
	// agents who have all failed it since the last round (an agent who has
	// not, becoming free, still takes it at once). It keeps a phone that
	// rejects calls instantly from being rung in a tight loop. Default 5s;
	// negative offers again at once.
	RetryDelay time.Duration
	// CallbackRetryDelay keeps a failed callback from being dialled again
	// before this much time has passed (it still keeps its place at the
	// front). 0 retries as soon as an agent is free, as the contract reads;
	// production should set a few minutes so a customer who just missed the
	// call is not rung straight back.
	CallbackRetryDelay time.Duration
}

// Defaults.
const (
	DefaultRingTimeout       = 15 * time.Second
	DefaultServiceLevel      = 20 * time.Second
	DefaultServiceLevelPct   = 0.80
	DefaultHandleTimeSamples = 10
	DefaultHandleTime        = 3 * time.Minute
	DefaultCallbackRetries   = 3
	DefaultRetryDelay        = 5 * time.Second
	MaxSkillLevel            = 10
)

// Errors. Every error returned wraps one of these with context.
var (
	ErrUnknownQueue = errors.New("unknown queue")
	ErrNoAgents     = errors.New("no agents")
	ErrUnknownCall  = errors.New("unknown call")
	ErrUnknownAgent = errors.New("unknown agent")
	// ErrInvalid marks a bad configuration or argument (levels, names,
	// durations, a state that cannot be requested, a duplicate call id).
	ErrInvalid = errors.New("invalid")
)

func validStrategy(s Strategy) bool {
	switch s {
	case LongestIdle, FewestCalls, RoundRobin, RingAll, SkillSparing:
		return true
	}
	return false
}

// ValidateAgent reports what is wrong with an agent's configuration, for
// callers that want to refuse it before UpsertAgent (which cannot fail and
// so drops levels below 1 and caps those above 10).
func ValidateAgent(a AgentConfig) error {
	if a.ID == "" {
		return fmt.Errorf("agent: empty id: %w", ErrInvalid)
	}
	for s, l := range a.Skills {
		if l < 1 || l > MaxSkillLevel {
			return fmt.Errorf("agent %s skill %s: level %d outside 1-%d: %w", a.ID, s, l, MaxSkillLevel, ErrInvalid)
		}
	}
	return nil
}

// normalizeQueue fills in defaults and checks what does not need the other
// queues.
func normalizeQueue(q QueueConfig) (QueueConfig, error) {
	if q.Name == "" {
		return q, fmt.Errorf("queue: empty name: %w", ErrInvalid)
	}
	if len(q.Skills) == 0 {
		q.Skills = map[string]int{q.Name: 1}
	}
	skills := make(map[string]int, len(q.Skills))
	for s, l := range q.Skills {
		if l < 1 || l > MaxSkillLevel {
			return q, fmt.Errorf("queue %s skill %s: level %d outside 1-%d: %w", q.Name, s, l, MaxSkillLevel, ErrInvalid)
		}
		skills[s] = l
	}
	q.Skills = skills
	if q.Strategy == "" {
		q.Strategy = LongestIdle
	}
	if !validStrategy(q.Strategy) {
		return q, fmt.Errorf("queue %s: strategy %q: %w", q.Name, q.Strategy, ErrInvalid)
	}
	for _, d := range []time.Duration{q.RingTimeout, q.WrapUp, q.ServiceLevel, q.MaxWait} {
		if d < 0 {
			return q, fmt.Errorf("queue %s: negative duration %v: %w", q.Name, d, ErrInvalid)
		}
	}
	if q.RingTimeout == 0 {
		q.RingTimeout = DefaultRingTimeout
	}
	if q.ServiceLevel == 0 {
		q.ServiceLevel = DefaultServiceLevel
	}
	if q.ServiceLevelPct < 0 || q.ServiceLevelPct > 1 {
		return q, fmt.Errorf("queue %s: service level fraction %v outside 0-1: %w", q.Name, q.ServiceLevelPct, ErrInvalid)
	}
	if q.ServiceLevelPct == 0 {
		q.ServiceLevelPct = DefaultServiceLevelPct
	}
	q.Overflow = slices.Clone(q.Overflow)
	for i, o := range q.Overflow {
		if o.After < 0 {
			return q, fmt.Errorf("queue %s overflow %d: negative after: %w", q.Name, i, ErrInvalid)
		}
		if o.Queue == "" && o.MinLevel == 0 && o.URI == "" {
			return q, fmt.Errorf("queue %s overflow %d: none of queue, min level or uri: %w", q.Name, i, ErrInvalid)
		}
		if o.MinLevel < 0 || o.MinLevel > MaxSkillLevel {
			return q, fmt.Errorf("queue %s overflow %d: min level %d outside 1-%d: %w", q.Name, i, o.MinLevel, MaxSkillLevel, ErrInvalid)
		}
		if o.Queue == q.Name {
			return q, fmt.Errorf("queue %s overflow %d: overflows to itself: %w", q.Name, i, ErrInvalid)
		}
	}
	// The contract says "in order of After"; sorting (stably) is kinder
	// than refusing a config listed in another order.
	slices.SortStableFunc(q.Overflow, func(a, b Overflow) int { return cmpDuration(a.After, b.After) })
	if q.OnMaxWait.Queue == q.Name {
		return q, fmt.Errorf("queue %s: max wait exits to itself: %w", q.Name, ErrInvalid)
	}
	return q, nil
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cleanSkills copies an agent's skills, dropping levels below 1 and capping
// those above MaxSkillLevel.
func cleanSkills(in map[string]int) map[string]int {
	out := make(map[string]int, len(in))
	for s, l := range in {
		if l < 1 {
			continue
		}
		out[s] = min(l, MaxSkillLevel)
	}
	return out
}
