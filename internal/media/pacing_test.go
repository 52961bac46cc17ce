package media

import (
	"math/rand/v2"
	"testing"
	"time"
)

// fakeClock never really waits: WaitUntil jumps to the deadline plus a
// random oversleep, as a loaded scheduler would, and stall adds a one-off
// delay as if the process had been descheduled.
type fakeClock struct {
	now        time.Time
	rng        *rand.Rand
	oversleep  time.Duration // upper bound of the random oversleep
	stallAfter int           // stall once, on this wait (0: never)
	stall      time.Duration
	waits      int
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) WaitUntil(deadline time.Time, stop <-chan struct{}) bool {
	c.waits++
	if c.stallAfter > 0 && c.waits == c.stallAfter {
		c.now = c.now.Add(c.stall)
	}
	if deadline.After(c.now) {
		c.now = deadline.Add(time.Duration(c.rng.Int64N(int64(c.oversleep))))
	}
	return true
}

func newFakeClock(oversleep time.Duration) *fakeClock {
	return &fakeClock{
		now:       time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		rng:       rand.New(rand.NewPCG(1, 2)),
		oversleep: oversleep,
	}
}

// A 60 s prompt is 3000 packets whose send times stay on the 20 ms grid
// although every single wait oversleeps by up to 5 ms: accumulating sleeps
// would end up about 7.5 s late.
func TestPacerDoesNotDrift(t *testing.T) {
	clk := newFakeClock(5 * time.Millisecond)
	p := newPacer(clk, frameTime, maxLag)
	start := clk.Now()
	var first, last time.Time
	for i := range 3000 {
		if !p.wait(nil) {
			t.Fatal("wait reported stop")
		}
		at := clk.Now()
		due := start.Add(time.Duration(i) * frameTime)
		if late := at.Sub(due); late < 0 || late >= 5*time.Millisecond {
			t.Fatalf("packet %d sent %v after its slot, want within [0, 5ms)", i, late)
		}
		if i == 0 {
			first = at
		}
		last = at
	}
	span, want := last.Sub(first), 2999*frameTime
	if d := (span - want).Abs(); d > 40*time.Millisecond {
		t.Errorf("3000 packets span %v, want %v ± 40ms", span, want)
	}
	if p.resyncs != 0 {
		t.Errorf("got %d resyncs, want 0", p.resyncs)
	}
}

func TestPacerAfterStall(t *testing.T) {
	tests := []struct {
		name        string
		stall       time.Duration
		wantResyncs uint64
	}{
		// A short hiccup is caught up: the packets after it keep their
		// slots on the original grid.
		{"short stall catches up", 100 * time.Millisecond, 0},
		// A long one restarts the grid instead of bursting 50 packets.
		{"long stall resyncs", time.Second, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock(time.Microsecond)
			clk.stallAfter, clk.stall = 10, tt.stall
			p := newPacer(clk, frameTime, maxLag)
			start := clk.Now()
			var times []time.Time
			for range 100 {
				p.wait(nil)
				times = append(times, clk.Now())
			}
			if p.resyncs != tt.wantResyncs {
				t.Fatalf("got %d resyncs, want %d", p.resyncs, tt.wantResyncs)
			}
			burst := 0
			for i := 1; i < len(times); i++ {
				if times[i].Sub(times[i-1]) < frameTime/2 {
					burst++
				}
			}
			lastDue := start.Add(99 * frameTime)
			if tt.wantResyncs == 0 {
				// Caught up: back on the original grid.
				if got := times[99].Sub(lastDue); got < 0 || got > time.Millisecond {
					t.Errorf("last packet %v off its slot, want on the grid", got)
				}
				if burst == 0 {
					t.Error("got no catch-up packets, want a few")
				}
				return
			}
			if burst != 0 {
				t.Errorf("got %d packets sent in a burst, want 0", burst)
			}
			if got := times[99].Sub(lastDue); got < tt.stall-frameTime {
				t.Errorf("last packet %v after the old grid, want the stall (%v) absorbed", got, tt.stall)
			}
		})
	}
}

func TestPacerStops(t *testing.T) {
	stop := make(chan struct{})
	close(stop)
	p := newPacer(&systemClock{}, frameTime, maxLag)
	p.wait(stop) // the first slot is due at once; either answer is fine
	if p.wait(stop) {
		t.Error("wait after stop: got true, want false")
	}
}
