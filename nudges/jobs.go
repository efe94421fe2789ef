package nudges

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// PlanArgs is the periodic job that plans the nudges of the coming window.
type PlanArgs struct {
	// From is when the job was scheduled for, by the clock of the replica
	// that queued it, and the start of the window it plans: a job run late
	// (a default queue busy with long ingests) or on a replica whose clock
	// is ahead still plans the slots since then, which are delivered late
	// or recorded as missed rather than never planned. Zero (a job queued
	// by an earlier version) means the time it runs.
	From time.Time `json:"from,omitzero"`
}

// Kind implements river.JobArgs.
func (PlanArgs) Kind() string { return "nudge_plan" }

// DefaultPlanEvery and DefaultPlanAhead are how often the planner runs and
// how far ahead it plans. Windows overlap on purpose: a plan missed during
// a change of leader is covered by the next, and the Deliver jobs' unique
// keys make the overlap harmless.
const (
	DefaultPlanEvery = 10 * time.Minute
	DefaultPlanAhead = 30 * time.Minute
)

// PlanWorker works PlanArgs jobs: it plans [From, From+Ahead) and enqueues
// a Deliver job per nudge, scheduled at its slot.
type PlanWorker struct {
	river.WorkerDefaults[PlanArgs]
	Service *Service
	// Queue inserts the Deliver jobs: the River client the worker runs in,
	// set once the client exists.
	Queue Inserter
	Ahead time.Duration // default DefaultPlanAhead
}

// Work implements river.Worker: it plans [From, From+Ahead).
func (w *PlanWorker) Work(ctx context.Context, job *river.Job[PlanArgs]) error {
	if w.Queue == nil {
		return errors.New("plan nudges: no queue to insert deliveries into")
	}
	ahead := w.Ahead
	if ahead <= 0 {
		ahead = DefaultPlanAhead
	}
	from := job.Args.From
	if from.IsZero() {
		from = w.Service.now()
	}
	planned, err := w.Service.Plan(ctx, from, from.Add(ahead))
	if err != nil {
		return err
	}
	n, err := Enqueue(ctx, w.Queue, planned)
	if err != nil {
		return err
	}
	w.Service.log.InfoContext(ctx, "nudges planned", "from", from, "window", ahead, "planned", len(planned), "queued", n)
	return nil
}

// Register adds the planner and the deliverer to workers. Set
// plan.Queue to the River client once it is created.
func Register(workers *river.Workers, plan *PlanWorker, deliver *DeliverWorker) error {
	if err := river.AddWorkerSafely(workers, plan); err != nil {
		return err
	}
	return river.AddWorkerSafely(workers, deliver)
}

// PeriodicJobs returns the planner's periodic job, every `every` (default
// DefaultPlanEvery), run once at start. It is unique by period, so one
// replica plans each period. Give it to queue.Config.PeriodicJobs.
func PeriodicJobs(every time.Duration) ([]*river.PeriodicJob, error) {
	if every <= 0 {
		every = DefaultPlanEvery
	}
	if every < time.Minute {
		return nil, fmt.Errorf("nudge planning interval %s: must be at least 1m", every)
	}
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return PlanArgs{From: time.Now().UTC()}, opts },
		&river.PeriodicJobOpts{ID: "nudge_plan", RunOnStart: true})}, nil
}
