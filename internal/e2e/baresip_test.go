package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/prompt"
)

// baresip drives a headless baresip 1.0 softphone over ctrl_tcp.
type baresip struct {
	t    *testing.T
	dir  string
	conn net.Conn
	rd   *bufio.Reader
	cmd  *exec.Cmd
}

// startBaresip runs baresip with an account that never registers: it
// only dials.
func startBaresip(t *testing.T) *baresip {
	t.Helper()
	return startBaresipAccount(t, "<sip:softphone@127.0.0.1>;regint=0;audio_codecs=PCMU,PCMA")
}

// startBaresipAgent runs baresip as an agent's softphone: it registers
// with contactd (digest auth) and answers every call at once.
func startBaresipAgent(t *testing.T, c *contactd, user, password string) *baresip {
	t.Helper()
	return startBaresipAccount(t, fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;regint=60;answermode=auto;audio_codecs=PCMU,PCMA", user, c.sip, password))
}

// startBaresipAccount runs baresip with one line for its accounts file.
func startBaresipAccount(t *testing.T, account string) *baresip {
	t.Helper()
	bin := requireBinary(t, "baresip", "baresip-core")
	dir := t.TempDir()
	// Its voice: a quiet tone, long enough that baresip never runs out and hangs up.
	voice := &prompt.Audio{Samples: make([]int16, 90*8000)}
	for i := range voice.Samples {
		voice.Samples[i] = int16(1000 * math.Sin(2*math.Pi*300*float64(i)/8000))
	}
	f, err := os.Create(filepath.Join(dir, "voice.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if err := prompt.EncodeWAV(f, voice); err != nil {
		t.Fatal(err)
	}
	f.Close()
	sipPort, ctrlPort, rtpPort := freePort(t), freePort(t), freePort(t)
	os.MkdirAll(filepath.Join(dir, "rec"), 0o755)
	conf := fmt.Sprintf(`sip_listen 127.0.0.1:%d
net_interface 127.0.0.1
audio_player alsa,null
audio_source aufile,%s
audio_alert alsa,null
rtp_ports %d-%d
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module alsa.so
module sndfile.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen 127.0.0.1:%d
snd_path %s
`, sipPort, filepath.Join(dir, "voice.wav"), rtpPort, rtpPort+1, ctrlPort, filepath.Join(dir, "rec"))
	os.WriteFile(filepath.Join(dir, "config"), []byte(conf), 0o644)
	os.WriteFile(filepath.Join(dir, "accounts"), []byte(account+"\n"), 0o644)
	cmd := exec.Command(bin, "-f", dir)
	logf, _ := os.Create(filepath.Join(dir, "baresip.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start baresip: %v", err)
	}
	b := &baresip{t: t, dir: dir, cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			out, _ := os.ReadFile(filepath.Join(dir, "baresip.log"))
			t.Logf("baresip log:\n%s", tail(string(out), 60))
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(ctrlPort))
		if err == nil {
			b.conn, b.rd = conn, bufio.NewReader(conn)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("baresip ctrl_tcp never came up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return b
}

// command sends one ctrl_tcp command (netstring-framed JSON).
func (b *baresip) command(cmd, params string) {
	b.t.Helper()
	msg, _ := json.Marshal(map[string]string{"command": cmd, "params": params, "token": cmd})
	if _, err := fmt.Fprintf(b.conn, "%d:%s,", len(msg), msg); err != nil {
		b.t.Fatalf("baresip %s: %v", cmd, err)
	}
}

// waitEvent reads ctrl_tcp messages until an event of type typ arrives.
func (b *baresip) waitEvent(typ string, timeout time.Duration) {
	b.t.Helper()
	b.conn.SetReadDeadline(time.Now().Add(timeout))
	defer b.conn.SetReadDeadline(time.Time{})
	for {
		lenStr, err := b.rd.ReadString(':')
		if err != nil {
			b.t.Fatalf("waiting for %s: %v", typ, err)
		}
		n, err := strconv.Atoi(strings.TrimSuffix(lenStr, ":"))
		if err != nil {
			b.t.Fatalf("ctrl_tcp framing: %q", lenStr)
		}
		buf := make([]byte, n+1)
		if _, err := io.ReadFull(b.rd, buf); err != nil {
			b.t.Fatalf("waiting for %s: %v", typ, err)
		}
		var ev struct {
			Event bool   `json:"event"`
			Type  string `json:"type"`
		}
		json.Unmarshal(buf[:n], &ev)
		if ev.Event && ev.Type == typ {
			return
		}
	}
}

// A softphone user calls the demo, hears the menu, presses 3 and hears the
// opening hours. The test asserts on what baresip received and on the
// digit contactd heard.
func TestSoftphoneHearsTheMenu(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	b := startBaresip(t)
	b.command("dial", "sip:100@"+c.sip)
	b.waitEvent("CALL_ESTABLISHED", 15*time.Second)
	time.Sleep(3 * time.Second) // a few seconds of the greeting
	b.command("sndcode", "3")
	time.Sleep(200 * time.Millisecond)
	b.command("sndcode", "") // release the key: baresip sends the end packets
	time.Sleep(2 * time.Second)
	b.command("hangup", "")
	b.waitEvent("CALL_CLOSED", 10*time.Second)

	call := c.waitCall("softphone")
	if got := digits(call); got != "3" {
		t.Errorf("digits heard from baresip: got %q, want \"3\" (path %+v)", got, call.Path)
	}
	if call.EndReason != "caller_hangup" {
		t.Errorf("end reason: got %q, want caller_hangup", call.EndReason)
	}
	// baresip's sndfile module wrote what it heard: the menu, not silence.
	dec, _ := filepath.Glob(filepath.Join(b.dir, "rec", "dump-*-dec.wav"))
	if len(dec) == 0 {
		entries, _ := os.ReadDir(filepath.Join(b.dir, "rec"))
		t.Fatalf("baresip wrote no received-audio dump; rec has %v", entries)
	}
	heard := readPCM16(t, dec[0])
	secs := float64(len(heard)) / 8000
	if secs < 4 {
		t.Errorf("baresip heard %.1f s of audio, want the ~5 s the call lasted", secs)
	}
	if r := rms(heard); r < 300 {
		t.Errorf("what baresip heard has RMS %.0f, want speech (> 300)", r)
	}
}
