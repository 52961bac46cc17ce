// Package recording will hold call audio: the WAV writer, the store,
// retention and crash recovery. Nothing is recorded yet.
package recording
