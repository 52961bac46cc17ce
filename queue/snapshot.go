package queue

import (
	"maps"
	"slices"
	"time"
)

// Snapshot is the engine's state at a moment, for the API and wallboards.
type Snapshot struct {
	Queues []QueueSnapshot // sorted by name
	Agents []AgentSnapshot // sorted by id
}

// QueueSnapshot is one queue.
type QueueSnapshot struct {
	Name        string
	Waiting     []WaitingCall // in service order
	LongestWait time.Duration // since first queued, of the calls in Waiting
	// AgentsByState counts, per state, the agents who have the queue's own
	// skills (not those who serve it only through overflow).
	AgentsByState map[AgentState]int
	// Counters since the engine started. Answered, Abandoned and
	// AnsweredInSL count where the call was when it ended; TimedOut counts
	// max-wait exits and moves from this queue; Overflowed counts calls
	// that passed at least one overflow step here; Callbacks counts
	// callback requests.
	Answered, Abandoned, Callbacks, Overflowed, TimedOut int
	AnsweredInSL                                         int // answered within ServiceLevel of first queued
	// ServiceLevel = AnsweredInSL / (Answered + calls abandoned after
	// waiting longer than ServiceLevelTarget); 1 when that is 0. Calls
	// abandoned within the target, timed out, or turned into callbacks do
	// not count either way.
	ServiceLevel       float64
	ServiceLevelTarget time.Duration
	ServiceLevelPct    float64
}

// WaitingCall is one call in a queue. Offered lists what it is ringing now
// (agent ids or URIs), or the agent reserved for its callback.
type WaitingCall struct {
	Call, Customer string
	Priority       int
	Position       int
	Waited, EWT    time.Duration
	Callback       bool
	Offered        []string
}

// AgentSnapshot is one agent. CurrentCall is the call it rings for, is
// reserved for, is on or is wrapping up. Pending is a state asked for that
// waits for the current call or wrap-up to end ("" if none).
type AgentSnapshot struct {
	ID, Name    string
	State       AgentState
	Reason      string
	Reachable   bool
	Skills      map[string]int
	Since       time.Time
	Calls       int // answered since login
	Missed      int // missed offers in a row
	CurrentCall string
	Pending     AgentState
}

// Snapshot returns the state of every queue and agent.
func (e *Engine) Snapshot(now time.Time) Snapshot {
	s := Snapshot{Queues: make([]QueueSnapshot, 0, len(e.byName)), Agents: make([]AgentSnapshot, 0, len(e.agents))}
	for _, q := range e.byName {
		s.Queues = append(s.Queues, e.queueSnapshot(now, q))
	}
	for _, id := range slices.Sorted(maps.Keys(e.agents)) {
		s.Agents = append(s.Agents, e.agentSnapshot(e.agents[id]))
	}
	return s
}

func (e *Engine) queueSnapshot(now time.Time, q *queueState) QueueSnapshot {
	st := q.stats
	qs := QueueSnapshot{
		Name: q.cfg.Name, Waiting: []WaitingCall{}, AgentsByState: map[AgentState]int{},
		Answered: st.answered, Abandoned: st.abandoned, Callbacks: st.callbacks,
		Overflowed: st.overflowed, TimedOut: st.timedOut, AnsweredInSL: st.answeredInSL,
		ServiceLevel: 1, ServiceLevelTarget: q.cfg.ServiceLevel, ServiceLevelPct: q.cfg.ServiceLevelPct,
	}
	if d := st.answered + st.abandonedAfterSL; d > 0 {
		qs.ServiceLevel = float64(st.answeredInSL) / float64(d)
	}
	for a := range e.buckets[q.stageBucket[0]].members {
		qs.AgentsByState[a.state]++
	}
	calls := e.ordered(q)
	ewt := e.waitEstimates(now, q, calls)
	for i, c := range calls {
		w := WaitingCall{
			Call: c.id, Customer: c.customer, Priority: c.priority, Position: i + 1,
			Waited: now.Sub(c.queuedAt), EWT: ewt[c], Callback: c.callback,
		}
		for _, t := range c.offers {
			w.Offered = append(w.Offered, t.String())
		}
		if c.reserved != nil {
			w.Offered = append(w.Offered, c.reserved.id)
		}
		qs.LongestWait = max(qs.LongestWait, w.Waited)
		qs.Waiting = append(qs.Waiting, w)
	}
	return qs
}

// waitEstimates gives every waiting call of q the same estimate Position
// would, with one simulation per overflow stage present instead of one per
// call.
func (e *Engine) waitEstimates(now time.Time, q *queueState, calls []*call) map[*call]time.Duration {
	out := map[*call]time.Duration{}
	done := map[int]bool{}
	for _, c := range calls {
		if c.state != callWaiting {
			continue
		}
		b := q.stageBucket[c.stage]
		if done[b] {
			continue
		}
		done[b] = true
		sim := e.newSim(now, q, b)
		for _, x := range calls {
			if x.state != callWaiting {
				continue
			}
			w := sim.next()
			if q.stageBucket[x.stage] == b {
				out[x] = w
			}
		}
	}
	return out
}

func (e *Engine) agentSnapshot(a *agent) AgentSnapshot {
	as := AgentSnapshot{
		ID: a.id, Name: a.name, State: a.state, Reason: a.reason, Reachable: a.reachable,
		Skills: maps.Clone(a.skills), Since: a.since, Calls: a.calls, Missed: a.missed,
	}
	switch {
	case a.call != nil:
		as.CurrentCall = a.call.id
	case a.active != "":
		as.CurrentCall = a.active
	}
	if a.pending != nil {
		as.Pending = a.pending.state
	}
	return as
}
