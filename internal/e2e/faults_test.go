package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/config"
	"github.com/contactd/contactd/internal/demo"
)

// An agent's phone that answers 503, or that has vanished (its port is
// closed, so the INVITE meets ICMP port unreachable or silence), costs
// the caller at most the ring timeout: the next agent is rung and takes
// the call.
func TestVanishedPhoneRingsNextAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		vanish    bool // kill alice's phone after it registered
		scenario  string
		wantAlice []string // acceptable results of alice's offer
	}{
		{"503", false, "agent_unavailable.xml", []string{"busy", "declined", "error"}},
		{"gone", true, "agent_noanswer.xml", []string{"error", "no_answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const ring = 5 * time.Second
			c := startQueues(t, queueConfig{ringTimeout: "5s", agents: aliceSupport + "\n" + bobSupport})
			alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: tt.scenario})
			if tt.vanish {
				alice.kill()
			}
			bob := c.startSIPpAgent(phone{name: "bob", password: "bob-demo", scenario: "agent_answer_bye.xml", hold: time.Second})
			if code := c.runSIPp(sippRun{scenario: "caller_queue1.xml", caller: "8001"}); code != 0 {
				t.Fatalf("caller: sipp exit code %d, want 0", code)
			}
			if code := bob.wait(); code != 0 {
				t.Errorf("bob's phone: sipp exit code %d, want 0", code)
			}
			call := c.waitInbound("8001")
			checkAnswered(t, call, "support", "bob")
			offered := call.Queueing.Offered
			if len(offered) != 2 || offered[0].Target != "alice" || !slices.Contains(tt.wantAlice, offered[0].Result) || offered[1].Target != "bob" {
				t.Fatalf("agents offered: got %v, want alice (%v) then bob", call.Queueing.offered(), tt.wantAlice)
			}
			// Bob rang within the ring timeout of alice's offer (plus a
			// moment for the engine and the network).
			if gap := offered[1].At.Sub(offered[0].At); gap > ring+2*time.Second {
				t.Errorf("bob rang %v after alice, want within the %v ring timeout", gap, ring)
			}
		})
	}
}

// kill stops SIPp at once, as a phone that loses power: its port closes.
func (p *sippProc) kill() {
	p.t.Helper()
	if p.cancel != nil {
		p.cancel()
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("sipp %s did not stop", p.name)
	}
}

// The agent's audio stops (their phone answered but sends no RTP): after
// the RTP timeout contactd hangs the agent up, then the caller, and the
// record says why the agent's leg ended.
func TestAgentRTPStopsHangsUpAndSaysWhy(t *testing.T) {
	t.Parallel()
	q := queueConfig{agents: aliceSupport}
	c := startContactd(t, q.yaml(), demo.FS(), func(cfg *config.Config) {
		cfg.Media.RTPTimeout = config.Duration(4 * time.Second)
	})
	alice := c.startSIPpAgent(phone{name: "alice", password: "alice-demo", scenario: "agent_silent.xml"})
	if code := c.runSIPp(sippRun{scenario: "caller_queue1.xml", caller: "8101"}); code != 0 {
		t.Fatalf("caller: sipp exit code %d, want 0 (BYE from contactd)", code)
	}
	if code := alice.wait(); code != 0 {
		t.Errorf("alice's phone: sipp exit code %d, want 0 (BYE from contactd after the RTP timeout)", code)
	}
	call := c.waitInbound("8101")
	checkAnswered(t, call, "support", "alice")
	var rec struct {
		Queueing struct {
			AgentEndReason string  `json:"agent_end_reason"`
			TalkSeconds    float64 `json:"talk_seconds"`
		} `json:"queueing"`
	}
	c.getJSON("/api/v1/calls/"+call.ID, &rec)
	if rec.Queueing.AgentEndReason != "rtp_timeout" {
		t.Errorf("agent's leg ended: got %q, want rtp_timeout", rec.Queueing.AgentEndReason)
	}
	if s := rec.Queueing.TalkSeconds; s < 3 || s > 8 {
		t.Errorf("talk: got %.1f s, want about the 4 s RTP timeout", s)
	}
}
