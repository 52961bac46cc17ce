package sipua

import (
	"errors"
	"testing"
)

func TestParseDTMFInfo(t *testing.T) {
	tests := []struct {
		ct, body string
		want     byte
		wantErr  error
	}{
		{"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", '5', nil},
		{"application/dtmf-relay", "Signal= #\nDuration= 100", '#', nil},
		{"application/dtmf-relay", "signal=11\r\n", '#', nil},
		{"application/dtmf-relay", "Signal=10", '*', nil},
		{"Application/DTMF-Relay; charset=utf-8", "Signal=b", 'B', nil},
		{"application/dtmf", "7", '7', nil},
		{"application/dtmf", " *\r\n", '*', nil},
		{"application/dtmf-relay", "Duration=160", 0, errors.New("any")},
		{"application/dtmf", "x", 0, errors.New("any")},
		{"application/dtmf", "16", 0, errors.New("any")},
		{"text/plain", "5", 0, errUnsupportedInfo},
		{"", "5", 0, errUnsupportedInfo},
	}
	for _, tt := range tests {
		got, err := parseDTMFInfo(tt.ct, []byte(tt.body))
		if tt.wantErr != nil {
			if err == nil {
				t.Errorf("%s %q: got %q, want an error", tt.ct, tt.body, got)
			} else if errors.Is(tt.wantErr, errUnsupportedInfo) && !errors.Is(err, errUnsupportedInfo) {
				t.Errorf("%s %q: got %v, want %v", tt.ct, tt.body, err, errUnsupportedInfo)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s %q: got %q, %v, want %q", tt.ct, tt.body, got, err, tt.want)
		}
	}
}
