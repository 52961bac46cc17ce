package recording

import (
	"context"
	"encoding/binary"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store/storetest"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newRecorder(t *testing.T, s *Store, dir string, clk *fakeClock, log *slog.Logger) *Recorder {
	t.Helper()
	return NewRecorder(RecorderOptions{Dir: dir, Store: s, Now: clk.Now, Logger: log})
}

func feed(a *Active, evs []ev) {
	for _, e := range evs {
		a.Frame(e.dir, frame(e.dir, e.n))
	}
}

func TestRecorderStartStop(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		dir := filepath.Join(t.TempDir(), "recordings")
		clk := &fakeClock{t: t0}
		r := newRecorder(t, s, dir, clk, nil)

		a, err := r.Start(ctx, Meta{CallID: "c1", Queue: "support", Agent: "alice", Customer: "+441234"})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := r.Active("c1"); a.ID() != "c1" || !ok || got != a {
			t.Errorf("got id %q, registered %v, want c1 registered", a.ID(), ok)
		}
		if got, ok := r.ActiveForCall("c1"); !ok || got != a {
			t.Errorf("got %v, %v, want the recording of c1", got, ok)
		}
		feed(a, pairs(0, 50))
		a.Pause()
		if !a.Paused() {
			t.Error("got not paused, want paused")
		}
		feed(a, pairs(50, 75))
		a.Resume()
		feed(a, pairs(75, 100))
		clk.Add(2 * time.Second)
		rec, err := a.Stop(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := Recording{ID: "c1", CallID: "c1", Queue: "support", Agent: "alice", Customer: "+441234",
			Path: "2026/11/22/c1.wav", Status: StatusComplete, StartedAt: t0, EndedAt: t0.Add(2 * time.Second),
			Duration: 2 * time.Second, Bytes: headerSize + 2*byteRate, PausedFor: 500 * time.Millisecond}
		if *rec != want {
			t.Errorf("got %+v, want %+v", *rec, want)
		}
		if got, err := s.Get(ctx, "c1"); err != nil || *got != want {
			t.Errorf("got %+v, %v, want %+v", got, err, want)
		}
		if again, err := a.Stop(ctx); err != nil || again != rec {
			t.Errorf("got %+v, %v on a second Stop, want the first result", again, err)
		}
		if got, want := r.Path(rec), filepath.Join(dir, "2026", "11", "22", "c1.wav"); got != want {
			t.Errorf("got %v, want %v", got, want)
		}
		left, right := readWAV(t, r.Path(rec))
		checkChannel(t, "left", 0, left, cat(frames(0, 50), silence(25), frames(75, 100)))
		checkChannel(t, "right", 1, right, cat(frames(0, 50), silence(25), frames(75, 100)))
		if _, ok := r.Active("c1"); ok {
			t.Error("got c1 still active after Stop, want it gone")
		}
		if _, ok := r.ActiveForCall("c1"); ok {
			t.Error("got c1 still active for its call after Stop, want none")
		}

		// The call's next recording (say, after a transfer) gets its own id
		// and file; a call id unfit for a file name still gives a file in Dir.
		for _, tc := range []struct{ call, id, path string }{
			{"c1", "c1-r1", "2026/11/22/c1-r1.wav"},
			{"c1", "c1-r2", "2026/11/22/c1-r2.wav"},
			{"../x/y z", "../x/y z", "2026/11/22/.._x_y_z.wav"},
		} {
			a, err := r.Start(ctx, Meta{CallID: tc.call})
			if err != nil {
				t.Fatal(err)
			}
			rec, err := a.Stop(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rec.ID != tc.id || rec.Path != tc.path {
				t.Errorf("got %q at %q, want %q at %q", rec.ID, rec.Path, tc.id, tc.path)
			}
			if _, err := os.Stat(r.Path(rec)); err != nil {
				t.Errorf("got %v, want the file", err)
			}
		}
	})
}

// Stop still closes the row when the call's context has already ended.
func TestStopWithCancelledContext(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		s := openStore(t, backend)
		r := newRecorder(t, s, t.TempDir(), &fakeClock{t: t0}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		a, err := r.Start(ctx, Meta{CallID: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if rec, err := a.Stop(ctx); err != nil || rec.Status != StatusComplete {
			t.Errorf("got %+v, %v, want complete", rec, err)
		}
	})
}

func TestRecover(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		dir := t.TempDir()
		clk := &fakeClock{t: t0}
		before := newRecorder(t, s, dir, clk, nil)

		// Mid-call when contactd died: 1.2 s sent, 1 s of it flushed.
		crashed, err := before.Start(ctx, Meta{CallID: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		feed(crashed, pairs(0, 60))
		crashed.w.f.Close()
		// Died before it could create the file.
		if err := s.Start(ctx, &Recording{ID: "c2", CallID: "c2", Path: "2026/11/22/c2.wav", StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
		// Finished before the crash.
		done, err := before.Start(ctx, Meta{CallID: "c3"})
		if err != nil {
			t.Fatal(err)
		}
		feed(done, pairs(0, 10))
		doneRec, err := done.Stop(ctx)
		if err != nil {
			t.Fatal(err)
		}

		after := newRecorder(t, s, dir, clk, nil)
		n, err := after.Recover(ctx)
		if err != nil || n != 2 {
			t.Fatalf("got %v, %v, want 2 recovered", n, err)
		}
		for _, tc := range []struct {
			id     string
			status string
			dur    time.Duration
			bytes  int64
		}{
			{"c1", StatusInterrupted, time.Second, headerSize + byteRate},
			{"c2", StatusInterrupted, 0, 0},
			{"c3", StatusComplete, doneRec.Duration, doneRec.Bytes},
		} {
			got, err := s.Get(ctx, tc.id)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status || got.Duration != tc.dur || got.Bytes != tc.bytes || !got.EndedAt.Equal(got.StartedAt.Add(tc.dur)) && tc.id != "c3" {
				t.Errorf("%s: got %s %v %d bytes ended %v, want %s %v %d bytes ended %v", tc.id, got.Status, got.Duration, got.Bytes, got.EndedAt,
					tc.status, tc.dur, tc.bytes, got.StartedAt.Add(tc.dur))
			}
		}
		rec, _ := s.Get(ctx, "c1")
		b, err := os.ReadFile(after.Path(rec))
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint32(b[40:]); got != byteRate {
			t.Errorf("got data size %v, want %v", got, byteRate)
		}
		left, right := readWAV(t, after.Path(rec))
		checkChannel(t, "left", 0, left, frames(0, 50))
		checkChannel(t, "right", 1, right, frames(0, 50))

		if n, err := after.Recover(ctx); err != nil || n != 0 {
			t.Errorf("got %v, %v on a second Recover, want 0, nil", n, err)
		}
	})
}

func TestSweep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		s := openStore(t, backend)
		dir := t.TempDir()
		r := newRecorder(t, s, dir, &fakeClock{t: t0}, nil)
		now := t0.AddDate(0, 0, 60)
		keep := 30 * 24 * time.Hour
		rows := []struct {
			id      string
			status  string
			ended   time.Time
			file    bool
			deleted bool
		}{
			{"old", StatusComplete, now.Add(-keep - time.Second), true, true},
			{"old-interrupted", StatusInterrupted, now.Add(-keep - time.Hour), true, true},
			{"old-file-gone", StatusComplete, now.Add(-keep - time.Hour), false, true},
			{"young", StatusComplete, now.Add(-keep + time.Second), true, false},
			{"still-recording", StatusRecording, time.Time{}, true, false},
		}
		for i, row := range rows {
			started := t0.Add(time.Duration(i) * time.Hour)
			if row.status != StatusRecording {
				started = row.ended.Add(-time.Minute)
			}
			rec := &Recording{ID: row.id, CallID: row.id, Path: started.Format("2006/01/02/") + row.id + ".wav", StartedAt: started}
			if err := s.Start(ctx, rec); err != nil {
				t.Fatal(err)
			}
			switch row.status {
			case StatusComplete:
				err := s.Finish(ctx, row.id, Info{Duration: time.Minute}, row.ended)
				if err != nil {
					t.Fatal(err)
				}
			case StatusInterrupted:
				if err := s.Interrupt(ctx, row.id, Info{}, row.ended); err != nil {
					t.Fatal(err)
				}
			}
			if row.file {
				p := r.Path(rec)
				os.MkdirAll(filepath.Dir(p), 0o750)
				if err := os.WriteFile(p, header(36, 0), 0o640); err != nil {
					t.Fatal(err)
				}
			}
		}

		if n, err := r.Sweep(ctx, now, 0); err != nil || n != 0 {
			t.Errorf("got %v, %v with keep 0, want nothing deleted", n, err)
		}
		n, err := r.Sweep(ctx, now, keep)
		if err != nil || n != 3 {
			t.Errorf("got %v, %v, want 3 deleted", n, err)
		}
		for _, row := range rows {
			rec, err := s.Get(ctx, row.id)
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(r.Path(rec))
			exists := statErr == nil
			if (rec.Status == StatusDeleted) != row.deleted || exists == row.deleted && row.file {
				t.Errorf("%s: got status %s, file %v, want deleted %v", row.id, rec.Status, exists, row.deleted)
			}
		}
		if n, err := r.Sweep(ctx, now, keep); err != nil || n != 0 {
			t.Errorf("got %v, %v on a second sweep, want 0, nil", n, err)
		}
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("got %v, want the recordings dir kept", err)
		}
	})
}

// logSignal passes on the messages logged, so a test can wait for one.
type logSignal struct{ msgs chan string }

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.msgs <- r.Message:
	default:
	}
	return nil
}
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSignal) WithGroup(string) slog.Handler      { return h }

func TestRunRetention(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := openStore(t, backend)
		clk := &fakeClock{t: t0.AddDate(0, 0, 10)}
		h := logSignal{msgs: make(chan string, 16)}
		r := newRecorder(t, s, t.TempDir(), clk, slog.New(h))
		if err := s.Start(ctx, &Recording{ID: "c1", CallID: "c1", Path: "2026/11/22/c1.wav", StartedAt: t0}); err != nil {
			t.Fatal(err)
		}
		if err := s.Finish(ctx, "c1", Info{}, t0); err != nil {
			t.Fatal(err)
		}

		r.RunRetention(ctx, time.Hour, 0) // keep forever: returns at once
		done := make(chan struct{})
		go func() {
			r.RunRetention(ctx, time.Hour, 24*time.Hour)
			close(done)
		}()
		for msg := range h.msgs {
			if msg == "recording retention sweep" {
				break
			}
		}
		cancel()
		<-done
		if rec, err := s.Get(context.Background(), "c1"); err != nil || rec.Status != StatusDeleted {
			t.Errorf("got %+v, %v, want deleted by the first sweep", rec, err)
		}
	})
}
