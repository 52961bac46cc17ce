package media

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The two phones of a bridged call: the caller's negotiated PCMU with
// telephone-event 101, the agent's PCMA with telephone-event 96.
var (
	callerCodec = Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Direction: SendRecv}
	agentCodec  = Negotiated{Codec: PCMA, DTMFPayloadType: 96, HasDTMF: true, Direction: SendRecv}
)

type leg struct {
	phone *rtpPeer
	s     *Session
	n     Negotiated
}

// newLeg starts a session talking to a fresh phone with the codecs of n.
func newLeg(t *testing.T, n Negotiated) leg {
	t.Helper()
	phone := newPeer(t)
	n.Remote = phone.addr()
	return leg{phone: phone, s: startSession(t, n, SessionOptions{}), n: n}
}

// chirp sweeps 300 to 1500 Hz over its length, so no two of its frames
// look alike and a frame that arrives can be placed in the original.
func chirp(samples int) []int16 {
	pcm := make([]int16, samples)
	const f0, f1 = 300.0, 1500.0
	T := float64(samples) / samplesPerSecond
	for i := range pcm {
		x := float64(i) / samplesPerSecond
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*(f0*x+(f1-f0)*x*x/(2*T))))
	}
	return pcm
}

// phoneStream encodes pcm as the RTP packets a phone sends, with its own
// SSRC, sequence numbers and timestamps.
func phoneStream(t testing.TB, pcm []int16, c Codec, ssrc uint32) [][]byte {
	t.Helper()
	var out [][]byte
	for i := 0; i+FrameSamples <= len(pcm); i += FrameSamples {
		p := rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: c.PayloadType, SequenceNumber: uint16(1000 + i/FrameSamples), Timestamp: 50000 + uint32(i), SSRC: ssrc, Marker: i == 0},
			Payload: make([]byte, FrameSamples),
		}
		if _, err := Encode(p.Payload, pcm[i:i+FrameSamples], c); err != nil {
			t.Fatal(err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// sendPaced sends pkts one every 20 ms, as a phone does.
func (p *rtpPeer) sendPaced(t testing.TB, to netip.AddrPort, pkts [][]byte) {
	t.Helper()
	talkPaced(t, talk{p, to, pkts})
}

// talk is what one phone says.
type talk struct {
	phone *rtpPeer
	to    netip.AddrPort
	pkts  [][]byte
}

// talkPaced sends the packets of every talk one every 20 ms, all at once.
func talkPaced(t testing.TB, talks ...talk) {
	t.Helper()
	tick := time.NewTicker(frameTime)
	defer tick.Stop()
	for i := 0; ; i++ {
		sent := false
		for _, tk := range talks {
			if i < len(tk.pkts) {
				tk.phone.send(t, tk.to, tk.pkts[i])
				sent = true
			}
		}
		if !sent {
			return
		}
		<-tick.C
	}
}

// pressPackets is one key press as a phone sends it: updates with growing
// duration, then three end packets, all with the timestamp of the key-down.
func pressPackets(t testing.TB, pt uint8, ssrc uint32, ev uint8) [][]byte {
	t.Helper()
	var out [][]byte
	seq := uint16(3000)
	for i := range 9 {
		end := i >= 6
		dur := uint16(min(i, 6) * FrameSamples)
		p := rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: 90000, SSRC: ssrc, Marker: i == 0},
			Payload: event{ssrc, 90000, ev, end, dur}.payload(),
		}
		seq++
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// collectTalk reads audio packets of payload type pt until speech has
// come and then 15 frames of silence; other payload types are kept too.
func collectTalk(t *testing.T, p *rtpPeer, c Codec) []rtp.Packet {
	t.Helper()
	silence, err := Silence(c)
	if err != nil {
		t.Fatal(err)
	}
	var out []rtp.Packet
	speech, quiet := 0, 0
	for speech == 0 || quiet < 15 {
		// 10 s of packets: a bridge that never relays, or never goes
		// quiet, fails here rather than at the test timeout.
		if len(out) >= 500 {
			t.Fatalf("peer %v: %d packets with %d of speech and no 15 frames of silence after it", p.addr(), len(out), speech)
		}
		r := p.next(t)
		out = append(out, r.pkt)
		if r.pkt.PayloadType != c.PayloadType {
			continue
		}
		if isSilence(r.pkt.Payload, silence) {
			quiet++
		} else {
			speech, quiet = speech+1, 0
		}
	}
	return out
}

// snr is how far want stands above the difference of got from it, in dB.
func snr(got, want []int16) float64 {
	var sig, noise float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		sig += float64(want[i]) * float64(want[i])
		noise += d * d
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(sig/noise)
}

// placeFrames finds each frame of heard in orig and returns their frame
// indexes, failing a frame that matches none closely.
func placeFrames(t *testing.T, heard [][]int16, orig []int16) []int {
	t.Helper()
	var at []int
	for i, f := range heard {
		best, bestSNR := -1, math.Inf(-1)
		for k := 0; k+FrameSamples <= len(orig); k += FrameSamples {
			if v := snr(f, orig[k:k+FrameSamples]); v > bestSNR {
				best, bestSNR = k/FrameSamples, v
			}
		}
		// Two G.711 encodings in tandem keep well over 30 dB.
		if bestSNR < 25 {
			t.Fatalf("frame %d heard: closest to sent frame %d at %.1f dB, want at least 25 dB", i, best, bestSNR)
		}
		at = append(at, best)
	}
	return at
}

// speechFrames decodes the non-silent audio packets of codec c.
func speechFrames(t *testing.T, pkts []rtp.Packet, c Codec) [][]int16 {
	t.Helper()
	silence, _ := Silence(c)
	var out [][]int16
	for _, p := range pkts {
		if p.PayloadType != c.PayloadType || isSilence(p.Payload, silence) {
			continue
		}
		pcm := make([]int16, len(p.Payload))
		if _, err := Decode(pcm, p.Payload, c); err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm)
	}
	return out
}

// checkHeard asserts that heard is orig, frame by frame in order, give or
// take a few frames dropped.
func checkHeard(t *testing.T, heard [][]int16, orig []int16) {
	t.Helper()
	sent := len(orig) / FrameSamples
	if got := len(heard); got < sent-3 || got > sent {
		t.Errorf("got %d frames of speech, want %d (at most 3 fewer)", got, sent)
	}
	at := placeFrames(t, heard, orig)
	for i := 1; i < len(at); i++ {
		if at[i] <= at[i-1] {
			t.Fatalf("heard frame %d is sent frame %d after sent frame %d, want them in order", i, at[i], at[i-1])
		}
	}
}

func TestBridgeTranscodes(t *testing.T) {
	tests := []struct {
		name       string
		talkerNeg  Negotiated
		listenNeg  Negotiated
		talkerIsA  bool
		wantStatsF func(BridgeStats) RelayStats
	}{
		{"caller PCMU to agent PCMA", callerCodec, agentCodec, true, func(s BridgeStats) RelayStats { return s.AToB }},
		{"agent PCMA to caller PCMU", agentCodec, callerCodec, false, func(s BridgeStats) RelayStats { return s.BToA }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			talker, listener := newLeg(t, tt.talkerNeg), newLeg(t, tt.listenNeg)
			a, b := talker.s, listener.s
			if !tt.talkerIsA {
				a, b = b, a
			}
			br := NewBridge(a, b, BridgeOptions{Logger: testLogger(t)})
			defer br.Stop()

			voice := chirp(samplesPerSecond)
			talker.phone.sendPaced(t, talker.s.LocalAddr(), phoneStream(t, voice, tt.talkerNeg.Codec, 0xCA11))
			pkts := collectTalk(t, listener.phone, tt.listenNeg.Codec)

			for i, p := range pkts {
				if p.PayloadType != tt.listenNeg.Codec.PayloadType {
					t.Fatalf("packet %d: got PT %d, want %d (%s)", i, p.PayloadType, tt.listenNeg.Codec.PayloadType, tt.listenNeg.Codec.Name)
				}
			}
			heard := speechFrames(t, pkts, tt.listenNeg.Codec)
			checkHeard(t, heard, voice)
			if got := tt.wantStatsF(br.Stats()).FramesRelayed; got < uint64(len(heard)) {
				t.Errorf("stats: got %d frames relayed, want at least the %d heard", got, len(heard))
			}
		})
	}
}

// The agent's stream carries on through bridge and Stop: silence, the
// caller's voice, then prompts again, with one SSRC and no jump in
// sequence numbers or timestamps.
func TestBridgeKeepsStreamContinuous(t *testing.T) {
	caller, agent := newLeg(t, callerCodec), newLeg(t, agentCodec)
	var pkts []rtp.Packet
	for range 3 {
		pkts = append(pkts, agent.phone.next(t).pkt)
	}

	br := NewBridge(caller.s, agent.s, BridgeOptions{Logger: testLogger(t)})
	caller.phone.sendPaced(t, caller.s.LocalAddr(), phoneStream(t, chirp(10*FrameSamples), PCMU, 0xCA11))
	pkts = append(pkts, collectTalk(t, agent.phone, PCMA)...)
	relayed := len(speechFrames(t, pkts, PCMA))
	if err := agent.s.Play(context.Background(), tone(FrameSamples)); !errors.Is(err, ErrBridged) {
		t.Errorf("play while bridged: got %v, want %v", err, ErrBridged)
	}
	br.Stop()
	select {
	case <-br.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}

	if err := agent.s.Play(context.Background(), tone(5*FrameSamples)); err != nil {
		t.Fatalf("play after stop: %v", err)
	}
	pkts = append(pkts, collectTalk(t, agent.phone, PCMA)...)

	if relayed < 8 {
		t.Errorf("got %d frames of the caller before Stop, want about 10", relayed)
	}
	if got, want := len(speechFrames(t, pkts, PCMA))-relayed, 5; got != want {
		t.Errorf("got %d frames of prompt after Stop, want %d", got, want)
	}
	for i, p := range pkts {
		if p.PayloadType != PCMA.PayloadType {
			t.Fatalf("packet %d: got PT %d, want %d", i, p.PayloadType, PCMA.PayloadType)
		}
		if got, want := p.Marker, i == 0; got != want {
			t.Errorf("packet %d: got marker %v, want %v", i, got, want)
		}
		if i == 0 {
			continue
		}
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
}

func TestBridgeRelaysDTMF(t *testing.T) {
	noDTMF := agentCodec
	noDTMF.HasDTMF, noDTMF.DTMFPayloadType = false, 0
	tests := []struct {
		name      string
		talkerNeg Negotiated
		listenNeg Negotiated
		talkerIsA bool
		wantPT    uint8 // telephone-event at the listener; 0: none
	}{
		{"caller 101 to agent 96", callerCodec, agentCodec, true, 96},
		{"agent 96 to caller 101", agentCodec, callerCodec, false, 101},
		{"agent without telephone-event", callerCodec, noDTMF, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			talker, listener := newLeg(t, tt.talkerNeg), newLeg(t, tt.listenNeg)
			a, b := talker.s, listener.s
			if !tt.talkerIsA {
				a, b = b, a
			}
			br := NewBridge(a, b, BridgeOptions{Logger: testLogger(t)})
			defer br.Stop()
			relayStats := func() RelayStats {
				if tt.talkerIsA {
					return br.Stats().AToB
				}
				return br.Stats().BToA
			}

			// The listener hears audio before the key, so the event's
			// clock can be compared with it even on a loaded machine.
			prior := listener.phone.next(t).pkt
			talker.phone.send(t, talker.s.LocalAddr(), pressPackets(t, tt.talkerNeg.DTMFPayloadType, 0xCA11, 5)...)
			// The talker's own session still reports the key.
			select {
			case d := <-talker.s.Digits():
				if d != '5' {
					t.Errorf("talker's Digits: got %q, want %q", d, '5')
				}
			case <-time.After(guard):
				t.Fatal("talker's Digits: no key")
			}

			if tt.wantPT == 0 {
				waitFor(t, "the key to be dropped", func() bool { return relayStats().DigitsDropped == 1 })
				// Whatever went out so far and next is plain audio.
				for range 10 {
					if p := listener.phone.next(t).pkt; p.PayloadType != tt.listenNeg.Codec.PayloadType {
						t.Fatalf("got PT %d, want only audio (%d)", p.PayloadType, tt.listenNeg.Codec.PayloadType)
					}
				}
				return
			}

			pkts, first := collectEvent(t, listener.phone, tt.wantPT, prior)
			var det dtmfDetector
			var keys []byte
			for _, p := range pkts[first:] {
				if p.PayloadType != tt.wantPT {
					continue
				}
				if d, ok := det.feed(p.SSRC, p.Timestamp, p.Payload); ok {
					keys = append(keys, d)
				}
			}
			if got, want := string(keys), "5"; got != want {
				t.Errorf("listener's phone decoded %q, want %q", got, want)
			}
			checkEvent(t, pkts, first, tt.wantPT, tt.listenNeg.Codec.PayloadType)
			if got := relayStats().DigitsRelayed; got != 1 {
				t.Errorf("stats: got %d digits relayed, want 1", got)
			}
		})
	}
}

// collectEvent reads packets until the third end packet of an event of
// payload type pt and one packet after it, and returns them with the index
// of the event's first packet.
func collectEvent(t *testing.T, p *rtpPeer, pt uint8, prior ...rtp.Packet) ([]rtp.Packet, int) {
	t.Helper()
	pkts := append([]rtp.Packet(nil), prior...)
	first, ends := -1, 0
	for ends < eventCopies {
		r := p.next(t)
		pkts = append(pkts, r.pkt)
		if r.pkt.PayloadType != pt {
			continue
		}
		if first < 0 {
			first = len(pkts) - 1
		}
		if len(r.pkt.Payload) >= 2 && r.pkt.Payload[1]&eventEnd != 0 {
			ends++
		}
	}
	pkts = append(pkts, p.next(t).pkt)
	if first == 0 {
		t.Fatal("the event came first: no audio before it to compare its clock with")
	}
	return pkts, first
}

// checkEvent asserts the RFC 4733 shape of the event starting at
// pkts[first]: marker on its first packet, growing durations, three end
// packets, one timestamp on the audio clock, and audio resuming after it
// as if the event had been audio frames.
func checkEvent(t *testing.T, pkts []rtp.Packet, first int, eventPT, audioPT uint8) {
	t.Helper()
	before := pkts[first-1]
	if !pkts[first].Marker {
		t.Error("first event packet: got no marker, want one")
	}
	if got, want := pkts[first].Timestamp, before.Timestamp+FrameSamples; got != want {
		t.Errorf("event timestamp: got %d, want %d (the next audio frame's)", got, want)
	}
	var durs []uint16
	var ends int
	i := first
	for ; i < len(pkts) && pkts[i].PayloadType == eventPT; i++ {
		p := pkts[i]
		if got, want := p.SequenceNumber, pkts[i-1].SequenceNumber+1; got != want {
			t.Errorf("event packet %d: got seq %d, want %d", i-first, got, want)
		}
		if p.Timestamp != pkts[first].Timestamp {
			t.Errorf("event packet %d: got ts %d, want %d", i-first, p.Timestamp, pkts[first].Timestamp)
		}
		if i > first && p.Marker {
			t.Errorf("event packet %d: got marker, want only on the first", i-first)
		}
		durs = append(durs, binary.BigEndian.Uint16(p.Payload[2:4]))
		if p.Payload[1]&eventEnd != 0 {
			ends++
		} else if ends > 0 {
			t.Errorf("event packet %d: got an update after an end packet", i-first)
		}
	}
	if ends != 3 {
		t.Errorf("got %d end packets, want 3", ends)
	}
	for k := 1; k < len(durs)-ends+1; k++ {
		if durs[k] <= durs[k-1] {
			t.Errorf("durations %v: want them growing up to the end packet", durs)
			break
		}
	}
	for k := len(durs) - ends; k < len(durs); k++ {
		if durs[k] != durs[len(durs)-1] {
			t.Errorf("durations %v: want the end packets alike", durs)
			break
		}
	}
	if len(durs) < 4 {
		t.Errorf("got %d event packets, want several", len(durs))
	}
	if i >= len(pkts) {
		t.Fatal("no packet after the event")
	}
	after := pkts[i]
	if after.PayloadType != audioPT {
		t.Fatalf("after the event: got PT %d, want audio %d", after.PayloadType, audioPT)
	}
	slots := uint32(after.SequenceNumber - before.SequenceNumber)
	if got, want := after.Timestamp, before.Timestamp+slots*FrameSamples; got != want {
		t.Errorf("audio after the event: got ts %d, want %d (%d frames after the audio before it)", got, want, slots)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", guard, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBridgeEndsWhenSessionCloses(t *testing.T) {
	caller, agent := newLeg(t, callerCodec), newLeg(t, agentCodec)
	br := NewBridge(caller.s, agent.s, BridgeOptions{Logger: testLogger(t)})
	if err := caller.s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-br.Done():
	case <-time.After(guard):
		t.Fatal("Done not closed after the caller's session closed")
	}
	br.Stop() // no-op
	// The agent hears prompts again.
	if err := agent.s.Play(context.Background(), tone(3*FrameSamples)); err != nil {
		t.Fatalf("agent play after the bridge: %v", err)
	}
	if got := len(speechFrames(t, collectTalk(t, agent.phone, PCMA), PCMA)); got != 3 {
		t.Errorf("agent heard %d frames of prompt, want 3", got)
	}
}

func TestBridgeClosedSession(t *testing.T) {
	caller, agent := newLeg(t, callerCodec), newLeg(t, agentCodec)
	agent.s.Close()
	br := NewBridge(caller.s, agent.s, BridgeOptions{Logger: testLogger(t)})
	select {
	case <-br.Done():
	default:
		t.Fatal("bridge to a closed session: Done open, want closed")
	}
	if err := caller.s.Play(context.Background(), tone(FrameSamples)); err != nil {
		t.Errorf("caller play: got %v, want nil (not bridged)", err)
	}
	self := NewBridge(caller.s, caller.s, BridgeOptions{Logger: testLogger(t)})
	select {
	case <-self.Done():
	default:
		t.Fatal("bridge to itself: Done open, want closed")
	}
}

// A prompt playing when the agent answers ends with ErrBridged, and a new
// bridge takes the session over from the old one.
func TestBridgeTakesOver(t *testing.T) {
	caller, agent1, agent2 := newLeg(t, callerCodec), newLeg(t, agentCodec), newLeg(t, agentCodec)
	errc := make(chan error, 1)
	go func() { errc <- caller.s.Play(context.Background(), tone(60*samplesPerSecond)) }()
	for isSilence(caller.phone.next(t).pkt.Payload, silencePCMU) {
	}
	first := NewBridge(caller.s, agent1.s, BridgeOptions{Logger: testLogger(t)})
	select {
	case err := <-errc:
		if !errors.Is(err, ErrBridged) {
			t.Errorf("prompt playing at the bridge: got %v, want %v", err, ErrBridged)
		}
	case <-time.After(guard):
		t.Fatal("prompt playing at the bridge did not return")
	}

	second := NewBridge(caller.s, agent2.s, BridgeOptions{Logger: testLogger(t)})
	defer second.Stop()
	select {
	case <-first.Done():
	default:
		t.Fatal("first bridge: Done open after the caller was bridged again, want closed")
	}
	if err := agent1.s.Play(context.Background(), tone(FrameSamples)); err != nil {
		t.Errorf("first agent play: got %v, want nil (no longer bridged)", err)
	}
	voice := chirp(20 * FrameSamples)
	caller.phone.sendPaced(t, caller.s.LocalAddr(), phoneStream(t, voice, PCMU, 0xCA11))
	checkHeard(t, speechFrames(t, collectTalk(t, agent2.phone, PCMA), PCMA), voice)
}

// The tap hears both voices, each as its own direction, and nothing after
// Stop returns.
func TestBridgeTap(t *testing.T) {
	caller, agent := newLeg(t, callerCodec), newLeg(t, agentCodec)
	var (
		mu        sync.Mutex
		frames    [2][][]int16
		stopped   bool
		lateCalls int
		badLen    int
	)
	br := NewBridge(caller.s, agent.s, BridgeOptions{Logger: testLogger(t), Tap: func(dir int, pcm []int16) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			lateCalls++
		}
		if len(pcm) != FrameSamples {
			badLen++
		}
		if slices.ContainsFunc(pcm, func(v int16) bool { return v != 0 }) {
			frames[dir] = append(frames[dir], slices.Clone(pcm))
		}
	}})
	callerVoice, agentVoice := chirp(20*FrameSamples), chirp(30*FrameSamples)
	talkPaced(t,
		talk{caller.phone, caller.s.LocalAddr(), phoneStream(t, callerVoice, PCMU, 0xCA11)},
		talk{agent.phone, agent.s.LocalAddr(), phoneStream(t, agentVoice, PCMA, 0xA6E7)})
	collectTalk(t, agent.phone, PCMA)
	collectTalk(t, caller.phone, PCMU)
	br.Stop()
	mu.Lock()
	stopped = true
	mu.Unlock()
	// Both senders carry on; a tap call now would be counted.
	for range 5 {
		caller.phone.next(t)
		agent.phone.next(t)
	}

	mu.Lock()
	defer mu.Unlock()
	if lateCalls != 0 {
		t.Errorf("got %d tap calls after Stop, want 0", lateCalls)
	}
	if badLen != 0 {
		t.Errorf("got %d tap frames not of %d samples", badLen, FrameSamples)
	}
	checkHeard(t, frames[0], callerVoice)
	checkHeard(t, frames[1], agentVoice)
}

func TestRelayQueue(t *testing.T) {
	// ops: n > 0 pushes n samples numbered on from 1, 0 pulls a frame.
	// want is the first sample of each frame pulled, 0 for silence.
	tests := []struct {
		name string
		ops  []int
		want []int16
		st   RelayStats
	}{
		{"steady", []int{160, 0, 160, 0}, []int16{1, 161}, RelayStats{FramesRelayed: 2}},
		{"underrun", []int{0, 160, 0}, []int16{0, 1}, RelayStats{FramesRelayed: 1, FramesSilence: 1}},
		{"burst absorbed", []int{0, 160, 160, 160, 0, 0, 0, 0}, []int16{0, 1, 161, 321, 0}, RelayStats{FramesRelayed: 3, FramesSilence: 2}},
		{"overflow drops the oldest", []int{160, 160, 160, 160, 160, 160, 0, 0, 0, 0, 0}, []int16{321, 481, 641, 801, 0}, RelayStats{FramesRelayed: 4, FramesDropped: 2, FramesSilence: 1}},
		{"10 ms packets", []int{80, 0, 80, 80, 0, 80, 0}, []int16{0, 1, 161}, RelayStats{FramesRelayed: 2, FramesSilence: 1}},
		{"30 ms packets", []int{240, 0, 240, 0, 0}, []int16{1, 161, 321}, RelayStats{FramesRelayed: 3}},
		{"packet longer than the queue", []int{6 * 160, 0}, []int16{321}, RelayStats{FramesRelayed: 1, FramesDropped: 2}},
		{"wraps around", []int{480, 0, 0, 480, 0, 0, 0, 0}, []int16{1, 161, 321, 481, 641, 801}, RelayStats{FramesRelayed: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &relay{br: &Bridge{}}
			next := int16(1)
			var got []int16
			var frame [FrameSamples]int16
			for _, op := range tt.ops {
				if op > 0 {
					pcm := make([]int16, op)
					for i := range pcm {
						pcm[i] = next
						next++
					}
					r.push(pcm)
					continue
				}
				r.pull(frame[:], false)
				for i := 1; i < len(frame); i++ {
					if frame[i] != 0 && frame[i] != frame[i-1]+1 {
						t.Fatalf("frame %d: sample %d is %d after %d, want consecutive samples", len(got), i, frame[i], frame[i-1])
					}
				}
				got = append(got, frame[0])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got frames starting %v, want %v", got, tt.want)
			}
			if st := r.stats(); st != tt.st {
				t.Errorf("got %+v, want %+v", st, tt.st)
			}
		})
	}
}

func TestRelayKeys(t *testing.T) {
	r := &relay{br: &Bridge{}}
	for _, d := range []byte("123456789") {
		r.pushKey(d)
	}
	var frame [FrameSamples]int16
	if _, ok := r.pull(frame[:], false); ok {
		t.Error("pull without wanting a key: got one")
	}
	var got []byte
	for {
		d, ok := r.pull(frame[:], true)
		if !ok {
			break
		}
		got = append(got, d)
	}
	if string(got) != "12345678" {
		t.Errorf("got keys %q, want %q", got, "12345678")
	}
	if st := r.stats(); st.DigitsDropped != 1 {
		t.Errorf("got %d keys dropped, want 1", st.DigitsDropped)
	}
}

// newRelayPair bridges two sessions without their goroutines: a hears
// phone on PCMU, b sends PCMA to sink.
func newRelayPair(tb testing.TB, sink netip.AddrPort) (a, b *Session) {
	tb.Helper()
	a = newReceiver(tb, Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv}, SessionOptions{})
	b = newReceiver(tb, Negotiated{Codec: PCMA, DTMFPayloadType: 96, HasDTMF: true, Remote: sink, Direction: SendRecv}, SessionOptions{})
	NewBridge(a, b, BridgeOptions{Tap: func(int, []int16) {}})
	return a, b
}

func newSink(tb testing.TB) netip.AddrPort {
	tb.Helper()
	// Nothing reads the sink: the kernel drops what does not fit its
	// buffer, and the write still succeeds as it would to a real phone.
	sink, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { sink.Close() })
	return sink.LocalAddr().(*net.UDPAddr).AddrPort()
}

// relayOne moves one packet through the bridge: received on a, sent on b.
func relayOne(a, b *Session, pkt []byte, seq uint16) {
	binary.BigEndian.PutUint16(pkt[2:], seq)
	binary.BigEndian.PutUint32(pkt[4:], uint32(seq)*FrameSamples)
	a.receive(pkt, phone, 0)
	b.sendFrame()
}

func TestBridgeRelayDoesNotAllocate(t *testing.T) {
	a, b := newRelayPair(t, newSink(t))
	pkt := phoneStream(t, tone(FrameSamples), PCMU, 7)[0]
	seq := uint16(0)
	allocs := testing.AllocsPerRun(200, func() {
		seq++
		relayOne(a, b, pkt, seq)
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per relayed packet, want 0", allocs)
	}
	if st := b.Stats(); st.PacketsSent == 0 {
		t.Errorf("got %+v, want packets sent", st)
	}
}

func BenchmarkBridgeRelay(b *testing.B) {
	sa, sb := newRelayPair(b, newSink(b))
	pkt := phoneStream(b, tone(FrameSamples), PCMU, 7)[0]
	seq := uint16(0)
	b.ReportAllocs()
	for b.Loop() {
		seq++
		relayOne(sa, sb, pkt, seq)
	}
	if st := sb.Stats(); st.PacketsSent == 0 {
		b.Fatalf("got %+v, want packets sent", st)
	}
}
