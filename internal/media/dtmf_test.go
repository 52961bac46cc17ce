package media

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readHexPackets loads a testdata file of one hex RTP packet per line.
func readHexPackets(t *testing.T, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "rtp", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pkts [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pkts = append(pkts, b)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pkts
}

// newReceiver is a session set up as if started with n, without its
// goroutines, so a test can feed packets to receive directly.
func newReceiver(t testing.TB, n Negotiated, opts SessionOptions) *Session {
	t.Helper()
	opts.IP = netip.MustParseAddr("127.0.0.1")
	s, err := NewSession(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l, err := lawOf(n.Codec)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.neg, s.law, s.started = n, l, true
	s.mu.Unlock()
	return s
}

func drainDigits(s *Session) string {
	var got []byte
	for {
		select {
		case d := <-s.Digits():
			got = append(got, d)
		default:
			return string(got)
		}
	}
}

var phone = netip.MustParseAddrPort("127.0.0.1:40000")

// The packet sequences a phone sends, through the whole receive path.
func TestReceiveDTMFFixtures(t *testing.T) {
	n := Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: phone, Direction: SendRecv}
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"press_5.hex"}, "5"},
		{[]string{"double_7.hex"}, "77"},
		{[]string{"lost_start_9.hex"}, "9"},
		{[]string{"reordered_star_pound.hex"}, "*#"},
		{[]string{"press_5.hex", "lost_start_9.hex", "double_7.hex"}, "5977"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.files, "+"), func(t *testing.T) {
			s := newReceiver(t, n, SessionOptions{})
			for _, f := range tt.files {
				for _, p := range readHexPackets(t, f) {
					s.receive(p, phone, 0)
				}
			}
			if got := drainDigits(s); got != tt.want {
				t.Errorf("got digits %q, want %q", got, tt.want)
			}
		})
	}
}

// Telephone events on a payload type other than the negotiated one are
// not digits.
func TestReceiveDTMFOtherPayloadType(t *testing.T) {
	n := Negotiated{Codec: PCMU, DTMFPayloadType: 96, HasDTMF: true, Remote: phone, Direction: SendRecv}
	s := newReceiver(t, n, SessionOptions{})
	for _, p := range readHexPackets(t, "press_5.hex") {
		s.receive(p, phone, 0)
	}
	if got := drainDigits(s); got != "" {
		t.Errorf("got digits %q, want none", got)
	}
	if got, want := s.Stats().PacketsIgnored, uint64(10); got != want {
		t.Errorf("ignored packets: got %d, want %d", got, want)
	}
}

type event struct {
	ssrc, ts uint32
	ev       uint8
	end      bool
	dur      uint16
}

func (e event) payload() []byte {
	p := []byte{e.ev, 10, 0, 0}
	if e.end {
		p[1] |= 0x80
	}
	binary.BigEndian.PutUint16(p[2:], e.dur)
	return p
}

func TestDTMFDetector(t *testing.T) {
	press := func(ssrc, ts uint32, ev uint8) []event {
		var out []event
		for d := uint16(0); d <= 960; d += 160 {
			out = append(out, event{ssrc, ts, ev, false, d})
		}
		for range 3 {
			out = append(out, event{ssrc, ts, ev, true, 1120})
		}
		return out
	}
	cat := func(seqs ...[]event) []event {
		var out []event
		for _, s := range seqs {
			out = append(out, s...)
		}
		return out
	}
	long := []event{
		{1, 1000, 0, false, 0}, {1, 1000, 0, false, 40000}, {1, 1000, 0, false, 0xFFFF},
		{1, 1000 + 0xFFFF, 0, false, 160}, {1, 1000 + 0xFFFF, 0, true, 4000},
	}
	tests := []struct {
		name   string
		events []event
		want   string
	}{
		{"one press", press(1, 100, 1), "1"},
		{"every key", cat(press(1, 0, 0), press(1, 2000, 9), press(1, 4000, 10), press(1, 6000, 11), press(1, 8000, 12), press(1, 10000, 15)), "09*#AD"},
		{"same key twice", cat(press(1, 100, 4), press(1, 2000, 4)), "44"},
		{"only end packets", press(1, 100, 6)[7:], "6"},
		{"only the last end packet", press(1, 100, 6)[9:], "6"},
		{"late packet of an earlier press", cat(press(1, 100, 1), press(1, 2000, 2)[:2], press(1, 100, 1)[3:4], press(1, 2000, 2)[2:]), "12"},
		{"other key, same timestamp", cat(press(1, 100, 3), press(1, 100, 1)), "31"},
		{"new source, same timestamp", cat(press(1, 100, 3), press(2, 100, 3)), "33"},
		{"long press in two segments", long, "0"},
		{"flash is no key", press(1, 100, 16), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d dtmfDetector
			var got []byte
			for _, e := range tt.events {
				if k, ok := d.feed(e.ssrc, e.ts, e.payload()); ok {
					got = append(got, k)
				}
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	var d dtmfDetector
	if k, ok := d.feed(1, 1, []byte{1, 2, 3}); ok {
		t.Errorf("3-byte payload: got digit %q, want none", k)
	}
}

func TestInjectDigit(t *testing.T) {
	s := newReceiver(t, Negotiated{Codec: PCMU, Remote: phone, Direction: SendRecv}, SessionOptions{})
	for _, d := range []byte("12*#ad9xZ ") {
		s.InjectDigit(d)
	}
	if got, want := drainDigits(s), "12*#AD9"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// SIPp ships RFC 4733 captures from a real phone; run them when installed.
func TestReceiveDTMFSIPpCaptures(t *testing.T) {
	n := Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: phone, Direction: SendRecv}
	keys := map[string]byte{"0": '0', "1": '1', "2": '2', "3": '3', "4": '4', "5": '5', "6": '6', "7": '7', "8": '8', "9": '9', "star": '*', "pound": '#'}
	for name, want := range keys {
		path := "/usr/share/sip-tester/dtmf_2833_" + name + ".pcap"
		if _, err := os.Stat(path); err != nil {
			t.Skipf("sip-tester captures not installed: %v", err)
		}
		t.Run(name, func(t *testing.T) {
			s := newReceiver(t, n, SessionOptions{})
			for _, p := range readPcapUDP(t, path) {
				s.receive(p, phone, 0)
			}
			if got := drainDigits(s); got != string(want) {
				t.Errorf("got %q, want %q", got, string(want))
			}
		})
	}
}

// readPcapUDP returns the UDP payloads of a classic little-endian pcap of
// Ethernet/IPv4 frames.
func readPcapUDP(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 24 || binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 || binary.LittleEndian.Uint32(b[20:]) != 1 {
		t.Fatalf("%s: not a little-endian Ethernet pcap", path)
	}
	var out [][]byte
	for off := 24; off+16 <= len(b); {
		incl := int(binary.LittleEndian.Uint32(b[off+8:]))
		frame := b[off+16 : off+16+incl]
		off += 16 + incl
		if len(frame) < 14+20 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			continue
		}
		ip := frame[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		out = append(out, ip[ihl+8:])
	}
	return out
}
