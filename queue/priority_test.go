package queue

import (
	"testing"
	"time"
)

func TestPrioritize(t *testing.T) {
	rules := PriorityRules{
		VIP:          map[string]int{"+44100": 1, "+44200": 7, "": 0},
		RepeatWithin: time.Hour,
		RepeatBoost:  2,
	}
	now := at(7200)
	tests := []struct {
		name     string
		rules    PriorityRules
		base     int
		customer string
		last     time.Time
		want     int
	}{
		{"plain caller keeps base", rules, 5, "+44999", time.Time{}, 5},
		{"VIP class", rules, 5, "+44100", time.Time{}, 1},
		{"VIP class worse than base keeps base", rules, 5, "+44200", time.Time{}, 5},
		{"repeat within the window", rules, 5, "+44999", now.Add(-30 * time.Minute), 3},
		{"repeat exactly at the window", rules, 5, "+44999", now.Add(-time.Hour), 3},
		{"repeat outside the window", rules, 5, "+44999", now.Add(-61 * time.Minute), 5},
		{"VIP and repeat: the better", rules, 4, "+44100", now.Add(-time.Minute), 1},
		{"repeat boost clamps at 0", rules, 1, "+44999", now.Add(-time.Minute), 0},
		{"base clamped high", rules, 15, "+44999", time.Time{}, 9},
		{"base clamped low", rules, -2, "+44999", time.Time{}, 0},
		{"anonymous caller never matches a VIP entry", rules, 5, "", time.Time{}, 5},
		{"no repeat rule", PriorityRules{RepeatBoost: 3}, 5, "+44999", now.Add(-time.Second), 5},
	}
	for _, tt := range tests {
		if got := Prioritize(tt.rules, tt.base, tt.customer, tt.last, now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
