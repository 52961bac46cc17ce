package sim

import "time"

// fcfs is the textbook first-come-first-served N-server queue with
// reneging, written independently of the engine: each caller in arrival
// order takes the agent that frees up first, unless its patience runs out
// before then, in which case it leaves without using anyone.
type fcfs struct{ free []time.Duration } // min-heap of when each agent is next free

func newFCFS(n int) *fcfs { return &fcfs{free: make([]time.Duration, n)} }

// serve returns the caller's wait and whether it was answered (else it
// abandoned after waiting its patience).
func (f *fcfs) serve(c caller) (time.Duration, bool) {
	start := max(c.at, f.free[0])
	if c.patience >= 0 && start-c.at > c.patience {
		return c.patience, false
	}
	f.free[0] = start + c.handle
	// Sift the new free time down.
	h, i := f.free, 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		if r := l + 1; r < len(h) && h[r] < h[l] {
			l = r
		}
		if h[i] <= h[l] {
			break
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
	return start - c.at, true
}
