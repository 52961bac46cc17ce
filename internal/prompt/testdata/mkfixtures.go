//go:build ignore

// mkfixtures regenerates the WAV fixtures for the prompt package tests.
// Run from this directory: go run mkfixtures.go (needs sox).
//
// tone.wav is written byte by byte here from a formula the tests recompute,
// so they can check decoded samples exactly without trusting the code under
// test. The µ-law, A-law and rejected formats come from sox, an independent
// encoder. The remaining edge cases are tone.wav with its header rewritten.
package main

import (
	"encoding/binary"
	"log"
	"math"
	"os"
	"os/exec"
)

var le = binary.LittleEndian

func main() {
	tone := toneBytes(8000, 2000, 440, 10000) // 0.25 s
	write("tone.wav", wav(fmtChunk(1, 1, 8000, 16), nil, tone))

	sox("tone.wav", "-e", "u-law", "tone-ulaw.wav")
	sox("tone.wav", "-e", "a-law", "tone-alaw.wav")
	sox("-n", "-r", "44100", "-c", "2", "-b", "16", "stereo-44k.wav", "synth", "0.02", "sine", "440")
	sox("-n", "-r", "8000", "-c", "2", "-b", "16", "stereo-8k.wav", "synth", "0.05", "sine", "440")
	sox("-n", "-r", "16000", "-c", "1", "-b", "16", "mono-16k.wav", "synth", "0.05", "sine", "440")
	sox("-n", "-r", "8000", "-c", "1", "-b", "8", "pcm8.wav", "synth", "0.1", "sine", "440")
	sox("-n", "-r", "8000", "-c", "1", "-e", "floating-point", "-b", "32", "float.wav", "synth", "0.1", "sine", "440")

	write("tone-extensible.wav", wav(extensibleChunk(1, 16), nil, tone))
	ulaw := dataOf("tone-ulaw.wav")
	write("ulaw-extensible.wav", wav(extensibleChunk(7, 8), nil, ulaw))
	// An odd-sized LIST chunk also exercises the RIFF pad byte.
	list := append([]byte("INFOISFT"), le.AppendUint32(nil, 7)...)
	list = append(list, "contact\x00"...)
	write("tone-list.wav", wav(fmtChunk(1, 1, 8000, 16), chunk("LIST", list[:len(list)-1]), tone))
	full := wav(fmtChunk(1, 1, 8000, 16), nil, tone)
	write("tone-streamed.wav", streamed(full, 0xFFFFFFFF))
	write("tone-streamed0.wav", streamed(full, 0))
	write("truncated-header.wav", full[:30])
	write("truncated-data.wav", full[:44+1000])
	write("not-riff.wav", append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), make([]byte, 22)...))
	// What espeak-ng writes: 22050 Hz, sizes left at 0x7FFFF000. Used as the
	// output of a fake espeak-ng in the Synth tests; 0.4 s of 1 kHz.
	write("espeak-22k.wav", streamed(wav(fmtChunk(1, 1, 22050, 16), nil, toneBytes(22050, 8820, 1000, 8000)), 0x7FFFF000))
}

// toneBytes is n samples of a sine, as 16-bit little-endian PCM.
func toneBytes(rate, n int, freq, amp float64) []byte {
	var b []byte
	for i := range n {
		s := math.Round(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		b = le.AppendUint16(b, uint16(int16(s)))
	}
	return b
}

func fmtChunk(tag, channels, rate, bits int) []byte {
	align := channels * bits / 8
	var b []byte
	b = le.AppendUint16(b, uint16(tag))
	b = le.AppendUint16(b, uint16(channels))
	b = le.AppendUint32(b, uint32(rate))
	b = le.AppendUint32(b, uint32(rate*align))
	b = le.AppendUint16(b, uint16(align))
	b = le.AppendUint16(b, uint16(bits))
	return chunk("fmt ", b)
}

// extensibleChunk is an 8 kHz mono WAVE_FORMAT_EXTENSIBLE fmt chunk
// carrying sub-format tag.
func extensibleChunk(sub, bits int) []byte {
	align := bits / 8
	var b []byte
	b = le.AppendUint16(b, 0xFFFE)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint32(b, 8000)
	b = le.AppendUint32(b, uint32(8000*align))
	b = le.AppendUint16(b, uint16(align))
	b = le.AppendUint16(b, uint16(bits))
	b = le.AppendUint16(b, 22)           // cbSize
	b = le.AppendUint16(b, uint16(bits)) // valid bits
	b = le.AppendUint32(b, 4)            // channel mask: front centre
	b = le.AppendUint16(b, uint16(sub))
	b = append(b, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
	return chunk("fmt ", b)
}

func chunk(id string, body []byte) []byte {
	b := append([]byte(id), le.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// wav assembles a file from its chunks.
func wav(fmtc, extra, data []byte) []byte {
	body := append([]byte("WAVE"), fmtc...)
	body = append(body, extra...)
	body = append(body, "data"...)
	body = le.AppendUint32(body, uint32(len(data)))
	body = append(body, data...)
	b := append([]byte("RIFF"), le.AppendUint32(nil, uint32(len(body)))...)
	b = append(b, body...)
	return b
}

// streamed sets both size fields of a file made by wav to size, as a writer
// that cannot seek back leaves them.
func streamed(b []byte, size uint32) []byte {
	b = append([]byte(nil), b...)
	le.PutUint32(b[4:], size)
	for off := 12; off+8 <= len(b); off += 8 + int(le.Uint32(b[off+4:])) {
		if string(b[off:off+4]) == "data" {
			le.PutUint32(b[off+4:], size)
			return b
		}
	}
	panic("no data chunk")
}

func write(name string, b []byte) {
	if err := os.WriteFile(name, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

func sox(args ...string) {
	// -D: no dither, so the files are reproducible and G.711 samples stay
	// within one quantisation step of tone.wav.
	cmd := exec.Command("sox", append([]string{"-D"}, args...)...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("sox %v: %v", args, err)
	}
}

// dataOf returns the data chunk body of a simple WAV file.
func dataOf(name string) []byte {
	b, err := os.ReadFile(name)
	if err != nil {
		log.Fatal(err)
	}
	for off := 12; off+8 <= len(b); {
		size := int(le.Uint32(b[off+4:]))
		if string(b[off:off+4]) == "data" {
			return b[off+8 : off+8+size]
		}
		off += 8 + size + size%2
	}
	log.Fatalf("%s: no data chunk", name)
	return nil
}
