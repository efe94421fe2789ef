package peers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/queue"
)

// Pairing rounds run as a River job: TickArgs asks for Service.Tick, which
// makes each enabled channel's round for the current period (once: the
// round id names the channel and period, and CreateRound stores it only if
// absent), sends the introductions that are due and the halfway check-ins.
//
// PeriodicJobs inserts a tick every interval. River inserts periodic jobs
// from the elected leader only, and the tick is unique by period as well,
// so a change of leader close to a tick cannot run one period twice;
// replicas that race anyway agree on the round through CreateRound.
// Messages go out at least once: a group whose introduction was sent but
// not yet marked sent when a replica died is introduced again.

// TickArgs asks for the scheduled work of pairing rounds.
type TickArgs struct{}

// Kind implements river.JobArgs.
func (TickArgs) Kind() string { return "peers_tick" }

// InsertOpts implements river.JobArgsWithInsertOpts: a tick sends
// introductions and check-ins, and lists channel members through the chat
// platform, so it goes to the chat queue, which only replicas with chat
// adapters work. A tick is queued once while an earlier one has not
// finished.
func (TickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Queue:       queue.ChatQueue,
		MaxAttempts: 5,
		UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled,
		}},
	}
}

// DefaultTickEvery is how often the periodic tick runs: introductions go
// out within this much of their hour.
const DefaultTickEvery = 15 * time.Minute

// tickTimeout bounds one tick; a large workspace's round takes seconds.
const tickTimeout = 10 * time.Minute

// TickWorker works TickArgs jobs.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	Service *Service
}

// Timeout implements river.Worker.
func (w *TickWorker) Timeout(*river.Job[TickArgs]) time.Duration { return tickTimeout }

// tickLockedRetry is how long a tick waits while another one runs.
const tickLockedRetry = time.Minute

// Work implements river.Worker. While another tick runs, the job is
// snoozed, which uses no attempt, and runs once that one is done.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	err := w.Service.Tick(ctx)
	if errors.Is(err, store.ErrLocked) {
		return river.JobSnooze(tickLockedRetry)
	}
	return err
}

// TickInsertOpts are the insert options of the periodic tick: the chat
// queue, and one tick per period of every, finished or not (River's
// default unique states, which include completed).
func TickInsertOpts(every time.Duration) river.InsertOpts {
	return river.InsertOpts{Queue: queue.ChatQueue, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByPeriod: every}}
}

// PeriodicJobs returns the periodic tick, every interval and once at
// start. Give it to queue.Config.PeriodicJobs.
func PeriodicJobs(every time.Duration) ([]*river.PeriodicJob, error) {
	if every < time.Minute {
		return nil, fmt.Errorf("pairing tick interval %s: must be at least 1m", every)
	}
	opts := TickInsertOpts(every)
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return TickArgs{}, &opts },
		&river.PeriodicJobOpts{ID: "peers_tick", RunOnStart: true})}, nil
}

// Register adds the tick worker over s to workers.
func Register(workers *river.Workers, s *Service) error {
	return river.AddWorkerSafely(workers, &TickWorker{Service: s})
}
