// Package jobs runs the knowledge base's background work as River jobs:
// loading a source now (IngestArgs), re-syncing the sources lore serve is
// given on a schedule (PeriodicSync), syncing registered sources when
// their schedule is due (ScheduleSourceSyncsArgs, SyncSourceArgs), and
// embedding every chunk again (ReindexArgs), so that any replica can do
// the work and exactly one does each piece of it.
//
// An ingest job is unique among jobs not yet finished, by its arguments:
// asking twice for the same load while the first is queued or running
// queues it once. A periodic re-sync is inserted by River's elected leader
// only, and is unique by period as well, even once it has completed, so a
// change of leader within a period cannot run that period's sync twice.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

// IngestArgs asks for paths to be loaded into a collection.
type IngestArgs struct {
	// Paths are absolute: the worker may run in another process, in
	// another working directory.
	Paths      []string `json:"paths"`
	Collection string   `json:"collection"`
	Prune      bool     `json:"prune"`
}

// Kind implements river.JobArgs.
func (IngestArgs) Kind() string { return "ingest" }

// InsertOpts implements river.JobArgsWithInsertOpts: the same load is
// queued once while an earlier request for it has not finished.
func (IngestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 10,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
				rivertype.JobStateRunning, rivertype.JobStateScheduled,
			},
		},
	}
}

// NewIngestArgs validates a request and makes its paths absolute.
func NewIngestArgs(paths []string, collection string, prune bool) (IngestArgs, error) {
	if len(paths) == 0 {
		return IngestArgs{}, errors.New("ingest job: no paths")
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return IngestArgs{}, fmt.Errorf("ingest job: %s: %w", p, err)
		}
		if _, err := os.Stat(a); err != nil {
			return IngestArgs{}, fmt.Errorf("ingest job: %w", err)
		}
		abs[i] = a
	}
	if collection == "" {
		collection = knowledge.DefaultCollection
	}
	if err := store.CheckCollectionName(collection); err != nil {
		return IngestArgs{}, fmt.Errorf("ingest job: %w", err)
	}
	return IngestArgs{Paths: abs, Collection: collection, Prune: prune}, nil
}

// Ingester is the knowledge capability as the ingest worker uses it.
type Ingester interface {
	Ingest(ctx context.Context, req knowledge.IngestRequest, progress knowledge.Progress) (knowledge.IngestSummary, error)
}

// IngestWorker works IngestArgs jobs.
type IngestWorker struct {
	river.WorkerDefaults[IngestArgs]
	Knowledge Ingester
	Logger    *slog.Logger
	// Owner names this replica in the ingest lock.
	Owner string
}

// lockedRetry is how long a job waits when another ingest holds the
// database's ingest lock: that one is alive (its lease is renewed), so the
// job is snoozed rather than failed, without using up an attempt.
const lockedRetry = 30 * time.Second

// ingestTimeout bounds one run of an ingest job. Large sources take
// minutes; the bound exists so that a stuck run is eventually rescued.
const ingestTimeout = 2 * time.Hour

// Timeout implements river.Worker.
func (w *IngestWorker) Timeout(*river.Job[IngestArgs]) time.Duration { return ingestTimeout }

// Work implements river.Worker. Ingest is incremental and replaces each
// document atomically, so a run interrupted anywhere is finished by the
// next attempt without duplicates.
func (w *IngestWorker) Work(ctx context.Context, job *river.Job[IngestArgs]) error {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	sum, err := w.Knowledge.Ingest(ctx, knowledge.IngestRequest{
		Paths: job.Args.Paths, Collection: job.Args.Collection, Prune: job.Args.Prune, Owner: w.Owner,
	}, logProgress{log: log, job: job.ID})
	switch {
	case errors.Is(err, store.ErrLocked):
		log.InfoContext(ctx, "ingest job waits for another ingest", "job", job.ID, "err", err)
		return river.JobSnooze(lockedRetry)
	case errors.Is(err, os.ErrNotExist):
		// The source is gone; retrying cannot bring it back.
		return river.JobCancel(err)
	case err != nil:
		return err
	}
	for _, w := range sum.Warnings {
		log.WarnContext(ctx, "ingest job stored a file with a problem", "job", job.ID, "problem", w)
	}
	log.InfoContext(ctx, "ingest job done", "job", job.ID, "collection", job.Args.Collection,
		"added", sum.Added, "updated", sum.Updated, "unchanged", sum.Unchanged,
		"removed", sum.Removed, "skipped", sum.Skipped, "chunks", sum.Chunks, "took", sum.Duration)
	return nil
}

// logProgress reports a job's skipped files in the log; a worker has no
// terminal to draw a bar on.
type logProgress struct {
	log *slog.Logger
	job int64
}

func (logProgress) Total(int)   {}
func (logProgress) Done(string) {}
func (p logProgress) Warn(path string, err error) {
	p.log.Warn("ingest job skipped a file", "job", p.job, "path", path, "err", err)
}

// Source is a folder or file re-synced on a schedule.
type Source struct {
	Path       string
	Collection string
}

// PeriodicSync returns one periodic job per source, each re-syncing its
// source (with pruning, so files deleted upstream leave the index) every
// interval, and once at start. Give them to queue.Config.PeriodicJobs.
func PeriodicSync(sources []Source, every time.Duration) ([]*river.PeriodicJob, error) {
	if every < time.Second {
		return nil, fmt.Errorf("sync interval %s: must be at least 1s", every)
	}
	var out []*river.PeriodicJob
	for _, src := range sources {
		args, err := NewIngestArgs([]string{src.Path}, src.Collection, true)
		if err != nil {
			return nil, err
		}
		opts := periodicInsertOpts(args, every)
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return args, &opts },
			&river.PeriodicJobOpts{ID: "sync:" + args.Collection + ":" + args.Paths[0], RunOnStart: true}))
	}
	return out, nil
}

// periodicInsertOpts makes a periodic re-sync unique by period as well as
// by arguments, completed jobs included: once a period's sync has run, a
// new leader's start (RunOnStart) within that period does not queue it
// again.
func periodicInsertOpts(args IngestArgs, every time.Duration) river.InsertOpts {
	opts := args.InsertOpts()
	opts.UniqueOpts.ByPeriod = every
	opts.UniqueOpts.ByState = append(slices.Clone(opts.UniqueOpts.ByState), rivertype.JobStateCompleted)
	return opts
}

// Register adds the workers of this package to workers.
func Register(workers *river.Workers, w *IngestWorker) error {
	return river.AddWorkerSafely(workers, w)
}
