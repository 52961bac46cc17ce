package asterisk

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"

	"github.com/contactd/contactd/internal/callflow"
)

// Why a leg ended, as native mode names them.
const (
	ReasonCallerHangup = "caller_hangup"
	ReasonCancel       = "cancel"
	ReasonHangup       = "hangup"        // we hung up
	ReasonRejected     = "rejected"      // we refused the call before answering
	ReasonRemoteHangup = "remote_hangup" // the phone we called hung up
)

// hangupWait bounds how long Hangup waits for Asterisk to confirm.
const hangupWait = 5 * time.Second

// Channel is an Asterisk channel in the application: a caller's leg, or
// an agent's phone that contactd called.
type Channel struct {
	b        *Backend
	id       string
	caller   string
	dialled  string
	outbound bool
	digits   chan byte
	done     chan struct{}
	up       chan struct{} // outbound: closed when answered (in Stasis)
	endOnce  sync.Once
	upOnce   sync.Once

	mu         sync.Mutex
	reason     string
	answered   bool
	ours       string // the reason we gave when we hung up
	dialStatus string
	cause      int
}

var (
	_ callflow.Leg   = (*Channel)(nil)
	_ callflow.Party = (*Channel)(nil)
)

func (b *Backend) newChannel(id string, outbound bool) *Channel {
	return &Channel{
		b: b, id: id, outbound: outbound,
		digits: make(chan byte, 32), done: make(chan struct{}), up: make(chan struct{}),
	}
}

// ID is the Asterisk channel id; for a caller it is the call's id.
func (c *Channel) ID() string            { return c.id }
func (c *Channel) Caller() string        { return c.caller }
func (c *Channel) Dialled() string       { return c.dialled }
func (c *Channel) Transport() string     { return "asterisk" }
func (c *Channel) Digits() <-chan byte   { return c.digits }
func (c *Channel) Done() <-chan struct{} { return c.done }

// EndReason says why the channel ended; empty while it is up.
func (c *Channel) EndReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

func (c *Channel) key() *ari.Key { return ari.NewKey(ari.ChannelKey, c.id) }

func (c *Channel) end(reason string) {
	c.endOnce.Do(func() {
		c.mu.Lock()
		c.reason = reason
		c.mu.Unlock()
		close(c.done)
	})
}

func ended(c *Channel) bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// farEndReason is why a channel Asterisk says has ended did so.
func (c *Channel) farEndReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ours != "":
		return c.ours
	case c.outbound:
		return ReasonRemoteHangup
	case !c.answered:
		return ReasonCancel
	default:
		return ReasonCallerHangup
	}
}

func (c *Channel) enteredStasis() {
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	c.upOnce.Do(func() { close(c.up) })
}

func (c *Channel) setCause(cause int) {
	if cause == 0 {
		return
	}
	c.mu.Lock()
	c.cause = cause
	c.mu.Unlock()
}

func (c *Channel) setDialStatus(s string) {
	if s == "" {
		return
	}
	c.mu.Lock()
	c.dialStatus = s
	c.mu.Unlock()
}

func (c *Channel) dtmf(digit string) {
	if digit == "" {
		return
	}
	select {
	case c.digits <- digit[0]:
	default:
		c.b.log.Warn("digits not read: dropping one", "call_id", c.id, "digit", digit)
	}
}

func (c *Channel) errEnded(op string) error {
	return fmt.Errorf("%s %s: channel ended (%s)", op, c.id, c.EndReason())
}

// Answer answers the caller's channel.
func (c *Channel) Answer(ctx context.Context) error {
	if ended(c) {
		return c.errEnded("answer")
	}
	err := call(ctx, "answer "+c.id, func() error { return c.b.cl.Channel().Answer(c.key()) })
	if err != nil {
		if gone(err) {
			// The caller gave up as we answered.
			c.b.forget(c)
			c.end(c.farEndReason())
		}
		return err
	}
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	return nil
}

// Hangup ends the channel from our side and waits (briefly) for
// Asterisk to confirm, so that EndReason is settled when it returns.
func (c *Channel) Hangup(ctx context.Context) error {
	return c.hangup(ctx, ReasonHangup, "normal")
}

// Reject refuses an unanswered call; status is mapped to the nearest ARI
// hangup reason, which Asterisk turns back into a SIP status.
func (c *Channel) Reject(ctx context.Context, status int) error {
	return c.hangup(ctx, ReasonRejected, rejectReason(status))
}

func rejectReason(status int) string {
	switch status {
	case 404, 484:
		return "unallocated"
	case 486, 600:
		return "busy"
	case 480, 408:
		return "no_answer"
	case 503:
		return "congestion"
	case 603, 403:
		return "rejected"
	default:
		return "normal_unspecified"
	}
}

func (c *Channel) hangup(ctx context.Context, reason, cause string) error {
	if ended(c) {
		return nil
	}
	c.mu.Lock()
	if c.ours == "" {
		c.ours = reason
	}
	c.mu.Unlock()
	err := call(ctx, "hang up "+c.id, func() error { return c.b.cl.Channel().Hangup(c.key(), cause) })
	switch {
	case gone(err):
		c.b.forget(c)
		c.end(c.farEndReason())
		return nil
	case err != nil:
		return err
	}
	t := time.NewTimer(hangupWait)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.b.log.Warn("Asterisk did not confirm a hang-up", "call_id", c.id)
		c.b.forget(c)
		c.end(c.farEndReason())
	case <-ctx.Done():
	}
	return nil
}

// Play plays 8 kHz PCM: contactd serves it as a WAV file and Asterisk
// plays its URL. It returns when the playback finished, or at once with
// ctx's error once the playback is stopped (barge-in).
func (c *Channel) Play(ctx context.Context, pcm []int16) error {
	if len(pcm) == 0 {
		return ctx.Err()
	}
	return c.play(ctx, "sound:"+c.b.base+c.b.media.put(pcm)+".wav")
}

// PlaySound plays one of Asterisk's own sounds by name (hello-world,
// digits/1, ...), in the channel's language.
func (c *Channel) PlaySound(ctx context.Context, name string) error {
	err := c.play(ctx, "sound:"+name)
	if errors.Is(err, errPlayFailed) && c.b.isConnected() {
		c.b.log.Warn("Asterisk has no such sound (or cannot play it)", "call_id", c.id, "sound", name)
		return fmt.Errorf("%w: %w", callflow.ErrNoSound, err)
	}
	return err
}

func (c *Channel) play(ctx context.Context, media string) error {
	if ended(c) {
		return c.errEnded("play on")
	}
	b := c.b
	id := newID("play")
	fin := b.expect(b.plays, id)
	defer b.unexpect(b.plays, id)
	err := start(ctx, "play on "+c.id, func() error {
		_, err := b.cl.Channel().Play(c.key(), id, media)
		return err
	}, func() { b.stopPlayback(id) })
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case gone(err):
		return c.errEnded("play on")
	case err != nil:
		return err
	}
	select {
	case state := <-fin:
		if state == "failed" {
			return fmt.Errorf("play %s on %s: %w", media, c.id, errPlayFailed)
		}
		return nil
	case <-ctx.Done():
		// Stopped before the next audio starts, so it never plays over
		// a bridge or the next prompt.
		b.stopPlayback(id)
		return ctx.Err()
	case <-c.done:
		return c.errEnded("play on")
	}
}

var errPlayFailed = errors.New("asterisk could not play it, or the connection was lost")

func (b *Backend) stopPlayback(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
	defer cancel()
	err := call(ctx, "stop playback "+id, func() error { return b.cl.Playback().Stop(ari.NewKey(ari.PlaybackKey, id)) })
	if err != nil && !gone(err) {
		b.log.Warn("stop playback", "playback", id, "err", err)
	}
}
