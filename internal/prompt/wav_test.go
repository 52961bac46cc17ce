package prompt

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/iotest"
	"time"
)

// wantTone is what testdata/tone.wav holds (see testdata/mkfixtures.go):
// 0.25 s of 440 Hz at amplitude 10000.
func wantTone() []int16 {
	s := make([]int16, 2000)
	for i := range s {
		s[i] = int16(math.Round(10000 * math.Sin(2*math.Pi*440*float64(i)/8000)))
	}
	return s
}

func decodeFixture(t *testing.T, name string) (*Audio, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return DecodeWAV(bytes.NewReader(b))
}

func TestDecodeWAVAccepts(t *testing.T) {
	want := wantTone()
	tests := []struct {
		file string
		// G.711 is lossy: each sample is within half a quantisation step of
		// the original, and the step is 512 at this level.
		tolerance int
	}{
		{"tone.wav", 0},
		{"tone-extensible.wav", 0},
		{"tone-list.wav", 0},
		{"tone-streamed.wav", 0},
		{"tone-streamed0.wav", 0},
		{"tone-ulaw.wav", 256},
		{"tone-alaw.wav", 256},
		{"ulaw-extensible.wav", 256},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := decodeFixture(t, tt.file)
			if err != nil {
				t.Fatalf("DecodeWAV: %v", err)
			}
			if got, want := len(a.Samples), len(want); got != want {
				t.Fatalf("got %v samples, want %v", got, want)
			}
			if got, want := a.Duration(), 250*time.Millisecond; got != want {
				t.Errorf("got duration %v, want %v", got, want)
			}
			for i, got := range a.Samples {
				if d := int(got) - int(want[i]); d > tt.tolerance || d < -tt.tolerance {
					t.Fatalf("sample %d: got %v, want %v ± %v", i, got, want[i], tt.tolerance)
				}
			}
		})
	}
}

func TestDecodeWAVRejects(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"stereo-44k.wav", "44100 Hz stereo 16-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"stereo-8k.wav", "8000 Hz stereo 16-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"mono-16k.wav", "16000 Hz mono 16-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"pcm8.wav", "8000 Hz mono 8-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"float.wav", "8000 Hz mono 32-bit float: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"truncated-header.wav", "truncated WAV header: file ends at byte 30"},
		{"truncated-data.wav", "truncated WAV data: header says 4000 bytes, file has 1000"},
		{"not-riff.wav", `not a WAV file: starts with "ID3\x04", need a RIFF/WAVE header`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := decodeFixture(t, tt.file)
			if err == nil {
				t.Fatalf("got %d samples, want error %q", len(a.Samples), tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got error %q, want %q", got, tt.want)
			}
		})
	}
}

// Malformed headers that are easier to state as bytes than to keep as files.
func TestDecodeWAVRejectsMalformed(t *testing.T) {
	tone, err := os.ReadFile("testdata/tone.wav")
	if err != nil {
		t.Fatal(err)
	}
	patch := func(off int, b ...byte) []byte {
		c := bytes.Clone(tone)
		copy(c[off:], b)
		return c
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "not a WAV file: it is empty"},
		{"short text", []byte("hello"), `not a WAV file: starts with "hell", need a RIFF/WAVE header`},
		{"AVI", patch(8, 'A', 'V', 'I', ' '), `not a WAV file: RIFF type is "AVI ", need WAVE`},
		{"header only", tone[:12], "WAV file has no data chunk"},
		{"data before fmt", patch(12, 'd', 'a', 't', 'a'), "invalid WAV file: data chunk comes before the fmt chunk"},
		{"tiny fmt", patch(16, 8), "invalid WAV file: fmt chunk is 8 bytes, need at least 16"},
		{"zero rate", patch(24, 0, 0, 0, 0), "invalid WAV file: fmt chunk gives a sample rate of 0 Hz"},
		{"zero channels", patch(22, 0, 0), "invalid WAV file: fmt chunk gives 0 channels"},
		{"MP3 in WAV", patch(20, 0x55, 0), "8000 Hz mono format tag 0x0055: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeWAV(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got error %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEncodeWAVRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		samples []int16
	}{
		{"tone", wantTone()},
		{"extremes", []int16{0, 1, -1, 32767, -32768}},
		{"empty", []int16{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := EncodeWAV(&buf, &Audio{Samples: tt.samples}); err != nil {
				t.Fatalf("EncodeWAV: %v", err)
			}
			if got, want := buf.Len(), 44+2*len(tt.samples); got != want {
				t.Errorf("got %v bytes, want %v", got, want)
			}
			a, err := DecodeWAV(&buf)
			if err != nil {
				t.Fatalf("DecodeWAV: %v", err)
			}
			if got, want := a.Samples, tt.samples; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// EncodeWAV's output must be byte-identical to a canonical 8 kHz file
// written independently (tone.wav), so other tools read it the same way.
func TestEncodeWAVMatchesCanonical(t *testing.T) {
	want, err := os.ReadFile("testdata/tone.wav")
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := EncodeWAV(&got, &Audio{Samples: wantTone()}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("got header %x, want %x", got.Bytes()[:44], want[:44])
	}
}

func TestEncodeWAVWriteError(t *testing.T) {
	err := EncodeWAV(failWriter{}, &Audio{Samples: []int16{1}})
	if got, want := err, errDisk; !errors.Is(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

var errDisk = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDisk }

func TestDecodeWAVReadError(t *testing.T) {
	_, err := DecodeWAV(iotest.ErrReader(errDisk))
	if got, want := err, errDisk; !errors.Is(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, want := err.Error(), "reading WAV header: disk full"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
