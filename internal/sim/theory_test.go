package sim

import (
	"flag"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/contactd/contactd/queue"
)

var long = flag.Bool("sim.long", false, "run the theory checks with millions of calls, enough for 2% on ASA where feasible (minutes; run without -race)")

// theoryCase is one M/M/N(+M) queue: n agents at load rho (offered
// erlangs over agents), exponential handle times, exponential patience
// when patience > 0.
type theoryCase struct {
	name        string
	n           int
	rho         float64
	patience    time.Duration
	calls, long int // calls to simulate, normally and with -sim.long
}

const theoryHandle = 100 * time.Second

func (tc theoryCase) scenario(calls int) *Scenario {
	mu := 1 / theoryHandle.Seconds()
	lambda := tc.rho * float64(tc.n) * mu
	dur := seconds(float64(calls) / lambda)
	pat := Dist{Kind: None}
	if tc.patience > 0 {
		pat = Dist{Kind: Exponential, Mean: tc.patience}
	}
	return &Scenario{
		Name: tc.name, Seed: 20250106, Duration: dur, WarmUp: dur / 50,
		// Agents answer at once: the model has no ringing.
		Queues: []Queue{{
			QueueConfig: queue.QueueConfig{Name: "q", JoinEmpty: true},
			Arrivals:    []Rate{{From: 0, To: day, PerHour: lambda * 3600}},
			Handle:      Dist{Kind: Exponential, Mean: theoryHandle}, Patience: pat,
		}},
		Agents:     []AgentGroup{{Name: "a", Count: tc.n, Skills: map[string]int{"q": 1}}},
		Strategies: []Strategy{{Name: "longest-idle", Routing: queue.LongestIdle, AcrossQueues: OldestFirst}},
	}
}

// batchStats accumulates per-batch sums so the standard error of each
// estimate can be judged by batch means: waits of nearby callers are
// strongly correlated, so the spread of single waits says little.
type batchStats struct {
	start, span                           time.Duration
	answered, delayed, abandoned, offered []float64
	waitSum                               []float64
}

const nBatches = 30

func newBatchStats(sc *Scenario) *batchStats {
	b := &batchStats{start: sc.WarmUp, span: (sc.Duration - sc.WarmUp) / nBatches}
	for _, p := range []*[]float64{&b.answered, &b.delayed, &b.abandoned, &b.offered, &b.waitSum} {
		*p = make([]float64, nBatches)
	}
	return b
}

func (b *batchStats) add(c *callRec, wait time.Duration) {
	if c.at < b.start {
		return
	}
	i := min(int((c.at-b.start)/b.span), nBatches-1)
	b.offered[i]++
	switch c.outcome {
	case answered:
		b.answered[i]++
		b.waitSum[i] += wait.Seconds()
	case abandoned:
		b.abandoned[i]++
	}
	// Ringing takes no time here, so waiting at all means queueing.
	if wait > 0 || c.outcome != answered {
		b.delayed[i]++
	}
}

// estimate is a ratio over all batches and its relative standard error
// from the spread of the batch ratios.
type estimate struct{ value, relSE float64 }

func ratio(num, den []float64) estimate {
	var n, d float64
	rs := make([]float64, len(num))
	for i := range num {
		n += num[i]
		d += den[i]
		rs[i] = num[i] / den[i]
	}
	v := n / d
	var ss float64
	for _, r := range rs {
		ss += (r - v) * (r - v)
	}
	se := math.Sqrt(ss / float64(len(rs)-1) / float64(len(rs)))
	return estimate{v, se / v}
}

// check asserts got is within tolerance of want: 2%, or four standard
// errors when the run is too short for 2% to be a meaningful bound.
func check(t *testing.T, what string, got estimate, want float64) {
	t.Helper()
	tol := max(0.02, 4*got.relSE)
	rel := got.value/want - 1
	met := "2% bound tested"
	if 4*got.relSE > 0.02 {
		met = "run too short for 2%: tolerance is 4 SE"
	}
	t.Logf("%s: got %.4g, want %.4g (%+.2f%%, SE %.2f%%, tolerance %.1f%%; %s)", what, got.value, want, 100*rel, 100*got.relSE, 100*tol, met)
	if math.Abs(rel) > tol {
		t.Errorf("%s: got %.4g, want %.4g within %.1f%%", what, got.value, want, 100*tol)
	}
}

// runTheory simulates tc through the engine and, on the same callers, the
// textbook FCFS queue, and requires every call to end the same way after
// the same wait: on this model the engine must be exactly FCFS and work-
// conserving. It returns the batch statistics.
func runTheory(t *testing.T, tc theoryCase) *batchStats {
	t.Helper()
	calls := tc.calls
	if *long {
		calls = tc.long
	}
	sc := tc.scenario(calls)
	// The reference runs first on its own copy of the arrival stream.
	const maxPathwise = 2_000_000
	var ref []time.Duration // wait, negative when the caller abandoned
	if calls <= maxPathwise {
		f := newFCFS(tc.n)
		s := newStream(sc, 0)
		for c, ok := s.next(); ok; c, ok = s.next() {
			w, ans := f.serve(c)
			if !ans {
				w = -w - 1
			}
			ref = append(ref, w)
		}
	}
	r, err := newRunner(sc, sc.Strategies[0], Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.noEstimates = true
	bs := newBatchStats(sc)
	mismatches := 0
	r.observe = func(c *callRec, wait time.Duration) {
		bs.add(c, wait)
		if ref == nil {
			return
		}
		i, _ := strconv.Atoi(c.id[1:])
		got := wait
		if c.outcome != answered {
			got = -wait - 1
		}
		if i >= len(ref) || ref[i] != got {
			if mismatches++; mismatches <= 3 {
				want := time.Duration(-1)
				if i < len(ref) {
					want = ref[i]
				}
				t.Errorf("call %s (outcome %d): engine waited %v, FCFS reference %v (negative: abandoned)", c.id, c.outcome, got, want)
			}
		}
	}
	if err := r.run(sc.Duration + DefaultDrain); err != nil {
		t.Fatal(err)
	}
	if len(r.live) > 0 {
		t.Fatalf("%d calls unfinished", len(r.live))
	}
	if ref != nil && r.ncalls != len(ref) {
		t.Errorf("engine saw %d calls, reference %d", r.ncalls, len(ref))
	}
	if mismatches > 0 {
		t.Errorf("%d of %d calls differ from the FCFS reference", mismatches, r.ncalls)
	}
	t.Logf("%d calls, %d engine events", r.ncalls, r.nev)
	// The report must say what the batches say.
	res := r.result().Total
	for _, c := range []struct {
		what      string
		got, want float64
	}{
		{"offered", float64(res.Offered), sum(bs.offered)},
		{"answered", float64(res.Answered), sum(bs.answered)},
		{"abandoned %", res.AbandonedPct, 100 * sum(bs.abandoned) / sum(bs.offered)},
		{"delayed %", res.DelayedPct, 100 * sum(bs.delayed) / sum(bs.offered)},
		{"ASA", res.ASAS, sum(bs.waitSum) / sum(bs.answered)},
	} {
		if math.Abs(c.got-c.want) > 1e-6*math.Max(1, math.Abs(c.want)) {
			t.Errorf("report %s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	return bs
}

// TestErlangC checks one queue, one skill, exponential handle times,
// Poisson arrivals and no abandonment against Erlang C, which is the best
// any work-conserving policy can do there.
func TestSimulatedErlangC(t *testing.T) {
	tests := []theoryCase{
		{name: "rho0.70", n: 10, rho: 0.70, calls: 15_000, long: 16_000_000},
		{name: "rho0.85", n: 10, rho: 0.85, calls: 15_000, long: 25_000_000},
		{name: "rho0.95", n: 20, rho: 0.95, calls: 15_000, long: 5_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs := runTheory(t, tc)
			mu := 1 / theoryHandle.Seconds()
			pWait, asa, err := ErlangC(tc.n, tc.rho*float64(tc.n)*mu, mu)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "P(wait>0)", ratio(bs.delayed, bs.offered), pWait)
			check(t, "ASA", ratio(bs.waitSum, bs.answered), asa)
		})
	}
}

// TestErlangA checks the same queue with exponential patience against
// Erlang A (M/M/N+M). The simulator's callers hang up exactly when their
// patience runs out, measured from arrival, and ringing takes no time, so
// the model holds exactly; the tolerance is the same rule as for Erlang C.
func TestSimulatedErlangA(t *testing.T) {
	tests := []theoryCase{
		{name: "rho0.95", n: 10, rho: 0.95, patience: 2 * theoryHandle, calls: 15_000, long: 3_000_000},
		{name: "rho1.10", n: 10, rho: 1.10, patience: 2 * theoryHandle, calls: 15_000, long: 2_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bs := runTheory(t, tc)
			mu := 1 / theoryHandle.Seconds()
			want, err := ErlangA(tc.n, tc.rho*float64(tc.n)*mu, mu, 1/tc.patience.Seconds())
			if err != nil {
				t.Fatal(err)
			}
			check(t, "P(wait>0)", ratio(bs.delayed, bs.offered), want.PWait)
			check(t, "P(abandon)", ratio(bs.abandoned, bs.offered), want.PAbandon)
			check(t, "ASA", ratio(bs.waitSum, bs.answered), want.ASA)
		})
	}
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}
