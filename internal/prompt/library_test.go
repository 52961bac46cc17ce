package prompt

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
)

func wavBytes(t *testing.T, samples ...int16) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeWAV(&b, &Audio{Samples: samples}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// promptFS is a config directory with English prompts at the top and a
// Spanish set that translates only the greeting. Each prompt's samples
// say which file it is.
func promptFS(t *testing.T) fstest.MapFS {
	return fstest.MapFS{
		"welcome.wav":    {Data: wavBytes(t, 1, 1, 1)},
		"hours.wav":      {Data: wavBytes(t, 2, 2, 2)},
		"es/welcome.wav": {Data: wavBytes(t, 3, 3, 3)},
		"stereo.wav":     {Data: fixture(t, "stereo-44k.wav")},
		"empty.wav":      {Data: wavBytes(t)},
		"sub/dir.wav":    {Mode: fs.ModeDir},
	}
}

// countingFS counts file accesses: opens (to decode) and stats (to
// resolve a language fallback).
type countingFS struct {
	fs.FS
	mu    sync.Mutex
	opens map[string]int
	stats int
}

func (c *countingFS) Stat(name string) (fs.FileInfo, error) {
	c.mu.Lock()
	c.stats++
	c.mu.Unlock()
	return fs.Stat(c.FS, name)
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.Open(name)
}

func (c *countingFS) count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens[name]
}

func TestLibraryLoadLanguageFallback(t *testing.T) {
	lib := NewLibrary(LibraryOptions{FS: promptFS(t)})
	tests := []struct {
		name string
		ref  Ref
		want []int16
	}{
		{"translated prompt", Ref{File: "welcome.wav", Dir: "es"}, []int16{3, 3, 3}},
		{"untranslated falls back", Ref{File: "hours.wav", Dir: "es"}, []int16{2, 2, 2}},
		{"language with no directory", Ref{File: "welcome.wav", Dir: "fr"}, []int16{1, 1, 1}},
		{"no language", Ref{File: "welcome.wav"}, []int16{1, 1, 1}},
		{"path into a directory", Ref{File: "es/welcome.wav"}, []int16{3, 3, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := lib.Load(context.Background(), tt.ref)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := a.Samples, tt.want; !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestLibraryLoadDecodesOnce(t *testing.T) {
	fsys := &countingFS{FS: promptFS(t), opens: map[string]int{}}
	lib := NewLibrary(LibraryOptions{FS: fsys})
	ref := Ref{File: "hours.wav", Dir: "es"}
	var wg sync.WaitGroup
	results := make([]*Audio, 20)
	for i := range results {
		wg.Go(func() {
			a, err := lib.Load(context.Background(), ref)
			if err != nil {
				t.Errorf("Load: %v", err)
			}
			results[i] = a
		})
	}
	wg.Wait()
	if got, want := fsys.count("hours.wav"), 1; got != want {
		t.Errorf("got hours.wav opened %v times, want %v", got, want)
	}
	for i, a := range results {
		if a != results[0] {
			t.Errorf("call %d got a separate copy of the audio, want the cached one", i)
		}
	}

	// Once cached, playing the prompt does not touch the disk at all.
	fsys.mu.Lock()
	stats := fsys.stats
	fsys.mu.Unlock()
	for range 5 {
		if _, err := lib.Load(context.Background(), ref); err != nil {
			t.Fatal(err)
		}
	}
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	if got, want := fsys.stats, stats; got != want {
		t.Errorf("got %v file lookups after caching, want %v", got, want)
	}
	if got, want := fsys.opens["hours.wav"], 1; got != want {
		t.Errorf("got hours.wav opened %v times, want %v", got, want)
	}
}

func TestLibraryLoadText(t *testing.T) {
	bin, log := fakeEspeak(t, "")
	lib := NewLibrary(LibraryOptions{Synth: NewSynth(SynthOptions{Binary: bin})})
	for range 3 {
		a, err := lib.Load(context.Background(), Ref{Text: "Please hold"})
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		if got, want := len(a.Samples), 3200; got != want {
			t.Errorf("got %v samples, want %v", got, want)
		}
	}
	// No disk cache configured: only the memory cache prevents re-running.
	got := calls(t, log)
	if len(got) != 1 {
		t.Fatalf("got %v espeak-ng runs, want 1", len(got))
	}
	if got, want := got[0][1], DefaultVoice; got != want {
		t.Errorf("got voice %v, want %v", got, want)
	}
}

func TestLibraryLoadErrors(t *testing.T) {
	failing, _ := fakeBinary(t, "echo 'Error: The specified espeak-ng voice does not exist.' >&2; exit 1")
	tests := []struct {
		name string
		opts LibraryOptions
		ref  Ref
		want string
	}{
		{"missing file", LibraryOptions{FS: promptFS(t)}, Ref{File: "nope.wav", Dir: "es"},
			"prompt nope.wav: file not found (looked for es/nope.wav, nope.wav)"},
		{"wrong format", LibraryOptions{FS: promptFS(t)}, Ref{File: "stereo.wav"},
			"prompt stereo.wav: 44100 Hz stereo 16-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"wrong format in language dir", LibraryOptions{FS: fstest.MapFS{"es/x.wav": {Data: fixture(t, "pcm8.wav")}}}, Ref{File: "x.wav", Dir: "es"},
			"prompt es/x.wav: 8000 Hz mono 8-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"directory", LibraryOptions{FS: promptFS(t)}, Ref{File: "sub/dir.wav"},
			"prompt sub/dir.wav: is a directory, need a WAV file"},
		{"outside the config directory", LibraryOptions{FS: promptFS(t)}, Ref{File: "../welcome.wav"},
			`prompt ../welcome.wav: invalid path: need a relative, slash-separated path without ".."`},
		{"absolute path", LibraryOptions{FS: promptFS(t)}, Ref{File: "/etc/welcome.wav"},
			`prompt /etc/welcome.wav: invalid path: need a relative, slash-separated path without ".."`},
		{"no FS", LibraryOptions{}, Ref{File: "welcome.wav"},
			"prompt welcome.wav: no prompt directory configured"},
		{"neither file nor text", LibraryOptions{FS: promptFS(t)}, Ref{Voice: "en"},
			"prompt: neither a file nor text given"},
		{"both file and text", LibraryOptions{FS: promptFS(t)}, Ref{File: "welcome.wav", Text: "Welcome"},
			`prompt welcome.wav: both a file and text "Welcome" given; use one`},
		{"text without synth", LibraryOptions{}, Ref{Text: "Welcome"},
			`prompt "Welcome": text-to-speech is not configured`},
		{"synthesis fails", LibraryOptions{Synth: NewSynth(SynthOptions{Binary: failing})}, Ref{Text: "Welcome", Voice: "xx"},
			`prompt: speak "Welcome" (voice xx): ` + failing + ": exit status 1: Error: The specified espeak-ng voice does not exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := NewLibrary(tt.opts).Load(context.Background(), tt.ref)
			if err == nil {
				t.Fatalf("got %d samples, want error %q", len(a.Samples), tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got error %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLibraryCheck(t *testing.T) {
	fake, _ := fakeBinary(t, "")
	bogus := filepath.Join(t.TempDir(), "espeak-ng")
	fsys := promptFS(t)
	tests := []struct {
		name  string
		synth *Synth
		ref   Ref
		want  string // "" for no error
	}{
		{"good file", nil, Ref{File: "welcome.wav"}, ""},
		{"good file via fallback", nil, Ref{File: "hours.wav", Dir: "es"}, ""},
		{"missing file", nil, Ref{File: "nope.wav"}, "prompt nope.wav: file not found (looked for nope.wav)"},
		{"wrong format", nil, Ref{File: "stereo.wav"},
			"prompt stereo.wav: 44100 Hz stereo 16-bit PCM: need 8000 Hz mono 16-bit PCM, µ-law or A-law"},
		{"no audio", nil, Ref{File: "empty.wav"}, "prompt empty.wav: contains no audio"},
		{"text, espeak-ng installed", NewSynth(SynthOptions{Binary: fake}), Ref{Text: "Welcome"}, ""},
		{"text, espeak-ng missing", NewSynth(SynthOptions{Binary: bogus}), Ref{Text: "Welcome"},
			`prompt "Welcome": espeak-ng is not installed (exec: "` + bogus + `": stat ` + bogus +
				`: no such file or directory); install it with: apt-get install espeak-ng`},
		{"text, no synth", nil, Ref{Text: "Welcome"}, `prompt "Welcome": text-to-speech is not configured`},
		{"neither", nil, Ref{}, "prompt: neither a file nor text given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := NewLibrary(LibraryOptions{FS: fsys, Synth: tt.synth}).Check(tt.ref); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// Prompts are looked up in a real config directory the same way.
func TestLibraryDirFS(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "es"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "es", "welcome.wav"), fixture(t, "tone-alaw.wav"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := NewLibrary(LibraryOptions{FS: os.DirFS(dir)})
	a, err := lib.Load(context.Background(), Ref{File: "welcome.wav", Dir: "es"})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := len(a.Samples), 2000; got != want {
		t.Errorf("got %v samples, want %v", got, want)
	}
}
