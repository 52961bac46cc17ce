package sim

import (
	"fmt"
	"math"
)

// Queueing theory for checking the simulator: Erlang B and C for M/M/N,
// and Erlang A for M/M/N+M (exponential patience). Rates are per second.

// ErlangB is the blocking probability of N servers offered a erlangs,
// by the recurrence B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)), which
// never overflows.
func ErlangB(n int, a float64) float64 {
	b := 1.0
	for k := 1; k <= n; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangC describes an M/M/N queue with arrival rate lambda and service
// rate mu per agent: the probability that a caller waits and the mean
// wait over all callers. It needs lambda < n·mu.
func ErlangC(n int, lambda, mu float64) (pWait, meanWait float64, err error) {
	a := lambda / mu
	if n < 1 || lambda <= 0 || mu <= 0 || a >= float64(n) {
		return 0, 0, fmt.Errorf("erlang c: n=%d lambda=%g mu=%g: need n ≥ 1, positive rates and lambda < n·mu", n, lambda, mu)
	}
	b := ErlangB(n, a)
	c := float64(n) * b / (float64(n) - a*(1-b))
	return c, c / (float64(n)*mu - lambda), nil
}

// ErlangAResult is the steady state of M/M/N+M.
type ErlangAResult struct {
	PWait    float64 // an arriving caller finds every agent busy
	PAbandon float64 // a caller hangs up before being answered
	ASA      float64 // mean wait of the callers who are answered, seconds
	MeanWait float64 // mean wait of every caller (answered or not), seconds
}

// ErlangA solves M/M/N+M: Poisson arrivals (lambda), exponential service
// (mu per agent) and exponential patience (theta = 1/mean patience),
// first come first served. It uses the birth-death chain of the number of
// callers present: up at lambda, down at min(n,N)·mu + max(n-N,0)·theta.
// Its mass up to N is Erlang B's (so π_N = B over states 0..N); above N,
// π_{N+k} = π_N·Π_{j=1..k} lambda/(N·mu + j·theta).
//
// A caller who finds k waiting ahead moves up at N·mu + j·theta while j
// are ahead and leaves at theta, so it is answered with probability
// Π_{j=0..k} r_j/(r_j+theta), r_j = N·mu + j·theta, and, memorylessness
// making each stage's length independent of how it ends, then waited
// Σ_{j=0..k} 1/(r_j+theta) on average. Arrivals see the stationary
// distribution (PASTA).
func ErlangA(n int, lambda, mu, theta float64) (ErlangAResult, error) {
	if n < 1 || lambda <= 0 || mu <= 0 || theta < 0 {
		return ErlangAResult{}, fmt.Errorf("erlang a: n=%d lambda=%g mu=%g theta=%g: need n ≥ 1, positive rates", n, lambda, mu, theta)
	}
	if theta == 0 && lambda >= float64(n)*mu {
		return ErlangAResult{}, fmt.Errorf("erlang a: no patience limit and lambda ≥ n·mu: no steady state")
	}
	nmu := float64(n) * mu
	b := ErlangB(n, lambda/mu)
	// Walk the tail: t is π_{N+k}/π_N, served the chance a caller finding
	// k ahead is answered, stage its expected wait if so.
	var tail, tailQ, served, waited float64 // Σ t, Σ k·t, Σ t·P(ans), Σ t·P(ans)·E[W|ans]
	t, pAns, eWait := 1.0, 1.0, 0.0
	for k := 0; k < 10_000_000; k++ {
		if k > 0 {
			t *= lambda / (nmu + float64(k)*theta)
		}
		r := nmu + float64(k)*theta
		pAns *= r / (r + theta)
		eWait += 1 / (r + theta)
		tail += t
		tailQ += float64(k) * t
		served += t * pAns
		waited += t * pAns * eWait
		if t < 1e-18*tail && k > 10 {
			break
		}
	}
	// States 0..N-1 carry 1-B of the head mass; N.. carry B·tail.
	total := (1 - b) + b*tail
	res := ErlangAResult{PWait: b * tail / total}
	answeredMass := (1 - b) + b*served
	res.PAbandon = 1 - answeredMass/total
	res.ASA = b * waited / answeredMass
	res.MeanWait = b * tailQ / total / lambda // Little: E[queue]/lambda
	return res, nil
}

// ServiceLevelC is Erlang C's share of callers answered within target.
func ServiceLevelC(n int, lambda, mu, target float64) (float64, error) {
	c, _, err := ErlangC(n, lambda, mu)
	if err != nil {
		return 0, err
	}
	return 1 - c*math.Exp(-(float64(n)*mu-lambda)*target), nil
}
