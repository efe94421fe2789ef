// Package jobs runs the engagement work of `lore serve` as River jobs:
// forwarding statements to the LRS, the hourly check for leaders' weekly
// digests, and retention. Each is a periodic job, so that replicas sharing
// a database run it once per period between them; the hourly check queues
// one DigestSendArgs job per leader due, unique by leader and week.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store/queue"
)

// Flusher drains the statement outbox; adapters/lrs.Forwarder is one.
type Flusher interface {
	Flush(ctx context.Context) (int, error)
}

// ForwardArgs is the job that forwards pending statements to the LRS.
type ForwardArgs struct{}

// Kind names the job in the queue.
func (ForwardArgs) Kind() string { return "engagement_forward" }

// ForwardWorker works ForwardArgs.
type ForwardWorker struct {
	river.WorkerDefaults[ForwardArgs]
	Forwarder Flusher
	Logger    *slog.Logger
}

// Work flushes the outbox. What could not be sent stays there for the next
// period, so a failure is logged and the job ends well: retrying it at
// once would only hammer an LRS that is down.
func (w *ForwardWorker) Work(ctx context.Context, _ *river.Job[ForwardArgs]) error {
	n, err := w.Forwarder.Flush(ctx)
	log := logger(w.Logger)
	if err != nil {
		log.WarnContext(ctx, "forwarding statements stopped; the rest wait in the outbox", "sent", n, "err", err)
		return nil
	}
	if n > 0 {
		log.InfoContext(ctx, "statements forwarded", "sent", n)
	}
	return nil
}

// DigestArgs is the hourly job that queues the weekly digests due. It only
// plans, so it stays in the default queue, which every replica works; the
// sends it queues go to the chat queue.
type DigestArgs struct {
	// At is when the job was scheduled for, by the clock of the replica
	// that queued it: the job queues the digests due in the hour that
	// contains At, however late it runs (a default queue busy with long
	// ingests, a retry) and whatever the clock of the replica working it.
	// Zero (a job queued by an earlier version) means the time it runs.
	At time.Time `json:"at,omitzero"`
}

// Kind names the job in the queue.
func (DigestArgs) Kind() string { return "engagement_digest" }

// Inserter is what the digest job needs of a River client.
type Inserter interface {
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// LateInserter is an Inserter given once the River client exists: workers
// are registered before the client that runs them is made.
type LateInserter struct {
	mu sync.Mutex
	in Inserter
}

// Set gives the client.
func (l *LateInserter) Set(in Inserter) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.in = in
}

// InsertMany implements Inserter.
func (l *LateInserter) InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	l.mu.Lock()
	in := l.in
	l.mu.Unlock()
	if in == nil {
		return nil, errors.New("the job queue is not running yet")
	}
	return in.InsertMany(ctx, params)
}

// DigestWorker works DigestArgs: it queues one DigestSendArgs per leader
// whose local morning it is. The hourly job may run twice in an hour (a
// new River leader, a restart); the send jobs are unique by leader and
// week, so each digest is queued, and sent, once.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	Digester *engagement.Digester
	Queue    Inserter
	Clock    func() time.Time // default time.Now
	Logger   *slog.Logger
}

// Work queues the digests due in the hour the job was scheduled for.
func (w *DigestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	at := job.Args.At
	if at.IsZero() {
		at = clock(w.Clock)()
	}
	due, dueErr := w.Digester.Due(at)
	if dueErr != nil {
		// A leader with a bad time zone must not hold up the others.
		logger(w.Logger).ErrorContext(ctx, "some digests cannot be scheduled", "err", dueErr)
	}
	if len(due) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(due))
	for i, d := range due {
		args := DigestSendArgs{Leader: d.Leader, Until: d.Until.UTC()}
		opts := args.InsertOpts()
		params[i] = river.InsertManyParams{Args: args, InsertOpts: &opts}
	}
	res, err := w.Queue.InsertMany(ctx, params)
	if err != nil {
		return fmt.Errorf("queue digests: %w", err)
	}
	queued := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			queued++
		}
	}
	logger(w.Logger).InfoContext(ctx, "digests due", "hour", at.UTC().Truncate(time.Hour), "due", len(due), "queued", queued)
	return nil
}

// HourlySchedule runs a periodic job one minute past every hour. A plain
// hourly interval drifts, and a run that slipped from 8:59:59 to 10:00:01
// would skip the leaders of 9 o'clock; with RunOnStart, a replica started
// within a leader's hour still sends that hour's digests.
type HourlySchedule struct{}

// Next implements river.PeriodicSchedule.
func (HourlySchedule) Next(t time.Time) time.Time {
	next := t.Truncate(time.Hour).Add(time.Minute)
	if !next.After(t) {
		next = next.Add(time.Hour)
	}
	return next
}

// DigestSendArgs is the job that sends one leader's digest of one week.
// It is unique by leader and week among jobs in any state but cancelled
// and discarded (River keeps completed jobs for a day, longer than the
// hour a digest is due in), so replicas that both see it due queue it once.
type DigestSendArgs struct {
	Leader string    `json:"leader" river:"unique"`
	Until  time.Time `json:"until" river:"unique"` // the UTC midnight that ends the week (Leader.Due)
}

// Kind names the job in the queue.
func (DigestSendArgs) Kind() string { return "engagement_digest_send" }

// InsertOpts implements river.JobArgsWithInsertOpts: the send goes to the
// chat queue, which only replicas with chat adapters work; a failed send is
// retried a few times, for about an hour, then given up (a digest a day
// late is worth less than one that goes missing noisily in the log).
func (DigestSendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue.ChatQueue, MaxAttempts: 6, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DigestSendWorker works DigestSendArgs.
type DigestSendWorker struct {
	river.WorkerDefaults[DigestSendArgs]
	Digester *engagement.Digester
}

// Work builds and sends the digest. A leader no longer configured is not
// retried.
func (w *DigestSendWorker) Work(ctx context.Context, job *river.Job[DigestSendArgs]) error {
	err := w.Digester.Send(ctx, job.Args.Leader, job.Args.Until)
	if errors.Is(err, engagement.ErrUnknownLeader) {
		return river.JobCancel(err)
	}
	return err
}

// RetentionArgs is the daily job that folds old events into rollups.
type RetentionArgs struct{}

// Kind names the job in the queue.
func (RetentionArgs) Kind() string { return "engagement_retention" }

// Compactor folds events older than a time into daily counts.
type Compactor interface {
	Compact(ctx context.Context, before time.Time) (int, error)
}

// RetentionWorker works RetentionArgs.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	Store  Compactor
	Keep   time.Duration // how long raw events are kept
	Clock  func() time.Time
	Logger *slog.Logger
}

// Work deletes raw events older than Keep, keeping their daily counts.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	if w.Keep <= 0 {
		return river.JobCancel(errors.New("retention period is not positive"))
	}
	now := time.Now
	if w.Clock != nil {
		now = w.Clock
	}
	n, err := w.Store.Compact(ctx, now().Add(-w.Keep))
	if err != nil {
		return err
	}
	logger(w.Logger).InfoContext(ctx, "old events folded into daily counts", "events", n)
	return nil
}

// clock is c, or time.Now when c is nil.
func clock(c func() time.Time) func() time.Time {
	if c == nil {
		return time.Now
	}
	return c
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

// Config says which engagement jobs a replica schedules.
type Config struct {
	Forwarder    Flusher // nil: no LRS
	ForwardEvery time.Duration
	Digester     *engagement.Digester // nil: no digests
	// Queue is where the hourly digest job queues each leader's digest;
	// required with Digester.
	Queue     Inserter
	Retention Compactor // nil: keep events forever
	Keep      time.Duration
	Logger    *slog.Logger
	// Clock is the digest job's time; default time.Now.
	Clock func() time.Time
}

// Register adds the configured workers and returns their periodic jobs.
func Register(workers *river.Workers, cfg Config) ([]*river.PeriodicJob, error) {
	var periodic []*river.PeriodicJob
	if cfg.Forwarder != nil {
		every := cfg.ForwardEvery
		if every <= 0 {
			every = time.Minute
		}
		if err := river.AddWorkerSafely(workers, &ForwardWorker{Forwarder: cfg.Forwarder, Logger: cfg.Logger}); err != nil {
			return nil, err
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return ForwardArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if cfg.Digester != nil {
		if cfg.Queue == nil {
			return nil, errors.New("digests need Config.Queue to queue each leader's digest")
		}
		if err := river.AddWorkerSafely(workers, &DigestWorker{Digester: cfg.Digester, Queue: cfg.Queue, Clock: cfg.Clock, Logger: cfg.Logger}); err != nil {
			return nil, err
		}
		if err := river.AddWorkerSafely(workers, &DigestSendWorker{Digester: cfg.Digester}); err != nil {
			return nil, err
		}
		now := clock(cfg.Clock)
		periodic = append(periodic, river.NewPeriodicJob(HourlySchedule{},
			func() (river.JobArgs, *river.InsertOpts) {
				return DigestArgs{At: now().UTC()}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
			}, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	if cfg.Retention != nil {
		if cfg.Keep < 24*time.Hour {
			return nil, fmt.Errorf("retention period %s: keep events at least a day", cfg.Keep)
		}
		if err := river.AddWorkerSafely(workers, &RetentionWorker{Store: cfg.Retention, Keep: cfg.Keep, Logger: cfg.Logger}); err != nil {
			return nil, err
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	return periodic, nil
}
