package prompt

import (
	"math"
	"testing"
)

func sine(rate, n int, freq, amp float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))
	}
	return x
}

// rms skips the first and last 10% so the filter's start-up does not count.
func rms(x []float64) float64 {
	x = x[len(x)/10 : len(x)-len(x)/10]
	var sum float64
	for _, v := range x {
		sum += v * v
	}
	return math.Sqrt(sum / float64(len(x)))
}

// What a caller hears after espeak-ng's 22050 Hz output is brought to 8 kHz:
// speech frequencies pass at full level, and anything above 4 kHz is removed
// instead of folding back into the band as an audible alias.
func TestResampleFrequencyResponse(t *testing.T) {
	tests := []struct {
		freq         float64
		minDB, maxDB float64
	}{
		{freq: 300, minDB: -0.1, maxDB: 0.1},
		{freq: 1000, minDB: -0.1, maxDB: 0.1},
		{freq: 3400, minDB: -0.1, maxDB: 0.1},
		{freq: 4500, minDB: -200, maxDB: -60},
		{freq: 6000, minDB: -200, maxDB: -60},
		{freq: 10000, minDB: -200, maxDB: -60},
	}
	for _, tt := range tests {
		in := sine(22050, 22050, tt.freq, 10000)
		out := newResampler(22050, 8000).run(in)
		if got, want := len(out), 8000; got != want {
			t.Fatalf("%v Hz: got %v samples, want %v", tt.freq, got, want)
		}
		gain := 20 * math.Log10(rms(out)/rms(in))
		if gain < tt.minDB || gain > tt.maxDB {
			t.Errorf("%v Hz: got gain %.1f dB, want %v to %v dB", tt.freq, gain, tt.minDB, tt.maxDB)
		}
	}
}

func TestResampleLength(t *testing.T) {
	tests := []struct {
		from, in, want int
	}{
		{22050, 22050, 8000},
		{22050, 8820, 3200},
		{22050, 1, 1},
		{22050, 0, 0},
		{16000, 100, 50},
		{8000, 123, 123},
		{44100, 44100, 8000},
	}
	for _, tt := range tests {
		got := len(resample(make([]int16, tt.in), tt.from))
		if got != tt.want {
			t.Errorf("%d samples at %d Hz: got %v, want %v", tt.in, tt.from, got, tt.want)
		}
	}
}

func TestNormalise(t *testing.T) {
	tests := []struct {
		name     string
		in       []float64
		wantPeak int16
	}{
		{"quiet speech is raised to -3 dBFS", sine(8000, 800, 440, 500), 23197},
		{"loud speech is lowered to -3 dBFS", sine(8000, 800, 440, 40000), 23197},
		{"silence stays silent", make([]float64, 800), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var peak int16
			for _, s := range normalise(tt.in) {
				peak = max(peak, s, -s)
			}
			if got, want := peak, tt.wantPeak; got != want {
				t.Errorf("got peak %v, want %v", got, want)
			}
		})
	}
}
