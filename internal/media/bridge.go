package media

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"sync"
)

// ErrBridged is returned by Play while the session is bridged: the other
// party's voice owns the stream, and announcements over a conversation are
// not needed yet.
var ErrBridged = errors.New("media session is bridged")

const (
	// relayFrames bounds each direction's queue. Packets reach the
	// receive goroutine unevenly while the listener's sender takes one
	// frame every 20 ms on its own grid; a frame that comes late makes the
	// sender play silence once, after which the queue holds one frame more
	// and absorbs that much jitter from then on. The cap keeps the delay
	// this adds to 80 ms: past it the oldest audio goes, as it would be
	// too late to be worth hearing.
	relayFrames = 4
	// relayKeys is how many key presses may wait for the listener's
	// sender; a person cannot press faster than events are sent.
	relayKeys = 8
)

// Relayed key presses go out as RFC 4733 events of a fixed length rather
// than mirroring the talker's: the detector reports a press at its first
// packet, so the relay adds no delay, and a lost end packet on the way in
// cannot leave a tone stuck on the way out.
const (
	eventFrames = 5 // 100 ms of tone, long enough for any receiver
	eventCopies = 3 // the final packet goes out three times (RFC 4733 §2.5.1.4)
	eventVolume = 10
	eventEnd    = 0x80
)

// BridgeOptions configures NewBridge.
type BridgeOptions struct {
	// Tap, if set, receives every 20 ms of bridged audio of each side as
	// 8 kHz PCM: dir 0 is a's voice (the caller), 1 is b's voice (the
	// agent). Each side delivers 50 frames a second from the start of the
	// bridge, silence included, so the n-th frames of both directions
	// cover the same 20 ms (within one frame), except after a stall that
	// made a sender skip frames (see maxLag). Calls come from the sessions'
	// send goroutines but never two at once, and none starts after Stop
	// has returned. pcm is reused once Tap returns; Tap must return
	// quickly and must not call Stop or Close.
	Tap    func(dir int, pcm []int16)
	Logger *slog.Logger
}

// RelayStats counts one direction of a bridge.
type RelayStats struct {
	FramesRelayed uint64 // 20 ms frames of the talker's audio passed on
	FramesDropped uint64 // discarded because the queue was full
	FramesSilence uint64 // silence played because the queue ran dry: late, lost or no audio
	DigitsRelayed uint64 // key presses sent on as RFC 4733 events
	DigitsDropped uint64 // key presses lost: the listener has no telephone-event, or too many at once
}

// BridgeStats counts both directions of a bridge.
type BridgeStats struct {
	AToB RelayStats // a's voice, Tap direction 0
	BToA RelayStats // b's voice, Tap direction 1
}

// Bridge connects the media of two sessions both ways. It runs no
// goroutine of its own: each session's receive goroutine feeds the other's
// queue, and each session's paced sender plays its queue in place of
// silence, encoded with its own codec (which transcodes PCMU and PCMA) and
// with its own sequence numbers and timestamps, so neither stream
// restarts.
type Bridge struct {
	a, b   *Session
	log    *slog.Logger
	relays [2]relay // indexed by Tap direction
	done   chan struct{}
	ended  bool // under bridging

	tap    func(int, []int16)
	tapMu  sync.Mutex
	tapOff bool
}

// bridging serialises bridges starting and ending, so a session is never
// claimed by two at once and NewBridge(a, b) racing NewBridge(b, a) cannot
// deadlock on the sessions' locks.
var bridging sync.Mutex

// NewBridge connects two sessions both ways until Stop or until either
// session closes. Both should be started. A session already in a bridge
// leaves it (that bridge ends), as when a call is transferred. Play
// requests queued on either session end with ErrBridged.
func NewBridge(a, b *Session, opts BridgeOptions) *Bridge {
	br := &Bridge{a: a, b: b, log: opts.Logger, tap: opts.Tap, done: make(chan struct{})}
	if br.log == nil {
		br.log = slog.New(slog.DiscardHandler)
	}
	for i := range br.relays {
		br.relays[i].dir, br.relays[i].br = i, br
	}
	bridging.Lock()
	defer bridging.Unlock()
	if a == nil || b == nil || a == b {
		br.log.Error("bridge not started: need two distinct sessions")
		br.endLocked("invalid")
		return br
	}
	br.log = br.log.With("bridge_a", a.local.String(), "bridge_b", b.local.String())
	for _, s := range [2]*Session{a, b} {
		if old := s.bridgeOf(); old != nil {
			old.endLocked("replaced")
		}
	}
	if !a.attach(br, &br.relays[0], &br.relays[1]) || !b.attach(br, &br.relays[1], &br.relays[0]) {
		br.log.Info("bridge not started: session closed")
		br.endLocked("session closed")
		return br
	}
	br.log.Info("bridge started")
	return br
}

// Stop disconnects the sessions: each goes back to silence between
// prompts. A relayed key press being sent finishes properly. Stop may be
// called more than once.
func (br *Bridge) Stop() { br.end("stopped") }

// Done is closed once the bridge has ended, by Stop or a session closing.
func (br *Bridge) Done() <-chan struct{} { return br.done }

// Stats returns the counters so far.
func (br *Bridge) Stats() BridgeStats {
	return BridgeStats{AToB: br.relays[0].stats(), BToA: br.relays[1].stats()}
}

func (br *Bridge) end(reason string) {
	bridging.Lock()
	defer bridging.Unlock()
	br.endLocked(reason)
}

func (br *Bridge) endLocked(reason string) {
	if br.ended {
		return
	}
	br.ended = true
	if br.a != nil {
		br.a.detach(br)
	}
	if br.b != nil {
		br.b.detach(br)
	}
	// Waits for a Tap call in progress, so the recorder may finish its
	// file once Stop has returned.
	br.tapMu.Lock()
	br.tapOff = true
	br.tapMu.Unlock()
	close(br.done)
	st := br.Stats()
	br.log.Info("bridge ended", "reason", reason,
		"a_to_b_frames", st.AToB.FramesRelayed, "a_to_b_dropped", st.AToB.FramesDropped, "a_to_b_silence", st.AToB.FramesSilence,
		"b_to_a_frames", st.BToA.FramesRelayed, "b_to_a_dropped", st.BToA.FramesDropped, "b_to_a_silence", st.BToA.FramesSilence)
}

func (br *Bridge) tapFrame(dir int, pcm []int16) {
	if br.tap == nil {
		return
	}
	br.tapMu.Lock()
	if !br.tapOff {
		br.tap(dir, pcm)
	}
	br.tapMu.Unlock()
}

// relay is one direction of a bridge: a queue of the talker's samples,
// filled by the talker's receive goroutine and drained a frame per tick by
// the listener's sender, plus the talker's key presses waiting to be sent.
// Samples rather than packets are queued so a phone sending 10 or 30 ms
// packets still comes out as 20 ms frames.
type relay struct {
	dir int
	br  *Bridge

	mu      sync.Mutex
	ring    [relayFrames * FrameSamples]int16
	head    int // first queued sample
	n       int // queued samples
	keys    [relayKeys]byte
	nkeys   int
	dropped uint64 // samples, reported in frames
	st      RelayStats
}

// push queues the talker's audio, dropping the oldest samples if it does
// not fit.
func (r *relay) push(pcm []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if extra := len(pcm) - len(r.ring); extra > 0 {
		r.dropped += uint64(extra)
		pcm = pcm[extra:]
	}
	if over := r.n + len(pcm) - len(r.ring); over > 0 {
		r.head = (r.head + over) % len(r.ring)
		r.n -= over
		r.dropped += uint64(over)
	}
	tail := (r.head + r.n) % len(r.ring)
	c := copy(r.ring[tail:], pcm)
	copy(r.ring[:], pcm[c:])
	r.n += len(pcm)
}

// pull fills dst with the next frame, or silence if a whole one is not
// there yet, and passes it to the tap. If wantKey it also returns the
// oldest waiting key press.
func (r *relay) pull(dst []int16, wantKey bool) (key byte, ok bool) {
	r.mu.Lock()
	if r.n < len(dst) {
		clear(dst)
		r.st.FramesSilence++
	} else {
		c := copy(dst, r.ring[r.head:])
		copy(dst[c:], r.ring[:])
		r.head = (r.head + len(dst)) % len(r.ring)
		r.n -= len(dst)
		r.st.FramesRelayed++
	}
	if wantKey && r.nkeys > 0 {
		key, ok = r.keys[0], true
		copy(r.keys[:], r.keys[1:r.nkeys])
		r.nkeys--
	}
	r.mu.Unlock()
	r.br.tapFrame(r.dir, dst)
	return key, ok
}

// pushKey queues a key press and reports false if too many are waiting.
func (r *relay) pushKey(d byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.nkeys == len(r.keys) {
		r.st.DigitsDropped++
		return false
	}
	r.keys[r.nkeys] = d
	r.nkeys++
	return true
}

// keySent counts a key press taken by the listener's sender.
func (r *relay) keySent(sent bool) {
	r.mu.Lock()
	if sent {
		r.st.DigitsRelayed++
	} else {
		r.st.DigitsDropped++
	}
	r.mu.Unlock()
}

func (r *relay) stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.FramesDropped = r.dropped / FrameSamples
	return st
}

// eventSender writes the packets of one outgoing RFC 4733 event. It
// replaces the audio frames of its duration: packet i goes out in the
// i-th frame slot with the duration up to the end of that slot, all with
// the timestamp of the first slot; the last update is the end packet and
// is sent eventCopies times.
type eventSender struct {
	active bool
	code   uint8
	ts     uint32
	n      int // packets written
}

// next writes the next packet's payload into p (4 bytes) and reports
// whether it is the event's first packet, which carries the marker bit.
func (e *eventSender) next(p []byte) (first bool) {
	i := e.n
	e.n++
	p[0] = e.code
	p[1] = eventVolume
	if i >= eventFrames-1 {
		p[1] |= eventEnd
	}
	binary.BigEndian.PutUint16(p[2:4], uint16(min(i+1, eventFrames)*FrameSamples))
	if e.n == eventFrames+eventCopies-1 {
		e.active = false
	}
	return i == 0
}
