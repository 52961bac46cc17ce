package media

import "encoding/binary"

// digitChars maps RFC 4733 events 0-15 to their keys.
const digitChars = "0123456789*#ABCD"

// eventDigit returns the key for a DTMF event; events above 15 (flash and
// the non-DTMF tones) are not key presses.
func eventDigit(ev uint8) (byte, bool) {
	if int(ev) >= len(digitChars) {
		return 0, false
	}
	return digitChars[ev], true
}

// digitEvent is the RFC 4733 event code of a key.
func digitEvent(d byte) (uint8, bool) {
	for i := range len(digitChars) {
		if digitChars[i] == d {
			return uint8(i), true
		}
	}
	return 0, false
}

// digitString renders a key for logs without allocating.
func digitString(d byte) string {
	for i := range len(digitChars) {
		if digitChars[i] == d {
			return digitChars[i : i+1]
		}
	}
	return "?"
}

// normalizeDigit accepts a key as the SIP layer may spell it.
func normalizeDigit(d byte) (byte, bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i := range len(digitChars) {
		if digitChars[i] == d {
			return d, true
		}
	}
	return 0, false
}

// dtmfKey identifies one RFC 4733 event: every packet of a key press,
// retransmissions and the redundant end packets included, carries the
// timestamp of its start (RFC 4733 §2.5.1). The event code is part of the
// key so that a different key with a colliding timestamp still counts.
type dtmfKey struct {
	ssrc  uint32
	ts    uint32
	event uint8
}

// dtmfDetector turns RFC 4733 packets into one digit per key press. It
// remembers the last few events so a late, reordered packet of an earlier
// press is not taken for a new one.
type dtmfDetector struct {
	recent [8]dtmfKey
	filled int
	next   int

	last      dtmfKey
	lastEnded bool
	lastDur   uint16
}

// feed takes the payload of one telephone-event packet and returns the
// digit when the packet starts a new key press. The first packet seen of
// an event counts, so a press whose start packets were lost is still
// reported from its end packets.
func (d *dtmfDetector) feed(ssrc, ts uint32, payload []byte) (byte, bool) {
	if len(payload) < 4 {
		return 0, false
	}
	key := dtmfKey{ssrc: ssrc, ts: ts, event: payload[0]}
	end := payload[1]&0x80 != 0
	dur := binary.BigEndian.Uint16(payload[2:4])
	if d.seen(key) {
		if key == d.last {
			d.lastEnded = d.lastEnded || end
			d.lastDur = max(d.lastDur, dur)
		}
		return 0, false
	}
	// A press longer than the 16-bit duration field is sent as segments,
	// each with a new timestamp where the previous one ended (RFC 4733
	// §2.5.1.3): still one key press.
	continued := d.filled > 0 && !d.lastEnded && d.lastDur == 0xFFFF &&
		key.event == d.last.event && key.ssrc == d.last.ssrc && key.ts-d.last.ts == 0xFFFF
	d.remember(key)
	d.last, d.lastEnded, d.lastDur = key, end, dur
	if continued {
		return 0, false
	}
	return eventDigit(key.event)
}

func (d *dtmfDetector) seen(k dtmfKey) bool {
	for i := range d.filled {
		if d.recent[i] == k {
			return true
		}
	}
	return false
}

func (d *dtmfDetector) remember(k dtmfKey) {
	d.recent[d.next] = k
	d.next = (d.next + 1) % len(d.recent)
	d.filled = min(d.filled+1, len(d.recent))
}
