package prompt

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SynthOptions configures a Synth.
type SynthOptions struct {
	// CacheDir holds synthesized prompts as 8 kHz WAV files, so each text is
	// synthesized once across restarts. Empty disables the disk cache.
	CacheDir string
	// Binary is the espeak-ng executable: a name looked up on PATH or a
	// path. Default "espeak-ng".
	Binary string
	// Speed in words per minute. Default 150.
	Speed  int
	Logger *slog.Logger
}

// Synth turns text into speech with espeak-ng.
type Synth struct {
	cacheDir string
	binary   string
	speed    int
	log      *slog.Logger
	flight   flight[*Audio]
}

// NewSynth returns a Synth; it does not check that espeak-ng exists (see
// Available), so a config without text prompts never needs it.
func NewSynth(opts SynthOptions) *Synth {
	s := &Synth{cacheDir: opts.CacheDir, binary: opts.Binary, speed: opts.Speed, log: opts.Logger}
	if s.binary == "" {
		s.binary = "espeak-ng"
	}
	if s.speed <= 0 {
		s.speed = 150
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Available reports whether the espeak-ng binary can be run.
func (s *Synth) Available() error {
	if _, err := exec.LookPath(s.binary); err != nil {
		return fmt.Errorf("espeak-ng is not installed (%v); install it with: apt-get install espeak-ng", err)
	}
	return nil
}

// Speak returns text spoken in voice (DefaultVoice if empty) as 8 kHz audio
// peaking at -3 dBFS, from the disk cache when it was synthesized before.
func (s *Synth) Speak(ctx context.Context, voice, text string) (*Audio, error) {
	if voice == "" {
		voice = DefaultVoice
	}
	if strings.TrimSpace(text) == "" {
		return nil, errors.New("speak: empty text")
	}
	key := s.cacheKey(voice, text)
	a, err := s.flight.do(ctx, key, func(ctx context.Context) (*Audio, error) {
		return s.speak(ctx, key, voice, text)
	})
	if err != nil {
		return nil, fmt.Errorf("speak %q (voice %s): %w", abbrev(text), voice, err)
	}
	return a, nil
}

// cacheKey covers everything that changes the audio, NUL-separated so that
// no two different inputs concatenate to the same string.
func (s *Synth) cacheKey(voice, text string) string {
	sum := sha256.Sum256([]byte(voice + "\x00" + strconv.Itoa(s.speed) + "\x00" + text))
	return hex.EncodeToString(sum[:])
}

func (s *Synth) speak(ctx context.Context, key, voice, text string) (*Audio, error) {
	var path string
	if s.cacheDir != "" {
		path = filepath.Join(s.cacheDir, key+".wav")
		a, err := readCacheFile(path)
		if err == nil {
			s.log.Debug("tts cache hit", "file", path, "text", abbrev(text))
			return a, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("tts cache file unreadable; synthesizing again", "file", path, "err", err)
		}
	}
	if err := s.Available(); err != nil {
		return nil, err
	}
	start := time.Now()
	a, err := s.run(ctx, voice, text)
	if err != nil {
		return nil, err
	}
	s.log.Info("synthesized prompt", "voice", voice, "text", abbrev(text),
		"duration", a.Duration(), "took", time.Since(start))
	if path != "" {
		// A cache failure costs a re-synthesis next time, not this call.
		if err := writeFileAtomic(path, a); err != nil {
			s.log.Warn("tts cache not written", "file", path, "err", err)
		}
	}
	return a, nil
}

// run executes espeak-ng with the text as a plain argument (never through a
// shell; "--" keeps text starting with "-" from being read as an option).
func (s *Synth) run(ctx context.Context, voice, text string) (*Audio, error) {
	cmd := exec.CommandContext(ctx, s.binary, "-v", voice, "-s", strconv.Itoa(s.speed), "--stdout", "--", text)
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 2048}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("%s: %w: %s", s.binary, err, msg)
		}
		return nil, fmt.Errorf("%s: %w", s.binary, err)
	}
	samples, f, err := readWAV(&stdout, 0)
	if err != nil {
		return nil, fmt.Errorf("%s output: %w", s.binary, err)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s produced no audio", s.binary)
	}
	return &Audio{Samples: resample(samples, f.rate)}, nil
}

func readCacheFile(path string) (*Audio, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := DecodeWAV(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("cache file %s: %w", path, err)
	}
	return a, nil
}

// writeFileAtomic writes a to a temporary file in the same directory and
// renames it into place, so a crash mid-write never leaves a half file
// that a later run would play.
func writeFileAtomic(path string, a *Audio) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cache dir %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tts-*.tmp")
	if err != nil {
		return fmt.Errorf("cache file %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriter(tmp)
	if err := EncodeWAV(w, a); err != nil {
		return fmt.Errorf("cache file %s: %w", tmp.Name(), err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("cache file %s: %w", tmp.Name(), err)
	}
	// Sync before rename: otherwise a power cut can persist the rename but
	// not the data.
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("cache file %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cache file %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cache file %s: %w", path, err)
	}
	return nil
}

// abbrev shortens text for logs and error messages.
func abbrev(text string) string {
	const n = 40
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	return string([]rune(text)[:n]) + "…"
}

// tailBuffer keeps the last max bytes written, so a chatty failing process
// cannot grow memory without bound but its final error line survives.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
