// Package media is contactd's native media plane: SDP offer/answer for
// G.711 audio with RFC 4733 telephone events, and the RTP session that
// paces prompts out and reads DTMF back.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/sdp/v3"
)

// Codec is an audio codec as the caller numbered it.
type Codec struct {
	Name        string
	PayloadType uint8
	ClockRate   uint32
}

// The static G.711 codecs (RFC 3551).
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// Directions of an SDP media stream (RFC 3264 §5.1).
const (
	SendRecv = "sendrecv"
	SendOnly = "sendonly"
	RecvOnly = "recvonly"
	Inactive = "inactive"
)

// ErrNoCommonCodec means the offer has no RTP/AVP audio stream in PCMU or
// PCMA; the SIP layer answers 488.
var ErrNoCommonCodec = errors.New("no common codec (want PCMU or PCMA)")

// Offer is a parsed remote session description.
type Offer struct {
	desc sdp.SessionDescription
}

// ParseOffer parses an SDP body. It only checks syntax; what can be used
// is Negotiate's business.
func ParseOffer(b []byte) (*Offer, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, errors.New("parse sdp: empty body")
	}
	o := &Offer{}
	if err := o.desc.Unmarshal(b); err != nil {
		return nil, fmt.Errorf("parse sdp: %w", err)
	}
	return o, nil
}

// Negotiated is the outcome of an offer: what we send and receive.
type Negotiated struct {
	Codec           Codec          // PCMU or PCMA, the first of the two in the caller's m-line order
	DTMFPayloadType uint8          // the caller's telephone-event/8000 payload type, if HasDTMF
	HasDTMF         bool           // the caller offered RFC 4733 events
	Remote          netip.AddrPort // where the caller wants RTP (c= plus m= port)
	Direction       string         // direction of our answer
	RemoteHold      bool           // the caller put us on hold (sendonly/inactive or c=0.0.0.0)

	// mlines lays out the offer's m-lines for the answer, one per line:
	// "*" for the audio stream we accept, "media proto fmt" for a stream
	// we refuse with port 0 (RFC 3264 §6). A string keeps the struct
	// comparable.
	mlines string
}

// Sending reports whether the answer lets us send RTP.
func (n Negotiated) Sending() bool { return n.Direction == SendRecv || n.Direction == SendOnly }

// remoteSends reports whether the caller is expected to send us RTP, and so
// whether silence from it means the call is dead.
func (n Negotiated) remoteSends() bool {
	return !n.RemoteHold && (n.Direction == SendRecv || n.Direction == RecvOnly)
}

// Negotiate picks the codec, DTMF payload type, remote address and
// direction from the first usable audio stream (RTP/AVP, port not 0).
// Every other m-line is refused in the answer.
func Negotiate(offer *Offer) (Negotiated, error) {
	if offer == nil {
		return Negotiated{}, errors.New("negotiate: nil offer")
	}
	d := &offer.desc
	audio := -1
	var layout []string
	for i, m := range d.MediaDescriptions {
		proto := strings.Join(m.MediaName.Protos, "/")
		if audio < 0 && m.MediaName.Media == "audio" && proto == "RTP/AVP" && m.MediaName.Port.Value != 0 {
			audio = i
			layout = append(layout, "*")
			continue
		}
		format := "0"
		if len(m.MediaName.Formats) > 0 {
			format = m.MediaName.Formats[0]
		}
		layout = append(layout, m.MediaName.Media+" "+proto+" "+format)
	}
	if audio < 0 {
		return Negotiated{}, fmt.Errorf("negotiate: no RTP/AVP audio stream: %w", ErrNoCommonCodec)
	}
	m := d.MediaDescriptions[audio]
	n := Negotiated{mlines: strings.Join(layout, "\n")}

	maps := rtpmaps(m)
	found := false
	for _, f := range m.MediaName.Formats {
		pt, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		c, ok := maps[uint8(pt)]
		if !ok {
			c, ok = staticCodec(uint8(pt))
		}
		if !ok {
			continue
		}
		switch {
		case !found && c.ClockRate == 8000 && (c.Name == PCMU.Name || c.Name == PCMA.Name):
			n.Codec, found = c, true
		case !n.HasDTMF && c.ClockRate == 8000 && c.Name == "TELEPHONE-EVENT":
			n.DTMFPayloadType, n.HasDTMF = c.PayloadType, true
		}
	}
	if !found {
		return Negotiated{}, fmt.Errorf("negotiate: offered %v: %w", m.MediaName.Formats, ErrNoCommonCodec)
	}

	conn := m.ConnectionInformation
	if conn == nil {
		conn = d.ConnectionInformation
	}
	if conn == nil || conn.Address == nil {
		return Negotiated{}, errors.New("negotiate: no c= line for the audio stream")
	}
	// Multicast addresses may carry /ttl/range; only unicast makes sense
	// here but the suffix must not break parsing.
	host, _, _ := strings.Cut(conn.Address.Address, "/")
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return Negotiated{}, fmt.Errorf("negotiate: connection address %q: %w", host, err)
	}
	addr = addr.Unmap()
	n.Remote = netip.AddrPortFrom(addr, uint16(m.MediaName.Port.Value))

	theirs := direction(m.Attributes)
	if theirs == "" {
		theirs = direction(d.Attributes)
	}
	if theirs == "" {
		theirs = SendRecv
	}
	// RFC 2543 hold: c=0.0.0.0 means "don't send to me", whatever the
	// direction attribute says.
	if addr.IsUnspecified() {
		switch theirs {
		case SendRecv:
			theirs = SendOnly
		case RecvOnly:
			theirs = Inactive
		}
	}
	switch theirs {
	case SendOnly:
		n.Direction, n.RemoteHold = RecvOnly, true
	case Inactive:
		n.Direction, n.RemoteHold = Inactive, true
	case RecvOnly:
		n.Direction = SendOnly
	default:
		n.Direction = SendRecv
	}
	return n, nil
}

// rtpmaps reads a=rtpmap lines of one media description. Encoding names
// are upper-cased since they are case-insensitive (RFC 4855 §3).
func rtpmaps(m *sdp.MediaDescription) map[uint8]Codec {
	out := make(map[uint8]Codec)
	for _, a := range m.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		ptText, enc, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
		if !ok {
			continue
		}
		pt, err := strconv.ParseUint(ptText, 10, 7)
		if err != nil {
			continue
		}
		parts := strings.Split(strings.TrimSpace(enc), "/")
		if len(parts) < 2 {
			continue
		}
		rate, err := strconv.ParseUint(parts[1], 10, 32)
		if err != nil {
			continue
		}
		// Multi-channel audio is of no use to a phone call.
		if len(parts) > 2 && parts[2] != "1" {
			continue
		}
		out[uint8(pt)] = Codec{Name: strings.ToUpper(parts[0]), PayloadType: uint8(pt), ClockRate: uint32(rate)}
	}
	return out
}

func staticCodec(pt uint8) (Codec, bool) {
	switch pt {
	case PCMU.PayloadType:
		return PCMU, true
	case PCMA.PayloadType:
		return PCMA, true
	}
	return Codec{}, false
}

func direction(attrs []sdp.Attribute) string {
	for _, a := range attrs {
		switch a.Key {
		case SendRecv, SendOnly, RecvOnly, Inactive:
			return a.Key
		}
	}
	return ""
}

// Answerer writes SDP answers for one dialog. It keeps the o= session id
// and bumps the version only when the answer changes, as RFC 3264 §8
// requires across re-INVITEs. The zero value is ready to use.
type Answerer struct {
	mu      sync.Mutex
	id      uint64
	version uint64
	last    []byte
}

// Answer writes the SDP answer for n with our media at local.
func (a *Answerer) Answer(local netip.AddrPort, n Negotiated) ([]byte, error) {
	if !local.IsValid() || local.Port() == 0 {
		return nil, fmt.Errorf("answer sdp: invalid local address %v", local)
	}
	if n.Codec.Name != PCMU.Name && n.Codec.Name != PCMA.Name {
		return nil, fmt.Errorf("answer sdp: codec %q: %w", n.Codec.Name, ErrNoCommonCodec)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.id == 0 {
		// Some parsers hold these in signed 64-bit or even 32-bit ints.
		a.id = uint64(rand.Uint32()) + 1
		a.version = 1
	}
	body, err := buildAnswer(local, n, a.id, a.version)
	if err != nil {
		return nil, err
	}
	if a.last != nil && !bytes.Equal(body, a.last) {
		a.version++
		if body, err = buildAnswer(local, n, a.id, a.version); err != nil {
			return nil, err
		}
	}
	a.last = body
	return bytes.Clone(body), nil
}

func buildAnswer(local netip.AddrPort, n Negotiated, id, version uint64) ([]byte, error) {
	ip := local.Addr().Unmap()
	addrType := "IP4"
	if ip.Is6() {
		addrType = "IP6"
	}
	pt := strconv.Itoa(int(n.Codec.PayloadType))
	audio := &sdp.MediaDescription{
		MediaName: sdp.MediaName{
			Media:   "audio",
			Port:    sdp.RangedPort{Value: int(local.Port())},
			Protos:  []string{"RTP", "AVP"},
			Formats: []string{pt},
		},
		Attributes: []sdp.Attribute{
			sdp.NewAttribute("rtpmap", pt+" "+n.Codec.Name+"/8000"),
		},
	}
	if n.HasDTMF {
		dtmf := strconv.Itoa(int(n.DTMFPayloadType))
		audio.MediaName.Formats = append(audio.MediaName.Formats, dtmf)
		audio.Attributes = append(audio.Attributes,
			sdp.NewAttribute("rtpmap", dtmf+" telephone-event/8000"),
			sdp.NewAttribute("fmtp", dtmf+" 0-16"))
	}
	dir := n.Direction
	if dir == "" {
		dir = SendRecv
	}
	audio.Attributes = append(audio.Attributes,
		sdp.NewAttribute("ptime", "20"),
		sdp.NewPropertyAttribute(dir))

	desc := sdp.SessionDescription{
		Origin: sdp.Origin{
			Username:       "contactd",
			SessionID:      id,
			SessionVersion: version,
			NetworkType:    "IN",
			AddressType:    addrType,
			UnicastAddress: ip.String(),
		},
		SessionName: "contactd",
		ConnectionInformation: &sdp.ConnectionInformation{
			NetworkType: "IN",
			AddressType: addrType,
			Address:     &sdp.Address{Address: ip.String()},
		},
		TimeDescriptions: []sdp.TimeDescription{{}},
	}
	if n.mlines == "" {
		desc.MediaDescriptions = []*sdp.MediaDescription{audio}
	} else {
		for line := range strings.SplitSeq(n.mlines, "\n") {
			if line == "*" {
				desc.MediaDescriptions = append(desc.MediaDescriptions, audio)
				continue
			}
			media, rest, _ := strings.Cut(line, " ")
			proto, format, _ := strings.Cut(rest, " ")
			desc.MediaDescriptions = append(desc.MediaDescriptions, &sdp.MediaDescription{
				MediaName: sdp.MediaName{
					Media:   media,
					Port:    sdp.RangedPort{Value: 0},
					Protos:  strings.Split(proto, "/"),
					Formats: []string{format},
				},
			})
		}
	}
	body, err := desc.Marshal()
	if err != nil {
		return nil, fmt.Errorf("marshal sdp answer: %w", err)
	}
	return body, nil
}
