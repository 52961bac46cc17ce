package media

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addFiles seeds a fuzz target with every fixture matching pattern.
func addFiles(f *testing.F, pattern string, decode func([]byte) []byte) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s: %v", pattern, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if decode != nil {
			b = decode(b)
		}
		f.Add(b)
	}
}

// Any offer either fails to parse or negotiate with an error, or yields
// a codec we can send and an answer that parses back: never a panic, never
// an answer we could not honour.
func FuzzNegotiate(f *testing.F) {
	addFiles(f, "testdata/sdp/*.sdp", nil)
	local := netip.MustParseAddrPort("127.0.0.1:20000")
	var a Answerer
	f.Fuzz(func(t *testing.T, b []byte) {
		off, err := ParseOffer(b)
		if err != nil {
			return
		}
		n, err := Negotiate(off)
		if err != nil {
			return
		}
		if n.Codec.PayloadType != PCMU.PayloadType && n.Codec.PayloadType != PCMA.PayloadType && n.Codec.Name != PCMU.Name && n.Codec.Name != PCMA.Name {
			t.Fatalf("negotiated %+v: want PCMU or PCMA", n.Codec)
		}
		ans, err := a.Answer(local, n)
		if err != nil {
			t.Fatalf("answer for a negotiated offer: %v", err)
		}
		if _, err := ParseOffer(ans); err != nil {
			t.Fatalf("our answer does not parse: %v\n%s", err, ans)
		}
	})
}

// Any RTP payload fed to the RFC 4733 detector yields nothing or one of
// the sixteen keys: never a panic.
func FuzzDTMFPayload(f *testing.F) {
	addFiles(f, "testdata/rtp/*.hex", func(b []byte) []byte {
		// The fixtures hold one RTP packet a line in hex; seed with their
		// payloads, one after another.
		var out []byte
		for _, line := range strings.Split(string(b), "\n") {
			if h, err := hex.DecodeString(strings.Fields(line + " #")[0]); err == nil && len(h) > 12 {
				out = append(out, h[12:]...)
			}
		}
		return out
	})
	f.Add([]byte{0x05, 0x8a, 0x03, 0x20})
	f.Fuzz(func(t *testing.T, b []byte) {
		var d dtmfDetector
		for off, ts := 0, uint32(0); off < len(b); off, ts = off+4, ts+160 {
			end := min(off+4, len(b))
			if k, ok := d.feed(1, ts/800, b[off:end]); ok && !bytes.ContainsRune([]byte("0123456789*#ABCD"), rune(k)) {
				t.Fatalf("detected %q, want a DTMF key", k)
			}
		}
	})
}

// Any datagram reaching a session's receive path is counted or ignored:
// never a panic, whatever its header claims.
func FuzzReceive(f *testing.F) {
	addFiles(f, "testdata/rtp/*.hex", func(b []byte) []byte {
		for _, line := range strings.Split(string(b), "\n") {
			if h, err := hex.DecodeString(strings.Fields(line + " #")[0]); err == nil && len(h) > 0 {
				return h // the first packet of each fixture
			}
		}
		return nil
	})
	f.Add([]byte{0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 7, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newReceiver(t, Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv, HasDTMF: true, DTMFPayloadType: 101}, SessionOptions{OnAudio: func([]int16) {}})
		s.receive(b, phone, frameTime)
		s.receive(b, phone, 2*frameTime) // the same again: a duplicate
	})
}
