package media

import (
	"fmt"

	"github.com/zaf/g711"
)

// Silence bytes: what a G.711 encoder makes of digital zero.
const (
	silencePCMU = 0xFF
	silencePCMA = 0xD5
)

// law is a G.711 variant, resolved once per codec so the per-packet path
// only switches on a small integer.
type law uint8

const (
	lawNone law = iota
	lawPCMU
	lawPCMA
)

// lawOf picks the G.711 variant by encoding name, falling back to the
// static payload type when the name is empty: a dynamic payload type may
// carry either law.
func lawOf(c Codec) (law, error) {
	switch {
	case c.Name == PCMU.Name, c.Name == "" && c.PayloadType == PCMU.PayloadType:
		return lawPCMU, nil
	case c.Name == PCMA.Name, c.Name == "" && c.PayloadType == PCMA.PayloadType:
		return lawPCMA, nil
	}
	return lawNone, fmt.Errorf("g711: unsupported codec %q (payload type %d)", c.Name, c.PayloadType)
}

func (l law) silence() byte {
	if l == lawPCMA {
		return silencePCMA
	}
	return silencePCMU
}

// encode writes one byte per sample of pcm into dst; dst must be at least
// len(pcm) long.
func (l law) encode(dst []byte, pcm []int16) {
	dst = dst[:len(pcm)]
	if l == lawPCMA {
		for i, s := range pcm {
			dst[i] = g711.EncodeAlawFrame(s)
		}
		return
	}
	for i, s := range pcm {
		dst[i] = g711.EncodeUlawFrame(s)
	}
}

// decode writes one sample per byte of src into dst; dst must be at least
// len(src) long.
func (l law) decode(dst []int16, src []byte) {
	dst = dst[:len(src)]
	if l == lawPCMA {
		for i, b := range src {
			dst[i] = g711.DecodeAlawFrame(b)
		}
		return
	}
	for i, b := range src {
		dst[i] = g711.DecodeUlawFrame(b)
	}
}

// Encode writes the G.711 encoding of pcm for codec c into dst, which must
// hold len(pcm) bytes, and returns the number of bytes written. It does
// not allocate.
func Encode(dst []byte, pcm []int16, c Codec) (int, error) {
	l, err := lawOf(c)
	if err != nil {
		return 0, err
	}
	if len(dst) < len(pcm) {
		return 0, fmt.Errorf("g711 encode: %d samples into a %d byte buffer", len(pcm), len(dst))
	}
	l.encode(dst, pcm)
	return len(pcm), nil
}

// Decode writes the linear PCM of G.711 payload src for codec c into dst,
// which must hold len(src) samples, and returns the number of samples. It
// does not allocate.
func Decode(dst []int16, src []byte, c Codec) (int, error) {
	l, err := lawOf(c)
	if err != nil {
		return 0, err
	}
	if len(dst) < len(src) {
		return 0, fmt.Errorf("g711 decode: %d bytes into a %d sample buffer", len(src), len(dst))
	}
	l.decode(dst, src)
	return len(src), nil
}

// Silence returns the byte that encodes digital silence for codec c.
func Silence(c Codec) (byte, error) {
	l, err := lawOf(c)
	if err != nil {
		return 0, err
	}
	return l.silence(), nil
}
