package callflow

import (
	"context"
	"fmt"
	"time"

	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/timeline"
)

// callbackRing is how long a customer's phone rings on a callback.
const callbackRing = 30 * time.Second

// startCallbackLocked calls a customer back now that their turn has come
// and an agent is reserved: the customer first, so no agent waits on a
// phone nobody answers; then the reserved agent.
func (a *ACD) startCallbackLocked(sc queue.StartCallback) {
	p := a.pending[sc.Call]
	if p == nil {
		a.log.Error("callback for an unknown call", "call_id", sc.Call)
		return
	}
	p.attempts++
	attempt := p.attempts
	ctx := a.ctx
	go a.callBack(ctx, sc, *p, attempt)
}

func (a *ACD) callBack(ctx context.Context, sc queue.StartCallback, p pendingCallback, attempt int) {
	now := a.opts.Now()
	id := fmt.Sprintf("%s-cb%d", sc.Call, attempt)
	log := a.log.With("call_id", sc.Call, "callback_call_id", id, "agent", sc.Agent)
	number := sc.Number
	if number == "" {
		number = p.number
	}
	rec := &timeline.Call{
		ID: id, Caller: number, Dialled: "callback", StartedAt: now, Transport: "callback", Queue: sc.Queue, Customer: p.custID,
		Queueing: &timeline.Queueing{
			Queue: sc.Queue, Priority: p.priority, QueuedAt: p.queuedAt, CallbackOf: sc.Call,
			CallbackNumber: number, Offered: []timeline.Offer{},
		},
	}
	bg := context.WithoutCancel(ctx)
	if a.opts.Records != nil {
		if err := a.opts.Records.Start(bg, rec); err != nil {
			log.Error("start callback record", "err", err)
		}
		defer func() {
			if rec.EndedAt.IsZero() {
				rec.EndedAt = a.opts.Now()
			}
			if err := a.opts.Records.Finish(bg, rec); err != nil {
				log.Error("finish callback record", "err", err)
			}
		}()
	}

	log.Info("calling customer back", "attempt", attempt)
	party, err := a.opts.Dialer.DialURI(ctx, a.opts.CallbackURI(number), Dial{
		Caller:      "contactd",
		RingTimeout: callbackRing,
		Headers:     map[string]string{"X-Contactd-Call-Id": sc.Call},
	})
	if err != nil {
		log.Info("callback not answered", "err", err)
		rec.Outcome, rec.EndReason = timeline.OutcomeFailed, dialResult(err, ctx.Err() != nil)
		rec.Queueing.Outcome = timeline.QueueCallbackFailed
		a.mu.Lock()
		acts := a.eng.CallbackFailed(a.opts.Now(), sc.Call)
		a.execLocked(acts)
		a.mu.Unlock()
		return
	}
	rec.AnsweredAt = a.opts.Now()
	a.jr.add(ctx, &timeline.Event{
		Customer: p.custID, At: rec.StartedAt, Kind: timeline.KindCallStarted, CallID: id, Queue: sc.Queue,
		Summary: "Called back on " + number, Data: map[string]any{"callback_of": sc.Call, "number": number},
	})
	defer func() {
		a.jr.add(ctx, &timeline.Event{
			Customer: p.custID, At: rec.EndedAt, Kind: timeline.KindHungUp, CallID: id, Queue: sc.Queue,
			Summary: "Callback ended: " + rec.Outcome, Data: map[string]any{"outcome": rec.Outcome, "end_reason": rec.EndReason},
		})
	}()
	w := &waiter{
		id: sc.Call, party: party, customer: p.customer, custID: p.custID, queue: sc.Queue,
		events: make(chan waitEvent, 4), rec: rec.Queueing,
	}
	a.mu.Lock()
	delete(a.pending, sc.Call)
	a.waiters[sc.Call] = w
	a.execLocked(a.eng.CallbackAnswered(a.opts.Now(), sc.Call))
	a.mu.Unlock()
	a.waitLoop(ctx, w, []ivr.Prompt{a.opts.WaitPrompts.CallbackIntro}, false)
	rec.Queueing = a.finish(w)
	rec.Outcome = rec.Queueing.Outcome
	rec.EndReason = party.EndReason()
	rec.EndedAt = a.opts.Now()
}
