package e2e

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/sipua"
)

// startAgentPhone runs SIPp as an agent's phone (UAS) and returns its
// contact URI and a channel with SIPp's exit code.
func startAgentPhone(t *testing.T, scenarioArgs ...string) (string, chan int) {
	t.Helper()
	bin := requireBinary(t, "sipp", "sip-tester")
	port := freePort(t)
	dir := t.TempDir()
	args := append(scenarioArgs, "-i", "127.0.0.1", "-p", strconv.Itoa(port), "-mp", strconv.Itoa(freePort(t)),
		"-m", "1", "-nostdin", "-timeout", "40s", "-timeout_error",
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"))
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start sipp: %v", err)
	}
	done := make(chan int, 1)
	go func() {
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		done <- code
	}()
	t.Cleanup(func() { cmd.Process.Kill() })
	time.Sleep(300 * time.Millisecond) // let SIPp bind its port
	return "sip:agent@127.0.0.1:" + strconv.Itoa(port), done
}

// contactd rings an agent's phone, which answers; hanging up sends BYE.
func TestDialAgentAnswers(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	contact, done := startAgentPhone(t, "-sn", "uas")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	leg, err := c.srv.SIP().Dial(ctx, sipua.DialOptions{Contact: contact, Caller: "+441234", RingTimeout: 10 * time.Second,
		Headers: map[string]string{"X-Contactd-Call-Id": "test-call"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if got := leg.Negotiated().Codec.Name; got != "PCMU" {
		t.Errorf("codec: got %s, want PCMU (SIPp's uas answers PCMU)", got)
	}
	time.Sleep(500 * time.Millisecond)
	if err := leg.Hangup(ctx); err != nil {
		t.Errorf("hangup: %v", err)
	}
	if code := <-done; code != 0 {
		t.Errorf("agent phone: sipp exit code %d, want 0 (INVITE answered, then our BYE)", code)
	}
}

// A phone that only rings is cancelled at the ring timeout.
func TestDialAgentRingNoAnswer(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	contact, done := startAgentPhone(t, "-sf", filepath.Join("testdata", "agent_noanswer.xml"))
	_, err := c.srv.SIP().Dial(context.Background(), sipua.DialOptions{Contact: contact, Caller: "+441234", RingTimeout: 2 * time.Second})
	if !errors.Is(err, sipua.ErrNoAnswer) {
		t.Errorf("dial: got %v, want ErrNoAnswer", err)
	}
	if code := <-done; code != 0 {
		t.Errorf("agent phone: sipp exit code %d, want 0 (CANCEL received)", code)
	}
}
