package recording

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/contactd/contactd/internal/dbtime"
)

// The store's time columns (see dbtime).
var (
	micros     = dbtime.Micros
	fromMicros = dbtime.FromMicros
)

// Statuses of a recording.
const (
	StatusRecording   = "recording"   // the call is up and being written
	StatusComplete    = "complete"    // closed at the end of the call
	StatusInterrupted = "interrupted" // contactd stopped mid-call; the file was repaired at start-up
	StatusDeleted     = "deleted"     // retention removed the file; the row stays as a record
)

// ErrNotFound is returned for an unknown recording id.
var ErrNotFound = errors.New("not found")

// Recording is one recording's metadata.
type Recording struct {
	ID        string
	CallID    string
	Queue     string
	Agent     string
	Customer  string
	Path      string // file, relative to the recordings directory, with '/'
	Status    string
	StartedAt time.Time
	EndedAt   time.Time // zero while recording
	Duration  time.Duration
	Bytes     int64
	PausedFor time.Duration
}

// Store reads and writes recording metadata.
type Store struct {
	db *sql.DB
}

// NewStore returns a store on an open, migrated database.
func NewStore(db *sql.DB) *Store { return &Store{db: db} }

// Start writes the row of a recording that is beginning, with status
// recording, so that a crash leaves a trace for Recover.
func (s *Store) Start(ctx context.Context, r *Recording) error {
	if r.ID == "" || r.CallID == "" || r.Path == "" {
		return fmt.Errorf("start recording %q: id, call id and path are required", r.ID)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO recordings (id, call_id, queue, agent, customer, path, status, started_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.CallID, r.Queue, r.Agent, r.Customer, r.Path, StatusRecording, micros(r.StartedAt))
	if err != nil {
		return fmt.Errorf("start recording %s: %w", r.ID, err)
	}
	r.Status = StatusRecording
	return nil
}

// Finish marks a recording complete with its file's info.
func (s *Store) Finish(ctx context.Context, id string, info Info, endedAt time.Time) error {
	return s.end(ctx, id, StatusComplete, info, endedAt)
}

// Interrupt marks a recording that contactd stopped in the middle of as
// interrupted, with what its repaired file holds.
func (s *Store) Interrupt(ctx context.Context, id string, info Info, endedAt time.Time) error {
	return s.end(ctx, id, StatusInterrupted, info, endedAt)
}

func (s *Store) end(ctx context.Context, id, status string, info Info, endedAt time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE recordings SET status=$2, ended_at=$3, duration_ms=$4, bytes=$5, paused_ms=$6
		WHERE id=$1 AND status=$7`,
		id, status, micros(endedAt), info.Duration.Milliseconds(), info.Bytes, info.PausedFor.Milliseconds(), StatusRecording)
	if err != nil {
		return fmt.Errorf("mark recording %s %s: %w", id, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.notRecording(ctx, id, status)
	}
	return nil
}

// notRecording explains why a recording could not change to status.
func (s *Store) notRecording(ctx context.Context, id, status string) error {
	r, err := s.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("mark recording %s %s: %w", id, status, err)
	}
	return fmt.Errorf("mark recording %s %s: it is %s", id, status, r.Status)
}

// MarkDeleted records that a complete or interrupted recording's file is
// gone.
func (s *Store) MarkDeleted(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE recordings SET status=$2 WHERE id=$1 AND status IN ($3, $4)`,
		id, StatusDeleted, StatusComplete, StatusInterrupted)
	if err != nil {
		return fmt.Errorf("mark recording %s deleted: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return s.notRecording(ctx, id, StatusDeleted)
	}
	return nil
}

const recordingColumns = `id, call_id, queue, agent, customer, path, status, started_at, ended_at, duration_ms, bytes, paused_ms`

func scanRecording(sc interface{ Scan(...any) error }) (*Recording, error) {
	var r Recording
	var started, ended, durMS, pausedMS int64
	if err := sc.Scan(&r.ID, &r.CallID, &r.Queue, &r.Agent, &r.Customer, &r.Path, &r.Status,
		&started, &ended, &durMS, &r.Bytes, &pausedMS); err != nil {
		return nil, err
	}
	r.StartedAt, r.EndedAt = fromMicros(started), fromMicros(ended)
	r.Duration = time.Duration(durMS) * time.Millisecond
	r.PausedFor = time.Duration(pausedMS) * time.Millisecond
	return &r, nil
}

// Get returns one recording.
func (s *Store) Get(ctx context.Context, id string) (*Recording, error) {
	r, err := scanRecording(s.db.QueryRowContext(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE id=$1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("recording %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", id, err)
	}
	return r, nil
}

// ForCall returns a call's recordings, oldest first.
func (s *Store) ForCall(ctx context.Context, callID string) ([]*Recording, error) {
	return s.list(ctx, "recordings of call "+callID, `WHERE call_id=$1 ORDER BY started_at, id`, callID)
}

// Pending returns the recordings still marked recording, oldest first: at
// start-up, those a crash interrupted.
func (s *Store) Pending(ctx context.Context) ([]*Recording, error) {
	return s.list(ctx, "pending recordings", `WHERE status=$1 ORDER BY started_at, id`, StatusRecording)
}

// Expired returns the complete and interrupted recordings that ended
// before before, oldest first.
func (s *Store) Expired(ctx context.Context, before time.Time) ([]*Recording, error) {
	return s.list(ctx, "expired recordings", `WHERE status IN ($1, $2) AND ended_at < $3 ORDER BY ended_at, id`,
		StatusComplete, StatusInterrupted, micros(before))
}

func (s *Store) list(ctx context.Context, what, where string, args ...any) ([]*Recording, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+recordingColumns+` FROM recordings `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	recs := []*Recording{}
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return recs, nil
}
