package media

import (
	"net/netip"
	"testing"
)

// Our offer, read back as the other side would, offers PCMU first, PCMA,
// and telephone-event 101 at our address.
func TestBuildOfferRoundTrip(t *testing.T) {
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	b, err := BuildOffer(local)
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOffer(b)
	if err != nil {
		t.Fatalf("parse our own offer: %v\n%s", err, b)
	}
	n, err := Negotiate(o)
	if err != nil {
		t.Fatal(err)
	}
	if n.Codec.Name != "PCMU" || !n.HasDTMF || n.DTMFPayloadType != 101 || n.Remote != local || n.Direction != SendRecv {
		t.Errorf("got %+v, want PCMU, DTMF 101, %v, sendrecv", n, local)
	}
}
