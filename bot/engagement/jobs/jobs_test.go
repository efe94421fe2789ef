package jobs_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/bot/engagement/jobs"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
)

type flusher struct {
	n   int
	err error
}

func (f *flusher) Flush(context.Context) (int, error) { return f.n, f.err }

type compactor struct{ before time.Time }

func (c *compactor) Compact(_ context.Context, before time.Time) (int, error) {
	c.before = before
	return 3, nil
}

func TestForwardWorkerKeepsFailuresForNextPeriod(t *testing.T) {
	w := &jobs.ForwardWorker{Forwarder: &flusher{n: 2, err: errors.New("LRS down")}}
	if err := w.Work(t.Context(), &river.Job[jobs.ForwardArgs]{}); err != nil {
		t.Errorf("Work = %v, want nil: the outbox keeps what failed", err)
	}
}

func TestRetentionWorkerCutsAtKeep(t *testing.T) {
	now := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	c := &compactor{}
	w := &jobs.RetentionWorker{Store: c, Keep: 30 * 24 * time.Hour, Clock: func() time.Time { return now }}
	if err := w.Work(t.Context(), &river.Job[jobs.RetentionArgs]{}); err != nil {
		t.Fatal(err)
	}
	if want := now.AddDate(0, 0, -30); !c.before.Equal(want) {
		t.Errorf("compacted before %v, want %v", c.before, want)
	}
}

func TestRegister(t *testing.T) {
	workers := river.NewWorkers()
	periodic, err := jobs.Register(workers, jobs.Config{
		Forwarder: &flusher{}, Digester: &engagement.Digester{}, Queue: &jobs.LateInserter{}, Retention: &compactor{}, Keep: 365 * 24 * time.Hour,
	})
	if err != nil || len(periodic) != 3 {
		t.Fatalf("Register = %d jobs, %v", len(periodic), err)
	}
	if _, err := jobs.Register(river.NewWorkers(), jobs.Config{Digester: &engagement.Digester{}}); err == nil {
		t.Error("digests without a queue were accepted")
	}
	if _, err := jobs.Register(river.NewWorkers(), jobs.Config{Retention: &compactor{}, Keep: time.Hour}); err == nil {
		t.Error("a retention of one hour was accepted")
	}
}

func TestHourlyScheduleRunsPastEveryHour(t *testing.T) {
	for _, c := range []struct{ now, want string }{
		{"2026-03-09T07:59:59Z", "2026-03-09T08:01:00Z"},
		{"2026-03-09T08:00:30Z", "2026-03-09T08:01:00Z"},
		{"2026-03-09T08:01:00Z", "2026-03-09T09:01:00Z"},
		{"2026-03-09T23:30:00Z", "2026-03-10T00:01:00Z"},
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := (jobs.HourlySchedule{}).Next(now).Format(time.RFC3339); got != c.want {
			t.Errorf("Next(%s) = %s, want %s", c.now, got, c.want)
		}
	}
}

// countingSender is a fake chat platform that counts digests per leader.
type countingSender struct {
	mu   sync.Mutex
	sent map[string]int
	fail int // the first fail sends fail, as a platform outage would
}

func (s *countingSender) SendDigest(_ context.Context, to engagement.Destination, m engagement.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("platform unavailable")
	}
	if len(m.Chart) == 0 {
		return errors.New("digest without chart")
	}
	s.sent[to.User]++
	return nil
}

func (s *countingSender) count(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[user]
}

// Two replicas (two River clients on one database) both run the hourly
// digest job, twice each, as after a change of River leader: each due
// leader gets one digest, a leader whose morning it is not gets none, and
// a failed send is retried.
func TestDigestSentOnceAcrossReplicas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lore.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 9, 8, 20, 0, 0, time.UTC) // a Monday
	tuesday := time.Tuesday
	sender := &countingSender{sent: map[string]int{}, fail: 1}
	digester := &engagement.Digester{Source: st, Sender: sender, Leaders: []engagement.Leader{
		{Name: "ana", To: engagement.Destination{Platform: "slack", User: "UANA"}},
		{Name: "ben", TimeZone: "Europe/Paris", Hour: 9, To: engagement.Destination{Platform: "slack", User: "UBEN"}},
		{Name: "cy", Weekday: &tuesday, To: engagement.Destination{Platform: "slack", User: "UCY"}},
	}}

	var clients []*river.Client[*sql.Tx]
	for range 2 {
		db, err := queue.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := queue.MigrateSQLite(t.Context(), db); err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		late := &jobs.LateInserter{}
		if _, err := jobs.Register(workers, jobs.Config{Digester: digester, Queue: late, Clock: func() time.Time { return now }}); err != nil {
			t.Fatal(err)
		}
		c, err := queue.NewSQLite(db, queue.Config{Workers: workers, FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		late.Set(c)
		clients = append(clients, c)
	}
	for _, c := range clients {
		for range 2 {
			if _, err := c.Insert(t.Context(), jobs.DigestArgs{}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range clients {
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
	}
	// The failed first send is retried after River's first back-off
	// (about a second).
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && sender.count("UANA")+sender.count("UBEN") < 2 {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show
	for user, want := range map[string]int{"UANA": 1, "UBEN": 1, "UCY": 0} {
		if got := sender.count(user); got != want {
			t.Errorf("%s got %d digests, want %d", user, got, want)
		}
	}
	// The sends wait in the chat queue for a replica with chat adapters;
	// the hourly planner sends nothing and stays in the default queue.
	wantQueue(t, clients[0], jobs.DigestSendArgs{}.Kind(), queue.ChatQueue)
	wantQueue(t, clients[0], jobs.DigestArgs{}.Kind(), queue.DefaultQueue)
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

func TestDigestSendForgetsRemovedLeader(t *testing.T) {
	w := &jobs.DigestSendWorker{Digester: &engagement.Digester{}}
	err := w.Work(t.Context(), &river.Job[jobs.DigestSendArgs]{Args: jobs.DigestSendArgs{Leader: "gone", Until: time.Now()}})
	if err == nil || !errors.Is(err, engagement.ErrUnknownLeader) {
		t.Errorf("Work = %v, want a cancelled job for an unknown leader", err)
	}
}

type recordingInserter struct{ params []river.InsertManyParams }

func (r *recordingInserter) InsertMany(_ context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	r.params = append(r.params, params...)
	res := make([]*rivertype.JobInsertResult, len(params))
	for i := range res {
		res[i] = &rivertype.JobInsertResult{}
	}
	return res, nil
}

// The hourly job queues the digests of the hour it was scheduled for, not
// of the hour its worker's clock shows: a job run late (the default queue
// busy with long ingests, a retry) or on a replica whose clock is behind
// still queues its leaders' digests. A job queued by an earlier version,
// without a time, uses the worker's clock.
func TestDigestJobQueuesTheHourItWasScheduledFor(t *testing.T) {
	scheduled := time.Date(2026, 3, 9, 9, 1, 0, 0, time.UTC) // a Monday
	digester := &engagement.Digester{Leaders: []engagement.Leader{
		{Name: "ana", Hour: 9, To: engagement.Destination{Platform: "slack", User: "UANA"}},
		{Name: "ben", Hour: 10, To: engagement.Destination{Platform: "slack", User: "UBEN"}},
	}}
	for _, tc := range []struct {
		name  string
		args  string
		clock time.Time
		want  string
	}{
		{"run late", `{"at":"2026-03-09T09:01:00Z"}`, scheduled.Add(59*time.Minute + 30*time.Second), "ana"},
		{"worker clock behind", `{"at":"2026-03-09T09:01:00Z"}`, scheduled.Add(-2 * time.Minute), "ana"},
		{"queued by an earlier version", `{}`, scheduled.Add(time.Hour), "ben"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var args jobs.DigestArgs
			if err := json.Unmarshal([]byte(tc.args), &args); err != nil {
				t.Fatal(err)
			}
			in := &recordingInserter{}
			w := &jobs.DigestWorker{Digester: digester, Queue: in, Clock: func() time.Time { return tc.clock }}
			if err := w.Work(t.Context(), &river.Job[jobs.DigestArgs]{Args: args}); err != nil {
				t.Fatal(err)
			}
			if len(in.params) != 1 {
				t.Fatalf("queued %d digests, want 1 (%s's)", len(in.params), tc.want)
			}
			send := in.params[0].Args.(jobs.DigestSendArgs)
			if send.Leader != tc.want || !send.Until.Equal(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("queued %+v, want %s's digest of the week until 9 March", send, tc.want)
			}
		})
	}
}
