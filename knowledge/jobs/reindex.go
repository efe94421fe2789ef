package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

// ReindexArgs asks for every chunk to be embedded again with the embedder
// the workers are configured with. It has no arguments: one reindex at a
// time is queued.
type ReindexArgs struct{}

// Kind implements river.JobArgs.
func (ReindexArgs) Kind() string { return "reindex" }

// InsertOpts implements river.JobArgsWithInsertOpts: at most one reindex
// waits or runs at a time.
func (ReindexArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
}

// Reindexer is the knowledge capability as the reindex worker uses it.
type Reindexer interface {
	Reindex(ctx context.Context, owner string, progress knowledge.ReindexProgress) (knowledge.ReindexSummary, error)
}

// ReindexWorker works ReindexArgs jobs.
type ReindexWorker struct {
	river.WorkerDefaults[ReindexArgs]
	Knowledge Reindexer
	Logger    *slog.Logger
	Owner     string
}

// reindexTimeout bounds one run. A run cut short keeps what it staged, so
// the next attempt continues rather than starting again.
const reindexTimeout = 2 * time.Hour

// Timeout implements river.Worker.
func (w *ReindexWorker) Timeout(*river.Job[ReindexArgs]) time.Duration { return reindexTimeout }

// Work implements river.Worker.
func (w *ReindexWorker) Work(ctx context.Context, job *river.Job[ReindexArgs]) error {
	log := w.Logger
	if log == nil {
		log = slog.Default()
	}
	progress := &logReindexProgress{log: log, job: job.ID, every: 30 * time.Second}
	sum, err := w.Knowledge.Reindex(ctx, w.Owner, progress)
	switch {
	case errors.Is(err, store.ErrLocked):
		return river.JobSnooze(lockedRetry)
	case errors.Is(err, knowledge.ErrCannotReindex):
		return river.JobCancel(err)
	case err != nil:
		return err
	}
	if sum.UpToDate {
		log.InfoContext(ctx, "reindex job: vectors already up to date", "job", job.ID, "embedder", sum.To.Embedder)
		return nil
	}
	log.InfoContext(ctx, "reindex job done", "job", job.ID, "chunks", sum.Chunks,
		"from", sum.From.Embedder, "to", sum.To.Embedder, "took", sum.Duration)
	return nil
}

// logReindexProgress logs how far a reindex has come, at most every
// interval: a worker's progress bar is its log.
type logReindexProgress struct {
	log         *slog.Logger
	job         int64
	every       time.Duration
	total, done int
	last        time.Time
}

func (p *logReindexProgress) Total(chunks int) { p.total = p.done + chunks }

func (p *logReindexProgress) Done(chunks int) {
	p.done += chunks
	if time.Since(p.last) < p.every && p.done < p.total {
		return
	}
	p.last = time.Now()
	p.log.Info("reindex job progress", "job", p.job, "done", p.done, "total", p.total)
}

// RegisterReindex adds the reindex worker to workers.
func RegisterReindex(workers *river.Workers, w *ReindexWorker) error {
	return river.AddWorkerSafely(workers, w)
}
