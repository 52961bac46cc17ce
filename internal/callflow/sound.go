package callflow

import (
	"context"
	"errors"
	"strings"

	"github.com/contactd/contactd/ivr"
)

// SoundPrefix marks a prompt file that names one of the backend's own
// sounds (sound:hello-world is Asterisk's hello-world) rather than a
// file of contactd's.
const SoundPrefix = "sound:"

// SoundPlayer is a party whose backend has sounds of its own to play by
// name (Asterisk). Returns like Play; ErrNoSound (wrapped) when the
// backend could not play it.
type SoundPlayer interface {
	PlaySound(ctx context.Context, name string) error
}

// ErrNoSound: the backend has no such sound. Like a prompt file that
// cannot be loaded, it is skipped (the backend logs it).
var ErrNoSound = errors.New("no such sound")

// playSound plays p if it names a backend sound the party can play;
// handled is false for every other prompt, which is loaded and played
// as PCM as usual.
func playSound(ctx context.Context, party Party, p ivr.Prompt) (handled bool, err error) {
	name, ok := strings.CutPrefix(p.File, SoundPrefix)
	if !ok {
		return false, nil
	}
	sp, ok := party.(SoundPlayer)
	if !ok {
		return false, nil
	}
	if err := sp.PlaySound(ctx, name); err != nil && !errors.Is(err, ErrNoSound) {
		return true, err
	}
	return true, nil
}
