package feedback

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/dbtime"
)

// The store's time columns (see dbtime).
var (
	micros     = dbtime.Micros
	fromMicros = dbtime.FromMicros
)

// Store keeps survey results in the feedback_answers and feedback_comments
// tables. Its SQL is portable: $N placeholders, integer microsecond times.
type Store struct {
	db *sql.DB
}

// NewStore returns a store on an open, migrated database.
func NewStore(db *sql.DB) *Store { return &Store{db: db} }

// Record is one call's survey result with what it is reported by.
type Record struct {
	CallID   string
	Agent    string
	Queue    string
	Customer string
	Survey   string
	Result   Result
	// At stands in for answers without a time, and dates the comment.
	At time.Time
}

// Save writes a call's result in one transaction, replacing any earlier
// one for the call so that a retried save does not count twice. A survey
// nobody answered is stored as its skipped rows; a result with no answers
// at all is an error, as it would otherwise vanish from the aggregates.
func (s *Store) Save(ctx context.Context, r Record) error {
	if r.CallID == "" {
		return errors.New("save feedback: empty call id")
	}
	if len(r.Result.Answers) == 0 {
		return fmt.Errorf("save feedback for call %s: no answers, not even skipped ones", r.CallID)
	}
	for _, a := range r.Result.Answers {
		if !a.Scale.valid() {
			return fmt.Errorf("save feedback for call %s: question %q: unknown scale %d", r.CallID, a.Question, int(a.Scale))
		}
		if !a.Skipped && !a.Scale.Contains(a.Score) {
			return fmt.Errorf("save feedback for call %s: question %q: score %d is not on scale %v", r.CallID, a.Question, a.Score, a.Scale)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save feedback for call %s: %w", r.CallID, err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM feedback_answers WHERE call_id = $1`, `DELETE FROM feedback_comments WHERE call_id = $1`} {
		if _, err := tx.ExecContext(ctx, q, r.CallID); err != nil {
			return fmt.Errorf("save feedback for call %s: clear earlier result: %w", r.CallID, err)
		}
	}
	for i, a := range r.Result.Answers {
		var score sql.NullInt64
		if !a.Skipped {
			score = sql.NullInt64{Int64: int64(a.Score), Valid: true}
		}
		at := a.At
		if at.IsZero() {
			at = r.At
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_answers
			(call_id, seq, question, scale, score, skipped, agent, queue, customer, survey, answered_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.CallID, i, a.Question, a.Scale.String(), score, boolInt(a.Skipped), r.Agent, r.Queue, r.Customer, r.Survey, micros(at)); err != nil {
			return fmt.Errorf("save feedback for call %s: question %q: %w", r.CallID, a.Question, err)
		}
	}
	if c := r.Result.Comment; c != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO feedback_comments (call_id, recording_id, length_ms, recorded_at) VALUES ($1, $2, $3, $4)`,
			r.CallID, c.RecordingID, c.Length.Milliseconds(), micros(r.At)); err != nil {
			return fmt.Errorf("save feedback for call %s: comment: %w", r.CallID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save feedback for call %s: commit: %w", r.CallID, err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ForCall returns a call's answers in question order; none is not an error.
func (s *Store) ForCall(ctx context.Context, callID string) ([]Answer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT question, scale, score, skipped, answered_at FROM feedback_answers WHERE call_id = $1 ORDER BY seq`, callID)
	if err != nil {
		return nil, fmt.Errorf("feedback for call %s: %w", callID, err)
	}
	defer rows.Close()
	answers := []Answer{}
	for rows.Next() {
		var a Answer
		var scale string
		var score sql.NullInt64
		var skipped int
		var at int64
		if err := rows.Scan(&a.Question, &scale, &score, &skipped, &at); err != nil {
			return nil, fmt.Errorf("feedback for call %s: %w", callID, err)
		}
		if a.Scale, err = ParseScale(scale); err != nil {
			return nil, fmt.Errorf("feedback for call %s: question %q: %w", callID, a.Question, err)
		}
		a.Score, a.Skipped, a.At = int(score.Int64), skipped != 0, fromMicros(at)
		answers = append(answers, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feedback for call %s: %w", callID, err)
	}
	return answers, nil
}

// CommentFor returns a call's recorded comment; nil when there is none.
func (s *Store) CommentFor(ctx context.Context, callID string) (*CommentRef, error) {
	var c CommentRef
	var ms int64
	err := s.db.QueryRowContext(ctx, `SELECT recording_id, length_ms FROM feedback_comments WHERE call_id = $1`, callID).Scan(&c.RecordingID, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feedback comment for call %s: %w", callID, err)
	}
	c.Length = time.Duration(ms) * time.Millisecond
	return &c, nil
}

// LastScore returns the customer's most recent headline score: the first
// answered question (in survey order) of their latest call with any answer.
// The first question is the overall one by convention, and the one alerts
// default to. ok is false when there is none or customer is empty
// (withheld numbers are not one customer).
func (s *Store) LastScore(ctx context.Context, customer string) (score int, scale Scale, at time.Time, ok bool, err error) {
	if customer == "" {
		return 0, 0, time.Time{}, false, nil
	}
	var name string
	var us int64
	err = s.db.QueryRowContext(ctx, `SELECT score, scale, answered_at FROM feedback_answers
		WHERE customer = $1 AND skipped = 0 AND call_id = (
			SELECT call_id FROM feedback_answers WHERE customer = $1 AND skipped = 0
			ORDER BY answered_at DESC, call_id DESC LIMIT 1)
		ORDER BY seq LIMIT 1`, customer).Scan(&score, &name, &us)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, 0, time.Time{}, false, fmt.Errorf("last feedback score of %s: %w", customer, err)
	}
	if scale, err = ParseScale(name); err != nil {
		return 0, 0, time.Time{}, false, fmt.Errorf("last feedback score of %s: %w", customer, err)
	}
	return score, scale, fromMicros(us), true, nil
}

// Filter selects the answers a summary covers; empty fields select all.
// Since is inclusive and Until exclusive, both on the answer's time.
type Filter struct {
	Queue    string
	Agent    string
	Survey   string
	Question string
	Since    time.Time
	Until    time.Time
}

// Summary aggregates one question's answers on one scale.
type Summary struct {
	Question string `json:"question"`
	Scale    Scale  `json:"scale"`
	// Count is the answered questions, Skipped the others.
	Count   int     `json:"count"`
	Skipped int     `json:"skipped"`
	Average float64 `json:"average"`
	// Distribution has every score of the scale, zeros included, so a
	// chart needs no gap filling.
	Distribution map[int]int `json:"distribution"`
	// CSAT is the percentage of answers Scale.Satisfied counts.
	CSAT float64 `json:"csat"`
	// NPS, on 0–10 only, is % promoters (9–10) minus % detractors (0–6).
	NPS *float64 `json:"nps,omitempty"`
}

// Summaries aggregates the filtered answers, one Summary per question id
// and scale, ordered by question then scale. Averaging across questions
// or scales would mix unlike things (a 4 of 5 is not a 4 of 10), so it is
// never done; set Filter.Question for one question. A question whose scale
// was changed yields one Summary per scale. Averages and percentages are 0
// when nothing was answered.
func (s *Store) Summaries(ctx context.Context, f Filter) ([]Summary, error) {
	var where []string
	var args []any
	cond := func(col string, op string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf("%s %s $%d", col, op, len(args)))
	}
	for _, c := range []struct{ col, v string }{{"queue", f.Queue}, {"agent", f.Agent}, {"survey", f.Survey}, {"question", f.Question}} {
		if c.v != "" {
			cond(c.col, "=", c.v)
		}
	}
	if !f.Since.IsZero() {
		cond("answered_at", ">=", f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		cond("answered_at", "<", f.Until.UnixMicro())
	}
	q := `SELECT question, scale, skipped, score, COUNT(*) FROM feedback_answers`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` GROUP BY question, scale, skipped, score`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("feedback summary: %w", err)
	}
	defer rows.Close()
	type key struct {
		question string
		scale    Scale
	}
	byKey := map[key]*Summary{}
	for rows.Next() {
		var question, name string
		var skipped, n int
		var score sql.NullInt64
		if err := rows.Scan(&question, &name, &skipped, &score, &n); err != nil {
			return nil, fmt.Errorf("feedback summary: %w", err)
		}
		scale, err := ParseScale(name)
		if err != nil {
			return nil, fmt.Errorf("feedback summary: question %q: %w", question, err)
		}
		k := key{question, scale}
		sum := byKey[k]
		if sum == nil {
			sum = &Summary{Question: question, Scale: scale, Distribution: map[int]int{}}
			for v := scale.Min(); v <= scale.Max(); v++ {
				sum.Distribution[v] = 0
			}
			byKey[k] = sum
		}
		if skipped != 0 || !score.Valid {
			sum.Skipped += n
			continue
		}
		// Save keeps scores on their scale; one that is not (edited by hand)
		// is left out rather than skewing the figures.
		if v := int(score.Int64); scale.Contains(v) {
			sum.Distribution[v] += n
			sum.Count += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feedback summary: %w", err)
	}
	out := make([]Summary, 0, len(byKey))
	for _, sum := range byKey {
		sum.finish()
		out = append(out, *sum)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Question != out[j].Question {
			return out[i].Question < out[j].Question
		}
		return out[i].Scale < out[j].Scale
	})
	return out, nil
}

// finish computes the figures from Count and Distribution.
func (s *Summary) finish() {
	if s.Count == 0 {
		if s.Scale == Scale0to10 {
			zero := 0.0
			s.NPS = &zero
		}
		return
	}
	total, satisfied, promoters, detractors := 0, 0, 0, 0
	for v, n := range s.Distribution {
		total += v * n
		if s.Scale.Satisfied(v) {
			satisfied += n
		}
		switch {
		case v >= 9:
			promoters += n
		case v <= 6:
			detractors += n
		}
	}
	c := float64(s.Count)
	s.Average = float64(total) / c
	s.CSAT = 100 * float64(satisfied) / c
	if s.Scale == Scale0to10 {
		nps := 100 * float64(promoters-detractors) / c
		s.NPS = &nps
	}
}

// CallScore is one call's first answered question, the one reports take
// for its CSAT (by convention the overall question; see LastScore).
type CallScore struct {
	Question string
	Scale    Scale
	Score    int
}

// FirstScores returns, by call id, the first answered question of every
// call answered in [since, until).
func (s *Store) FirstScores(ctx context.Context, since, until time.Time) (map[string]CallScore, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT call_id, question, scale, score FROM feedback_answers
		WHERE skipped = 0 AND answered_at >= $1 AND answered_at < $2 ORDER BY call_id, seq`, micros(since), micros(until))
	if err != nil {
		return nil, fmt.Errorf("first scores: %w", err)
	}
	defer rows.Close()
	out := map[string]CallScore{}
	for rows.Next() {
		var id, scale string
		var cs CallScore
		var score sql.NullInt64
		if err := rows.Scan(&id, &cs.Question, &scale, &score); err != nil {
			return nil, fmt.Errorf("first scores: %w", err)
		}
		if _, seen := out[id]; seen || !score.Valid {
			continue
		}
		if cs.Scale, err = ParseScale(scale); err != nil {
			return nil, fmt.Errorf("first scores: call %s: %w", id, err)
		}
		cs.Score = int(score.Int64)
		out[id] = cs
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("first scores: %w", err)
	}
	return out, nil
}
