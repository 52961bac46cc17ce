package queue

import (
	"fmt"
	"time"
)

// Enqueue puts a call in a queue and routes it if an agent is free.
func (e *Engine) Enqueue(now time.Time, c Call) ([]Action, error) {
	if c.ID == "" {
		return nil, fmt.Errorf("enqueue to %s: empty call id: %w", c.Queue, ErrInvalid)
	}
	q := e.queues[c.Queue]
	if q == nil {
		return nil, fmt.Errorf("enqueue %s to %q: %w", c.ID, c.Queue, ErrUnknownQueue)
	}
	if e.calls[c.ID] != nil || e.active[c.ID] != nil {
		return nil, fmt.Errorf("enqueue %s to %s: call already queued or connected: %w", c.ID, c.Queue, ErrInvalid)
	}
	if !q.cfg.JoinEmpty && q.servers == 0 {
		return nil, fmt.Errorf("enqueue %s to %s: %w", c.ID, c.Queue, ErrNoAgents)
	}
	o := e.begin(now)
	e.seq++
	cl := &call{
		id: c.ID, customer: c.Customer, priority: clampPriority(c.Priority), q: q,
		queuedAt: now, enteredAt: now, seq: e.seq, heapIdx: -1,
	}
	q.calls[cl.id] = cl
	e.calls[cl.id] = cl
	e.count(cl, 1)
	o.makeRoutable(cl)
	o.advance(cl) // overflow steps with After 0 apply at once
	return o.finish(), nil
}

// Abandon takes out a call whose caller hung up while waiting or ringing.
// Unknown calls are ignored: the caller may leave as the call is answered.
func (e *Engine) Abandon(now time.Time, id string) []Action {
	c := e.calls[id]
	if c == nil {
		return nil
	}
	o := e.begin(now)
	o.cancelOffers(c, ReasonAbandoned)
	if a := c.reserved; a != nil && a.call == c {
		c.reserved = nil
		o.release(a, ReasonAbandoned)
	}
	// A pending callback's caller is not on the line; dropping it is not an
	// abandoned call.
	if !c.callback {
		c.q.stats.abandoned++
		if now.Sub(c.queuedAt) > c.q.cfg.ServiceLevel {
			c.q.stats.abandonedAfterSL++
		}
	}
	e.dropCall(c)
	return o.finish()
}

// OfferAnswered connects a call to the target that answered: the agent goes
// on_call, other offers are cancelled and the call leaves the queue. An
// answer to an offer the engine no longer has (cancelled meanwhile) is
// ignored; the driver hangs that phone up.
func (e *Engine) OfferAnswered(now time.Time, id string, t Target) []Action {
	c := e.calls[id]
	if c == nil || !c.hasOffer(t) {
		return nil
	}
	o := e.begin(now)
	c.removeOffer(t)
	ac := &activeCall{q: c.q, answeredAt: now}
	if a := e.agents[t.Agent]; t.Agent != "" && a != nil && a.call == c {
		a.call = nil
		a.active = c.id
		a.missed = 0
		a.calls++
		ac.agent = a.id
		o.setState(a, OnCall, ReasonAnswered)
	}
	o.cancelOffers(c, ReasonCancelled)
	c.q.stats.answered++
	if now.Sub(c.queuedAt) <= c.q.cfg.ServiceLevel {
		c.q.stats.answeredInSL++
	}
	e.dropCall(c)
	e.active[c.id] = ac
	return o.finish()
}

// OfferFailed records a ring that did not connect. Every reason counts as
// a miss towards auto-pause: a phone that keeps failing with "error" must
// not keep its agent looking available. The agent is not offered the same
// call again while someone else eligible is free; the call is re-routed
// once no offer of it is left (to those who failed it after RetryDelay).
func (e *Engine) OfferFailed(now time.Time, id string, t Target, reason string) []Action {
	c := e.calls[id]
	if c == nil || !c.hasOffer(t) {
		return nil
	}
	o := e.begin(now)
	c.removeOffer(t)
	if a := e.agents[t.Agent]; t.Agent != "" && a != nil && a.call == c {
		if c.failed == nil {
			c.failed = map[string]time.Time{}
		}
		c.failed[a.id] = now
		a.missed++
		if e.opts.MaxMissed > 0 && a.missed >= e.opts.MaxMissed && a.pending == nil {
			a.call = nil
			o.setState(a, Paused, ReasonMissedOffers)
		} else {
			o.release(a, reason)
		}
	}
	o.offersEnded(c)
	return o.finish()
}

// CallEnded records the handle time and puts the agent in the wrap-up of
// the call's queue (or straight to ready, or to a pending state).
func (e *Engine) CallEnded(now time.Time, id string) []Action {
	ac := e.active[id]
	if ac == nil {
		return nil
	}
	delete(e.active, id)
	a := e.agents[ac.agent]
	if a == nil || a.active != id || a.state != OnCall {
		return nil // answered by a URI, or the agent was removed meanwhile
	}
	o := e.begin(now)
	a.recordHandle(now.Sub(ac.answeredAt), e.opts.HandleTimeSamples)
	a.idleSince = now
	if w := ac.q.cfg.WrapUp; w > 0 {
		a.wrapUntil = now.Add(w)
		o.setState(a, WrapUp, ReasonCallEnded)
		o.scheduleAgent(a)
	} else {
		a.active = ""
		o.release(a, ReasonCallEnded)
	}
	return o.finish()
}
