package sipua

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/contactd/contactd/internal/media"
)

// Why dialling an agent failed.
var (
	ErrNoAnswer = errors.New("no answer") // ring timeout: the phone was cancelled
	ErrBusy     = errors.New("busy")      // 486/600
	ErrDeclined = errors.New("declined")  // 603 or another final refusal
	ErrCanceled = errors.New("cancelled") // the dial's context ended
)

// DialOptions says whom to ring and what to show them.
type DialOptions struct {
	// Contact is the registered contact URI to ring.
	Contact string
	// Caller is shown as the From user (the customer's number).
	Caller string
	// Headers are added to the INVITE, e.g. X-Contactd-Call-Id.
	Headers map[string]string
	// RingTimeout cancels the INVITE when nobody answers; 0 means ring
	// until ctx ends.
	RingTimeout time.Duration
}

// OutLeg is a call contactd placed, to an agent's phone.
type OutLeg struct {
	srv    *Server
	id     string
	callID string
	dialog *sipgo.DialogClientSession
	media  *media.Session
	neg    media.Negotiated

	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	reason string
}

func (o *OutLeg) ID() string                   { return o.id }
func (o *OutLeg) Media() *media.Session        { return o.media }
func (o *OutLeg) Negotiated() media.Negotiated { return o.neg }
func (o *OutLeg) Done() <-chan struct{}        { return o.done }

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

// Dial rings a contact and returns the answered leg with its media
// started. A ring timeout or a cancelled ctx sends CANCEL.
func (s *Server) Dial(ctx context.Context, opts DialOptions) (*OutLeg, error) {
	var target sip.Uri
	if err := sip.ParseUri(strings.Trim(opts.Contact, "<>"), &target); err != nil {
		return nil, fmt.Errorf("dial %s: %w", opts.Contact, err)
	}
	ms, err := media.NewSession(s.opts.Media)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", opts.Contact, err)
	}
	offer, err := media.BuildOffer(ms.LocalAddr())
	if err != nil {
		ms.Close()
		return nil, fmt.Errorf("dial %s: %w", opts.Contact, err)
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
	cid := sip.CallIDHeader(callID)
	hdrs := []sip.Header{from, &cid, sip.NewHeader("Content-Type", "application/sdp")}
	for k, v := range opts.Headers {
		hdrs = append(hdrs, sip.NewHeader(k, v))
	}

	o := &OutLeg{srv: s, id: uuid.Must(uuid.NewV7()).String(), callID: callID, media: ms, done: make(chan struct{})}
	s.mu.Lock()
	s.outLegs[callID] = o
	s.mu.Unlock()

	ringCtx := ctx
	if opts.RingTimeout > 0 {
		var cancel context.CancelFunc
		ringCtx, cancel = context.WithTimeout(ctx, opts.RingTimeout)
		defer cancel()
	}
	dlg, err := s.dua.Invite(ringCtx, target, offer, hdrs...)
	if err != nil {
		o.end(ReasonRejected)
		return nil, fmt.Errorf("dial %s: invite: %w", opts.Contact, err)
	}
	s.mu.Lock()
	o.dialog = dlg
	s.mu.Unlock()
	if err := dlg.WaitAnswer(ringCtx, sipgo.AnswerOptions{}); err != nil {
		o.end(ReasonRejected)
		return nil, fmt.Errorf("dial %s: %w", opts.Contact, dialError(ctx, ringCtx, err))
	}
	answer, err := media.ParseOffer(dlg.InviteResponse.Body())
	var neg media.Negotiated
	if err == nil {
		neg, err = media.Negotiate(answer)
	}
	if err != nil {
		// Confirm the dialog, then end it: the answer is unusable.
		dlg.Ack(ctx)
		dlg.Bye(ctx)
		o.end(ReasonRejected)
		return nil, fmt.Errorf("dial %s: answer: %w", opts.Contact, err)
	}
	if err := dlg.Ack(ctx); err != nil {
		o.end(ReasonRejected)
		return nil, fmt.Errorf("dial %s: ack: %w", opts.Contact, err)
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
	s.log.Info("agent leg answered", "leg_id", o.id, "contact", opts.Contact, "codec", neg.Codec.Name)
	return o, nil
}

// dialError names why an INVITE did not end in an answer.
func dialError(ctx, ringCtx context.Context, err error) error {
	var de *sipgo.ErrDialogResponse
	if errors.As(err, &de) {
		switch de.Res.StatusCode {
		case 486, 600:
			return fmt.Errorf("%w (%d)", ErrBusy, de.Res.StatusCode)
		case 408, 480:
			return fmt.Errorf("%w (%d)", ErrNoAnswer, de.Res.StatusCode)
		}
		return fmt.Errorf("%w (%d %s)", ErrDeclined, de.Res.StatusCode, de.Res.Reason)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %v", ErrCanceled, err)
	}
	if ringCtx.Err() != nil {
		return fmt.Errorf("%w: %v", ErrNoAnswer, err)
	}
	return err
}
