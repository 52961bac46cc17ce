package queue

import "time"

// timer is one entry of the engine's agenda: a call's next overflow step,
// max wait or retry, or an agent's end of wrap-up. Entries are
// never updated in place; a newer one bumps the owner's generation and the
// old one is skipped when it comes up.
type timer struct {
	at  time.Time
	seq uint64
	c   *call
	a   *agent
	gen uint64
}

func timerLess(x, y *timer) bool {
	if !x.at.Equal(y.at) {
		return x.at.Before(y.at)
	}
	return x.seq < y.seq
}

func (e *Engine) live(t *timer) bool {
	if t.a != nil {
		return t.gen == t.a.timerGen && e.agents[t.a.id] == t.a
	}
	return t.gen == t.c.timerGen && e.calls[t.c.id] == t.c
}

func (e *Engine) push(t *timer) {
	e.tseq++
	t.seq = e.tseq
	e.timers.Push(t)
}

// schedule replaces c's timer with its next due time, if any.
func (o *op) schedule(c *call) {
	c.timerGen++
	if at, ok := nextCallTime(c); ok {
		o.e.push(&timer{at: at, c: c, gen: c.timerGen})
	}
}

// scheduleAgent sets a's wrap-up timer.
func (o *op) scheduleAgent(a *agent) {
	a.timerGen++
	if a.state == WrapUp {
		o.e.push(&timer{at: a.wrapUntil, a: a, gen: a.timerGen})
	}
}

func nextCallTime(c *call) (time.Time, bool) {
	var at time.Time
	ok := false
	consider := func(t time.Time) {
		if !ok || t.Before(at) {
			at, ok = t, true
		}
	}
	if !c.notBefore.IsZero() {
		consider(c.notBefore)
	}
	if steps := c.q.cfg.Overflow; c.stage < len(steps) {
		consider(c.enteredAt.Add(steps[c.stage].After))
	}
	if c.timesOut() {
		consider(c.enteredAt.Add(c.q.cfg.MaxWait))
	}
	return at, ok
}

// timesOut reports whether max wait still applies to c. A callback's caller
// is not on the line, and one called back has been promised an agent.
func (c *call) timesOut() bool {
	return c.q.cfg.MaxWait > 0 && !c.callback && !c.wasCallback && !c.expired
}

// Deadline is the earliest time Tick has something to do.
func (e *Engine) Deadline() (time.Time, bool) {
	for {
		t, ok := e.timers.Top()
		if !ok {
			return time.Time{}, false
		}
		if e.live(t) {
			return t.at, true
		}
		e.timers.Pop()
	}
}

// Tick does what is due by now: wrap-ups end, calls pass overflow steps or
// their max wait, parked retries come back, and whatever became free or
// routable is matched.
func (e *Engine) Tick(now time.Time) []Action {
	o := e.begin(now)
	for {
		t, ok := e.timers.Top()
		if !ok || t.at.After(now) {
			break
		}
		e.timers.Pop()
		if !e.live(t) {
			continue
		}
		if t.a != nil {
			o.wrapDone(t.a)
		} else {
			o.advance(t.c)
		}
	}
	return o.finish()
}

// advance applies what is due for c: a retry's delay ending,
// overflow steps passed (widening its agents, or ringing an external URI
// alongside anything already ringing), and max wait.
func (o *op) advance(c *call) {
	q := c.q
	if !c.notBefore.IsZero() && !o.now.Before(c.notBefore) && c.state == callWaiting {
		clear(c.failed) // the retry starts a new round
		o.makeRoutable(c)
	}
	waited := o.now.Sub(c.enteredAt)
	for c.stage < len(q.cfg.Overflow) && waited >= q.cfg.Overflow[c.stage].After {
		st := q.cfg.Overflow[c.stage]
		o.e.count(c, -1)
		c.stage++
		o.e.count(c, 1)
		// An external team cannot take a callback: nobody is on the line.
		if st.URI != "" && !c.callback && c.state != callReserved {
			if t := (Target{URI: st.URI}); !c.hasOffer(t) {
				o.e.removeFromHeap(c)
				c.state = callOffered
				c.offers = append(c.offers, t)
				c.markOverflowed()
				o.emit(Offer{Call: c.id, Queue: q.cfg.Name, Target: t, Timeout: q.cfg.RingTimeout})
			}
		} else if c.heapIdx >= 0 {
			o.e.insertWaiting(c) // into the wider bucket of its new stage
			o.routable = append(o.routable, c)
		}
	}
	if c.timesOut() && waited >= q.cfg.MaxWait {
		if c.state == callWaiting {
			o.timeout(c)
			return
		}
		// Never pull a call from a phone that is ringing: it leaves if
		// the ringing fails.
		c.expired = true
	}
	o.schedule(c)
}

// timeout applies the queue's max-wait exit: move the call to the exit
// queue (which must accept joiners) or let it go.
func (o *op) timeout(c *call) {
	from := c.q
	from.stats.timedOut++
	to := from.exitTo
	if to != nil && !to.cfg.JoinEmpty && to.servers == 0 {
		to = nil
	}
	if to == nil {
		o.exit(c, ReasonTimeout)
		return
	}
	o.e.removeFromHeap(c)
	o.e.count(c, -1)
	delete(from.calls, c.id)
	// It keeps its queued time for service order, but the new queue's
	// overflow and max wait count from now: otherwise a long wait in the
	// first queue would fire them all at once.
	c.q, c.stage, c.enteredAt, c.expired, c.overflowed = to, 0, o.now, false, false
	c.notBefore = time.Time{} // new agents: no retry pending
	clear(c.failed)
	o.e.count(c, 1)
	to.calls[c.id] = c
	o.emit(ExitCall{Call: c.id, Queue: from.cfg.Name, Reason: ReasonTimeout, ToQueue: to.cfg.Name})
	o.makeRoutable(c)
	o.advance(c)
}
