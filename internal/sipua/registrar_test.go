package sipua

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

type creds map[string]string

func (c creds) Password(u string) (string, bool) { p, ok := c[u]; return p, ok }

// authorized builds a REGISTER answering chal as user with password.
func authorized(t *testing.T, chal *digest.Challenge, user, password string, nc int) *sip.Request {
	t.Helper()
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Host: "127.0.0.1"})
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: "sip:127.0.0.1", Username: user, Password: password, Count: nc})
	if err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(sip.NewHeader("Authorization", cred.String()))
	return req
}

func TestDigestChecks(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := NewRegistrar(RegistrarOptions{Now: func() time.Time { return now }, NonceTTL: time.Minute}, creds{"alice": "secret1"})

	c1, c2 := r.challenge(false), r.challenge(false)
	if c1.Nonce == c2.Nonce {
		t.Fatalf("two challenges share nonce %s, want one nonce per challenge", c1.Nonce)
	}
	if v, _ := r.check(sip.NewRequest(sip.REGISTER, sip.Uri{Host: "x"})); v != authMissing {
		t.Errorf("no Authorization: got %v, want authMissing", v)
	}
	tests := []struct {
		name     string
		user, pw string
		nc       int
		want     verdict
	}{
		{"right password", "alice", "secret1", 1, authOK},
		{"replayed nonce count", "alice", "secret1", 1, authStale},
		{"next nonce count", "alice", "secret1", 2, authOK},
		{"wrong password", "alice", "guess", 3, authBad},
		{"unknown user", "mallory", "secret1", 1, authBad},
	}
	for _, tt := range tests {
		v, _ := r.check(authorized(t, c1, tt.user, tt.pw, tt.nc))
		if v != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, v, tt.want)
		}
	}
	// After the nonce's lifetime a correct answer is stale, a wrong one bad.
	now = now.Add(2 * time.Minute)
	if v, _ := r.check(authorized(t, c2, "alice", "secret1", 1)); v != authStale {
		t.Errorf("expired nonce, right password: got %v, want authStale", v)
	}
	if v, _ := r.check(authorized(t, c2, "alice", "nope", 1)); v != authBad {
		t.Errorf("expired nonce, wrong password: got %v, want authBad", v)
	}
	// A nonce never issued here is never accepted.
	forged := &digest.Challenge{Realm: "contactd", Nonce: "0123456789abcdef", Algorithm: "MD5", QOP: []string{"auth"}}
	if v, _ := r.check(authorized(t, forged, "alice", "secret1", 1)); v == authOK {
		t.Errorf("forged nonce: got authOK, want refused")
	}
}

func TestNonceTableIsBounded(t *testing.T) {
	r := NewRegistrar(RegistrarOptions{MaxNonces: 100}, creds{})
	for range 1000 {
		r.challenge(false)
	}
	if n := len(r.nonces); n > 100 {
		t.Errorf("got %d outstanding nonces, want at most 100", n)
	}
}

func TestOnChange(t *testing.T) {
	clock := newFakeClock()
	changes := make(chan presence, 16)
	srv, _ := startServer(t, RegistrarOptions{
		Now:      clock.Now,
		OnChange: func(user string, registered bool) { changes <- presence{user, registered} },
	})
	reg := srv.opts.Registrar
	desk, soft := newPhone(t, "alice", ringing), newPhone(t, "alice", ringing)
	// Each step's REGISTER is answered, or its Sweep returns, only once
	// OnChange has been called.
	register := func(p *phone, contact string, expires int) func() int {
		return func() int { return p.register(srv.Addr(), contact, expires) }
	}
	sweep := func(advance time.Duration) func() int {
		return func() int { clock.Advance(advance); reg.Sweep(); return 0 }
	}
	steps := []struct {
		name     string
		do       func() int // returns the REGISTER's status, 0 for none
		wantCode int
		want     []presence
	}{
		{"first contact", register(desk, "", 3600), 200, []presence{{"alice", true}}},
		{"second contact", register(soft, "", 3600), 200, nil},
		{"one of two removed", register(desk, "", 0), 200, nil},
		{"last removed with Expires 0", register(soft, "", 0), 200, []presence{{"alice", false}}},
		{"back", register(desk, "", 3600), 200, []presence{{"alice", true}}},
		{"wildcard removal", register(desk, "*", 0), 200, []presence{{"alice", false}}},
		{"short registration", register(desk, "", 60), 200, []presence{{"alice", true}}},
		{"sweep before expiry", sweep(59 * time.Second), 0, nil},
		{"sweep after expiry", sweep(2 * time.Second), 0, []presence{{"alice", false}}},
		{"sweep again", sweep(0), 0, nil},
		{"registered again", register(desk, "", 60), 200, []presence{{"alice", true}}},
		// Contacts drops an expired binding quietly; Sweep still reports it.
		{"expired, seen by Contacts", func() int { clock.Advance(time.Hour); reg.Contacts("alice"); return 0 }, 0, nil},
		{"then swept", sweep(0), 0, []presence{{"alice", false}}},
		{"too brief", register(desk, "", 10), 423, nil},
	}
	for _, st := range steps {
		if code := st.do(); code != st.wantCode {
			t.Fatalf("%s: got status %d, want %d", st.name, code, st.wantCode)
		}
		var got []presence
		for done := false; !done; {
			select {
			case p := <-changes:
				got = append(got, p)
			default:
				done = true
			}
		}
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: got %v, want %v", st.name, got, st.want)
		}
	}
}

// A request with one contact too brief stores none of its contacts.
func TestRegisterAllOrNothing(t *testing.T) {
	srv, _ := startServer(t, RegistrarOptions{})
	p := newPhone(t, "alice", ringing)
	code := p.register(srv.Addr(), "<sip:alice@127.0.0.1:5070>, <sip:alice@127.0.0.1:5072>;expires=10", 3600)
	if code != 423 {
		t.Fatalf("register: got %d, want 423", code)
	}
	if got := srv.Contacts("alice"); len(got) != 0 {
		t.Errorf("contacts: got %v, want none", got)
	}
}

func TestRunSweeps(t *testing.T) {
	clock := newFakeClock()
	offline := make(chan struct{}, 1)
	srv, _ := startServer(t, RegistrarOptions{
		Now: clock.Now,
		OnChange: func(user string, registered bool) {
			if !registered {
				signal(offline)
			}
		},
	})
	newPhone(t, "alice", ringing).mustRegister(srv.Addr())
	clock.Advance(2 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		srv.opts.Registrar.Run(ctx, time.Millisecond)
	}()
	await(t, offline, "expiry reported by Run")
	cancel()
	await(t, ran, "Run returning once ctx ended")
}
