package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// quickSurvey is a one-question survey (and a second the callers here
// never reach) that alerts on a 1 or 2.
const quickSurvey = `surveys:
  quick:
    alert_at_or_below: 2
    questions:
      - {id: agent, prompt: survey-rating.wav, scale: 1-5, timeout: 3s}
      - {id: recommend, prompt: survey-nps.wav, scale: 0-10, timeout: 3s}
    thanks: survey-thanks.wav
`

// sseLog collects the live event stream's data lines in the background.
type sseLog struct {
	mu     sync.Mutex
	events []string
}

func (c *contactd) watchEvents(ctx context.Context) *sseLog {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.api+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("GET /api/v1/events: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		c.t.Fatalf("GET /api/v1/events: content type %q, want text/event-stream", ct)
	}
	l := &sseLog{}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				l.mu.Lock()
				l.events = append(l.events, d)
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// ofType returns the events of one type seen so far.
func (l *sseLog) ofType(typ string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, e := range l.events {
		var ev map[string]any
		if json.Unmarshal([]byte(e), &ev) == nil && ev["type"] == typ {
			out = append(out, ev)
		}
	}
	return out
}

// A caller who rates the agent 2 raises an alert: on the live stream and
// as a POST to the webhook. The screen-pop reached the live stream too,
// for the agent rung. The caller hangs up before the second question:
// it is stored as skipped.
func TestLowScoreAlertsAndSkippedQuestion(t *testing.T) {
	t.Parallel()
	hooks := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v map[string]any
		json.Unmarshal(b, &v)
		hooks <- v
	}))
	defer hook.Close()
	c := startQueues(t, queueConfig{
		agents:      aliceSupport,
		supportOpts: "    survey: quick",
		top:         quickSurvey + "feedback:\n  webhook: " + hook.URL + "\n",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live := c.watchEvents(ctx)
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", hold: 2 * time.Second})
	if code := c.runSIPp(sippRun{scenario: "caller_rate_low.xml", caller: "5001", extra: []string{"-d", "9000"}}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0", code)
	}
	call := c.waitInbound("5001")
	checkAnswered(t, call, "support", "alice")

	var j journeyView
	c.eventually("the survey's answers stored", func() bool {
		c.getJSON("/api/v1/calls/"+call.ID, &j)
		return len(j.Feedback) == 2
	})
	if a, b := j.Feedback[0], j.Feedback[1]; a.Question != "agent" || a.Score != 2 || a.Skipped || b.Question != "recommend" || !b.Skipped {
		t.Errorf("answers: got %+v, want agent 2 and recommend skipped", j.Feedback)
	}

	select {
	case al := <-hooks:
		if al["call_id"] != call.ID || al["score"] != float64(2) || al["agent"] != "alice" || al["queue"] != "support" || al["threshold"] != float64(2) {
			t.Errorf("webhook: got %v, want call %s scored 2 by alice in support, threshold 2", al, call.ID)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("webhook: got no POST, want the low score")
	}
	c.eventually("the alert and the screen-pop on the live stream", func() bool {
		return len(live.ofType("feedback_alert")) == 1 && len(live.ofType("screen_pop")) == 1
	})
	pop := live.ofType("screen_pop")[0]
	if pop["agent"] != "alice" {
		t.Errorf("screen-pop: got %v, want one for alice", pop)
	}
	if d, _ := pop["data"].(map[string]any); d["call_id"] != call.ID || d["queue"] != "support" || !strings.HasSuffix(d["timeline"].(string), "/api/v1/customers/5001/timeline") {
		t.Errorf("screen-pop data: got %v, want call %s in support with the timeline link", d, call.ID)
	}

	var sum struct {
		Summaries []struct {
			Question string `json:"question"`
			Count    int    `json:"count"`
			Skipped  int    `json:"skipped"`
		} `json:"summaries"`
	}
	c.getJSON("/api/v1/feedback/summary?queue=support&since="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), &sum)
	got := map[string][2]int{}
	for _, s := range sum.Summaries {
		got[s.Question] = [2]int{s.Count, s.Skipped}
	}
	if got["agent"] != [2]int{1, 0} || got["recommend"] != [2]int{0, 1} {
		t.Errorf("summary (answered, skipped): got %v, want agent 1/0 and recommend 0/1", got)
	}
	c.getJSON("/api/v1/feedback/summary?queue=support&since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), &sum)
	if len(sum.Summaries) != 0 {
		t.Errorf("summary since an hour from now: got %+v, want none", sum.Summaries)
	}
}

// Pausing a call's recording through the API (while a card number is
// read out) leaves silence in the file for that long, on both sides.
func TestRecordingPauseLeavesSilence(t *testing.T) {
	t.Parallel()
	c := startQueues(t, queueConfig{agents: aliceSupport})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_answer_bye.xml", hold: 7 * time.Second})
	caller := c.startCaller(sippRun{scenario: "caller_queue1.xml", caller: "5101"})
	a := c.waitAgent("alice", "on a call", func(a agentView) bool { return a.State == "on_call" && a.CurrentCall != "" })
	time.Sleep(1500 * time.Millisecond) // both talking
	if status, body := c.request("PUT", "/api/v1/calls/"+a.CurrentCall+"/recording", map[string]any{"paused": true}); status != http.StatusOK || !strings.Contains(string(body), `"paused": true`) {
		t.Fatalf("pause: got %d %s, want 200 paused", status, body)
	}
	time.Sleep(2 * time.Second)
	if status, body := c.request("PUT", "/api/v1/calls/"+a.CurrentCall+"/recording", map[string]any{"paused": false}); status != http.StatusOK || !strings.Contains(string(body), `"paused": false`) {
		t.Fatalf("resume: got %d %s, want 200 not paused", status, body)
	}
	if code := caller.wait(); code != 0 {
		t.Errorf("caller: sipp exit code %d, want 0", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0", code)
	}
	if status, _ := c.request("PUT", "/api/v1/calls/"+a.CurrentCall+"/recording", map[string]any{"paused": true}); status != http.StatusNotFound {
		t.Errorf("pause after the call: got %d, want 404", status)
	}
	var j journeyView
	c.getJSON("/api/v1/calls/"+a.CurrentCall, &j)
	if len(j.Recordings) != 1 {
		t.Fatalf("recordings: got %+v, want one", j.Recordings)
	}
	left, right := c.fetchStereo(j.Recordings[0].Audio)
	// G.711 speech never decodes to a run of exact zeros; the pause does.
	longest, run := 0, 0
	for i := range min(len(left), len(right)) {
		if left[i] == 0 && right[i] == 0 {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if secs := float64(longest) / 8000; secs < 1.5 || secs > 2.8 {
		t.Errorf("longest silence on both sides: got %.2f s, want the 2 s pause", secs)
	}
	if l, r := rms(left), rms(right); l < 300 || r < 300 {
		t.Errorf("recording: got RMS caller %.0f agent %.0f, want speech outside the pause", l, r)
	}
}
