package e2e

import (
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/prompt"
)

// A 60 s prompt must arrive as 3000 packets spread over 60 s ± 40 ms, with
// sequence numbers and timestamps continuous across speech and silence.
// The packets are timed where a caller would see them: on a socket the SDP
// points at.
func TestPacingOfALongPrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a minute")
	}
	t.Parallel()
	const seconds = 60
	dir := t.TempDir()
	tone := &prompt.Audio{Samples: make([]int16, seconds*8000)}
	for i := range tone.Samples {
		// 440 Hz plus an offset so no 20 ms frame encodes as pure silence.
		tone.Samples[i] = int16(8000*math.Sin(2*math.Pi*440*float64(i)/8000)) + 500
	}
	f, err := os.Create(filepath.Join(dir, "tone.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := prompt.EncodeWAV(f, tone); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := `
languages:
  en: {voice: en}
routes:
  - {number: "*", menu: main}
menus:
  main:
    greeting: tone.wav
    options:
      "1": hangup
    timeout: 30s
`
	// This caller sends no RTP of its own: keep the inactivity timeout out of the way.
	c := startContactd(t, cfg, os.DirFS(dir), func(cfg *config.Config) { cfg.Media.RTPTimeout = config.Duration(5 * time.Minute) })

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	type arrival struct {
		at  time.Time
		pkt rtp.Packet
	}
	var (
		mu       sync.Mutex
		arrivals []arrival
	)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			at := time.Now()
			var p rtp.Packet
			if p.Unmarshal(buf[:n]) != nil {
				continue
			}
			p.Payload = slices.Clone(p.Payload)
			mu.Lock()
			arrivals = append(arrivals, arrival{at, p})
			mu.Unlock()
		}
	}()
	port := pc.LocalAddr().(*net.UDPAddr).Port
	code := c.runSIPp(sippRun{
		scenario: "caller_listen.xml",
		caller:   "2701",
		keys:     map[string]string{"rtp_port": strconv.Itoa(port)},
		extra:    []string{"-d", strconv.Itoa((seconds + 3) * 1000)},
		timeout:  (seconds + 20) * time.Second,
	})
	if code != 0 {
		t.Fatalf("sipp exit code %d, want 0", code)
	}
	time.Sleep(100 * time.Millisecond)
	pc.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) < seconds*50 {
		t.Fatalf("got %d packets, want at least %d", len(arrivals), seconds*50)
	}
	first, last, speech := -1, -1, 0
	for i, a := range arrivals {
		if i > 0 {
			prev := arrivals[i-1].pkt
			if a.pkt.SequenceNumber != prev.SequenceNumber+1 {
				t.Fatalf("packet %d: seq %d after %d, want +1", i, a.pkt.SequenceNumber, prev.SequenceNumber)
			}
			if a.pkt.Timestamp != prev.Timestamp+160 {
				t.Fatalf("packet %d: timestamp %d after %d, want +160", i, a.pkt.Timestamp, prev.Timestamp)
			}
			if a.pkt.SSRC != prev.SSRC {
				t.Fatalf("packet %d: SSRC changed", i)
			}
		}
		if a.pkt.PayloadType != 0 || len(a.pkt.Payload) != 160 {
			t.Fatalf("packet %d: PT %d with %d bytes, want PCMU with 160", i, a.pkt.PayloadType, len(a.pkt.Payload))
		}
		if !silent(a.pkt.Payload) {
			if first < 0 {
				first = i
			}
			last = i
			speech++
		}
	}
	if speech != seconds*50 {
		t.Errorf("got %d packets of prompt audio, want %d", speech, seconds*50)
	}
	if last-first+1 != speech {
		t.Errorf("prompt packets span %d packets, want %d contiguous", last-first+1, speech)
	}
	span := arrivals[last].at.Sub(arrivals[first].at)
	want := time.Duration(speech-1) * 20 * time.Millisecond
	drift := span - want
	// Per-packet jitter is reported, not asserted: pacing must not drift.
	var jit []time.Duration
	for i := first; i <= last; i++ {
		ideal := arrivals[first].at.Add(time.Duration(i-first) * 20 * time.Millisecond)
		jit = append(jit, (arrivals[i].at.Sub(ideal)).Abs())
	}
	slices.Sort(jit)
	t.Logf("prompt packets %d over %v (ideal %v, drift %v); |deviation| p50 %v p99 %v max %v",
		speech, span, want, drift, jit[len(jit)/2], jit[len(jit)*99/100], jit[len(jit)-1])
	if drift.Abs() > 40*time.Millisecond {
		t.Errorf("prompt took %v, want %v ± 40ms", span, want)
	}
}

// silent reports a G.711 µ-law frame of digital silence.
func silent(p []byte) bool {
	for _, b := range p {
		if b != 0xFF && b != 0x7F {
			return false
		}
	}
	return true
}
