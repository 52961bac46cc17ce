package prompt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBinary writes an executable shell script standing in for espeak-ng.
// Each run appends its arguments, one a line, and "END" to the returned
// log, so tests can see how often and how it was called.
func fakeBinary(t *testing.T, body string) (bin, log string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake espeak-ng is a shell script")
	}
	dir := t.TempDir()
	bin = filepath.Join(dir, "espeak-ng")
	log = filepath.Join(dir, "calls.log")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" END >> '%s'\n%s\n", log, body)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

// fakeEspeak outputs testdata/espeak-22k.wav: 0.4 s of 1 kHz at 22050 Hz
// with the streamed header sizes the real espeak-ng writes.
func fakeEspeak(t *testing.T, extra string) (bin, log string) {
	t.Helper()
	fixture, err := filepath.Abs("testdata/espeak-22k.wav")
	if err != nil {
		t.Fatal(err)
	}
	return fakeBinary(t, fmt.Sprintf("%s\ncat '%s'", extra, fixture))
}

// calls returns the argument lists of each run logged by fakeBinary.
func calls(t *testing.T, log string) [][]string {
	t.Helper()
	b, err := os.ReadFile(log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var cur []string
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		if line == "END" {
			out = append(out, cur)
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return out
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func peakAndRMS(s []int16) (peak int16, rms float64) {
	var sum float64
	for _, v := range s {
		peak = max(peak, v, -v)
		sum += float64(v) * float64(v)
	}
	if len(s) > 0 {
		rms = math.Sqrt(sum / float64(len(s)))
	}
	return peak, rms
}

// zeroCrossings estimates pitch: a tone of f Hz crosses zero 2f times a second.
func zeroCrossings(s []int16) int {
	n := 0
	for i := 1; i < len(s); i++ {
		if (s[i-1] < 0) != (s[i] < 0) {
			n++
		}
	}
	return n
}

func TestSynthSpeakConvertsAndCaches(t *testing.T) {
	bin, log := fakeEspeak(t, "")
	dir := filepath.Join(t.TempDir(), "tts") // not yet created: Speak makes it
	s := NewSynth(SynthOptions{CacheDir: dir, Binary: bin, Speed: 170})
	ctx := context.Background()

	// Text starting with "-" must reach espeak-ng as text, not as options.
	text := "-s 999 hello"
	a, err := s.Speak(ctx, "en-us", text)
	if err != nil {
		t.Fatalf("Speak: %v", err)
	}
	if got, want := calls(t, log), [][]string{{"-v", "en-us", "-s", "170", "--stdout", "--", text}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got espeak-ng runs %q, want %q", got, want)
	}
	if got, want := a.Duration(), 400*time.Millisecond; got != want {
		t.Errorf("got duration %v, want %v", got, want)
	}
	peak, _ := peakAndRMS(a.Samples)
	if got, want := peak, int16(23197); got != want { // -3 dBFS
		t.Errorf("got peak %v, want %v", got, want)
	}
	if got, want := zeroCrossings(a.Samples), 800; got < want-2 || got > want+2 { // 1 kHz for 0.4 s
		t.Errorf("got %v zero crossings, want %v ± 2 (pitch changed)", got, want)
	}

	files := cacheFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("got cache files %v, want one", files)
	}
	before, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	cached, err := readCacheFile(files[0])
	if err != nil {
		t.Fatalf("cache file is not an 8 kHz prompt: %v", err)
	}
	if !slices.Equal(cached.Samples, a.Samples) {
		t.Errorf("cache file holds different audio from what Speak returned")
	}

	// Again, and from a fresh Synth as after a restart: served from disk.
	for _, s := range []*Synth{s, NewSynth(SynthOptions{CacheDir: dir, Binary: bin, Speed: 170})} {
		again, err := s.Speak(ctx, "en-us", text)
		if err != nil {
			t.Fatalf("Speak again: %v", err)
		}
		if !slices.Equal(again.Samples, a.Samples) {
			t.Errorf("cached audio differs from the first synthesis")
		}
	}
	if got, want := len(calls(t, log)), 1; got != want {
		t.Errorf("got %v espeak-ng runs, want %v", got, want)
	}
	after, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Errorf("cache file was rewritten on a cache hit")
	}

	// Another voice, speed or text is another prompt.
	if _, err := s.Speak(ctx, "en-gb", text); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSynth(SynthOptions{CacheDir: dir, Binary: bin, Speed: 120}).Speak(ctx, "en-us", text); err != nil {
		t.Fatal(err)
	}
	if got, want := len(calls(t, log)), 3; got != want {
		t.Errorf("got %v espeak-ng runs, want %v", got, want)
	}
	if got, want := len(cacheFiles(t, dir)), 3; got != want {
		t.Errorf("got %v cache files, want %v (no temp files left)", got, want)
	}
}

func TestSynthConcurrentCallsSynthesizeOnce(t *testing.T) {
	bin, log := fakeEspeak(t, "sleep 0.3")
	s := NewSynth(SynthOptions{CacheDir: t.TempDir(), Binary: bin})
	var wg sync.WaitGroup
	results := make([]*Audio, 10)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() { results[i], errs[i] = s.Speak(context.Background(), "", "Please hold") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !slices.Equal(results[i].Samples, results[0].Samples) {
			t.Errorf("call %d got different audio", i)
		}
	}
	got := calls(t, log)
	if len(got) != 1 {
		t.Fatalf("got %v espeak-ng runs, want 1", len(got))
	}
	if got, want := got[0][1], DefaultVoice; got != want {
		t.Errorf("got voice %v, want %v", got, want)
	}
}

func TestSynthSpeakErrors(t *testing.T) {
	failing, _ := fakeBinary(t, "echo 'Error: The specified espeak-ng voice does not exist.' >&2; exit 1")
	garbage, _ := fakeBinary(t, "echo 'this is not audio'")
	bogus := filepath.Join(t.TempDir(), "no-such-espeak-ng")
	tests := []struct {
		name, binary, text, want string
	}{
		{"espeak-ng fails", failing, "hello", `speak "hello" (voice xx): ` + failing +
			": exit status 1: Error: The specified espeak-ng voice does not exist."},
		{"output is not WAV", garbage, "hello", `speak "hello" (voice xx): ` + garbage +
			` output: not a WAV file: starts with "this", need a RIFF/WAVE header`},
		{"not installed", bogus, "hello", `speak "hello" (voice xx): espeak-ng is not installed (exec: "` + bogus +
			`": stat ` + bogus + `: no such file or directory); install it with: apt-get install espeak-ng`},
		{"empty text", failing, "  ", "speak: empty text"},
		{"long text abbreviated", failing, strings.Repeat("All work and no play. ", 5), `speak "All work and no play. All work and no pl…" (voice xx): ` +
			failing + ": exit status 1: Error: The specified espeak-ng voice does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := NewSynth(SynthOptions{CacheDir: dir, Binary: tt.binary}).Speak(context.Background(), "xx", tt.text)
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got error %q, want %q", got, tt.want)
			}
			if got := cacheFiles(t, dir); len(got) != 0 {
				t.Errorf("got cache files %v after a failure, want none", got)
			}
		})
	}
}

func TestSynthSpeakCancelled(t *testing.T) {
	bin, _ := fakeBinary(t, "exec sleep 10")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := NewSynth(SynthOptions{Binary: bin}).Speak(ctx, "", "hello")
	if got, want := err, context.DeadlineExceeded; !errors.Is(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("got Speak returning after %v, want it to stop espeak-ng promptly", took)
	}
}

// A cache file cut short (e.g. written by something else, or disk damage)
// is not played: the text is synthesized again and the file replaced.
func TestSynthReplacesDamagedCacheFile(t *testing.T) {
	bin, log := fakeEspeak(t, "")
	dir := t.TempDir()
	s := NewSynth(SynthOptions{CacheDir: dir, Binary: bin})
	path := filepath.Join(dir, s.cacheKey("en", "hello")+".wav")
	if err := os.WriteFile(path, []byte("RIFF\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := s.Speak(context.Background(), "en", "hello")
	if err != nil {
		t.Fatalf("Speak: %v", err)
	}
	if got, want := len(calls(t, log)), 1; got != want {
		t.Errorf("got %v espeak-ng runs, want %v", got, want)
	}
	cached, err := readCacheFile(path)
	if err != nil {
		t.Fatalf("cache file not replaced: %v", err)
	}
	if got, want := len(cached.Samples), len(a.Samples); got != want {
		t.Errorf("got %v cached samples, want %v", got, want)
	}
}

func TestSynthAvailable(t *testing.T) {
	fake, _ := fakeBinary(t, "")
	bogus := filepath.Join(t.TempDir(), "espeak-ng")
	tests := []struct {
		name, binary, want string
	}{
		{"executable path", fake, ""},
		{"missing path", bogus, `espeak-ng is not installed (exec: "` + bogus + `": stat ` + bogus +
			`: no such file or directory); install it with: apt-get install espeak-ng`},
		{"not on PATH", "espeak-ng-not-here", `espeak-ng is not installed (exec: "espeak-ng-not-here": ` +
			`executable file not found in $PATH); install it with: apt-get install espeak-ng`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := NewSynth(SynthOptions{Binary: tt.binary}).Available(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// requireEspeak skips without espeak-ng, except in CI, where it is
// installed and a skip would hide a broken install.
func requireEspeak(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("espeak-ng")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("espeak-ng must be installed in CI: %v", err)
		}
		t.Skipf("espeak-ng not installed: %v", err)
	}
	return path
}

func TestSynthEspeakNG(t *testing.T) {
	espeak := requireEspeak(t)
	bin, log := fakeBinary(t, fmt.Sprintf("exec '%s' \"$@\"", espeak))
	dir := t.TempDir()
	s := NewSynth(SynthOptions{CacheDir: dir, Binary: bin})
	ctx := context.Background()
	text := "Thank you for calling. Goodbye."

	a, err := s.Speak(ctx, "en", text)
	if err != nil {
		t.Fatalf("Speak: %v", err)
	}
	// Five words at 150 words a minute, plus a pause: about two seconds.
	if d := a.Duration(); d < time.Second || d > 4*time.Second {
		t.Errorf("got duration %v, want 1s to 4s for %q", d, text)
	}
	peak, rms := peakAndRMS(a.Samples)
	if got, want := peak, int16(23197); got != want {
		t.Errorf("got peak %v, want %v (-3 dBFS)", got, want)
	}
	if rms < 1000 {
		t.Errorf("got RMS %.0f, want above 1000 (speech, not silence)", rms)
	}

	files := cacheFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("got cache files %v, want one", files)
	}
	before, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// DecodeWAV accepts only 8 kHz mono, so this also checks the rate.
	if _, err := readCacheFile(files[0]); err != nil {
		t.Fatalf("cache file: %v", err)
	}

	again, err := s.Speak(ctx, "en", text)
	if err != nil {
		t.Fatalf("Speak again: %v", err)
	}
	if !slices.Equal(again.Samples, a.Samples) {
		t.Errorf("second Speak returned different audio")
	}
	if got, want := len(calls(t, log)), 1; got != want {
		t.Errorf("got %v espeak-ng runs, want %v (second call should hit the cache)", got, want)
	}
	after, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Errorf("cache file was rewritten on a cache hit")
	}
}
