package timeline_test

import (
	"testing"

	"github.com/contactd/contactd/timeline"
)

func TestNormalizeNumber(t *testing.T) {
	tests := []struct {
		raw, country string
		want         string
		ok           bool
	}{
		// UK (44)
		{"+44 20 7946 0958", "44", "+442079460958", true},
		{"020 7946 0958", "44", "+442079460958", true},
		{"(020) 7946-0958", "44", "+442079460958", true},
		{"07700 900123", "44", "+447700900123", true},
		{"0044 7700 900123", "44", "+447700900123", true},
		{"0044 7700 900123", "", "+447700900123", true},
		{"447700900123", "44", "+447700900123", true}, // trunk sent it without "+"
		{"+44 (0)20 7946 0958", "44", "+442079460958", true},
		{"07700900123", "", "07700900123", false}, // national, but no country to put on it
		{"447700900123", "", "447700900123", false},
		// US (1)
		{"+1 415 555 2671", "1", "+14155552671", true},
		{"(415) 555-2671", "1", "+14155552671", true},
		{"415.555.2671", "1", "+14155552671", true},
		{"1-415-555-2671", "1", "+14155552671", true},
		{"011 44 7700 900123", "1", "+447700900123", true},
		{"tel:+1-415-555-2671", "", "+14155552671", true},
		{"5552671", "1", "+15552671", true}, // 7 digits is national, not an extension
		// Iran (98)
		{"0912 345 6789", "98", "+989123456789", true},
		{"9123456789", "98", "+989123456789", true},
		{"989123456789", "98", "+989123456789", true},
		{"00989123456789", "", "+989123456789", true},
		{"+98 21 1234 5678", "44", "+982112345678", true},
		{"021-1234-5678", "+98", "+982112345678", true},
		// Saudi Arabia (966)
		{"050 123 4567", "966", "+966501234567", true},
		{"501234567", "966", "+966501234567", true},
		{"966501234567", "966", "+966501234567", true},
		{"+966 50 123 4567", "", "+966501234567", true},
		{"00966 50 123 4567", "98", "+966501234567", true},
		{"011 234 5678", "+966", "+966112345678", true},
		// Already E.164, from SIP
		{"+447700900123", "98", "+447700900123", true},
		{"  +447700900123\t", "", "+447700900123", true},
		{"sip:+447700900123@trunk.example.com;user=phone", "44", "+447700900123", true},
		{"sips:07700900123@pbx.example.com", "44", "+447700900123", true},
		// Not numbers
		{"anonymous", "44", "anonymous", false},
		{"Anonymous", "", "Anonymous", false},
		{"", "44", "", false},
		{"   ", "44", "", false},
		{"2001", "44", "2001", false}, // internal extension stays itself
		{" 2001 ", "1", "2001", false},
		{"123456", "44", "123456", false},
		{"alice", "44", "alice", false},
		{"agent.bob", "", "agent.bob", false},
		{"sip:alice@example.com", "44", "sip:alice@example.com", false},
		{"+123", "", "+123", false},                           // too short for E.164
		{"+1234567890123456", "", "+1234567890123456", false}, // 16 digits
		{"00", "44", "00", false},
		{"0", "44", "0", false},
		{"++447700900123", "", "++447700900123", false},
		{"+44 7700 9001x3", "44", "+44 7700 9001x3", false},
		{"0800-FLOWERS", "1", "0800-FLOWERS", false},
		{"07700900123", "UK", "07700900123", false}, // a country must be digits
	}
	for _, tt := range tests {
		got, ok := timeline.NormalizeNumber(tt.raw, tt.country)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeNumber(%q, %q): got %v, %v, want %v, %v", tt.raw, tt.country, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCustomerID(t *testing.T) {
	tests := []struct {
		caller, account, country string
		want                     string
	}{
		{"+447700900123", "", "44", "+447700900123"},
		{"07700 900123", "", "44", "+447700900123"},
		{"0912 345 6789", "", "98", "+989123456789"},
		{"07700 900123", "12345", "44", "acct:12345"}, // the account names them even on another phone
		{"", " 987 ", "", "acct:987"},
		{"anonymous", "42", "", "acct:42"},
		{"", "", "44", "anonymous"},
		{"  ", "", "44", "anonymous"},
		{"anonymous", "", "44", "anonymous"},
		{"Anonymous", "", "", "anonymous"},
		{"2001", "", "44", "2001"},
		{"alice", "", "44", "alice"},
		{"sip:alice@example.com", "", "", "sip:alice@example.com"},
	}
	for _, tt := range tests {
		if got := timeline.CustomerID(tt.caller, tt.account, tt.country); got != tt.want {
			t.Errorf("CustomerID(%q, %q, %q): got %v, want %v", tt.caller, tt.account, tt.country, got, tt.want)
		}
	}
}
