package recording

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The file format: 8 kHz 16-bit PCM, caller (dir 0) left, agent (dir 1)
// right, in the canonical 44-byte RIFF/WAVE header.
const (
	SampleRate   = 8000
	frameSamples = SampleRate / 50 // one 20 ms tap frame
	blockAlign   = 4               // bytes per stereo sample frame
	byteRate     = SampleRate * blockAlign
	headerSize   = 44
	// maxData keeps the RIFF size (data + 36) within 32 bits: about 37
	// hours of audio.
	maxData = (1<<32 - 1 - 36) / blockAlign * blockAlign
)

const (
	// maxLeadFrames bounds how far one side may run ahead of the other
	// before the ahead side is written against silence. The bridge's paced
	// senders burst out up to 200 ms (10 frames) of backlog after a short
	// stall, plus a frame or two of drift: audio within that lead is late,
	// not lost, and must wait for its partner; beyond it, it is not coming.
	// It also bounds the memory a recording holds (a few KB).
	maxLeadFrames = 12
	// slackFrames is the lead the two sides' schedulers produce normally
	// (a frame or two of drift, plus the frame the ahead side may just have
	// sent); up to it frames simply pair by index. A skip this short goes
	// unnoticed and costs at most that much alignment.
	slackFrames = 3
)

// Info describes a finished (or repaired) recording file.
type Info struct {
	Duration  time.Duration // audio in the file
	Bytes     int64         // size of the file, header included
	PausedFor time.Duration // audio blanked by Pause
}

// WriterOptions configures Create.
type WriterOptions struct {
	// FlushEvery is how much audio may sit in memory before it is written
	// to the file, which is what a crash can lose. 0 means one second.
	FlushEvery time.Duration
	Logger     *slog.Logger
}

// Writer writes one call's two directions as a stereo WAV file while the
// call goes. Frame is meant to be the bridge's tap (one caller at a time);
// Pause, Resume and Close may come from other goroutines.
type Writer struct {
	mu   sync.Mutex
	path string
	f    *os.File
	bw   *bufio.Writer
	log  *slog.Logger

	// pend holds each side's samples not yet written. After pairing at
	// most one side holds any, except while a side is held (see Frame).
	pend [2][]int16
	// hold[d]: d's frame came after a gap, so it is not yet known whether
	// d is catching up (its late frames pair with the other side's
	// waiting ones) or skipped (the waiting ones have no partner).
	// seen[d] counts the other side's samples since.
	hold [2]bool
	seen [2]int

	paused     bool
	pausedSamp [2]int64
	data       int64 // bytes of audio written after the header
	unflushed  int
	flushBytes int
	scratch    []byte

	closed bool
	full   bool
	err    error
	info   Info
}

// Create creates the file at path (and its directories) and writes the WAV
// header, with its size fields 0 until Close, so that Repair can tell a file
// that was never closed. It refuses to overwrite an existing file.
func Create(path string, opts WriterOptions) (*Writer, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	every := opts.FlushEvery
	if every <= 0 {
		every = time.Second
	}
	flushBytes := int(every.Seconds()*SampleRate) * blockAlign
	flushBytes = max(flushBytes, frameSamples*blockAlign)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create recording %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("create recording %s: %w", path, err)
	}
	if _, err := f.Write(header(0, 0)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create recording %s: %w", path, err)
	}
	return &Writer{
		path:       path,
		f:          f,
		bw:         bufio.NewWriterSize(f, flushBytes+4096),
		log:        log,
		flushBytes: flushBytes,
	}, nil
}

// header is the canonical PCM header of stereo audio. Create writes it
// with riff and data 0; Close and Repair put in the sizes.
func header(riff, data uint32) []byte {
	h := make([]byte, headerSize)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], riff)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16) // fmt chunk size
	binary.LittleEndian.PutUint16(h[20:], 1)  // PCM
	binary.LittleEndian.PutUint16(h[22:], 2)  // channels
	binary.LittleEndian.PutUint32(h[24:], SampleRate)
	binary.LittleEndian.PutUint32(h[28:], byteRate)
	binary.LittleEndian.PutUint16(h[32:], blockAlign)
	binary.LittleEndian.PutUint16(h[34:], 16) // bits per sample
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], data)
	return h
}

// Frame takes one frame of dir's audio (0 caller, 1 agent). The n-th frames
// of the two sides are written side by side; pcm is copied, so the caller
// may reuse it. Frames after Close, or of another dir, are ignored.
func (w *Writer) Frame(dir int, pcm []int16) {
	if dir != 0 && dir != 1 || len(pcm) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.err != nil || w.full {
		return
	}
	d, o := dir, 1-dir
	if w.hold[o] {
		w.seen[o] += len(pcm)
	}
	// A frame of d arriving while the other side is well ahead comes after
	// a gap in d. Its next frame tells which gap: if the other side sent
	// meanwhile, d is back at its normal pace and skipped the gap, so the
	// waiting audio of the other side is written against silence up to
	// d's held frames; if not, d is bursting out late frames, which pair
	// with the waiting ones as usual.
	if lead := len(w.pend[o]); lead > slackFrames*frameSamples && !w.hold[o] {
		switch {
		case !w.hold[d]:
			w.hold[d], w.seen[d] = true, 0
		case w.seen[d] > 0:
			if extra := lead - len(w.pend[d]) - len(pcm); extra > 0 {
				w.writeAlone(o, extra)
			}
			w.hold[d] = false
		default:
			w.hold[d] = false
		}
	} else {
		w.hold[d] = false
	}
	n := len(w.pend[d])
	w.pend[d] = append(w.pend[d], pcm...)
	if w.paused {
		clear(w.pend[d][n:])
		w.pausedSamp[d] += int64(len(pcm))
	}
	if !w.hold[0] && !w.hold[1] {
		w.pair()
	}
	if extra := len(w.pend[o]) - maxLeadFrames*frameSamples; extra > 0 {
		w.writeAlone(o, extra)
	}
	if extra := len(w.pend[d]) - maxLeadFrames*frameSamples; extra > 0 {
		w.writeAlone(d, extra)
	}
	w.maybeFlush()
}

// pair writes what both sides have.
func (w *Writer) pair() {
	n := min(len(w.pend[0]), len(w.pend[1]))
	if n == 0 {
		return
	}
	w.write(w.pend[0][:n], w.pend[1][:n], n)
	w.consume(0, n)
	w.consume(1, n)
}

// writeAlone writes side's n oldest samples against silence on the other.
func (w *Writer) writeAlone(side, n int) {
	n = min(n, len(w.pend[side]))
	if side == 0 {
		w.write(w.pend[0][:n], nil, n)
	} else {
		w.write(nil, w.pend[1][:n], n)
	}
	w.consume(side, n)
}

// consume drops side's n oldest samples, keeping the backing array.
func (w *Writer) consume(side, n int) {
	p := w.pend[side]
	w.pend[side] = p[:copy(p, p[n:])]
}

// write appends n stereo sample frames; a nil channel is silence.
func (w *Writer) write(left, right []int16, n int) {
	if w.err != nil || w.full {
		return
	}
	if room := (maxData - w.data) / blockAlign; int64(n) > room {
		n = int(room)
		w.full = true
		w.log.Warn("recording reached the WAV size limit; the rest is not recorded", "path", w.path)
	}
	b := w.scratch[:0]
	for i := range n {
		var l, r int16
		if left != nil {
			l = left[i]
		}
		if right != nil {
			r = right[i]
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(l))
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	w.scratch = b
	if _, err := w.bw.Write(b); err != nil {
		w.fail(err)
		return
	}
	w.data += int64(len(b))
	w.unflushed += len(b)
}

func (w *Writer) maybeFlush() {
	if w.unflushed < w.flushBytes || w.err != nil {
		return
	}
	if err := w.bw.Flush(); err != nil {
		w.fail(err)
		return
	}
	w.unflushed = 0
}

// fail keeps the first write error: the rest of the call is not recorded,
// and Close reports it.
func (w *Writer) fail(err error) {
	if w.err == nil {
		w.err = fmt.Errorf("write recording %s: %w", w.path, err)
		w.log.Error("recording write failed; the rest is not recorded", "path", w.path, "err", err)
	}
}

// Pause blanks both channels from now until Resume, keeping their length so
// that times in the file stay true. Audio already received is kept.
func (w *Writer) Pause() {
	w.mu.Lock()
	w.paused = true
	w.mu.Unlock()
}

// Resume ends a Pause.
func (w *Writer) Resume() {
	w.mu.Lock()
	w.paused = false
	w.mu.Unlock()
}

// Paused reports whether the writer is paused.
func (w *Writer) Paused() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.paused
}

// Close writes what is still buffered (a missing side as silence), fills
// in the header's sizes and closes the file. Calling it again returns the
// same result.
func (w *Writer) Close() (Info, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.info, w.err
	}
	w.closed = true
	w.hold = [2]bool{}
	w.pair()
	w.writeAlone(0, len(w.pend[0]))
	w.writeAlone(1, len(w.pend[1]))
	if w.err == nil {
		if err := w.bw.Flush(); err != nil {
			w.fail(err)
		}
	}
	// Even after a write error the header is fixed for what reached the
	// file, so that the part recorded plays.
	if err := writeSizes(w.f, w.data); err != nil {
		w.fail(err)
	}
	if err := w.f.Sync(); err != nil {
		w.fail(err)
	}
	if err := w.f.Close(); err != nil {
		w.fail(err)
	}
	w.info = Info{
		Duration:  samplesDuration(w.data / blockAlign),
		Bytes:     headerSize + w.data,
		PausedFor: samplesDuration(max(w.pausedSamp[0], w.pausedSamp[1])),
	}
	return w.info, w.err
}

func samplesDuration(n int64) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}

// Repair makes a recording file that was never closed (contactd stopped
// mid-call) playable: it drops a partial trailing sample frame and sets the
// header's sizes from the file's length. A file whose header is already
// right is left unchanged. PausedFor is not known from the file and is 0.
func Repair(path string) (Info, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Info{}, fmt.Errorf("repair recording: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("repair recording %s: %w", path, err)
	}
	size := st.Size()
	if size < headerSize {
		return Info{}, fmt.Errorf("repair recording %s: %d bytes is shorter than a WAV header", path, size)
	}
	h := make([]byte, headerSize)
	if _, err := io.ReadFull(f, h); err != nil {
		return Info{}, fmt.Errorf("repair recording %s: %w", path, err)
	}
	align := int64(binary.LittleEndian.Uint16(h[32:]))
	rate := int64(binary.LittleEndian.Uint32(h[28:]))
	if string(h[0:4]) != "RIFF" || string(h[8:16]) != "WAVEfmt " || binary.LittleEndian.Uint32(h[16:]) != 16 ||
		binary.LittleEndian.Uint16(h[20:]) != 1 || string(h[36:40]) != "data" || align == 0 || rate == 0 {
		return Info{}, fmt.Errorf("repair recording %s: %w", path, errNotWAV)
	}
	data := (size - headerSize) / align * align
	if data > maxData {
		return Info{}, fmt.Errorf("repair recording %s: %d bytes of audio do not fit a WAV header", path, data)
	}
	info := Info{Duration: time.Duration(data) * time.Second / time.Duration(rate), Bytes: headerSize + data}
	riffOK := int64(binary.LittleEndian.Uint32(h[4:])) == data+36
	dataOK := int64(binary.LittleEndian.Uint32(h[40:])) == data
	if riffOK && dataOK && data == size-headerSize {
		return info, nil
	}
	if data != size-headerSize {
		if err := f.Truncate(headerSize + data); err != nil {
			return Info{}, fmt.Errorf("repair recording %s: %w", path, err)
		}
	}
	if err := writeSizes(f, data); err != nil {
		return Info{}, fmt.Errorf("repair recording %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return Info{}, fmt.Errorf("repair recording %s: %w", path, err)
	}
	return info, nil
}

// writeSizes sets the RIFF and data chunk sizes for data bytes of audio.
func writeSizes(f *os.File, data int64) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(data+36))
	if _, err := f.WriteAt(b[:], 4); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(b[:], uint32(data))
	_, err := f.WriteAt(b[:], 40)
	return err
}

var errNotWAV = errors.New("not a PCM WAV file with the canonical 44-byte header")
