package review

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/lorehq/lore/store/queue"
)

// RemindArgs is the daily job that sends owners' reminders.
type RemindArgs struct{}

// Kind names the job in the queue.
func (RemindArgs) Kind() string { return "review_remind" }

// InsertOpts implements river.JobArgsWithInsertOpts. Reminders are chat
// messages, so the job goes to the chat queue, which only replicas with
// chat adapters work. A run asked for by 'lore review --send' is not
// unique: the store's record of what was sent keeps each document to one
// reminder a week however many runs there are.
func (RemindArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue.ChatQueue, MaxAttempts: 3}
}

// periodicInsertOpts are the daily job's options: RemindArgs's, unique by
// the day.
func periodicInsertOpts() *river.InsertOpts {
	opts := RemindArgs{}.InsertOpts()
	opts.UniqueOpts = river.UniqueOpts{ByPeriod: 24 * time.Hour}
	return &opts
}

// RemindWorker works RemindArgs.
type RemindWorker struct {
	river.WorkerDefaults[RemindArgs]
	Service *Service
}

// Work sends the reminders due. Reminders that could not reach anyone are
// released for the next day's run, so the job itself fails only on the
// database.
func (w *RemindWorker) Work(ctx context.Context, _ *river.Job[RemindArgs]) error {
	res, err := w.Service.Send(ctx)
	if errors.Is(err, ErrNoMessenger) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	w.Service.cfg.Logger.InfoContext(ctx, "review reminders", "reminded", res.Reminded, "messages", res.Messages,
		"unrouted", res.Unrouted, "failed", res.Failed)
	return nil
}

// Register adds the reminder worker to workers and returns its daily
// periodic job (also run at start; River's leader inserts periodic jobs,
// so replicas run it once between them).
func Register(workers *river.Workers, svc *Service) ([]*river.PeriodicJob, error) {
	if err := river.AddWorkerSafely(workers, &RemindWorker{Service: svc}); err != nil {
		return nil, err
	}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) {
			return RemindArgs{}, periodicInsertOpts()
		}, &river.PeriodicJobOpts{ID: "review_remind", RunOnStart: true})}, nil
}
