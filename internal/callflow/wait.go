package callflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/recording"
	"github.com/contactd/contactd/timeline"
)

// WaitPrompts are what a waiting caller hears, shared by all queues. A
// zero Prompt is left out.
type WaitPrompts struct {
	Hold, Position, InLine, Wait, Minutes, Minute, WaitShort ivr.Prompt
	CallbackOffer, CallbackConfirm, CallbackIntro, Goodbye   ivr.Prompt
	// Number says n (1-20, 30, 40, ... 90); nil disables numbers.
	Number func(n int) ivr.Prompt
}

// WaitRequest puts a caller in a queue.
type WaitRequest struct {
	Call     string
	Queue    string
	Priority int // already prioritised (menu, VIP, repeat caller)
	// Customer is the caller's number: a callback dials it.
	Customer string
	// CustomerID is whose timeline the call is in; empty means Customer.
	CustomerID string
	// StartedAt is when the call began: the screen-pop shows the
	// customer's history before it.
	StartedAt time.Time
}

// waitEvent is news for a waiting caller: an agent answered (peer), or
// the call leaves the queue (exit).
type waitEvent struct {
	peer   Party
	target queue.Target
	exit   *queue.ExitCall
}

// waiter is one caller in a queue, or a customer called back who is
// waiting for their reserved agent.
type waiter struct {
	id       string
	party    Party
	customer string // number, for callbacks and the agent's display
	custID   string // timeline customer
	queue    string // current queue, after any move
	events   chan waitEvent
	// pop is the customer's history when the call was queued, shown to
	// each agent offered the call; popHeaders is it as SIP headers.
	pop        *timeline.Summary
	popHeaders map[string]string

	// Under ACD.mu.
	connected bool
	rec       *timeline.Queueing
	// dials counts this call's rings still in flight; added to only
	// while the waiter is in ACD.waiters.
	dials sync.WaitGroup
}

// settleTimeout bounds how long a call that left the queue waits for
// its cancelled rings to report, so their results land on the record.
const settleTimeout = 3 * time.Second

// finish takes w out of the queue's waiters, lets the rings it started
// report their results, and returns a copy of its record that no ring
// goroutine writes to any more.
func (a *ACD) finish(w *waiter) *timeline.Queueing {
	a.mu.Lock()
	if a.waiters[w.id] == w {
		delete(a.waiters, w.id)
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.dials.Wait()
		close(done)
	}()
	t := time.NewTimer(settleTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		a.log.Warn("rings still outstanding after the call left the queue", "call_id", w.id)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	rec := *w.rec
	rec.Offered = slices.Clone(w.rec.Offered)
	return &rec
}

func (w *waiter) post(ev waitEvent) {
	select {
	case w.events <- ev:
	default:
		// Cannot happen with the buffer's size: a call is connected once
		// and exits once.
	}
}

func (w *waiter) addOfferLocked(t queue.Target, now time.Time) int {
	name := t.Agent
	if name == "" {
		name = t.URI
	}
	w.rec.Offered = append(w.rec.Offered, timeline.Offer{Target: name, At: now, Result: timeline.OfferRinging})
	return len(w.rec.Offered) - 1
}

func (w *waiter) setOfferResultLocked(i int, result string) {
	if i < len(w.rec.Offered) {
		w.rec.Offered[i].Result = result
	}
}

// Wait queues a caller whose call is answered, plays them music and
// announcements, and connects them to the agent the engine picks. It
// returns when the caller's part in the queue is over (talked to an
// agent, left, asked for a callback, timed out) with the queue's record
// of it; the caller has been hung up unless they hung up first.
func (a *ACD) Wait(ctx context.Context, party Party, r WaitRequest) *timeline.Queueing {
	now := a.opts.Now()
	if r.CustomerID == "" {
		r.CustomerID = r.Customer
	}
	w := &waiter{
		id: r.Call, party: party, customer: r.Customer, custID: r.CustomerID, queue: r.Queue,
		events: make(chan waitEvent, 4),
		rec:    &timeline.Queueing{Queue: r.Queue, Priority: r.Priority, QueuedAt: now, Offered: []timeline.Offer{}},
	}
	log := a.log.With("call_id", r.Call, "queue", r.Queue)
	before := r.StartedAt
	if before.IsZero() {
		before = now
	}
	a.screenPop(ctx, w, before)
	a.mu.Lock()
	a.waiters[r.Call] = w
	acts, err := a.eng.Enqueue(now, queue.Call{ID: r.Call, Queue: r.Queue, Priority: r.Priority, Customer: r.Customer})
	if err != nil {
		delete(a.waiters, r.Call)
		a.mu.Unlock()
		log.Info("not queued", "err", err)
		w.rec.Outcome = timeline.QueueNoAgents
		if !errors.Is(err, queue.ErrNoAgents) {
			log.Error("enqueue", "err", err)
		}
		a.goodbye(ctx, party, a.opts.Queues[r.Queue].Unavailable)
		return w.rec
	}
	a.execLocked(acts)
	pos, ewt, _ := a.eng.Position(now, r.Call)
	a.mu.Unlock()
	log.Info("queued", "priority", r.Priority)
	a.jr.add(ctx, &timeline.Event{
		Customer: w.custID, At: now, Kind: timeline.KindQueued, CallID: r.Call, Queue: r.Queue,
		Summary: fmt.Sprintf("Queued in %s at position %d", r.Queue, pos),
		Data:    map[string]any{"priority": r.Priority, "position": pos, "estimated_wait_seconds": ewt.Seconds()},
	})

	intro := []ivr.Prompt{a.opts.WaitPrompts.Hold}
	a.waitLoop(ctx, w, intro, true)
	rec := a.finish(w)
	a.m.wait.WithLabelValues(rec.Queue, rec.Outcome).Observe(rec.WaitSeconds)
	return rec
}

// waitLoop runs until the caller's wait ends. intro is played first;
// announce turns on the periodic position and wait announcements and the
// callback offer.
func (a *ACD) waitLoop(ctx context.Context, w *waiter, intro []ivr.Prompt, announce bool) {
	log := a.log.With("call_id", w.id)
	q := a.opts.Queues[w.queue]
	pl := newPlayer(a.opts.Prompts, w.party, log)
	defer pl.stop()
	first := intro
	if announce {
		first = append(first, a.announcement(w)...)
	}
	pl.start(ctx, first, q.Music)

	var tick <-chan time.Time
	if announce && q.AnnounceEvery > 0 {
		t := time.NewTicker(q.AnnounceEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case ev := <-w.events:
			if ev.exit != nil {
				if ev.exit.ToQueue != "" {
					a.mu.Lock()
					w.queue = ev.exit.ToQueue
					w.rec.OverflowedTo = ev.exit.ToQueue
					a.mu.Unlock()
					log.Info("moved to another queue", "to", ev.exit.ToQueue, "reason", ev.exit.Reason)
					continue
				}
				pl.stop()
				a.mu.Lock()
				delete(a.waiters, w.id)
				w.rec.Outcome = exitOutcome(ev.exit.Reason)
				w.rec.WaitSeconds = a.opts.Now().Sub(w.rec.QueuedAt).Seconds()
				a.mu.Unlock()
				log.Info("left the queue", "reason", ev.exit.Reason)
				a.goodbye(ctx, w.party, a.opts.Queues[ev.exit.Queue].Unavailable)
				return
			}
			pl.stop()
			a.talk(ctx, w, ev.peer, ev.target)
			return
		case d := <-w.party.Digits():
			switch {
			case q.CallbackKey != 0 && d == q.CallbackKey && announce && a.opts.CallbackURI != nil:
				if a.requestCallback(w) {
					a.jr.add(ctx, &timeline.Event{
						Customer: w.custID, At: a.opts.Now(), Kind: timeline.KindCallbackRequested, CallID: w.id, Queue: w.queue,
						Summary: "Asked to be called back on " + w.customer, Data: map[string]any{"number": w.customer},
					})
					pl.stop()
					a.goodbye(ctx, w.party, []ivr.Prompt{a.opts.WaitPrompts.CallbackConfirm})
					return
				}
			case q.ExitKey != 0 && d == q.ExitKey:
				if a.leave(w, timeline.QueueExited) {
					pl.stop()
					a.goodbye(ctx, w.party, []ivr.Prompt{a.opts.WaitPrompts.Goodbye})
					return
				}
			}
		case <-tick:
			pl.start(ctx, a.announcement(w), q.Music)
		case <-w.party.Done():
			if !a.leave(w, timeline.QueueAbandoned) {
				// An agent answered as the caller hung up.
				ev := <-w.events
				if ev.peer != nil {
					ev.peer.Hangup(context.WithoutCancel(ctx))
					a.apply(func(now time.Time) []queue.Action { return a.eng.CallEnded(now, w.id) })
				}
				a.mu.Lock()
				w.rec.Outcome = timeline.QueueAbandoned
				a.mu.Unlock()
			}
			log.Info("caller hung up while waiting")
			return
		case <-ctx.Done():
			pl.stop()
			a.leave(w, timeline.QueueAbandoned)
			w.party.Hangup(context.WithoutCancel(ctx))
			return
		}
	}
}

func exitOutcome(reason string) string {
	switch reason {
	case "no_agents":
		return timeline.QueueNoAgents
	case "callback_failed":
		return timeline.QueueAbandoned
	default:
		return timeline.QueueTimeout
	}
}

// leave takes a waiting caller out of the queue, unless an agent has
// already answered (then it reports false and the answer is on w.events).
func (a *ACD) leave(w *waiter, outcome string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.connected {
		return false
	}
	delete(a.waiters, w.id)
	now := a.opts.Now()
	w.rec.Outcome = outcome
	w.rec.WaitSeconds = now.Sub(w.rec.QueuedAt).Seconds()
	for k, cancel := range a.dials {
		if k.call == w.id {
			cancel()
		}
	}
	a.execLocked(a.eng.Abandon(now, w.id))
	return true
}

// requestCallback turns a waiting caller into a pending callback that
// keeps their place.
func (a *ACD) requestCallback(w *waiter) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.connected || w.customer == "" {
		return false
	}
	now := a.opts.Now()
	acts, err := a.eng.RequestCallback(now, w.id, w.customer)
	if err != nil {
		a.log.Warn("callback request", "call_id", w.id, "err", err)
		return false
	}
	delete(a.waiters, w.id)
	w.rec.Outcome = timeline.QueueCallback
	w.rec.CallbackNumber = w.customer
	w.rec.WaitSeconds = now.Sub(w.rec.QueuedAt).Seconds()
	a.pending[w.id] = &pendingCallback{number: w.customer, customer: w.customer, custID: w.custID, queue: w.queue, queuedAt: w.rec.QueuedAt, priority: w.rec.Priority}
	a.log.Info("callback requested", "call_id", w.id, "queue", w.queue)
	a.execLocked(acts)
	return true
}

// screenPop looks up the customer's history before this call once, when
// the call is queued, for every agent it will be offered to.
func (a *ACD) screenPop(ctx context.Context, w *waiter, before time.Time) {
	var link string
	if a.opts.TimelineLink != nil {
		link = a.opts.TimelineLink(w.custID)
	}
	if a.opts.Timeline != nil {
		sum, err := a.opts.Timeline.Summary(ctx, w.custID, before)
		if err != nil {
			a.log.Warn("customer summary for screen-pop", "call_id", w.id, "err", err)
		} else {
			w.pop = sum
			w.popHeaders = sum.Headers(link)
			return
		}
	}
	if link != "" {
		w.popHeaders = map[string]string{timeline.HeaderTimeline: link}
	}
}

// talk connects the caller to the agent who answered and waits for
// either to hang up. When the agent hangs up first, a caller still on
// the line hears the queue's survey.
func (a *ACD) talk(ctx context.Context, w *waiter, peer Party, t queue.Target) {
	log := a.log.With("call_id", w.id, "agent", t.Agent, "uri", t.URI)
	a.mu.Lock()
	delete(a.waiters, w.id)
	now := a.opts.Now()
	w.rec.AnsweredAt = now
	w.rec.WaitSeconds = now.Sub(w.rec.QueuedAt).Seconds()
	w.rec.Agent = t.Agent
	w.rec.Outcome = timeline.QueueAnswered
	if t.Agent == "" {
		w.rec.Agent = t.URI
		w.rec.Outcome = timeline.QueueOverflowed
	} else if w.rec.OverflowedTo != "" {
		w.rec.Outcome = timeline.QueueOverflowed
	}
	agent, qname, wait := w.rec.Agent, w.queue, w.rec.WaitSeconds
	a.mu.Unlock()
	a.jr.add(ctx, &timeline.Event{
		Customer: w.custID, At: now, Kind: timeline.KindAgentAnswered, CallID: w.id, Agent: t.Agent, Queue: qname,
		Summary: fmt.Sprintf("Answered by %s after %.0f s", agent, wait), Data: map[string]any{"agent": agent, "wait_seconds": wait},
	})

	q := a.opts.Queues[qname]
	var rec *recording.Active
	var tap func(int, []int16)
	if q.Record && a.opts.Recorder != nil {
		var err error
		rec, err = a.opts.Recorder.Start(ctx, recording.Meta{CallID: w.id, Queue: qname, Agent: agent, Customer: w.custID})
		if err != nil {
			log.Error("start recording", "err", err)
		} else {
			tap = rec.Frame
		}
	}
	agentLeft := false
	stop, err := a.opts.Bridger.Bridge(w.party, peer, tap)
	if err != nil {
		log.Error("bridge", "err", err)
	} else {
		log.Info("connected")
		select {
		case <-w.party.Done():
			log.Info("caller hung up")
		case <-peer.Done():
			log.Info("agent hung up")
			agentLeft = true
		case <-ctx.Done():
		}
		stop()
	}
	talk := a.opts.Now().Sub(now).Seconds()
	a.m.handle.WithLabelValues(qname).Observe(talk)
	a.mu.Lock()
	w.rec.TalkSeconds = talk
	a.mu.Unlock()
	bg := context.WithoutCancel(ctx)
	peer.Hangup(bg)
	if rec != nil {
		a.finishRecording(ctx, w, rec)
	}
	a.mu.Lock()
	w.rec.CallerRTP, w.rec.AgentRTP = rtpCount(w.party), rtpCount(peer)
	w.rec.AgentEndReason = peer.EndReason()
	a.mu.Unlock()
	// The agent is free (or in wrap-up) while the caller answers the survey.
	a.apply(func(now time.Time) []queue.Action { return a.eng.CallEnded(now, w.id) })
	if agentLeft && ctx.Err() == nil && q.Survey != nil && a.opts.Feedback != nil && !ended(w.party) {
		a.survey(ctx, w, q.Survey, agent, qname)
	}
	w.party.Hangup(bg)
}

// finishRecording closes the conversation's file and tells the timeline.
func (a *ACD) finishRecording(ctx context.Context, w *waiter, act *recording.Active) {
	r, err := act.Stop(context.WithoutCancel(ctx))
	if err != nil {
		a.log.Error("finish recording", "call_id", w.id, "recording_id", act.ID(), "err", err)
		return
	}
	a.mu.Lock()
	w.rec.Recording = r.ID
	a.mu.Unlock()
	a.jr.add(ctx, &timeline.Event{
		Customer: w.custID, At: a.opts.Now(), Kind: timeline.KindRecordingReady, CallID: w.id, Agent: r.Agent, Queue: r.Queue,
		Summary: fmt.Sprintf("Recording %s (%.0f s)", r.ID, r.Duration.Seconds()),
		Data:    map[string]any{"recording_id": r.ID, "duration_seconds": r.Duration.Seconds()},
	})
	if a.opts.Live != nil {
		a.opts.Live.Publish(live.TypeRecording, r.Agent, map[string]any{"call_id": w.id, "recording_id": r.ID, "duration_seconds": r.Duration.Seconds()})
	}
}

// ended reports whether a party has hung up.
func ended(p Party) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// rtpCounter is a leg that counts its RTP packets.
type rtpCounter interface {
	RTPCounts() (received, sent uint64)
}

func rtpCount(p Party) *timeline.RTPCount {
	c, ok := p.(rtpCounter)
	if !ok {
		return nil
	}
	rx, tx := c.RTPCounts()
	return &timeline.RTPCount{Received: rx, Sent: tx}
}

// goodbye plays prompts (when the caller is still there) and hangs up.
func (a *ACD) goodbye(ctx context.Context, p Party, prompts []ivr.Prompt) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.Done():
			cancel()
		case <-pctx.Done():
		}
	}()
	playAll(pctx, a.opts.Prompts, p, prompts, a.log)
	if pctx.Err() == nil || ctx.Err() != nil {
		p.Hangup(context.WithoutCancel(ctx))
	}
}

// announcement is "you are caller number N in line; your estimated wait
// is about M minutes", as far as the engine can tell.
func (a *ACD) announcement(w *waiter) []ivr.Prompt {
	a.mu.Lock()
	pos, ewt, ok := a.eng.Position(a.opts.Now(), w.id)
	a.mu.Unlock()
	wp := a.opts.WaitPrompts
	if !ok || wp.Number == nil {
		return nil
	}
	var out []ivr.Prompt
	if n := numberPrompts(wp.Number, pos); n != nil {
		out = append(out, wp.Position)
		out = append(out, n...)
		out = append(out, wp.InLine)
	}
	// An estimate of 0 means nobody serves the queue right now: say
	// nothing rather than promise an instant answer.
	switch mins := int((ewt + time.Minute - 1) / time.Minute); {
	case ewt <= 0:
	case ewt < time.Minute:
		out = append(out, wp.WaitShort)
	case mins == 1:
		out = append(out, wp.Wait, wp.Number(1), wp.Minute)
	default:
		if n := numberPrompts(wp.Number, mins); n != nil {
			out = append(out, wp.Wait)
			out = append(out, n...)
			out = append(out, wp.Minutes)
		}
	}
	q := a.opts.Queues[w.queue]
	if q.CallbackKey != 0 && a.opts.CallbackURI != nil {
		out = append(out, wp.CallbackOffer)
	}
	return out
}

// numberPrompts says n from the 1-20 and tens files; nil past 99.
func numberPrompts(num func(int) ivr.Prompt, n int) []ivr.Prompt {
	switch {
	case n < 1 || n > 99:
		return nil
	case n <= 20 || n%10 == 0:
		return []ivr.Prompt{num(n)}
	default:
		return []ivr.Prompt{num(n / 10 * 10), num(n % 10)}
	}
}
