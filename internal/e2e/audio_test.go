package e2e

import (
	"encoding/binary"
	"math"
	"os"
	"testing"
)

// readPCM16 reads the samples of a 16-bit PCM WAV file of any rate.
func readPCM16(t *testing.T, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s: not a WAV file", path)
	}
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		off += 8
		if id == "data" {
			end := min(off+size, len(b))
			if size == 0 || size > len(b) {
				end = len(b) // written while recording: size not filled in
			}
			s := make([]int16, (end-off)/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(b[off+2*i:]))
			}
			return s
		}
		off += size + size%2
	}
	t.Fatalf("%s: no data chunk", path)
	return nil
}

func rms(s []int16) float64 {
	var sum float64
	for _, v := range s {
		sum += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(sum / float64(len(s)))
}
