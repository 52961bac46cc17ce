package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
	"github.com/contactd/contactd/timeline"
)

// startDemo runs contactd on the embedded demo menu and prompts.
func startDemo(t *testing.T, edit func(*config.Config)) *contactd {
	return startContactd(t, string(demo.Config), demo.FS(), edit)
}

// withoutWaiting turns join_empty off in every queue: a caller who
// reaches a queue while no agent is logged in hears its unavailable
// prompt and is hung up (outcome no_agents) instead of waiting, so tests
// of the menu end as soon as the menu has done its part.
func withoutWaiting(cfg *config.Config) {
	for name, q := range cfg.Queues {
		no := false
		q.JoinEmpty = &no
		cfg.Queues[name] = q
	}
}

// withoutSurvey turns the demo queues' survey off: once the agent hangs
// up, contactd hangs up the caller.
func withoutSurvey(cfg *config.Config) {
	for name, q := range cfg.Queues {
		q.Survey = ""
		cfg.Queues[name] = q
	}
}

func checkCall(t *testing.T, call *timeline.Call, wantDigits, wantOutcome, wantReason, wantQueue string) {
	t.Helper()
	if got := digits(call); got != wantDigits {
		t.Errorf("digits heard: got %q, want %q (path %+v)", got, wantDigits, call.Path)
	}
	if call.Outcome != wantOutcome {
		t.Errorf("outcome: got %q, want %q", call.Outcome, wantOutcome)
	}
	if call.EndReason != wantReason {
		t.Errorf("end reason: got %q, want %q", call.EndReason, wantReason)
	}
	if call.Queue != wantQueue {
		t.Errorf("queue: got %q, want %q", call.Queue, wantQueue)
	}
}

// Keys 3 (opening hours, back to the menu) then 1 (support queue) reach
// the branches they name, over UDP and TCP, as RFC 4733 events and as SIP INFO.
func TestDigitsReachTheirBranch(t *testing.T) {
	tests := []struct {
		name, scenario, transport, caller string
	}{
		{"rfc4733-udp", "caller_rfc4733.xml", "u1", "2001"},
		{"rfc4733-tcp", "caller_rfc4733.xml", "t1", "2002"},
		{"info-udp", "caller_info.xml", "u1", "2003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := startDemo(t, withoutWaiting)
			if code := c.runSIPp(sippRun{scenario: tt.scenario, caller: tt.caller, transport: tt.transport}); code != 0 {
				t.Fatalf("sipp exit code %d, want 0", code)
			}
			call := c.waitCall(tt.caller)
			checkCall(t, call, "31", "no_agents", "hangup", "support")
			if got := strings.Join(menus(call), ","); got != "main,main" {
				t.Errorf("menus entered: got %q, want main twice (3 plays the hours and returns)", got)
			}
			if call.Dialled != "100" || call.AnsweredAt.IsZero() {
				t.Errorf("got dialled %q answered %v, want 100 and answered", call.Dialled, call.AnsweredAt)
			}
			wantTransport := map[string]string{"u1": "UDP", "t1": "TCP"}[tt.transport]
			if !strings.EqualFold(call.Transport, wantTransport) {
				t.Errorf("transport: got %q, want %q", call.Transport, wantTransport)
			}
		})
	}
}

func TestCancelBeforeAnswer(t *testing.T) {
	t.Parallel()
	c := startDemo(t, func(cfg *config.Config) { cfg.AnswerDelay = config.Duration(5 * time.Second) })
	if code := c.runSIPp(sippRun{scenario: "caller_cancel.xml", caller: "2101"}); code != 0 {
		t.Fatalf("sipp exit code %d, want 0 (200 to CANCEL, 487 to INVITE)", code)
	}
	call := c.waitCall("2101")
	checkCall(t, call, "", "abandoned_in_ivr", "cancel", "")
	if !call.AnsweredAt.IsZero() {
		t.Errorf("got answered at %v, want never answered", call.AnsweredAt)
	}
}

func TestCallerByeMidPrompt(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	if code := c.runSIPp(sippRun{scenario: "caller_bye.xml", caller: "2201"}); code != 0 {
		t.Fatalf("sipp exit code %d, want 0", code)
	}
	call := c.waitCall("2201")
	checkCall(t, call, "", "abandoned_in_ivr", "caller_hangup", "")
	if d := call.EndedAt.Sub(call.AnsweredAt); d < 1500*time.Millisecond || d > 10*time.Second {
		t.Errorf("call lasted %v after answer, want about the 2 s the caller stayed", d)
	}
}

func TestOnlyG729Gets488(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	if code := c.runSIPp(sippRun{scenario: "caller_g729.xml", caller: "2301"}); code != 0 {
		t.Fatalf("sipp exit code %d, want 0 (488 expected)", code)
	}
	// The server still answers the next call normally.
	if code := c.runSIPp(sippRun{scenario: "caller_bye.xml", caller: "2302"}); code != 0 {
		t.Fatalf("next call: sipp exit code %d, want 0", code)
	}
}

func TestRTPTimeoutHangsUpSilentCaller(t *testing.T) {
	t.Parallel()
	c := startDemo(t, func(cfg *config.Config) { cfg.Media.RTPTimeout = config.Duration(2 * time.Second) })
	start := time.Now()
	if code := c.runSIPp(sippRun{scenario: "caller_silent.xml", caller: "2401"}); code != 0 {
		t.Fatalf("sipp exit code %d, want 0 (BYE from contactd expected)", code)
	}
	call := c.waitCall("2401")
	if call.EndReason != "rtp_timeout" {
		t.Errorf("end reason: got %q, want rtp_timeout", call.EndReason)
	}
	// The menu alone would run for well over 20 s before giving up.
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("hang-up came after %v, want it from the 2 s RTP timeout", d)
	}
}

func TestHoldAndResumeByReinvite(t *testing.T) {
	t.Parallel()
	c := startDemo(t, nil)
	if code := c.runSIPp(sippRun{scenario: "caller_hold.xml", caller: "2501"}); code != 0 {
		t.Fatalf("sipp exit code %d, want 0 (recvonly answer to hold, sendrecv to resume)", code)
	}
	call := c.waitCall("2501")
	checkCall(t, call, "", "abandoned_in_ivr", "caller_hangup", "")
}
