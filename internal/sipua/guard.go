package sipua

import (
	"net/netip"
	"sync"
	"time"
)

// GuardOptions limits what one source address may do: a scanner or a
// password guesser is slowed, then shut out, while phones carry on.
type GuardOptions struct {
	// InvitePerSecond and RegisterPerSecond are each source address's
	// sustained rates, with Burst requests allowed at once. 0 means the
	// default; negative turns that limit off.
	InvitePerSecond   float64
	RegisterPerSecond float64
	Burst             int
	// BanAfter authentication failures within FailureWindow ban the
	// address for BanFor: its requests are dropped unanswered. 0 means
	// the default; negative never bans.
	BanAfter      int
	FailureWindow time.Duration
	BanFor        time.Duration
	// Trusted addresses (an SBC or proxy in front) are never limited.
	Trusted []netip.Prefix
	Now     func() time.Time
}

// Defaults: generous for a call centre's own phones and trunks, which
// rarely send more than a few requests a second from one address.
const (
	DefaultInvitePerSecond   = 20
	DefaultRegisterPerSecond = 10
	DefaultBurst             = 50
	DefaultBanAfter          = 10
	DefaultFailureWindow     = time.Minute
	DefaultBanFor            = 10 * time.Minute
)

// guard keeps per-address token buckets, failure counts and bans.
type sourceGuard struct {
	opts GuardOptions

	mu      sync.Mutex
	sources map[netip.Addr]*source
	swept   time.Time
}

type source struct {
	invite, register bucket
	failures         []time.Time
	bannedUntil      time.Time
	seen             time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// take spends one token, refilled at rate per second up to burst.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	if b.at.IsZero() {
		b.tokens, b.at = float64(burst), now
	}
	b.tokens = min(float64(burst), b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func newSourceGuard(o GuardOptions) *sourceGuard {
	if o.InvitePerSecond == 0 {
		o.InvitePerSecond = DefaultInvitePerSecond
	}
	if o.RegisterPerSecond == 0 {
		o.RegisterPerSecond = DefaultRegisterPerSecond
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.BanAfter == 0 {
		o.BanAfter = DefaultBanAfter
	}
	if o.FailureWindow <= 0 {
		o.FailureWindow = DefaultFailureWindow
	}
	if o.BanFor <= 0 {
		o.BanFor = DefaultBanFor
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &sourceGuard{opts: o, sources: map[netip.Addr]*source{}}
}

// guardVerdict is what the guard says of a request.
type guardVerdict int

const (
	pass    guardVerdict = iota
	limited              // over its rate: answer 503
	banned               // shut out: drop
)

func (g *sourceGuard) trusted(ip netip.Addr) bool {
	for _, p := range g.opts.Trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// check decides on a request of method from ip.
func (g *sourceGuard) check(ip netip.Addr, method string) guardVerdict {
	if !ip.IsValid() || g.trusted(ip) {
		return pass
	}
	now := g.opts.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sweepLocked(now)
	s := g.sourceLocked(ip, now)
	if now.Before(s.bannedUntil) {
		return banned
	}
	switch method {
	case "INVITE":
		if g.opts.InvitePerSecond > 0 && !s.invite.take(now, g.opts.InvitePerSecond, g.opts.Burst) {
			return limited
		}
	case "REGISTER":
		if g.opts.RegisterPerSecond > 0 && !s.register.take(now, g.opts.RegisterPerSecond, g.opts.Burst) {
			return limited
		}
	}
	return pass
}

// authFailed records a failed authentication and reports whether it
// banned the address.
func (g *sourceGuard) authFailed(ip netip.Addr) bool {
	if !ip.IsValid() || g.trusted(ip) || g.opts.BanAfter < 0 {
		return false
	}
	now := g.opts.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	s := g.sourceLocked(ip, now)
	cut := now.Add(-g.opts.FailureWindow)
	kept := s.failures[:0]
	for _, t := range s.failures {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	s.failures = append(kept, now)
	if len(s.failures) >= g.opts.BanAfter {
		s.bannedUntil, s.failures = now.Add(g.opts.BanFor), nil
		return true
	}
	return false
}

func (g *sourceGuard) sourceLocked(ip netip.Addr, now time.Time) *source {
	s := g.sources[ip]
	if s == nil {
		s = &source{}
		g.sources[ip] = s
	}
	s.seen = now
	return s
}

// sweepLocked forgets quiet, unbanned addresses once a minute, so a scan
// from many addresses cannot grow the table without end.
func (g *sourceGuard) sweepLocked(now time.Time) {
	if now.Sub(g.swept) < time.Minute {
		return
	}
	g.swept = now
	for ip, s := range g.sources {
		if now.Sub(s.seen) > g.opts.FailureWindow && !now.Before(s.bannedUntil) {
			delete(g.sources, ip)
		}
	}
}
