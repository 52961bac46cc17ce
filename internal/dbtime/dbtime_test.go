package dbtime

import (
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		in   time.Time
		want time.Time
	}{
		{time.Time{}, time.Time{}},
		{time.Date(2026, 12, 1, 9, 30, 0, 123456789, time.FixedZone("x", 3600)), time.Date(2026, 12, 1, 8, 30, 0, 123456000, time.UTC)},
	}
	for _, tt := range tests {
		if got := FromMicros(Micros(tt.in)); !got.Equal(tt.want) || got.Location() != tt.want.Location() {
			t.Errorf("round trip of %v: got %v, want %v", tt.in, got, tt.want)
		}
	}
}
