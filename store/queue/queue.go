// Package queue runs Lore's background jobs on River
// (github.com/riverqueue/river), a job queue kept in PostgreSQL (New) or
// in the store's SQLite file (NewSQLite), so that every Lore replica
// pointed at one database shares one queue: a job inserted by any replica
// is worked by exactly one of them.
//
// # How replicas share work
//
// Jobs are rows of River's river_job table. A replica's client fetches
// available jobs with SELECT ... FOR UPDATE SKIP LOCKED and marks them
// running in the same statement, so two replicas never fetch the same job.
// A job is finished when its row is set to completed. A worker whose
// effect lives in the same database should make that effect and the
// completion one transaction, with river.JobCompleteTx:
//
//	tx, err := pool.Begin(ctx)
//	...
//	// the job's own writes, on tx
//	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil { ... }
//	return tx.Commit(ctx)
//
// Then either both are committed or neither is: a replica that dies in the
// middle leaves the job's writes uncommitted, and the job is worked again
// elsewhere, so its effect is recorded exactly once. Workers whose effects
// are outside the database (a chat message, an HTTP call) get at-least-once
// delivery and must be idempotent, for example by keying the effect on the
// job ID.
//
// A replica stopped with Stop finishes its running jobs; one stopped with
// StopAndCancel cancels them, and a job whose worker returns the context's
// error is made available again at once, without counting the attempt, for
// whichever replica fetches it next. A job that fails for another reason is
// retried after River's backoff (attempt⁴ seconds). A replica that dies without stopping leaves its jobs marked
// running; the elected leader's rescuer makes them available again once
// they have run for longer than river.Config.RescueStuckJobsAfter (one
// hour by default, checked every 30 s), so a worker that can run long
// should set a JobTimeout that bounds it.
//
// # Schema
//
// Migrate applies River's own migrations (rivermigrate) to a PostgreSQL
// schema, creating the schema when it is missing (MigrateSQLite does the
// same for a SQLite file, which has no schemas). It is safe to call
// repeatedly and from several replicas at once: an advisory lock keyed on
// the schema makes them apply each migration once. River's tables
// (river_job, river_leader, river_queue, river_migration, ...) may share
// Lore's schema or have one of their own; Config.Schema must name the
// schema that Migrate was given.
//
// # Periodic jobs
//
// Periodic work (digests, re-crawls, expiry) goes in Config.PeriodicJobs as
// river.NewPeriodicJob values. Only the replica elected leader inserts
// periodic jobs, and each should also carry InsertOpts.UniqueOpts with
// ByPeriod equal to its interval, so that a change of leader close to a
// tick cannot insert one period's job twice: one job per schedule across
// all replicas.
//
// # Queues
//
// Jobs that send a chat message (nudge deliveries, leaders' digests, review
// reminders, pairing rounds) name ChatQueue in their InsertOpts; every
// other job goes to DefaultQueue. A replica works the queues of
// Config.Queues only (more can be added once it runs, with
// Client.Queues().Add), so one without chat adapters (lore serve
// --workers-only) works DefaultQueue alone and never fetches a chat job:
// a message is never attempted where it cannot be sent. River's
// unique keys leave the queue out (UniqueOpts.ByQueue is false), so moving
// a job kind to another queue keeps its uniqueness: a job already waiting
// in DefaultQueue still blocks its duplicate in ChatQueue.
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// DefaultQueue is the queue jobs go to unless their InsertOpts name another.
const DefaultQueue = river.QueueDefault

// ChatQueue is the queue of jobs that send chat messages: only replicas
// with chat adapters work it.
const ChatQueue = "chat"

// DefaultMaxWorkers is how many jobs of each queue one replica works at
// once when Config.Queues is not set.
const DefaultMaxWorkers = 10

// Queues returns the queues a replica works, each with maxWorkers jobs at
// once: DefaultQueue, and ChatQueue too when the replica can send chat
// messages.
func Queues(maxWorkers int, chat bool) map[string]river.QueueConfig {
	queues := map[string]river.QueueConfig{DefaultQueue: {MaxWorkers: maxWorkers}}
	if chat {
		queues[ChatQueue] = river.QueueConfig{MaxWorkers: maxWorkers}
	}
	return queues
}

// schemaRE is the schema names River accepts: it prefixes table names and
// LISTEN/NOTIFY topics with the schema unquoted.
var schemaRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// maxSchemaLen leaves room in PostgreSQL's 63-byte identifiers for the
// longest notification topic River puts after "<schema>.".
const maxSchemaLen = 40

func validateSchema(schema string) error {
	if schema == "" {
		return nil
	}
	if len(schema) > maxSchemaLen || !schemaRE.MatchString(schema) {
		return fmt.Errorf("queue schema %q: want at most %d letters, digits and underscores, not starting with a digit", schema, maxSchemaLen)
	}
	return nil
}

// Migrate applies River's pending migrations to schema (the connections'
// current schema when empty), creating the schema first if needed. The
// pool must allow at least two connections: one holds the advisory lock
// that serialises replicas while another migrates.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if err := validateSchema(schema); err != nil {
		return err
	}
	if pool.Config().MaxConns < 2 {
		return errors.New("migrate queue: the pool must allow at least two connections")
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	defer conn.Release()

	key := lockKey(schema)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("migrate queue: lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released even when ctx has
		// ended, or the pooled connection would keep holding it.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(unlockCtx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			// Close the connection rather than return it still locked.
			_ = conn.Conn().Close(unlockCtx)
		}
	}()

	if schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate queue: create schema %s: %w", schema, err)
		}
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema})
	if err != nil {
		return fmt.Errorf("migrate queue: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate queue in schema %q: %w", schema, err)
	}
	return nil
}

// lockKey is the advisory lock key of the queue migrations of a schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("lore queue migrate\x00" + schema))
	return int64(h.Sum64())
}

// Config configures New.
type Config struct {
	// Workers are the job kinds this replica works. Default nil: the
	// client only inserts jobs, for processes that enqueue but never work.
	Workers *river.Workers
	// Queues are the queues this replica works and how many jobs of each
	// it runs at once (see Queues). Default, when Workers is set:
	// DefaultQueue and ChatQueue, each with DefaultMaxWorkers.
	Queues map[string]river.QueueConfig
	// PeriodicJobs are scheduled jobs, inserted by the elected leader only;
	// see the package doc for the unique options they should carry.
	// Default none.
	PeriodicJobs []*river.PeriodicJob
	// Logger receives River's logs. Default slog.Default().
	Logger *slog.Logger
	// Schema is where River's tables are, as given to Migrate. Default "":
	// the connections' search_path.
	Schema string
	// ID names this replica in River's tables and logs. Default: a name
	// River derives from the host name and the start time.
	ID string
	// FetchCooldown is the shortest pause between two fetches of jobs.
	// Default River's, 100 ms.
	FetchCooldown time.Duration
	// FetchPollInterval is how often a replica looks for jobs when no
	// notification told it of new ones. Default River's, 1 s.
	FetchPollInterval time.Duration
	// JobTimeout bounds a job's run; its context is cancelled after it.
	// Default River's, 1 minute; -1 for none.
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay running before it is
	// taken to belong to a dead replica and retried. It must exceed
	// JobTimeout. Default River's, 1 hour (JobTimeout plus 1 hour when
	// JobTimeout is longer).
	RescueStuckJobsAfter time.Duration
	// Middleware wraps job insertion and work, for example to give each
	// job's context a request id for its log lines. Default none.
	Middleware []rivertype.Middleware
}

// New returns a River client on pool, not yet started: call Start to work
// jobs and Stop (or StopAndCancel) to finish. Migrate must have been run
// on cfg.Schema.
func New(pool *pgxpool.Pool, cfg Config) (*river.Client[pgx.Tx], error) {
	if pool == nil {
		return nil, errors.New("new queue client: nil pool")
	}
	if err := validateSchema(cfg.Schema); err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg.riverConfig())
	if err != nil {
		return nil, fmt.Errorf("new queue client: %w", err)
	}
	return client, nil
}

// riverConfig is cfg with the defaults described on Config applied.
func (cfg Config) riverConfig() *river.Config {
	queues := cfg.Queues
	if queues == nil && cfg.Workers != nil {
		queues = Queues(DefaultMaxWorkers, true)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	return &river.Config{
		FetchCooldown:        cfg.FetchCooldown,
		FetchPollInterval:    cfg.FetchPollInterval,
		ID:                   cfg.ID,
		JobTimeout:           cfg.JobTimeout,
		Logger:               logger,
		Middleware:           cfg.Middleware,
		PeriodicJobs:         cfg.PeriodicJobs,
		Queues:               queues,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		Schema:               cfg.Schema,
		Workers:              cfg.Workers,
	}
}

// Client is what Lore uses of a River client, whichever database it runs
// on: *river.Client[pgx.Tx] from New and *river.Client[*sql.Tx] from
// NewSQLite both satisfy it.
type Client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	// Queues adds queues to a started client, such as ChatQueue once the
	// chat adapters can send.
	Queues() *river.QueueBundle
}

var (
	_ Client = (*river.Client[pgx.Tx])(nil)
	_ Client = (*river.Client[*sql.Tx])(nil)
)
