package sipua

import (
	"context"
	"errors"
	"testing"
	"time"
)

// dialAgent runs DialAgent with a context that never ends by itself: if
// the dial has not settled at the guard the test fails.
func dialAgent(t *testing.T, srv *Server, user string, opts DialOptions) (*OutLeg, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		leg *OutLeg
		err error
	}
	done := make(chan result, 1)
	go func() {
		leg, err := srv.DialAgent(ctx, user, opts)
		done <- result{leg, err}
	}()
	select {
	case r := <-done:
		return r.leg, r.err
	case <-time.After(guard):
		t.Fatalf("dial agent %s: not settled", user)
		return nil, nil
	}
}

func TestDialAgentForks(t *testing.T) {
	tests := []struct {
		name  string
		modes []phoneMode
		ring  time.Duration // 0: ring until answered or refused
		// wantErr nil means phone 0 answers.
		wantErr    error
		wantCancel []int // phones that must receive CANCEL
	}{
		{"one answers, the other is cancelled", []phoneMode{answering, ringing}, 0, nil, []int{1}},
		{"single contact answers", []phoneMode{answering}, 0, nil, nil},
		{"nobody answers", []phoneMode{ringing, ringing}, 300 * time.Millisecond, ErrNoAnswer, []int{0, 1}},
		{"busy beats no answer", []phoneMode{busy, ringing}, 300 * time.Millisecond, ErrBusy, []int{1}},
		// A 6xx is the agent's answer on every phone: no ring timeout is
		// needed to stop the other one.
		{"decline cancels the others", []phoneMode{declining, ringing}, 0, ErrDeclined, []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startServer(t, RegistrarOptions{})
			var phones []*phone
			for _, m := range tt.modes {
				p := newPhone(t, "alice", m)
				p.mustRegister(srv.Addr())
				phones = append(phones, p)
			}
			leg, err := dialAgent(t, srv, "alice", DialOptions{Caller: "+441234", RingTimeout: tt.ring})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("dial agent: got %v, want %v", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("dial agent: got %v, want answered", err)
				}
				if got, want := leg.Contact(), phones[0].contact.String(); got != want {
					t.Errorf("answered contact: got %s, want %s", got, want)
				}
				if err := leg.Hangup(context.Background()); err != nil {
					t.Errorf("hangup: %v", err)
				}
				await(t, phones[0].byes, "BYE at the answering phone")
			}
			for _, i := range tt.wantCancel {
				await(t, phones[i].cancels, "CANCEL at phone "+phones[i].contact.String())
			}
		})
	}
}

// Two phones answering at once: one wins, the other is hung up.
func TestDialAgentBothAnswer(t *testing.T) {
	srv, _ := startServer(t, RegistrarOptions{})
	phones := []*phone{newPhone(t, "alice", answering), newPhone(t, "alice", answering)}
	for _, p := range phones {
		p.mustRegister(srv.Addr())
	}
	leg, err := dialAgent(t, srv, "alice", DialOptions{})
	if err != nil {
		t.Fatalf("dial agent: got %v, want answered", err)
	}
	defer leg.Hangup(context.Background())
	loser := phones[0]
	if leg.Contact() == loser.contact.String() {
		loser = phones[1]
	}
	// Cancelled while answering, or answered first and hung up.
	select {
	case <-loser.byes:
	case <-loser.cancels:
	case <-time.After(guard):
		t.Fatalf("phone %s: got neither BYE nor CANCEL, want the call ended", loser.contact.String())
	}
}

// Ending ctx while the phones ring cancels every one of them.
func TestDialAgentContextCancelled(t *testing.T) {
	srv, _ := startServer(t, RegistrarOptions{})
	phones := []*phone{newPhone(t, "alice", ringing), newPhone(t, "alice", ringing)}
	for _, p := range phones {
		p.mustRegister(srv.Addr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for _, p := range phones {
			select {
			case <-p.invites:
			case <-time.After(guard):
			}
		}
		cancel()
	}()
	_, err := srv.DialAgent(ctx, "alice", DialOptions{})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("dial agent: got %v, want %v", err, ErrCanceled)
	}
	for _, p := range phones {
		await(t, p.cancels, "CANCEL at phone "+p.contact.String())
	}
}

func TestDialAgentNotRegistered(t *testing.T) {
	clock := newFakeClock()
	tests := []struct {
		name  string
		setup func(t *testing.T, srv *Server) *phone // the phone that must not ring
	}{
		{"never registered", func(t *testing.T, srv *Server) *phone {
			bob := newPhone(t, "bob", answering)
			bob.mustRegister(srv.Addr())
			return bob
		}},
		{"registration expired", func(t *testing.T, srv *Server) *phone {
			alice := newPhone(t, "alice", answering)
			alice.mustRegister(srv.Addr())
			clock.Advance(2 * time.Hour)
			return alice
		}},
		{"unregistered", func(t *testing.T, srv *Server) *phone {
			alice := newPhone(t, "alice", answering)
			alice.mustRegister(srv.Addr())
			if code := alice.register(srv.Addr(), "", 0); code != 200 {
				t.Fatalf("unregister: got %d, want 200", code)
			}
			return alice
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := startServer(t, RegistrarOptions{Now: clock.Now})
			p := tt.setup(t, srv)
			_, err := srv.DialAgent(context.Background(), "alice", DialOptions{})
			if !errors.Is(err, ErrNotRegistered) {
				t.Fatalf("dial agent: got %v, want %v", err, ErrNotRegistered)
			}
			// Nothing was set up to send: no leg, so no INVITE.
			srv.mu.Lock()
			n := len(srv.outLegs)
			srv.mu.Unlock()
			if n != 0 {
				t.Errorf("outbound legs: got %d, want 0", n)
			}
			select {
			case <-p.invites:
				t.Errorf("phone %s got an INVITE, want none", p.contact.String())
			default:
			}
		})
	}
}
