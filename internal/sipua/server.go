// Package sipua is contactd's native SIP side, built on sipgo: it accepts
// calls (INVITE, ACK, BYE, CANCEL, re-INVITE, INFO), answers OPTIONS, and
// turns every accepted call into a callflow.Leg with its own RTP session.
package sipua

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/media"
)

// CallHandler runs an accepted call until it ends.
type CallHandler interface {
	Handle(ctx context.Context, leg callflow.Leg)
}

// Options configures the SIP server.
type Options struct {
	// Listen is the host:port for UDP and TCP (port 0 picks a free one).
	Listen string
	// Transports lists "udp" and/or "tcp"; empty means both.
	Transports []string
	// Advertise is the address put in Contact and SDP; empty means the
	// listen host (which then must not be unspecified).
	Advertise string
	// UserAgent is sent in User-Agent and Server headers.
	UserAgent string
	Media     media.SessionOptions
	// Registrar answers REGISTER; nil refuses it with 405.
	Registrar *Registrar
	Logger    *slog.Logger
	// Registerer receives the SIP metrics; nil means none.
	Registerer prometheus.Registerer
	// Guard limits each source address's request rates and bans password
	// guessers.
	Guard GuardOptions
	// TLS, if set, also takes SIP over TLS on TLSListen (host:port; port 0
	// picks a free one).
	TLS       *tls.Config
	TLSListen string
}

// Server is a running SIP endpoint.
type Server struct {
	opts    Options
	log     *slog.Logger
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	dua     *sipgo.DialogUA
	handler CallHandler
	host    netip.Addr
	port    int
	udp     net.PacketConn
	tcp     net.Listener
	tlsL    net.Listener
	metrics *metrics
	guard   *sourceGuard

	mu       sync.Mutex
	legs     map[string]*Leg    // by dialog id
	outLegs  map[string]*OutLeg // calls we placed, by Call-ID
	draining atomic.Bool
	calls    sync.WaitGroup
	// callCtx is given to every call handler: cancelling it hangs all up.
	callCtx    context.Context
	cancelCall context.CancelFunc
}

// allowed is the Allow header: the methods a dialog here understands.
const allowed = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO"

// New binds the listeners; Serve starts answering.
func New(opts Options, handler CallHandler) (*Server, error) {
	if opts.UserAgent == "" {
		opts.UserAgent = "contactd"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(opts.Transports) == 0 {
		opts.Transports = []string{"udp", "tcp"}
	}
	s := &Server{opts: opts, log: log, handler: handler, legs: map[string]*Leg{}, outLegs: map[string]*OutLeg{}, metrics: newMetrics(opts.Registerer), guard: newSourceGuard(opts.Guard)}
	s.callCtx, s.cancelCall = context.WithCancel(context.Background())
	if err := s.listen(); err != nil {
		return nil, err
	}
	host := opts.Advertise
	if host == "" {
		host = s.host.String()
	}
	adv, err := netip.ParseAddr(host)
	if err != nil || adv.IsUnspecified() {
		s.closeListeners()
		return nil, fmt.Errorf("sip advertise address %q: need a concrete IP address (set sip.advertise when listening on all interfaces)", host)
	}
	s.host = adv
	if !s.opts.Media.IP.IsValid() {
		s.opts.Media.IP = adv
	}
	if s.opts.Media.Logger == nil {
		s.opts.Media.Logger = log
	}
	setSipgoDefaultLogger()
	sipLog := slog.New(quietParseErrors{log.Handler()}).With("component", "sipgo")
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(opts.UserAgent), sipgo.WithUserAgentHostname(adv.String()))
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("sip user agent: %w", err)
	}
	s.ua = ua
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(sipLog))
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("sip server: %w", err)
	}
	s.srv = srv
	client, err := sipgo.NewClient(ua, sipgo.WithClientHostname(adv.String()), sipgo.WithClientPort(s.port), sipgo.WithClientLogger(sipLog))
	if err != nil {
		s.closeListeners()
		return nil, fmt.Errorf("sip client: %w", err)
	}
	s.dua = &sipgo.DialogUA{
		Client: client,
		ContactHDR: sip.ContactHeader{
			Address: sip.Uri{User: "contactd", Host: adv.String(), Port: s.port},
		},
	}
	srv.OnInvite(s.count(s.onInvite))
	srv.OnAck(s.onAck) // ACKs get no response: not counted by code
	srv.OnBye(s.count(s.onBye))
	srv.OnOptions(s.count(s.onOptions))
	srv.OnInfo(s.count(s.onInfo))
	srv.OnNoRoute(s.count(s.onNoRoute))
	if opts.Registrar != nil {
		srv.OnRegister(s.count(func(req *sip.Request, tx sip.ServerTransaction) { opts.Registrar.handle(s, req, tx) }))
	}
	return s, nil
}

func (s *Server) listen() error {
	addr, err := net.ResolveUDPAddr("udp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("sip listen %q: %w", s.opts.Listen, err)
	}
	ip, _ := netip.AddrFromSlice(addr.IP)
	if addr.IP == nil {
		ip = netip.IPv4Unspecified()
	}
	s.host = ip.Unmap()
	port := addr.Port
	for _, t := range s.opts.Transports {
		switch t {
		case "udp":
			pc, err := net.ListenPacket("udp", net.JoinHostPort(s.host.String(), strconv.Itoa(port)))
			if err != nil {
				s.closeListeners()
				return fmt.Errorf("sip listen udp %s: %w", s.opts.Listen, err)
			}
			s.udp = pc
			port = pc.LocalAddr().(*net.UDPAddr).Port
		case "tcp":
			l, err := net.Listen("tcp", net.JoinHostPort(s.host.String(), strconv.Itoa(port)))
			if err != nil {
				s.closeListeners()
				return fmt.Errorf("sip listen tcp %s: %w", s.opts.Listen, err)
			}
			s.tcp = l
			port = l.Addr().(*net.TCPAddr).Port
		default:
			s.closeListeners()
			return fmt.Errorf("sip transport %q: want udp or tcp", t)
		}
	}
	s.port = port
	if s.opts.TLS != nil {
		l, err := tls.Listen("tcp", s.opts.TLSListen, s.opts.TLS)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("sip listen tls %s: %w", s.opts.TLSListen, err)
		}
		s.tlsL = l
	}
	return nil
}

// TLSAddr is where SIP over TLS listens; invalid without TLS.
func (s *Server) TLSAddr() netip.AddrPort {
	if s.tlsL == nil {
		return netip.AddrPort{}
	}
	ap, _ := netip.ParseAddrPort(s.tlsL.Addr().String())
	return ap
}

func (s *Server) closeListeners() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.tlsL != nil {
		s.tlsL.Close()
	}
}

// Addr is the address SIP listens on, e.g. 127.0.0.1:5060.
func (s *Server) Addr() netip.AddrPort { return netip.AddrPortFrom(s.host, uint16(s.port)) }

// Serve answers SIP until ctx ends, then closes the listeners. Calls still up
// are not touched: use Drain and HangupAll.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 3)
	if s.udp != nil {
		go func() { errc <- s.srv.ServeUDP(s.udp) }()
	}
	if s.tcp != nil {
		go func() { errc <- s.srv.ServeTCP(s.tcp) }()
	}
	if s.tlsL != nil {
		go func() { errc <- s.srv.ServeTLS(s.tlsL) }()
		s.log.Info("sip listening over tls", "addr", s.tlsL.Addr().String())
	}
	s.log.Info("sip listening", "addr", s.Addr().String(), "transports", strings.Join(s.opts.Transports, ","))
	select {
	case <-ctx.Done():
		s.closeListeners()
		return nil
	case err := <-errc:
		s.closeListeners()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		return fmt.Errorf("sip serve: %w", err)
	}
}

// Drain stops accepting new calls (they get 503); calls in progress go on.
func (s *Server) Drain() { s.draining.Store(true) }

// Wait blocks until every call has ended or ctx is done.
func (s *Server) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// HangupAll ends every call at once (second signal, or drain timeout).
func (s *Server) HangupAll() { s.cancelCall() }

// Close releases the SIP stack.
func (s *Server) Close() error {
	s.cancelCall()
	s.closeListeners()
	return s.ua.Close()
}

// ActiveCalls is the number of calls up right now.
func (s *Server) ActiveCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.legs)
}

// count counts a request and rejects it with 400 when a header every
// request must carry (RFC 3261 8.1.1) is missing.
func (s *Server) count(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		s.metrics.requests.WithLabelValues(string(req.Method)).Inc()
		switch s.guard.check(sourceIP(req), string(req.Method)) {
		case banned:
			// No answer at all: a banned scanner learns nothing, not even
			// that something listens.
			s.metrics.dropped.WithLabelValues("banned").Inc()
			return
		case limited:
			s.metrics.dropped.WithLabelValues("rate_limited").Inc()
			s.respond(tx, req, 503, "Service Unavailable", sip.NewHeader("Retry-After", "5"))
			return
		}
		if missing := missingHeader(req); missing != "" {
			s.log.Debug("bad request", "method", string(req.Method), "missing", missing)
			s.respond(tx, req, 400, "Bad Request - Missing "+missing)
			return
		}
		if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
			s.log.Debug("bad request", "method", string(req.Method), "version", req.SipVersion)
			res := sip.NewResponseFromRequest(req, 505, "Version Not Supported", nil)
			res.SipVersion = "SIP/2.0"
			s.metrics.responses.WithLabelValues(string(req.Method), "505").Inc()
			tx.Respond(res)
			return
		}
		// RFC 3261 8.1.1.5: CSeq names the request's own method (ACK and
		// CANCEL carry the INVITE's number, not its method).
		if m := req.CSeq().MethodName; m != req.Method {
			s.log.Debug("bad request", "method", string(req.Method), "cseq_method", string(m))
			s.respond(tx, req, 400, "Bad Request - CSeq Method Mismatch")
			return
		}
		h(req, tx)
	}
}

// sourceIP is the address a request came from (its transport's peer).
func sourceIP(req *sip.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func missingHeader(req *sip.Request) string {
	switch {
	case req.CallID() == nil:
		return "Call-ID"
	case req.CSeq() == nil:
		return "CSeq"
	case req.From() == nil:
		return "From"
	case req.To() == nil:
		return "To"
	case req.Via() == nil:
		return "Via"
	}
	return ""
}

func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, headers ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	s.metrics.responses.WithLabelValues(string(req.Method), strconv.Itoa(code)).Inc()
	if err := tx.Respond(res); err != nil {
		s.log.Debug("send response", "method", string(req.Method), "code", code, "err", err)
	}
}

func (s *Server) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	code, reason := 200, "OK"
	if s.draining.Load() {
		code, reason = 503, "Service Unavailable"
	}
	s.respond(tx, req, code, reason,
		sip.NewHeader("Allow", s.allowed()),
		sip.NewHeader("Accept", "application/sdp, application/dtmf-relay, application/dtmf"),
		sip.NewHeader("Accept-Language", "en"),
	)
}

// knownMethods are SIP methods defined by RFCs that contactd does not
// implement: they get 405 with Allow. Anything else is unknown: 501.
var knownMethods = map[string]bool{
	"REGISTER": true, "SUBSCRIBE": true, "NOTIFY": true, "REFER": true, "MESSAGE": true,
	"PRACK": true, "UPDATE": true, "PUBLISH": true,
}

func (s *Server) onNoRoute(req *sip.Request, tx sip.ServerTransaction) {
	if knownMethods[string(req.Method)] {
		s.respond(tx, req, 405, "Method Not Allowed", sip.NewHeader("Allow", s.allowed()))
		return
	}
	s.respond(tx, req, 501, "Not Implemented", sip.NewHeader("Allow", s.allowed()))
}

func (s *Server) allowed() string {
	if s.opts.Registrar != nil {
		return allowed + ", REGISTER"
	}
	return allowed
}

func (s *Server) findLeg(req *sip.Request) *Leg {
	id, err := sip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.legs[id]
}

// findOutLeg matches an in-dialog request to a call we placed.
func (s *Server) findOutLeg(req *sip.Request) *OutLeg {
	cid := req.CallID()
	if cid == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.outLegs[cid.Value()]
	if o == nil || o.dialog == nil {
		return nil
	}
	return o
}

func (s *Server) onAck(req *sip.Request, tx sip.ServerTransaction) {
	if l := s.findLeg(req); l != nil {
		if cseq := req.CSeq(); cseq != nil {
			l.ackReinvite(cseq.SeqNo)
		}
		// A CSeq mismatch is the ACK of an old re-INVITE: nothing to confirm.
		_ = l.dialog.ReadAck(req, tx)
	}
}

func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		if o := s.findOutLeg(req); o != nil {
			s.metrics.responses.WithLabelValues(string(req.Method), "200").Inc()
			if err := o.dialog.ReadBye(req, tx); err != nil {
				s.log.Warn("read bye", "leg_id", o.id, "err", err)
			}
			o.end(ReasonRemoteHangup)
			return
		}
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	s.metrics.responses.WithLabelValues(string(req.Method), "200").Inc()
	if err := l.dialog.ReadBye(req, tx); err != nil {
		s.log.Warn("read bye", "call_id", l.id, "err", err)
	}
	l.end(ReasonCallerHangup)
}

func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	var ms *media.Session
	if l := s.findLeg(req); l != nil {
		ms = l.media
	} else if o := s.findOutLeg(req); o != nil {
		// A phone we called sends its keys this way too.
		ms = o.media
	}
	if ms == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = h.Value()
	}
	digit, err := parseDTMFInfo(ct, req.Body())
	if errors.Is(err, errUnsupportedInfo) {
		s.respond(tx, req, 415, "Unsupported Media Type", sip.NewHeader("Accept", "application/dtmf-relay, application/dtmf"))
		return
	}
	if err != nil {
		s.respond(tx, req, 400, "Bad Request")
		return
	}
	s.respond(tx, req, 200, "OK")
	ms.InjectDigit(digit)
}

// Contacts returns an agent's live registrations (none without a registrar).
func (s *Server) Contacts(user string) []Binding {
	if s.opts.Registrar == nil {
		return nil
	}
	return s.opts.Registrar.Contacts(user)
}
