// Package postgres is Lore's server store: PostgreSQL with the pgvector
// extension, for deployments that run several Lore processes against one
// database or already operate PostgreSQL. It behaves like store/sqlite in
// every respect the conformance suite (store/storetest) checks, and ranks
// lexical results by the same BM25.
//
// # Connections
//
// A Store holds a pgxpool.Pool. Every connection registers the pgvector
// types when it is opened, so vectors travel in binary. Writes that touch
// chunks (ReplaceDocument, DeleteDocuments) take a transaction-scoped
// advisory lock first: writers of all processes queue on it, as they do on
// SQLite's write lock, which keeps the search statistics free of deadlocks
// and lets the first writer fix the vector dimension without a race.
// Readers never wait for it.
//
// # Search
//
// Lexical search is BM25 over Lore's own analysed terms (store.Chunk.Terms)
// in an in-memory index per Store (store/memindex, the SQLite store's),
// loaded from chunks.terms on the first search and caught up before each
// search with what any process committed since, through the highest chunk
// id and a log of deleted chunk ids (index.go). It ranks exactly as the
// SQLite store does. SQL postings maintained by triggers were measured
// first: 22 to 32 ms for common words at 100,000 chunks against about 2 ms
// here, and they slowed every write (docs/benchmarks.md).
//
// Vector search is an HNSW index (cosine) over the embeddings at unit
// length in half precision, created when the first vector fixes the
// dimension, split by chunk id into Options.IndexPartitions graphs that a
// search walks at once (vectorindex.go). Searches run with hnsw.ef_search
// = Options.SearchEf (or 2k, if larger) and return full-precision cosine
// similarities.
//
// # Bulk loads
//
// BeginBulkLoad (store.BulkLoader) is the path of large ingests: documents
// are written many to a transaction, commits do not wait for the disk, and
// once a load is large enough the vector index is dropped and built once
// at the end, tens of times faster than inserting into it (bulk.go).
//
// # Schema
//
// Migrations are embedded SQL files (migrations/NNNN_name.sql), applied by
// Migrate (or Open with Options.Migrate) under an advisory lock, so that
// replicas starting together apply each migration once, and recorded in
// schema_migrations. A schema newer than this build knows is refused with
// ErrSchemaTooNew. Options.Schema puts Lore's tables in a schema of their
// own, for tests and for several knowledge bases in one database.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

	"github.com/lorehq/lore/store"
)

// Errors specific to this backend; operations also return errors wrapping
// the sentinels of package store.
var (
	// ErrSchemaTooNew means the database was migrated by a newer Lore.
	ErrSchemaTooNew = errors.New("database schema is newer than this build of Lore supports")
	// ErrNeedsMigration means the schema is older than this build (or
	// absent) and the Store was opened without Options.Migrate.
	ErrNeedsMigration = errors.New("database schema needs migrating")
	// ErrForeignSchema means the schema holds tables that Lore did not
	// create; Lore will not add its own next to them.
	ErrForeignSchema = errors.New("schema holds tables of another program")
	// ErrNoVectorExtension means the pgvector extension is not installed in
	// the database, or not in a schema on the search path.
	ErrNoVectorExtension = errors.New("the pgvector extension (vector) is not available")
)

// Options configures Open.
type Options struct {
	// Dimensions is the length of every embedding vector. 0 takes it from
	// the database, or from the first vector written to a new database;
	// any other value must match what the database already holds.
	Dimensions int
	// Clock returns the current time; it stamps documents and events that
	// carry none and decides lock expiry. Default time.Now.
	Clock func() time.Time
	// Schema, when set, is the schema Lore's tables live in: it is put
	// first on every connection's search_path (ahead of the path the URL
	// sets, or public, where the vector extension usually lives) and
	// Migrate creates it. Default "": the connection's current schema.
	Schema string
	// Migrate applies pending migrations at Open. Default false: Open only
	// checks that the schema is current, so that schema changes happen
	// when an operator asks for them.
	Migrate bool
	// BulkDeferAt is how many chunks a bulk load (BeginBulkLoad) writes,
	// at least, before it drops the vector index to build it once at the
	// end; a load must also write a tenth of the chunks the store held.
	// Default 2,000.
	BulkDeferAt int
	// IndexBuildMemoryMB bounds the maintenance_work_mem a vector index
	// build asks for; the build asks for what the graph of all chunks
	// needs, about 1.7 KB per chunk of 256 dimensions. Default 1,024
	// (enough for about 500,000 chunks); a graph that does not fit is
	// built several times slower. See deploy/postgres/README.md.
	IndexBuildMemoryMB int
	// IndexM and IndexEfConstruction are the HNSW graph's parameters:
	// neighbours per element and the candidate list of each insertion.
	// Larger values give better recall at a given SearchEf and cost build
	// time. They apply when the index is (re)built. Defaults 10 and 64.
	IndexM, IndexEfConstruction int
	// IndexPartitions is how many HNSW graphs the vectors are split among,
	// by chunk id; a search walks them all at once, each on a connection
	// of its own, and merges their results (vectorindex.go). 1 to 8;
	// applies when the index is (re)built. Default 2.
	IndexPartitions int
	// SearchEf is hnsw.ef_search for vector searches of up to SearchEf/2
	// results (more take twice k): the candidate list of a search, the
	// knob between recall and latency. Default 600.
	SearchEf int
	// Logger receives warnings about statements slower than
	// SlowStatement, logged with the statement's context (and so its
	// request id). Default nil: not logged.
	Logger *slog.Logger
	// SlowStatement is the duration above which a statement is logged.
	// Default DefaultSlowStatement.
	SlowStatement time.Duration
}

func (o *Options) validate() error {
	var errs []error
	if o.BulkDeferAt < 0 || o.IndexBuildMemoryMB < 0 {
		errs = append(errs, store.Invalid("bulk load settings must not be negative"))
	}
	// pgvector's limits.
	if o.IndexM != 0 && (o.IndexM < 2 || o.IndexM > 100) {
		errs = append(errs, store.Invalid("index m %d is outside 2..100", o.IndexM))
	}
	if o.IndexEfConstruction != 0 && (o.IndexEfConstruction < 4 || o.IndexEfConstruction > 1000 ||
		(o.IndexM != 0 && o.IndexEfConstruction < 2*o.IndexM)) {
		errs = append(errs, store.Invalid("index ef_construction %d is outside 4..1000 or below twice m", o.IndexEfConstruction))
	}
	if o.IndexPartitions != 0 && (o.IndexPartitions < 1 || o.IndexPartitions > maxIndexPartitions) {
		errs = append(errs, store.Invalid("index partitions %d is outside 1..%d", o.IndexPartitions, maxIndexPartitions))
	}
	if o.SearchEf != 0 && (o.SearchEf < 1 || o.SearchEf > maxEfSearch) {
		errs = append(errs, store.Invalid("search ef %d is outside 1..%d", o.SearchEf, maxEfSearch))
	}
	if o.Dimensions < 0 {
		errs = append(errs, store.Invalid("dimensions %d is negative", o.Dimensions))
	}
	if o.Schema != "" {
		// 63 bytes is PostgreSQL's identifier limit; a longer name would
		// be truncated silently and name another schema.
		if len(o.Schema) > 63 || !utf8.ValidString(o.Schema) || strings.ContainsRune(o.Schema, 0) {
			errs = append(errs, store.Invalid("schema name %q is not a valid identifier of at most 63 bytes", o.Schema))
		}
	}
	return errors.Join(errs...)
}

// DefaultMaxConns is the pool size unless the URL sets pool_max_conns.
// pgx's own default, the number of CPUs, is far too few for a server: the
// job queue alone keeps several connections (fetching, leadership,
// notifications), and each answer in flight needs one for a moment.
const DefaultMaxConns = 25

// Store is a store.Store on a PostgreSQL database. It is safe for
// concurrent use, and any number of Stores, in one process or many, may
// share a database.
type Store struct {
	opts  Options
	cfg   *pgxpool.Config
	where string // host:port/database, for messages; never the password
	pool  *pgxpool.Pool

	schema   string // current_schema() of the pool's connections
	writeKey int64  // advisory lock serialising chunk writers
	migrated store.Migrated

	// dim is the vector dimension recorded in the database, 0 until one
	// is known; once set it never changes.
	dim atomic.Int64
	// parts is the vector index's partition count as last read, at
	// partsAt (Unix nanoseconds; 0: read it again).
	parts, partsAt atomic.Int64

	// writeMu keeps this process's chunk writes in order, so that each
	// finds the lexical index as the previous one left it.
	writeMu sync.Mutex
	lex     lexicon

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or key=value
// string as pgx accepts, including pool_ settings such as pool_max_conns),
// migrates it if opts.Migrate is set and checks that its schema is the one
// this build expects.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	const op = "open store"
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.BulkDeferAt == 0 {
		opts.BulkDeferAt = defaultBulkDeferAt
	}
	if opts.IndexBuildMemoryMB == 0 {
		opts.IndexBuildMemoryMB = defaultIndexBuildMemoryMB
	}
	if opts.IndexM == 0 {
		opts.IndexM = defaultIndexM
	}
	if opts.IndexEfConstruction == 0 {
		opts.IndexEfConstruction = max(defaultIndexEfConstruction, 2*opts.IndexM)
	}
	if opts.IndexPartitions == 0 {
		opts.IndexPartitions = defaultIndexPartitions
	}
	if opts.SearchEf == 0 {
		opts.SearchEf = defaultSearchEf
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %s", op, store.ErrInvalidInput, parseError(err))
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	s := &Store{opts: opts, cfg: cfg}
	cc := cfg.ConnConfig
	s.where = fmt.Sprintf("%s:%d/%s", cc.Host, cc.Port, cc.Database)
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	if opts.Schema != "" {
		rest := cc.RuntimeParams["search_path"]
		if rest == "" {
			rest = "public"
		}
		cc.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize() + ", " + rest
	}
	if cc.RuntimeParams["application_name"] == "" {
		// Shows up in pg_stat_activity, so operators can tell Lore's
		// connections from others.
		cc.RuntimeParams["application_name"] = "lore"
	}
	if _, set := cc.RuntimeParams["jit"]; !set {
		// Lore's statements are short. JIT compiling them costs tens of
		// milliseconds whenever the planner's estimates run high, which
		// is more than it could ever save.
		cc.RuntimeParams["jit"] = "off"
	}
	if _, set := cc.RuntimeParams["hnsw.ef_search"]; !set {
		// Set at connection start, so that a search with the default
		// needs no transaction to set it (SearchVector).
		cc.RuntimeParams["hnsw.ef_search"] = strconv.Itoa(opts.SearchEf)
	}
	cfg.AfterConnect = registerTypes
	if opts.Logger != nil {
		limit := opts.SlowStatement
		if limit <= 0 {
			limit = DefaultSlowStatement
		}
		cc.Tracer = slowLog{log: opts.Logger, limit: limit}
	}

	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, s.fail(op, err)
	}
	if err := s.open(ctx); err != nil {
		s.pool.Close()
		s.closed.Store(true)
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	const op = "open store"
	if s.opts.Migrate {
		m, err := s.Migrate(ctx)
		if err != nil {
			return err
		}
		s.migrated = m
	}
	var (
		schema *string
		exists bool
	)
	// current_schema() skips schemas that do not exist, so a missing
	// Options.Schema would silently select the next one on the path.
	if err := s.pool.QueryRow(ctx, "SELECT current_schema(), EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
		s.opts.Schema).Scan(&schema, &exists); err != nil {
		return s.fail(op, err)
	}
	switch {
	case s.opts.Schema != "" && !exists:
		return fmt.Errorf("%s: %s: schema %q does not exist: %w",
			op, s.where, s.opts.Schema, ErrNeedsMigration)
	case schema == nil:
		return fmt.Errorf("%s: %s: no schema on the search path exists", op, s.where)
	case s.opts.Schema != "" && *schema != s.opts.Schema:
		return fmt.Errorf("%s: %s: the search path selects schema %q, not %q (does this role have USAGE on it?)",
			op, s.where, *schema, s.opts.Schema)
	}
	s.schema = *schema
	s.writeKey = lockKey("write", s.schema)

	if err := s.checkSchema(ctx); err != nil {
		return err
	}
	dim, err := readDimension(ctx, s.pool)
	if err != nil {
		return s.fail(op, err)
	}
	if dim != 0 && s.opts.Dimensions != 0 && dim != s.opts.Dimensions {
		return fmt.Errorf("%s %s: %w: the database holds vectors of dimension %d, configured %d",
			op, s.where, store.ErrInvalidInput, dim, s.opts.Dimensions)
	}
	s.dim.Store(int64(dim))
	return nil
}

// registerTypes teaches each new connection the pgvector types, so that
// vectors are sent and received in binary as pgvector.Vector, and the
// direct encoder of chunks' terms (textArray).
func registerTypes(ctx context.Context, conn *pgx.Conn) error {
	if err := registerTextArray(conn); err != nil {
		return err
	}
	err := pgxvec.RegisterTypes(ctx, conn)
	// pgvector-go reports a missing type with a plain error; anything else
	// (a dropped connection, a cancelled context) passes through as is.
	if err != nil && strings.Contains(err.Error(), "vector type not found") {
		return fmt.Errorf("%w: %w; install it with CREATE EXTENSION vector (see deploy/postgres/README.md)",
			ErrNoVectorExtension, err)
	}
	return err
}

// lockKey derives an advisory lock key for one purpose in one schema, so
// that tenants sharing a database do not queue on each other.
func lockKey(purpose, schema string) int64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, "lore:"+purpose+":"+schema)
	return int64(h.Sum64())
}

// parseError returns what can safely be said about a URL pgx could not
// parse: pgx's own message may quote the URL, password included.
func parseError(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := errors.Unwrap(pe); inner != nil {
			return "cannot parse the database URL: " + inner.Error()
		}
		return "cannot parse the database URL"
	}
	return err.Error()
}

// Ping checks that the database answers and holds Lore's schema.
func (s *Store) Ping(ctx context.Context) error {
	const op = "ping"
	if err := s.usable(op); err != nil {
		return err
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		err = s.fail(op, err)
		if errors.Is(err, store.ErrUnavailable) {
			return err
		}
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// Close closes the pool, waiting for connections in use to be returned.
// It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.pool.Close()
	})
	return nil
}

// usable returns an error if the store has been closed, so callers get
// store.ErrUnavailable rather than the pool's own error.
func (s *Store) usable(op string) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w: store %s is closed", op, store.ErrUnavailable, s.where)
	}
	return nil
}

// SQLSTATE codes the store tells apart.
const (
	codeAdminShutdown      = "57P01"
	codeCrashShutdown      = "57P02"
	codeCannotConnectNow   = "57P03"
	codeTooManyConnections = "53300"
	codeLockNotAvailable   = "55P03"
	codeDeadlock           = "40P01"
)

// fail wraps a driver error with the operation and translates the
// failures callers must tell apart into Lore's sentinels. It is the one
// place where driver errors are interpreted.
func (s *Store) fail(op string, err error) error {
	if isUnavailable(err) {
		return fmt.Errorf("%s: %w: PostgreSQL at %s: %w", op, store.ErrUnavailable, s.where, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeLockNotAvailable, codeDeadlock:
			return fmt.Errorf("%s: database %s is %w: %w", op, s.where, store.ErrLocked, err)
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isUnavailable reports whether err means the database could not be
// reached or is shutting down or starting up: worth retrying later, and
// the pool replaces the broken connection on its own.
func isUnavailable(err error) bool {
	var (
		connectErr *pgconn.ConnectError
		pgErr      *pgconn.PgError
		netErr     net.Error
	)
	switch {
	case errors.As(err, &connectErr):
		return true
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow, codeTooManyConnections:
			return true
		}
		// Class 08: connection exceptions.
		return strings.HasPrefix(pgErr.Code, "08")
	case errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, net.ErrClosed):
		return true
	case errors.As(err, &netErr):
		return true
	}
	// The pool's own error once it is closed.
	return errors.Is(err, puddle.ErrClosedPool)
}

// Pool is the store's connection pool, for components that share the
// database, such as the job queue (store/queue).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrated is what Open did to the schema with Options.Migrate set; the
// zero Migrated without it.
func (s *Store) Migrated() store.Migrated { return s.migrated }

// Schema is the schema Lore's tables live in (the connections' current
// schema), for components that keep their tables beside them.
func (s *Store) Schema() string { return s.schema }
