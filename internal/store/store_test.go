package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/contactd/contactd/internal/store"
	"github.com/contactd/contactd/timeline"
)

// Reopening an existing database applies nothing twice and keeps the data.
func TestMigrationsApplyOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO calls (id, caller, dialled, started_at) VALUES ('c1', '1', '2', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	var versions, calls int
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&versions)
	db.QueryRowContext(ctx, `SELECT COUNT(*) FROM calls`).Scan(&calls)
	if want := migrationFiles(t); versions != want || calls != 1 {
		t.Errorf("got %d migrations recorded and %d calls, want %d and 1", versions, calls, want)
	}
}

// migrationFiles counts the migrations shipped, so adding one needs no
// change here.
func migrationFiles(t *testing.T) int {
	t.Helper()
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("got %d migration files, %v; want some", len(names), err)
	}
	return len(names)
}

// A database made by a contactd that had only migration 0001 (and holding
// a call) gains the later schema on Open, and its old call still reads.
func TestLaterMigrationsApplyOnVersion1Database(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	first, err := os.ReadFile("migrations/0001_calls.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", filepath.Join(dir, "contactd.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`,
		string(first),
		`INSERT INTO schema_migrations (version, name) VALUES (1, '0001_calls.sql')`,
		`INSERT INTO calls (id, caller, dialled, started_at, ended_at, outcome, queue) VALUES ('old', '1001', '100', 1000000, 9000000, 'queued', 'support')`,
		`INSERT INTO call_steps (call_id, seq, at, menu, kind) VALUES ('old', 0, 1000000, 'main', 'enter')`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("build version 1 database: %v", err)
		}
	}
	old.Close()

	db, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("open version 1 database: %v", err)
	}
	defer db.Close()
	var version, applied int
	db.QueryRowContext(ctx, `SELECT MAX(version), COUNT(*) FROM schema_migrations`).Scan(&version, &applied)
	if want := migrationFiles(t); version != want || applied != want {
		t.Errorf("got version %d with %d recorded, want %d and %d", version, applied, want, want)
	}

	// The new columns exist on the old row with their defaults.
	var outcome, agent, queueing string
	var queuedAt, waitMS int64
	if err := db.QueryRowContext(ctx, `SELECT queue_outcome, agent, queued_at, wait_ms, queueing FROM calls WHERE id = 'old'`).
		Scan(&outcome, &agent, &queuedAt, &waitMS, &queueing); err != nil {
		t.Fatalf("read new columns: %v", err)
	}
	if outcome != "" || agent != "" || queuedAt != 0 || waitMS != 0 || queueing != "" {
		t.Errorf("got %q %q %d %d %q, want empty defaults", outcome, agent, queuedAt, waitMS, queueing)
	}
	if _, err := db.ExecContext(ctx, `SELECT id, name, password, skills, updated_at, deleted FROM agents`); err != nil {
		t.Errorf("got %v, want the agents table", err)
	}

	calls := timeline.NewCalls(db)
	c, err := calls.Get(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if c.Queue != "support" || c.Queueing != nil || len(c.Path) != 1 {
		t.Errorf("got queue %q queueing %+v path %v, want support, nil, one step", c.Queue, c.Queueing, c.Path)
	}
	c.Queueing = &timeline.Queueing{Queue: "support", Outcome: timeline.QueueAbandoned, WaitSeconds: 3}
	if err := calls.Finish(ctx, c); err != nil {
		t.Fatalf("finish on migrated database: %v", err)
	}
}

func TestOpenBadDataDir(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{DataDir: "/proc/contactd-cannot-create"})
	if err == nil {
		t.Fatal("got nil error, want one naming the data dir")
	}
}
