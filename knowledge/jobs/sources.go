package jobs

import (
	"context"
	"errors"
	"fmt"
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

// ScheduleSourceSyncsArgs asks for a look at every registered source and
// a sync of each whose schedule is due. One periodic job of this kind,
// rather than one per source, means a source added or changed while the
// replicas run (from the command line or from chat) is synced on its
// schedule without a restart.
type ScheduleSourceSyncsArgs struct{}

// Kind implements river.JobArgs.
func (ScheduleSourceSyncsArgs) Kind() string { return "schedule_source_syncs" }

// ScheduleEvery is how often the sources' schedules are checked: the
// shortest schedule a source may have (store.MinSourceInterval).
const ScheduleEvery = store.MinSourceInterval

// InsertOpts implements river.JobArgsWithInsertOpts: one look per period,
// whichever replica leads; a failed look is simply the next period's.
func (ScheduleSourceSyncsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByPeriod: ScheduleEvery}}
}

// SourceSyncQueue queues a sync of one source; a sync already waiting or
// running for it makes the call a no-op (SyncSourceArgs is unique by
// source among unfinished jobs).
type SourceSyncQueue interface {
	QueueSourceSync(ctx context.Context, name string) error
}

// ScheduleSourceSyncsWorker works ScheduleSourceSyncsArgs jobs.
type ScheduleSourceSyncsWorker struct {
	river.WorkerDefaults[ScheduleSourceSyncsArgs]
	Sources SourceLister
	Queue   SourceSyncQueue
	Clock   func() time.Time // default time.Now
	Logger  *slog.Logger
}

// DueSources names the sources with a schedule (Source.Every > 0) that
// were never synced or whose last sync, successful or not, ended at least
// Every before now. A failing source is tried again on its schedule, not
// every minute.
func DueSources(srcs []store.Source, now time.Time) []string {
	var due []string
	for _, src := range srcs {
		if src.Every <= 0 {
			continue
		}
		if last := src.Status.LastSync; last.IsZero() || !now.Before(last.Add(src.Every)) {
			due = append(due, src.Name)
		}
	}
	return due
}

// Work implements river.Worker.
func (w *ScheduleSourceSyncsWorker) Work(ctx context.Context, job *river.Job[ScheduleSourceSyncsArgs]) error {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	now := time.Now
	if w.Clock != nil {
		now = w.Clock
	}
	srcs, err := w.Sources.ListSources(ctx)
	if err != nil {
		return fmt.Errorf("list sources: %w", err)
	}
	var errs []error
	for _, name := range DueSources(srcs, now()) {
		if err := w.Queue.QueueSourceSync(ctx, name); err != nil {
			errs = append(errs, fmt.Errorf("queue a sync of %s: %w", name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		log.WarnContext(ctx, "scheduling source syncs failed", "job", job.ID, "err", err)
		return err
	}
	return nil
}

// PeriodicSourceSchedule is the periodic job that checks the sources'
// schedules every ScheduleEvery, and once at start.
func PeriodicSourceSchedule() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ScheduleEvery),
		func() (river.JobArgs, *river.InsertOpts) { return ScheduleSourceSyncsArgs{}, nil },
		&river.PeriodicJobOpts{ID: "source-schedule", RunOnStart: true})
}

// RegisterSources adds the source sync worker and the schedule's worker
// to workers.
func RegisterSources(workers *river.Workers, sync *SyncSourceWorker, schedule *ScheduleSourceSyncsWorker) error {
	if err := river.AddWorkerSafely(workers, sync); err != nil {
		return err
	}
	return river.AddWorkerSafely(workers, schedule)
}
