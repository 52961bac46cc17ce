package e2e

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// torture is a malformed or unusual request in the spirit of RFC 4475's
// torture tests (written for contactd, not copied from the RFC), and what
// a sane server may answer: one of the status classes in want ("2", "4"
// ...), or nothing at all when silent is true (a message too broken to
// answer).
type torture struct {
	name   string
	msg    func(addr string) string
	want   string
	silent bool
}

func tortures() []torture {
	long := strings.Repeat("a", 16000)
	many := strings.Repeat("X-Pad: x\r\n", 400)
	return []torture{
		{"mixed-case header names and extra whitespace", func(a string) string {
			return strings.NewReplacer("Via:", "vIA :   ", "Call-ID:", "call-id:\t", "CSeq:", "cseq:  ").Replace(sipRequest("OPTIONS", a, ""))
		}, "2", false},
		{"compact header forms", func(a string) string {
			return strings.NewReplacer("Via:", "v:", "From:", "f:", "To:", "t:", "Call-ID:", "i:", "Content-Length:", "l:").Replace(sipRequest("OPTIONS", a, ""))
		}, "2", false},
		{"escaped request-URI user", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "sip:100@", "sip:%31%30%30@", 1)
		}, "2", false},
		{"very long header value", func(a string) string { return sipRequest("OPTIONS", a, "Subject: "+long+"\r\n") }, "24", true},
		{"four hundred headers", func(a string) string { return sipRequest("OPTIONS", a, many) }, "24", true},
		{"unknown method with a body", func(a string) string {
			return strings.Replace(sipRequest("NEWMETHOD", a, "Content-Type: text/plain\r\n"), "Content-Length: 0\r\n\r\n", "Content-Length: 5\r\n\r\nhello", 1)
		}, "45", false},
		{"CSeq method differs from the request's", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1)
		}, "4", false},
		{"negative Content-Length", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "Content-Length: 0", "Content-Length: -5", 1)
		}, "4", true},
		{"Content-Length past the datagram", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "Content-Length: 0", "Content-Length: 900", 1)
		}, "4", true},
		{"unknown SIP version", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "SIP/2.0\r\n", "SIP/7.0\r\n", 1)
		}, "5", true},
		{"no CSeq number", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "CSeq: 1 OPTIONS", "CSeq: OPTIONS", 1)
		}, "4", true},
		{"Max-Forwards zero", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), "Max-Forwards: 70", "Max-Forwards: 0", 1)
		}, "24", false},
		{"NUL bytes in a header", func(a string) string { return sipRequest("OPTIONS", a, "Subject: a\x00b\r\n") }, "24", true},
		{"INVITE with an SDP body that is garbage", func(a string) string {
			return strings.Replace(sipRequest("INVITE", a, "Contact: <sip:t@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n"), "Content-Length: 0\r\n\r\n", "Content-Length: 12\r\n\r\nv=0\r\nm=nope\r\n", 1)
		}, "4", false},
		{"Via without a branch", func(a string) string {
			return strings.Replace(sipRequest("OPTIONS", a, ""), ";branch=", ";x=", 1)
		}, "24", true},
	}
}

// answerClass is a status line's first digit, or "" for no answer.
func answerClass(line string) string {
	if code, ok := strings.CutPrefix(line, "SIP/2.0 "); ok && code != "" {
		return code[:1]
	}
	return ""
}

// tcpRequest sends msg on a new TCP connection and returns the first
// final status line, or "" if none came within wait.
func tcpRequest(t *testing.T, addr, msg string, wait time.Duration) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, "{local}", conn.LocalAddr().String()), "SIP/2.0/UDP", "SIP/2.0/TCP")
	if _, err := conn.Write([]byte(msg)); err != nil {
		return ""
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	rd := bufio.NewReader(conn)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return ""
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "SIP/2.0 ") && !strings.HasPrefix(line, "SIP/2.0 1") {
			return line
		}
	}
}

// Every torture message, over UDP and over TCP, gets an answer of an
// acceptable class (or, for the truly broken, none), and contactd still
// takes a call afterwards.
func TestTortureMessages(t *testing.T) {
	t.Parallel()
	c := startDemo(t, withoutWaiting)
	for _, tt := range tortures() {
		for _, transport := range []string{"udp", "tcp"} {
			msg := tt.msg(c.sip)
			var got string
			if transport == "udp" {
				got = request(t, c.sip, msg, 2*time.Second)
			} else {
				got = tcpRequest(t, c.sip, msg, 2*time.Second)
			}
			t.Logf("%s over %s: %q", tt.name, transport, got)
			class := answerClass(got)
			switch {
			case class == "" && tt.silent:
			case class != "" && strings.Contains(tt.want, class):
			default:
				t.Errorf("%s over %s: got %q, want a %sxx answer (or none: %v)", tt.name, transport, got, tt.want, tt.silent)
			}
		}
	}
	if code := c.runSIPp(sippRun{scenario: "caller_rfc4733.xml", caller: "2701"}); code != 0 {
		t.Fatalf("call after the torture: sipp exit code %d, want 0", code)
	}
	checkCall(t, c.waitCall("2701"), "31", "no_agents", "hangup", "support")
}
