package prompt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/zaf/g711"
)

// WAV format tags (the first field of the fmt chunk).
const (
	tagPCM        = 0x0001
	tagFloat      = 0x0003
	tagALaw       = 0x0006
	tagULaw       = 0x0007
	tagExtensible = 0xFFFE
)

// ksGUIDTail is the fixed tail of the KSDATAFORMAT_SUBTYPE GUIDs; an
// extensible fmt chunk whose sub-format ends in it carries a plain format
// tag in the GUID's first two bytes.
var ksGUIDTail = []byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// wavFormat is what a file's fmt chunk says, with WAVE_FORMAT_EXTENSIBLE
// already unwrapped to the format it carries.
type wavFormat struct {
	tag      uint16
	channels int
	rate     int
	bits     int
}

// String describes the format the way an operator would, e.g.
// "44100 Hz stereo 16-bit PCM", for error messages.
func (f wavFormat) String() string {
	ch := fmt.Sprintf("%d-channel", f.channels)
	switch f.channels {
	case 1:
		ch = "mono"
	case 2:
		ch = "stereo"
	}
	return fmt.Sprintf("%d Hz %s %s", f.rate, ch, f.encoding())
}

func (f wavFormat) encoding() string {
	switch f.tag {
	case tagPCM:
		return fmt.Sprintf("%d-bit PCM", f.bits)
	case tagFloat:
		return fmt.Sprintf("%d-bit float", f.bits)
	case tagULaw, tagALaw:
		name := "µ-law"
		if f.tag == tagALaw {
			name = "A-law"
		}
		if f.bits == 8 {
			return name
		}
		return fmt.Sprintf("%d-bit %s", f.bits, name)
	case tagExtensible:
		return "WAVE_FORMAT_EXTENSIBLE with an unknown sub-format"
	default:
		return fmt.Sprintf("format tag 0x%04X", f.tag)
	}
}

// decodable reports whether the samples can be converted to linear PCM,
// whatever the rate.
func (f wavFormat) decodable() bool {
	if f.channels != 1 {
		return false
	}
	switch f.tag {
	case tagPCM:
		return f.bits == 16
	case tagULaw, tagALaw:
		return f.bits == 8
	}
	return false
}

// DecodeWAV reads a WAV prompt: 8000 Hz mono 16-bit PCM, µ-law or A-law,
// plain or wrapped in WAVE_FORMAT_EXTENSIBLE. Chunks other than fmt and data
// (LIST, fact, ...) are skipped, and a data size of 0 or 0xFFFFFFFF (or
// espeak-ng's 0x7FFFF000), as streaming writers leave it, means the data
// runs to the end of the file.
// Anything else is an error naming the format found and the one needed.
func DecodeWAV(r io.Reader) (*Audio, error) {
	samples, _, err := readWAV(r, Rate)
	if err != nil {
		return nil, err
	}
	return &Audio{Samples: samples}, nil
}

// readWAV decodes a mono WAV stream to linear PCM. needRate 0 accepts any
// sample rate (for espeak-ng's output, which is resampled afterwards).
func readWAV(r io.Reader, needRate int) ([]int16, wavFormat, error) {
	cr := &countingReader{r: r}
	var f wavFormat
	haveFmt := false

	var riff [12]byte
	if _, err := io.ReadFull(cr, riff[:]); err != nil {
		if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, f, fmt.Errorf("reading WAV header: %w", err)
		}
		if cr.n == 0 {
			return nil, f, errors.New("not a WAV file: it is empty")
		}
		if !bytes.HasPrefix([]byte("RIFF"), riff[:min(cr.n, 4)]) {
			return nil, f, fmt.Errorf("not a WAV file: starts with %q, need a RIFF/WAVE header", riff[:min(cr.n, 4)])
		}
		return nil, f, fmt.Errorf("truncated WAV header: file ends at byte %d", cr.n)
	}
	if string(riff[0:4]) != "RIFF" {
		return nil, f, fmt.Errorf("not a WAV file: starts with %q, need a RIFF/WAVE header", riff[:4])
	}
	if string(riff[8:12]) != "WAVE" {
		return nil, f, fmt.Errorf("not a WAV file: RIFF type is %q, need WAVE", riff[8:12])
	}

	for {
		var hdr [8]byte
		if _, err := io.ReadFull(cr, hdr[:]); err != nil {
			if err == io.EOF {
				return nil, f, errors.New("WAV file has no data chunk")
			}
			return nil, f, truncatedHeader(cr, err)
		}
		id := string(hdr[0:4])
		size := binary.LittleEndian.Uint32(hdr[4:8])

		switch id {
		case "fmt ":
			var err error
			if f, err = readFmt(cr, size); err != nil {
				return nil, f, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, f, errors.New("invalid WAV file: data chunk comes before the fmt chunk")
			}
			if err := checkFormat(f, needRate); err != nil {
				return nil, f, err
			}
			data, err := readData(cr, size)
			if err != nil {
				return nil, f, err
			}
			return toLinear(f, data), f, nil
		default:
			// RIFF chunks are word-aligned: an odd size is followed by a pad byte.
			if _, err := io.CopyN(io.Discard, cr, int64(size)+int64(size&1)); err != nil {
				return nil, f, truncatedHeader(cr, err)
			}
		}
	}
}

func checkFormat(f wavFormat, needRate int) error {
	if needRate == 0 {
		if !f.decodable() {
			return fmt.Errorf("%s: need mono 16-bit PCM, µ-law or A-law", f)
		}
		return nil
	}
	if f.rate != needRate || !f.decodable() {
		return fmt.Errorf("%s: need %d Hz mono 16-bit PCM, µ-law or A-law", f, needRate)
	}
	return nil
}

// readFmt parses a fmt chunk body of the given size.
func readFmt(r *countingReader, size uint32) (wavFormat, error) {
	if size < 16 {
		return wavFormat{}, fmt.Errorf("invalid WAV file: fmt chunk is %d bytes, need at least 16", size)
	}
	// Only the first 40 bytes mean anything to us; the size is untrusted, so
	// skip the rest rather than allocate it.
	body := make([]byte, min(size, 40))
	if _, err := io.ReadFull(r, body); err != nil {
		return wavFormat{}, truncatedHeader(r, err)
	}
	if rest := int64(size) - int64(len(body)) + int64(size&1); rest > 0 {
		if _, err := io.CopyN(io.Discard, r, rest); err != nil {
			return wavFormat{}, truncatedHeader(r, err)
		}
	}
	le := binary.LittleEndian
	f := wavFormat{
		tag:      le.Uint16(body[0:]),
		channels: int(le.Uint16(body[2:])),
		rate:     int(le.Uint32(body[4:])),
		bits:     int(le.Uint16(body[14:])),
	}
	if f.rate == 0 {
		return f, errors.New("invalid WAV file: fmt chunk gives a sample rate of 0 Hz")
	}
	if f.channels == 0 {
		return f, errors.New("invalid WAV file: fmt chunk gives 0 channels")
	}
	if f.tag == tagExtensible && len(body) >= 40 && bytes.Equal(body[26:40], ksGUIDTail) {
		f.tag = le.Uint16(body[24:])
	}
	return f, nil
}

// Writers that stream (and so cannot seek back to fill in the size) leave
// 0 or 0xFFFFFFFF; espeak-ng writes 0x7FFFF000. Sizes from there up are
// never real for a prompt, so all of these mean "until end of file".
const streamedSize = 0x7FFFF000

func readData(r *countingReader, size uint32) ([]byte, error) {
	if size == 0 || size >= streamedSize {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("reading WAV data: %w", err)
		}
		return data, nil
	}
	// LimitReader rather than make([]byte, size): a corrupt size must not
	// allocate gigabytes.
	data, err := io.ReadAll(io.LimitReader(r, int64(size)))
	if err != nil {
		return nil, fmt.Errorf("reading WAV data: %w", err)
	}
	if len(data) < int(size) {
		return nil, fmt.Errorf("truncated WAV data: header says %d bytes, file has %d", size, len(data))
	}
	return data, nil
}

// toLinear converts data in a decodable format to 16-bit samples. A
// trailing odd byte of 16-bit PCM (a cut-off stream) is dropped.
func toLinear(f wavFormat, data []byte) []int16 {
	switch f.tag {
	case tagULaw:
		out := make([]int16, len(data))
		for i, b := range data {
			out[i] = g711.DecodeUlawFrame(b)
		}
		return out
	case tagALaw:
		out := make([]int16, len(data))
		for i, b := range data {
			out[i] = g711.DecodeAlawFrame(b)
		}
		return out
	default:
		out := make([]int16, len(data)/2)
		for i := range out {
			out[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		return out
	}
}

func truncatedHeader(r *countingReader, err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("truncated WAV header: file ends at byte %d", r.n)
	}
	return fmt.Errorf("reading WAV header: %w", err)
}

// countingReader tracks the offset so errors can say where a file ends.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// EncodeWAV writes a as an 8 kHz mono 16-bit PCM WAV file with the
// canonical 44-byte header.
func EncodeWAV(w io.Writer, a *Audio) error {
	if a == nil {
		return errors.New("encode WAV: no audio")
	}
	dataLen := 2 * len(a.Samples)
	if dataLen > math.MaxUint32-36 {
		return fmt.Errorf("encode WAV: %d samples is too long for a WAV file", len(a.Samples))
	}
	le := binary.LittleEndian
	buf := make([]byte, 0, 44+dataLen)
	buf = append(buf, "RIFF"...)
	buf = le.AppendUint32(buf, uint32(36+dataLen))
	buf = append(buf, "WAVEfmt "...)
	buf = le.AppendUint32(buf, 16)
	buf = le.AppendUint16(buf, tagPCM)
	buf = le.AppendUint16(buf, 1)      // channels
	buf = le.AppendUint32(buf, Rate)   // sample rate
	buf = le.AppendUint32(buf, Rate*2) // byte rate
	buf = le.AppendUint16(buf, 2)      // block align
	buf = le.AppendUint16(buf, 16)     // bits per sample
	buf = append(buf, "data"...)
	buf = le.AppendUint32(buf, uint32(dataLen))
	for _, s := range a.Samples {
		buf = le.AppendUint16(buf, uint16(s))
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("encode WAV: %w", err)
	}
	return nil
}
