package queue

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

type agent struct {
	id, name  string
	skills    map[string]int
	state     AgentState
	reason    string
	since     time.Time
	reachable bool
	idleSince time.Time // last call ended, or became ready from paused/logged out
	calls     int       // answered since login
	missed    int       // missed offers in a row
	handle    []time.Duration
	handleAt  int
	call      *call  // the call it rings for or is reserved for
	active    string // the answered call, until wrap-up ends
	wrapUntil time.Time
	pending   *stateRequest
	minStage  []int // per queue: first overflow stage it may serve, -1 never
	buckets   []int
	sig       string // its buckets, as a key: agents with equal sig are interchangeable
	freePos   []int  // per bucket: index in that bucket's free heap
	timerGen  uint64
	removed   bool
}

// stateRequest is a SetAgentState that waits for the current call or
// wrap-up to end.
type stateRequest struct {
	state  AgentState
	reason string
}

func (a *agent) free() bool     { return a.state == Ready && a.reachable && !a.removed }
func (a *agent) loggedIn() bool { return a.state != LoggedOut && a.reachable && !a.removed }

func (a *agent) recordHandle(d time.Duration, keep int) {
	if len(a.handle) < keep {
		a.handle = append(a.handle, d)
		return
	}
	a.handle[a.handleAt%keep] = d
	a.handleAt++
}

// meanHandle is the agent's recent mean handle time, or def with no history.
func (a *agent) meanHandle(def time.Duration) time.Duration {
	if len(a.handle) == 0 {
		return def
	}
	var sum time.Duration
	for _, d := range a.handle {
		sum += d
	}
	return sum / time.Duration(len(a.handle))
}

// meets reports whether skills cover need, each required level lowered to
// cap when cap > 0.
func meets(skills, need map[string]int, cap int) bool {
	for s, l := range need {
		if cap > 0 {
			l = min(l, cap)
		}
		if skills[s] < l {
			return false
		}
	}
	return true
}

// minStage is the first overflow stage of q at which a may take its calls.
func (e *Engine) minStage(a *agent, q *queueState) int {
	if meets(a.skills, q.cfg.Skills, 0) {
		return 0
	}
	for j, st := range q.cfg.Overflow {
		if st.Queue != "" && meets(a.skills, e.queues[st.Queue].cfg.Skills, 0) {
			return j + 1
		}
		if st.MinLevel > 0 && meets(a.skills, q.cfg.Skills, st.MinLevel) {
			return j + 1
		}
	}
	return -1
}

// computeEligibility works out the buckets a's skills put it in.
func (e *Engine) computeEligibility(a *agent) {
	a.minStage = make([]int, len(e.byName))
	a.buckets = a.buckets[:0]
	a.freePos = make([]int, len(e.buckets))
	for i := range a.freePos {
		a.freePos[i] = -1
	}
	var sig strings.Builder
	for _, q := range e.byName {
		m := e.minStage(a, q)
		a.minStage[q.idx] = m
		if m < 0 {
			continue
		}
		last := -1
		for _, b := range q.stageBucket[m:] {
			if b != last {
				a.buckets = append(a.buckets, b)
				sig.WriteString(strconv.Itoa(b))
				sig.WriteByte(',')
				last = b
			}
		}
	}
	a.sig = sig.String()
}

// link indexes a in its buckets as its state and skills require.
func (o *op) link(a *agent) {
	for _, b := range a.buckets {
		o.e.buckets[b].members[a] = struct{}{}
	}
	o.reindex(a, false, false)
}

// unlink takes a out of every index, as if it had logged out.
func (o *op) unlink(a *agent) {
	wasFree, wasIn := a.free(), a.loggedIn()
	for _, b := range a.buckets {
		delete(o.e.buckets[b].members, a)
	}
	if wasFree {
		for _, b := range a.buckets {
			o.e.buckets[b].free.remove(a)
		}
	}
	if wasIn {
		o.serversChanged(a, -1)
	}
}

// reindex updates the free sets and server counts after a change of state
// or reachability.
func (o *op) reindex(a *agent, wasFree, wasIn bool) {
	if isFree := a.free(); isFree != wasFree {
		for _, b := range a.buckets {
			if isFree {
				o.e.buckets[b].free.add(a)
			} else {
				o.e.buckets[b].free.remove(a)
			}
		}
		if isFree {
			o.freed = append(o.freed, a)
		}
	}
	if isIn := a.loggedIn(); isIn != wasIn {
		if isIn {
			o.serversChanged(a, 1)
		} else {
			o.serversChanged(a, -1)
		}
	}
}

func (o *op) serversChanged(a *agent, d int) {
	for _, q := range o.e.byName {
		if a.minStage[q.idx] < 0 {
			continue
		}
		q.servers += d
		if q.servers == 0 {
			o.emptied = append(o.emptied, q)
		}
	}
}

// setState moves a to s and reports it.
func (o *op) setState(a *agent, s AgentState, reason string) {
	wasFree, wasIn := a.free(), a.loggedIn()
	a.state, a.reason, a.since = s, reason, o.now
	o.emit(AgentChanged{Agent: a.id, State: s, Reason: reason})
	o.reindex(a, wasFree, wasIn)
}

// release ends a ring, reservation or wrap-up: the agent goes to the state
// it asked for meanwhile, or to ready.
func (o *op) release(a *agent, reason string) {
	a.call = nil
	if p := a.pending; p != nil {
		a.pending = nil
		o.setState(a, p.state, p.reason)
		return
	}
	o.setState(a, Ready, reason)
}

// detach cancels a's ring or reservation without changing its state.
func (o *op) detach(a *agent) {
	c := a.call
	if c == nil {
		return
	}
	a.call = nil
	switch a.state {
	case Ringing:
		t := Target{Agent: a.id}
		if c.hasOffer(t) {
			o.emit(CancelOffer{Call: c.id, Target: t})
			c.removeOffer(t)
			o.offersEnded(c)
		}
	case Reserved:
		// The customer is still being dialled; on answer the call is
		// routed to whoever is free, ahead of its class.
		c.reserved = nil
	}
}

func (o *op) addAgent(ac AgentConfig) *agent {
	a := &agent{id: ac.ID, name: ac.Name, skills: cleanSkills(ac.Skills), state: LoggedOut, since: o.now}
	o.e.agents[a.id] = a
	o.e.computeEligibility(a)
	o.link(a)
	return a
}

// UpsertAgent adds an agent (logged out, unreachable) or changes its name
// and skills, keeping its state. A call already ringing it keeps ringing
// even if the new skills no longer qualify. Levels below 1 are dropped and
// above 10 capped (see ValidateAgent); an empty id is ignored.
func (e *Engine) UpsertAgent(now time.Time, ac AgentConfig) []Action {
	if ac.ID == "" {
		return nil
	}
	o := e.begin(now)
	a := e.agents[ac.ID]
	if a == nil {
		o.addAgent(ac)
		return o.finish()
	}
	a.name = ac.Name
	skills := cleanSkills(ac.Skills)
	if maps.Equal(skills, a.skills) {
		return o.finish()
	}
	o.unlink(a)
	a.skills = skills
	e.computeEligibility(a)
	for _, b := range a.buckets {
		e.buckets[b].members[a] = struct{}{}
	}
	if a.free() {
		for _, b := range a.buckets {
			e.buckets[b].free.add(a)
		}
		o.freed = append(o.freed, a)
	}
	if a.loggedIn() {
		o.serversChanged(a, 1)
	}
	return o.finish()
}

// RemoveAgent logs the agent out (cancelling its ring or reservation) and
// forgets it. A call it is on continues; CallEnded for it only ends the call.
func (e *Engine) RemoveAgent(now time.Time, id string) ([]Action, error) {
	a := e.agents[id]
	if a == nil {
		return nil, fmt.Errorf("remove agent %s: %w", id, ErrUnknownAgent)
	}
	o := e.begin(now)
	o.detach(a)
	a.pending = nil
	if a.state != LoggedOut {
		o.setState(a, LoggedOut, ReasonRemoved)
	}
	o.unlink(a)
	a.removed = true
	a.timerGen++
	delete(e.agents, id)
	return o.finish(), nil
}

// SetAgentState applies a change asked for from outside: Ready, Paused
// (with a reason) or LoggedOut. While the agent rings, is reserved, on a
// call or in wrap-up the request waits for that to end, except that
// LoggedOut while ringing or reserved cancels the offer or reservation at
// once, and Ready during wrap-up ends the wrap-up early (waiting for it
// to end would change nothing). Ready while ringing, reserved or on a call
// withdraws a pending request.
func (e *Engine) SetAgentState(now time.Time, id string, s AgentState, reason string) ([]Action, error) {
	a := e.agents[id]
	if a == nil {
		return nil, fmt.Errorf("set agent %s state: %w", id, ErrUnknownAgent)
	}
	switch s {
	case Ready, Paused, LoggedOut:
	default:
		return nil, fmt.Errorf("set agent %s state %q: only ready, paused or logged_out can be requested: %w", id, s, ErrInvalid)
	}
	o := e.begin(now)
	switch a.state {
	case LoggedOut, Ready, Paused:
		if s == a.state && (s != Paused || reason == a.reason) {
			break
		}
		switch {
		case a.state == LoggedOut:
			// Login: counts start afresh.
			a.calls, a.missed, a.idleSince = 0, 0, now
		case s == Ready:
			// Back from a pause: a fresh start for auto-pause, and idle
			// time counts from now, not from before the pause.
			a.missed, a.idleSince = 0, now
		}
		o.setState(a, s, reason)
	case Ringing, Reserved:
		switch s {
		case LoggedOut:
			a.pending = nil
			o.detach(a)
			o.setState(a, LoggedOut, reason)
		case Ready:
			a.pending = nil
		default:
			a.pending = &stateRequest{s, reason}
		}
	case OnCall:
		if s == Ready {
			a.pending = nil
		} else {
			a.pending = &stateRequest{s, reason}
		}
	case WrapUp:
		if s == Ready {
			a.pending = nil
			a.active = ""
			a.timerGen++
			o.setState(a, Ready, reason)
		} else {
			a.pending = &stateRequest{s, reason}
		}
	}
	return o.finish(), nil
}

// SetReachable records whether the agent's phone is registered. An
// unreachable agent is never offered a call: a ring or reservation it
// holds is cancelled and it returns to ready (still unreachable, so not
// routed) for the driver to log it out or wait for it to come back.
func (e *Engine) SetReachable(now time.Time, id string, reachable bool) []Action {
	a := e.agents[id]
	if a == nil || a.reachable == reachable {
		return nil
	}
	o := e.begin(now)
	wasFree, wasIn := a.free(), a.loggedIn()
	a.reachable = reachable
	o.reindex(a, wasFree, wasIn)
	if !reachable && (a.state == Ringing || a.state == Reserved) {
		o.detach(a)
		o.release(a, ReasonUnreachable)
	}
	return o.finish()
}

// wrapDone ends a's wrap-up.
func (o *op) wrapDone(a *agent) {
	if a.state != WrapUp {
		return
	}
	a.active = ""
	o.release(a, ReasonWrapUpDone)
}
