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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/contactd/contactd/feedback"
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
	// Record keeps the conversation with the agent (needs a Recorder).
	Record bool
	// Survey is what a caller still on the line hears after the agent
	// hangs up; nil for none.
	Survey *feedback.Survey
}

// Priorities sets a queued call's priority class from the menu's, the
// caller's number and when they last called.
type Priorities struct {
	Rules queue.PriorityRules
	// LastCall finds the customer's previous contact; nil turns the
	// repeat-caller boost off.
	LastCall func(ctx context.Context, customer string, before time.Time) (time.Time, bool, error)
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
	// Timeline, if set, gets each call's steps for its customer.
	Timeline Timeline
	// DefaultCountry makes national caller numbers E.164 (see
	// timeline.CustomerID); AccountVar is the IVR variable whose value,
	// once typed, identifies the customer instead.
	DefaultCountry string
	AccountVar     string
	// Registerer receives the call metrics; nil means none.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Flow runs calls. It is safe for concurrent use: each call is independent.
type Flow struct {
	opts Options
	log  *slog.Logger
	jr   journal
	m    *flowMetrics
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
	return &Flow{opts: opts, log: log, jr: journal{tl: opts.Timeline, log: log}, m: newFlowMetrics(opts.Registerer)}
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
		Customer:  timeline.CustomerID(leg.Caller(), "", f.opts.DefaultCountry),
	}
	log := f.log.With("call_id", rec.ID)
	var cl *call // set once the call is answered and runs the IVR
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
		f.journalEnd(bg, rec, cl)
		f.m.calls.WithLabelValues(rec.Outcome, rec.Reason).Inc()
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
		rec:     rec,
	}
	c.sess = ivr.NewSession(f.opts.Menus, menu, map[string]string{"caller": rec.Caller, "dialled": rec.Dialled})
	cl = c
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
	rec      *timeline.Call
	// journalled is how many IVR steps are in the timeline already.
	journalled int
	settled    bool // the customer is known and call_started written
}

func (c *call) run(ctx context.Context, rec *timeline.Call) {
	defer c.finishPlay()
	defer func() {
		rec.Outcome = c.sess.Outcome()
		rec.Language = c.sess.Language()
		rec.Vars = c.sess.Vars()
		rec.Queue = c.queue
		rec.Reason = c.sess.Reason()
		if c.queueing != nil {
			rec.Queueing = c.queueing
			rec.Outcome = c.queueing.Outcome
		}
		for _, st := range c.sess.Path() {
			rec.Path = append(rec.Path, timeline.Step{At: st.At, Menu: st.Menu, Kind: st.Kind, Value: st.Value})
		}
		if !c.settled {
			rec.Customer = c.flow.customerOf(rec.Caller, rec.Vars)
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
		if ok, err := playSound(ctx, c.leg, p); ok {
			if err != nil {
				return err
			}
			continue
		}
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

// customerOf is whose timeline a call is in: the account the caller
// typed, or their number.
func (f *Flow) customerOf(caller string, vars map[string]string) string {
	var account string
	if f.opts.AccountVar != "" {
		account = vars[f.opts.AccountVar]
	}
	return timeline.CustomerID(caller, account, f.opts.DefaultCountry)
}

// settle fixes the call's customer once the IVR is done with the caller
// (an account number may have been typed) and writes what happened so
// far to their timeline: the queue's events follow.
func (c *call) settle(ctx context.Context) {
	if c.settled {
		return
	}
	c.settled = true
	c.rec.Customer = c.flow.customerOf(c.rec.Caller, c.sess.Vars())
	c.flow.journalStart(ctx, c.rec)
	c.journalled = c.flow.journalSteps(ctx, c.rec, c.sess.Path(), 0)
}

// journalStart writes call_started.
func (f *Flow) journalStart(ctx context.Context, rec *timeline.Call) {
	f.jr.add(ctx, &timeline.Event{
		Customer: rec.Customer, At: rec.StartedAt, Kind: timeline.KindCallStarted, CallID: rec.ID,
		Summary: fmt.Sprintf("Call from %s to %s", rec.Caller, rec.Dialled),
		Data:    map[string]any{"caller": rec.Caller, "dialled": rec.Dialled, "transport": rec.Transport},
	})
}

// journalSteps writes the caller's IVR choices from path[from:] and
// returns how many steps are written.
func (f *Flow) journalSteps(ctx context.Context, rec *timeline.Call, path []ivr.Step, from int) int {
	for _, st := range path[min(from, len(path)):] {
		var summary string
		switch st.Kind {
		case ivr.StepDigit:
			summary = fmt.Sprintf("Pressed %s in %s", st.Value, st.Menu)
		case ivr.StepInput:
			summary = fmt.Sprintf("Entered %s in %s", st.Value, st.Menu)
		case ivr.StepLanguage:
			summary = "Chose language " + st.Value
		case ivr.StepAfterHours:
			summary = "Called after hours"
		default:
			continue
		}
		f.jr.add(ctx, &timeline.Event{
			Customer: rec.Customer, At: st.At, Kind: timeline.KindIVRChoice, CallID: rec.ID, Summary: summary,
			Data: map[string]any{"menu": st.Menu, "step": st.Kind, "value": st.Value},
		})
	}
	return len(path)
}

// journalEnd writes what the timeline lacks of a call that has ended:
// its start (when it never reached a queue), its remaining IVR steps and
// how it ended.
func (f *Flow) journalEnd(ctx context.Context, rec *timeline.Call, c *call) {
	from := 0
	if c != nil && c.settled {
		from = c.journalled
	} else {
		f.journalStart(ctx, rec)
	}
	path := make([]ivr.Step, len(rec.Path))
	for i, st := range rec.Path {
		path[i] = ivr.Step{At: st.At, Menu: st.Menu, Kind: st.Kind, Value: st.Value}
	}
	f.journalSteps(ctx, rec, path, from)
	summary := "Call ended: " + rec.Outcome
	if rec.EndReason != "" {
		summary += " (" + rec.EndReason + ")"
	}
	f.jr.add(ctx, &timeline.Event{
		Customer: rec.Customer, At: rec.EndedAt, Kind: timeline.KindHungUp, CallID: rec.ID, Queue: rec.Queue,
		Summary: summary,
		Data:    map[string]any{"outcome": rec.Outcome, "end_reason": rec.EndReason, "duration_seconds": rec.EndedAt.Sub(rec.StartedAt).Seconds()},
	})
}

// enqueue hands the call to its queue and returns when the caller's time
// there is over. Without an ACD no agent can take it: the caller hears
// the queue's unavailable prompt and is hung up.
func (c *call) enqueue(ctx context.Context, e ivr.Enqueue) {
	c.finishPlay()
	c.queue = e.Queue
	c.settle(ctx)
	if acd := c.flow.opts.ACD; acd != nil {
		caller := c.leg.Caller()
		c.queueing = acd.Wait(ctx, c.leg, WaitRequest{
			Call: c.leg.ID(), Queue: e.Queue, Customer: caller, CustomerID: c.rec.Customer, StartedAt: c.started,
			Priority: c.flow.priority(ctx, e.Priority, caller, c.rec.Customer, c.started, c.log),
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
func (f *Flow) priority(ctx context.Context, base int, caller, customer string, started time.Time, log *slog.Logger) int {
	now := f.opts.Now()
	var last time.Time
	if lc := f.opts.Priorities.LastCall; lc != nil && customer != "" && customer != timeline.AnonymousCustomer {
		t, ok, err := lc(ctx, customer, started)
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
