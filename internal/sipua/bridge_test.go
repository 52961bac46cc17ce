package sipua

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/media"
)

// connected sets up a caller's leg (from the phone "caller") and an
// agent's leg (the phone "agent", rung by DialAgent), both answered.
func connected(t *testing.T) (caller *phone, in *Leg, agent *phone, out *OutLeg) {
	t.Helper()
	srv, calls := startServer(t, RegistrarOptions{})
	caller = newPhone(t, "caller", ringing)
	agent = newPhone(t, "alice", answering)
	agent.mustRegister(srv.Addr())
	caller.call(srv.Addr(), "100")
	select {
	case in = <-calls:
	case <-time.After(guard):
		t.Fatal("inbound call never answered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	out, err := srv.DialAgent(ctx, "alice", DialOptions{Caller: in.Caller()})
	if err != nil {
		t.Fatalf("dial agent: %v", err)
	}
	t.Cleanup(func() { out.Hangup(context.Background()) })
	return caller, in, agent, out
}

func TestConnectRelaysRTP(t *testing.T) {
	caller, in, agent, out := connected(t)
	br := Connect(in, out, media.BridgeOptions{})
	defer br.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := in.Play(ctx, make([]int16, media.FrameSamples)); !errors.Is(err, media.ErrBridged) {
		t.Errorf("play to caller while bridged: got %v, want %v", err, media.ErrBridged)
	}

	// PCMU 0x00 and 0x80 are loud samples that survive decoding and
	// encoding unchanged, unlike the 0xff of silence.
	stop := make(chan struct{})
	defer close(stop)
	go caller.sendRTP(in.LocalMedia(), 0x00, stop)
	go agent.sendRTP(out.Media().LocalAddr(), 0x80, stop)
	if err := agent.awaitRTP(0x00); err != nil {
		t.Fatalf("caller's audio at the agent: %v", err)
	}
	if err := caller.awaitRTP(0x80); err != nil {
		t.Fatalf("agent's audio at the caller: %v", err)
	}

	for _, leg := range []struct {
		name  string
		stats media.Stats
	}{{"caller leg", in.RTPStats()}, {"agent leg", out.RTPStats()}} {
		if leg.stats.PacketsReceived == 0 || leg.stats.PacketsSent == 0 {
			t.Errorf("%s: got %d received, %d sent, want both counted", leg.name, leg.stats.PacketsReceived, leg.stats.PacketsSent)
		}
	}
	if st := br.Stats(); st.AToB.FramesRelayed == 0 || st.BToA.FramesRelayed == 0 {
		t.Errorf("bridge: got %+v, want frames relayed both ways", st)
	}

	// After the bridge, the caller takes prompts again (a survey).
	br.Stop()
	if err := in.Play(ctx, make([]int16, media.FrameSamples)); err != nil {
		t.Errorf("play to caller after the bridge: got %v, want nil", err)
	}
	if err := out.Play(ctx, make([]int16, media.FrameSamples)); err != nil {
		t.Errorf("play to agent after the bridge: got %v, want nil", err)
	}
}

// Either leg ending ends the bridge.
func TestConnectEndsWithALeg(t *testing.T) {
	tests := []struct {
		name string
		end  func(in *Leg, out *OutLeg) error
	}{
		{"agent hangs up", func(_ *Leg, out *OutLeg) error { return out.Hangup(context.Background()) }},
		{"caller leg hung up", func(in *Leg, _ *OutLeg) error { return in.Hangup(context.Background()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, in, _, out := connected(t)
			br := Connect(in, out, media.BridgeOptions{})
			if err := tt.end(in, out); err != nil {
				t.Fatalf("end leg: %v", err)
			}
			await(t, br.Done(), "bridge end")
		})
	}
}

// A leg that has ended gives a bridge that is over at once.
func TestConnectEndedLeg(t *testing.T) {
	_, in, _, out := connected(t)
	if err := out.Hangup(context.Background()); err != nil {
		t.Fatalf("hangup: %v", err)
	}
	br := Connect(in, out, media.BridgeOptions{})
	await(t, br.Done(), "bridge end")
	if err := in.Play(context.Background(), make([]int16, media.FrameSamples)); err != nil {
		t.Errorf("play to caller: got %v, want nil", err)
	}
}
