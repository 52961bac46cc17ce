package sipua

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
	"github.com/icholy/digest"
	"github.com/pion/rtp"

	"github.com/contactd/contactd/internal/callflow"
	"github.com/contactd/contactd/internal/media"
)

// guard bounds every wait in these tests: reaching it is a failure, never
// an expected outcome.
const guard = 10 * time.Second

// passwords are the agents the test registrar knows.
var passwords = creds{"alice": "alice-pw", "bob": "bob-pw"}

// fakeClock is a registrar clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// answerCalls is a CallHandler that answers every call, hands its leg to
// the test and keeps it up until it ends.
type answerCalls chan *Leg

func (c answerCalls) Handle(ctx context.Context, leg callflow.Leg) {
	l := leg.(*Leg)
	if err := l.Answer(ctx); err != nil {
		return
	}
	c <- l
	select {
	case <-l.Done():
	case <-ctx.Done():
	}
}

// startServer runs a SIP server on 127.0.0.1 (UDP) with a registrar
// built from ropts, and returns it with the inbound calls it answers.
func startServer(t *testing.T, ropts RegistrarOptions) (*Server, answerCalls) {
	t.Helper()
	reg := NewRegistrar(ropts, passwords)
	calls := make(answerCalls, 4)
	srv, err := New(Options{
		Listen:     "127.0.0.1:0",
		Transports: []string{"udp"},
		Registrar:  reg,
		Media:      media.SessionOptions{IP: netip.MustParseAddr("127.0.0.1")},
	}, calls)
	if err != nil {
		t.Fatalf("start sip server: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ctx)
	}()
	t.Cleanup(func() {
		srv.HangupAll()
		cancel()
		<-served
		srv.Close()
	})
	return srv, calls
}

// phoneMode is how a fake phone treats an INVITE.
type phoneMode int

const (
	ringing   phoneMode = iota // rings until cancelled
	answering                  // answers at once
	busy                       // 486 Busy Here
	declining                  // 603 Decline
)

// phone is a SIP phone made of sipgo's own client and server, on
// 127.0.0.1, with an RTP socket of its own.
type phone struct {
	t       *testing.T
	mode    phoneMode
	user    string
	contact sip.Uri
	cli     *sipgo.Client
	dialogs *sipgo.DialogServerCache
	rtp     *net.UDPConn
	closed  chan struct{}

	// One value per request received.
	invites, cancels, byes chan struct{}
}

func newPhone(t *testing.T, user string, mode phoneMode) *phone {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("phone sip socket: %v", err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("phone-"+user), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		t.Fatalf("phone user agent: %v", err)
	}
	srv, err := sipgo.NewServer(ua)
	if err != nil {
		t.Fatalf("phone server: %v", err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientPort(port))
	if err != nil {
		t.Fatalf("phone client: %v", err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatalf("phone rtp socket: %v", err)
	}
	p := &phone{
		t: t, mode: mode, user: user,
		contact: sip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port},
		cli:     cli,
		rtp:     conn,
		closed:  make(chan struct{}),
		invites: make(chan struct{}, 8),
		cancels: make(chan struct{}, 8),
		byes:    make(chan struct{}, 8),
	}
	p.dialogs = sipgo.NewDialogServerCache(cli, sip.ContactHeader{Address: p.contact})
	srv.OnInvite(p.onInvite)
	srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { p.dialogs.ReadAck(req, tx) })
	srv.OnBye(func(req *sip.Request, tx sip.ServerTransaction) {
		tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		signal(p.byes)
	})
	go srv.ServeUDP(pc)
	t.Cleanup(func() {
		close(p.closed)
		ua.Close()
		pc.Close()
		conn.Close()
	})
	return p
}

// signal notes one event without ever blocking sipgo.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (p *phone) rtpAddr() netip.AddrPort {
	return p.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (p *phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	// sipgo answers the CANCEL itself; this hears it reach the INVITE.
	tx.OnCancel(func(*sip.Request) { signal(p.cancels) })
	signal(p.invites)
	dlg, err := p.dialogs.ReadInvite(req, tx)
	if err != nil {
		return
	}
	dlg.Respond(180, "Ringing", nil)
	switch p.mode {
	case answering:
		sdp, err := media.BuildOffer(p.rtpAddr())
		if err == nil {
			dlg.RespondSDP(sdp)
		}
	case busy:
		dlg.Respond(486, "Busy Here", nil)
	case declining:
		dlg.Respond(603, "Decline", nil)
	default:
		// sipgo ends the INVITE when this returns: ring until cancelled.
		select {
		case <-dlg.Context().Done():
		case <-p.closed:
		}
	}
}

// register sends a REGISTER for p's user to srv, binding contact ("*"
// or a URI, p's own if empty) for expires seconds, answers the digest
// challenge and returns the final status.
func (p *phone) register(srv netip.AddrPort, contact string, expires int) int {
	p.t.Helper()
	if contact == "" {
		contact = "<" + p.contact.String() + ">"
	}
	callID := uuid.NewString()
	build := func(seq uint32, auth string) *sip.Request {
		req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: srv.Addr().String(), Port: int(srv.Port())})
		aor := sip.Uri{Scheme: "sip", User: p.user, Host: "127.0.0.1"}
		from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
		from.Params.Add("tag", "reg")
		cid := sip.CallIDHeader(callID)
		req.AppendHeader(from)
		req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
		req.AppendHeader(&cid)
		req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
		req.AppendHeader(sip.NewHeader("Contact", contact))
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
		if auth != "" {
			req.AppendHeader(sip.NewHeader("Authorization", auth))
		}
		return req
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	res, err := p.cli.Do(ctx, build(1, ""))
	if err != nil {
		p.t.Fatalf("register %s: %v", p.user, err)
	}
	if res.StatusCode != 401 {
		return res.StatusCode
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		p.t.Fatalf("register %s: challenge: %v", p.user, err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: p.user, Password: passwords[p.user], Count: 1})
	if err != nil {
		p.t.Fatalf("register %s: digest: %v", p.user, err)
	}
	res, err = p.cli.Do(ctx, build(2, cred.String()))
	if err != nil {
		p.t.Fatalf("register %s: %v", p.user, err)
	}
	return res.StatusCode
}

// mustRegister registers p's own contact for an hour.
func (p *phone) mustRegister(srv netip.AddrPort) {
	p.t.Helper()
	if code := p.register(srv, "", 3600); code != 200 {
		p.t.Fatalf("register %s: got %d, want 200", p.user, code)
	}
}

// call places a call to number at srv and returns the confirmed dialog.
func (p *phone) call(srv netip.AddrPort, number string) *sipgo.DialogClientSession {
	p.t.Helper()
	dua := &sipgo.DialogUA{Client: p.cli, ContactHDR: sip.ContactHeader{Address: p.contact}}
	sdp, err := media.BuildOffer(p.rtpAddr())
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	dlg, err := dua.Invite(ctx, sip.Uri{Scheme: "sip", User: number, Host: srv.Addr().String(), Port: int(srv.Port())}, sdp,
		sip.NewHeader("Content-Type", "application/sdp"))
	if err != nil {
		p.t.Fatalf("invite %s: %v", number, err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}); err != nil {
		p.t.Fatalf("invite %s: %v", number, err)
	}
	if err := dlg.Ack(ctx); err != nil {
		p.t.Fatalf("ack %s: %v", number, err)
	}
	return dlg
}

// sendRTP sends 20 ms PCMU frames of payload to dst until stop closes.
func (p *phone) sendRTP(dst netip.AddrPort, payload byte, stop <-chan struct{}) {
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 0x1234}, Payload: make([]byte, media.FrameSamples)}
	for i := range pkt.Payload {
		pkt.Payload[i] = payload
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		b, err := pkt.Marshal()
		if err != nil {
			return
		}
		if _, err := p.rtp.WriteToUDPAddrPort(b, dst); err != nil {
			return
		}
		pkt.SequenceNumber++
		pkt.Timestamp += media.FrameSamples
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// awaitRTP reads p's RTP socket until a PCMU packet whose payload starts
// with want arrives, and reports whether it did before the guard.
func (p *phone) awaitRTP(want byte) error {
	p.rtp.SetReadDeadline(time.Now().Add(guard))
	defer p.rtp.SetReadDeadline(time.Time{})
	buf := make([]byte, 2048)
	var pkt rtp.Packet
	for {
		n, err := p.rtp.Read(buf)
		if err != nil {
			return err
		}
		if pkt.Unmarshal(buf[:n]) == nil && pkt.PayloadType == 0 && len(pkt.Payload) > 0 && pkt.Payload[0] == want {
			return nil
		}
	}
}

// await waits for one event on c, failing the test at the guard.
func await(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(guard):
		t.Fatalf("%s: not seen", what)
	}
}
