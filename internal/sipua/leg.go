package sipua

import (
	"context"
	"fmt"
	"mime"
	"net/netip"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/media"
)

// Why a leg ended, as recorded with the call.
const (
	ReasonCallerHangup = "caller_hangup"
	ReasonCancel       = "cancel"
	ReasonRTPTimeout   = "rtp_timeout"
	ReasonHangup       = "hangup"   // we hung up
	ReasonRejected     = "rejected" // we refused the call before answering
	ReasonNoAck        = "no_ack"
	ReasonRemoteHangup = "remote_hangup" // the phone we called hung up
)

// Leg is one inbound call: a SIP dialog and its RTP session.
type Leg struct {
	srv      *Server
	id       string
	caller   string
	dialled  string
	tport    string
	dialog   *sipgo.DialogServerSession
	media    *media.Session
	answerer media.Answerer

	mu  sync.Mutex
	neg media.Negotiated
	// reinviteAck is closed when the ACK for re-INVITE reinviteSeq arrives.
	reinviteSeq uint32
	reinviteAck chan struct{}
	final       chan struct{} // closed once a final response to the INVITE was sent
	fonce       sync.Once
	done        chan struct{}
	once        sync.Once
	reason      string
}

var _ callflow.Leg = (*Leg)(nil)

func (l *Leg) ID() string                 { return l.id }
func (l *Leg) Caller() string             { return l.caller }
func (l *Leg) Dialled() string            { return l.dialled }
func (l *Leg) Transport() string          { return l.tport }
func (l *Leg) Digits() <-chan byte        { return l.media.Digits() }
func (l *Leg) Done() <-chan struct{}      { return l.done }
func (l *Leg) LocalMedia() netip.AddrPort { return l.media.LocalAddr() }

// EndReason says why the leg ended; empty while it is up.
func (l *Leg) EndReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// end marks the leg ended (first reason wins) and releases its media.
func (l *Leg) end(reason string) {
	l.once.Do(func() {
		l.mu.Lock()
		l.reason = reason
		l.mu.Unlock()
		close(l.done)
		l.media.Close()
		l.srv.mu.Lock()
		delete(l.srv.legs, l.dialog.ID)
		l.srv.mu.Unlock()
		l.srv.metrics.active.Dec()
		l.srv.metrics.legEnded(l.media.Stats())
		l.srv.log.Debug("leg ended", "call_id", l.id, "reason", reason)
	})
}

func (l *Leg) finalSent() { l.fonce.Do(func() { close(l.final) }) }

// Answer sends 200 OK with the SDP answer and waits for the ACK.
func (l *Leg) Answer(ctx context.Context) error {
	defer l.finalSent()
	select {
	case <-l.done:
		return fmt.Errorf("answer call %s: leg ended (%s)", l.id, l.EndReason())
	default:
	}
	l.mu.Lock()
	neg := l.neg
	l.mu.Unlock()
	body, err := l.answerer.Answer(l.media.LocalAddr(), neg)
	if err != nil {
		return fmt.Errorf("answer call %s: %w", l.id, err)
	}
	l.media.Start(neg)
	l.srv.metrics.responses.WithLabelValues("INVITE", "200").Inc()
	if err := l.dialog.RespondSDP(body); err != nil {
		if l.dialog.Context().Err() != nil {
			l.end(ReasonCancel)
		} else {
			l.end(ReasonNoAck)
		}
		return fmt.Errorf("answer call %s: %w", l.id, err)
	}
	go l.watch()
	return nil
}

// watch ends the leg when the dialog ends or its media goes dead.
func (l *Leg) watch() {
	select {
	case <-l.done:
	case <-l.dialog.Context().Done():
		l.end(ReasonCallerHangup)
	case <-l.media.Dead():
		l.srv.log.Info("rtp timeout, hanging up", "call_id", l.id)
		l.bye(ReasonRTPTimeout)
	}
}

// Play sends PCM audio to the caller. When the leg ends its media is
// closed, which ends a Play in progress. While the leg is bridged (Connect)
// it returns media.ErrBridged; once the bridge is stopped prompts play
// again.
func (l *Leg) Play(ctx context.Context, pcm []int16) error {
	return l.media.Play(ctx, pcm)
}

// MediaSession is the leg's RTP session, for Connect.
func (l *Leg) MediaSession() *media.Session {
	if l == nil {
		return nil
	}
	return l.media
}

// RTPStats counts the leg's RTP packets so far.
func (l *Leg) RTPStats() media.Stats { return l.media.Stats() }

// Listen hands the caller's decoded audio to fn until stop (a voice
// comment being recorded); see media.Session.Listen.
func (l *Leg) Listen(fn func(pcm []int16)) (stop func()) { return l.media.Listen(fn) }

// RTPCounts is packets received and sent, for the call record.
func (l *Leg) RTPCounts() (received, sent uint64) {
	st := l.media.Stats()
	return st.PacketsReceived, st.PacketsSent
}

// Reject refuses an unanswered call with status (e.g. 404, 480, 486).
func (l *Leg) Reject(ctx context.Context, status int) error {
	defer l.finalSent()
	defer l.end(ReasonRejected)
	reason := reasonPhrase(status)
	l.srv.metrics.responses.WithLabelValues("INVITE", fmt.Sprint(status)).Inc()
	if err := l.dialog.Respond(status, reason, nil); err != nil {
		return fmt.Errorf("reject call %s: %w", l.id, err)
	}
	return nil
}

// Hangup ends an answered call with BYE.
func (l *Leg) Hangup(ctx context.Context) error {
	return l.byeCtx(ctx, ReasonHangup)
}

func (l *Leg) bye(reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.byeCtx(ctx, reason); err != nil {
		l.srv.log.Warn("send bye", "call_id", l.id, "err", err)
	}
}

func (l *Leg) byeCtx(ctx context.Context, reason string) error {
	select {
	case <-l.done:
		return nil
	default:
	}
	// Stop the media first so the caller hears nothing after the BYE.
	l.end(reason)
	if err := l.dialog.Bye(ctx); err != nil {
		return fmt.Errorf("bye call %s: %w", l.id, err)
	}
	return nil
}

// onInvite takes a new call, or a re-INVITE within one.
func (s *Server) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil {
		if _, ok := to.Params.Get("tag"); ok {
			s.onReinvite(req, tx)
			return
		}
	}
	if s.draining.Load() {
		s.respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "30"))
		return
	}
	neg, code, reason := negotiate(req)
	if code != 0 {
		s.respond(tx, req, code, reason)
		return
	}
	dlg, err := s.dua.ReadInvite(req, tx)
	if err != nil {
		s.log.Info("bad invite", "err", err)
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	ms, err := media.NewSession(s.opts.Media)
	if err != nil {
		s.log.Error("rtp session", "err", err)
		s.respond(tx, req, 503, "Service Unavailable")
		return
	}
	l := &Leg{
		srv:     s,
		id:      uuid.Must(uuid.NewV7()).String(),
		caller:  req.From().Address.User,
		dialled: req.Recipient.User,
		tport:   req.Transport(),
		dialog:  dlg,
		media:   ms,
		neg:     neg,
		final:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	if l.dialled == "" && req.To() != nil {
		l.dialled = req.To().Address.User
	}
	s.mu.Lock()
	s.legs[dlg.ID] = l
	s.mu.Unlock()
	s.metrics.active.Inc()

	for _, r := range []struct {
		code   int
		reason string
	}{{100, "Trying"}, {180, "Ringing"}} {
		s.metrics.responses.WithLabelValues("INVITE", fmt.Sprint(r.code)).Inc()
		if err := dlg.Respond(r.code, r.reason, nil); err != nil {
			s.log.Debug("send provisional", "call_id", l.id, "err", err)
		}
	}

	s.calls.Add(1)
	go func() {
		defer s.calls.Done()
		s.handler.Handle(s.callCtx, l)
		// A handler that returns without ending the call hangs it up.
		select {
		case <-l.done:
		default:
			if l.dialog.LoadState() >= sip.DialogStateEstablished {
				l.bye(ReasonHangup)
			} else {
				l.Reject(context.Background(), 480)
			}
		}
	}()

	// sipgo ends the INVITE transaction when this handler returns: stay
	// until a final response went out, or the caller cancelled.
	select {
	case <-l.final:
	case <-dlg.Context().Done():
		l.end(ReasonCancel)
	}
}

// negotiate checks an INVITE's offer: a zero code means go ahead.
func negotiate(req *sip.Request) (media.Negotiated, int, string) {
	body := req.Body()
	if len(body) == 0 {
		// Offerless INVITEs would need the offer in our 200 and the answer
		// in the ACK; softphones and trunks send an offer, so require one.
		return media.Negotiated{}, 488, "Not Acceptable Here"
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/sdp" {
		return media.Negotiated{}, 415, "Unsupported Media Type"
	}
	offer, err := media.ParseOffer(body)
	if err != nil {
		return media.Negotiated{}, 400, "Bad Request"
	}
	// No common codec (media.ErrNoCommonCodec) or no usable audio stream.
	neg, err := media.Negotiate(offer)
	if err != nil {
		return media.Negotiated{}, 488, "Not Acceptable Here"
	}
	return neg, 0, ""
}

// onReinvite accepts a changed offer in an established call: hold, unhold,
// a new address or codec. Media keeps its sequence numbers and timestamps.
func (s *Server) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if err := l.dialog.ReadRequest(req, tx); err != nil {
		s.respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	l.mu.Lock()
	neg := l.neg
	l.mu.Unlock()
	if len(req.Body()) > 0 {
		n, code, reason := negotiate(req)
		if code != 0 {
			// The old session stays as it was (RFC 3261 14.2).
			s.respond(tx, req, code, reason)
			return
		}
		neg = n
	}
	body, err := l.answerer.Answer(l.media.LocalAddr(), neg)
	if err != nil {
		s.respond(tx, req, 500, "Server Internal Error")
		return
	}
	l.mu.Lock()
	l.neg = neg
	l.mu.Unlock()
	l.media.Start(neg)
	res := sip.NewSDPResponseFromRequest(req, body)
	res.AppendHeader(&s.dua.ContactHDR)
	s.metrics.responses.WithLabelValues("INVITE", "200").Inc()
	if err := tx.Respond(res); err != nil {
		s.log.Warn("answer re-invite", "call_id", l.id, "err", err)
		return
	}
	s.log.Info("re-invite accepted", "call_id", l.id, "hold", neg.RemoteHold, "codec", neg.Codec.Name)
	// Over UDP the 2xx is ours to retransmit until the ACK (RFC 6026).
	if sip.IsReliable(req.Transport()) {
		return
	}
	acked := make(chan struct{})
	l.mu.Lock()
	l.reinviteSeq, l.reinviteAck = req.CSeq().SeqNo, acked
	l.mu.Unlock()
	wait := sip.T1
	deadline := time.After(64 * sip.T1)
	for {
		select {
		case <-acked:
			return
		case <-l.done:
			return
		case <-deadline:
			return
		case <-time.After(wait):
			wait = min(2*wait, sip.T2)
			if err := tx.Respond(res); err != nil {
				return
			}
		}
	}
}

// ackReinvite notes the ACK of the latest re-INVITE's 2xx.
func (l *Leg) ackReinvite(seq uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reinviteAck != nil && seq == l.reinviteSeq {
		close(l.reinviteAck)
		l.reinviteAck = nil
	}
}

// reasonPhrase is the RFC 3261 phrase for the statuses contactd rejects with.
func reasonPhrase(status int) string {
	switch status {
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 480:
		return "Temporarily Unavailable"
	case 486:
		return "Busy Here"
	case 488:
		return "Not Acceptable Here"
	case 503:
		return "Service Unavailable"
	case 603:
		return "Decline"
	}
	return "Rejected"
}
