// Package recording keeps call audio.
//
// A Writer turns the bridge's two streams of 20 ms PCM frames into one
// stereo WAV file, caller left and agent right, kept aligned in time even
// when one side drifts, stalls or skips frames, and written as the call goes
// so that a crash loses at most about a second; Repair fixes the header of a
// file a crash left open. Pause blanks both channels while a customer gives a
// card number. Store keeps each recording's metadata in the database, and
// Recorder ties file and row to the call flow: it names and registers the
// recordings of live calls, recovers those a crash interrupted and deletes
// files past their retention.
//
// The package knows nothing of SIP, RTP or ARI: audio arrives as PCM frames.
package recording
