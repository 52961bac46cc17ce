package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"
)

// request sends one raw SIP request over UDP, retransmitting like a UA does
// (RFC 3261 timer A: 500 ms, doubling), and returns the status line of the
// first final response ("" if none came within wait).
func request(t *testing.T, addr, msg string, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg = strings.ReplaceAll(msg, "{local}", conn.LocalAddr().String())
	if _, err := conn.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	deadline := time.Now().Add(wait)
	retrans := 500 * time.Millisecond
	next := time.Now().Add(retrans)
	for {
		rd := next
		if deadline.Before(next) {
			rd = deadline
		}
		conn.SetReadDeadline(rd)
		n, err := conn.Read(buf)
		if err != nil {
			if time.Now().Before(deadline) {
				retrans *= 2
				next = time.Now().Add(retrans)
				conn.Write([]byte(msg))
				continue
			}
			return ""
		}
		line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
		if !strings.HasPrefix(line, "SIP/2.0 1") {
			return line
		}
	}
}

func sipRequest(method, addr, extra string) string {
	branch := fmt.Sprintf("z9hG4bK%d", rand.Int64())
	return method + " sip:100@" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP {local};branch=" + branch + "\r\n" +
		"From: <sip:test@127.0.0.1>;tag=t" + branch[7:] + "\r\n" +
		"To: <sip:100@" + addr + ">\r\n" +
		"Call-ID: " + branch + "@test\r\n" +
		"CSeq: 1 " + method + "\r\n" +
		"Max-Forwards: 70\r\n" + extra +
		"Content-Length: 0\r\n\r\n"
}

// Each method gets the answer a SIP peer expects.
func TestMethodsAnswered(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	tests := []struct {
		name, msg, want string
	}{
		{"options", sipRequest("OPTIONS", c.sip, ""), "SIP/2.0 200"},
		{"unknown method", sipRequest("FROB", c.sip, ""), "SIP/2.0 501"},
		{"known but unsupported", sipRequest("SUBSCRIBE", c.sip, "Event: presence\r\n"), "SIP/2.0 405"},
		{"bye outside a dialog", sipRequest("BYE", c.sip, ""), "SIP/2.0 481"},
		{"invite without sdp", sipRequest("INVITE", c.sip, "Contact: <sip:test@127.0.0.1:9>\r\n"), "SIP/2.0 488"},
		{"missing call-id", strings.Replace(sipRequest("OPTIONS", c.sip, ""), "Call-ID:", "X-Not-Call-ID:", 1), "SIP/2.0 400"},
	}
	for _, tt := range tests {
		got := request(t, c.sip, tt.msg, 3*time.Second)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Garbage and truncated messages crash nothing: the next call still works.
func TestGarbageDoesNotStopService(t *testing.T) {
	t.Parallel()
	c := startDemo(t, withoutWaiting)
	conn, err := net.Dial("udp", c.sip)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		b := make([]byte, 1+rng.IntN(1400))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		if i%3 == 0 {
			copy(b, "INVITE sip:")
		}
		conn.Write(b)
	}
	invite := sipRequest("INVITE", c.sip, "Contact: <sip:test@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n")
	invite = strings.Replace(invite, "Content-Length: 0", "Content-Length: 300", 1) + "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0"
	for _, msg := range []string{
		invite,                     // body shorter than Content-Length
		invite[:len(invite)/2],     // cut in the headers
		"INVITE sip:100@x SIP/2.0", // a start line only
		"SIP/2.0 200 OK\r\n\r\n",   // a stray response
		strings.Repeat("A", 65000),
	} {
		conn.Write([]byte(msg))
	}
	conn.Close()
	// TCP: garbage, then the connection closes mid-message.
	if tc, err := net.Dial("tcp", c.sip); err == nil {
		tc.Write([]byte("INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: garbage\r\nContent-Length: 99999\r\n\r\nxx"))
		tc.Write([]byte{0, 1, 2, 3, 0xff, '\r', '\n', '\r', '\n'})
		tc.Close()
	}
	if got := request(t, c.sip, sipRequest("OPTIONS", c.sip, ""), 3*time.Second); !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("OPTIONS after garbage: got %q, want 200", got)
	}
	if code := c.runSIPp(sippRun{scenario: "caller_rfc4733.xml", caller: "2601"}); code != 0 {
		t.Fatalf("call after garbage: sipp exit code %d, want 0", code)
	}
	checkCall(t, c.waitCall("2601"), "31", "no_agents", "hangup", "support")
}
