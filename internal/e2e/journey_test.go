package e2e

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// journeyView is what GET /api/v1/calls/{id} adds for recorded, surveyed
// calls.
type journeyView struct {
	callView
	Customer  string `json:"customer"`
	Recording struct {
		ID string `json:"recording_id"`
	} `json:"queueing"`
	Recordings []struct {
		ID      string  `json:"id"`
		Status  string  `json:"status"`
		Seconds float64 `json:"duration_seconds"`
		Audio   string  `json:"audio"`
	} `json:"recordings"`
	Feedback []struct {
		Question string `json:"question"`
		Score    int    `json:"score"`
		Skipped  bool   `json:"skipped"`
	} `json:"feedback"`
}

type eventView struct {
	ID      int64          `json:"id"`
	Kind    string         `json:"kind"`
	CallID  string         `json:"call_id"`
	At      time.Time      `json:"at"`
	Summary string         `json:"summary"`
	Data    map[string]any `json:"data"`
}

var screenPopLog = regexp.MustCompile(`screenpop call=(\S+) history=([^|]*) timeline=([^|]*)\|`)

// One call through the whole journey on the demo's settings: the caller
// picks support and talks (speech) to bob, a SIPp phone whose voice is a
// 1 kHz tone so the recording shows whose side is whose; bob hangs up and the
// caller, still on the line, answers the survey by keypad (4, then 9)
// and leaves a spoken comment ended by #. Then everything is findable:
// the stereo recording with both voices, the answers and their summary,
// and every step in the customer's timeline. A second call from the same
// number shows bob the first in the screen-pop headers.
func TestJourneyRecordingSurveyTimeline(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_tone_bye.xml", calls: 2, hold: 3 * time.Second})
	if code := c.runSIPp(sippRun{scenario: "caller_survey.xml", caller: "4001", extra: []string{"-d", "5000"}}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0 (survey answered, BYE from contactd after the thanks)", code)
	}
	call := c.waitInbound("4001")
	checkAnswered(t, call, "support", "bob")
	var j journeyView
	c.getJSON("/api/v1/calls/"+call.ID, &j)

	// The survey's answers, stored with the call.
	got := []string{}
	for _, f := range j.Feedback {
		got = append(got, fmt.Sprintf("%s=%d skipped=%v", f.Question, f.Score, f.Skipped))
	}
	if want := []string{"agent=4 skipped=false", "recommend=9 skipped=false"}; !slices.Equal(got, want) {
		t.Errorf("survey answers: got %v, want %v", got, want)
	}

	// Two recordings: the conversation, then the comment.
	if len(j.Recordings) != 2 {
		t.Fatalf("recordings: got %+v, want the conversation and the comment", j.Recordings)
	}
	conv, comment := j.Recordings[0], j.Recordings[1]
	if j.Recording.ID != conv.ID || conv.Status != "complete" || comment.Status != "complete" {
		t.Errorf("recordings: got queueing recording %q and %+v, want the first, both complete", j.Recording.ID, j.Recordings)
	}
	if conv.Seconds < 2 || conv.Seconds > 6 {
		t.Errorf("conversation recording: got %.1f s, want about the 3 s bob talked", conv.Seconds)
	}
	left, right := c.fetchStereo(conv.Audio)
	if l, r := rms(left), rms(right); l < 300 || r < 300 {
		t.Errorf("conversation: got RMS caller %.0f, agent %.0f, want both voices (> 300)", l, r)
	}
	l, r := toneShare(left, 1000), toneShare(right, 1000)
	t.Logf("1 kHz share of the conversation: caller %.2f, agent %.2f", l, r)
	if l > 0.3 || r < 0.8 {
		t.Errorf("conversation: got 1 kHz share caller %.2f, agent %.2f, want speech on the left (< 0.3) and bob's tone on the right (> 0.8)", l, r)
	}
	cl, _ := c.fetchStereo(comment.Audio)
	if secs := float64(len(cl)) / 8000; secs < 1 || rms(cl) < 300 {
		t.Errorf("comment: got %.1f s at RMS %.0f, want the caller's spoken comment", secs, rms(cl))
	}
	c.checkRange(conv.Audio)

	// The summary for the queue.
	var sum struct {
		Summaries []struct {
			Question string      `json:"question"`
			Count    int         `json:"count"`
			Average  float64     `json:"average"`
			CSAT     float64     `json:"csat"`
			NPS      *float64    `json:"nps"`
			Dist     map[int]int `json:"distribution"`
		} `json:"summaries"`
	}
	c.getJSON("/api/v1/feedback/summary?queue=support&agent=bob", &sum)
	byQ := map[string]string{}
	for _, s := range sum.Summaries {
		nps := "none"
		if s.NPS != nil {
			nps = fmt.Sprint(*s.NPS)
		}
		byQ[s.Question] = fmt.Sprintf("count=%d avg=%v csat=%v nps=%s", s.Count, s.Average, s.CSAT, nps)
	}
	if got, want := byQ["agent"], "count=1 avg=4 csat=100 nps=none"; got != want {
		t.Errorf("summary of agent: got %q, want %q", got, want)
	}
	if got, want := byQ["recommend"], "count=1 avg=9 csat=100 nps=100"; got != want {
		t.Errorf("summary of recommend: got %q, want %q", got, want)
	}

	// Every step, in the customer's timeline, oldest first here.
	evs := c.timeline(j.Customer)
	var kinds []string
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].CallID == call.ID {
			kinds = append(kinds, evs[i].Kind)
		}
	}
	want := []string{"call_started", "ivr_choice", "queued", "agent_offered", "agent_answered", "recording_ready", "feedback", "hung_up"}
	if !slices.Equal(kinds, want) {
		t.Errorf("timeline of %s: got %v, want %v", j.Customer, kinds, want)
	}

	c.checkMetrics(map[string]bool{
		`contactd_calls_total{outcome="answered",reason=""} 1`:                      true,
		`contactd_queue_wait_seconds_count{outcome="answered",queue="support"} 1`:   true,
		`contactd_queue_handle_seconds_count{queue="support"} 1`:                    true,
		`contactd_feedback_score_bucket{question="agent",queue="support",le="3"} 0`: true,
		`contactd_feedback_score_bucket{question="agent",queue="support",le="4"} 1`: true,
		`contactd_queue_calls_total{queue="support",result="answered"} 1`:           true,
		`contactd_queue_agents{queue="support",state="ready"} 1`:                    true,
		`contactd_sip_active_calls 0`:                                               true,
	})

	// The same customer calls again: bob's phone is shown the history.
	if code := c.runSIPp(sippRun{scenario: "caller_queue1.xml", caller: "4001"}); code != 0 {
		t.Fatalf("second call: sipp exit code %d, want 0", code)
	}
	if code := bob.wait(); code != 0 {
		t.Errorf("bob's phone: sipp exit code %d, want 0 (two calls)", code)
	}
	pops := screenPopLog.FindAllStringSubmatch(bob.file("log.log"), -1)
	if len(pops) != 2 {
		t.Fatalf("screen-pops at bob's phone: got %d, want 2", len(pops))
	}
	first, second := pops[0][2], pops[1][2]
	if !strings.Contains(first, "contacts=0") {
		t.Errorf("first call's history header: got %q, want no earlier contacts", first)
	}
	if !strings.Contains(second, "contacts=1") || !strings.Contains(second, "score=4") {
		t.Errorf("second call's history header: got %q, want one earlier contact scored 4", second)
	}
	if link := pops[1][3]; !strings.HasSuffix(link, "/api/v1/customers/"+j.Customer+"/timeline") {
		t.Errorf("timeline link: got %q, want the customer's timeline URL", link)
	}
}

// toneShare is how much of the audio's energy is at freq, averaged over
// its 20 ms frames that are not silent: about 1 for a steady tone, small
// for speech. A 20 ms frame holds a whole number of cycles of 1 kHz, so
// one DFT bin measures it exactly.
func toneShare(pcm []int16, freq float64) float64 {
	const n = 160
	var sum float64
	var frames int
	for off := 0; off+n <= len(pcm); off += n {
		f := pcm[off : off+n]
		if rms(f) < 300 {
			continue
		}
		var re, im, ms float64
		for i, v := range f {
			x := float64(v)
			ph := 2 * math.Pi * freq * float64(i) / 8000
			re += x * math.Cos(ph)
			im -= x * math.Sin(ph)
			ms += x * x
		}
		ms /= n
		sum += (re*re + im*im) * 2 / (n * n) / ms
		frames++
	}
	if frames == 0 {
		return 0
	}
	return sum / float64(frames)
}

// checkMetrics scrapes /metrics: every wanted line must be there, the
// RTP counters must have counted, and promtool must find the exposition
// clean.
func (c *contactd) checkMetrics(want map[string]bool) {
	c.t.Helper()
	status, b := c.request("GET", "/metrics", nil)
	if status != http.StatusOK {
		c.t.Fatalf("GET /metrics: status %d", status)
	}
	text := string(b)
	for line := range want {
		if !strings.Contains(text, "\n"+line+"\n") {
			c.t.Errorf("metrics: missing %q", line)
		}
	}
	if m := regexp.MustCompile(`\ncontactd_rtp_packets_total\{direction="received"\} (\d+)`).FindStringSubmatch(text); m == nil || m[1] == "0" {
		c.t.Errorf("metrics: got RTP received %v, want packets counted", m)
	}
	promtool := requireBinary(c.t, "promtool", "prometheus")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// fetchStereo GETs a recording and returns its two channels.
func (c *contactd) fetchStereo(path string) (left, right []int16) {
	c.t.Helper()
	status, b := c.request("GET", path, nil)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d: %s", path, status, b)
	}
	f := filepath.Join(c.t.TempDir(), "rec.wav")
	os.WriteFile(f, b, 0o644)
	if len(b) < 44 || binary.LittleEndian.Uint16(b[22:]) != 2 || binary.LittleEndian.Uint32(b[24:]) != 8000 || binary.LittleEndian.Uint16(b[34:]) != 16 {
		c.t.Fatalf("GET %s: got a header of %x, want stereo 8 kHz 16-bit WAV", path, b[:min(len(b), 44)])
	}
	s := readPCM16(c.t, f)
	for i := 0; i+1 < len(s); i += 2 {
		left, right = append(left, s[i]), append(right, s[i+1])
	}
	return left, right
}

// checkRange asks for the header alone: a player seeking needs 206.
func (c *contactd) checkRange(path string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.api+path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Range", "bytes=0-43")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 100)
	n, _ := resp.Body.Read(b)
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Type") != "audio/wav" || n != 44 || string(b[:4]) != "RIFF" {
		c.t.Errorf("range request: got %d %q with %d bytes, want 206 audio/wav with the 44-byte header", resp.StatusCode, resp.Header.Get("Content-Type"), n)
	}
}

// timeline reads a customer's events, newest first, following pages.
func (c *contactd) timeline(customer string) []eventView {
	c.t.Helper()
	var all []eventView
	before := ""
	for range 20 {
		var page struct {
			Events []eventView `json:"events"`
			Next   int64       `json:"next"`
		}
		c.getJSON("/api/v1/customers/"+customer+"/timeline?limit=5"+before, &page)
		all = append(all, page.Events...)
		if page.Next == 0 {
			return all
		}
		before = fmt.Sprintf("&before=%d", page.Next)
	}
	c.t.Fatalf("timeline of %s: more than 20 pages", customer)
	return nil
}
