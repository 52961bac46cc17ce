package recording

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample is the k-th sample (from the start of the call) of dir's test
// signal: distinct and never zero for the first 4 s, so that every sample
// shows where it landed.
func sample(dir, k int) int16 {
	v := int16(k%32000 + 1)
	if dir == 1 {
		return -v
	}
	return v
}

// frame is dir's n-th 20 ms frame of the test signal.
func frame(dir, n int) []int16 {
	pcm := make([]int16, frameSamples)
	for i := range pcm {
		pcm[i] = sample(dir, n*frameSamples+i)
	}
	return pcm
}

// ev is one call on the writer: a frame of dir, or pause/resume.
type ev struct{ dir, n int }

const (
	evPause  = -1
	evResume = -2
)

// pairs is frames from..to-1 of both sides, caller first.
func pairs(from, to int) []ev {
	var evs []ev
	for n := from; n < to; n++ {
		evs = append(evs, ev{0, n}, ev{1, n})
	}
	return evs
}

// agentFirst is frames from..to-1 of both sides, agent first.
func agentFirst(from, to int) []ev {
	var evs []ev
	for n := from; n < to; n++ {
		evs = append(evs, ev{1, n}, ev{0, n})
	}
	return evs
}

// only is frames from..to-1 of dir alone.
func only(dir, from, to int) []ev {
	var evs []ev
	for n := from; n < to; n++ {
		evs = append(evs, ev{dir, n})
	}
	return evs
}

func cat[T any](parts ...[]T) []T {
	var all []T
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// frames is the expected source frame of each slot of a channel: from..to-1.
func frames(from, to int) []int {
	var s []int
	for n := from; n < to; n++ {
		s = append(s, n)
	}
	return s
}

// silence is k slots of silence in the expectation.
func silence(k int) []int {
	s := make([]int, k)
	for i := range s {
		s[i] = -1
	}
	return s
}

func play(w *Writer, evs []ev) {
	for _, e := range evs {
		switch e.dir {
		case evPause:
			w.Pause()
		case evResume:
			w.Resume()
		default:
			w.Frame(e.dir, frame(e.dir, e.n))
		}
	}
}

// readWAV checks that path is our stereo 8 kHz 16-bit WAV with right sizes
// and returns its channels.
func readWAV(t *testing.T, path string) (left, right []int16) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < headerSize {
		t.Fatalf("got %d bytes, want at least a header", len(b))
	}
	data := len(b) - headerSize
	want := header(uint32(data+36), uint32(data))
	if !bytes.Equal(b[:headerSize], want) {
		t.Fatalf("got header %x, want %x", b[:headerSize], want)
	}
	if data%blockAlign != 0 {
		t.Fatalf("got %d data bytes, want whole stereo frames", data)
	}
	for i := headerSize; i < len(b); i += blockAlign {
		left = append(left, int16(binary.LittleEndian.Uint16(b[i:])))
		right = append(right, int16(binary.LittleEndian.Uint16(b[i+2:])))
	}
	return left, right
}

// checkChannel compares a channel, slot by slot, with the expected source
// frames (-1 for silence).
func checkChannel(t *testing.T, name string, dir int, got []int16, want []int) {
	t.Helper()
	if len(got) != len(want)*frameSamples {
		t.Errorf("%s: got %d samples, want %d", name, len(got), len(want)*frameSamples)
		return
	}
	for slot, n := range want {
		for i := range frameSamples {
			var w int16
			if n >= 0 {
				w = sample(dir, n*frameSamples+i)
			}
			if g := got[slot*frameSamples+i]; g != w {
				t.Errorf("%s slot %d sample %d: got %v, want %v (frame %d)", name, slot, i, g, w, n)
				return
			}
		}
	}
}

func TestWriterPlacesEachSideInItsChannel(t *testing.T) {
	for _, tc := range []struct {
		name        string
		evs         []ev
		left, right []int // source frame per slot, -1 silence
		paused      time.Duration
	}{
		{
			name: "both in step",
			evs:  pairs(0, 100),
			left: frames(0, 100), right: frames(0, 100),
		},
		{
			name: "agent first",
			evs:  agentFirst(0, 100),
			left: frames(0, 100), right: frames(0, 100),
		},
		{
			name: "agent drifts two frames behind",
			evs: func() []ev {
				evs := only(0, 0, 2)
				for n := 2; n < 100; n++ {
					evs = append(evs, ev{0, n}, ev{1, n - 2})
				}
				return append(evs, ev{1, 98}, ev{1, 99})
			}(),
			left: frames(0, 100), right: frames(0, 100),
		},
		{
			name: "agent silent",
			evs:  only(0, 0, 100),
			left: frames(0, 100), right: silence(100),
		},
		{
			name: "caller silent",
			evs:  only(1, 0, 100),
			left: silence(100), right: frames(0, 100),
		},
		{
			name: "agent skips 30 frames after a stall",
			evs:  cat(pairs(0, 20), only(0, 20, 50), pairs(50, 150)),
			left: frames(0, 150), right: cat(frames(0, 20), silence(30), frames(50, 150)),
		},
		{
			name: "agent skips 6 frames",
			evs:  cat(pairs(0, 20), only(0, 20, 26), pairs(26, 100)),
			left: frames(0, 100), right: cat(frames(0, 20), silence(6), frames(26, 100)),
		},
		{
			name: "caller skips 30 frames after a stall, agent first",
			evs:  cat(pairs(0, 20), only(1, 20, 50), agentFirst(50, 150)),
			left: cat(frames(0, 20), silence(30), frames(50, 150)), right: frames(0, 150),
		},
		{
			name: "agent 8 frames late, then bursts",
			evs:  cat(pairs(0, 20), only(0, 20, 28), only(1, 20, 28), pairs(28, 100)),
			left: frames(0, 100), right: frames(0, 100),
		},
		{
			name: "agent stops",
			evs:  cat(pairs(0, 20), only(0, 20, 100)),
			left: frames(0, 100), right: cat(frames(0, 20), silence(80)),
		},
		{
			name:   "paused for 5 frames",
			evs:    cat(pairs(0, 10), []ev{{evPause, 0}}, pairs(10, 15), []ev{{evResume, 0}}, pairs(15, 20)),
			left:   cat(frames(0, 10), silence(5), frames(15, 20)),
			right:  cat(frames(0, 10), silence(5), frames(15, 20)),
			paused: 100 * time.Millisecond,
		},
		{
			name:   "paused between the sides of a frame",
			evs:    cat(pairs(0, 10), only(0, 10, 11), []ev{{evPause, 0}}, only(1, 10, 11), pairs(11, 13), []ev{{evResume, 0}}, pairs(13, 20)),
			left:   cat(frames(0, 11), silence(2), frames(13, 20)),
			right:  cat(frames(0, 10), silence(3), frames(13, 20)),
			paused: 60 * time.Millisecond,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a", "b", "rec.wav")
			w, err := Create(path, WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			play(w, tc.evs)
			info, err := w.Close()
			if err != nil {
				t.Fatal(err)
			}
			left, right := readWAV(t, path)
			checkChannel(t, "left", 0, left, tc.left)
			checkChannel(t, "right", 1, right, tc.right)
			want := Info{
				Duration:  time.Duration(len(tc.left)) * 20 * time.Millisecond,
				Bytes:     int64(headerSize + len(tc.left)*frameSamples*blockAlign),
				PausedFor: tc.paused,
			}
			if info != want {
				t.Errorf("got %+v, want %+v", info, want)
			}
			if st, err := os.Stat(path); err != nil || st.Size() != want.Bytes || st.Mode().Perm() != 0o640 {
				t.Errorf("got %v, %v, want %d bytes, mode 0640", st, err, want.Bytes)
			}
		})
	}
}

func TestWriterIgnoresFramesAfterClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	w, err := Create(path, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	play(w, pairs(0, 5))
	first, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	play(w, pairs(5, 10))
	again, err := w.Close()
	if err != nil || again != first {
		t.Errorf("got %+v, %v, want %+v, nil", again, err, first)
	}
	left, _ := readWAV(t, path)
	if got, want := len(left), 5*frameSamples; got != want {
		t.Errorf("got %v samples, want %v", got, want)
	}
	if _, err := Create(path, WriterOptions{}); err == nil {
		t.Error("got nil error creating over a recording, want one")
	}
}

// A writer abandoned mid-call (the process died) leaves the audio of every
// whole second flushed, with the header's sizes still 0; Repair makes it a
// valid file of that length with its audio intact.
func TestRepairAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	w, err := Create(path, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	play(w, pairs(0, 120)) // 2.4 s: 2 s flushed, 0.4 s in memory
	w.f.Close()            // the crash: the buffer is lost
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{1, 2, 3}) // a write cut short mid-sample
	f.Close()

	b, _ := os.ReadFile(path)
	if got, want := len(b), headerSize+2*byteRate+3; got != want {
		t.Fatalf("got %v bytes after the crash, want %v", got, want)
	}
	if riff, data := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[40:]); riff != 0 || data != 0 {
		t.Errorf("got sizes %v and %v while writing, want 0 and 0", riff, data)
	}

	info, err := Repair(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Duration: 2 * time.Second, Bytes: headerSize + 2*byteRate}); info != want {
		t.Errorf("got %+v, want %+v", info, want)
	}
	left, right := readWAV(t, path)
	checkChannel(t, "left", 0, left, frames(0, 100))
	checkChannel(t, "right", 1, right, frames(0, 100))

	before, _ := os.ReadFile(path)
	again, err := Repair(path)
	after, _ := os.ReadFile(path)
	if err != nil || again != info || !bytes.Equal(before, after) {
		t.Errorf("got %+v, %v, changed %v on a second repair, want %+v, nil, unchanged", again, err, !bytes.Equal(before, after), info)
	}
}

func TestRepairLeavesClosedFileUnchanged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rec.wav")
	w, err := Create(path, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	play(w, pairs(0, 7))
	want, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	st, _ := os.Stat(path)
	got, err := Repair(path)
	after, _ := os.ReadFile(path)
	st2, _ := os.Stat(path)
	want.PausedFor = 0
	if err != nil || got != want || !bytes.Equal(before, after) || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("got %+v, %v, changed %v, want %+v, nil, unchanged", got, err, !bytes.Equal(before, after), want)
	}
}

func TestRepairRejects(t *testing.T) {
	dir := t.TempDir()
	notWAV := bytes.Repeat([]byte("this is not audio "), 4)
	for _, tc := range []struct {
		name    string
		content []byte // nil: no file
		want    string
	}{
		{name: "missing", want: "no such file"},
		{name: "short", content: []byte("RIFF\x00\x00"), want: "shorter than a WAV header"},
		{name: "not a wav", content: notWAV, want: "not a PCM WAV"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".wav")
			if tc.content != nil {
				if err := os.WriteFile(path, tc.content, 0o640); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Repair(path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error naming %s and saying %q", err, path, tc.want)
			}
			if tc.content != nil {
				if b, _ := os.ReadFile(path); !bytes.Equal(b, tc.content) {
					t.Errorf("got the file changed, want it left alone")
				}
			}
		})
	}
}

func BenchmarkFrame(b *testing.B) {
	w, err := Create(filepath.Join(b.TempDir(), "bench.wav"), WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	pcm := [2][]int16{frame(0, 1), frame(1, 1)}
	b.SetBytes(frameSamples * 2)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		w.Frame(i&1, pcm[i&1])
	}
	b.StopTimer()
	if _, err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// The tap's goroutine and the API's may use a writer at once (run with
// -race); Close ends it cleanly whatever the tap is doing.
func TestWriterConcurrentPauseAndClose(t *testing.T) {
	w, err := Create(filepath.Join(t.TempDir(), "rec.wav"), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		play(w, pairs(0, 500))
	}()
	for range 50 {
		w.Pause()
		w.Resume()
	}
	info, err := w.Close()
	<-done
	if err != nil || info.Duration > 10*time.Second {
		t.Errorf("got %+v, %v, want at most 10 s and no error", info, err)
	}
}
