package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// inviteWithSDP is a raw INVITE offering PCMU, for probing the server.
func inviteWithSDP(addr string) string {
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
	msg := sipRequest("INVITE", addr, "Contact: <sip:probe@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n")
	return strings.Replace(msg, "Content-Length: 0\r\n\r\n", "Content-Length: "+strconv.Itoa(len(sdp))+"\r\n\r\n"+sdp, 1)
}

// A stop lets the call in progress finish while new calls get 503.
func TestDrainFinishesCallsInProgress(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	sippDone := make(chan int, 1)
	go func() { sippDone <- c.runSIPp(sippRun{scenario: "caller_bye.xml", caller: "2801"}) }()
	// Wait until the call is up, then start draining.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.logs.String(), "call started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	drained := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		drained <- c.srv.Drain(ctx)
	}()
	time.Sleep(200 * time.Millisecond)
	if got := request(t, c.sip, inviteWithSDP(c.sip), 3*time.Second); !strings.HasPrefix(got, "SIP/2.0 503") {
		t.Errorf("new call while draining: got %q, want 503", got)
	}
	if code := <-sippDone; code != 0 {
		t.Errorf("call in progress: sipp exit code %d, want 0", code)
	}
	if err := <-drained; err != nil {
		t.Errorf("drain: got %v, want nil once the call ended", err)
	}
	checkCall(t, c.waitCall("2801"), "", "abandoned_in_ivr", "caller_hangup", "")
}

// When the drain timeout passes, remaining calls get a BYE and their
// records are kept.
func TestDrainTimeoutHangsUp(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	sippDone := make(chan int, 1)
	// This caller never hangs up by itself and waits for our BYE.
	go func() { sippDone <- c.runSIPp(sippRun{scenario: "caller_silent.xml", caller: "2901"}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.logs.String(), "call started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.srv.Drain(ctx); err == nil {
		t.Errorf("drain: got nil, want the timeout reported")
	}
	if code := <-sippDone; code != 0 {
		t.Errorf("sipp exit code %d, want 0 (BYE from contactd)", code)
	}
	call := c.waitCall("2901")
	if call.EndReason != "shutdown" {
		t.Errorf("end reason: got %q, want shutdown", call.EndReason)
	}
}
