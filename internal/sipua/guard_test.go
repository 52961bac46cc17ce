package sipua

import (
	"net/netip"
	"testing"
	"time"
)

func TestGuardRateLimits(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g := newSourceGuard(GuardOptions{InvitePerSecond: 2, RegisterPerSecond: -1, Burst: 3, Now: func() time.Time { return now }})
	ip := netip.MustParseAddr("192.0.2.7")
	var got []guardVerdict
	for range 5 {
		got = append(got, g.check(ip, "INVITE"))
	}
	want := []guardVerdict{pass, pass, pass, limited, limited}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("INVITEs at once: got %v, want %v (burst 3)", got, want)
		}
	}
	if v := g.check(netip.MustParseAddr("192.0.2.8"), "INVITE"); v != pass {
		t.Errorf("another address: got %v, want pass (limits are per address)", v)
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if v := g.check(ip, "INVITE"); v != pass {
		t.Errorf("after 0.5 s: got %v, want pass", v)
	}
	if v := g.check(ip, "INVITE"); v != limited {
		t.Errorf("second after 0.5 s: got %v, want limited", v)
	}
	for i := range 100 {
		if v := g.check(ip, "REGISTER"); v != pass {
			t.Fatalf("REGISTER %d with its limit off: got %v, want pass", i, v)
		}
	}
	if v := g.check(ip, "OPTIONS"); v != pass {
		t.Errorf("OPTIONS: got %v, want pass (not rate limited)", v)
	}
}

func TestGuardBansPasswordGuessers(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g := newSourceGuard(GuardOptions{BanAfter: 3, FailureWindow: time.Minute, BanFor: 10 * time.Minute,
		Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Now: func() time.Time { return now }})
	ip := netip.MustParseAddr("198.51.100.9")
	g.authFailed(ip)
	now = now.Add(2 * time.Minute) // the first failure is forgotten
	g.authFailed(ip)
	if g.authFailed(ip) {
		t.Fatal("banned after 2 failures within the window, want 3")
	}
	if !g.authFailed(ip) {
		t.Fatal("not banned after 3 failures within a minute")
	}
	if v := g.check(ip, "REGISTER"); v != banned {
		t.Errorf("banned address: got %v, want banned", v)
	}
	if v := g.check(ip, "OPTIONS"); v != banned {
		t.Errorf("banned address, any method: got %v, want banned", v)
	}
	now = now.Add(10*time.Minute + time.Second)
	if v := g.check(ip, "REGISTER"); v != pass {
		t.Errorf("after the ban: got %v, want pass", v)
	}
	trusted := netip.MustParseAddr("10.1.2.3")
	for range 10 {
		g.authFailed(trusted)
	}
	if v := g.check(trusted, "REGISTER"); v != pass {
		t.Errorf("trusted address after failures: got %v, want pass", v)
	}
}

func TestGuardForgetsQuietAddresses(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	g := newSourceGuard(GuardOptions{Now: func() time.Time { return now }})
	for i := range 1000 {
		g.check(netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)}), "OPTIONS")
	}
	now = now.Add(5 * time.Minute)
	g.check(netip.MustParseAddr("203.0.113.1"), "OPTIONS")
	if n := len(g.sources); n != 1 {
		t.Errorf("addresses kept after 5 quiet minutes: got %d, want 1", n)
	}
}
