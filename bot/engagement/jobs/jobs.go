// Package jobs runs the engagement work of `lore serve` as River jobs:
// forwarding statements to the LRS, the hourly check for leaders' weekly
// digests, and retention. Each is a periodic job, so that replicas sharing
// a database run it once per period between them.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/lorehq/lore/bot/engagement"
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

// DigestArgs is the hourly job that sends the weekly digests due.
type DigestArgs struct{}

// Kind names the job in the queue.
func (DigestArgs) Kind() string { return "engagement_digest" }

// DigestWorker works DigestArgs.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	Digester *engagement.Digester
	Clock    func() time.Time // default time.Now
}

// Work sends the digests due in the current hour.
func (w *DigestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	now := time.Now
	if w.Clock != nil {
		now = w.Clock
	}
	_, err := w.Digester.RunHour(ctx, now())
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
	Retention    Compactor            // nil: keep events forever
	Keep         time.Duration
	Logger       *slog.Logger
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
		if err := river.AddWorkerSafely(workers, &DigestWorker{Digester: cfg.Digester}); err != nil {
			return nil, err
		}
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil }, nil))
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
