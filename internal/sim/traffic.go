package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/contactd/contactd/queue"
)

const day = 24 * time.Hour

// Random streams: each has its own generator so that changing how one is
// used (ring delays depend on routing) leaves the others untouched, and
// every strategy sees exactly the same callers (common random numbers).
const (
	streamArrivals = 1 << 20 // + queue index
	streamCallers  = 2 << 20 // + queue index
	streamRing     = 3 << 20
)

func newRand(seed uint64, stream int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(stream)))
}

// draw samples d. None returns -1: no limit.
func (d Dist) draw(r *rand.Rand) time.Duration {
	mean := d.Mean.Seconds()
	var s float64
	switch d.Kind {
	case None:
		return -1
	case Constant:
		return d.Mean
	case Exponential:
		s = r.ExpFloat64() * mean
	case Lognormal:
		// Parameters of the underlying normal that give this mean and SD.
		sd := d.SD.Seconds()
		sigma2 := math.Log1p(sd * sd / (mean * mean))
		mu := math.Log(mean) - sigma2/2
		s = math.Exp(mu + math.Sqrt(sigma2)*r.NormFloat64())
	}
	return seconds(s)
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

func (u Uniform) draw(r *rand.Rand) time.Duration {
	if u.Max <= u.Min {
		return u.Min
	}
	return u.Min + time.Duration(r.Int64N(int64(u.Max-u.Min)+1))
}

// rateAt is the arrival rate (per second) at t and when it next changes.
func (q *Queue) rateAt(t time.Duration) (float64, time.Duration) {
	midnight := t - t%day
	tod := t - midnight
	for _, r := range q.Arrivals { // sorted by From, not overlapping
		if tod < r.From {
			return 0, midnight + r.From
		}
		if tod < r.To {
			return r.PerHour / 3600, midnight + r.To
		}
	}
	return 0, midnight + day
}

// caller is one generated call: when it arrives and what it will do.
type caller struct {
	id       string
	queue    int
	at       time.Duration
	handle   time.Duration
	patience time.Duration // -1: waits for ever
}

// stream generates one queue's callers in time order: a Poisson process
// whose rate is piecewise constant, by spending a unit-rate exponential
// against the integrated rate and carrying what is left over into the
// next piece at a change.
type stream struct {
	q         *Queue
	qi        int
	arr, attr *rand.Rand
	t, end    time.Duration
}

func newStream(sc *Scenario, qi int) *stream {
	return &stream{
		q: &sc.Queues[qi], qi: qi, end: sc.Duration,
		arr: newRand(sc.Seed, streamArrivals+qi), attr: newRand(sc.Seed, streamCallers+qi),
	}
}

// next is the next caller, or false once arrivals end.
func (s *stream) next() (caller, bool) {
	need := s.arr.ExpFloat64()
	for s.t < s.end {
		rate, until := s.q.rateAt(s.t)
		until = min(until, s.end)
		span := (until - s.t).Seconds()
		if rate > 0 && rate*span >= need {
			s.t += seconds(need / rate)
			if s.t >= s.end {
				break
			}
			return caller{
				queue: s.qi, at: s.t,
				handle:   max(s.q.Handle.draw(s.attr), time.Millisecond),
				patience: s.q.Patience.draw(s.attr),
			}, true
		}
		need -= rate * span
		s.t = until
	}
	return caller{}, false
}

func callID(i int) string { return fmt.Sprintf("c%07d", i) }

// contains reports whether time of day tod falls in s.
func (s Span) contains(tod time.Duration) bool {
	if s.From < s.To {
		return s.From <= tod && tod < s.To
	}
	return tod >= s.From || tod < s.To // runs past midnight
}

// stateAt is what the group's schedule says its agents should be at t.
func (g *AgentGroup) stateAt(t time.Duration) queue.AgentState {
	tod := t % day
	on := len(g.Shifts) == 0
	for _, s := range g.Shifts {
		on = on || s.contains(tod)
	}
	if !on {
		return queue.LoggedOut
	}
	for _, s := range g.Breaks {
		if s.contains(tod) {
			return queue.Paused
		}
	}
	return queue.Ready
}

// changes lists the times in [0, until] at which the group's schedule may
// change, starting with 0.
func (g *AgentGroup) changes(until time.Duration) []time.Duration {
	var offs []time.Duration
	for _, s := range slices.Concat(g.Shifts, g.Breaks) {
		offs = append(offs, s.From%day, s.To%day)
	}
	slices.Sort(offs)
	offs = slices.Compact(offs)
	out := []time.Duration{0}
	for d := time.Duration(0); d <= until; d += day {
		for _, o := range offs {
			if t := d + o; t > 0 && t <= until {
				out = append(out, t)
			}
		}
	}
	return out
}
