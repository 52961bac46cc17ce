// Package sim is a discrete-event simulator of a contact centre that
// drives the real queue.Engine on a virtual clock, so what it measures is
// what production routing does.
//
// Callers arrive (Poisson, with rates by time of day), are enqueued, hang
// up when their patience runs out, and talk for their handle time once an
// agent answers. Agents log in, pause and log out on a schedule and answer
// an offer after a ring delay. The engine's own timers (wrap-up, overflow,
// max wait, retries) run through Deadline and Tick. Each strategy of a
// scenario sees the same callers: the same arrival times, handle times and
// patience, drawn from streams that routing cannot disturb.
//
// # Wait estimates
//
// When a call has to queue (no offer at once), the simulator records the
// engine's estimate from Position and, as a baseline, the estimate
// Asterisk's app_queue announces. app_queue keeps one hold time per queue,
// an integer number of seconds starting at 0; each time a caller is
// connected, hold = (3*hold + wait)/4 in integer arithmetic, wait being
// that caller's whole seconds in the queue. At join a caller is told the
// hold time (app_queue rounds it to whole minutes when announcing; the
// baseline keeps the seconds, which only helps it). Position plays no
// part. Both are compared with the wait the call actually had, for calls
// that were answered; abandoned calls have no actual wait to compare.
package sim

import (
	"container/heap"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/contactd/contactd/queue"
)

// Options configure Run.
type Options struct {
	// Strategies are the names of the scenario's strategies to run, in
	// order; empty runs them all.
	Strategies []string
	// Drain is how long after the scenario's duration calls still in the
	// centre may take to finish (default 12h); those left are Unfinished.
	Drain  time.Duration
	Logger *slog.Logger // default: discard
}

// DefaultDrain is Options.Drain's default.
const DefaultDrain = 12 * time.Hour

// epoch is virtual time 0: a Monday midnight, so times of day read
// naturally in the engine's snapshots.
var epoch = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// ErrUnknownStrategy is returned for a strategy name the scenario lacks.
var ErrUnknownStrategy = errors.New("unknown strategy")

// Run simulates the scenario under each strategy and reports the results.
func Run(sc *Scenario, opts Options) (*Report, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Drain <= 0 {
		opts.Drain = DefaultDrain
	}
	strategies := sc.Strategies
	if len(opts.Strategies) > 0 {
		strategies = nil
		for _, name := range opts.Strategies {
			i := -1
			for j, st := range sc.Strategies {
				if st.Name == name {
					i = j
				}
			}
			if i < 0 {
				return nil, fmt.Errorf("simulate %s: strategy %q: %w", sc.Name, name, ErrUnknownStrategy)
			}
			strategies = append(strategies, sc.Strategies[i])
		}
	}
	rep := &Report{
		Scenario: sc.Name, Seed: sc.Seed,
		Duration: sc.Duration, WarmUp: sc.WarmUp, DurationS: sc.Duration.Seconds(), WarmUpS: sc.WarmUp.Seconds(),
	}
	for _, st := range strategies {
		start := time.Now()
		res, err := runOne(sc, st, opts)
		if err != nil {
			return nil, fmt.Errorf("simulate %s strategy %s: %w", sc.Name, st.Name, err)
		}
		opts.Logger.Debug("simulated", "scenario", sc.Name, "strategy", st.Name, "calls", res.Calls, "events", res.Events, "elapsed", time.Since(start))
		rep.Calls = res.Calls
		rep.Results = append(rep.Results, *res)
	}
	return rep, nil
}

type evKind int

const (
	evArrive evKind = iota
	evAnswer
	evNoAnswer
	evEnd
	evAbandon
	evSchedule
)

type event struct {
	at     time.Duration
	seq    uint64
	kind   evKind
	call   *callRec
	target queue.Target
	gen    uint64 // evAnswer, evNoAnswer: which offer
	group  int    // evSchedule; evArrive: the queue
}

type events []event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(event)) }
func (h *events) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type outcome int

const (
	waiting outcome = iota
	answered
	abandoned
	exited // max wait or no agents
	refused
)

// callRec is one call as the simulator saw it.
type callRec struct {
	caller
	queue     string // where it is now (max wait may move it)
	outcome   outcome
	queued    bool          // had to wait: no offer when it arrived
	estimated bool          // queued and given estimates
	position  int           // at arrival, when queued
	ewt       time.Duration // engine's estimate at arrival, when queued
	hold      time.Duration // app_queue's estimate at arrival, when queued
}

type offerKey struct {
	call   string
	target queue.Target
}

type agentRec struct {
	group int
	state queue.AgentState
	since time.Duration
}

type runner struct {
	sc      *Scenario
	st      Strategy
	e       *queue.Engine
	log     *slog.Logger
	now     time.Duration
	ev      events
	seq     uint64
	streams []*stream
	ncalls  int                 // generated so far
	live    map[string]*callRec // not yet answered, abandoned or exited
	offers  map[offerKey]uint64
	ogen    uint64
	agents  map[string]*agentRec
	ids     [][]string // per group
	ring    *rand.Rand
	hold    map[string]int // app_queue hold time per queue, seconds
	nev     int            // engine calls made
	stats   []Stats        // per queue, measured calls
	ewt     [][2]float64   // measured, queued, answered calls: position and error
	holdErr [][2]float64
	// stateTime is, per group, the time agents spent in each state within
	// [WarmUp, Duration].
	stateTime []map[queue.AgentState]time.Duration
	// observe, when set, sees every call as it finishes; noEstimates
	// skips the wait estimates, a third of the work (tests).
	observe     func(c *callRec, wait time.Duration)
	noEstimates bool
}

func (r *runner) at(d time.Duration) time.Time { return epoch.Add(d) }

func (r *runner) push(ev event) {
	r.seq++
	ev.seq = r.seq
	heap.Push(&r.ev, ev)
}

func runOne(sc *Scenario, st Strategy, opts Options) (*Result, error) {
	r, err := newRunner(sc, st, opts)
	if err != nil {
		return nil, err
	}
	if err := r.run(sc.Duration + opts.Drain); err != nil {
		return nil, err
	}
	return r.result(), nil
}

func newRunner(sc *Scenario, st Strategy, opts Options) (*runner, error) {
	qopts := queue.Options{
		HandleTimeSamples: sc.Engine.HandleTimeSamples,
		DefaultHandleTime: sc.Engine.DefaultHandleTime,
		RetryDelay:        sc.Engine.RetryDelay,
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &runner{
		sc: sc, st: st, log: opts.Logger,
		live: map[string]*callRec{}, offers: map[offerKey]uint64{}, agents: map[string]*agentRec{},
		ring: newRand(sc.Seed, streamRing), hold: map[string]int{},
		stats: make([]Stats, len(sc.Queues)),
	}
	for i, q := range sc.Queues {
		qc := q.QueueConfig
		if st.Routing != "" {
			qc.Strategy = st.Routing
		}
		qopts.Queues = append(qopts.Queues, qc)
		r.stats[i].Name = q.Name
		r.streams = append(r.streams, newStream(sc, i))
	}
	for gi, g := range sc.Agents {
		var ids []string
		for i := range g.Count {
			id := fmt.Sprintf("%s-%03d", g.Name, i+1)
			ids = append(ids, id)
			qopts.Agents = append(qopts.Agents, queue.AgentConfig{ID: id, Name: id, Skills: g.Skills})
			r.agents[id] = &agentRec{group: gi, state: queue.LoggedOut}
		}
		r.ids = append(r.ids, ids)
		r.stateTime = append(r.stateTime, map[queue.AgentState]time.Duration{})
	}
	e, err := queue.New(qopts)
	if err != nil {
		return nil, fmt.Errorf("build engine: %w", err)
	}
	r.e = e
	return r, nil
}

// run schedules the arrivals and agents, then runs events in time order,
// the engine's timers among them, until every call has finished after the
// last arrival, or stop.
func (r *runner) run(stop time.Duration) error {
	for qi := range r.streams {
		r.nextArrival(qi)
	}
	for _, ids := range r.ids {
		for _, id := range ids {
			r.apply(r.e.SetReachable(r.at(0), id, true))
		}
	}
	for gi := range r.sc.Agents {
		for _, t := range r.sc.Agents[gi].changes(stop) {
			r.push(event{at: t, kind: evSchedule, group: gi})
		}
	}
	for {
		if len(r.live) == 0 && r.now >= r.sc.Duration {
			break
		}
		dl, timer := r.e.Deadline()
		if len(r.ev) == 0 && !timer {
			break
		}
		// The engine's timer comes first at a tie: a wrap-up ending at the
		// same instant as an arrival frees the agent for it.
		if d := dl.Sub(epoch); timer && (len(r.ev) == 0 || d <= r.ev[0].at) {
			if d > stop {
				break
			}
			r.now = max(r.now, d)
			r.nev++
			r.apply(r.e.Tick(r.at(r.now)))
			continue
		}
		ev := heap.Pop(&r.ev).(event)
		if ev.at > stop {
			break
		}
		r.now = ev.at
		if err := r.handle(ev); err != nil {
			return err
		}
	}
	r.now = max(r.now, r.sc.Duration)
	for _, a := range r.agents {
		r.account(a, a.state)
	}
	for _, c := range r.live {
		if c.at >= r.sc.WarmUp {
			s := &r.stats[c.caller.queue]
			s.Offered++
			s.Unfinished++
			s.delayed++
			s.LongestWaitS = max(s.LongestWaitS, (r.now - c.at).Seconds())
		}
	}
	return nil
}

func (r *runner) nextArrival(qi int) {
	if c, ok := r.streams[qi].next(); ok {
		r.push(event{at: c.at, kind: evArrive, group: qi, call: &callRec{caller: c, queue: r.sc.Queues[qi].Name}})
	}
}

func (r *runner) handle(ev event) error {
	now := r.at(r.now)
	r.nev++
	c := ev.call
	switch ev.kind {
	case evArrive:
		r.nextArrival(ev.group)
		return r.arrive(c)
	case evAnswer:
		k := offerKey{c.id, ev.target}
		if r.offers[k] != ev.gen {
			return nil // cancelled meanwhile
		}
		delete(r.offers, k)
		as := r.e.OfferAnswered(now, c.id, ev.target)
		if len(as) == 0 && ev.target.Agent != "" {
			return fmt.Errorf("call %s: engine ignored the answer of its live offer to %s", c.id, ev.target)
		}
		r.hold[c.queue] = (3*r.hold[c.queue] + int((r.now-c.at)/time.Second)) / 4
		r.finish(c, answered)
		if ev.target.Agent != "" {
			r.push(event{at: r.now + c.handle, kind: evEnd, call: c})
		}
		r.apply(as)
	case evNoAnswer:
		k := offerKey{c.id, ev.target}
		if r.offers[k] != ev.gen {
			return nil
		}
		delete(r.offers, k)
		r.apply(r.e.OfferFailed(now, c.id, ev.target, "no_answer"))
	case evEnd:
		r.apply(r.e.CallEnded(now, c.id))
	case evAbandon:
		if c.outcome != waiting {
			return nil
		}
		r.finish(c, abandoned)
		r.apply(r.e.Abandon(now, c.id))
	case evSchedule:
		g := &r.sc.Agents[ev.group]
		want := g.stateAt(r.now)
		for _, id := range r.ids[ev.group] {
			as, err := r.e.SetAgentState(now, id, want, "schedule")
			if err != nil {
				return fmt.Errorf("agent %s: %w", id, err)
			}
			r.apply(as)
		}
	}
	return nil
}

func (r *runner) arrive(c *callRec) error {
	c.id = callID(r.ncalls)
	r.ncalls++
	r.live[c.id] = c
	now := r.at(r.now)
	prio := 0
	if r.st.AcrossQueues == QueueOrder {
		prio = min(c.caller.queue, queue.LowestPriority)
	}
	as, err := r.e.Enqueue(now, queue.Call{ID: c.id, Queue: c.queue, Priority: prio, Customer: c.id})
	if err != nil {
		if errors.Is(err, queue.ErrNoAgents) {
			r.finish(c, refused)
			return nil
		}
		return fmt.Errorf("enqueue: %w", err)
	}
	offered := false
	for _, a := range as {
		if o, ok := a.(queue.Offer); ok && o.Call == c.id {
			offered = true
		}
	}
	c.queued = !offered
	r.apply(as)
	if !offered && c.outcome == waiting && !r.noEstimates {
		pos, ewt, ok := r.e.Position(now, c.id)
		if ok {
			c.estimated, c.position, c.ewt = true, pos, ewt
			c.hold = time.Duration(r.hold[c.queue]) * time.Second
		}
	}
	if c.patience >= 0 && c.outcome == waiting {
		r.push(event{at: r.now + c.patience, kind: evAbandon, call: c})
	}
	return nil
}

// finish records how a call's wait ended.
func (r *runner) finish(c *callRec, o outcome) {
	if c.outcome != waiting {
		return
	}
	c.outcome = o
	delete(r.live, c.id)
	wait := r.now - c.at
	if r.observe != nil {
		r.observe(c, wait)
	}
	if c.at < r.sc.WarmUp {
		return
	}
	q := &r.sc.Queues[c.caller.queue]
	target := q.ServiceLevel
	if target == 0 {
		target = queue.DefaultServiceLevel
	}
	s := &r.stats[c.caller.queue]
	s.Offered++
	s.LongestWaitS = max(s.LongestWaitS, wait.Seconds())
	if c.queued {
		s.delayed++
	}
	switch o {
	case answered:
		s.Answered++
		s.waitSum += wait
		if wait <= target {
			s.answeredInSL++
		}
		if c.estimated {
			r.ewt = append(r.ewt, [2]float64{float64(c.position), (c.ewt - wait).Seconds()})
			r.holdErr = append(r.holdErr, [2]float64{float64(c.position), (c.hold - wait).Seconds()})
		}
	case abandoned:
		s.Abandoned++
		if wait > target {
			s.abandonedAfterSL++
		}
	case exited:
		s.Exited++
	case refused:
		s.Refused++
	}
}

// apply carries out the engine's actions.
func (r *runner) apply(as []queue.Action) {
	for _, a := range as {
		switch a := a.(type) {
		case queue.Offer:
			c := r.live[a.Call]
			if c == nil {
				r.log.Warn("offer for a call the simulator does not have", "call", a.Call)
				continue
			}
			r.ogen++
			r.offers[offerKey{a.Call, a.Target}] = r.ogen
			d := r.sc.Ring.draw(r.ring)
			if a.Timeout > 0 && d >= a.Timeout {
				r.push(event{at: r.now + a.Timeout, kind: evNoAnswer, call: c, target: a.Target, gen: r.ogen})
			} else {
				r.push(event{at: r.now + d, kind: evAnswer, call: c, target: a.Target, gen: r.ogen})
			}
		case queue.CancelOffer:
			delete(r.offers, offerKey{a.Call, a.Target})
		case queue.ExitCall:
			c := r.live[a.Call]
			if c == nil {
				continue
			}
			if a.ToQueue != "" {
				c.queue = a.ToQueue
				continue
			}
			r.finish(c, exited)
		case queue.StartCallback:
			// The simulator never asks for callbacks.
			r.log.Warn("unexpected callback", "call", a.Call)
		case queue.AgentChanged:
			if ag := r.agents[a.Agent]; ag != nil {
				r.account(ag, a.State)
			}
		}
	}
}

// account closes the agent's current state at now, counting the part of
// it inside the measured window, and moves it to s.
func (r *runner) account(a *agentRec, s queue.AgentState) {
	from, to := max(a.since, r.sc.WarmUp), min(r.now, r.sc.Duration)
	if to > from {
		r.stateTime[a.group][a.state] += to - from
	}
	a.state, a.since = s, r.now
}
