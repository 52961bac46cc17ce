package sipua

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/contactd/contactd/internal/media"
)

// Why dialling failed.
var (
	ErrNoAnswer      = errors.New("no answer")      // ring timeout: the phone was cancelled
	ErrBusy          = errors.New("busy")           // 486/600
	ErrDeclined      = errors.New("declined")       // 603 or another final refusal
	ErrCanceled      = errors.New("cancelled")      // the dial's context ended
	ErrNotRegistered = errors.New("not registered") // DialAgent: the agent has no live contact
)

// errSuperseded ends the forks of a DialAgent that another fork settled;
// errAnsweredElsewhere is the case of an answer, which the CANCEL tells
// the phones (RFC 3326) so they do not list a missed call.
var (
	errSuperseded        = errors.New("superseded by another contact")
	errAnsweredElsewhere = fmt.Errorf("answered elsewhere: %w", errSuperseded)
)

// DialOptions says whom to ring and what to show them.
type DialOptions struct {
	// Contact is the URI Dial rings; DialAgent ignores it and rings the
	// agent's registered contacts.
	Contact string
	// Caller is shown as the From user (the customer's number).
	Caller string
	// Headers are added to the INVITE, e.g. X-Contactd-Call-Id.
	Headers map[string]string
	// RingTimeout cancels the INVITE when nobody answers; 0 means ring
	// until ctx ends.
	RingTimeout time.Duration
}

// OutLeg is a call contactd placed: to an agent's phone, or to a URI.
type OutLeg struct {
	srv     *Server
	id      string
	callID  string
	contact string
	dialog  *sipgo.DialogClientSession
	media   *media.Session
	neg     media.Negotiated

	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	reason string
}

func (o *OutLeg) ID() string                   { return o.id }
func (o *OutLeg) Media() *media.Session        { return o.media }
func (o *OutLeg) Negotiated() media.Negotiated { return o.neg }
func (o *OutLeg) Done() <-chan struct{}        { return o.done }

// Contact is the URI that was rung and answered.
func (o *OutLeg) Contact() string { return o.contact }

// MediaSession is the leg's RTP session, for Connect.
func (o *OutLeg) MediaSession() *media.Session {
	if o == nil {
		return nil
	}
	return o.media
}

// RTPStats counts the leg's RTP packets so far.
func (o *OutLeg) RTPStats() media.Stats { return o.media.Stats() }

// RTPCounts is packets received and sent, for the call record.
func (o *OutLeg) RTPCounts() (received, sent uint64) {
	st := o.media.Stats()
	return st.PacketsReceived, st.PacketsSent
}

// Digits delivers the keys pressed on the called phone (RFC 4733 or INFO).
func (o *OutLeg) Digits() <-chan byte { return o.media.Digits() }

// Play sends PCM audio to the called phone, e.g. a whisper before the
// caller is connected. Like Leg.Play it returns media.ErrBridged while the
// leg is bridged, and ends when the leg ends.
func (o *OutLeg) Play(ctx context.Context, pcm []int16) error {
	if err := o.media.Play(ctx, pcm); err != nil {
		return fmt.Errorf("play to %s: %w", o.id, err)
	}
	return nil
}

// EndReason says why the leg ended; empty while it is up.
func (o *OutLeg) EndReason() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.reason
}

func (o *OutLeg) end(reason string) {
	o.once.Do(func() {
		o.mu.Lock()
		o.reason = reason
		o.mu.Unlock()
		close(o.done)
		o.media.Close()
		o.srv.mu.Lock()
		delete(o.srv.outLegs, o.callID)
		o.srv.mu.Unlock()
		o.srv.metrics.legEnded(o.media.Stats())
	})
}

// Hangup ends the call with BYE.
func (o *OutLeg) Hangup(ctx context.Context) error {
	select {
	case <-o.done:
		return nil
	default:
	}
	o.end(ReasonHangup)
	if err := o.dialog.Bye(ctx); err != nil {
		return fmt.Errorf("bye agent leg %s: %w", o.id, err)
	}
	return nil
}

// Dial rings one URI (an external number, a customer being called back)
// and returns the answered leg with its media started. A ring timeout or a
// cancelled ctx sends CANCEL.
func (s *Server) Dial(ctx context.Context, opts DialOptions) (*OutLeg, error) {
	ringCtx := ctx
	if opts.RingTimeout > 0 {
		var cancel context.CancelFunc
		ringCtx, cancel = context.WithTimeout(ctx, opts.RingTimeout)
		defer cancel()
	}
	o, err := s.invite(ctx, ringCtx, opts.Contact, opts, nil, s.log.With("contact", opts.Contact))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", opts.Contact, err)
	}
	return o, nil
}

// fork is one contact rung by DialAgent.
type fork struct {
	contact   string
	responded atomic.Bool // any response came: CANCEL will be answered quickly
	leg       *OutLeg
	err       error
}

// DialAgent rings every live registered contact of user at once. The
// first to answer wins and the others are cancelled; one answering at the
// same instant is hung up. Without an answer the error says why: ErrBusy
// if a phone was busy, else ErrDeclined if one refused, else ErrNoAnswer;
// ErrCanceled if ctx ended first, which cancels every phone.
// ErrNotRegistered means there was nothing to ring. A 6xx from any phone
// is the agent's answer for all of them (RFC 3261 16.7): the others are
// cancelled.
func (s *Server) DialAgent(ctx context.Context, user string, opts DialOptions) (*OutLeg, error) {
	log := s.log.With("agent", user)
	bindings := s.Contacts(user)
	if len(bindings) == 0 {
		log.Info("agent not registered: nothing to ring")
		return nil, fmt.Errorf("dial agent %s: %w", user, ErrNotRegistered)
	}
	ringCtx := ctx
	if opts.RingTimeout > 0 {
		var cancel context.CancelFunc
		ringCtx, cancel = context.WithTimeout(ctx, opts.RingTimeout)
		defer cancel()
	}
	// Cancelling forkCtx with errSuperseded cancels the forks still ringing.
	forkCtx, stopForks := context.WithCancelCause(ringCtx)
	defer stopForks(errSuperseded)

	forks := make([]*fork, len(bindings))
	results := make(chan *fork, len(forks)) // never blocks a fork
	for i, b := range bindings {
		f := &fork{contact: b.Contact}
		forks[i] = f
		go func() {
			onResponse := func(*sip.Response) { f.responded.Store(true) }
			f.leg, f.err = s.invite(ctx, forkCtx, f.contact, opts, onResponse, log.With("contact", f.contact))
			results <- f
		}()
	}
	log.Info("ringing agent", "contacts", len(forks))

	var failed []*fork
	for left := len(forks); left > 0; {
		var f *fork
		select {
		case f = <-results:
		case <-forkCtx.Done():
			if !mustWait(forks, failed) {
				// The phones that never replied are unreachable, or their
				// reply is late: they are cancelled (or hung up) on their
				// own time, without holding up the result.
				go s.reap(results, left, log)
				return nil, agentError(ctx, user, failed)
			}
			f = <-results
		}
		left--
		if f.err == nil {
			stopForks(errAnsweredElsewhere)
			if left > 0 {
				go s.reap(results, left, log)
			}
			return f.leg, nil
		}
		if !errors.Is(f.err, errSuperseded) {
			log.Info("contact did not answer", "contact", f.contact, "err", f.err)
		}
		if isGlobalFailure(f.err) {
			stopForks(errSuperseded)
		}
		failed = append(failed, f)
	}
	return nil, agentError(ctx, user, failed)
}

// mustWait reports whether a fork not yet in failed has had a response,
// so that its CANCEL is about to complete.
func mustWait(forks, failed []*fork) bool {
	for _, f := range forks {
		if f.responded.Load() && !slices.Contains(failed, f) {
			return true
		}
	}
	return false
}

// reap collects the last n results of a DialAgent that has returned,
// hanging up a phone answered as it was being cancelled.
func (s *Server) reap(results <-chan *fork, n int, log *slog.Logger) {
	for range n {
		f := <-results
		if f.err != nil {
			continue
		}
		log.Info("answered elsewhere: hanging up", "contact", f.contact, "call_id", f.leg.callID)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := f.leg.Hangup(ctx); err != nil {
			log.Warn("hang up late answer", "contact", f.contact, "err", err)
		}
		cancel()
	}
}

// isGlobalFailure reports a 6xx final response: the answer for every
// phone of the user, not only the one that sent it.
func isGlobalFailure(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.code >= 600
}

// agentError picks the outcome of a DialAgent nobody answered.
func agentError(ctx context.Context, user string, failed []*fork) error {
	pick := func(match func(error) bool) *fork {
		for _, f := range failed {
			if match(f.err) {
				return f
			}
		}
		return nil
	}
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	f := pick(isGlobalFailure)
	if f == nil && ctx.Err() != nil {
		if f = pick(is(ErrCanceled)); f == nil {
			return fmt.Errorf("dial agent %s: %w: %v", user, ErrCanceled, context.Cause(ctx))
		}
	}
	for _, target := range []error{ErrBusy, ErrDeclined, ErrNoAnswer} {
		if f == nil {
			f = pick(is(target))
		}
	}
	if f == nil {
		f = pick(func(err error) bool { return !errors.Is(err, errSuperseded) })
	}
	if f == nil {
		// Every fork was cut short, yet none failed on its own: the
		// phones that never replied.
		return fmt.Errorf("dial agent %s: %w: no contact replied", user, ErrNoAnswer)
	}
	var others []string
	for _, o := range failed {
		if o != f && !errors.Is(o.err, errSuperseded) {
			others = append(others, o.contact+": "+o.err.Error())
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("dial agent %s: %s: %w (also %s)", user, f.contact, f.err, strings.Join(others, "; "))
	}
	return fmt.Errorf("dial agent %s: %s: %w", user, f.contact, f.err)
}

// invite rings contact once and returns the answered leg with its media
// started. When ringCtx ends first the INVITE is cancelled; the error then
// says whether ctx ended (ErrCanceled), the ring timed out (ErrNoAnswer)
// or another fork settled the dial (errSuperseded). onResponse, if set,
// hears each response to the INVITE until it is answered.
func (s *Server) invite(ctx, ringCtx context.Context, contact string, opts DialOptions, onResponse func(*sip.Response), log *slog.Logger) (*OutLeg, error) {
	var target sip.Uri
	if err := sip.ParseUri(strings.Trim(contact, "<>"), &target); err != nil {
		return nil, fmt.Errorf("contact uri: %w", err)
	}
	ms, err := media.NewSession(s.opts.Media)
	if err != nil {
		return nil, fmt.Errorf("rtp session: %w", err)
	}
	offer, err := media.BuildOffer(ms.LocalAddr())
	if err != nil {
		ms.Close()
		return nil, err
	}
	caller := opts.Caller
	if caller == "" {
		caller = "contactd"
	}
	from := &sip.FromHeader{
		DisplayName: caller,
		Address:     sip.Uri{User: caller, Host: s.host.String(), Port: s.port},
		Params:      sip.NewParams(),
	}
	from.Params.Add("tag", sip.GenerateTagN(16))
	callID := uuid.NewString()
	log = log.With("call_id", callID)
	cid := sip.CallIDHeader(callID)
	hdrs := []sip.Header{from, &cid, sip.NewHeader("Content-Type", "application/sdp")}
	for k, v := range opts.Headers {
		hdrs = append(hdrs, sip.NewHeader(k, v))
	}

	o := &OutLeg{srv: s, id: uuid.Must(uuid.NewV7()).String(), callID: callID, contact: contact, media: ms, done: make(chan struct{})}
	s.mu.Lock()
	s.outLegs[callID] = o
	s.mu.Unlock()

	log.Debug("sending invite")
	dlg, err := s.dua.Invite(ringCtx, target, offer, hdrs...)
	if err != nil {
		o.end(ReasonRejected)
		return nil, fmt.Errorf("invite: %w", err)
	}
	s.mu.Lock()
	o.dialog = dlg
	s.mu.Unlock()
	if err := s.ring(ringCtx, dlg, onResponse, log); err != nil {
		o.end(ReasonRejected)
		return nil, dialError(ctx, ringCtx, err)
	}
	if ringCtx.Err() != nil {
		// Answered just as ringing stopped, the 2xx crossing our CANCEL
		// (RFC 3261 9.1): the call is not wanted, so confirm it, then end it.
		log.Info("answered while cancelled: hanging up")
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		if err := dlg.Ack(bctx); err == nil {
			dlg.Bye(bctx)
		}
		cancel()
		o.end(ReasonCancel)
		return nil, dialError(ctx, ringCtx, context.Cause(ringCtx))
	}
	answer, err := media.ParseOffer(dlg.InviteResponse.Body())
	var neg media.Negotiated
	if err == nil {
		neg, err = media.Negotiate(answer)
	}
	if err != nil {
		// Confirm the dialog, then end it: the answer is unusable.
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		dlg.Ack(bctx)
		dlg.Bye(bctx)
		cancel()
		o.end(ReasonRejected)
		return nil, fmt.Errorf("answer: %w", err)
	}
	if err := dlg.Ack(ctx); err != nil {
		o.end(ReasonRejected)
		return nil, fmt.Errorf("ack: %w", err)
	}
	o.neg = neg
	ms.Start(neg)
	go func() {
		select {
		case <-o.done:
		case <-dlg.Context().Done():
			o.end(ReasonRemoteHangup)
		case <-ms.Dead():
			o.end(ReasonRTPTimeout)
			bctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			dlg.Bye(bctx)
			cancel()
		}
	}()
	log.Info("outbound leg answered", "leg_id", o.id, "codec", neg.Codec.Name)
	return o, nil
}

// ring waits for the final response to the INVITE. If ringCtx ends first
// it sends CANCEL, once a provisional response allows it (RFC 3261 9.1),
// and goes on waiting for the final response: a 487, or a 2xx that crossed
// the CANCEL, which the caller then hangs up. It gives up 64*T1 after the
// CANCEL. WaitAnswer's own CANCEL is not used: it drops a 2xx that
// crossed the CANCEL, and panics if the CANCEL transaction ends without a
// response (sipgo v1.7.2).
func (s *Server) ring(ringCtx context.Context, dlg *sipgo.DialogClientSession, onResponse func(*sip.Response), log *slog.Logger) error {
	provisional := make(chan struct{})
	var once sync.Once
	final := make(chan struct{})
	defer close(final)
	waitCtx, stopWaiting := context.WithCancelCause(context.Background())
	defer stopWaiting(nil)
	// The request is only read from here on, so the canceller may build
	// its CANCEL from it while WaitAnswer runs.
	inv := dlg.InviteRequest
	go func() {
		for _, c := range []<-chan struct{}{ringCtx.Done(), provisional} {
			select {
			case <-final:
				return
			case <-c:
			}
		}
		s.cancelInvite(inv, context.Cause(ringCtx), log)
		select {
		case <-final:
		case <-time.After(64 * sip.T1):
			// This cause makes WaitAnswer return without a CANCEL of its own.
			stopWaiting(sipgo.WaitAnswerForceCancelErr)
		}
	}()
	return dlg.WaitAnswer(waitCtx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
		if res.IsProvisional() {
			once.Do(func() { close(provisional) })
		}
		if onResponse != nil {
			onResponse(res)
		}
		return nil
	}})
}

// cancelInvite sends CANCEL for inv (RFC 3261 9.1) and waits for its
// response. why is the reason ringing stopped.
func (s *Server) cancelInvite(inv *sip.Request, why error, log *slog.Logger) {
	req := sip.NewRequest(sip.CANCEL, *inv.Recipient.Clone())
	// The same top Via (branch) as the INVITE, which the phone matches.
	req.AppendHeader(sip.HeaderClone(inv.Via()))
	req.AppendHeader(sip.HeaderClone(inv.From()))
	req.AppendHeader(sip.HeaderClone(inv.To()))
	req.AppendHeader(sip.HeaderClone(inv.CallID()))
	req.AppendHeader(&sip.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sip.CANCEL})
	maxFwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(&maxFwd)
	sip.CopyHeaders("Route", inv, req)
	if errors.Is(why, errAnsweredElsewhere) {
		req.AppendHeader(sip.NewHeader("Reason", `SIP;cause=200;text="Call completed elsewhere"`))
	}
	req.SetBody(nil)
	req.SetTransport(inv.Transport())
	req.SetSource(inv.Source())
	req.Laddr = inv.Laddr
	ctx, cancel := context.WithTimeout(context.Background(), 64*sip.T1)
	defer cancel()
	// A no-op option keeps sipgo from adding a Via of its own.
	res, err := s.dua.Client.Do(ctx, req, func(*sipgo.Client, *sip.Request) error { return nil })
	switch {
	case err != nil:
		log.Warn("send cancel", "err", err)
	case res == nil:
		log.Warn("send cancel: no response")
	case res.StatusCode != 200:
		// 481: the phone had sent its final response already.
		log.Info("cancel refused", "code", res.StatusCode)
	default:
		log.Debug("invite cancelled", "why", why.Error())
	}
}

// statusError is a final response refusing an INVITE, read as one of
// ErrBusy, ErrNoAnswer or ErrDeclined; the code stays for DialAgent.
type statusError struct {
	kind   error
	code   int
	reason string
}

func (e *statusError) Error() string {
	if e.kind == ErrDeclined {
		return fmt.Sprintf("%v (%d %s)", e.kind, e.code, e.reason)
	}
	return fmt.Sprintf("%v (%d)", e.kind, e.code)
}

func (e *statusError) Unwrap() error { return e.kind }

// dialError names why an INVITE did not end in an answer. A 487 answers
// our CANCEL: the contexts say why it was sent.
func dialError(ctx, ringCtx context.Context, err error) error {
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) && (de.Res.StatusCode != 487 || ringCtx.Err() == nil) {
		se := &statusError{kind: ErrDeclined, code: de.Res.StatusCode, reason: de.Res.Reason}
		switch se.code {
		case 486, 600:
			se.kind = ErrBusy
		case 408, 480:
			se.kind = ErrNoAnswer
		}
		return se
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %v", ErrCanceled, err)
	}
	if ringCtx.Err() != nil {
		if errors.Is(context.Cause(ringCtx), errSuperseded) {
			return fmt.Errorf("%w: %v", errSuperseded, err)
		}
		return fmt.Errorf("%w: %v", ErrNoAnswer, err)
	}
	return err
}
