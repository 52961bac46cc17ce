package callflow

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/contactd/contactd/ivr"
)

// loopFloor is the shortest time one round of music may take.
const loopFloor = time.Second

// player plays a sequence of prompts and then loops music, in the
// background, until stopped or replaced.
type player struct {
	prompts Prompts
	party   Party
	log     *slog.Logger

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
}

func newPlayer(p Prompts, party Party, log *slog.Logger) *player {
	return &player{prompts: p, party: party, log: log}
}

// start replaces what is playing with once, then loop repeated.
func (p *player) start(ctx context.Context, once, loop []ivr.Prompt) {
	p.stop()
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	p.mu.Lock()
	p.cancel, p.done = cancel, done
	p.mu.Unlock()
	go func() {
		defer close(done)
		if playAll(pctx, p.prompts, p.party, once, p.log) != nil {
			return
		}
		if len(nonZero(loop)) == 0 {
			return
		}
		for pctx.Err() == nil {
			began := time.Now()
			if playAll(pctx, p.prompts, p.party, loop, p.log) != nil {
				return
			}
			// Music that could not be loaded plays in no time: wait
			// rather than spin.
			if time.Since(began) < loopFloor {
				select {
				case <-time.After(loopFloor):
				case <-pctx.Done():
				}
			}
		}
	}()
}

// stop ends the playback and waits for it, so the next audio on the leg
// (a bridge, a goodbye) does not race with it.
func (p *player) stop() {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done = nil, nil
	p.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func nonZero(ps []ivr.Prompt) []ivr.Prompt {
	var out []ivr.Prompt
	for _, p := range ps {
		if p.File != "" || p.Text != "" {
			out = append(out, p)
		}
	}
	return out
}

// playAll plays each prompt in turn; a prompt that cannot be loaded is
// logged and skipped. It returns the first playback error (ctx ended,
// party gone, bridged).
func playAll(ctx context.Context, lib Prompts, party Party, prompts []ivr.Prompt, log *slog.Logger) error {
	for _, p := range nonZero(prompts) {
		if ok, err := playSound(ctx, party, p); ok {
			if err != nil {
				return err
			}
			continue
		}
		audio, err := lib.Load(ctx, refOf(p))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.Error("load prompt", "file", p.File, "text", p.Text != "", "err", err)
			continue
		}
		if err := party.Play(ctx, audio.Samples); err != nil {
			return err
		}
	}
	return nil
}
