// Package spool keeps call records safe while the database is away: a
// write that fails goes to a file under the data directory, in order, and
// is written to the database once it answers again, also after a restart.
// Calls never wait for the database to come back.
package spool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/contactd/contactd/timeline"
)

// Records is the store the spool protects.
type Records interface {
	Start(ctx context.Context, c *timeline.Call) error
	Finish(ctx context.Context, c *timeline.Call) error
}

// Options configures New.
type Options struct {
	// Path is the spool file (e.g. data/spool/calls.jsonl).
	Path   string
	Store  Records
	Logger *slog.Logger
	// Retry is how often a non-empty spool is tried again (default 2 s).
	Retry time.Duration
}

// entry is one write waiting for the database.
type entry struct {
	Op   string         `json:"op"` // start or finish
	Call *timeline.Call `json:"call"`
}

// Spool writes call records through to Store, or into the file when Store
// fails or the file already holds writes (so a call's start is never
// written after its finish).
type Spool struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	pending []entry
	wake    chan struct{}
}

// New opens the spool, loading what an earlier run left in the file.
func New(opts Options) (*Spool, error) {
	if opts.Retry <= 0 {
		opts.Retry = 2 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Spool{opts: opts, log: log, wake: make(chan struct{}, 1)}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o750); err != nil {
		return nil, fmt.Errorf("spool dir: %w", err)
	}
	f, err := os.Open(opts.Path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open spool: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Call == nil {
			// A line cut by a crash: everything before it is whole.
			log.Warn("spool: skipping a damaged line", "path", opts.Path)
			continue
		}
		s.pending = append(s.pending, e)
	}
	if len(s.pending) > 0 {
		log.Warn("spool: call records waiting for the database", "records", len(s.pending))
	}
	return s, nil
}

// Start writes a new call's record.
func (s *Spool) Start(ctx context.Context, c *timeline.Call) error {
	return s.write(ctx, entry{Op: "start", Call: c})
}

// Finish writes an ended call's record.
func (s *Spool) Finish(ctx context.Context, c *timeline.Call) error {
	return s.write(ctx, entry{Op: "finish", Call: c})
}

// Pending is how many writes wait for the database.
func (s *Spool) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func (s *Spool) write(ctx context.Context, e entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		err := s.apply(ctx, e)
		if err == nil {
			return nil
		}
		s.log.Warn("spool: database write failed; keeping the record on disk", "op", e.Op, "call_id", e.Call.ID, "err", err)
	}
	// Copy: the caller goes on changing its record.
	c := *e.Call
	e.Call = &c
	s.pending = append(s.pending, e)
	if err := s.saveLocked(); err != nil {
		return fmt.Errorf("spool %s of call %s: %w", e.Op, c.ID, err)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

func (s *Spool) apply(ctx context.Context, e entry) error {
	switch e.Op {
	case "start":
		return s.opts.Store.Start(ctx, e.Call)
	case "finish":
		return s.opts.Store.Finish(ctx, e.Call)
	}
	return fmt.Errorf("unknown spool op %q", e.Op)
}

// saveLocked rewrites the file with what is pending, atomically.
func (s *Spool) saveLocked() error {
	if len(s.pending) == 0 {
		if err := os.Remove(s.opts.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	tmp := s.opts.Path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range s.pending {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, s.opts.Path)
}

// Flush writes what is pending, in order, until the database refuses one.
func (s *Spool) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	var err error
	for _, e := range s.pending {
		// Writing twice is harmless (Start ignores a record that is
		// there, Finish overwrites), so a try that committed but whose
		// answer was lost costs nothing.
		if err = s.apply(ctx, e); err != nil {
			break
		}
		n++
	}
	if n > 0 {
		s.pending = append(s.pending[:0], s.pending[n:]...)
		if serr := s.saveLocked(); serr != nil {
			return fmt.Errorf("spool: %w", serr)
		}
		s.log.Info("spool: call records written to the database", "records", n, "left", len(s.pending))
	}
	return err
}

// Run retries the spool until ctx ends.
func (s *Spool) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Retry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
			continue // the write that just failed: wait a tick
		}
		if s.Pending() > 0 {
			if err := s.Flush(ctx); err != nil {
				s.log.Debug("spool: database still refuses", "err", err)
			}
		}
	}
}
