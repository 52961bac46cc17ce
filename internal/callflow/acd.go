package callflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/contactd/contactd/internal/live"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/timeline"
)

// Why a dial failed, as the backend reports it (wrapped).
var (
	ErrNoAnswer      = errors.New("no answer")
	ErrBusy          = errors.New("busy")
	ErrDeclined      = errors.New("declined")
	ErrNotRegistered = errors.New("not registered")
)

// Party is one end of a call: a caller's leg or a call we placed.
type Party interface {
	ID() string
	Play(ctx context.Context, pcm []int16) error
	Digits() <-chan byte
	Hangup(ctx context.Context) error
	Done() <-chan struct{}
	EndReason() string
}

// Dial says what the rung phone is shown.
type Dial struct {
	Caller      string            // shown as the From user
	Headers     map[string]string // call id, customer, queue
	RingTimeout time.Duration
}

// Dialer places calls: to an agent's registered phones, or to a SIP URI
// (an outsourced team, a customer being called back).
type Dialer interface {
	DialAgent(ctx context.Context, agent string, d Dial) (Party, error)
	DialURI(ctx context.Context, uri string, d Dial) (Party, error)
}

// Bridger connects the audio of two parties both ways until stop is
// called or either ends. tap, if not nil, receives every 20 ms of each
// side's voice (dir 0 is a, 1 is b) for the recording; no call to it
// starts after stop has returned.
type Bridger interface {
	Bridge(a, b Party, tap func(dir int, pcm []int16)) (stop func(), err error)
}

// ACDOptions configures an ACD.
type ACDOptions struct {
	Engine  *queue.Engine
	Dialer  Dialer
	Bridger Bridger
	// Queues are the waiting settings by queue name.
	Queues      map[string]Queue
	WaitPrompts WaitPrompts
	Prompts     Prompts
	// Records saves the records of callback calls, which no inbound
	// call's flow owns.
	Records Records
	// CallbackURI turns a customer number into the URI to dial;
	// nil disables callbacks.
	CallbackURI func(number string) string
	// OnAgentChange, if set, hears every agent state change.
	OnAgentChange func(queue.AgentChanged)
	// Timeline, if set, gets every step of each call for its customer;
	// TimelineLink is the URL of a customer's timeline, for screen-pops.
	Timeline     Timeline
	TimelineLink func(customer string) string
	// Recorder, if set, records the conversations of queues that record.
	Recorder Recorder
	// Feedback stores survey results; nil turns surveys off.
	Feedback FeedbackStore
	// Live, if set, gets screen-pops and feedback alerts.
	Live Publisher
	// AlertWebhook, if set, is POSTed every low score (JSON FeedbackAlert).
	AlertWebhook string
	// HTTP posts alerts; nil means a default client.
	HTTP *http.Client
	// Registerer receives the queue metrics; nil means none.
	Registerer prometheus.Registerer
	Now        func() time.Time
	Logger     *slog.Logger
}

// ACD runs the queue engine for real calls: it serialises the engine,
// fires its timers, and carries out its decisions (ring agents, cancel
// rings, call customers back) while each waiting caller's own goroutine
// plays them music and connects them.
type ACD struct {
	opts ACDOptions
	log  *slog.Logger
	ctx  context.Context // ends when Run ends: outstanding dials are cancelled
	jr   journal
	m    *acdMetrics

	mu      sync.Mutex
	eng     *queue.Engine
	waiters map[string]*waiter
	dials   map[dialKey]context.CancelFunc
	pending map[string]*pendingCallback // callbacks requested, by call id
	wake    chan struct{}
}

type dialKey struct {
	call   string
	target queue.Target
}

// pendingCallback is a caller who hung up to be called back.
type pendingCallback struct {
	number   string
	customer string
	custID   string
	queue    string
	queuedAt time.Time
	priority int
	attempts int
}

// NewACD returns an ACD; Run must be running for timers to fire.
func NewACD(opts ACDOptions) *ACD {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &ACD{
		opts: opts, log: log, ctx: context.Background(), eng: opts.Engine,
		jr:      journal{tl: opts.Timeline, log: log},
		waiters: map[string]*waiter{}, dials: map[dialKey]context.CancelFunc{},
		pending: map[string]*pendingCallback{}, wake: make(chan struct{}, 1),
	}
	a.m = newACDMetrics(opts.Registerer, a)
	return a
}

// Run fires the engine's timers until ctx ends, then cancels the dials
// still ringing.
func (a *ACD) Run(ctx context.Context) {
	a.mu.Lock()
	a.ctx = ctx
	a.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.mu.Lock()
		dl, ok := a.eng.Deadline()
		a.mu.Unlock()
		wait := time.Hour
		if ok {
			wait = max(dl.Sub(a.opts.Now()), 0)
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
			a.apply(func(now time.Time) []queue.Action { return a.eng.Tick(now) })
		case <-a.wake:
			timer.Stop()
		case <-ctx.Done():
			a.mu.Lock()
			for _, cancel := range a.dials {
				cancel()
			}
			a.mu.Unlock()
			return
		}
	}
}

// apply runs one engine step under the lock and carries out its actions.
func (a *ACD) apply(step func(now time.Time) []queue.Action) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.execLocked(step(a.opts.Now()))
}

// execLocked carries out actions without blocking: anything slow (dialling)
// runs in its own goroutine and reports back through apply.
func (a *ACD) execLocked(actions []queue.Action) {
	for _, act := range actions {
		switch act := act.(type) {
		case queue.Offer:
			a.offerLocked(act)
		case queue.CancelOffer:
			if cancel := a.dials[dialKey{act.Call, act.Target}]; cancel != nil {
				cancel()
			}
		case queue.StartCallback:
			a.startCallbackLocked(act)
		case queue.ExitCall:
			if w := a.waiters[act.Call]; w != nil {
				w.post(waitEvent{exit: &act})
			} else if p := a.pending[act.Call]; p != nil {
				delete(a.pending, act.Call)
				a.log.Warn("callback dropped", "call_id", act.Call, "reason", act.Reason)
			}
		case queue.AgentChanged:
			a.log.Info("agent state", "agent", act.Agent, "state", string(act.State), "reason", act.Reason)
			if a.opts.OnAgentChange != nil {
				a.opts.OnAgentChange(act)
			}
		default:
			a.log.Error("unknown queue action", "action", fmt.Sprintf("%T", act))
		}
	}
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// offerLocked rings one agent (or external URI) for a waiting call.
func (a *ACD) offerLocked(o queue.Offer) {
	w := a.waiters[o.Call]
	if w == nil {
		// The caller left between the decision and now; the engine
		// heard of it already or is about to.
		a.log.Warn("offer for a call no longer waiting", "call_id", o.Call)
		return
	}
	key := dialKey{o.Call, o.Target}
	ctx, cancel := context.WithCancel(a.ctx)
	a.dials[key] = cancel
	idx := w.addOfferLocked(o.Target, a.opts.Now())
	d := Dial{
		Caller:      w.customer,
		RingTimeout: o.Timeout,
		Headers: map[string]string{
			"X-Contactd-Call-Id":  o.Call,
			"X-Contactd-Customer": w.custID,
			"X-Contactd-Queue":    o.Queue,
		},
	}
	for k, v := range w.popHeaders {
		d.Headers[k] = v
	}
	log := a.log.With("call_id", o.Call, "queue", o.Queue, "agent", o.Target.Agent, "uri", o.Target.URI)
	log.Info("offering call")
	offeredAt := a.opts.Now()
	if a.opts.Live != nil && o.Target.Agent != "" {
		a.opts.Live.Publish(live.TypeScreenPop, o.Target.Agent, ScreenPop{
			CallID: o.Call, Customer: w.custID, Caller: w.customer, Queue: o.Queue, Agent: o.Target.Agent,
			Link: w.popHeaders[timeline.HeaderTimeline], Summary: w.pop,
		})
	}
	w.dials.Add(1)
	go func() {
		defer w.dials.Done()
		defer cancel()
		target := o.Target.Agent
		if target == "" {
			target = o.Target.URI
		}
		a.jr.add(ctx, &timeline.Event{
			Customer: w.custID, At: offeredAt, Kind: timeline.KindAgentOffered, CallID: o.Call, Agent: o.Target.Agent, Queue: o.Queue,
			Summary: fmt.Sprintf("Offered to %s", target), Data: map[string]any{"target": target},
		})
		var p Party
		var err error
		if o.Target.Agent != "" {
			p, err = a.opts.Dialer.DialAgent(ctx, o.Target.Agent, d)
		} else {
			p, err = a.opts.Dialer.DialURI(ctx, o.Target.URI, d)
		}
		cancelled := ctx.Err() != nil
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.dials, key)
		if err != nil {
			reason := dialResult(err, cancelled)
			w.setOfferResultLocked(idx, reason)
			log.Info("offer failed", "result", reason, "err", err)
			if cancelled {
				// We cancelled it: the engine decided so and knows.
				return
			}
			acts := a.eng.OfferFailed(a.opts.Now(), o.Call, o.Target, reason)
			if errors.Is(err, ErrNotRegistered) && o.Target.Agent != "" {
				acts = append(acts, a.eng.SetReachable(a.opts.Now(), o.Target.Agent, false)...)
			}
			a.execLocked(acts)
			return
		}
		if cancelled || a.waiters[o.Call] != w || w.connected {
			// Answered as the caller left or another agent won: this
			// phone is not needed.
			w.setOfferResultLocked(idx, timeline.OfferCancelled)
			go p.Hangup(context.WithoutCancel(ctx))
			return
		}
		w.connected = true
		w.setOfferResultLocked(idx, timeline.OfferAnswered)
		log.Info("agent answered")
		a.execLocked(a.eng.OfferAnswered(a.opts.Now(), o.Call, o.Target))
		w.post(waitEvent{peer: p, target: o.Target})
	}()
}

// dialResult names a failed offer for the record and the engine.
func dialResult(err error, cancelled bool) string {
	switch {
	case cancelled:
		return timeline.OfferCancelled
	case errors.Is(err, ErrNoAnswer):
		return "no_answer"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrDeclined):
		return "declined"
	default:
		return "error"
	}
}

// Snapshot is the engine's view now, for the API.
func (a *ACD) Snapshot() queue.Snapshot {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.eng.Snapshot(a.opts.Now())
}

// SetAgentState changes an agent's state from outside (API, login).
func (a *ACD) SetAgentState(id string, s queue.AgentState, reason string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	acts, err := a.eng.SetAgentState(a.opts.Now(), id, s, reason)
	if err != nil {
		return err
	}
	a.execLocked(acts)
	return nil
}

// SetReachable tells the engine whether an agent's phone is registered.
// Registering logs a logged-out agent in; losing the last registration
// logs them out, so nobody waits on a phone that is not there.
func (a *ACD) SetReachable(id string, reachable bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.opts.Now()
	acts := a.eng.SetReachable(now, id, reachable)
	var state queue.AgentState
	for _, ag := range a.eng.Snapshot(now).Agents {
		if ag.ID == id {
			state = ag.State
		}
	}
	switch {
	case reachable && state == queue.LoggedOut:
		more, err := a.eng.SetAgentState(now, id, queue.Ready, "registered")
		if err == nil {
			acts = append(acts, more...)
		}
	case !reachable && state != queue.LoggedOut && state != "":
		more, err := a.eng.SetAgentState(now, id, queue.LoggedOut, "unregistered")
		if err == nil {
			acts = append(acts, more...)
		}
	}
	a.execLocked(acts)
}

// UpsertAgent adds an agent or changes their skills.
func (a *ACD) UpsertAgent(ag queue.AgentConfig) {
	a.apply(func(now time.Time) []queue.Action { return a.eng.UpsertAgent(now, ag) })
}

// RemoveAgent takes an agent out of routing.
func (a *ACD) RemoveAgent(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	acts, err := a.eng.RemoveAgent(a.opts.Now(), id)
	if err != nil {
		return err
	}
	a.execLocked(acts)
	return nil
}

// SetDialer sets how calls are placed, for backends that exist only
// after the ACD (the SIP server needs the flow, which needs the ACD).
func (a *ACD) SetDialer(d Dialer) {
	a.mu.Lock()
	a.opts.Dialer = d
	a.mu.Unlock()
}
