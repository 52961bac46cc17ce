package ivr

import (
	"testing"
	"time"
)

func TestOpen(t *testing.T) {
	c := exampleConfig(t)
	london, newYork := c.Menus["main"], c.Menus["account"]
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		m    *Menu
		at   string // UTC
		want bool
	}{
		// London in winter is UTC+0; weekdays 09:00-17:30.
		{"monday before opening", london, "2026-03-02 08:59", false},
		{"monday at opening", london, "2026-03-02 09:00", true},
		{"monday last minute", london, "2026-03-02 17:29", true},
		{"monday at closing", london, "2026-03-02 17:30", false},
		{"sunday", london, "2026-03-01 12:00", false},
		{"saturday before 10:00 GMT", london, "2026-03-28 09:30", false},
		// Clocks go forward on Sunday 2026-03-29: London is UTC+1 after.
		{"saturday 09:30 UTC is 10:30 BST", london, "2026-04-04 09:30", true},
		{"monday 08:30 UTC is 09:30 BST", london, "2026-03-30 08:30", true},
		{"monday 16:45 UTC is 17:45 BST", london, "2026-03-30 16:45", false},
		// Clocks go back on Sunday 2026-10-25.
		{"friday 08:30 UTC is 09:30 BST", london, "2026-10-23 08:30", true},
		{"monday 08:30 UTC is 08:30 GMT", london, "2026-10-26 08:30", false},
		{"christmas, a friday", london, "2026-12-25 12:00", false},
		{"new year, a friday", london, "2027-01-01 12:00", false},
		{"day after christmas is a saturday", london, "2026-12-26 11:00", true},
		// New York is UTC-5 in December: its holiday starts at 05:00 UTC.
		{"new york 23:59 on christmas eve", newYork, "2026-12-25 04:59", true},
		{"new york midnight christmas", newYork, "2026-12-25 05:00", false},
		{"new york 23:59 christmas", newYork, "2026-12-26 04:59", false},
		{"new york midnight after christmas", newYork, "2026-12-26 05:00", true},
		{"new york open to 24:00", newYork, "2026-03-03 04:59", true},
	}
	for _, tt := range tests {
		if got := tt.m.Open(utc(tt.at)); got != tt.want {
			t.Errorf("%s (%s UTC): got %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
	always := c.Menus["orders"]
	if !always.Open(utc("2026-12-25 12:00")) {
		t.Errorf("menu without hours on christmas: got closed, want open")
	}
}
