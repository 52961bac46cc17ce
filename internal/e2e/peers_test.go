package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// Generous guards: a peer or a call that takes longer than this is stuck.
const (
	peerDeadline = 120 * time.Second
	apiDeadline  = 30 * time.Second
)

// sippProc is one SIPp running in the background (a phone that answers,
// or a caller whose call overlaps others).
type sippProc struct {
	t    *testing.T
	name string
	dir  string // its logs
	done chan struct{}
	code int // valid once done is closed
	// cancel kills the process.
	cancel context.CancelFunc
}

// startSIPp starts SIPp with args; -log_file, -error_file and -message_file
// go to the process's own directory, and the process is killed at cleanup.
func startSIPp(t *testing.T, name string, args ...string) *sippProc {
	t.Helper()
	bin := requireBinary(t, "sipp", "sip-tester")
	p := &sippProc{t: t, name: name, dir: t.TempDir(), done: make(chan struct{})}
	args = append(args,
		"-nostdin",
		"-trace_logs", "-log_file", filepath.Join(p.dir, "log.log"),
		"-trace_err", "-error_file", filepath.Join(p.dir, "errors.log"),
		"-trace_msg", "-message_file", filepath.Join(p.dir, "messages.log"),
	)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, _ = os.Getwd()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start sipp %s: %v", name, err)
	}
	go func() {
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			p.code = ee.ExitCode()
		} else if err != nil {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		if t.Failed() {
			t.Logf("sipp %s (exit %d) %s\nerrors:\n%s\nmessages:\n%s", name, p.code, tail(out.String(), 5),
				tail(p.file("errors.log"), 30), tail(p.file("messages.log"), 80))
		}
	})
	return p
}

func (p *sippProc) file(name string) string {
	b, _ := os.ReadFile(filepath.Join(p.dir, name))
	return string(b)
}

// wait returns SIPp's exit code once it has finished its calls.
func (p *sippProc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(peerDeadline):
		p.t.Fatalf("sipp %s still running after %v", p.name, peerDeadline)
		return -1
	}
}

// exited reports whether SIPp has stopped.
func (p *sippProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitBound waits until SIPp listens on its UDP port, so a registration
// never points at a phone that is not there yet. It reports false if SIPp
// exited first.
func (p *sippProc) waitBound(port int) bool {
	p.t.Helper()
	deadline := time.Now().Add(apiDeadline)
	for {
		l, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			return true // taken: SIPp has it
		}
		l.Close()
		if p.exited() {
			return false
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("sipp %s never listened on %d", p.name, port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// offer is one INVITE an agent's phone logged (agent_answer*.xml).
type offer struct {
	call, customer, queue, from string
}

var offerLog = regexp.MustCompile(`offer call=(\S+) customer=(\S+) queue=(\S+) from_uri=\S* from=([^;]*);`)

// offers lists the INVITEs the phone logged; read it once SIPp has exited.
func (p *sippProc) offers() []offer {
	var out []offer
	for _, m := range offerLog.FindAllStringSubmatch(p.file("log.log"), -1) {
		out = append(out, offer{call: m[1], customer: m[2], queue: m[3], from: m[4]})
	}
	return out
}

// phone is an agent's SIPp phone: a UAS playing scenario, registered as
// the agent by a second SIPp (one SIPp cannot both register and answer).
type phone struct {
	name, password string
	scenario       string        // agent_answer.xml, agent_answer_bye.xml, agent_noanswer.xml
	calls          int           // calls it takes before exiting (default 1)
	hold           time.Duration // agent_answer_bye.xml: talk this long, then BYE
}

// startSIPpAgent starts the phone's UAS, registers it with contactd and
// waits until the API shows the agent registered and logged in.
func (c *contactd) startSIPpAgent(ph phone) *sippProc {
	c.t.Helper()
	uas := c.startPhone(ph.name, ph.scenario, ph.calls, ph.hold, 0)
	if code := c.register(ph.name, ph.password, uas.port); code != 0 {
		c.t.Fatalf("%s: register: sipp exit code %d, want 0 (401 then 200)", ph.name, code)
	}
	c.waitAgent(ph.name, "registered and logged in", func(a agentView) bool {
		return a.Registered && a.State != "logged_out"
	})
	return uas.sippProc
}

type uasProc struct {
	*sippProc
	port int
}

// sippCantBind is SIPp's exit code when a port it was given is taken.
const sippCantBind = 254

// startPhone starts a SIPp UAS and waits until it listens. port 0 picks
// a free one, and picks again should another process take it first.
func (c *contactd) startPhone(name, scenario string, calls int, hold time.Duration, port int) uasProc {
	c.t.Helper()
	if calls == 0 {
		calls = 1
	}
	for attempt := 1; ; attempt++ {
		p := port
		if p == 0 {
			p = freePort(c.t)
		}
		args := []string{"-sf", filepath.Join("testdata", scenario), "-i", "127.0.0.1", "-p", strconv.Itoa(p),
			"-mp", strconv.Itoa(freePort(c.t)), "-m", strconv.Itoa(calls),
			"-timeout", fmt.Sprintf("%ds", int(peerDeadline.Seconds())), "-timeout_error"}
		if hold > 0 {
			args = append(args, "-d", strconv.Itoa(int(hold.Milliseconds())))
		}
		proc := startSIPp(c.t, name, args...)
		if proc.waitBound(p) {
			return uasProc{proc, p}
		}
		if proc.code != sippCantBind || attempt == 3 {
			c.t.Fatalf("sipp %s exited %d before listening on %d: %s", name, proc.code, p, proc.file("errors.log"))
		}
	}
}

// register REGISTERs agent with a Contact on uasPort and returns SIPp's
// exit code.
func (c *contactd) register(agent, password string, uasPort int) int {
	c.t.Helper()
	for attempt := 1; ; attempt++ {
		code := c.runSIPp(sippRun{scenario: "agent_register_uas.xml", caller: agent,
			keys:  map[string]string{"agent": agent, "expires": "300", "uas_port": strconv.Itoa(uasPort)},
			extra: []string{"-au", agent, "-ap", password}})
		// runSIPp picks new ports each time.
		if code != sippCantBind || attempt == 3 {
			return code
		}
	}
}

// startCaller places one SIPp call in the background (runSIPp waits for it).
func (c *contactd) startCaller(r sippRun) *sippProc {
	c.t.Helper()
	if r.service == "" {
		r.service = "100"
	}
	args := []string{"-sf", filepath.Join("testdata", r.scenario), "-s", r.service, "-i", "127.0.0.1",
		"-p", strconv.Itoa(freePort(c.t)), "-mp", strconv.Itoa(freePort(c.t)), "-m", "1",
		"-timeout", fmt.Sprintf("%ds", int(peerDeadline.Seconds())), "-timeout_error", "-key", "caller", r.caller}
	for k, v := range r.keys {
		args = append(args, "-key", k, v)
	}
	args = append(args, r.extra...)
	args = append(args, c.sip)
	return startSIPp(c.t, "caller "+r.caller, args...)
}

// The API as the tests read it: own structs, so the tests do not depend
// on contactd's types.

type agentView struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Skills      map[string]int `json:"skills"`
	Registered  bool           `json:"registered"`
	State       string         `json:"state"`
	Reason      string         `json:"reason"`
	Calls       int            `json:"calls"`
	Missed      int            `json:"missed"`
	CurrentCall string         `json:"current_call"`
	Source      string         `json:"source"`
}

type queueView struct {
	Name    string `json:"name"`
	Waiting []struct {
		CallID   string  `json:"call_id"`
		Customer string  `json:"customer"`
		Priority int     `json:"priority"`
		Position int     `json:"position"`
		Waited   float64 `json:"waited_seconds"`
		Callback bool    `json:"callback"`
	} `json:"waiting"`
	Agents    map[string]int `json:"agents"`
	Answered  int            `json:"answered"`
	Abandoned int            `json:"abandoned"`
	Callbacks int            `json:"callbacks"`
}

type callView struct {
	ID         string     `json:"id"`
	Caller     string     `json:"caller"`
	Dialled    string     `json:"dialled"`
	AnsweredAt time.Time  `json:"answered_at"`
	EndedAt    time.Time  `json:"ended_at"`
	Outcome    string     `json:"outcome"`
	EndReason  string     `json:"end_reason"`
	Queue      string     `json:"queue"`
	Queueing   *queueingV `json:"queueing"`
}

type queueingV struct {
	Queue          string      `json:"queue"`
	Priority       int         `json:"priority"`
	QueuedAt       time.Time   `json:"queued_at"`
	Offered        []offerView `json:"agents_offered"`
	Agent          string      `json:"agent"`
	AnsweredAt     time.Time   `json:"answered_at"`
	WaitSeconds    float64     `json:"wait_seconds"`
	Outcome        string      `json:"outcome"`
	CallbackNumber string      `json:"callback_number"`
	CallbackOf     string      `json:"callback_of"`
	CallerRTP      *rtpView    `json:"caller_rtp"`
	AgentRTP       *rtpView    `json:"agent_rtp"`
}

type offerView struct {
	Target string    `json:"target"`
	At     time.Time `json:"at"`
	Result string    `json:"result"`
}

type rtpView struct {
	Received uint64 `json:"packets_received"`
	Sent     uint64 `json:"packets_sent"`
}

// offered is the agents_offered list as "target:result" strings.
func (q *queueingV) offered() []string {
	var out []string
	for _, o := range q.Offered {
		out = append(out, o.Target+":"+o.Result)
	}
	return out
}

// request sends a JSON request to the API and returns status and body.
func (c *contactd) request(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.api+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// getJSON GETs path and decodes a 200 answer into v.
func (c *contactd) getJSON(path string, v any) {
	c.t.Helper()
	status, b := c.request("GET", path, nil)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d, want 200: %s", path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		c.t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func (c *contactd) agentViews() map[string]agentView {
	c.t.Helper()
	var body struct {
		Agents []agentView `json:"agents"`
	}
	c.getJSON("/api/v1/agents", &body)
	m := map[string]agentView{}
	for _, a := range body.Agents {
		m[a.ID] = a
	}
	return m
}

func (c *contactd) queueViews() map[string]queueView {
	c.t.Helper()
	var body struct {
		Queues []queueView `json:"queues"`
	}
	c.getJSON("/api/v1/queues", &body)
	m := map[string]queueView{}
	for _, q := range body.Queues {
		m[q.Name] = q
	}
	return m
}

// setState is PUT /api/v1/agents/{id}/state, which must answer 200.
func (c *contactd) setState(id, state, reason string) agentView {
	c.t.Helper()
	status, b := c.request("PUT", "/api/v1/agents/"+id+"/state", map[string]string{"state": state, "reason": reason})
	if status != http.StatusOK {
		c.t.Fatalf("PUT state %s of %s: status %d, want 200: %s", state, id, status, b)
	}
	var a agentView
	if err := json.Unmarshal(b, &a); err != nil {
		c.t.Fatalf("PUT state: %v: %s", err, b)
	}
	return a
}

// eventually polls cond until it holds; the deadline only guards a hang.
func (c *contactd) eventually(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(apiDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *contactd) waitAgent(id, what string, cond func(agentView) bool) agentView {
	c.t.Helper()
	var a agentView
	c.eventually(id+" "+what, func() bool {
		a = c.agentViews()[id]
		return cond(a)
	})
	return a
}

// waitWaiting waits until customer waits in queue.
func (c *contactd) waitWaiting(queue, customer string) {
	c.t.Helper()
	c.eventually(customer+" waiting in "+queue, func() bool {
		for _, w := range c.queueViews()[queue].Waiting {
			if w.Customer == customer {
				return true
			}
		}
		return false
	})
}

// callByID returns a call record, or nil while there is none.
func (c *contactd) callByID(id string) *callView {
	c.t.Helper()
	status, b := c.request("GET", "/api/v1/calls/"+id, nil)
	if status == http.StatusNotFound {
		return nil
	}
	if status != http.StatusOK {
		c.t.Fatalf("GET call %s: status %d: %s", id, status, b)
	}
	var call callView
	if err := json.Unmarshal(b, &call); err != nil {
		c.t.Fatalf("GET call %s: %v: %s", id, err, b)
	}
	return &call
}

// waitEnded waits for the call with id to have ended.
func (c *contactd) waitEnded(id string) *callView {
	c.t.Helper()
	var call *callView
	c.eventually("call "+id+" to end", func() bool {
		call = c.callByID(id)
		return call != nil && !call.EndedAt.IsZero()
	})
	return call
}

// waitInbound waits for the ended inbound call (not a callback) from
// caller, found through the API's customer filter.
func (c *contactd) waitInbound(caller string) *callView {
	c.t.Helper()
	var found *callView
	c.eventually("ended call from "+caller, func() bool {
		var body struct {
			Calls []callView `json:"calls"`
		}
		c.getJSON("/api/v1/calls?limit=100&customer="+caller, &body)
		for _, call := range body.Calls {
			if call.Caller == caller && call.Dialled != "callback" && !call.EndedAt.IsZero() {
				found = &call
				return true
			}
		}
		return false
	})
	// Read it again by id: the single-call endpoint is part of the API.
	return c.callByID(found.ID)
}

// checkAnswered checks a call an agent took from a queue.
func checkAnswered(t *testing.T, call *callView, queue, agent string) {
	t.Helper()
	q := call.Queueing
	if q == nil {
		t.Fatalf("call %s: got no queueing record, want one (outcome %q)", call.ID, call.Outcome)
	}
	if call.Outcome != "answered" || q.Outcome != "answered" {
		t.Errorf("call %s outcome: got %q (queueing %q), want answered", call.ID, call.Outcome, q.Outcome)
	}
	if q.Queue != queue || call.Queue != queue {
		t.Errorf("call %s queue: got %q (queueing %q), want %q", call.ID, call.Queue, q.Queue, queue)
	}
	if q.Agent != agent {
		t.Errorf("call %s agent: got %q, want %q (offered %v)", call.ID, q.Agent, agent, q.offered())
	}
	if q.AnsweredAt.IsZero() || q.AnsweredAt.Before(q.QueuedAt) {
		t.Errorf("call %s: got queued %v answered %v, want answered after queued", call.ID, q.QueuedAt, q.AnsweredAt)
	}
	if q.WaitSeconds <= 0 {
		t.Errorf("call %s wait: got %v s, want > 0", call.ID, q.WaitSeconds)
	}
}

// checkRTP checks that contactd counted RTP both ways on both legs.
func checkRTP(t *testing.T, call *callView) {
	t.Helper()
	for _, leg := range []struct {
		name string
		rtp  *rtpView
	}{{"caller_rtp", call.Queueing.CallerRTP}, {"agent_rtp", call.Queueing.AgentRTP}} {
		if leg.rtp == nil {
			t.Errorf("call %s %s: got none, want the leg's counters", call.ID, leg.name)
			continue
		}
		if leg.rtp.Received == 0 || leg.rtp.Sent == 0 {
			t.Errorf("call %s %s: got %+v, want packets received and sent", call.ID, leg.name, *leg.rtp)
		}
	}
}
