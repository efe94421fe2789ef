package nudges

import (
	"context"
	"database/sql"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/store/queue"
)

// TestRiverDeliversEachNudgeOnce runs the real path on SQLite: the planner
// job enqueues Deliver jobs, planned twice over, and River works them into
// the sender exactly once each.
func TestRiverDeliversEachNudgeOnce(t *testing.T) {
	f := setup(t)
	for _, u := range []string{"ann", "bob", "cy"} {
		f.cmd(t, u, "learn join security-basics")
	}
	tue := time.Date(2026, 3, 3, 9, 0, 0, 0, paris)
	f.clock.Set(tue)

	db, err := queue.OpenSQLite(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	plan := &PlanWorker{Service: f.svc, Ahead: time.Hour}
	if err := Register(workers, plan, &DeliverWorker{Service: f.svc}); err != nil {
		t.Fatal(err)
	}
	client, err := queue.NewSQLite(db, queue.Config{Workers: workers, FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	plan.Queue = client
	// Two planner runs, as after a change of leader inside one period.
	for range 2 {
		if _, err := client.Insert(t.Context(), PlanArgs{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Stop(context.Background()) })

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if f.sender.count("ann")+f.sender.count("bob")+f.sender.count("cy") >= 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // room for a duplicate to show
	for _, u := range []string{"ann", "bob", "cy"} {
		if n := f.sender.count(u); n != 1 {
			t.Errorf("%s got %d nudges, want 1", u, n)
		}
	}
	// Deliveries send direct messages, so they wait in the chat queue for
	// a replica with chat adapters; the planner sends nothing.
	wantQueue(t, client, DeliverArgs{}.Kind(), queue.ChatQueue)
	wantQueue(t, client, PlanArgs{}.Kind(), queue.DefaultQueue)
}

// TestForgottenLearnerIsNotNudged: forgetting a person deletes the nudges
// planned for them from the queue, and a nudge job that was running then,
// whose user the store cleared, sends nothing when retried.
func TestForgottenLearnerIsNotNudged(t *testing.T) {
	f := setup(t)
	for _, u := range []string{"ann", "bob"} {
		f.cmd(t, u, "learn join security-basics")
	}
	f.clock.Set(time.Date(2026, 3, 3, 9, 0, 0, 0, paris))
	db, err := queue.OpenSQLite(f.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	client, err := queue.NewSQLite(db, queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	plan := &PlanWorker{Service: f.svc, Queue: client, Ahead: time.Hour}
	if err := plan.Work(t.Context(), &river.Job[PlanArgs]{}); err != nil {
		t.Fatal(err)
	}
	queued := func() map[string]int {
		t.Helper()
		res, err := client.JobList(t.Context(), river.NewJobListParams().Kinds(DeliverArgs{}.Kind()).First(100))
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]int{}
		for _, j := range res.Jobs {
			var a DeliverArgs
			if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
				t.Fatal(err)
			}
			by[a.User]++
		}
		return by
	}
	if q := queued(); q["ann"] != 1 || q["bob"] != 1 {
		t.Fatalf("planned nudges by learner = %v, want one each for ann and bob", q)
	}
	if _, err := f.st.Forget(t.Context(), "ann", false); err != nil {
		t.Fatal(err)
	}
	if q := queued(); q["ann"] != 0 || q["bob"] != 1 {
		t.Errorf("planned nudges after forgetting ann = %v, want bob's only", q)
	}
	sent := f.sender.count("")
	job := &river.Job[DeliverArgs]{Args: DeliverArgs{Platform: "shell", Slot: f.clock.Now()}}
	if err := (&DeliverWorker{Service: f.svc}).Work(t.Context(), job); err != nil || f.sender.count("") != sent {
		t.Errorf("a nudge job without a user: %v, %d sent; want nothing done", err, f.sender.count("")-sent)
	}
}

// wantQueue checks that every job of kind went to the queue want.
func wantQueue(t *testing.T, c *river.Client[*sql.Tx], kind, want string) {
	t.Helper()
	res, err := c.JobList(t.Context(), river.NewJobListParams().Kinds(kind).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) == 0 {
		t.Fatalf("no %s job was queued", kind)
	}
	for _, j := range res.Jobs {
		if j.Queue != want {
			t.Errorf("%s job %d is in queue %q, want %q", kind, j.ID, j.Queue, want)
		}
	}
}

func TestPeriodicJobsRefuseTinyInterval(t *testing.T) {
	if _, err := PeriodicJobs(time.Second); err == nil {
		t.Error("a 1s planning interval was accepted")
	}
	jobs, err := PeriodicJobs(0)
	if err != nil || len(jobs) != 1 {
		t.Errorf("default = %v, %v", jobs, err)
	}
}

type recordingInserter struct{ args []DeliverArgs }

func (r *recordingInserter) InsertMany(_ context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res := make([]*rivertype.JobInsertResult, len(params))
	for i, p := range params {
		r.args = append(r.args, p.Args.(DeliverArgs))
		res[i] = &rivertype.JobInsertResult{}
	}
	return res, nil
}

// A planner job run late (the default queue busy with long ingests) plans
// the window it was scheduled for: the slots since then are queued, to be
// sent late or recorded as missed, not skipped. A job queued by an earlier
// version, without a time, plans from the worker's clock.
func TestPlanJobPlansTheWindowItWasScheduledFor(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	tue := time.Date(2026, 3, 3, 0, 0, 0, 0, paris)
	planned, err := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	if err != nil || len(planned) != 1 {
		t.Fatalf("Plan = %d deliveries, %v; want ann's", len(planned), err)
	}
	slot := planned[0].Slot
	scheduled := slot.Add(-5 * time.Minute)
	f.clock.Set(slot.Add(25 * time.Minute)) // the job runs 30 minutes late

	for _, tc := range []struct {
		name string
		args string
		want int
	}{
		{"run late", `{"from":"` + scheduled.UTC().Format(time.RFC3339) + `"}`, 1},
		{"queued by an earlier version", `{}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args PlanArgs
			if err := json.Unmarshal([]byte(tc.args), &args); err != nil {
				t.Fatal(err)
			}
			in := &recordingInserter{}
			w := &PlanWorker{Service: f.svc, Queue: in, Ahead: 30 * time.Minute}
			if err := w.Work(t.Context(), &river.Job[PlanArgs]{Args: args}); err != nil {
				t.Fatal(err)
			}
			if len(in.args) != tc.want {
				t.Fatalf("queued %d deliveries, want %d", len(in.args), tc.want)
			}
			if tc.want > 0 && (in.args[0].User != "ann" || !in.args[0].Slot.Equal(slot)) {
				t.Errorf("queued %+v, want ann's slot %v", in.args[0], slot)
			}
		})
	}
}
