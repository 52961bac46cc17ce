package main

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

func packet(seq uint16, ts, ssrc uint32) []byte {
	b := make([]byte, 12+160)
	b[0] = 2 << 6
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return b
}

// Arrival times are given, not measured: stream a is paced perfectly
// except one packet 30 ms late (which also shows as two pacing errors of
// 30 ms), with a lost packet and sequence numbers wrapping; stream b, from
// another source, has a duplicate.
func TestCollector(t *testing.T) {
	c := newCollector(8000)
	a := netip.MustParseAddrPort("127.0.0.1:4000")
	b := netip.MustParseAddrPort("127.0.0.1:4002")
	ms := int64(time.Millisecond)
	for i := range 10 {
		seq := uint16(65530 + i)
		if seq == 1 {
			continue // lost
		}
		at := int64(i) * 20 * ms
		if i == 5 {
			at += 30 * ms
		}
		c.add(a, at, packet(seq, uint32(i*160), 1))
	}
	for i := range 10 {
		p := packet(uint16(100+i), uint32(i*160), 2)
		c.add(b, int64(i)*20*ms, p)
		if i == 4 {
			c.add(b, int64(i)*20*ms+ms, p)
		}
	}
	c.add(b, 0, []byte{1, 2, 3}) // not RTP
	rep := c.report()
	got := []any{rep.Streams, rep.Packets, rep.Lost, rep.Reordered, rep.Late20, rep.MaxLate, rep.PacingMax, rep.PacingP50}
	want := []any{2, 19, 1, 1, 1, 30.0, 30.0, 0.0}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("field %d of [streams packets lost reordered late20 maxLate pacingMax p50]: got %v, want %v", i, got[i], want[i])
		}
	}
}
