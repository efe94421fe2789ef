package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

// SyncSourceArgs asks for one registered source (see lore sources) to be
// synced.
type SyncSourceArgs struct {
	Name string `json:"name"`
}

// Kind implements river.JobArgs.
func (SyncSourceArgs) Kind() string { return "sync_source" }

// InsertOpts implements river.JobArgsWithInsertOpts: a sync of a source is
// queued once while an earlier one has not finished. A sync that fails
// because of the source is recorded on it and not retried (the next period
// tries again), so few attempts are needed: they cover database trouble.
func (SyncSourceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{
			ByArgs: true,
			ByState: []rivertype.JobState{
				rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
				rivertype.JobStateRunning, rivertype.JobStateScheduled,
			},
		},
	}
}

// SourceSyncer syncs a source by name; *sources.Syncer is one.
type SourceSyncer interface {
	Sync(ctx context.Context, name string, progress func(sources.Event)) (sources.Result, error)
}

var _ SourceSyncer = (*sources.Syncer)(nil)

// SyncSourceWorker works SyncSourceArgs jobs.
type SyncSourceWorker struct {
	river.WorkerDefaults[SyncSourceArgs]
	Syncer SourceSyncer
	Logger *slog.Logger
}

// Timeout implements river.Worker: a sitemap of a thousand pages, fetched
// politely, takes minutes.
func (w *SyncSourceWorker) Timeout(*river.Job[SyncSourceArgs]) time.Duration { return ingestTimeout }

// Work implements river.Worker.
func (w *SyncSourceWorker) Work(ctx context.Context, job *river.Job[SyncSourceArgs]) error {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	res, err := w.Syncer.Sync(ctx, job.Args.Name, func(ev sources.Event) {
		if ev.Outcome == "failed" {
			log.WarnContext(ctx, "source sync could not read a document", "job", job.ID, "source", job.Args.Name,
				"location", ev.Location, "err", ev.Err)
		}
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		// The source was removed after the job was queued.
		return river.JobCancel(err)
	case errors.Is(err, store.ErrLocked):
		log.InfoContext(ctx, "source sync waits for another sync of it", "job", job.ID, "source", job.Args.Name, "err", err)
		return river.JobSnooze(lockedRetry)
	case errors.Is(err, sources.ErrSourceFailed):
		// Recorded on the source, where `lore sources` shows it.
		log.WarnContext(ctx, "source sync failed", "job", job.ID, "source", job.Args.Name, "err", err)
		return nil
	case err != nil:
		return err
	}
	log.InfoContext(ctx, "source sync done", "job", job.ID, "source", job.Args.Name,
		"added", res.Added, "updated", res.Updated, "unchanged", res.Unchanged, "removed", res.Removed,
		"failed", res.Failed, "documents", res.Documents, "chunks", res.Chunks, "took", res.Duration)
	return nil
}

// SourceLister lists registered sources; store.Sources is one.
type SourceLister interface {
	ListSources(ctx context.Context) ([]store.Source, error)
}

// PeriodicSourceSyncs returns one periodic job per registered source that
// has a schedule (Source.Every > 0), each syncing it every Every and once
// at start. The jobs are unique by source and period, so replicas that
// all run them sync each source once per period between them. Sources
// added later are picked up when the replicas restart.
func PeriodicSourceSyncs(ctx context.Context, list SourceLister) ([]*river.PeriodicJob, error) {
	srcs, err := list.ListSources(ctx)
	if err != nil {
		return nil, err
	}
	var out []*river.PeriodicJob
	for _, src := range srcs {
		if src.Every <= 0 {
			continue
		}
		args := SyncSourceArgs{Name: src.Name}
		opts := args.InsertOpts()
		opts.UniqueOpts.ByPeriod = src.Every
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(src.Every),
			func() (river.JobArgs, *river.InsertOpts) { return args, &opts },
			&river.PeriodicJobOpts{ID: "source:" + src.Name, RunOnStart: true}))
	}
	return out, nil
}

// RegisterSources adds the source sync worker to workers.
func RegisterSources(workers *river.Workers, w *SyncSourceWorker) error {
	return river.AddWorkerSafely(workers, w)
}
