// Package sqlite is Lore's embedded default store: one SQLite file, reached
// through the pure-Go modernc.org/sqlite driver so that Lore builds without
// cgo and runs without a database server.
//
// # Connections
//
// A Store keeps two connection pools on the same file. The write pool has a
// single connection and begins every transaction with BEGIN IMMEDIATE, so
// writers of one process queue in Go instead of spinning in SQLite's busy
// handler, and writers of different processes queue on the database lock
// (for up to Options.BusyTimeout) instead of deadlocking when a reader tries
// to upgrade. The read pool has several connections, marked query_only, so
// searches and loads proceed while an ingest holds the write lock; in WAL
// mode readers never wait for the writer. One pool with care would have to
// choose a transaction mode per call, which database/sql cannot express.
//
// # Search
//
// SQLite offers neither BM25 ranking over Lore's own analysed terms nor
// vector search, so the Store keeps a memindex.Index in step with the chunks
// table. It is loaded at Open from the stored terms and vectors. The Store's
// own writes update it directly after they commit; writes made by other
// processes are picked up before each search by loading only chunks with an
// id above the highest one seen and replaying the chunk_deletions log, which
// a trigger fills whenever a chunk row is deleted.
//
// # Schema
//
// Migrations are embedded SQL files (migrations/NNNN_name.sql) applied in
// order, each in its own transaction, and recorded in schema_migrations.
// Opening a database whose schema is newer than this build knows fails with
// ErrSchemaTooNew rather than risking writes an older Lore does not
// understand.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlitedrv "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/memindex"
)

// Errors specific to this backend; operations also return errors wrapping
// the sentinels of package store.
var (
	// ErrCorrupt means the file is not a SQLite database, is damaged, or
	// is a SQLite database that some other program owns.
	ErrCorrupt = errors.New("not a Lore database or is corrupt")
	// ErrSchemaTooNew means the database was migrated by a newer Lore.
	ErrSchemaTooNew = errors.New("database schema is newer than this build of Lore supports")
	// ErrReadOnly means a write was attempted on a Store opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("store is read-only")
)

// rules are the input rules every backend applies, and no more: SQLite
// keeps any text, NUL bytes included, and vectors of any dimension.
var rules store.Rules

// DefaultBusyTimeout is how long a statement waits for another process's
// lock when Options.BusyTimeout is zero: long enough to outlast one
// document's ingest transaction, short enough that a stuck process is
// reported rather than waited on forever.
const DefaultBusyTimeout = 5 * time.Second

// Options configures Open.
type Options struct {
	// Dimensions is the length of every embedding vector. 0 takes it from
	// the database, or from the first vector written to a new database;
	// any other value must match what the database already holds.
	Dimensions int
	// BusyTimeout is how long a statement waits for a lock held by another
	// process before failing with an error wrapping store.ErrLocked.
	// Default DefaultBusyTimeout.
	BusyTimeout time.Duration
	// Clock returns the current time; it stamps documents and events that
	// carry none and decides lock expiry. Default time.Now.
	Clock func() time.Time
	// ReadOnly opens an existing database without ever writing to it:
	// migrations are not applied and writes fail with ErrReadOnly.
	// Default false.
	ReadOnly bool
	// Freshness bounds how stale a search may be with respect to writes
	// made by other processes: within this interval after one check, a
	// search skips the query that looks for their writes. This process's
	// own writes are always visible at once. Default 0: check before every
	// search.
	Freshness time.Duration
}

func (o *Options) validate() error {
	var errs []error
	if o.Dimensions < 0 {
		errs = append(errs, fmt.Errorf("%w: dimensions %d is negative", store.ErrInvalidInput, o.Dimensions))
	}
	if o.BusyTimeout < 0 {
		errs = append(errs, fmt.Errorf("%w: busy timeout %s is negative", store.ErrInvalidInput, o.BusyTimeout))
	}
	return errors.Join(errs...)
}

// Store is a store.Store on one SQLite file. It is safe for concurrent use,
// and several Stores, in one process or many, may share a file.
type Store struct {
	path string
	opts Options

	wdb *sql.DB // one connection, BEGIN IMMEDIATE; nil when read-only
	rdb *sql.DB // several query_only connections

	migrated store.Migrated // what Open's migration did

	// file is the database file as opened: a write or a ping that finds
	// another file, or none, at path fails (see checkFile).
	file os.FileInfo

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	stmts sync.Map // prepared statements of hot paths: see prepared

	// mu serialises changes to the index and to the marks recording how
	// far it has loaded, so that a catch-up working from an older snapshot
	// never lands after a newer update.
	mu sync.Mutex
	// ix is nil until the vector dimension is known; no chunk can exist
	// before then, because every chunk carries a vector.
	ix  *memindex.Index
	dim int
	// lastChunkID is the highest chunk id loaded into ix; lastDeletionSeq
	// the highest chunk_deletions seq applied to it.
	lastChunkID     int64
	lastCheck       time.Time // when syncIndex last looked for other writers
	lastDeletionSeq int64
}

var _ store.Store = (*Store)(nil)

// Open opens the Lore database at path, creating and migrating it unless
// opts.ReadOnly is set, and loads its search index.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("open store: %w: empty path", store.ErrInvalidInput)
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	s := &Store{path: path, opts: opts}
	unused := walUnused(path)
	if err := s.open(ctx); err != nil {
		_ = s.Close()
		if unused && errors.Is(err, ErrCorrupt) {
			removeEmptyWAL(path)
		}
		return nil, err
	}
	return s, nil
}

// Migrated is what Open did to the database's schema: the zero Migrated
// for a read-only store.
func (s *Store) Migrated() store.Migrated { return s.migrated }

// walUnused reports that neither WAL file is beside path: no process has
// the database open in WAL mode.
func walUnused(path string) bool {
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	return true
}

// removeEmptyWAL removes the WAL files that reading a damaged database in
// WAL mode (a Lore database cut short, say) created beside it, so that a
// refused file is left as it was found. A WAL holding frames is kept.
func removeEmptyWAL(path string) {
	if fi, err := os.Lstat(path + "-wal"); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
		return
	}
	_ = os.Remove(path + "-wal")
	_ = os.Remove(path + "-shm")
}

func (s *Store) open(ctx context.Context) error {
	const op = "open store"
	base, err := FileURI(s.path)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, s.path, err)
	}
	if !s.opts.ReadOnly {
		if err := s.precheck(ctx, base); err != nil {
			return err
		}
		s.wdb, err = sql.Open("sqlite", base+"?"+s.params(true))
		if err != nil {
			return s.fail(op, err)
		}
		s.wdb.SetMaxOpenConns(1)
		s.wdb.SetMaxIdleConns(1)
		s.wdb.SetConnMaxLifetime(0)
		if s.migrated, err = s.migrate(ctx); err != nil {
			return err
		}
	}
	s.rdb, err = sql.Open("sqlite", base+"?"+s.params(false))
	if err != nil {
		return s.fail(op, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.rdb.SetMaxOpenConns(n)
	s.rdb.SetMaxIdleConns(n)
	if s.opts.ReadOnly {
		if err := s.checkSchemaReadOnly(ctx); err != nil {
			return err
		}
	}
	// The file exists now: a read-write open has created it, a read-only
	// one has read its schema.
	if s.file, err = os.Stat(s.path); err != nil {
		return fmt.Errorf("%s %s: %w: %w", op, s.path, store.ErrUnavailable, err)
	}

	dim, err := readDimension(ctx, s.rdb)
	if err != nil {
		return s.fail(op, err)
	}
	switch {
	case dim != 0 && s.opts.Dimensions != 0 && dim != s.opts.Dimensions:
		return fmt.Errorf("%s %s: %w: the database holds vectors of dimension %d, configured %d",
			op, s.path, store.ErrInvalidInput, dim, s.opts.Dimensions)
	case dim == 0:
		dim = s.opts.Dimensions
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if dim != 0 {
		s.ix = memindex.New(dim)
		s.dim = dim
	}
	if err := s.catchUpLocked(ctx); err != nil {
		return s.fail(op+": load search index", err)
	}
	return nil
}

// precheck refuses an existing file that is not a Lore database, or was
// migrated by a newer Lore, before anything writes to it: the write pool's
// first connection switches the file to WAL, which rewrites its header.
func (s *Store) precheck(ctx context.Context, base string) error {
	const op = "open store"
	if info, err := os.Stat(s.path); err != nil || info.Size() == 0 {
		return nil // a new database
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", (s.opts.BusyTimeout+time.Millisecond-1)/time.Millisecond))
	q.Set("mode", "ro")
	db, err := sql.Open("sqlite", base+"?"+q.Encode())
	if err != nil {
		return s.fail(op, err)
	}
	defer db.Close()
	latest, err := latestVersion()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, s.path, err)
	}
	v, foreign, err := schemaVersion(ctx, db)
	if err != nil {
		return s.fail(op, err)
	}
	if err := s.checkVersion(v, foreign, latest); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// params returns the driver's DSN query for one pool. The PRAGMAs go in the
// DSN, not in a statement after Open, so that every connection the pool
// ever opens gets them.
func (s *Store) params(write bool) string {
	q := url.Values{}
	// busy_timeout first: journal_mode(WAL) on a new file may itself have
	// to wait for a lock held by another process opening it at once.
	// Rounded up: a sub-millisecond timeout must not become 0, no waiting.
	busyMS := (s.opts.BusyTimeout + time.Millisecond - 1) / time.Millisecond
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMS))
	q.Add("_pragma", "foreign_keys(1)")
	if !s.opts.ReadOnly {
		// Setting WAL writes the file header, which a read-only open
		// cannot do; WAL is persistent, so it is already set on any
		// database a read-write Lore has opened.
		q.Add("_pragma", "journal_mode(WAL)")
	}
	// NORMAL is durable in WAL mode except for the last transactions
	// before a power loss, which ingest can redo; FULL would fsync on
	// every commit.
	q.Add("_pragma", "synchronous(NORMAL)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		// A guard: a write that strays into the read pool fails loudly
		// instead of bypassing the write queue.
		q.Add("_pragma", "query_only(1)")
	}
	if s.opts.ReadOnly {
		q.Set("mode", "ro")
	}
	return q.Encode()
}

// FileURI turns a path into a SQLite file: URI, for other connections to
// the same database file (the job queue's). A URI rather than a plain
// name because only URIs carry SQLite's own parameters (mode=ro), and
// because the driver would otherwise cut a plain name at its first '?'.
func FileURI(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve path: %w", err)
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs // a Windows volume: file:///C:/...
	}
	// SQLite decodes %HH in URI paths; escape what would otherwise end the
	// path or start an escape.
	esc := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(abs)
	return "file://" + esc, nil
}

// ParseURL reports whether s names a SQLite database and returns its path.
// It accepts sqlite:PATH, sqlite://PATH, file:PATH (file://PATH) and a plain
// path ending in .db, .sqlite or .sqlite3, so that one database setting can
// name either backend.
func ParseURL(s string) (path string, ok bool) {
	for _, prefix := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		if rest, found := strings.CutPrefix(s, prefix); found {
			return rest, rest != ""
		}
	}
	if strings.Contains(s, "://") {
		return "", false
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".db", ".sqlite", ".sqlite3":
		return s, true
	}
	return "", false
}

// Ping checks that the database file can still be read.
func (s *Store) Ping(ctx context.Context) error {
	const op = "ping"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := s.checkFile(op); err != nil {
		return err
	}
	// A real read of the file, not SELECT 1, which SQLite answers without
	// touching it.
	var n int
	if err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		err = s.fail(op, err)
		if errors.Is(err, store.ErrUnavailable) {
			return err
		}
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// Close closes both pools. It is safe to call more than once; later calls
// return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		var errs []error
		if s.rdb != nil {
			errs = append(errs, s.rdb.Close())
		}
		// The write pool closes last, so that the last connection to
		// close, which checkpoints the WAL into the main file and removes
		// it, is one allowed to write.
		if s.wdb != nil {
			errs = append(errs, s.wdb.Close())
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// usable returns an error if the store has been closed, so callers get
// store.ErrUnavailable rather than database/sql's unexported error.
func (s *Store) usable(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w: store %s is closed", op, store.ErrUnavailable, s.path)
	}
	return nil
}

// writable is usable plus a refusal on read-only stores and on a file
// deleted or replaced since Open.
func (s *Store) writable(op string) error {
	if err := s.usable(op); err != nil {
		return err
	}
	if s.opts.ReadOnly {
		return fmt.Errorf("%s: %s: %w", op, s.path, ErrReadOnly)
	}
	return s.checkFile(op)
}

// checkFile fails with store.ErrUnavailable when the file at the store's
// path is no longer the one its connections have open. In WAL mode SQLite
// goes on reading and writing a deleted file through the descriptors it
// holds, so without this check every write after a deletion would succeed
// and be lost when the process ends, and a file restored from a backup
// would never be seen. It costs one stat per write.
func (s *Store) checkFile(op string) error {
	info, err := os.Stat(s.path)
	switch {
	case err != nil:
		return fmt.Errorf("%s: database %s: %w: %w (was it deleted? restore it and restart Lore)", op, s.path, store.ErrUnavailable, err)
	case !os.SameFile(info, s.file):
		return fmt.Errorf("%s: database %s: %w: the file was replaced since Lore opened it; restart Lore to use the new file",
			op, s.path, store.ErrUnavailable)
	}
	return nil
}

// fail wraps a driver error with the operation and translates the SQLite
// result codes callers must tell apart into Lore's sentinels. It is the one
// place where driver codes are interpreted.
func (s *Store) fail(op string, err error) error {
	var se *sqlitedrv.Error
	if errors.As(err, &se) {
		// Extended codes carry the primary code in the low byte.
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return fmt.Errorf("%s: %s is %w: %w", op, s.path, ErrCorrupt, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%s: database %s is %w (waited %s): %w", op, s.path, store.ErrLocked, s.opts.BusyTimeout, err)
		case sqlite3.SQLITE_READONLY:
			// SQLite's words ("attempt to write a readonly database") name
			// neither the file nor the folder, whose permission is as
			// often the cause: WAL mode creates files beside the database.
			return fmt.Errorf("%s: database %s cannot be written (%w): Lore writes to the file and creates %s-wal and %s-shm beside it, so this user needs write permission on the file and on its folder: %w",
				op, s.path, store.ErrUnavailable, filepath.Base(s.path), filepath.Base(s.path), err)
		case sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("%s: database %s cannot be opened (%w): check that this user may read and write the file and create files in its folder: %w",
				op, s.path, store.ErrUnavailable, err)
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
			return fmt.Errorf("%s: database %s: %w: %w", op, s.path, store.ErrUnavailable, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}
