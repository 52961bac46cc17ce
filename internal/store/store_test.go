package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/contactd/contactd/internal/store"
	"github.com/contactd/contactd/internal/store/storetest"
	"github.com/contactd/contactd/timeline"
)

// Reopening an existing database applies nothing twice and keeps the data.
func TestMigrationsApplyOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		dsn := storetest.DSN(t, backend)
		db, err := store.Open(ctx, store.Options{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO calls (id, caller, dialled, started_at) VALUES ('c1', '1', '2', 1)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = store.Open(ctx, store.Options{DSN: dsn})
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
	})
}

// Nodes starting at once on one PostgreSQL database all come up, and each
// migration is applied once. (SQLite is one node's embedded file.)
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	dsn := storetest.DSN(t, storetest.Postgres)
	const nodes = 4
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := store.Open(ctx, store.Options{DSN: dsn})
			if err == nil {
				db.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: got %v, want nil", i, err)
		}
	}
	check, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var versions, distinct int
	if err := check.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&versions, &distinct); err != nil {
		t.Fatal(err)
	}
	if want := migrationFiles(t); versions != want || distinct != want {
		t.Errorf("got %d migrations recorded (%d distinct), want %d", versions, distinct, want)
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
	storetest.Run(t, testLaterMigrationsApplyOnVersion1Database)
}

func testLaterMigrationsApplyOnVersion1Database(t *testing.T, backend string) {
	ctx := context.Background()
	dsn := storetest.DSN(t, backend)
	first, err := os.ReadFile("migrations/0001_calls.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open(storetest.Driver(backend), dsn)
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

	db, err := store.Open(ctx, store.Options{DSN: dsn})
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

// SQLite only: a PostgreSQL DSN has no data dir to create.
func TestOpenBadDataDir(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{DataDir: "/proc/contactd-cannot-create"})
	if err == nil {
		t.Fatal("got nil error, want one naming the data dir")
	}
}

// A PostgreSQL DSN's password appears in no error; host and database do.
func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	dsn := "postgres://contactd:s3cret-pw@127.0.0.1:1/calls?sslmode=disable&connect_timeout=2"
	_, err := store.Open(context.Background(), store.Options{DSN: dsn})
	if err == nil {
		t.Fatal("got nil error opening a closed port, want one")
	}
	if msg := err.Error(); strings.Contains(msg, "s3cret-pw") || !strings.Contains(msg, "127.0.0.1:1/calls") {
		t.Errorf("got %q, want host and database without the password", msg)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		dsn      string
		postgres bool
		want     string
	}{
		{"/var/lib/contactd/contactd.db", false, "/var/lib/contactd/contactd.db"},
		{"file:contactd.db?mode=rwc", false, "file:contactd.db?mode=rwc"},
		{"postgres://u:pw@db.example:5432/contactd?sslmode=require", true, "postgres db.example:5432/contactd"},
		{"postgresql://db.example/contactd", true, "postgres db.example/contactd"},
		{"postgres://u:pw@db.example/x%zz", true, "postgres (unparsable DSN)"},
		{"mysql://db.example/contactd", false, "mysql://db.example/contactd"},
	}
	for _, tt := range tests {
		if got := store.IsPostgres(tt.dsn); got != tt.postgres {
			t.Errorf("IsPostgres(%q): got %v, want %v", tt.dsn, got, tt.postgres)
		}
		if got := store.Describe(tt.dsn); got != tt.want {
			t.Errorf("Describe(%q): got %v, want %v", tt.dsn, got, tt.want)
		}
	}
}

func TestCheckDSN(t *testing.T) {
	tests := []struct {
		dsn  string
		want string // "" for valid, else part of the error
	}{
		{"", ""},
		{"/var/lib/contactd/contactd.db", ""},
		{"data/contactd.db", ""},
		{"file:contactd.db?mode=rwc", ""},
		{"file:///var/lib/contactd/contactd.db", ""},
		{"postgres://u:s3cret@db.example:5432/contactd?sslmode=require", ""},
		{"postgresql://db.example/contactd", ""},
		{"postgres:///contactd?host=/run/postgresql", ""},
		{"postgres:///contactd", "names no host"},
		{"postgres://u:s3cret@db.example/x%zz", "not a valid postgres:// URL"},
		{"mysql://u:s3cret@db.example/contactd", `unsupported scheme "mysql"`},
		{"host=db.example dbname=contactd password=s3cret", "key=value DSNs are not supported"},
	}
	for _, tt := range tests {
		err := store.CheckDSN(tt.dsn)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if (tt.want == "") != (err == nil) || !strings.Contains(got, tt.want) {
			t.Errorf("CheckDSN(%q): got %v, want %q", tt.dsn, err, tt.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("CheckDSN(%q): got %q, want no password in it", tt.dsn, got)
		}
	}
}
