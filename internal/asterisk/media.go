package asterisk

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/contactd/contactd/internal/prompt"
)

// Prompts reach Asterisk as WAV files that contactd serves over HTTP:
// Leg.Play gets PCM, and Asterisk plays "sound:<url>" through its media
// cache. The URL is a keyed hash of the audio, so the same prompt always
// has the same URL (Asterisk fetches it once and plays it from its cache
// after that) while nobody without the key can guess one.
const (
	mediaPath = "/media/"
	// mediaIdle is how long a file nobody played stays served. Every
	// play puts its file back first, so Asterisk never asks for one that
	// is gone while it plays.
	mediaIdle = 30 * time.Minute
	// mediaMaxAge lets Asterisk keep a file without asking again: a URL's
	// content never changes.
	mediaMaxAge = "max-age=86400"
)

type mediaFile struct {
	wav  []byte
	used time.Time
}

// mediaStore holds the WAV files of recent prompts by token.
type mediaStore struct {
	key []byte
	now func() time.Time

	mu    sync.Mutex
	files map[string]*mediaFile
	swept time.Time
}

func newMediaStore(now func() time.Time) *mediaStore {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand panics rather)
	return &mediaStore{key: key, now: now, files: map[string]*mediaFile{}}
}

// put makes pcm available and returns its token.
func (m *mediaStore) put(pcm []int16) string {
	sum := sha256.New()
	binary.Write(sum, binary.LittleEndian, pcm)
	mac := hmac.New(sha256.New, m.key)
	mac.Write(sum.Sum(nil))
	token := hex.EncodeToString(mac.Sum(nil)[:16])

	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.files[token]; ok {
		f.used = now
		return token
	}
	var buf bytes.Buffer
	prompt.EncodeWAV(&buf, &prompt.Audio{Samples: pcm}) // writes to memory: cannot fail
	m.files[token] = &mediaFile{wav: buf.Bytes(), used: now}
	if now.Sub(m.swept) > mediaIdle/2 {
		m.swept = now
		for t, f := range m.files {
			if now.Sub(f.used) > mediaIdle {
				delete(m.files, t)
			}
		}
	}
	return token
}

func (m *mediaStore) get(token string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.files[token]
	if !ok {
		return nil, false
	}
	f.used = m.now()
	return f.wav, true
}

// ServeHTTP serves GET and HEAD /media/<token>.wav.
func (m *mediaStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, mediaPath)
	token, isWAV := strings.CutSuffix(name, ".wav")
	if !ok || !isWAV {
		http.NotFound(w, r)
		return
	}
	wav, ok := m.get(token)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "audio/x-wav")
	w.Header().Set("Cache-Control", mediaMaxAge)
	w.Header().Set("ETag", `"`+token+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(wav))
}
