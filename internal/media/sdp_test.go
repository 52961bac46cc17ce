package media

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readOffer(t *testing.T, name string) *Offer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdp", name))
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOffer(b)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return o
}

func TestNegotiate(t *testing.T) {
	remote := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	tests := []struct {
		file    string
		want    Negotiated
		wantErr error
	}{
		{file: "pcmu_pcma_dtmf.sdp", want: Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: remote("192.0.2.10:40000"), Direction: SendRecv}},
		{file: "pcma_first.sdp", want: Negotiated{Codec: PCMA, DTMFPayloadType: 101, HasDTMF: true, Remote: remote("192.0.2.10:40002"), Direction: SendRecv}},
		{file: "g729_first.sdp", want: Negotiated{Codec: PCMU, Remote: remote("192.0.2.10:40004"), Direction: SendRecv}},
		{file: "g729_only.sdp", wantErr: ErrNoCommonCodec},
		{file: "srtp_only.sdp", wantErr: ErrNoCommonCodec},
		{file: "dtmf_pt96.sdp", want: Negotiated{Codec: PCMU, DTMFPayloadType: 96, HasDTMF: true, Remote: remote("192.0.2.10:40008"), Direction: SendRecv}},
		{file: "dynamic_pcmu.sdp", want: Negotiated{Codec: Codec{Name: "PCMU", PayloadType: 97, ClockRate: 8000}, DTMFPayloadType: 101, HasDTMF: true, Remote: remote("192.0.2.10:40010"), Direction: SendRecv}},
		{file: "hold_sendonly.sdp", want: Negotiated{Codec: PCMU, DTMFPayloadType: 101, HasDTMF: true, Remote: remote("192.0.2.10:40012"), Direction: RecvOnly, RemoteHold: true}},
		{file: "hold_inactive.sdp", want: Negotiated{Codec: PCMA, Remote: remote("192.0.2.10:40014"), Direction: Inactive, RemoteHold: true}},
		{file: "hold_c0.sdp", want: Negotiated{Codec: PCMU, Remote: remote("0.0.0.0:40016"), Direction: RecvOnly, RemoteHold: true}},
		{file: "recvonly.sdp", want: Negotiated{Codec: PCMU, Remote: remote("192.0.2.10:40018"), Direction: SendOnly}},
		{file: "session_sendonly.sdp", want: Negotiated{Codec: PCMU, Remote: remote("192.0.2.10:40020"), Direction: RecvOnly, RemoteHold: true}},
		{file: "media_level_c.sdp", want: Negotiated{Codec: PCMU, Remote: remote("198.51.100.7:40022"), Direction: SendRecv}},
		{file: "video_first.sdp", want: Negotiated{Codec: PCMA, DTMFPayloadType: 101, HasDTMF: true, Remote: remote("192.0.2.10:40024"), Direction: SendRecv}},
		{file: "wideband_dtmf.sdp", want: Negotiated{Codec: PCMU, DTMFPayloadType: 126, HasDTMF: true, Remote: remote("192.0.2.10:40030"), Direction: SendRecv}},
		{file: "ipv6.sdp", want: Negotiated{Codec: PCMU, Remote: remote("[2001:db8::10]:40032"), Direction: SendRecv}},
		{file: "lf_only.sdp", want: Negotiated{Codec: PCMA, Remote: remote("192.0.2.10:40038"), Direction: SendRecv}},
		{file: "no_connection.sdp", wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := Negotiate(readOffer(t, tt.file))
			switch {
			case tt.wantErr == errAny:
				if err == nil {
					t.Fatalf("got %+v, want an error", got)
				}
				return
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("got error %v, want %+v", err, tt.want)
			}
			got.mlines = ""
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// errAny marks a test case that wants some error, whichever.
var errAny = errors.New("any error")

func TestParseOfferRejectsMalformed(t *testing.T) {
	for _, file := range []string{"garbage.sdp", "bad_port.sdp", "no_origin.sdp"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "sdp", file))
			if err != nil {
				t.Fatal(err)
			}
			if o, err := ParseOffer(b); err == nil {
				t.Errorf("got %+v, want an error", o.desc)
			}
		})
	}
	if _, err := ParseOffer(nil); err == nil {
		t.Error("empty body: got no error, want one")
	}
}

// answerLines splits an answer into its lines, checking CRLF endings.
func answerLines(t *testing.T, body []byte) []string {
	t.Helper()
	s := string(body)
	if !strings.HasSuffix(s, "\r\n") {
		t.Fatalf("answer does not end in CRLF: %q", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
}

func TestAnswer(t *testing.T) {
	local := netip.MustParseAddrPort("203.0.113.5:20000")
	tests := []struct {
		file  string
		media []string // the m= and a= lines we expect, in order
	}{
		{"pcmu_pcma_dtmf.sdp", []string{
			"m=audio 20000 RTP/AVP 0 101",
			"a=rtpmap:0 PCMU/8000",
			"a=rtpmap:101 telephone-event/8000",
			"a=fmtp:101 0-16",
			"a=ptime:20",
			"a=sendrecv",
		}},
		{"pcma_first.sdp", []string{"m=audio 20000 RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv"}},
		{"dtmf_pt96.sdp", []string{"m=audio 20000 RTP/AVP 0 96", "a=rtpmap:0 PCMU/8000", "a=rtpmap:96 telephone-event/8000", "a=fmtp:96 0-16", "a=ptime:20", "a=sendrecv"}},
		{"dynamic_pcmu.sdp", []string{"m=audio 20000 RTP/AVP 97 101", "a=rtpmap:97 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv"}},
		{"g729_first.sdp", []string{"m=audio 20000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=ptime:20", "a=sendrecv"}},
		{"hold_sendonly.sdp", []string{"m=audio 20000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=recvonly"}},
		{"hold_inactive.sdp", []string{"m=audio 20000 RTP/AVP 8", "a=rtpmap:8 PCMA/8000", "a=ptime:20", "a=inactive"}},
		{"recvonly.sdp", []string{"m=audio 20000 RTP/AVP 0", "a=rtpmap:0 PCMU/8000", "a=ptime:20", "a=sendonly"}},
		{"video_first.sdp", []string{
			"m=video 0 RTP/AVP 96",
			"m=audio 20000 RTP/AVP 8 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv",
			"m=audio 0 RTP/AVP 0",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			n, err := Negotiate(readOffer(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var a Answerer
			body, err := a.Answer(local, n)
			if err != nil {
				t.Fatal(err)
			}
			lines := answerLines(t, body)
			head := []string{"v=0", "o=contactd", "s=contactd", "c=IN IP4 203.0.113.5", "t=0 0"}
			for i, want := range head {
				if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
					t.Fatalf("line %d: got %q, want prefix %q\n%s", i, lines[min(i, len(lines)-1)], want, body)
				}
			}
			if got := lines[len(head):]; !slices.Equal(got, tt.media) {
				t.Errorf("media lines: got %q, want %q", got, tt.media)
			}
			// The answer must parse, and the caller must be able to
			// negotiate the same codec from it.
			back, err := ParseOffer(body)
			if err != nil {
				t.Fatalf("answer does not parse: %v\n%s", err, body)
			}
			if _, err := Negotiate(back); err != nil && n.Direction != Inactive {
				t.Errorf("negotiate our answer: %v", err)
			}
		})
	}
}

func TestAnswererVersion(t *testing.T) {
	local := netip.MustParseAddrPort("203.0.113.5:20000")
	active, err := Negotiate(readOffer(t, "pcmu_pcma_dtmf.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	held := active
	held.Direction, held.RemoteHold = RecvOnly, true

	var a Answerer
	steps := []struct {
		name    string
		n       Negotiated
		version string
	}{
		{"initial", active, "1"},
		{"same again", active, "1"},
		{"hold", held, "2"},
		{"hold refresh", held, "2"},
		{"resume", active, "3"},
	}
	var id string
	for _, st := range steps {
		body, err := a.Answer(local, st.n)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		f := strings.Fields(strings.TrimPrefix(answerLines(t, body)[1], "o="))
		if len(f) != 6 {
			t.Fatalf("%s: origin %q", st.name, f)
		}
		if id == "" {
			id = f[1]
		}
		if f[1] != id {
			t.Errorf("%s: session id got %s, want %s", st.name, f[1], id)
		}
		if f[2] != st.version {
			t.Errorf("%s: version got %s, want %s", st.name, f[2], st.version)
		}
	}
}

func TestAnswerErrors(t *testing.T) {
	n := Negotiated{Codec: PCMU, Remote: netip.MustParseAddrPort("192.0.2.1:4000"), Direction: SendRecv}
	var a Answerer
	if _, err := a.Answer(netip.AddrPort{}, n); err == nil {
		t.Error("invalid local address: got no error, want one")
	}
	bad := n
	bad.Codec = Codec{Name: "G729", PayloadType: 18, ClockRate: 8000}
	if _, err := a.Answer(netip.MustParseAddrPort("127.0.0.1:20000"), bad); !errors.Is(err, ErrNoCommonCodec) {
		t.Errorf("G.729: got %v, want %v", err, ErrNoCommonCodec)
	}
	body, err := a.Answer(netip.MustParseAddrPort("[2001:db8::5]:20000"), n)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := answerLines(t, body)[3], "c=IN IP6 2001:db8::5"; got != want {
		t.Errorf("IPv6 connection line: got %q, want %q", got, want)
	}
}
