package media

import "time"

// clock is the time source of the sender, abstracted so a test can prove
// pacing does not drift with a clock that oversleeps at random.
type clock interface {
	Now() time.Time
	// WaitUntil blocks until deadline has passed (at once if it already
	// has) and reports true, or reports false as soon as stop is closed.
	WaitUntil(deadline time.Time, stop <-chan struct{}) bool
}

// systemClock waits on one reused timer so the send loop does not
// allocate. It serves one goroutine.
type systemClock struct {
	timer *time.Timer
}

func (c *systemClock) Now() time.Time { return time.Now() }

func (c *systemClock) WaitUntil(deadline time.Time, stop <-chan struct{}) bool {
	d := time.Until(deadline)
	if d <= 0 {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	if c.timer == nil {
		c.timer = time.NewTimer(d)
	} else {
		c.timer.Reset(d)
	}
	select {
	case <-c.timer.C:
		return true
	case <-stop:
		c.timer.Stop()
		return false
	}
}

// pacer releases a caller every interval on a fixed grid: the n-th release
// is due at start + n×interval, so a late wake-up delays one packet but
// never the ones after it. If the process stalled for longer than maxLag
// the grid restarts at now rather than bursting out the backlog, which a
// jitter buffer would only throw away.
type pacer struct {
	clk      clock
	interval time.Duration
	maxLag   time.Duration
	start    time.Time
	n        int64
	last     time.Time // the previous release
	resyncs  uint64
}

func newPacer(clk clock, interval, maxLag time.Duration) *pacer {
	return &pacer{clk: clk, interval: interval, maxLag: maxLag, start: clk.Now()}
}

// wait blocks until the next slot and reports false once stop is closed.
func (p *pacer) wait(stop <-chan struct{}) bool {
	deadline := p.start.Add(time.Duration(p.n) * p.interval)
	if now := p.clk.Now(); now.Sub(deadline) > p.maxLag {
		// Keep one interval after the previous packet, which may itself
		// have gone out late, at the end of the stall.
		p.start = now
		if next := p.last.Add(p.interval); next.After(now) {
			p.start = next
		}
		p.n, deadline = 0, p.start
		p.resyncs++
	}
	if !p.clk.WaitUntil(deadline, stop) {
		return false
	}
	p.last = p.clk.Now()
	p.n++
	return true
}
