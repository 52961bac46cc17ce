// Package timeline keeps what happened with each customer, so the next
// agent sees the history.
//
// Call records (Calls) hold who called, what they dialled, the IVR path
// they took and how the call ended. Customer events (Events) are the
// customer's timeline: each step of every call and the contacts from other
// channels (email, chat, orders, agents' notes), keyed by CustomerID, with
// the summary and SIP screen-pop headers an agent is shown.
package timeline

import (
	"context"
	"database/sql"
	"encoding/json"
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

// Outcomes a call can end with. The IVR adds its own (self_service, queued,
// after_hours, abandoned_in_ivr, ...); these are the ones set outside it.
const (
	OutcomeFailed      = "failed"      // contactd could not run the call
	OutcomeInterrupted = "interrupted" // contactd stopped (crash) mid-call
)

// Call is one call's record.
type Call struct {
	ID      string `json:"id"`
	Caller  string `json:"caller"`
	Dialled string `json:"dialled"`
	// Customer is whose timeline the call is in (see CustomerID).
	Customer   string    `json:"customer,omitempty"`
	Menu       string    `json:"menu,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	Outcome    string    `json:"outcome,omitempty"`
	EndReason  string    `json:"end_reason,omitempty"`
	Queue      string    `json:"queue,omitempty"`
	// Reason is the label of the last labelled menu option the caller
	// chose: why they called.
	Reason    string            `json:"reason,omitempty"`
	Language  string            `json:"language,omitempty"`
	Transport string            `json:"transport,omitempty"`
	Vars      map[string]string `json:"vars"`
	Path      []Step            `json:"path"`
	Queueing  *Queueing         `json:"queueing,omitempty"`
}

// Step is one move through the IVR: a menu entered, a digit, an input.
type Step struct {
	At    time.Time `json:"at"`
	Menu  string    `json:"menu"`
	Kind  string    `json:"kind"`
	Value string    `json:"value,omitempty"`
}

// ErrNotFound is returned for an unknown call id.
var ErrNotFound = errors.New("not found")

// Calls reads and writes call records.
type Calls struct {
	db *sql.DB
}

// NewCalls returns a call-record store on an open, migrated database.
func NewCalls(db *sql.DB) *Calls { return &Calls{db: db} }

// Start writes the record of a call that has just arrived, so that it exists
// even if contactd dies before the call ends.
func (s *Calls) Start(ctx context.Context, c *Call) error {
	// ON CONFLICT: writing a start again (a retry from the spool) is a
	// no-op rather than an error.
	_, err := s.db.ExecContext(ctx, `INSERT INTO calls (id, caller, dialled, menu, started_at, transport, customer) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO NOTHING`,
		c.ID, c.Caller, c.Dialled, c.Menu, micros(c.StartedAt), c.Transport, c.Customer)
	if err != nil {
		return fmt.Errorf("start call %s: %w", c.ID, err)
	}
	return nil
}

// Finish writes the complete record of an ended call in one transaction.
func (s *Calls) Finish(ctx context.Context, c *Call) error {
	vars, err := json.Marshal(nonNil(c.Vars))
	if err != nil {
		return fmt.Errorf("finish call %s: vars: %w", c.ID, err)
	}
	qc, err := encodeQueueing(c.Queueing)
	if err != nil {
		return fmt.Errorf("finish call %s: %w", c.ID, err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("finish call %s: %w", c.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE calls SET menu=$2, answered_at=$3, ended_at=$4, outcome=$5, end_reason=$6, queue=$7, language=$8, vars=$9,
		queue_outcome=$10, agent=$11, queued_at=$12, wait_ms=$13, queueing=$14, customer=$15, reason=$16 WHERE id=$1`,
		c.ID, c.Menu, micros(c.AnsweredAt), micros(c.EndedAt), c.Outcome, c.EndReason, c.Queue, c.Language, string(vars),
		qc.outcome, qc.agent, qc.queuedAt, qc.waitMS, qc.json, c.Customer, c.Reason)
	if err != nil {
		return fmt.Errorf("finish call %s: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish call %s: %w", c.ID, ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM call_steps WHERE call_id=$1`, c.ID); err != nil {
		return fmt.Errorf("finish call %s: steps: %w", c.ID, err)
	}
	for i, st := range c.Path {
		if _, err := tx.ExecContext(ctx, `INSERT INTO call_steps (call_id, seq, at, menu, kind, value) VALUES ($1, $2, $3, $4, $5, $6)`,
			c.ID, i, micros(st.At), st.Menu, st.Kind, st.Value); err != nil {
			return fmt.Errorf("finish call %s: step %d: %w", c.ID, i, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("finish call %s: commit: %w", c.ID, err)
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CloseInterrupted marks calls that never finished (contactd stopped while
// they were up) as interrupted at now. It runs at start-up, before any new call.
func (s *Calls) CloseInterrupted(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE calls SET ended_at=$1, outcome=$2, end_reason=$3 WHERE ended_at=0`,
		micros(now), OutcomeInterrupted, "contactd_stopped")
	if err != nil {
		return 0, fmt.Errorf("close interrupted calls: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// The queue_outcome, agent, queued_at and wait_ms columns are copies made
// for filtering; the queueing JSON is what reads back.
const callColumns = `id, caller, dialled, menu, started_at, answered_at, ended_at, outcome, end_reason, queue, language, vars, transport, queueing, customer, reason`

func scanCall(sc interface{ Scan(...any) error }) (*Call, error) {
	var c Call
	var started, answered, ended int64
	var vars, queueing string
	if err := sc.Scan(&c.ID, &c.Caller, &c.Dialled, &c.Menu, &started, &answered, &ended, &c.Outcome, &c.EndReason, &c.Queue, &c.Language, &vars, &c.Transport, &queueing, &c.Customer, &c.Reason); err != nil {
		return nil, err
	}
	c.StartedAt, c.AnsweredAt, c.EndedAt = fromMicros(started), fromMicros(answered), fromMicros(ended)
	if err := json.Unmarshal([]byte(vars), &c.Vars); err != nil {
		return nil, fmt.Errorf("call %s: vars: %w", c.ID, err)
	}
	q, err := decodeQueueing(queueing)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", c.ID, err)
	}
	c.Queueing = q
	c.Path = []Step{}
	return &c, nil
}

// Get returns one call with its IVR path.
func (s *Calls) Get(ctx context.Context, id string) (*Call, error) {
	c, err := scanCall(s.db.QueryRowContext(ctx, `SELECT `+callColumns+` FROM calls WHERE id=$1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("call %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", id, err)
	}
	if err := s.loadSteps(ctx, []*Call{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// LastCall returns the start of caller's most recent call that started
// strictly before before, so that the call being routed (started at
// before) does not count as its own previous call. ok is false when there
// is none or caller is empty (withheld numbers are not one caller).
func (s *Calls) LastCall(ctx context.Context, caller string, before time.Time) (started time.Time, ok bool, err error) {
	if caller == "" {
		return time.Time{}, false, nil
	}
	var last sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(started_at) FROM calls WHERE caller = $1 AND started_at < $2`,
		caller, before.UnixMicro()).Scan(&last); err != nil {
		return time.Time{}, false, fmt.Errorf("last call of %s: %w", caller, err)
	}
	if !last.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(last.Int64), true, nil
}

// Query filters List.
type Query struct {
	Caller string // exact caller number; empty for all
	// Customer is a customer id (see CustomerID); empty for all.
	Customer string
	Queue    string // exact queue name; empty for all
	Agent    string // agent id (or external URI) who answered in the queue; empty for all
	Limit    int    // at most this many, newest first; <=0 means 50
}

// List returns calls newest first, each with its IVR path.
func (s *Calls) List(ctx context.Context, q Query) ([]*Call, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+callColumns+` FROM calls
		WHERE ($1 = '' OR caller = $1) AND ($2 = '' OR queue = $2) AND ($3 = '' OR agent = $3) AND ($5 = '' OR customer = $5)
		ORDER BY started_at DESC, id DESC LIMIT $4`, q.Caller, q.Queue, q.Agent, q.Limit, q.Customer)
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	defer rows.Close()
	calls := []*Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("list calls: %w", err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	if err := s.loadSteps(ctx, calls); err != nil {
		return nil, err
	}
	return calls, nil
}

func (s *Calls) loadSteps(ctx context.Context, calls []*Call) error {
	for _, c := range calls {
		rows, err := s.db.QueryContext(ctx, `SELECT at, menu, kind, value FROM call_steps WHERE call_id=$1 ORDER BY seq`, c.ID)
		if err != nil {
			return fmt.Errorf("call %s: steps: %w", c.ID, err)
		}
		for rows.Next() {
			var st Step
			var at int64
			if err := rows.Scan(&at, &st.Menu, &st.Kind, &st.Value); err != nil {
				rows.Close()
				return fmt.Errorf("call %s: steps: %w", c.ID, err)
			}
			st.At = fromMicros(at)
			c.Path = append(c.Path, st)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("call %s: steps: %w", c.ID, err)
		}
	}
	return nil
}
