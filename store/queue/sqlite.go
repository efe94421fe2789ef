package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/lorehq/lore/store/sqlite"
)

// OpenSQLite opens the SQLite database file at path for River, beside the
// store's own connections. River's tables live in the same file as Lore's.
//
// The pool has a single connection: SQLite allows one writer at a time and
// River runs several maintenance operations in parallel, which would
// otherwise fail with SQLITE_BUSY instead of waiting their turn. Writers in
// other connections (the store's) wait for it through busy_timeout.
func OpenSQLite(path string) (*sql.DB, error) {
	base, err := sqlite.FileURI(path)
	if err != nil {
		return nil, fmt.Errorf("open queue: %w", err)
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	// Connections keep their prepared statements (stmtcache.go).
	db := sql.OpenDB(newStmtCacheConnector(base + "?" + q.Encode()))
	db.SetMaxOpenConns(1)
	return db, nil
}

// MigrateSQLite applies River's pending migrations to the SQLite database
// db (from OpenSQLite). Each migration runs in an immediate transaction, so
// two processes migrating one file at once take turns; the second finds
// nothing left to do.
func MigrateSQLite(ctx context.Context, db *sql.DB) error {
	migrator, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	return nil
}

// NewSQLite returns a River client on a SQLite database from OpenSQLite,
// not yet started. MigrateSQLite must have been run. SQLite has no
// LISTEN/NOTIFY: replicas find new jobs by polling every
// cfg.FetchPollInterval.
func NewSQLite(db *sql.DB, cfg Config) (*river.Client[*sql.Tx], error) {
	if db == nil {
		return nil, errors.New("new queue client: nil database")
	}
	if cfg.Schema != "" {
		return nil, errors.New("new queue client: SQLite has no schemas; leave Schema empty")
	}
	client, err := river.NewClient(riversqlite.New(db), cfg.riverConfig())
	if err != nil {
		return nil, fmt.Errorf("new queue client: %w", err)
	}
	return client, nil
}
