package media

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// guard bounds waits for events that should happen; it is never the
// thing a test asserts.
const guard = 5 * time.Second

var loopback = netip.MustParseAddr("127.0.0.1")

type received struct {
	pkt  rtp.Packet
	from netip.AddrPort
}

// rtpPeer is the caller's end of a call: a UDP socket on 127.0.0.1 that
// records the RTP it receives.
type rtpPeer struct {
	conn *net.UDPConn
	pkts chan received
}

func newPeer(t testing.TB) *rtpPeer {
	t.Helper()
	conn, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		t.Fatal(err)
	}
	p := &rtpPeer{conn: conn, pkts: make(chan received, 10000)}
	t.Cleanup(func() { conn.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			var r received
			if r.pkt.Unmarshal(buf[:n]) != nil {
				continue
			}
			r.pkt.Payload = slices.Clone(r.pkt.Payload)
			r.from = from
			p.pkts <- r
		}
	}()
	return p
}

func (p *rtpPeer) addr() netip.AddrPort { return p.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *rtpPeer) next(t testing.TB) received {
	t.Helper()
	select {
	case r := <-p.pkts:
		return r
	case <-time.After(guard):
		t.Fatalf("peer %v: no RTP packet within %v", p.addr(), guard)
		return received{}
	}
}

func (p *rtpPeer) send(t testing.TB, to netip.AddrPort, pkts ...[]byte) {
	t.Helper()
	for _, b := range pkts {
		if _, err := p.conn.WriteToUDPAddrPort(b, to); err != nil {
			t.Fatal(err)
		}
	}
}

func audioPacket(t testing.TB, ssrc uint32, seq uint16, pt uint8) []byte {
	t.Helper()
	p := rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * FrameSamples, SSRC: ssrc},
		Payload: make([]byte, FrameSamples),
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}

func startSession(t testing.TB, n Negotiated, opts SessionOptions) *Session {
	t.Helper()
	opts.IP = loopback
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	s, err := NewSession(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s.Start(n)
	return s
}

// tone is audible PCM whose every frame encodes to something other than
// silence.
func tone(samples int) []int16 {
	pcm := make([]int16, samples)
	for i := range pcm {
		pcm[i] = int16(6000*math.Sin(2*math.Pi*440*float64(i)/8000)) + 500
	}
	return pcm
}

func isSilence(p []byte, silence byte) bool {
	for _, b := range p {
		if b != silence {
			return false
		}
	}
	return true
}

// collectUntilSilence reads packets until want speech packets and then
// three silent ones have arrived.
func collectUntilSilence(t *testing.T, p *rtpPeer, want int, out []rtp.Packet) []rtp.Packet {
	t.Helper()
	speech, quiet := 0, 0
	for speech < want || quiet < 3 {
		r := p.next(t)
		out = append(out, r.pkt)
		if isSilence(r.pkt.Payload, silencePCMU) {
			if speech >= want {
				quiet++
			}
		} else {
			speech++
		}
	}
	return out
}

func TestLoopbackPlay(t *testing.T) {
	peer := newPeer(t)
	s := startSession(t, Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: peer.addr(), Direction: SendRecv}, SessionOptions{})

	ctx := context.Background()
	if err := s.Play(ctx, tone(8000)); err != nil {
		t.Fatalf("play 1 s: %v", err)
	}
	pkts := collectUntilSilence(t, peer, 50, nil)
	if err := s.Play(ctx, tone(8000/5)); err != nil {
		t.Fatalf("play 0.2 s: %v", err)
	}
	pkts = collectUntilSilence(t, peer, 10, pkts)

	var runs []int // lengths of the speech runs
	inSpeech := false
	for i, p := range pkts {
		if p.PayloadType != PCMU.PayloadType || len(p.Payload) != FrameSamples {
			t.Fatalf("packet %d: got PT %d with %d bytes, want PT 0 with 160", i, p.PayloadType, len(p.Payload))
		}
		if i > 0 {
			prev := pkts[i-1]
			if got, want := p.SequenceNumber, prev.SequenceNumber+1; got != want {
				t.Fatalf("packet %d: got seq %d, want %d", i, got, want)
			}
			if got, want := p.Timestamp, prev.Timestamp+FrameSamples; got != want {
				t.Fatalf("packet %d: got ts %d, want %d", i, got, want)
			}
			if p.SSRC != prev.SSRC {
				t.Fatalf("packet %d: got SSRC %#x, want %#x", i, p.SSRC, prev.SSRC)
			}
		}
		speech := !isSilence(p.Payload, silencePCMU)
		if speech && !inSpeech {
			runs = append(runs, 0)
		}
		if speech {
			runs[len(runs)-1]++
		}
		inSpeech = speech
	}
	if want := []int{50, 10}; !slices.Equal(runs, want) {
		t.Errorf("speech runs: got %v packets, want %v", runs, want)
	}
	if !pkts[0].Marker {
		t.Error("first packet: got no marker, want one")
	}
	s.Close() // stops the sender, so the counters are final
	if got := s.Stats().PacketsSent; got < uint64(len(pkts)) {
		t.Errorf("stats: got %d packets sent, want at least %d", got, len(pkts))
	}
}

func TestSymmetricRTP(t *testing.T) {
	sdpPeer, phone, phone2, intruder := newPeer(t), newPeer(t), newPeer(t), newPeer(t)
	s := startSession(t, Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: sdpPeer.addr(), Direction: SendRecv}, SessionOptions{})

	// Until the caller sends, RTP goes where its SDP said.
	if r := sdpPeer.next(t); r.from != s.LocalAddr() {
		t.Fatalf("got RTP from %v, want %v", r.from, s.LocalAddr())
	}
	const ssrc = 0x5EED1234 // the SSRC of the fixtures
	phone.send(t, s.LocalAddr(), audioPacket(t, ssrc, 1, 0))
	if r := phone.next(t); r.from != s.LocalAddr() {
		t.Fatalf("got RTP from %v, want %v", r.from, s.LocalAddr())
	}

	// A stranger with another SSRC does not take the stream over; the
	// digits after it show it has been processed.
	intruder.send(t, s.LocalAddr(), audioPacket(t, 0xBAD, 1, 0))
	for _, f := range []string{"press_5.hex", "double_7.hex", "lost_start_9.hex"} {
		phone.send(t, s.LocalAddr(), readHexPackets(t, f)...)
	}
	var got []byte
	for len(got) < 4 {
		select {
		case d := <-s.Digits():
			got = append(got, d)
		case <-time.After(guard):
			t.Fatalf("got digits %q, want 4", got)
		}
	}
	if string(got) != "5779" {
		t.Errorf("got digits %q, want %q", got, "5779")
	}
	s.mu.Lock()
	latch := s.latchAddr
	s.mu.Unlock()
	if latch != phone.addr() {
		t.Errorf("latched to %v, want %v", latch, phone.addr())
	}
	// Only the stranger was ignored: it came before the digits.
	st := s.Stats()
	if st.PacketsIgnored != 1 {
		t.Errorf("ignored: got %d, want 1", st.PacketsIgnored)
	}

	// The same SSRC from a new address (a NAT rebinding) moves the latch.
	phone2.send(t, s.LocalAddr(), audioPacket(t, ssrc, 2, 0))
	if r := phone2.next(t); r.from != s.LocalAddr() {
		t.Fatalf("got RTP from %v, want %v", r.from, s.LocalAddr())
	}
}

// A re-INVITE changes codec and address without restarting the stream.
func TestStartAgainKeepsSequence(t *testing.T) {
	peer1, peer2 := newPeer(t), newPeer(t)
	s := startSession(t, Negotiated{Codec: PCMU, Remote: peer1.addr(), Direction: SendRecv}, SessionOptions{})
	a := peer1.next(t).pkt
	s.Start(Negotiated{Codec: PCMA, Remote: peer2.addr(), Direction: SendRecv})
	b := peer2.next(t).pkt
	if b.PayloadType != PCMA.PayloadType || !isSilence(b.Payload, silencePCMA) {
		t.Errorf("after re-INVITE: got PT %d payload %x..., want PCMA silence", b.PayloadType, b.Payload[:4])
	}
	if b.SSRC != a.SSRC {
		t.Errorf("SSRC: got %#x, want %#x", b.SSRC, a.SSRC)
	}
	if seqs, tss := b.SequenceNumber-a.SequenceNumber, b.Timestamp-a.Timestamp; seqs == 0 || tss != uint32(seqs)*FrameSamples {
		t.Errorf("from seq %d ts %d to seq %d ts %d: want ts to advance 160 per packet", a.SequenceNumber, a.Timestamp, b.SequenceNumber, b.Timestamp)
	}
}

func TestDeadForSilentPeer(t *testing.T) {
	peer := newPeer(t)
	s := startSession(t, Negotiated{Codec: PCMU, Remote: peer.addr(), Direction: SendRecv},
		SessionOptions{InactivityTimeout: 300 * time.Millisecond})
	select {
	case <-s.Dead():
	case <-time.After(guard):
		t.Fatal("Dead not closed for a silent peer")
	}
}

// After a hold, Dead fires once the call is resumed and stays silent.
func TestDeadAfterResume(t *testing.T) {
	peer := newPeer(t)
	held := Negotiated{Codec: PCMU, Remote: peer.addr(), Direction: RecvOnly, RemoteHold: true}
	s := startSession(t, held, SessionOptions{InactivityTimeout: 100 * time.Millisecond})
	resumed := held
	resumed.Direction, resumed.RemoteHold = SendRecv, false
	s.Start(resumed)
	select {
	case <-s.Dead():
	case <-time.After(guard):
		t.Fatal("Dead not closed after resume")
	}
}

func TestIdle(t *testing.T) {
	const timeout = time.Second
	remote := netip.MustParseAddrPort("127.0.0.1:40000")
	tests := []struct {
		name     string
		n        Negotiated
		silent   time.Duration
		wantDead bool
		wantWait time.Duration
	}{
		{"talking", Negotiated{Codec: PCMU, Remote: remote, Direction: SendRecv}, 200 * time.Millisecond, false, 800 * time.Millisecond},
		{"silent", Negotiated{Codec: PCMU, Remote: remote, Direction: SendRecv}, timeout, true, 0},
		{"hold (sendonly)", Negotiated{Codec: PCMU, Remote: remote, Direction: RecvOnly, RemoteHold: true}, time.Hour, false, 0},
		{"hold (inactive)", Negotiated{Codec: PCMU, Remote: remote, Direction: Inactive, RemoteHold: true}, time.Hour, false, 0},
		{"caller recvonly", Negotiated{Codec: PCMU, Remote: remote, Direction: SendOnly}, time.Hour, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newReceiver(t, tt.n, SessionOptions{InactivityTimeout: timeout})
			s.lastRx.Store(int64(time.Hour))
			dead, wait := s.idle(time.Hour + tt.silent)
			if dead != tt.wantDead || wait != tt.wantWait {
				t.Errorf("got dead %v wait %v, want dead %v wait %v", dead, wait, tt.wantDead, tt.wantWait)
			}
		})
	}
}

// Any RTP from the caller, even of a payload type we ignore, keeps the
// call alive.
func TestComfortNoiseKeepsAlive(t *testing.T) {
	n := Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv}
	s := newReceiver(t, n, SessionOptions{InactivityTimeout: time.Second})
	s.receive(audioPacket(t, 1, 1, 13), phone, 5*time.Second)
	if dead, _ := s.idle(5*time.Second + 500*time.Millisecond); dead {
		t.Error("got dead half a second after a CN packet, want alive")
	}
	if got := s.Stats(); got.PacketsIgnored != 1 || got.PacketsReceived != 0 {
		t.Errorf("got %d ignored, %d received, want 1 and 0", got.PacketsIgnored, got.PacketsReceived)
	}
}

func TestReceiveAudioAndLoss(t *testing.T) {
	var heard int
	n := Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv}
	s := newReceiver(t, n, SessionOptions{OnAudio: func(pcm []int16) { heard += len(pcm) }})
	for _, seq := range []uint16{65534, 65535, 2, 3, 1, 3} { // 0 lost; 1 late; 3 twice
		s.receive(audioPacket(t, 7, seq, 0), phone, time.Duration(seq)*frameTime)
	}
	st := s.Stats()
	if st.PacketsReceived != 6 || st.PacketsLost != 2 || st.PacketsLate != 2 {
		t.Errorf("got received %d lost %d late %d, want 6, 2, 2", st.PacketsReceived, st.PacketsLost, st.PacketsLate)
	}
	if heard != 6*FrameSamples {
		t.Errorf("OnAudio got %d samples, want %d", heard, 6*FrameSamples)
	}
}

func TestPlayCancel(t *testing.T) {
	peer := newPeer(t)
	s := startSession(t, Negotiated{Codec: PCMU, Remote: peer.addr(), Direction: SendRecv}, SessionOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Play(ctx, tone(8000*60)) }()
	for speech := 0; speech < 3; {
		if !isSilence(peer.next(t).pkt.Payload, silencePCMU) {
			speech++
		}
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want %v", err, context.Canceled)
		}
	case <-time.After(guard):
		t.Fatal("Play did not return after cancel")
	}
	// Playback stops: once silence starts it stays.
	for !isSilence(peer.next(t).pkt.Payload, silencePCMU) {
	}
	for i := range 5 {
		if p := peer.next(t).pkt; !isSilence(p.Payload, silencePCMU) {
			t.Fatalf("packet %d after the stop: got speech, want silence", i)
		}
	}
}

func TestCloseEndsPlay(t *testing.T) {
	s, err := NewSession(SessionOptions{IP: loopback})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Play(context.Background(), tone(800)) }() // never started: waits
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("pending play: got %v, want %v", err, ErrClosed)
		}
	case <-time.After(guard):
		t.Fatal("Play did not return after Close")
	}
	if err := s.Play(context.Background(), tone(800)); !errors.Is(err, ErrClosed) {
		t.Errorf("play after close: got %v, want %v", err, ErrClosed)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: got %v, want nil", err)
	}
	s.Start(Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv}) // no-op, no panic
}

// freeEvenPorts finds n consecutive even ports that are free now.
func freeEvenPorts(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		base := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		base -= base % 2
		ok := base+2*n <= 65535
		for i := 0; ok && i < n; i++ {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: base + 2*i})
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Skip("no run of free even ports")
	return 0
}

func TestPortRange(t *testing.T) {
	base := freeEvenPorts(t, 2)
	busy, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: base})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	// Odd bounds: only base and base+2 are candidates, and base is taken.
	s, err := NewSession(SessionOptions{IP: loopback, Ports: PortRange{Min: base - 1, Max: base + 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, want := int(s.LocalAddr().Port()), base+2; got != want {
		t.Errorf("got port %d, want %d", got, want)
	}
	if got := s.LocalAddr().Addr(); got != loopback {
		t.Errorf("got address %v, want %v", got, loopback)
	}
	if _, err := NewSession(SessionOptions{IP: loopback, Ports: PortRange{Min: base, Max: base + 2}}); !errors.Is(err, ErrPortsExhausted) {
		t.Errorf("full range: got %v, want %v", err, ErrPortsExhausted)
	}
	for _, r := range []PortRange{{Min: 10, Max: 5}, {Min: 0, Max: 70000}, {Min: 3, Max: 3}} {
		if s, err := NewSession(SessionOptions{IP: loopback, Ports: r}); err == nil {
			s.Close()
			t.Errorf("range %v: got no error, want one", r)
		}
	}
}

func BenchmarkSendFrame(b *testing.B) {
	// Nothing reads the sink: the kernel drops what does not fit its
	// buffer, and the write still succeeds as it would to a real phone.
	sink, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	to := sink.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, bc := range []struct {
		name   string
		speech bool
	}{{"silence", false}, {"speech", true}} {
		b.Run(bc.name, func(b *testing.B) {
			s := newReceiver(b, Negotiated{Codec: PCMU, Remote: to, Direction: SendRecv}, SessionOptions{})
			job := &playJob{pcm: tone(2 * FrameSamples), done: make(chan struct{})}
			b.ReportAllocs()
			for b.Loop() {
				if bc.speech {
					job.pos = 0
					s.queue = append(s.queue[:0], job)
				}
				s.sendFrame()
			}
			if st := s.Stats(); st.PacketsSent == 0 {
				b.Fatalf("got %+v, want packets sent", st)
			}
		})
	}
}

func BenchmarkReceiveDTMF(b *testing.B) {
	s := newReceiver(b, Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: phone, Direction: SendRecv}, SessionOptions{})
	// 100 presses of 10 packets each, so the detector sees new events and
	// retransmissions in the proportion a phone sends them.
	var pkts [][]byte
	var seq uint16
	for i := range 100 {
		for j := range 10 {
			p := rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: uint32(i) * 4000, SSRC: 9},
				Payload: event{9, uint32(i) * 4000, uint8(i % 16), j >= 7, uint16(j * 160)}.payload(),
			}
			if j < 7 {
				seq++
			}
			buf, _ := p.Marshal()
			pkts = append(pkts, buf)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.receive(pkts[i%len(pkts)], phone, 0)
		i++
		select {
		case <-s.digits:
		default:
		}
	}
}

func BenchmarkReceiveAudio(b *testing.B) {
	s := newReceiver(b, Negotiated{Codec: PCMA, Remote: phone, Direction: SendRecv}, SessionOptions{OnAudio: func([]int16) {}})
	pkt := audioPacket(b, 7, 1, PCMA.PayloadType)
	b.ReportAllocs()
	for b.Loop() {
		s.receive(pkt, phone, 0)
	}
}

// Listen taps the caller's audio for as long as it is on: a voice
// comment hears what came between start and stop, nothing else.
func TestListenStartsAndStops(t *testing.T) {
	n := Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv}
	s := newReceiver(t, n, SessionOptions{})
	var heard int
	s.receive(audioPacket(t, 7, 1, 0), phone, frameTime)
	stop := s.Listen(func(pcm []int16) { heard += len(pcm) })
	s.receive(audioPacket(t, 7, 2, 0), phone, 2*frameTime)
	s.receive(audioPacket(t, 7, 3, 0), phone, 3*frameTime)
	stop()
	s.receive(audioPacket(t, 7, 4, 0), phone, 4*frameTime)
	if want := 2 * FrameSamples; heard != want {
		t.Errorf("listener heard %d samples, want %d (two packets while listening)", heard, want)
	}
}
