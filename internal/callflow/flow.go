package callflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/ivr"
	"github.com/contactd/contactd/queue"
	"github.com/contactd/contactd/timeline"
)

// Prompts turns prompt references into audio.
type Prompts interface {
	Load(ctx context.Context, ref prompt.Ref) (*prompt.Audio, error)
}

// Records stores call records.
type Records interface {
	Start(ctx context.Context, c *timeline.Call) error
	Finish(ctx context.Context, c *timeline.Call) error
}

// Queue is what a caller hears in a queue.
type Queue struct {
	// Unavailable is played when no agent can take the call, before hanging up.
	Unavailable []ivr.Prompt
	// Music loops while the caller waits.
	Music []ivr.Prompt
	// AnnounceEvery repeats position and estimated wait; 0 for never.
	AnnounceEvery time.Duration
	// CallbackKey and ExitKey are keys the waiting caller may press; 0
	// for none.
	CallbackKey, ExitKey byte
}

// Priorities sets a queued call's priority class from the menu's, the
// caller's number and when they last called.
type Priorities struct {
	Rules queue.PriorityRules
	// LastCall finds the caller's previous call; nil turns the
	// repeat-caller boost off.
	LastCall func(ctx context.Context, caller string, before time.Time) (time.Time, bool, error)
}

// Options configures a Flow.
type Options struct {
	Menus  *ivr.Config
	Queues map[string]Queue
	// ACD runs the queues; nil plays each queue's unavailable prompt.
	ACD        *ACD
	Priorities Priorities
	Prompts    Prompts
	Records    Records
	// HTTP is used for self-service lookups; nil means a default client.
	HTTP *http.Client
	// AnswerDelay lets each call ring this long before it is answered.
	AnswerDelay time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Flow runs calls. It is safe for concurrent use: each call is independent.
type Flow struct {
	opts Options
	log  *slog.Logger
}

// New returns a Flow.
func New(opts Options) *Flow {
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
	return &Flow{opts: opts, log: log}
}

// End reasons set by the flow itself.
const (
	ReasonNoRoute  = "no_route"
	ReasonError    = "error"
	ReasonIVR      = "ivr_hangup"
	ReasonNoAgents = "no_agents"
	ReasonShutdown = "shutdown"
)

// Handle runs one call from arrival to hang-up and writes its record. It
// returns when the call has ended. Cancelling ctx ends the call at once (the
// caller is hung up): graceful drain is the backend's job.
func (f *Flow) Handle(ctx context.Context, leg Leg) {
	now := f.opts.Now()
	rec := &timeline.Call{
		ID:        leg.ID(),
		Caller:    leg.Caller(),
		Dialled:   leg.Dialled(),
		StartedAt: now,
		Transport: leg.Transport(),
	}
	log := f.log.With("call_id", rec.ID)
	// Records are written with a context of their own: a call that ends
	// because contactd is stopping must still be saved.
	bg := context.WithoutCancel(ctx)
	if err := f.opts.Records.Start(bg, rec); err != nil {
		log.Error("start call record", "err", err)
	}
	defer func() {
		if rec.EndedAt.IsZero() {
			rec.EndedAt = f.opts.Now()
		}
		if rec.EndReason == "" {
			rec.EndReason = leg.EndReason()
		}
		if err := f.opts.Records.Finish(bg, rec); err != nil {
			log.Error("finish call record", "err", err)
		}
		log.Info("call ended", "outcome", rec.Outcome, "reason", rec.EndReason, "menu", rec.Menu)
	}()

	menu, ok := f.opts.Menus.MenuFor(rec.Dialled)
	if !ok {
		rec.Outcome, rec.EndReason = timeline.OutcomeFailed, ReasonNoRoute
		if err := leg.Reject(bg, 404); err != nil {
			log.Warn("reject call", "err", err)
		}
		return
	}
	rec.Menu = menu
	log.Info("call started", "caller", rec.Caller, "dialled", rec.Dialled, "menu", menu)
	if d := f.opts.AnswerDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-leg.Done():
			t.Stop()
			rec.Outcome = ivr.OutcomeAbandoned
			return
		case <-ctx.Done():
			t.Stop()
			rec.Outcome, rec.EndReason = timeline.OutcomeFailed, ReasonShutdown
			leg.Reject(bg, 480)
			return
		}
	}
	if err := leg.Answer(ctx); err != nil {
		rec.Outcome = ivr.OutcomeAbandoned
		if leg.EndReason() == "" {
			rec.Outcome, rec.EndReason = timeline.OutcomeFailed, ReasonError
			log.Error("answer call", "err", err)
		}
		return
	}
	rec.AnsweredAt = f.opts.Now()

	c := &call{
		flow:    f,
		leg:     leg,
		log:     log,
		events:  make(chan ivr.Event, 4),
		started: now,
	}
	c.sess = ivr.NewSession(f.opts.Menus, menu, map[string]string{"caller": rec.Caller, "dialled": rec.Dialled})
	c.run(ctx, rec)
}

// call is the state of one running call.
type call struct {
	flow   *Flow
	leg    Leg
	log    *slog.Logger
	sess   *ivr.Session
	events chan ivr.Event
	// stopPlay cancels the playback in progress, if any.
	stopPlay context.CancelFunc
	queue    string
	queueing *timeline.Queueing
	started  time.Time
}

func (c *call) run(ctx context.Context, rec *timeline.Call) {
	defer c.finishPlay()
	defer func() {
		rec.Outcome = c.sess.Outcome()
		rec.Language = c.sess.Language()
		rec.Vars = c.sess.Vars()
		rec.Queue = c.queue
		if c.queueing != nil {
			rec.Queueing = c.queueing
			rec.Outcome = c.queueing.Outcome
		}
		for _, st := range c.sess.Path() {
			rec.Path = append(rec.Path, timeline.Step{At: st.At, Menu: st.Menu, Kind: st.Kind, Value: st.Value})
		}
	}()
	c.do(ctx, c.sess.Handle(ivr.Started{Now: c.flow.opts.Now()}))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for !c.sess.Done() {
		var tick <-chan time.Time
		if dl, ok := c.sess.Deadline(); ok {
			timer.Reset(max(dl.Sub(c.flow.opts.Now()), 0))
			tick = timer.C
		}
		var ev ivr.Event
		select {
		case d := <-c.leg.Digits():
			ev = ivr.Digit{Now: c.flow.opts.Now(), Digit: d}
		case ev = <-c.events:
		case <-tick:
			ev = ivr.Tick{Now: c.flow.opts.Now()}
		case <-c.leg.Done():
			c.sess.Handle(ivr.CallerHangup{Now: c.flow.opts.Now()})
			return
		case <-ctx.Done():
			rec.EndReason = ReasonShutdown
			c.hangup()
			c.sess.Handle(ivr.CallerHangup{Now: c.flow.opts.Now()})
			return
		}
		// Since Go 1.23 a stopped timer's channel holds no stale tick.
		timer.Stop()
		c.do(ctx, c.sess.Handle(ev))
	}
}

// do carries out the session's actions in order.
func (c *call) do(ctx context.Context, actions []ivr.Action) {
	for _, a := range actions {
		switch a := a.(type) {
		case ivr.Play:
			c.play(ctx, a)
		case ivr.StopPlay:
			c.finishPlay()
		case ivr.Lookup:
			go c.lookup(ctx, a)
		case ivr.Enqueue:
			c.enqueue(ctx, a)
		case ivr.Hangup:
			c.finishPlay()
			c.hangup()
		default:
			c.log.Error("unknown ivr action", "action", fmt.Sprintf("%T", a))
		}
	}
}

func (c *call) finishPlay() {
	if c.stopPlay != nil {
		c.stopPlay()
		c.stopPlay = nil
	}
}

func (c *call) hangup() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.leg.Hangup(ctx); err != nil {
		c.log.Warn("hang up", "err", err)
	}
}

// play starts a playback in the background; PlayDone comes back as an event
// only when it ran to the end, so a barged-in prompt reports nothing.
func (c *call) play(ctx context.Context, p ivr.Play) {
	c.finishPlay()
	pctx, cancel := context.WithCancel(ctx)
	c.stopPlay = cancel
	go func() {
		err := c.playPrompts(pctx, p.Prompts)
		if err != nil && pctx.Err() == nil {
			c.log.Error("play prompt", "err", err)
		}
		if pctx.Err() != nil {
			return
		}
		select {
		case c.events <- ivr.PlayDone{Now: c.flow.opts.Now(), ID: p.ID}:
		case <-pctx.Done():
		}
	}()
}

// playPrompts plays each prompt in turn. A prompt that cannot be loaded is
// logged and skipped so that the caller still moves through the menu.
func (c *call) playPrompts(ctx context.Context, prompts []ivr.Prompt) error {
	for _, p := range prompts {
		audio, err := c.flow.opts.Prompts.Load(ctx, refOf(p))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.log.Error("load prompt", "file", p.File, "err", err)
			continue
		}
		if err := c.leg.Play(ctx, audio.Samples); err != nil {
			return err
		}
	}
	return nil
}

func refOf(p ivr.Prompt) prompt.Ref {
	return prompt.Ref{File: p.File, Text: p.Text, Voice: p.Voice, Dir: p.Dir}
}

// enqueue hands the call to its queue and returns when the caller's time
// there is over. Without an ACD no agent can take it: the caller hears
// the queue's unavailable prompt and is hung up.
func (c *call) enqueue(ctx context.Context, e ivr.Enqueue) {
	c.finishPlay()
	c.queue = e.Queue
	if acd := c.flow.opts.ACD; acd != nil {
		caller := c.leg.Caller()
		c.queueing = acd.Wait(ctx, c.leg, WaitRequest{
			Call: c.leg.ID(), Queue: e.Queue, Customer: caller,
			Priority: c.flow.priority(ctx, e.Priority, caller, c.started, c.log),
		})
		return
	}
	q := c.flow.opts.Queues[e.Queue]
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.leg.Done():
			cancel()
		case <-pctx.Done():
		}
	}()
	if err := c.playPrompts(pctx, q.Unavailable); err != nil && pctx.Err() == nil {
		c.log.Error("play unavailable prompt", "queue", e.Queue, "err", err)
	}
	if pctx.Err() == nil {
		c.hangup()
	}
}

// priority applies the VIP list and the repeat-caller boost to the
// menu's priority class.
func (f *Flow) priority(ctx context.Context, base int, caller string, started time.Time, log *slog.Logger) int {
	now := f.opts.Now()
	var last time.Time
	if lc := f.opts.Priorities.LastCall; lc != nil && caller != "" {
		t, ok, err := lc(ctx, caller, started)
		if err != nil {
			log.Warn("repeat caller lookup", "err", err)
		} else if ok {
			last = t
		}
	}
	return queue.Prioritize(f.opts.Priorities.Rules, base, caller, last, now)
}

// lookup POSTs the call's variables as JSON and reports the answer.
func (c *call) lookup(ctx context.Context, l ivr.Lookup) {
	res := ivr.LookupResult{ID: l.ID}
	res.Status, res.Body, res.Err = c.post(ctx, l)
	res.Now = c.flow.opts.Now()
	if res.Err != nil {
		c.log.Warn("self-service lookup", "url", l.URL, "err", res.Err)
	}
	select {
	case c.events <- res:
	case <-ctx.Done():
	case <-c.leg.Done():
	}
}

func (c *call) post(ctx context.Context, l ivr.Lookup) (int, []byte, error) {
	body, err := json.Marshal(l.Vars)
	if err != nil {
		return 0, nil, fmt.Errorf("lookup %s: %w", l.URL, err)
	}
	if l.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("lookup %s: %w", l.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.flow.opts.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("lookup %s: %w", l.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("lookup %s: read answer: %w", l.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, b, fmt.Errorf("lookup %s: %w", l.URL, errStatus(resp.StatusCode))
	}
	return resp.StatusCode, b, nil
}

type errStatus int

func (e errStatus) Error() string { return fmt.Sprintf("HTTP status %d", int(e)) }
