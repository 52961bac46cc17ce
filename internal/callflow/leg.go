// Package callflow runs one call's journey: IVR, then (later) queue, agent
// and survey, writing the call record as it goes.
//
// It owns no SIP or media code: a backend (native SIP in internal/sipua, ARI
// in internal/asterisk) hands it a Leg.
package callflow

import "context"

// Leg is the caller's side of a call as the flow needs it.
type Leg interface {
	ID() string
	Caller() string    // the caller's number (user part of From)
	Dialled() string   // the number they dialled
	Transport() string // "udp", "tcp", ... for the record
	// Answer connects the call. It fails if the caller gave up first.
	Answer(ctx context.Context) error
	// Play sends 8 kHz mono PCM to the caller and returns when all of it
	// was sent, or with ctx's error when ctx ends first (barge-in).
	Play(ctx context.Context, pcm []int16) error
	// Digits delivers DTMF, however the caller sent it.
	Digits() <-chan byte
	// Reject refuses a call that was not answered, with a SIP-like status.
	Reject(ctx context.Context, status int) error
	// Hangup ends an answered call from our side.
	Hangup(ctx context.Context) error
	// Done is closed when the leg has ended, from either side.
	Done() <-chan struct{}
	// EndReason says why the leg ended: caller_hangup, cancel, rtp_timeout,
	// hangup (ours), ... Empty while the leg is up.
	EndReason() string
}
