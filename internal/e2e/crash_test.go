package e2e

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/demo"
)

// daemon is contactd run as its own process, so it can be killed.
type daemon struct {
	*contactd
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has ended
}

// buildContactd builds the binary once per test.
func buildContactd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "contactd")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/contactd").CombinedOutput(); err != nil {
		t.Fatalf("build contactd: %v\n%s", err, out)
	}
	return bin
}

// startDaemon runs `contactd serve -config conf -data data` on fresh ports.
func startDaemon(t *testing.T, bin, conf, data string) *daemon {
	t.Helper()
	sipPort, httpPort := freePort(t), freePort(t)
	cmd := exec.Command(bin, "serve", "-config", conf, "-data", data,
		"-sip-listen", fmt.Sprintf("127.0.0.1:%d", sipPort), "-http-listen", fmt.Sprintf("127.0.0.1:%d", httpPort))
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{
		contactd: &contactd{t: t, sip: fmt.Sprintf("127.0.0.1:%d", sipPort), api: fmt.Sprintf("http://127.0.0.1:%d", httpPort), logs: logs},
		cmd:      cmd, exited: make(chan struct{}),
	}
	go func() {
		cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-d.exited
		if t.Failed() {
			t.Logf("contactd (pid %d) log:\n%s", cmd.Process.Pid, tail(logs.String(), 80))
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "contactd started") {
		if time.Now().After(deadline) {
			t.Fatalf("contactd did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return d
}

// SIGKILL in the middle of a recorded conversation: after a restart on the
// same data, the call that had finished is intact, the one cut off is
// marked interrupted, and its recording's file was repaired (its header
// gives the length of the audio written before the kill) and is marked
// interrupted too.
func TestKillMidCallKeepsFinishedCallsAndRepairsRecording(t *testing.T) {
	t.Parallel()
	bin := buildContactd(t)
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "prompts"), demo.PromptsFS()); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "contactd.yaml")
	if err := os.WriteFile(conf, []byte(queueConfig{agents: aliceSupport}.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	d := startDaemon(t, bin, conf, data)

	// A call that finishes.
	alice := d.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})
	if code := d.runSIPp(sippRun{scenario: "caller_queue1.xml", caller: "6001"}); code != 0 {
		t.Fatalf("first call: sipp exit code %d, want 0", code)
	}
	alice.wait()
	done := d.waitInbound("6001")

	// A call cut off by the kill while alice talks.
	d.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", hold: 60 * time.Second})
	d.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "6002"})
	a := d.waitAgent("alice", "on the second call", func(a agentView) bool { return a.State == "on_call" && a.CurrentCall != "" })
	cut := a.CurrentCall
	time.Sleep(3 * time.Second) // a few seconds of recording flushed to disk
	d.cmd.Process.Signal(syscall.SIGKILL)
	<-d.exited
	// The caller and alice's phone are killed at cleanup.

	d2 := startDaemon(t, bin, conf, data)
	if !strings.Contains(d2.logs.String(), "repaired recordings left open") || !strings.Contains(d2.logs.String(), "closed calls left open") {
		t.Errorf("restart log: want the repaired recording and the closed call reported:\n%s", d2.logs.String())
	}
	if got := d2.callByID(done.ID); got == nil || got.Outcome != "answered" || got.Queueing == nil || got.Queueing.Agent != "alice" {
		t.Errorf("finished call after the kill: got %+v, want it answered by alice", got)
	}
	got := d2.callByID(cut)
	if got == nil || got.Outcome != "interrupted" {
		t.Fatalf("cut-off call: got %+v, want outcome interrupted", got)
	}
	var j journeyView
	d2.getJSON("/api/v1/calls/"+cut, &j)
	if len(j.Recordings) != 1 || j.Recordings[0].Status != "interrupted" {
		t.Fatalf("cut-off call's recordings: got %+v, want one, interrupted", j.Recordings)
	}
	r := j.Recordings[0]
	status, b := d2.request("GET", r.Audio, nil)
	if status != http.StatusOK || len(b) < 44 {
		t.Fatalf("GET %s: got %d with %d bytes, want the repaired WAV", r.Audio, status, len(b))
	}
	if riff, data := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[40:]); int(riff) != len(b)-8 || int(data) != len(b)-44 {
		t.Errorf("repaired header: got RIFF %d data %d for %d bytes, want %d and %d", riff, data, len(b), len(b)-8, len(b)-44)
	}
	if secs := float64(len(b)-44) / (8000 * 4); secs < 1 || r.Seconds < 1 {
		t.Errorf("repaired recording: got %.1f s of audio (%.1f s in its metadata), want the seconds talked before the kill", secs, r.Seconds)
	}
	var left []int16
	for i := 44; i+3 < len(b); i += 4 {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
	}
	// The kill may come in a pause of the caller's speech: look at its
	// loudest second.
	var loudest float64
	for off := 0; off+8000 <= len(left); off += 800 {
		loudest = max(loudest, rms(left[off:off+8000]))
	}
	if loudest < 300 {
		t.Errorf("repaired recording: caller's loudest second has RMS %.0f, want speech", loudest)
	}
}
