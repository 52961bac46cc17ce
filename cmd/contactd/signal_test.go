package main

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.LocalAddr().(*net.UDPAddr).Port
}

func waitFor(t *testing.T, out *lockedBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q:\n%s", s, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The first SIGTERM waits for the call in progress; a second exits at once.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "contactd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sipPort := freePort(t)
	cmd := exec.Command(bin, "serve", "-config", "testdata/good.yaml",
		"-sip-listen", "127.0.0.1:"+strconv.Itoa(sipPort), "-http-listen", "127.0.0.1:0", "-data", t.TempDir())
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill()
	waitFor(t, out, "contactd started")

	// An INVITE that is never ACKed keeps a call in progress.
	conn, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", sipPort))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
	fmt.Fprintf(conn, "INVITE sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKsig1\r\nFrom: <sip:1@127.0.0.1>;tag=a\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: sig1@test\r\nCSeq: 1 INVITE\r\nContact: <sip:1@%s>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		conn.LocalAddr(), conn.LocalAddr(), len(sdp), sdp)
	waitFor(t, out, "call started")

	cmd.Process.Signal(syscall.SIGTERM)
	waitFor(t, out, "draining")
	select {
	case err := <-exited:
		t.Fatalf("exited (%v) after one signal with a call up, want it to wait", err)
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after second signal: %v, want status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10 s after the second signal:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "second signal") {
		t.Errorf("log lacks the second-signal notice:\n%s", out.String())
	}
}
