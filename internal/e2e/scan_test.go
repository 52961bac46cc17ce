package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runScanner runs one of Debian's sipvicious tools against contactd (the
// target comes last, as the tool wants it) and returns what it printed.
func (c *contactd) runScanner(name string, args ...string) string {
	c.t.Helper()
	bin := requireBinary(c.t, name, "sipvicious")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args = append([]string{"-P", strconv.Itoa(freePort(c.t))}, args...)
	out, _ := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	c.t.Logf("%s %s:\n%s", name, strings.Join(args, " "), tail(string(out), 10))
	return string(out)
}

// The scans a SIP server on a public address meets within minutes: an
// OPTIONS sweep finds it (that much is public), a user enumeration finds
// no agent because known and unknown users get the same answer, and a
// password cracker is banned before it reaches the right password, which
// is in its list. Then the banned address gets no answer at all, even
// with the right password.
func TestScannersLearnNothing(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	host, port, _ := strings.Cut(c.sip, ":")
	if out := c.runScanner("svmap", "-p", port, host); !strings.Contains(out, "| "+c.sip+" ") {
		t.Errorf("svmap: got %q, want contactd listed (it answers OPTIONS)", out)
	}

	users := filepath.Join(t.TempDir(), "users.txt")
	os.WriteFile(users, []byte("alice\nbob\ncarol\nadmin\n100\n1000\n"), 0o644)
	// --force scans on although every user, known or not, is challenged.
	out := c.runScanner("svwar", "--force", "-d", users, "-m", "REGISTER", "udp://"+c.sip)
	for _, u := range []string{"alice", "bob"} {
		if strings.Contains(out, "| "+u+" ") || strings.Contains(out, u+" |") {
			t.Errorf("svwar enumerated agent %s:\n%s", u, out)
		}
	}
	if !strings.Contains(out, "found nothing") {
		t.Errorf("svwar: got %q, want found nothing", out)
	}

	words := filepath.Join(t.TempDir(), "words.txt")
	var dict strings.Builder
	for i := range 30 {
		fmt.Fprintf(&dict, "guess%d\n", i)
	}
	dict.WriteString("alice-demo\n") // the right one, after the ban
	os.WriteFile(words, []byte(dict.String()), 0o644)
	out = c.runScanner("svcrack", "-u", "alice", "-d", words, "udp://"+c.sip)
	if strings.Contains(out, "alice-demo") {
		t.Errorf("svcrack found alice's password:\n%s", out)
	}
	if !strings.Contains(c.logs.String(), "source banned after repeated authentication failures") {
		t.Errorf("contactd log: want the cracker's address banned")
	}
	// Banned: alice's own phone from that address is not answered now.
	if code := c.runSIPp(sippRun{scenario: "agent_register.xml", caller: "alice", timeout: 5 * time.Second,
		keys: map[string]string{"agent": "alice", "expires": "300"}, extra: []string{"-au", "alice", "-ap", "alice-demo"}}); code == 0 {
		t.Errorf("REGISTER from the banned address: sipp exit code 0, want no answer")
	}
	if a := c.agentViews()["alice"]; a.Registered {
		t.Errorf("alice registered from a banned address")
	}
	// Secrets never reach the log: neither the passwords tried nor the
	// real one, nor the API token the test used.
	logs := c.logs.String()
	for _, secret := range []string{"alice-demo", "guess7", testToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("contactd's log contains the secret %q", secret)
		}
	}
}
