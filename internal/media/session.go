package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/rtp"
)

const (
	// FrameSamples is one 20 ms packet of 8 kHz audio.
	FrameSamples = 160
	frameTime    = 20 * time.Millisecond
	// maxLag is how late the sender may fall behind its grid before it
	// restarts the grid instead of catching up with a burst.
	maxLag = 200 * time.Millisecond
	// maxDropout is the largest forward sequence jump taken as loss rather
	// than as a restarted stream (RFC 3550 A.1).
	maxDropout       = 3000
	defaultTimeout   = 30 * time.Second
	digitQueue       = 32
	rtpHeaderSize    = 12
	maxDatagram      = 2048
	samplesPerSecond = 8000
)

var (
	// ErrClosed is returned by Play once the session is closed.
	ErrClosed = errors.New("media session closed")
	// ErrPortsExhausted means every even port of the range is taken.
	ErrPortsExhausted = errors.New("no free rtp port")
)

// PortRange bounds the local RTP ports. Only even ports are used (RFC 3550
// §11). The zero range lets the operating system pick any port.
type PortRange struct{ Min, Max int }

// SessionOptions configures NewSession.
type SessionOptions struct {
	// IP is the local address to bind and advertise; unset binds 0.0.0.0,
	// which the SDP answer cannot advertise.
	IP    netip.Addr
	Ports PortRange
	// InactivityTimeout closes Dead when the caller sends no RTP for this
	// long; 0 means 30 s, negative disables.
	InactivityTimeout time.Duration
	Logger            *slog.Logger
	// OnAudio, if set, receives each audio packet from the caller decoded
	// to 8 kHz linear PCM. It runs on the receive goroutine and pcm is
	// reused once it returns: copy what you keep, and return quickly.
	OnAudio func(pcm []int16)

	clock clock // tests substitute a fake; nil is the system clock
}

// Stats counts a session's traffic.
type Stats struct {
	PacketsSent     uint64
	OctetsSent      uint64 // RTP payload octets, as RTCP counts them
	PacketsReceived uint64 // accepted: expected source and payload type
	OctetsReceived  uint64
	PacketsLost     uint64        // gaps in the caller's sequence numbers
	PacketsLate     uint64        // audio packets that came out of order or twice
	PacketsIgnored  uint64        // not RTP, unexpected payload type or source
	Jitter          time.Duration // RFC 3550 interarrival jitter of the audio
	Resyncs         uint64        // times the sender restarted its grid after a stall
}

// Session is the RTP stream of one call leg.
type Session struct {
	log     *slog.Logger
	conn    *net.UDPConn
	local   netip.AddrPort
	timeout time.Duration
	onAudio func([]int16)
	// listener is set and cleared while the call runs (a voice comment
	// being recorded); onAudio is fixed for the session's life.
	listener atomic.Pointer[func([]int16)]
	clk      clock
	epoch    time.Time

	digits chan byte
	dead   chan struct{}
	closed chan struct{}
	kick   chan struct{} // wakes the watchdog after Start changed the state

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	lastRx atomic.Int64 // time since epoch of the last packet from the caller

	mu        sync.Mutex
	started   bool
	isClosed  bool
	neg       Negotiated
	law       law
	latched   bool
	latchAddr netip.AddrPort
	latchSSRC uint32
	queue     []*playJob
	// Set while bridged: relayIn takes the caller's audio and keys to the
	// other session, relayOut is the other caller's, played instead of
	// silence.
	bridge   *Bridge
	relayIn  *relay
	relayOut *relay

	// Owned by the send goroutine.
	pkt        rtp.Packet
	payload    [FrameSamples]byte
	out        [rtpHeaderSize + FrameSamples]byte
	sendFailed bool
	relayPCM   [FrameSamples]int16
	event      eventSender
	evPayload  [4]byte

	// Owned by the receive goroutine.
	rx       rtp.Packet
	rxBuf    [maxDatagram]byte
	pcm      [maxDatagram]int16
	dtmf     dtmfDetector
	seq      seqTracker
	jit      jitterMeter
	counters counters
}

type counters struct {
	sent, sentOctets, recv, recvOctets, lost, late, ignored, resyncs atomic.Uint64
	jitter                                                           atomic.Int64
}

// playJob is one Play call: the sender consumes pcm a frame at a time and
// closes done after the last frame went out.
type playJob struct {
	pcm  []int16
	pos  int
	done chan struct{}
	err  error
}

// NewSession binds an RTP socket. Nothing is sent or read before Start.
func NewSession(opts SessionOptions) (*Session, error) {
	ip := opts.IP
	if !ip.IsValid() {
		ip = netip.IPv4Unspecified()
	}
	ip = ip.Unmap()
	conn, err := listenRTP(ip, opts.Ports)
	if err != nil {
		return nil, err
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	s := &Session{
		log:     opts.Logger,
		conn:    conn,
		local:   netip.AddrPortFrom(ip, uint16(port)),
		timeout: opts.InactivityTimeout,
		onAudio: opts.OnAudio,
		clk:     opts.clock,
		epoch:   time.Now(),
		digits:  make(chan byte, digitQueue),
		dead:    make(chan struct{}),
		closed:  make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("rtp_local", s.local.String())
	if s.timeout == 0 {
		s.timeout = defaultTimeout
	}
	if s.clk == nil {
		s.clk = &systemClock{}
	}
	s.pkt.Version = 2
	s.pkt.SSRC = rand.Uint32()
	s.pkt.SequenceNumber = uint16(rand.Uint32())
	s.pkt.Timestamp = rand.Uint32()
	s.pkt.Marker = true // first packet of the stream (RFC 3551 §4.1)
	return s, nil
}

// listenRTP binds the first free even port of r, starting at a random one
// so consecutive calls do not reuse a port that may still get stray
// packets from the call before.
func listenRTP(ip netip.Addr, r PortRange) (*net.UDPConn, error) {
	network := "udp4"
	if ip.Is6() {
		network = "udp6"
	}
	if r.Min == 0 && r.Max == 0 {
		conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, fmt.Errorf("open rtp port: %w", err)
		}
		return conn, nil
	}
	lo := r.Min + r.Min%2
	if r.Min < 1 || r.Max > 65535 || lo > r.Max {
		return nil, fmt.Errorf("open rtp port: invalid range %d-%d", r.Min, r.Max)
	}
	count := (r.Max-lo)/2 + 1
	first := rand.IntN(count)
	for i := range count {
		port := lo + 2*((first+i)%count)
		conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port))))
		if err == nil {
			return conn, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("open rtp port %d: %w", port, err)
		}
	}
	return nil, fmt.Errorf("open rtp port in %d-%d: %w", r.Min, r.Max, ErrPortsExhausted)
}

// LocalAddr is the address to put in the SDP answer.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Digits delivers the caller's keys, from RFC 4733 and InjectDigit alike.
func (s *Session) Digits() <-chan byte { return s.digits }

// Dead is closed when the caller has sent no RTP for InactivityTimeout
// while it was expected to send (not holding, not recvonly).
func (s *Session) Dead() <-chan struct{} { return s.dead }

// Start begins sending and receiving with the negotiated parameters. A
// later call (re-INVITE) switches remote address, codec and direction in
// place: sequence numbers, timestamps and SSRC carry on.
func (s *Session) Start(n Negotiated) {
	l, err := lawOf(n.Codec)
	if err != nil {
		s.log.Error("rtp start", "err", err)
		return
	}
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return
	}
	first := !s.started
	if !first && n.Remote != s.neg.Remote {
		// The caller moved its media: learn the source again.
		s.latched = false
	}
	s.neg, s.law, s.started = n, l, true
	// Inactivity counts from the (re)negotiation, not from the last packet
	// before a hold.
	s.lastRx.Store(int64(time.Since(s.epoch)))
	if first {
		// Under mu so Close cannot be waiting on the group already.
		s.wg.Add(2)
		go s.sendLoop()
		go s.recvLoop()
		if s.timeout > 0 {
			s.wg.Add(1)
			go s.watch()
		}
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
	msg := "rtp started"
	if !first {
		msg = "rtp updated"
	}
	s.log.Info(msg, "remote", n.Remote.String(), "codec", n.Codec.Name, "pt", n.Codec.PayloadType,
		"dtmf_pt", n.DTMFPayloadType, "has_dtmf", n.HasDTMF, "direction", n.Direction, "remote_hold", n.RemoteHold)
}

// Play sends 8 kHz mono linear PCM to the caller after whatever is queued
// before it, and returns nil once the last frame has gone out. If ctx ends
// first it returns ctx.Err() and playback stops at the next frame. While
// the answer does not let us send (hold), the audio is consumed at the same
// pace without being transmitted, so prompts keep their timing. While the
// session is bridged it returns ErrBridged.
func (s *Session) Play(ctx context.Context, pcm []int16) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	job := &playJob{pcm: pcm, done: make(chan struct{})}
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.bridge != nil {
		s.mu.Unlock()
		return ErrBridged
	}
	if len(pcm) == 0 {
		s.mu.Unlock()
		return nil
	}
	s.queue = append(s.queue, job)
	s.mu.Unlock()
	select {
	case <-job.done:
		return job.err
	case <-ctx.Done():
	}
	s.mu.Lock()
	for i, j := range s.queue {
		if j == job {
			// Removed under mu: the sender no longer reads pcm once we
			// return, so the caller may reuse it.
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			s.mu.Unlock()
			return ctx.Err()
		}
	}
	s.mu.Unlock()
	// The sender took the last frame already; it closes done right after
	// writing it.
	<-job.done
	return job.err
}

// InjectDigit delivers a key learnt elsewhere (SIP INFO) on Digits, and
// to the other session while bridged, like a key sent as RFC 4733.
// Anything but 0-9, *, #, A-D is dropped.
func (s *Session) InjectDigit(d byte) {
	key, ok := normalizeDigit(d)
	if !ok {
		s.log.Warn("ignored invalid digit", "digit", int(d))
		return
	}
	s.emit(key, "inject")
	s.mu.Lock()
	in := s.relayIn
	s.mu.Unlock()
	s.relayKey(in, key)
}

// relayKey passes a key on to the bridged session, if any.
func (s *Session) relayKey(in *relay, d byte) {
	if in != nil && !in.pushKey(d) {
		s.log.Warn("relayed digit dropped: too many waiting", "digit", digitString(d))
	}
}

// bridgeOf is the session's bridge, if any; the caller holds bridging.
func (s *Session) bridgeOf() *Bridge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bridge
}

// attach joins br, reading from in and playing out, and ends the queued
// prompts. It reports false if the session is closed. The caller holds
// bridging.
func (s *Session) attach(br *Bridge, in, out *relay) bool {
	s.mu.Lock()
	if s.isClosed {
		s.mu.Unlock()
		return false
	}
	s.bridge, s.relayIn, s.relayOut = br, in, out
	queue := s.queue
	s.queue = nil
	s.mu.Unlock()
	for _, j := range queue {
		j.err = ErrBridged
		close(j.done)
	}
	return true
}

// detach leaves br, if the session is still in it. The caller holds
// bridging.
func (s *Session) detach(br *Bridge) {
	s.mu.Lock()
	if s.bridge == br {
		s.bridge, s.relayIn, s.relayOut = nil, nil, nil
	}
	s.mu.Unlock()
}

func (s *Session) emit(d byte, source string) {
	select {
	case s.digits <- d:
		if s.log.Enabled(context.Background(), slog.LevelDebug) {
			s.log.Debug("digit", "digit", digitString(d), "source", source)
		}
	default:
		s.log.Warn("digit dropped: nobody reads them", "digit", digitString(d), "source", source)
	}
}

// Stats returns the counters so far.
func (s *Session) Stats() Stats {
	c := &s.counters
	return Stats{
		PacketsSent:     c.sent.Load(),
		OctetsSent:      c.sentOctets.Load(),
		PacketsReceived: c.recv.Load(),
		OctetsReceived:  c.recvOctets.Load(),
		PacketsLost:     c.lost.Load(),
		PacketsLate:     c.late.Load(),
		PacketsIgnored:  c.ignored.Load(),
		Jitter:          time.Duration(c.jitter.Load()),
		Resyncs:         c.resyncs.Load(),
	}
}

// Close stops the session and releases its port. Pending Play calls
// return ErrClosed. Dead is not closed by Close.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.isClosed = true
		br := s.bridge
		s.mu.Unlock()
		if br != nil {
			br.end("session closed")
		}
		close(s.closed)
		if err := s.conn.Close(); err != nil {
			s.closeErr = fmt.Errorf("close rtp socket: %w", err)
		}
		s.wg.Wait()
		s.mu.Lock()
		queue := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, j := range queue {
			j.err = ErrClosed
			close(j.done)
		}
		st := s.Stats()
		s.log.Debug("rtp closed", "sent", st.PacketsSent, "received", st.PacketsReceived,
			"lost", st.PacketsLost, "late", st.PacketsLate, "ignored", st.PacketsIgnored,
			"jitter", st.Jitter, "resyncs", st.Resyncs)
	})
	return s.closeErr
}

func (s *Session) sendLoop() {
	defer s.wg.Done()
	p := newPacer(s.clk, frameTime, maxLag)
	for p.wait(s.closed) {
		if p.resyncs != s.counters.resyncs.Load() {
			s.counters.resyncs.Store(p.resyncs)
			s.log.Warn("rtp sender stalled, resynchronised", "max_lag", maxLag)
		}
		s.sendFrame()
	}
}

// sendFrame sends the next 20 ms: a relayed key press, the bridged
// session's audio, the head of the play queue or silence. The timestamp
// advances every frame, sent or not, because it tracks the sampling clock;
// the sequence number only counts packets sent.
func (s *Session) sendFrame() {
	var finished *playJob
	s.mu.Lock()
	l := s.law
	pt := s.neg.Codec.PayloadType
	dtmfPT, hasDTMF := s.neg.DTMFPayloadType, s.neg.HasDTMF
	dest, send := s.destLocked()
	out := s.relayOut
	switch {
	case out != nil:
		// Bridged: filled below, outside mu.
	case len(s.queue) > 0:
		j := s.queue[0]
		n := min(FrameSamples, len(j.pcm)-j.pos)
		l.encode(s.payload[:n], j.pcm[j.pos:j.pos+n])
		fill(s.payload[n:], l.silence())
		j.pos += n
		if j.pos >= len(j.pcm) {
			s.queue[0] = nil
			s.queue = s.queue[1:]
			finished = j
		}
	default:
		fill(s.payload[:], l.silence())
	}
	s.mu.Unlock()

	if out != nil {
		// The queue is drained even while an event replaces the audio, so
		// the other caller's voice does not fall behind.
		key, ok := out.pull(s.relayPCM[:], !s.event.active)
		l.encode(s.payload[:], s.relayPCM[:])
		if ok {
			s.startEvent(out, key, hasDTMF)
		}
	}
	if !hasDTMF {
		// A re-INVITE took telephone-event away mid-event.
		s.event.active = false
	}
	audioTS := s.pkt.Timestamp
	payload := s.payload[:]
	if s.event.active {
		s.pkt.Marker = s.event.next(s.evPayload[:]) || s.pkt.Marker
		pt, payload = dtmfPT, s.evPayload[:]
		s.pkt.Timestamp = s.event.ts
	}

	if send {
		s.pkt.PayloadType = pt
		s.pkt.Payload = payload
		n, err := s.pkt.MarshalTo(s.out[:])
		if err == nil {
			_, err = s.conn.WriteToUDPAddrPort(s.out[:n], dest)
		}
		switch {
		case err == nil:
			s.sendFailed = false
			s.counters.sent.Add(1)
			s.counters.sentOctets.Add(uint64(len(payload)))
		case !s.sendFailed:
			// Once per outage, not 50 times a second.
			s.sendFailed = true
			s.log.Warn("send rtp", "remote", dest.String(), "err", err)
		}
		// RFC 4733 §2.5.1.6: repeated end packets take new numbers too.
		s.pkt.SequenceNumber++
		s.pkt.Marker = false
	}
	s.pkt.Timestamp = audioTS + FrameSamples
	if finished != nil {
		close(finished.done)
	}
}

// startEvent begins sending a key press relayed from the bridged session
// as an RFC 4733 event on our clock, starting at this frame.
func (s *Session) startEvent(from *relay, key byte, hasDTMF bool) {
	code, ok := digitEvent(key)
	if !ok || !hasDTMF {
		from.keySent(false)
		s.log.Debug("relayed digit dropped: no telephone-event negotiated", "digit", digitString(key))
		return
	}
	from.keySent(true)
	s.event = eventSender{active: true, code: code, ts: s.pkt.Timestamp}
}

// destLocked is where to send, and whether to send at all: to the latched
// source once the caller has sent us RTP, else to its SDP address.
func (s *Session) destLocked() (netip.AddrPort, bool) {
	if !s.neg.Sending() {
		return netip.AddrPort{}, false
	}
	dest := s.neg.Remote
	if s.latched {
		dest = s.latchAddr
	}
	return dest, dest.Port() != 0 && !dest.Addr().IsUnspecified()
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

func (s *Session) recvLoop() {
	defer s.wg.Done()
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(s.rxBuf[:])
		if err != nil {
			select {
			case <-s.closed:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Debug("read rtp", "err", err)
			continue
		}
		s.receive(s.rxBuf[:n], from, time.Since(s.epoch))
	}
}

// receive handles one datagram that arrived at the given time since epoch.
//
// Symmetric RTP: the first packet of an expected payload type latches the
// destination to its source. After that, packets from another source are
// accepted (and move the latch) only if they carry the latched SSRC, as
// after a NAT rebinding; others are ignored. A changed SDP address in
// Start forgets the latch.
func (s *Session) receive(b []byte, from netip.AddrPort, now time.Duration) {
	if err := s.rx.Unmarshal(b); err != nil || s.rx.Version != 2 {
		s.counters.ignored.Add(1)
		return
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	ssrc := s.rx.SSRC
	var latched, moved bool

	s.mu.Lock()
	if !s.started || (s.latched && from != s.latchAddr && ssrc != s.latchSSRC) {
		s.mu.Unlock()
		s.counters.ignored.Add(1)
		return
	}
	pt := s.rx.PayloadType
	audio := pt == s.neg.Codec.PayloadType
	dtmf := s.neg.HasDTMF && pt == s.neg.DTMFPayloadType
	l := s.law
	in := s.relayIn
	if audio || dtmf {
		switch {
		case !s.latched:
			s.latched, s.latchAddr, latched = true, from, true
		case from != s.latchAddr:
			s.latchAddr, moved = from, true
		}
		s.latchSSRC = ssrc
	}
	s.mu.Unlock()

	// Any RTP from the caller proves it alive, comfort noise included.
	s.lastRx.Store(int64(now))
	if latched || moved {
		s.log.Info("rtp source latched", "from", from.String(), "ssrc", ssrc, "moved", moved)
	}
	if !audio && !dtmf {
		s.counters.ignored.Add(1)
		return
	}
	s.counters.recv.Add(1)
	s.counters.recvOctets.Add(uint64(len(s.rx.Payload)))
	lost, late := s.seq.update(ssrc, s.rx.SequenceNumber)
	s.counters.lost.Add(lost)

	if dtmf {
		if d, ok := s.dtmf.feed(ssrc, s.rx.Timestamp, s.rx.Payload); ok {
			s.emit(d, "rfc4733")
			s.relayKey(in, d)
		}
		return
	}
	if late {
		// RFC 4733 repeats its end packets with one sequence number, so
		// only audio is counted late.
		s.counters.late.Add(1)
		// Too late for the bridge: its place in the queue has gone.
		in = nil
	}
	s.counters.jitter.Store(int64(s.jit.update(ssrc, s.rx.Timestamp, now)))
	lis := s.listener.Load()
	if s.onAudio == nil && in == nil && lis == nil {
		return
	}
	n := min(len(s.rx.Payload), len(s.pcm))
	l.decode(s.pcm[:n], s.rx.Payload[:n])
	if in != nil {
		in.push(s.pcm[:n])
	}
	if s.onAudio != nil {
		s.onAudio(s.pcm[:n])
	}
	if lis != nil {
		(*lis)(s.pcm[:n])
	}
}

// Listen hands each audio packet from the caller, decoded to 8 kHz PCM,
// to fn until the returned stop is called (as for SessionOptions.OnAudio:
// fn runs on the receive goroutine, pcm is reused, return quickly). One
// listener at a time: a new one replaces the old.
func (s *Session) Listen(fn func(pcm []int16)) (stop func()) {
	p := &fn
	s.listener.Store(p)
	return func() { s.listener.CompareAndSwap(p, nil) }
}

// seqTracker counts loss from gaps in one source's sequence numbers.
type seqTracker struct {
	ssrc uint32
	max  uint16
	have bool
}

// update returns the packets skipped before seq, and whether seq is a
// duplicate or arrived after a later one.
func (t *seqTracker) update(ssrc uint32, seq uint16) (lost uint64, late bool) {
	if !t.have || ssrc != t.ssrc {
		t.ssrc, t.max, t.have = ssrc, seq, true
		return 0, false
	}
	d := int16(seq - t.max)
	if d <= 0 {
		return 0, true
	}
	t.max = seq
	if d > maxDropout {
		// The sender restarted its sequence: not loss.
		return 0, false
	}
	return uint64(d - 1), false
}

// jitterMeter is the RFC 3550 §6.4.1 interarrival jitter estimate, kept in
// timestamp units scaled by 16 as in its appendix A.8.
type jitterMeter struct {
	ssrc    uint32
	transit int64
	j16     int64
	have    bool
}

func (m *jitterMeter) update(ssrc, ts uint32, arrival time.Duration) time.Duration {
	units := int64(arrival) / int64(time.Second/samplesPerSecond)
	// uint32 wrap-around of ts is harmless: only differences count.
	transit := units - int64(ts)
	if !m.have || ssrc != m.ssrc {
		m.ssrc, m.transit, m.j16, m.have = ssrc, transit, 0, true
		return 0
	}
	d := transit - m.transit
	m.transit = transit
	// Transit differences across a ts wrap would be off by 2^32.
	d = int64(int32(d))
	if d < 0 {
		d = -d
	}
	m.j16 += d - (m.j16+8)>>4
	return time.Duration(m.j16>>4) * (time.Second / samplesPerSecond)
}

// watch closes dead once the caller has been silent for the timeout while
// it was expected to send.
func (s *Session) watch() {
	defer s.wg.Done()
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	for {
		select {
		case <-s.closed:
			return
		case <-s.kick:
		case <-t.C:
		}
		dead, wait := s.idle(time.Since(s.epoch))
		if dead {
			s.log.Info("rtp inactivity timeout", "timeout", s.timeout)
			close(s.dead)
			return
		}
		if wait > 0 {
			t.Reset(wait)
		} else {
			// Suspended until the next Start.
			t.Stop()
		}
	}
}

// idle decides at now (since epoch) whether the caller is dead, else how
// long to wait before asking again; 0 means the check is suspended.
func (s *Session) idle(now time.Duration) (dead bool, wait time.Duration) {
	s.mu.Lock()
	expect := s.neg.remoteSends()
	s.mu.Unlock()
	if !expect {
		return false, 0
	}
	silent := now - time.Duration(s.lastRx.Load())
	if silent >= s.timeout {
		return true, 0
	}
	return false, s.timeout - silent
}
