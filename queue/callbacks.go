package queue

import (
	"fmt"
	"time"
)

// RequestCallback turns a waiting call into a callback: the caller leaves
// but the call keeps its place. Anything ringing for it is cancelled (the
// caller chose to go). When its turn comes the engine reserves an agent and
// emits StartCallback.
func (e *Engine) RequestCallback(now time.Time, id, number string) ([]Action, error) {
	c := e.calls[id]
	if c == nil {
		return nil, fmt.Errorf("request callback for %s: %w", id, ErrUnknownCall)
	}
	if number == "" {
		return nil, fmt.Errorf("request callback for %s: no number to call: %w", id, ErrInvalid)
	}
	if c.callback || c.state == callReserved {
		return nil, fmt.Errorf("request callback for %s: already a callback: %w", id, ErrInvalid)
	}
	o := e.begin(now)
	o.cancelOffers(c, ReasonCallback)
	c.callback, c.number, c.expired = true, number, false
	c.notBefore = time.Time{} // no agent is rung, so no retry delay
	clear(c.failed)
	c.q.stats.callbacks++
	o.makeRoutable(c)
	o.schedule(c) // max wait no longer applies
	return o.finish(), nil
}

// CallbackAnswered is the customer picking up: the reserved agent is rung.
// If the agent went away meanwhile the call waits, live, at the front of
// its class for whoever is free next.
func (e *Engine) CallbackAnswered(now time.Time, id string) []Action {
	c := e.calls[id]
	if c == nil || c.state != callReserved {
		return nil
	}
	o := e.begin(now)
	c.callback, c.wasCallback, c.front = false, true, true
	a := c.reserved
	c.reserved = nil
	if a != nil && a.call == c && a.state == Reserved && a.reachable {
		c.state = callOffered
		a.call = nil
		o.offer(c, a, ReasonCallbackAnswered)
	} else {
		o.makeRoutable(c)
	}
	o.schedule(c)
	return o.finish()
}

// CallbackFailed is the customer not answering: the agent is released and
// the call goes back to the front of its priority class, or ends with
// ExitCall "callback_failed" once CallbackRetries dials have failed.
func (e *Engine) CallbackFailed(now time.Time, id string) []Action {
	c := e.calls[id]
	if c == nil || c.state != callReserved {
		return nil
	}
	o := e.begin(now)
	c.attempts++
	if a := c.reserved; a != nil && a.call == c {
		c.reserved = nil
		o.release(a, ReasonCallbackFailed)
	}
	if c.attempts >= e.opts.CallbackRetries {
		o.exit(c, ReasonCallbackFailed)
		return o.finish()
	}
	c.front = true
	if d := e.opts.CallbackRetryDelay; d > 0 {
		c.notBefore = now.Add(d)
	}
	o.makeRoutable(c)
	o.schedule(c)
	return o.finish()
}
