package sim

import (
	"math"
	"testing"
)

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestErlangBFormula(t *testing.T) {
	tests := []struct {
		n    int
		a    float64
		want float64
	}{
		{1, 1, 0.5},         // a/(1+a)
		{2, 1, 0.2},         // (a²/2)/(1+a+a²/2)
		{10, 5, 0.018385},   // textbook table
		{100, 80, 0.003992}, // large N stays finite (exact sums give 0.0039920286)
		{0, 3, 1},
	}
	for _, tt := range tests {
		if got := ErlangB(tt.n, tt.a); !near(got, tt.want, 5e-6) {
			t.Errorf("ErlangB(%d, %g): got %v, want %v", tt.n, tt.a, got, tt.want)
		}
	}
}

func TestErlangCFormula(t *testing.T) {
	tests := []struct {
		n            int
		lambda, mu   float64
		wantP, wantW float64
	}{
		{1, 0.5, 1, 0.5, 1},            // M/M/1: P = ρ, W = ρ/(μ-λ)
		{2, 1, 1, 1.0 / 3, 1.0 / 3},    // M/M/2 at ρ=½: P = 2ρ²/(1+ρ), W = P/(2μ-λ)
		{10, 8, 1, 0.409180, 0.204590}, // exact sums: 0.4091801508
	}
	for _, tt := range tests {
		p, w, err := ErlangC(tt.n, tt.lambda, tt.mu)
		if err != nil {
			t.Fatal(err)
		}
		if !near(p, tt.wantP, 1e-6) || !near(w, tt.wantW, 1e-6) {
			t.Errorf("ErlangC(%d, %g, %g): got %v, %v, want %v, %v", tt.n, tt.lambda, tt.mu, p, w, tt.wantP, tt.wantW)
		}
	}
	if _, _, err := ErlangC(5, 5, 1); err == nil {
		t.Errorf("ErlangC at ρ=1: got no error, want one")
	}
}

func TestErlangAFormula(t *testing.T) {
	// Without patience limits Erlang A is Erlang C (nearly: theta tiny).
	pc, wc, _ := ErlangC(10, 8, 1)
	a, err := ErlangA(10, 8, 1, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	if !near(a.PWait, pc, 1e-6) || !near(a.ASA, wc, 1e-6) || !near(a.MeanWait, wc, 1e-6) || a.PAbandon > 1e-6 {
		t.Errorf("ErlangA with theta→0: got %+v, want PWait %v, ASA %v and no abandonment", a, pc, wc)
	}
	// One agent whose callers leave at the service rate behaves like
	// M/M/∞: the number present is Poisson(a), so P(wait) = 1 - e^-a.
	a, _ = ErlangA(1, 2, 1, 1)
	if want := 1 - math.Exp(-2); !near(a.PWait, want, 1e-9) {
		t.Errorf("ErlangA(1, 2, 1, 1).PWait: got %v, want %v", a.PWait, want)
	}
	// Abandonment two ways: the callers who leave, and theta·E[queue]/lambda.
	for _, tt := range []struct {
		n                 int
		lambda, mu, theta float64
	}{{10, 9.5, 1, 0.5}, {10, 11, 1, 0.5}, {50, 50, 1, 2}, {3, 1, 1, 0.1}} {
		a, err := ErlangA(tt.n, tt.lambda, tt.mu, tt.theta)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := a.PAbandon, tt.theta*a.MeanWait; !near(got, want, 1e-9) {
			t.Errorf("ErlangA%+v: P(abandon) got %v, want theta·E[W] = %v", tt, got, want)
		}
		if a.ASA <= 0 || a.ASA > a.MeanWait/(1-a.PAbandon)+1e-12 {
			// Answered callers wait less on average than those who leave.
			t.Errorf("ErlangA%+v: ASA %v not in (0, E[W]/(1-P(ab))]", tt, a.ASA)
		}
	}
}
