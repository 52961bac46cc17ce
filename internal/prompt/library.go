package prompt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
)

// LibraryOptions configures a Library.
type LibraryOptions struct {
	// FS holds the prompt files, e.g. os.DirFS(configDir) or the embedded
	// demo prompts. File references are slash-separated paths within it.
	FS fs.FS
	// Synth speaks text prompts; nil means text prompts are an error.
	Synth  *Synth
	Logger *slog.Logger
}

// Library resolves prompt references to audio. Each prompt is decoded or
// synthesized once and then served from memory, since the same greeting is
// played on every call.
type Library struct {
	fsys  fs.FS
	synth *Synth
	log   *slog.Logger

	mu       sync.Mutex
	cache    map[string]*Audio
	resolved map[string]string // Dir+File → path found, so a cached prompt costs no FS access
	flight   flight[*Audio]
}

// Ref names a prompt: exactly one of File and Text.
type Ref struct {
	File  string // WAV file path within the library's FS
	Text  string // text to speak with the Synth
	Voice string // espeak-ng voice for Text; DefaultVoice if empty
	// Dir is the sub-directory of the caller's language prompt set: File is
	// looked up as Dir/File first, then as File, so a language only needs to
	// ship the prompts it translates.
	Dir string
}

// NewLibrary returns a Library reading from opts.FS.
func NewLibrary(opts LibraryOptions) *Library {
	l := &Library{fsys: opts.FS, synth: opts.Synth, log: opts.Logger, cache: make(map[string]*Audio), resolved: make(map[string]string)}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	return l
}

// Load returns the audio for ref. The result is shared with other callers
// and must not be modified.
func (l *Library) Load(ctx context.Context, ref Ref) (*Audio, error) {
	if err := ref.validate(); err != nil {
		return nil, err
	}
	if ref.Text != "" {
		if l.synth == nil {
			return nil, fmt.Errorf("prompt %q: text-to-speech is not configured", abbrev(ref.Text))
		}
		voice := ref.Voice
		if voice == "" {
			voice = DefaultVoice
		}
		return l.cached(ctx, "text\x00"+voice+"\x00"+ref.Text, func(ctx context.Context) (*Audio, error) {
			a, err := l.synth.Speak(ctx, voice, ref.Text)
			if err != nil {
				return nil, fmt.Errorf("prompt: %w", err)
			}
			return a, nil
		})
	}
	refKey := ref.Dir + "\x00" + ref.File
	l.mu.Lock()
	name, ok := l.resolved[refKey]
	l.mu.Unlock()
	if !ok {
		var err error
		if name, err = l.resolve(ref); err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.resolved[refKey] = name
		l.mu.Unlock()
	}
	return l.cached(ctx, "file\x00"+name, func(context.Context) (*Audio, error) {
		return l.decodeFile(name)
	})
}

// cached returns the audio under key, computing it with fn at most once
// even when many calls ask for it at the same moment.
func (l *Library) cached(ctx context.Context, key string, fn func(context.Context) (*Audio, error)) (*Audio, error) {
	if a := l.lookup(key); a != nil {
		return a, nil
	}
	return l.flight.do(ctx, key, func(ctx context.Context) (*Audio, error) {
		// A flight that finished between our lookup and joining stored its
		// result already.
		if a := l.lookup(key); a != nil {
			return a, nil
		}
		a, err := fn(ctx)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.cache[key] = a
		l.mu.Unlock()
		return a, nil
	})
}

func (l *Library) lookup(key string) *Audio {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cache[key]
}

// Check verifies that ref can be played, for `contactd check`: a file
// exists and is a valid, non-empty 8 kHz prompt; for text, espeak-ng is
// installed. It does not fill the cache.
func (l *Library) Check(ref Ref) error {
	if err := ref.validate(); err != nil {
		return err
	}
	if ref.Text != "" {
		if l.synth == nil {
			return fmt.Errorf("prompt %q: text-to-speech is not configured", abbrev(ref.Text))
		}
		if err := l.synth.Available(); err != nil {
			return fmt.Errorf("prompt %q: %w", abbrev(ref.Text), err)
		}
		return nil
	}
	name, err := l.resolve(ref)
	if err != nil {
		return err
	}
	a, err := l.decodeFile(name)
	if err != nil {
		return err
	}
	if len(a.Samples) == 0 {
		return fmt.Errorf("prompt %s: contains no audio", name)
	}
	return nil
}

func (r Ref) validate() error {
	switch {
	case r.File == "" && r.Text == "":
		return errors.New("prompt: neither a file nor text given")
	case r.File != "" && r.Text != "":
		return fmt.Errorf("prompt %s: both a file and text %q given; use one", r.File, abbrev(r.Text))
	}
	return nil
}

// resolve finds the path of ref's file in the FS: Dir/File, then File.
func (l *Library) resolve(ref Ref) (string, error) {
	if l.fsys == nil {
		return "", fmt.Errorf("prompt %s: no prompt directory configured", ref.File)
	}
	if !fs.ValidPath(ref.File) || (ref.Dir != "" && !fs.ValidPath(ref.Dir)) {
		return "", fmt.Errorf("prompt %s: invalid path: need a relative, slash-separated path without \"..\"", path.Join(ref.Dir, ref.File))
	}
	var tried []string
	if ref.Dir != "" {
		tried = append(tried, path.Join(ref.Dir, ref.File))
	}
	tried = append(tried, ref.File)
	for i, name := range tried {
		info, err := fs.Stat(l.fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("prompt %s: %w", name, err)
		}
		if info.IsDir() {
			return "", fmt.Errorf("prompt %s: is a directory, need a WAV file", name)
		}
		if i > 0 {
			l.log.Debug("prompt not in language directory; using the default", "file", ref.File, "dir", ref.Dir)
		}
		return name, nil
	}
	return "", fmt.Errorf("prompt %s: file not found (looked for %s)", ref.File, strings.Join(tried, ", "))
}

func (l *Library) decodeFile(name string) (*Audio, error) {
	f, err := l.fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", name, err)
	}
	defer f.Close()
	a, err := DecodeWAV(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("prompt %s: %w", name, err)
	}
	l.log.Debug("prompt loaded", "file", name, "duration", a.Duration())
	return a, nil
}
