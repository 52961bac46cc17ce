package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/demo"
)

// queueConfig is the demo's menu (1 → support, 2 → sales) with queue
// settings a test chooses: no wrap-up and no announcements, so calls
// follow each other at once, and an RTP timeout longer than any wait.
type queueConfig struct {
	ringTimeout string // per agent; default 15s
	agents      string // lines under agents:, two spaces in
	supportOpts string // extra lines under queues.support, four spaces in
	top         string // extra top-level sections (acd, callbacks)
}

func (q queueConfig) yaml() string {
	if q.ringTimeout == "" {
		q.ringTimeout = "15s"
	}
	return fmt.Sprintf(`sip:
  listen: 127.0.0.1:5060
  transports: [udp, tcp]
http:
  tokens:
    - {token: `+testToken+`, role: admin}
data_dir: ./data
media:
  rtp_timeout: 120s
prompts_dir: prompts

languages:
  en: {voice: en}

routes:
  - {number: "*", menu: main}

queues:
  support:
    unavailable: busy.wav
    music: moh.wav
    strategy: longest-idle
    ring_timeout: %[1]s
    wrap_up: 0s
    announce_every: 0s
    exit_key: "#"
%[3]s
  sales:
    unavailable: busy.wav
    music: moh.wav
    ring_timeout: %[1]s
    wrap_up: 0s
    announce_every: 0s

queue_prompts:
  hold: queue-hold.wav
  position: queue-position.wav
  in_line: queue-in-line.wav
  wait: queue-wait.wav
  minutes: queue-minutes.wav
  minute: queue-minute.wav
  wait_short: queue-wait-short.wav
  numbers: num-{n}.wav
  callback_offer: queue-callback-offer.wav
  callback_confirm: queue-callback-confirm.wav
  callback_intro: queue-callback-intro.wav
  goodbye: goodbye.wav

agents:
%[2]s

menus:
  main:
    greeting: welcome.wav
    options:
      "1": {queue: support}
      "2": {queue: sales}
    timeout: 6s
    retries: 2
    invalid: invalid.wav
    no_input: noinput.wav
    fallback: {play: goodbye.wav, then: hangup}
%[4]s
`, q.ringTimeout, q.agents, q.supportOpts, q.top)
}

func startQueues(t *testing.T, q queueConfig) *contactd {
	return startContactd(t, q.yaml(), demo.FS(), nil)
}

const (
	aliceSupport = "  alice: {name: Alice, password: alice-demo, skills: {support: 5}}"
	bobSupport   = "  bob: {name: Bob, password: bob-demo, skills: {support: 5}}"
)

// A caller who presses 1 waits in support and reaches the only agent
// logged in, a SIPp phone; the agent talks and hangs up, and contactd
// hangs up the caller. The phone saw the queue's headers, and contactd
// relayed RTP on both legs.
func TestQueueCallerReachesAgent(t *testing.T) {
	t.Parallel()
	c := startDemo(t, withoutSurvey)
	bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_answer_bye.xml", hold: 3 * time.Second})
	if code := c.runSIPp(sippRun{scenario: "caller_queue1.xml", caller: "3001"}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0 (BYE from contactd after the agent's)", code)
	}
	if code := bob.wait(); code != 0 {
		t.Errorf("bob's phone: sipp exit code %d, want 0 (INVITE with headers, answered, BYE answered)", code)
	}
	call := c.waitInbound("3001")
	checkAnswered(t, call, "support", "bob")
	if got, want := call.Queueing.offered(), []string{"bob:answered"}; !slices.Equal(got, want) {
		t.Errorf("agents offered: got %v, want %v", got, want)
	}
	checkRTP(t, call)
	want := []offer{{call: call.ID, customer: "3001", queue: "support", from: "3001"}}
	if got := bob.offers(); !slices.Equal(got, want) {
		t.Errorf("INVITEs at bob's phone: got %+v, want %+v", got, want)
	}
}

// Sales needs the sales skill, which only alice has: bob, registered
// first and so idle longest, is passed over. The caller hangs up and
// contactd hangs up alice's phone.
func TestQueueSalesSkillGoesToAlice(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_answer.xml"})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer.xml"})
	if code := c.runSIPp(sippRun{scenario: "caller_queue2_bye.xml", caller: "3101", extra: []string{"-d", "3000"}}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0 (answered, then BYE from contactd)", code)
	}
	call := c.waitInbound("3101")
	checkAnswered(t, call, "sales", "alice")
	if got, want := call.Queueing.offered(), []string{"alice:answered"}; !slices.Equal(got, want) {
		t.Errorf("agents offered: got %v, want %v", got, want)
	}
	if got := alice.offers(); len(got) != 1 || got[0].queue != "sales" || got[0].customer != "3101" {
		t.Errorf("INVITEs at alice's phone: got %+v, want one for 3101 from sales", got)
	}
	if bob.exited() {
		t.Errorf("bob's phone: got a call (sipp exited %d), want none: bob lacks the sales skill", bob.code)
	}
	if a := c.agentViews()["bob"]; a.Calls != 0 {
		t.Errorf("bob's calls: got %d, want 0", a.Calls)
	}
}

// A phone that rings out is cancelled at the ring timeout and the call
// goes to the next agent. alice is alone when the call arrives, so she is
// rung first; bob logs in while she rings.
func TestQueueRingNoAnswerMovesToNextAgent(t *testing.T) {
	t.Parallel()
	c := startQueues(t, queueConfig{ringTimeout: "4s", agents: aliceSupport + "\n" + bobSupport})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_noanswer.xml"})
	caller := c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "3201"})
	c.waitAgent("alice", "ringing", func(a agentView) bool { return a.State == "ringing" })
	bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})

	if code := caller.wait(); code != 0 {
		t.Errorf("caller: sipp exit code %d, want 0 (BYE from contactd after bob's)", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0 (CANCEL at the ring timeout)", code)
	}
	if code := bob.wait(); code != 0 {
		t.Errorf("bob's phone: sipp exit code %d, want 0", code)
	}
	call := c.waitInbound("3201")
	checkAnswered(t, call, "support", "bob")
	if got, want := call.Queueing.offered(), []string{"alice:no_answer", "bob:answered"}; !slices.Equal(got, want) {
		t.Errorf("agents offered: got %v, want %v", got, want)
	}
	if a := c.agentViews()["alice"]; a.Missed != 1 || a.State != "ready" {
		t.Errorf("alice after one missed offer: got state %q missed %d, want ready and 1 (max_missed is 3)", a.State, a.Missed)
	}
}

// A caller who hangs up while the agent's phone rings: contactd cancels
// the INVITE and records the call as abandoned.
func TestQueueCallerHangsUpWhileAgentRings(t *testing.T) {
	t.Parallel()
	c := startQueues(t, queueConfig{ringTimeout: "60s", agents: aliceSupport})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_noanswer.xml"})
	// The phone rings within moments of the key press; the caller gives
	// it five seconds more.
	if code := c.runSIPp(sippRun{scenario: "caller_queue1_bye.xml", caller: "3301", extra: []string{"-d", "5000"}}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0 (CANCEL after the caller left)", code)
	}
	call := c.waitInbound("3301")
	q := call.Queueing
	if q == nil {
		t.Fatalf("call %s: got no queueing record (outcome %q), want one", call.ID, call.Outcome)
	}
	if call.Outcome != "abandoned" || q.Outcome != "abandoned" {
		t.Errorf("outcome: got %q (queueing %q), want abandoned", call.Outcome, q.Outcome)
	}
	if q.WaitSeconds <= 0 {
		t.Errorf("wait: got %v s, want > 0", q.WaitSeconds)
	}
	if q.Agent != "" || !q.AnsweredAt.IsZero() {
		t.Errorf("got agent %q answered at %v, want nobody", q.Agent, q.AnsweredAt)
	}
	if got, want := q.offered(), []string{"alice:cancelled"}; !slices.Equal(got, want) {
		t.Errorf("agents offered: got %v, want %v", got, want)
	}
	c.waitAgent("alice", "ready again", func(a agentView) bool { return a.State == "ready" })
}

// A VIP caller (acd.vip) who queues last is served first. The only agent
// is paused through the API while three callers queue, then made ready;
// the agent takes each call briefly in turn.
func TestQueuePriorityVIPFirst(t *testing.T) {
	t.Parallel()
	c := startQueues(t, queueConfig{agents: aliceSupport, top: "acd:\n  vip: {\"3403\": 0}\n"})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", calls: 3, hold: time.Second})
	if a := c.setState("alice", "paused", "lunch"); a.State != "paused" || a.Reason != "lunch" {
		t.Fatalf("PUT paused: got state %q reason %q, want paused and lunch", a.State, a.Reason)
	}
	callers := map[string]*sippProc{}
	for _, num := range []string{"3401", "3402", "3403"} {
		callers[num] = c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: num})
		c.waitWaiting("support", num) // queued one after another
	}
	var order []string
	for _, w := range c.queueViews()["support"].Waiting {
		order = append(order, fmt.Sprintf("%s:p%d:#%d", w.Customer, w.Priority, w.Position))
	}
	if want := []string{"3403:p0:#1", "3401:p5:#2", "3402:p5:#3"}; !slices.Equal(order, want) {
		t.Errorf("waiting (customer:priority:position): got %v, want %v", order, want)
	}
	if a := c.setState("alice", "ready", ""); a.State == "paused" || a.State == "logged_out" {
		t.Fatalf("PUT ready: got state %q, want ready (or already ringing)", a.State)
	}
	for num, p := range callers {
		if code := p.wait(); code != 0 {
			t.Errorf("caller %s: sipp exit code %d, want 0", num, code)
		}
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0 (three calls)", code)
	}
	calls := map[string]*callView{}
	for num := range callers {
		calls[num] = c.waitInbound(num)
		checkAnswered(t, calls[num], "support", "alice")
	}
	if t.Failed() {
		return
	}
	if got := calls["3403"].Queueing.Priority; got != 0 {
		t.Errorf("VIP priority: got %d, want 0", got)
	}
	if got := calls["3401"].Queueing.Priority; got != 5 {
		t.Errorf("normal priority: got %d, want 5", got)
	}
	vip, first, second := calls["3403"].Queueing.AnsweredAt, calls["3401"].Queueing.AnsweredAt, calls["3402"].Queueing.AnsweredAt
	if !vip.Before(first) || !first.Before(second) {
		t.Errorf("answered at: got VIP %v, 3401 %v, 3402 %v, want VIP first, then in order of arrival", vip, first, second)
	}
	var got []string
	for _, o := range alice.offers() {
		got = append(got, o.customer)
	}
	if want := []string{"3403", "3401", "3402"}; !slices.Equal(got, want) {
		t.Errorf("INVITEs at alice's phone: got customers %v, want %v", got, want)
	}
}

// A caller asks to be called back (*) while nobody is ready; the call
// keeps its place. Once the agent is ready contactd calls the customer (a
// SIPp phone where callbacks.uri points), then the agent, and bridges them.
func TestQueueCallback(t *testing.T) {
	t.Parallel()
	custPort := freePort(t)
	c := startQueues(t, queueConfig{
		agents:      aliceSupport,
		supportOpts: `    callback_key: "*"`,
		top:         fmt.Sprintf("callbacks:\n  uri: \"sip:{number}@127.0.0.1:%d\"\n", custPort),
	})
	customer := c.startPhone("customer", "customer_answer.xml", 1, 0, custPort)
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})
	c.setState("alice", "paused", "meeting")

	if code := c.runSIPp(sippRun{scenario: "caller_queue1_callback.xml", caller: "3501"}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0 (confirmation, then BYE from contactd)", code)
	}
	orig := c.waitInbound("3501")
	if q := orig.Queueing; q == nil || orig.Outcome != "callback" || q.Outcome != "callback" || q.CallbackNumber != "3501" {
		t.Fatalf("original call: got outcome %q queueing %+v, want callback to 3501", orig.Outcome, q)
	}
	var pending bool
	for _, w := range c.queueViews()["support"].Waiting {
		pending = pending || (w.CallID == orig.ID && w.Callback && w.Position == 1)
	}
	if !pending {
		t.Errorf("queue: got waiting %+v, want %s first, as a callback", c.queueViews()["support"].Waiting, orig.ID)
	}
	if customer.exited() {
		t.Fatalf("customer called back (sipp exited %d) before an agent was ready", customer.code)
	}

	c.setState("alice", "ready", "")
	if code := customer.wait(); code != 0 {
		t.Errorf("customer's phone: sipp exit code %d, want 0 (answered, BYE from contactd after alice's)", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0", code)
	}
	cb := c.waitEnded(orig.ID + "-cb1")
	if cb.Caller != "3501" || cb.Dialled != "callback" {
		t.Errorf("callback record: got caller %q dialled %q, want 3501 and callback", cb.Caller, cb.Dialled)
	}
	checkAnswered(t, cb, "support", "alice")
	if cb.Queueing != nil && cb.Queueing.CallbackOf != orig.ID {
		t.Errorf("callback_of: got %q, want %q", cb.Queueing.CallbackOf, orig.ID)
	}
	if got := customer.file("log.log"); !strings.Contains(got, "callback call="+orig.ID+" ") || !strings.Contains(got, "number=3501;") {
		t.Errorf("customer's phone logged %q, want the INVITE for %s to number 3501", got, orig.ID)
	}
	if got := alice.offers(); len(got) != 1 || got[0].call != orig.ID || got[0].customer != "3501" {
		t.Errorf("INVITEs at alice's phone: got %+v, want one for call %s, customer 3501", got, orig.ID)
	}
}

// A wrong password gets 401 and leaves the agent out of routing: the
// call goes to bob, and alice is never offered it.
func TestAgentWrongPasswordNeverOffered(t *testing.T) {
	t.Parallel()
	c := startDemo(t, withoutSurvey)
	if code := c.runSIPp(sippRun{scenario: "agent_badpass.xml", caller: "alice",
		keys: map[string]string{"agent": "alice", "expires": "300"}, extra: []string{"-au", "alice", "-ap", "not-alices"}}); code != 0 {
		t.Fatalf("alice with a wrong password: sipp exit code %d, want 0 (401 twice)", code)
	}
	bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})
	if code := c.runSIPp(sippRun{scenario: "caller_queue1.xml", caller: "3601"}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0", code)
	}
	if code := bob.wait(); code != 0 {
		t.Errorf("bob's phone: sipp exit code %d, want 0", code)
	}
	call := c.waitInbound("3601")
	checkAnswered(t, call, "support", "bob")
	for _, o := range call.Queueing.Offered {
		if o.Target == "alice" {
			t.Errorf("agents offered: got %v, want no offer to alice", call.Queueing.offered())
		}
	}
	if a := c.agentViews()["alice"]; a.Registered || a.State != "logged_out" {
		t.Errorf("alice: got registered %v state %q, want unregistered and logged_out", a.Registered, a.State)
	}
}

// GET /api/v1/queues shows a waiting caller; an agent created through
// PUT /api/v1/agents registers with that password and takes the call;
// after DELETE its phone can no longer register.
func TestQueueAPIAndAgentLifecycle(t *testing.T) {
	t.Parallel()
	c := startQueues(t, queueConfig{agents: aliceSupport})
	caller := c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "3701"})
	c.waitWaiting("support", "3701")
	qs := c.queueViews()
	if w := qs["support"].Waiting; len(w) != 1 || w[0].Position != 1 || w[0].Priority != 5 || w[0].Callback || w[0].CallID == "" {
		t.Errorf("support waiting: got %+v, want 3701 alone at position 1, priority 5, not a callback", w)
	}
	if n := qs["support"].Agents["ready"]; n != 0 {
		t.Errorf("support ready agents: got %d, want 0", n)
	}
	if w := qs["sales"].Waiting; len(w) != 0 {
		t.Errorf("sales waiting: got %+v, want nobody", w)
	}

	status, body := c.request("PUT", "/api/v1/agents/carol", map[string]any{"name": "Carol", "password": "carol-secret", "skills": map[string]int{"support": 5}})
	var carol agentView
	json.Unmarshal(body, &carol)
	if status != http.StatusCreated || carol.ID != "carol" || carol.Source != "api" || carol.Skills["support"] != 5 || carol.Registered {
		t.Fatalf("PUT new agent: got %d %s, want 201 with carol, source api, support 5, unregistered", status, body)
	}
	status, body = c.request("PUT", "/api/v1/agents/carol", map[string]any{"name": "Carol C", "skills": map[string]int{"support": 6}})
	json.Unmarshal(body, &carol)
	if status != http.StatusOK || carol.Name != "Carol C" || carol.Skills["support"] != 6 {
		t.Fatalf("PUT existing agent without password: got %d %s, want 200 with the new name and skill", status, body)
	}

	ph := c.startSIPpAgent(phone{name: "carol", password: "carol-secret", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})
	if code := caller.wait(); code != 0 {
		t.Errorf("caller: sipp exit code %d, want 0", code)
	}
	if code := ph.wait(); code != 0 {
		t.Errorf("carol's phone: sipp exit code %d, want 0", code)
	}
	call := c.waitInbound("3701")
	checkAnswered(t, call, "support", "carol")

	if status, body := c.request("DELETE", "/api/v1/agents/carol", nil); status != http.StatusNoContent {
		t.Errorf("DELETE: got %d %s, want 204", status, body)
	}
	if _, ok := c.agentViews()["carol"]; ok {
		t.Errorf("agents after DELETE: got carol, want her gone")
	}
	if status, _ := c.request("DELETE", "/api/v1/agents/carol", nil); status != http.StatusNotFound {
		t.Errorf("second DELETE: got %d, want 404", status)
	}
	if code := c.runSIPp(sippRun{scenario: "agent_badpass.xml", caller: "carol",
		keys: map[string]string{"agent": "carol", "expires": "300"}, extra: []string{"-au", "carol", "-ap", "carol-secret"}}); code != 0 {
		t.Errorf("deleted agent's REGISTER: sipp exit code %d, want 0 (401 twice)", code)
	}
}

// baresip as alice's softphone: it registers with digest auth, a caller
// presses 2 (sales, alice's skill) and baresip answers on its own. What
// baresip heard is the caller's voice (g711a.pcap, PCMA) relayed and
// transcoded to baresip's PCMU: not silence.
func TestBaresipAgentAnswersQueuedCall(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	b := startBaresipAgent(t, c, "alice", "alice-demo")
	c.waitAgent("alice", "registered by baresip and ready", func(a agentView) bool { return a.Registered && a.State == "ready" })
	if code := c.runSIPp(sippRun{scenario: "caller_queue2_bye.xml", caller: "3801", extra: []string{"-d", "6000"}}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0", code)
	}
	b.waitEvent("CALL_ESTABLISHED", 15*time.Second)
	b.waitEvent("CALL_CLOSED", 15*time.Second) // contactd hung baresip up after the caller

	call := c.waitInbound("3801")
	checkAnswered(t, call, "sales", "alice")
	if got, want := call.Queueing.offered(), []string{"alice:answered"}; !slices.Equal(got, want) {
		t.Errorf("agents offered: got %v, want %v", got, want)
	}
	checkRTP(t, call)
	dec, _ := filepath.Glob(filepath.Join(b.dir, "rec", "dump-*-dec.wav"))
	if len(dec) != 1 {
		entries, _ := os.ReadDir(filepath.Join(b.dir, "rec"))
		t.Fatalf("baresip's received-audio dumps: got %v, want one", entries)
	}
	heard := readPCM16(t, dec[0])
	if secs := float64(len(heard)) / 8000; secs < 3 {
		t.Errorf("baresip heard %.1f s, want the several seconds the caller talked", secs)
	}
	if r := rms(heard); r < 300 {
		t.Errorf("what baresip heard has RMS %.0f, want the caller's speech (> 300)", r)
	}
}
