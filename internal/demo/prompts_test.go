package demo_test

import (
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/demo"
	"github.com/contactd/contactd/internal/prompt"
)

// promptNames are the prompts the demo ships (see scripts/gen-demo-prompts.sh).
var promptNames = func() []string {
	names := []string{
		"busy.wav", "closed.wav", "goodbye.wav", "hours.wav",
		"invalid.wav", "moh.wav", "noinput.wav", "welcome.wav",
		"queue-callback-confirm.wav", "queue-callback-intro.wav", "queue-callback-offer.wav",
		"queue-hold.wav", "queue-in-line.wav", "queue-minute.wav", "queue-minutes.wav",
		"queue-position.wav", "queue-wait-short.wav", "queue-wait.wav",
		"survey-comment.wav", "survey-intro.wav", "survey-invalid.wav",
		"survey-nps.wav", "survey-rating.wav", "survey-thanks.wav",
	}
	for n := 1; n <= 90; n++ {
		if n <= 20 || n%10 == 0 {
			names = append(names, fmt.Sprintf("num-%d.wav", n))
		}
	}
	slices.Sort(names)
	return names
}()

// Every shipped prompt must play: valid 8 kHz audio (DecodeWAV rejects
// anything else), long enough to be speech, and not silent.
func TestPromptsPlayable(t *testing.T) {
	fsys := demo.PromptsFS()
	for _, name := range promptNames {
		t.Run(name, func(t *testing.T) {
			f, err := fsys.Open(name)
			if err != nil {
				t.Fatalf("prompt %s: %v", name, err)
			}
			defer f.Close()
			a, err := prompt.DecodeWAV(f)
			if err != nil {
				t.Fatalf("prompt %s: %v", name, err)
			}
			// A number is one word; anything else is a phrase or music.
			minDur := 500 * time.Millisecond
			if strings.HasPrefix(name, "num-") || strings.HasSuffix(name, "minute.wav") {
				minDur = 200 * time.Millisecond
			}
			if d := a.Duration(); d <= minDur {
				t.Errorf("got duration %v, want more than %v", d, minDur)
			}
			var sum float64
			for _, s := range a.Samples {
				sum += float64(s) * float64(s)
			}
			// Speech at -3 dBFS peak has an RMS in the thousands; silence or
			// a near-silent file is a broken prompt.
			if rms := math.Sqrt(sum / float64(len(a.Samples))); rms < 1000 {
				t.Errorf("got RMS %.0f, want above 1000", rms)
			}
		})
	}
}

// The embedded set is exactly the documented one: a stray or missing file
// means the generator script and the config drifted apart.
func TestPromptNames(t *testing.T) {
	got, err := fs.Glob(demo.PromptsFS(), "*")
	if err != nil {
		t.Fatal(err)
	}
	if want := promptNames; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// A prompt the demo config names but the embed lacks would fail every call.
func TestConfigPromptsShipped(t *testing.T) {
	fsys := demo.PromptsFS()
	names := regexp.MustCompile(`[\w./-]+\.wav`).FindAll(demo.Config, -1)
	if len(names) == 0 {
		t.Fatal("demo config names no prompt files")
	}
	for _, m := range names {
		if _, err := fs.Stat(fsys, string(m)); err != nil {
			t.Errorf("demo config names %s: %v", m, err)
		}
	}
}
