// Package prompt loads and synthesizes the audio prompts an IVR plays.
//
// All audio inside contactd is 8 kHz mono linear PCM, so every source —
// WAV files in the config directory, the embedded demo, espeak-ng — is
// converted to that once, here, and the media path never resamples.
package prompt

import "time"

// Rate is the sample rate of all audio inside contactd, in Hz.
const Rate = 8000

// DefaultVoice is the espeak-ng voice used when a text prompt names none.
const DefaultVoice = "en"

// Audio is decoded prompt audio, 8 kHz mono.
//
// Audio returned by a Library or Synth may be shared between calls: treat
// Samples as read-only.
type Audio struct{ Samples []int16 }

// Duration is how long the audio plays for.
func (a *Audio) Duration() time.Duration {
	if a == nil {
		return 0
	}
	return time.Duration(len(a.Samples)) * time.Second / Rate
}
