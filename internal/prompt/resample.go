package prompt

import "math"

// Resampling filter design. The low-pass is a Kaiser-windowed sinc centred at
// 95% of the lower Nyquist frequency with a transition band of ±5%: for
// 22050 → 8000 Hz it passes speech up to 3.6 kHz and is ~70 dB down by
// 4 kHz, so nothing above the new Nyquist folds back as aliasing.
const (
	resampleCutoff      = 0.95
	resampleTransition  = 0.10
	resampleAttenuation = 70.0 // dB
)

// resampler converts between two sample rates by rational factor up/down,
// evaluating the filter at the up distinct fractional offsets (polyphase),
// so each output sample costs one dot product.
type resampler struct {
	up, down int
	half     int     // filter taps each side of the output position
	fc       float64 // cutoff, cycles per input sample
	beta     float64 // Kaiser window shape
	phases   [][]float64
}

func newResampler(from, to int) *resampler {
	g := gcd(from, to)
	r := &resampler{up: to / g, down: from / g}
	nyquist := float64(min(from, to)) / 2
	r.fc = resampleCutoff * nyquist / float64(from)
	width := resampleTransition * nyquist / float64(from)
	// Kaiser's estimates of the length and shape that reach the attenuation.
	taps := (resampleAttenuation - 8) / (2.285 * 2 * math.Pi * width)
	r.half = int(math.Ceil(taps / 2))
	r.beta = 0.1102 * (resampleAttenuation - 8.7)
	// Built lazily: with awkward rates up is large, but a short input only
	// ever needs a few phases.
	r.phases = make([][]float64, r.up)
	return r
}

// phase returns the taps for an output that falls p/up of the way between
// two input samples, applied to inputs i-half+1 .. i+half.
func (r *resampler) phase(p int) []float64 {
	if h := r.phases[p]; h != nil {
		return h
	}
	frac := float64(p) / float64(r.up)
	h := make([]float64, 2*r.half)
	var sum float64
	for t := range h {
		tau := float64(t-r.half+1) - frac
		h[t] = 2 * r.fc * sinc(2*r.fc*tau) * kaiser(tau/float64(r.half), r.beta)
		sum += h[t]
	}
	// Unity gain at DC for every phase, so a steady level does not ripple.
	for t := range h {
		h[t] /= sum
	}
	r.phases[p] = h
	return h
}

func (r *resampler) run(in []float64) []float64 {
	n := (len(in)*r.up + r.down - 1) / r.down
	out := make([]float64, n)
	for j := range out {
		pos := j * r.down
		i, p := pos/r.up, pos%r.up
		h := r.phase(p)
		first := i - r.half + 1
		lo, hi := max(0, -first), min(len(h), len(in)-first)
		var acc float64
		for t := lo; t < hi; t++ {
			acc += in[first+t] * h[t]
		}
		out[j] = acc
	}
	return out
}

// resample converts samples at rate from to Rate and scales them so the
// peak sits at targetPeak; silence stays silence.
func resample(in []int16, from int) []int16 {
	x := make([]float64, len(in))
	for i, s := range in {
		x[i] = float64(s)
	}
	if from != Rate {
		x = newResampler(from, Rate).run(x)
	}
	return normalise(x)
}

// targetPeak is -3 dBFS: loud enough for a phone line, with headroom for the
// codec and any gain applied further along.
var targetPeak = 32767 * math.Pow(10, -3.0/20)

func normalise(x []float64) []int16 {
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(v))
	}
	gain := 1.0
	if peak > 0 {
		gain = targetPeak / peak
	}
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v*gain))))
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// kaiser is the Kaiser window at u in [-1, 1].
func kaiser(u, beta float64) float64 {
	if u <= -1 || u >= 1 {
		return 0
	}
	return besselI0(beta*math.Sqrt(1-u*u)) / besselI0(beta)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind,
// by its power series (converges quickly for the small β used here).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-12*sum; k++ {
		f := x / (2 * float64(k))
		term *= f * f
		sum += term
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
