package sipua

import (
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
