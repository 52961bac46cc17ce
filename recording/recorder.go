package recording

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// stopTimeout bounds the database write that ends a recording; see Stop.
const stopTimeout = 10 * time.Second

// RecorderOptions configures NewRecorder.
type RecorderOptions struct {
	Dir    string // where the files go, e.g. data/recordings
	Store  *Store
	Now    func() time.Time // nil means time.Now
	Logger *slog.Logger
}

// Meta says whose conversation a recording is.
type Meta struct {
	CallID   string
	Queue    string
	Agent    string
	Customer string
}

// Recorder records calls: a file under Dir and a row in Store for each, a
// registry of the recordings in progress, crash recovery and retention.
type Recorder struct {
	dir   string
	store *Store
	now   func() time.Time
	log   *slog.Logger

	// files serialises choosing ids and creating files with retention's
	// removal of empty directories, which could otherwise remove the
	// directory a new recording is about to be created in.
	files sync.Mutex

	mu     sync.Mutex
	active map[string]*Active
}

// NewRecorder returns a recorder. Dir is made absolute, so that Path gives
// paths that do not depend on the working directory.
func NewRecorder(opts RecorderOptions) *Recorder {
	r := &Recorder{dir: opts.Dir, store: opts.Store, now: opts.Now, log: opts.Logger, active: map[string]*Active{}}
	if abs, err := filepath.Abs(opts.Dir); err == nil {
		r.dir = abs
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	return r
}

// Active is a recording in progress.
type Active struct {
	r   *Recorder
	w   *Writer
	rec Recording // as started; not changed until Stop

	mu      sync.Mutex
	stopped bool
	result  *Recording
	err     error
}

// Start begins recording a call: the row (status recording) and the file
// Dir/YYYY/MM/DD/<id>.wav. The id is the call id, with a suffix -r1, -r2,
// ... for the call's later recordings. Pass the result's Frame as the
// bridge's tap.
func (r *Recorder) Start(ctx context.Context, m Meta) (*Active, error) {
	if m.CallID == "" {
		return nil, errors.New("start recording: no call id")
	}
	now := r.now().UTC()
	r.files.Lock()
	defer r.files.Unlock()
	id, err := r.newID(ctx, m.CallID)
	if err != nil {
		return nil, err
	}
	rec := Recording{
		ID: id, CallID: m.CallID, Queue: m.Queue, Agent: m.Agent, Customer: m.Customer,
		Path:      path.Join(now.Format("2006/01/02"), fileName(id)+".wav"),
		StartedAt: now,
	}
	// The row comes first: a crash before the file exists leaves a row
	// that Recover closes, never a file that nothing refers to.
	if err := r.store.Start(ctx, &rec); err != nil {
		return nil, err
	}
	log := r.log.With("recording_id", id, "call_id", m.CallID)
	w, err := Create(r.Path(&rec), WriterOptions{Logger: log})
	if err != nil {
		if e := r.store.Interrupt(context.WithoutCancel(ctx), id, Info{}, now); e != nil {
			log.Error("close row of recording that could not start", "err", e)
		}
		return nil, err
	}
	a := &Active{r: r, w: w, rec: rec}
	r.mu.Lock()
	r.active[id] = a
	r.mu.Unlock()
	log.Info("recording started", "path", rec.Path)
	return a, nil
}

// newID picks the call's next free recording id.
func (r *Recorder) newID(ctx context.Context, callID string) (string, error) {
	recs, err := r.store.ForCall(ctx, callID)
	if err != nil {
		return "", fmt.Errorf("start recording of call %s: %w", callID, err)
	}
	for n := len(recs); ; n++ {
		id := callID
		if n > 0 {
			id = fmt.Sprintf("%s-r%d", callID, n)
		}
		_, err := r.store.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return id, nil
		}
		if err != nil {
			return "", fmt.Errorf("start recording of call %s: %w", callID, err)
		}
	}
}

// fileName makes an id safe as a file name: call ids come from outside.
func fileName(id string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '_'
	}, id)
}

// Path is the absolute path of a recording's file, or "" if its stored path
// would lead outside Dir.
func (r *Recorder) Path(rec *Recording) string {
	p := filepath.FromSlash(rec.Path)
	if !filepath.IsLocal(p) {
		return ""
	}
	return filepath.Join(r.dir, p)
}

// Active returns the recording in progress with this id.
func (r *Recorder) Active(id string) (*Active, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.active[id]
	return a, ok
}

// ActiveForCall returns the call's recording in progress, the latest
// started if there are several.
func (r *Recorder) ActiveForCall(callID string) (*Active, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var found *Active
	for _, a := range r.active {
		if a.rec.CallID == callID && (found == nil || a.rec.StartedAt.After(found.rec.StartedAt) ||
			a.rec.StartedAt.Equal(found.rec.StartedAt) && a.rec.ID > found.rec.ID) {
			found = a
		}
	}
	return found, found != nil
}

// ID is the recording's id.
func (a *Active) ID() string { return a.rec.ID }

// CallID is the recorded call's id.
func (a *Active) CallID() string { return a.rec.CallID }

// Frame writes one 20 ms frame of dir's audio (0 caller, 1 agent); it is
// the bridge's tap.
func (a *Active) Frame(dir int, pcm []int16) { a.w.Frame(dir, pcm) }

// Pause blanks the recording (both sides) until Resume, e.g. while the
// customer gives a card number.
func (a *Active) Pause() {
	a.w.Pause()
	a.r.log.Info("recording paused", "recording_id", a.rec.ID, "call_id", a.rec.CallID)
}

// Resume ends a Pause.
func (a *Active) Resume() {
	a.w.Resume()
	a.r.log.Info("recording resumed", "recording_id", a.rec.ID, "call_id", a.rec.CallID)
}

// Paused reports whether the recording is paused.
func (a *Active) Paused() bool { return a.w.Paused() }

// Stop closes the file and marks the recording complete. The row is
// written even if ctx is already done, as it usually is when a hang-up
// ends the call's context, within stopTimeout. If the file could not be
// written the recording is marked interrupted with what the file holds.
// Later calls return the first call's result.
func (a *Active) Stop(ctx context.Context) (*Recording, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return a.result, a.err
	}
	a.stopped = true
	r := a.r
	log := r.log.With("recording_id", a.rec.ID, "call_id", a.rec.CallID)
	info, werr := a.w.Close()
	r.mu.Lock()
	delete(r.active, a.rec.ID)
	r.mu.Unlock()
	ended := r.now().UTC()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	rec := a.rec
	rec.EndedAt, rec.Duration, rec.Bytes, rec.PausedFor = ended, info.Duration, info.Bytes, info.PausedFor
	if werr != nil {
		if ri, err := Repair(r.Path(&rec)); err == nil {
			rec.Duration, rec.Bytes = ri.Duration, ri.Bytes
		}
		rec.Status = StatusInterrupted
		if err := r.store.Interrupt(ctx, rec.ID, Info{Duration: rec.Duration, Bytes: rec.Bytes, PausedFor: rec.PausedFor}, ended); err != nil {
			werr = errors.Join(werr, err)
		}
		log.Error("recording ended with an error", "duration_ms", rec.Duration.Milliseconds(), "err", werr)
		a.result, a.err = &rec, werr
		return a.result, a.err
	}
	if err := r.store.Finish(ctx, rec.ID, info, ended); err != nil {
		// The row stays "recording"; Recover closes it at the next start.
		log.Error("recording finished but not marked complete", "err", err)
		a.result, a.err = nil, err
		return nil, err
	}
	rec.Status = StatusComplete
	log.Info("recording complete", "duration_ms", rec.Duration.Milliseconds(), "paused_ms", rec.PausedFor.Milliseconds(), "bytes", rec.Bytes)
	a.result = &rec
	return a.result, nil
}

// Recover closes the recordings a crash left marked recording: each file
// is repaired and the row marked interrupted with the repaired duration,
// ending at its start plus that duration (a missing or unreadable file
// gives 0). Run it at start-up, before calls are recorded; recordings in
// progress in this process are left alone. It returns how many rows it
// closed.
func (r *Recorder) Recover(ctx context.Context) (int, error) {
	recs, err := r.store.Pending(ctx)
	if err != nil {
		return 0, fmt.Errorf("recover recordings: %w", err)
	}
	var n int
	var errs []error
	for _, rec := range recs {
		if _, ok := r.Active(rec.ID); ok {
			continue
		}
		log := r.log.With("recording_id", rec.ID, "call_id", rec.CallID, "path", rec.Path)
		p := r.Path(rec)
		var info Info
		var err error
		if p == "" {
			err = fmt.Errorf("recording %s: path %q is outside the recordings directory", rec.ID, rec.Path)
		} else {
			info, err = Repair(p)
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			log.Warn("interrupted recording has no file")
		case err != nil:
			log.Error("interrupted recording could not be repaired", "err", err)
			info = Info{}
			if st, serr := os.Stat(p); serr == nil {
				info.Bytes = st.Size()
			}
		default:
			log.Info("interrupted recording repaired", "duration_ms", info.Duration.Milliseconds(), "bytes", info.Bytes)
		}
		if err := r.store.Interrupt(ctx, rec.ID, info, rec.StartedAt.Add(info.Duration)); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("recover recordings: %w", err)
	}
	return n, nil
}

// Sweep deletes the files of complete and interrupted recordings that
// ended more than keep before now and marks them deleted; their rows stay.
// keep <= 0 keeps everything. A file that cannot be removed is left for the
// next sweep. It returns how many recordings it deleted.
func (r *Recorder) Sweep(ctx context.Context, now time.Time, keep time.Duration) (int, error) {
	if keep <= 0 {
		return 0, nil
	}
	recs, err := r.store.Expired(ctx, now.Add(-keep))
	if err != nil {
		return 0, fmt.Errorf("sweep recordings: %w", err)
	}
	var n int
	var errs []error
	for _, rec := range recs {
		if p := r.Path(rec); p != "" {
			// A file already gone was removed by a sweep that stopped
			// before marking its row.
			if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("delete recording %s: %w", rec.ID, err))
				continue
			}
			r.pruneDirs(filepath.Dir(p))
		}
		if err := r.store.MarkDeleted(ctx, rec.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		r.log.Info("recording deleted", "recording_id", rec.ID, "call_id", rec.CallID, "ended_at", rec.EndedAt)
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("sweep recordings: %w", err)
	}
	return n, nil
}

// pruneDirs removes dir and its parents up to Dir while they are empty,
// so that old days do not leave empty directories behind.
func (r *Recorder) pruneDirs(dir string) {
	r.files.Lock()
	defer r.files.Unlock()
	for d := dir; d != r.dir && strings.HasPrefix(d, r.dir+string(filepath.Separator)); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return
		}
	}
}

// RunRetention runs Sweep now and then every every (0 means an hour) until
// ctx is done, deleting recordings older than keep; keep <= 0 keeps them
// forever and returns at once. Errors are logged.
func (r *Recorder) RunRetention(ctx context.Context, every, keep time.Duration) {
	if keep <= 0 {
		r.log.Info("recording retention off: recordings are kept forever")
		return
	}
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		r.sweepLogged(ctx, keep)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepLogged is one retention run. A panic is logged rather than allowed
// to take the daemon and its calls down with it.
func (r *Recorder) sweepLogged(ctx context.Context, keep time.Duration) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("recording retention sweep panicked", "panic", fmt.Sprint(p))
		}
	}()
	n, err := r.Sweep(ctx, r.now(), keep)
	if err != nil && ctx.Err() == nil {
		r.log.Error("recording retention sweep", "deleted", n, "err", err)
		return
	}
	r.log.Debug("recording retention sweep", "deleted", n, "keep", keep.String())
}

// Get returns a recording's metadata.
func (r *Recorder) Get(ctx context.Context, id string) (*Recording, error) {
	return r.store.Get(ctx, id)
}

// ForCall lists a call's recordings, oldest first.
func (r *Recorder) ForCall(ctx context.Context, callID string) ([]*Recording, error) {
	return r.store.ForCall(ctx, callID)
}

// File is the recording's file on disk (see Path).
func (r *Recorder) File(rec *Recording) string { return r.Path(rec) }

// SetPaused pauses or resumes the latest recording in progress on a call;
// false when the call is not being recorded.
func (r *Recorder) SetPaused(callID string, paused bool) (*Active, bool) {
	a, ok := r.ActiveForCall(callID)
	if !ok {
		return nil, false
	}
	if paused {
		a.Pause()
	} else {
		a.Resume()
	}
	return a, true
}
