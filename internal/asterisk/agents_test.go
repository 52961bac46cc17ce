package asterisk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/asterisk"
	"github.com/contactd/contactd/internal/callflow"
)

func TestDialAgent(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string // state
		phone    phone
		ring     time.Duration
		want     error // nil: answered
	}{
		{"answers", "online", phone{answerAfter: 30 * time.Millisecond}, time.Second, nil},
		{"busy", "online", phone{busy: true}, time.Second, callflow.ErrBusy},
		{"no answer", "online", phone{}, 150 * time.Millisecond, callflow.ErrNoAnswer},
		{"not registered", "offline", phone{}, time.Second, callflow.ErrNotRegistered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeARI(t)
			f.setEndpoint("PJSIP/alice", tt.endpoint)
			f.setPhone("PJSIP/alice", tt.phone)
			b := startBackend(t, f, make(legs), nil)
			f.waitConnects(1)
			waitConnected(t, b)
			p, err := b.DialAgent(context.Background(), "alice", callflow.Dial{
				Caller: "+441234567890", RingTimeout: tt.ring,
				Headers: map[string]string{"X-Contactd-Call-Id": "call-7"},
			})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want an answered call", err)
				}
				defer p.Hangup(context.Background())
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			req := f.waitReq("POST", "/channels", 1)
			for k, want := range map[string]string{"endpoint": "PJSIP/alice", "app": "contactd", "appArgs": "contactd-dial", "callerId": "+441234567890"} {
				if got := req.Params[k]; got != want {
					t.Errorf("originate %s: got %v, want %v", k, got, want)
				}
			}
			if got := req.Params["variables"]; !strings.Contains(got, `"PJSIP_HEADER(add,X-Contactd-Call-Id)":"call-7"`) {
				t.Errorf("originate variables: got %v, want the call id as a SIP header", got)
			}
			if tt.want == nil && p.ID() != req.Params["channelId"] {
				t.Errorf("party id: got %v, want the originated channel %v", p.ID(), req.Params["channelId"])
			}
			if errors.Is(tt.want, callflow.ErrNoAnswer) {
				// Our ring timeout came first: contactd hangs the phone up.
				f.waitReq("DELETE", "/channels/"+req.Params["channelId"], 1)
			}
		})
	}
}

// TestDialCancelled: the ACD cancelling a ring (another agent won) hangs
// the phone up.
func TestDialCancelled(t *testing.T) {
	f := newFakeARI(t)
	f.setEndpoint("PJSIP/alice", "online")
	b := startBackend(t, f, make(legs), nil)
	waitConnected(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := b.DialAgent(ctx, "alice", callflow.Dial{RingTimeout: 5 * time.Second})
		done <- err
	}()
	req := f.waitReq("POST", "/channels", 1)
	f.waitFor("ringing", func() bool { c := f.chans[req.Params["channelId"]]; return c != nil && c.state == "Ringing" })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	f.waitReq("DELETE", "/channels/"+req.Params["channelId"], 1)
}

func waitConnected(t *testing.T, b *asterisk.Backend) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !b.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("backend did not connect")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type reach struct {
	mu  sync.Mutex
	got []string
}

func (r *reach) on(agent string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := agent + "=off"
	if ok {
		s = agent + "=on"
	}
	r.got = append(r.got, s)
}

func (r *reach) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		got := strings.Join(r.got, " ")
		r.mu.Unlock()
		if got == strings.Join(want, " ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("reachability: got %v, want %v", got, strings.Join(want, " "))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReachability: agents follow their endpoints' state, read when
// connecting and then from EndpointStateChange and DeviceStateChanged.
func TestReachability(t *testing.T) {
	f := newFakeARI(t)
	f.setEndpoint("PJSIP/alice", "online")
	f.setEndpoint("PJSIP/bob", "offline")
	r := &reach{}
	startBackend(t, f, make(legs), func(o *asterisk.Options) {
		o.Agents = func() []string { return []string{"alice", "bob", "carol"} }
		o.OnReachable = r.on
	})
	// carol has no endpoint in Asterisk at all.
	r.wait(t, "alice=on", "bob=off", "carol=off")
	for _, src := range []string{"endpoint:PJSIP/alice", "deviceState:PJSIP/alice", "endpoint:PJSIP/bob"} {
		f.waitFor("subscription to "+src, func() bool { return f.subs[src] })
	}
	f.setEndpoint("PJSIP/bob", "online")
	r.wait(t, "alice=on", "bob=off", "carol=off", "bob=on")
	f.setEndpoint("PJSIP/alice", "offline")
	r.wait(t, "alice=on", "bob=off", "carol=off", "bob=on", "alice=off")
}
