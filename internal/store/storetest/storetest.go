// Package storetest gives tests a fresh, migrated database on each backend
// contactd supports: SQLite always, PostgreSQL when a server is reachable.
//
// The PostgreSQL server is the one at $CONTACTD_TEST_POSTGRES (default
// DefaultPostgres). Each test gets a schema of its own, dropped when it
// ends, so tests running in parallel never see each other's rows. When the
// server cannot be reached the postgres variant is skipped, or fails when
// $CI is "true": CI must test both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/store"
)

// Backends, as Backends, Open and DSN name them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// EnvPostgres names the variable holding the test server's DSN.
const EnvPostgres = "CONTACTD_TEST_POSTGRES"

// DefaultPostgres is the test server's DSN when EnvPostgres is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backends lists every backend to run store tests on. The postgres one is
// always listed; Open and DSN skip (or fail, on CI) when it is down, so
// the skip shows in each test's output.
func Backends(t testing.TB) []string {
	t.Helper()
	return []string{SQLite, Postgres}
}

// Run runs f as a subtest named after each backend.
func Run(t *testing.T, f func(t *testing.T, backend string)) {
	t.Helper()
	for _, b := range Backends(t) {
		t.Run(b, func(t *testing.T) { f(t, b) })
	}
}

// ForEach runs f as a subtest per backend, each with a fresh database.
func ForEach(t *testing.T, f func(t *testing.T, db *sql.DB)) {
	t.Helper()
	Run(t, func(t *testing.T, backend string) { f(t, Open(t, backend)) })
}

// Open returns a fresh, migrated database on backend, closed when the test
// ends.
func Open(t testing.TB, backend string) *sql.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DSN: DSN(t, backend)})
	if err != nil {
		t.Fatalf("open %s test database: %v", backend, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns the store.Options.DSN of a new, empty database on backend,
// removed when the test ends. Opening it twice reaches the same data, as a
// restarted contactd would.
func DSN(t testing.TB, backend string) string {
	t.Helper()
	switch backend {
	case SQLite:
		return filepath.Join(t.TempDir(), "contactd.db")
	case Postgres:
		return postgresSchema(t)
	}
	t.Fatalf("unknown store backend %q (want %s or %s)", backend, SQLite, Postgres)
	return ""
}

// Driver is backend's database/sql driver name, for tests that build a
// database by hand before store.Open sees it.
func Driver(backend string) string {
	if backend == Postgres {
		return "pgx"
	}
	return "sqlite"
}

// server is the PostgreSQL test server, connected to once per process.
var server struct {
	once sync.Once
	dsn  string
	db   *sql.DB
	err  error
}

func connectServer() {
	server.dsn = os.Getenv(EnvPostgres)
	if server.dsn == "" {
		server.dsn = DefaultPostgres
	}
	if !store.IsPostgres(server.dsn) {
		server.err = fmt.Errorf("%s is not a postgres:// URL", EnvPostgres)
		return
	}
	db, err := sql.Open("pgx", server.dsn)
	if err != nil {
		server.err = err
		return
	}
	server.db = db
	if server.err = ping(db, time.Second); server.err == nil {
		return
	}
	// A stopped local cluster is the usual cause on a developer machine.
	if !isLocal(server.dsn) {
		return
	}
	started, err := startCluster()
	if !started {
		if err != nil {
			server.err = errors.Join(server.err, err)
		}
		return
	}
	// A failed start (say, "already running") still deserves a retry,
	// but not the wait a cluster coming up needs.
	wait := 10 * time.Second
	if err != nil {
		wait = time.Second
	}
	server.err = ping(db, wait)
	if server.err != nil && err != nil {
		server.err = errors.Join(server.err, err)
	}
}

// isLocal reports whether dsn's server is on this machine, where
// startCluster could help.
func isLocal(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return false
	}
	switch u.Hostname() {
	case "", "127.0.0.1", "localhost", "::1":
		return true
	}
	return false
}

// ping tries db until it answers or wait has passed.
func ping(db *sql.DB, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startCluster starts the local Debian cluster (the newest version under
// /etc/postgresql), reporting whether it tried.
func startCluster() (bool, error) {
	ctl, err := exec.LookPath("pg_ctlcluster")
	if err != nil {
		return false, nil
	}
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) == 0 {
		return false, fmt.Errorf("pg_ctlcluster: no cluster under /etc/postgresql: %v", err)
	}
	names := make([]string, len(versions))
	for i, v := range versions {
		names[i] = v.Name()
	}
	sort.Strings(names)
	out, err := exec.Command(ctl, "--skip-systemctl-redirect", names[len(names)-1], "main", "start").CombinedOutput()
	if err != nil {
		// Another test binary may have started it first; the ping decides.
		return true, fmt.Errorf("pg_ctlcluster start: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return true, nil
}

// postgresSchema creates a schema of its own for t and returns the test
// server's DSN with search_path set to it.
func postgresSchema(t testing.TB) string {
	t.Helper()
	server.once.Do(connectServer)
	if server.err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s is not reachable (set %s to use another server): %v",
			store.Describe(server.dsn), EnvPostgres, server.err)
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true requires the postgres store tests: %s", msg)
		}
		t.Skip(msg)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "contactd_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	// The name is ours (hex), so it needs no quoting.
	if _, err := server.db.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := server.db.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(server.dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx sends unknown parameters as run-time settings
	u.RawQuery = q.Encode()
	return u.String()
}
