package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/prompt"
	"github.com/contactd/contactd/internal/server"
	"github.com/contactd/contactd/timeline"
)

// requireBinary finds a peer program. Outside CI a missing one skips the
// test; in CI (CI=true) it fails it, because CI installs every peer.
func requireBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: CI must install it (apt-get install -y %s)", name, pkg)
	}
	t.Skipf("%s not found (apt-get install -y %s)", name, pkg)
	return ""
}

// testToken is the admin API token every contactd under test accepts.
const testToken = "e2e-admin-token"

// httpGet GETs an API path with the test's token.
func (c *contactd) httpGet(path string) (*http.Response, error) {
	req, err := http.NewRequest("GET", c.api+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	return http.DefaultClient.Do(req)
}

// contactd is one in-process contactd under test.
type contactd struct {
	t    *testing.T
	srv  *server.Server
	sip  string // host:port
	api  string // http://host:port
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// rtpBase hands each contactd in this process its own RTP port range so
// parallel tests never share one. The ranges stay below Linux's ephemeral
// ports (32768 up), where freePort finds the peers' ports: contactd
// opening an RTP socket must not take a port a peer is about to bind.
var (
	rtpMu   sync.Mutex
	rtpNext = rtpLow
)

const rtpLow, rtpHigh = 10000, 32600

func rtpRange() string {
	rtpMu.Lock()
	defer rtpMu.Unlock()
	lo := rtpNext
	rtpNext += 200
	if rtpNext+200 > rtpHigh {
		rtpNext = rtpLow
	}
	return fmt.Sprintf("%d-%d", lo, lo+199)
}

// startContactd runs contactd with a config text whose relative files come
// from fsys. edit may adjust the parsed config before start.
func startContactd(t *testing.T, yamlText string, fsys fs.FS, edit func(*config.Config)) *contactd {
	t.Helper()
	synth := prompt.NewSynth(prompt.SynthOptions{CacheDir: filepath.Join(t.TempDir(), "tts")})
	cfg, err := config.Parse([]byte(yamlText), t.Name()+".yaml", fsys, server.PromptChecker(synth))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.SIP.Listen = "127.0.0.1:0"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Media.RTPPorts = rtpRange()
	cfg.HTTP.Tokens = append(cfg.HTTP.Tokens, config.APIToken{Token: testToken, Role: "admin"})
	if edit != nil {
		edit(cfg)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("start contactd: %v", err)
	}
	srv.Start()
	c := &contactd{t: t, srv: srv, sip: srv.SIPAddr().String(), api: "http://" + srv.HTTPAddr(), logs: logs}
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("contactd log:\n%s", tail(logs.String(), 150))
		}
	})
	return c
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// freePort returns a port free for both UDP and TCP right now, followed by
// a free port+2 (SIPp's media uses port and port+2).
func freePort(t *testing.T) int {
	t.Helper()
	for range 50 {
		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		ok := true
		for _, q := range []int{p, p + 2} {
			if q > 65535 {
				ok = false
				break
			}
			u, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			u.Close()
			tl, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			tl.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

type sippRun struct {
	scenario  string
	caller    string
	service   string
	transport string // "u1" (default) or "t1"
	port      int    // SIPp's SIP port; 0 picks a free one
	keys      map[string]string
	extra     []string
	timeout   time.Duration
}

// runSIPp runs one SIPp call against contactd and returns its exit code
// (0: every call succeeded).
func (c *contactd) runSIPp(r sippRun) int {
	t := c.t
	t.Helper()
	bin := requireBinary(t, "sipp", "sip-tester")
	if r.service == "" {
		r.service = "100"
	}
	if r.transport == "" {
		r.transport = "u1"
	}
	if r.timeout == 0 {
		r.timeout = 60 * time.Second
	}
	if r.port == 0 {
		r.port = freePort(t)
	}
	dir := t.TempDir()
	args := []string{
		"-sf", filepath.Join("testdata", r.scenario),
		"-s", r.service,
		"-i", "127.0.0.1",
		"-p", strconv.Itoa(r.port),
		"-mp", strconv.Itoa(freePort(t)),
		"-t", r.transport,
		"-m", "1",
		"-nostdin",
		"-timeout", fmt.Sprintf("%ds", int(r.timeout.Seconds())),
		"-timeout_error",
		"-key", "caller", r.caller,
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
		"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"),
	}
	for k, v := range r.keys {
		args = append(args, "-key", k, v)
	}
	args = append(args, r.extra...)
	args = append(args, c.sip)
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, _ = os.Getwd()
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run sipp: %v\n%s", err, out)
		}
		code = ee.ExitCode()
	}
	if code != 0 {
		errs, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		msgs, _ := os.ReadFile(filepath.Join(dir, "messages.log"))
		t.Logf("sipp %s exited %d\nerrors:\n%s\nmessages:\n%s", r.scenario, code, tail(string(errs), 40), tail(string(msgs), 120))
	}
	return code
}

// waitCall polls the API until the newest call from caller has ended.
func (c *contactd) waitCall(caller string) *timeline.Call {
	t := c.t
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.httpGet("/api/v1/calls?limit=100")
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Calls []*timeline.Call `json:"calls"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range body.Calls {
			if call.Caller == caller && !call.EndedAt.IsZero() {
				// Read it again by id: the single-call endpoint is part of the API.
				return c.getCall(call.ID)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no ended call from %s in the API", caller)
	return nil
}

func (c *contactd) getCall(id string) *timeline.Call {
	c.t.Helper()
	resp, err := c.httpGet("/api/v1/calls/" + id)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET call %s: status %d", id, resp.StatusCode)
	}
	var call timeline.Call
	if err := json.NewDecoder(resp.Body).Decode(&call); err != nil {
		c.t.Fatal(err)
	}
	return &call
}

// digits is the sequence of digits in a call's IVR path.
func digits(c *timeline.Call) string {
	var b strings.Builder
	for _, s := range c.Path {
		if s.Kind == "digit" {
			b.WriteString(s.Value)
		}
	}
	return b.String()
}

// menus is the sequence of menus entered.
func menus(c *timeline.Call) []string {
	var m []string
	for _, s := range c.Path {
		if s.Kind == "enter" {
			m = append(m, s.Menu)
		}
	}
	return m
}
