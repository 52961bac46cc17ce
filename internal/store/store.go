// Package store opens contactd's database and keeps its schema current.
//
// SQLite (pure Go, no cgo) under the data directory is the embedded
// default; a postgres:// DSN selects PostgreSQL (pgx) instead, for several
// nodes sharing one database. Both run the same migrations, and queries
// elsewhere use SQL both accept: $N placeholders, integer microsecond
// timestamps, INTEGER 0/1 flags and ON CONFLICT.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options says where the database lives.
type Options struct {
	// DataDir holds contactd.db when DSN is empty.
	DataDir string
	// DSN overrides DataDir: a postgres:// or postgresql:// URL opens
	// PostgreSQL; anything else is a SQLite file path or URI.
	DSN    string
	Logger *slog.Logger
}

// IsPostgres reports whether dsn names a PostgreSQL database rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Describe names the database dsn points at for logs and errors: the host
// and database of a PostgreSQL URL (never its user or password), or the
// SQLite file.
func Describe(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres (unparsable DSN)"
	}
	host := u.Host
	if host == "" {
		host = u.Query().Get("host") // a Unix socket directory
	}
	return "postgres " + host + "/" + strings.TrimPrefix(u.Path, "/")
}

// CheckDSN reports what is wrong with dsn as an Options.DSN: empty (the
// data dir), a postgres:// URL naming a host, or a SQLite path or file:
// URI. Its messages never repeat the DSN, which may hold a password.
func CheckDSN(dsn string) error {
	switch {
	case dsn == "":
		return nil
	case IsPostgres(dsn):
		u, err := url.Parse(dsn)
		if err != nil {
			return errors.New("not a valid postgres:// URL")
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return errors.New("postgres:// URL names no host")
		}
		return nil
	case strings.Contains(dsn, "://") && !strings.HasPrefix(dsn, "file:"):
		scheme, _, _ := strings.Cut(dsn, "://")
		return fmt.Errorf("unsupported scheme %q: want a postgres:// URL or a SQLite file path", scheme)
	case strings.HasPrefix(dsn, "host=") || strings.Contains(dsn, "dbname="):
		// Taken as a path, it would quietly make a SQLite file of that name.
		return errors.New("PostgreSQL key=value DSNs are not supported: use a postgres:// URL")
	}
	return nil
}

// Open opens (creating if needed) the database and applies pending migrations.
func Open(ctx context.Context, opts Options) (*sql.DB, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := CheckDSN(opts.DSN); err != nil {
		return nil, fmt.Errorf("database DSN: %w", err)
	}
	var db *sql.DB
	var err error
	if IsPostgres(opts.DSN) {
		db, err = openPostgres(ctx, opts.DSN)
	} else {
		db, err = openSQLite(ctx, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	where := opts.DSN
	if where == "" {
		where = filepath.Join(opts.DataDir, "contactd.db")
	}
	log.Info("opened database", "database", Describe(where))
	return db, nil
}

func openSQLite(ctx context.Context, opts Options) (*sql.DB, error) {
	dsn := opts.DSN
	if dsn == "" {
		if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir %s: %w", opts.DataDir, err)
		}
		dsn = filepath.Join(opts.DataDir, "contactd.db")
	}
	// WAL keeps readers (the API) off the writers' (calls') backs; a process
	// crash loses nothing that was committed. busy_timeout absorbs short
	// write contention between concurrent calls.
	uri := dsn
	if !strings.Contains(uri, "?") {
		uri += "?"
	} else {
		uri += "&"
	}
	uri += "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", uri)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", dsn, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", dsn, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string) (*sql.DB, error) {
	// pgx's own errors name the user and database but not the password;
	// ours name only what Describe shows.
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Describe(dsn), err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", Describe(dsn), err)
	}
	return db, nil
}

// isPostgres reports whether db was opened with pgx.
func isPostgres(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		b, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// migrateLock is the PostgreSQL advisory lock held while migrating, so
// that nodes starting at once apply each migration once. The first key is
// contactd's ("cont" in ASCII), the second the schema's hash: nodes on
// different schemas of one database need not wait for each other.
const (
	migrateLock   = `SELECT pg_advisory_lock(1668247156, hashtext(current_schema()))`
	migrateUnlock = `SELECT pg_advisory_unlock(1668247156, hashtext(current_schema()))`
)

// Migrate applies, in order and each in its own transaction, every migration
// newer than the database's recorded version. On PostgreSQL, which several
// nodes may share, it holds an advisory lock throughout; a SQLite file has
// one contactd.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) (err error) {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	// One connection throughout: an advisory lock belongs to a session.
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if isPostgres(db) {
		if _, err := conn.ExecContext(ctx, migrateLock); err != nil {
			return fmt.Errorf("migrate: take lock: %w", err)
		}
		defer func() {
			if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), migrateUnlock); uerr != nil {
				// A connection back in the pool still holding the lock would
				// block every other node; closing it releases the lock.
				conn.Raw(func(any) error { return driver.ErrBadConn })
				err = errors.Join(err, fmt.Errorf("migrate: release lock: %w", uerr))
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if err := apply(ctx, conn, m); err != nil {
			return err
		}
		log.Info("applied migration", "migration", m.name)
	}
	return nil
}

func apply(ctx context.Context, conn *sql.Conn, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback()
	// Without arguments pgx sends the file with the simple protocol, which
	// takes several statements at once, as SQLite's Exec does.
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return fmt.Errorf("migration %s: record version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}
