package store_test

import (
	"context"
	"testing"

	"github.com/contactd/contactd/internal/store"
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
	if versions != 1 || calls != 1 {
		t.Errorf("got %d migrations recorded and %d calls, want 1 and 1", versions, calls)
	}
}

func TestOpenBadDataDir(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{DataDir: "/proc/contactd-cannot-create"})
	if err == nil {
		t.Fatal("got nil error, want one naming the data dir")
	}
}
