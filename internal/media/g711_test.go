package media

import (
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	pcm := []int16{0, 1000, -1000, 8000, -8000, 32767, -32768}
	tests := []struct {
		name    string
		codec   Codec
		silence byte
		wantErr bool
	}{
		{"PCMU", PCMU, 0xFF, false},
		{"PCMA", PCMA, 0xD5, false},
		{"PCMU on dynamic PT", Codec{Name: "PCMU", PayloadType: 97, ClockRate: 8000}, 0xFF, false},
		{"PT 8 without a name", Codec{PayloadType: 8}, 0xD5, false},
		{"G.729", Codec{Name: "G729", PayloadType: 18, ClockRate: 8000}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := make([]byte, len(pcm))
			n, err := Encode(enc, pcm, tt.codec)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if n != len(pcm) {
				t.Fatalf("encoded %d bytes, want %d", n, len(pcm))
			}
			if enc[0] != tt.silence {
				t.Errorf("zero sample encodes as %#x, want %#x", enc[0], tt.silence)
			}
			if s, _ := Silence(tt.codec); s != tt.silence {
				t.Errorf("Silence: got %#x, want %#x", s, tt.silence)
			}
			dec := make([]int16, len(enc))
			if _, err := Decode(dec, enc, tt.codec); err != nil {
				t.Fatal(err)
			}
			// G.711 keeps about 12 bits: the error is within 1/16 of the
			// magnitude (plus a small step near zero).
			for i := range pcm {
				diff := int(dec[i]) - int(pcm[i])
				if diff < 0 {
					diff = -diff
				}
				if limit := abs(int(pcm[i]))/16 + 16; diff > limit {
					t.Errorf("sample %d: got %d back, want %d ± %d", i, dec[i], pcm[i], limit)
				}
			}
		})
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestEncodeShortBuffer(t *testing.T) {
	if _, err := Encode(make([]byte, 10), make([]int16, FrameSamples), PCMU); err == nil {
		t.Error("got no error, want one for a short buffer")
	}
	if _, err := Decode(make([]int16, 10), make([]byte, FrameSamples), PCMA); err == nil {
		t.Error("got no error, want one for a short buffer")
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	pcm := make([]int16, FrameSamples)
	buf := make([]byte, FrameSamples)
	out := make([]int16, FrameSamples)
	allocs := testing.AllocsPerRun(100, func() {
		Encode(buf, pcm, PCMA)
		Decode(out, buf, PCMU)
	})
	if allocs != 0 {
		t.Errorf("got %v allocations per frame, want 0", allocs)
	}
}
