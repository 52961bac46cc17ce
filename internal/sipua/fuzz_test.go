package sipua

import (
	"strings"
	"testing"
)

// Any SIP INFO body gives one key or an error: never a panic, never a
// byte that is not a key.
func FuzzDTMFInfo(f *testing.F) {
	for _, seed := range []struct{ ct, body string }{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"},
		{"application/dtmf-relay", "signal=11\r\n"},
		{"application/dtmf", "7"},
		{"application/dtmf-relay; charset=utf-8", "Signal=\r\n"},
		{"text/plain", "Signal=1"},
	} {
		f.Add(seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		d, err := parseDTMFInfo(ct, body)
		if err == nil && !strings.ContainsRune("0123456789*#ABCD", rune(d)) {
			t.Fatalf("parseDTMFInfo(%q, %q) = %q, want a key or an error", ct, body, d)
		}
	})
}
