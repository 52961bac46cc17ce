// Package agentdb keeps the agents created, changed and deleted at run time
// through the API, so that a restart keeps them. Agents of the config file
// are merged with these by the caller: a saved agent overrides the file's,
// and a deleted one (a tombstone) hides it.
package agentdb

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

// Agent is one saved agent.
type Agent struct {
	ID       string
	Name     string
	Password string // in clear: SIP digest needs it (see migration 0003)
	Skills   map[string]int
	// UpdatedAt is when the agent was last saved, to the microsecond, UTC.
	UpdatedAt time.Time
}

// DB reads and writes saved agents on an open, migrated database.
type DB struct {
	db *sql.DB
}

// New returns the agent store on db, which must have had store.Migrate run.
func New(db *sql.DB) *DB { return &DB{db: db} }

var errNoID = errors.New("empty agent id")

// Put saves a, replacing any agent (or tombstone) with the same id.
func (d *DB) Put(ctx context.Context, a Agent) error {
	if a.ID == "" {
		return fmt.Errorf("put agent: %w", errNoID)
	}
	skills := a.Skills
	if skills == nil {
		skills = map[string]int{}
	}
	b, err := json.Marshal(skills)
	if err != nil {
		return fmt.Errorf("put agent %s: skills: %w", a.ID, err)
	}
	// ON CONFLICT ... excluded works on SQLite (3.24+) and PostgreSQL alike.
	_, err = d.db.ExecContext(ctx, `INSERT INTO agents (id, name, password, skills, updated_at, deleted) VALUES ($1, $2, $3, $4, $5, 0)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, password = excluded.password, skills = excluded.skills,
			updated_at = excluded.updated_at, deleted = 0`,
		a.ID, a.Name, a.Password, string(b), micros(a.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put agent %s: %w", a.ID, err)
	}
	return nil
}

// Delete removes agent id by leaving a tombstone, so that an agent the
// config file defines stays deleted after a restart. The tombstone keeps
// no name, password or skills. Deleting an unknown id still records one,
// since the id may be in the config file, which this package cannot see.
func (d *DB) Delete(ctx context.Context, id string, now time.Time) error {
	if id == "" {
		return fmt.Errorf("delete agent: %w", errNoID)
	}
	_, err := d.db.ExecContext(ctx, `INSERT INTO agents (id, name, password, skills, updated_at, deleted) VALUES ($1, '', '', '{}', $2, 1)
		ON CONFLICT (id) DO UPDATE SET name = '', password = '', skills = '{}', updated_at = excluded.updated_at, deleted = 1`,
		id, micros(now))
	if err != nil {
		return fmt.Errorf("delete agent %s: %w", id, err)
	}
	return nil
}

// List returns the saved agents and the ids of deleted ones, each sorted
// by id. Neither slice is nil, and every agent's Skills is non-nil.
func (d *DB) List(ctx context.Context) (agents []Agent, deleted []string, err error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, name, password, skills, updated_at, deleted FROM agents ORDER BY id`)
	if err != nil {
		return nil, nil, fmt.Errorf("list agents: %w", err)
	}
	defer rows.Close()
	agents, deleted = []Agent{}, []string{}
	for rows.Next() {
		var a Agent
		var skills string
		var updated, gone int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Password, &skills, &updated, &gone); err != nil {
			return nil, nil, fmt.Errorf("list agents: %w", err)
		}
		if gone != 0 {
			deleted = append(deleted, a.ID)
			continue
		}
		if err := json.Unmarshal([]byte(skills), &a.Skills); err != nil {
			return nil, nil, fmt.Errorf("list agents: agent %s: skills: %w", a.ID, err)
		}
		if a.Skills == nil { // a hand-edited 'null'
			a.Skills = map[string]int{}
		}
		a.UpdatedAt = fromMicros(updated)
		agents = append(agents, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list agents: %w", err)
	}
	return agents, deleted, nil
}
