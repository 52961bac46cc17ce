package config

import (
	"fmt"
	"net/netip"
	"strconv"
)

// SIPLimits are sip.limits: what one source address may send before it
// is slowed (503) or shut out (dropped). Zero values mean contactd's
// defaults (see README); -1 turns a limit off.
type SIPLimits struct {
	InvitePerSecond   float64  `yaml:"invite_per_second"`
	RegisterPerSecond float64  `yaml:"register_per_second"`
	Burst             int      `yaml:"burst"`
	BanAfter          int      `yaml:"ban_after_failures"`
	BanFor            Duration `yaml:"ban_for"`
	// Trusted are addresses or CIDR prefixes (an SBC, a proxy) that are
	// never limited.
	Trusted []string `yaml:"trusted"`
}

// TrustedPrefixes is Trusted parsed; Parse has checked it.
func (l SIPLimits) TrustedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, t := range l.Trusted {
		if p, ok := parsePrefix(t); ok {
			out = append(out, p)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

func (c *Config) checkLimits(add func(line int, field, problem string), line func(path ...string) int) {
	l := c.SIP.Limits
	for _, f := range []struct {
		key string
		v   float64
	}{{"invite_per_second", l.InvitePerSecond}, {"register_per_second", l.RegisterPerSecond}} {
		if f.v < 0 && f.v != -1 {
			add(line("sip", "limits", f.key), "sip.limits."+f.key, fmt.Sprintf("%v: want a rate above 0, 0 for the default or -1 for none", f.v))
		}
	}
	if l.Burst < 0 {
		add(line("sip", "limits", "burst"), "sip.limits.burst", "want 0 (default) or more")
	}
	if l.BanAfter < -1 {
		add(line("sip", "limits", "ban_after_failures"), "sip.limits.ban_after_failures", "want a count, 0 for the default or -1 to never ban")
	}
	for i, t := range l.Trusted {
		if _, ok := parsePrefix(t); !ok {
			add(line("sip", "limits", "trusted", strconv.Itoa(i)), fmt.Sprintf("sip.limits.trusted[%d]", i), fmt.Sprintf("%q is not an address or CIDR prefix", t))
		}
	}
}
