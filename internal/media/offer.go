package media

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/pion/sdp/v3"
)

// offerDTMFPayloadType is the telephone-event type contactd offers.
const offerDTMFPayloadType = 101

// BuildOffer builds the SDP offer contactd sends when it places a call (to an
// agent): PCMU and PCMA, so either side of a bridge can be transcoded, and
// RFC 4733 events. The answer is read with ParseOffer and Negotiate, which
// pick the codec the answerer kept.
func BuildOffer(local netip.AddrPort) ([]byte, error) {
	var idb [4]byte
	rand.Read(idb[:])
	ipVer := "IP4"
	if local.Addr().Is6() {
		ipVer = "IP6"
	}
	addr := local.Addr().String()
	d := &sdp.SessionDescription{
		Origin: sdp.Origin{
			Username: "contactd", SessionID: uint64(binary.BigEndian.Uint32(idb[:])), SessionVersion: 1,
			NetworkType: "IN", AddressType: ipVer, UnicastAddress: addr,
		},
		SessionName:           "contactd",
		ConnectionInformation: &sdp.ConnectionInformation{NetworkType: "IN", AddressType: ipVer, Address: &sdp.Address{Address: addr}},
		TimeDescriptions:      []sdp.TimeDescription{{}},
		MediaDescriptions: []*sdp.MediaDescription{{
			MediaName: sdp.MediaName{
				Media: "audio", Port: sdp.RangedPort{Value: int(local.Port())}, Protos: []string{"RTP", "AVP"},
				Formats: []string{"0", "8", fmt.Sprint(offerDTMFPayloadType)},
			},
			Attributes: []sdp.Attribute{
				{Key: "rtpmap", Value: "0 PCMU/8000"},
				{Key: "rtpmap", Value: "8 PCMA/8000"},
				{Key: "rtpmap", Value: fmt.Sprintf("%d telephone-event/8000", offerDTMFPayloadType)},
				{Key: "fmtp", Value: fmt.Sprintf("%d 0-16", offerDTMFPayloadType)},
				{Key: "ptime", Value: "20"},
				{Key: "sendrecv"},
			},
		}},
	}
	b, err := d.Marshal()
	if err != nil {
		return nil, fmt.Errorf("build sdp offer: %w", err)
	}
	return b, nil
}
