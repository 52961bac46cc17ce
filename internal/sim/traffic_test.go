package sim

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd/queue"
)

// The theory checks rest on the inputs being what they claim: Poisson
// arrivals at the configured rates and handle times with the configured
// mean and spread.
func TestArrivalsArePoissonByTimeOfDay(t *testing.T) {
	h := time.Hour
	sc := &Scenario{Seed: 7, Duration: 20 * day, Queues: []Queue{{
		QueueConfig: queue.QueueConfig{Name: "q"},
		Arrivals: []Rate{
			{From: 0, To: 8 * h, PerHour: 30},
			{From: 8 * h, To: 12 * h, PerHour: 600},
			{From: 14 * h, To: 24 * h, PerHour: 120},
		},
		Handle: Dist{Kind: Constant, Mean: time.Minute}, Patience: Dist{Kind: None},
	}}}
	counts := map[time.Duration]float64{}
	gaps := map[time.Duration][]float64{}
	last := map[time.Duration]time.Duration{}
	s := newStream(sc, 0)
	for c, ok := s.next(); ok; c, ok = s.next() {
		tod := c.at % day
		from := time.Duration(-1)
		for _, r := range sc.Queues[0].Arrivals {
			if tod >= r.From && tod < r.To {
				from = r.From
			}
		}
		if from < 0 {
			t.Fatalf("arrival at %v, outside every rate", tod)
		}
		counts[from]++
		// Gaps within a busy hour only, so segment edges do not count.
		if p, ok := last[from]; ok && c.at-p < h && c.at/day == p/day {
			gaps[from] = append(gaps[from], (c.at - p).Seconds())
		}
		last[from] = c.at
	}
	for _, r := range sc.Queues[0].Arrivals {
		want := r.PerHour * (r.To - r.From).Hours() * 20
		got := counts[r.From]
		if math.Abs(got-want) > 4*math.Sqrt(want) {
			t.Errorf("arrivals from %v: got %v, want %v ± %.0f", r.From, got, want, 4*math.Sqrt(want))
		}
		if r.PerHour < 100 {
			continue // too few gaps for a sharp check
		}
		m, sd := meanSD(gaps[r.From])
		if want := 3600 / r.PerHour; math.Abs(m/want-1) > 0.03 || math.Abs(sd/m-1) > 0.03 {
			t.Errorf("gaps from %v: got mean %.2fs CV %.3f, want %.2fs and CV 1 (exponential)", r.From, m, sd/m, want)
		}
	}
	if counts[12*h] != 0 {
		t.Errorf("arrivals between 12:00 and 14:00: got %v, want 0", counts[12*h])
	}
}

func TestDistributions(t *testing.T) {
	tests := []struct {
		d        Dist
		mean, sd float64
	}{
		{Dist{Kind: Exponential, Mean: 4 * time.Minute}, 240, 240},
		{Dist{Kind: Lognormal, Mean: 4 * time.Minute, SD: 2 * time.Minute}, 240, 120},
		{Dist{Kind: Lognormal, Mean: 30 * time.Second, SD: 90 * time.Second}, 30, 90},
		{Dist{Kind: Constant, Mean: time.Minute}, 60, 0},
	}
	for _, tt := range tests {
		r := newRand(1, 99)
		xs := make([]float64, 400_000)
		for i := range xs {
			xs[i] = tt.d.draw(r).Seconds()
		}
		m, sd := meanSD(xs)
		// Heavy lognormal tails make the sample SD converge slowly.
		if !near(m, tt.mean, 0.01*tt.mean) || !near(sd, tt.sd, 0.05*tt.sd) {
			t.Errorf("%+v: got mean %.2f sd %.2f, want %.2f and %.2f", tt.d, m, sd, tt.mean, tt.sd)
		}
	}
	if got := (Dist{Kind: None}).draw(newRand(1, 1)); got != -1 {
		t.Errorf("none: got %v, want -1 (no limit)", got)
	}
}

func TestSchedule(t *testing.T) {
	h := time.Hour
	g := AgentGroup{
		Shifts: []Span{{From: 8 * h, To: 16 * h}, {From: 22 * h, To: 2 * h}},
		Breaks: []Span{{From: 12 * h, To: 12*h + 30*time.Minute}},
	}
	tests := []struct {
		at   time.Duration
		want queue.AgentState
	}{
		{7 * h, queue.LoggedOut},
		{8 * h, queue.Ready},
		{12*h + 10*time.Minute, queue.Paused},
		{12*h + 30*time.Minute, queue.Ready},
		{16 * h, queue.LoggedOut},
		{23 * h, queue.Ready},
		{day + 1*h, queue.Ready}, // night shift past midnight
		{day + 3*h, queue.LoggedOut},
	}
	for _, tt := range tests {
		if got := g.stateAt(tt.at); got != tt.want {
			t.Errorf("state at %v: got %v, want %v", tt.at, got, tt.want)
		}
	}
	got := g.changes(day)
	want := []time.Duration{0, 2 * h, 8 * h, 12 * h, 12*h + 30*time.Minute, 16 * h, 22 * h}
	if !slices.Equal(got, want) {
		t.Errorf("changes: got %v, want %v", got, want)
	}
	if got := (&AgentGroup{}).stateAt(5 * h); got != queue.Ready {
		t.Errorf("no shifts: got %v, want ready all day", got)
	}
}
