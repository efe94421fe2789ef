package jobs_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
	"github.com/lorehq/lore/store/storetest"
)

func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func writeDocs(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		body := fmt.Sprintf("# Policy %d\n\nThe rule number %d says that expense claims need a receipt within %d days.\n", i, i, i+3)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("policy-%02d.md", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// waitJob waits until the job reaches a final state and returns it.
func waitJob(t *testing.T, c queue.Client, id int64) *rivertype.JobRow {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		row, err := c.JobGet(t.Context(), id)
		if err != nil {
			t.Fatalf("get job %d: %v", id, err)
		}
		switch row.State {
		case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
			return row
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %d did not finish in 30 s", id)
	return nil
}

// An ingest queued on the embedded SQLite database is worked by a River
// client on the same file and loads the documents; the same request queued
// again while the first is pending is not queued twice.
func TestIngestJobOnSQLite(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "docs")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDocs(t, src, 5)
	path := filepath.Join(dir, "lore.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := queue.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatalf("second migrate: %v", err)
	}

	// An inserting client first, not working: both requests are queued
	// before anything runs.
	inserter, err := queue.NewSQLite(db, queue.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	args, err := jobs.NewIngestArgs([]string{src}, "handbook", false)
	if err != nil {
		t.Fatal(err)
	}
	first, err := inserter.Insert(t.Context(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := inserter.Insert(t.Context(), args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !second.UniqueSkippedAsDuplicate || second.Job.ID != first.Job.ID {
		t.Fatalf("the same ingest queued twice: jobs %d and %d", first.Job.ID, second.Job.ID)
	}

	workers := river.NewWorkers()
	k := knowledge.New(st, knowledge.Options{})
	if err := jobs.Register(workers, &jobs.IngestWorker{Knowledge: k, Logger: testLogger(t), Owner: "test"}); err != nil {
		t.Fatal(err)
	}
	worker, err := queue.NewSQLite(db, queue.Config{Workers: workers, Logger: testLogger(t), FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := worker.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer worker.Stop(context.Background())

	row := waitJob(t, worker, first.Job.ID)
	if row.State != rivertype.JobStateCompleted {
		t.Fatalf("ingest job ended %s: %v", row.State, row.Errors)
	}
	stats, err := st.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Documents != 5 {
		t.Fatalf("after the ingest job the store holds %d documents, want 5", stats.Documents)
	}
}

func TestNewIngestArgsRefusesMissingPath(t *testing.T) {
	if _, err := jobs.NewIngestArgs([]string{filepath.Join(t.TempDir(), "nope")}, "", false); err == nil || !os.IsNotExist(errorsUnwrapAll(err)) {
		t.Fatalf("missing path: err = %v, want not-exist", err)
	}
	if _, err := jobs.NewIngestArgs(nil, "", false); err == nil {
		t.Fatal("no paths: no error")
	}
	if _, err := jobs.PeriodicSync([]jobs.Source{{Path: t.TempDir()}}, 10*time.Millisecond); err == nil {
		t.Fatal("a 10 ms sync interval was accepted")
	}
}

func errorsUnwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		next := u.Unwrap()
		if next == nil {
			return err
		}
		err = next
	}
}

// countingIngester records the runs of ingest jobs.
type countingIngester struct {
	mu   sync.Mutex
	runs []time.Time
}

func (c *countingIngester) Ingest(ctx context.Context, req knowledge.IngestRequest, _ knowledge.Progress) (knowledge.IngestSummary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs = append(c.runs, time.Now())
	return knowledge.IngestSummary{}, nil
}

func (c *countingIngester) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.runs)
}

// Three replicas configured with the same periodic re-sync run it once per
// period between them, not once per replica.
func TestPeriodicSyncRunsOncePerPeriodAcrossReplicas(t *testing.T) {
	const (
		replicas = 3
		every    = 2 * time.Second
	)
	admin, err := pgxpool.New(t.Context(), storetest.WithParams(storetest.PostgresURL(t), map[string]string{"pool_max_conns": "4"}))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "lore_jobs_test_" + hex.EncodeToString(b)
	defer admin.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
	if err := queue.Migrate(t.Context(), admin, schema); err != nil {
		t.Fatal(err)
	}

	periodic, err := jobs.PeriodicSync([]jobs.Source{{Path: t.TempDir(), Collection: "wiki"}}, every)
	if err != nil {
		t.Fatal(err)
	}
	ingester := &countingIngester{}
	var clients []queue.Client
	for i := range replicas {
		pool, err := pgxpool.New(t.Context(), storetest.WithParams(storetest.PostgresURL(t), map[string]string{"pool_max_conns": "8"}))
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		workers := river.NewWorkers()
		if err := jobs.Register(workers, &jobs.IngestWorker{Knowledge: ingester, Logger: testLogger(t)}); err != nil {
			t.Fatal(err)
		}
		c, err := queue.New(pool, queue.Config{
			Workers: workers, PeriodicJobs: periodic, Logger: testLogger(t), Schema: schema,
			ID: fmt.Sprintf("replica-%d", i), FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	// Long enough for a leader to be elected and several periods to pass.
	time.Sleep(12 * time.Second)
	for _, c := range clients {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := c.Stop(stopCtx); err != nil {
			t.Errorf("stop: %v", err)
		}
		cancel()
	}

	var rows, distinctRuns int
	if err := admin.QueryRow(t.Context(), "SELECT count(*), count(*) FILTER (WHERE state = 'completed') FROM "+
		pgx.Identifier{schema, "river_job"}.Sanitize()+" WHERE kind = 'ingest'").Scan(&rows, &distinctRuns); err != nil {
		t.Fatal(err)
	}
	runs := ingester.count()
	t.Logf("%d periodic jobs inserted, %d completed, %d runs", rows, distinctRuns, runs)
	if runs < 2 {
		t.Fatalf("the periodic sync ran %d times in 12 s with a 2 s period", runs)
	}
	// Once per period between all replicas: at most one run per period
	// elapsed, plus the run at start.
	if maxRuns := int(12*time.Second/every) + 1; runs > maxRuns {
		t.Fatalf("the periodic sync ran %d times in 12 s with a 2 s period across %d replicas, want at most %d", runs, replicas, maxRuns)
	}
	if runs != distinctRuns {
		t.Fatalf("%d runs for %d completed jobs: a job ran twice", runs, distinctRuns)
	}
	ingester.mu.Lock()
	defer ingester.mu.Unlock()
	for i := 1; i < len(ingester.runs); i++ {
		if gap := ingester.runs[i].Sub(ingester.runs[i-1]); gap < every/2 {
			t.Errorf("runs %d and %d only %s apart: one period ran twice", i-1, i, gap)
		}
	}
}

type fakeReindexer struct {
	mu      sync.Mutex
	runs    int
	results []error
}

func (f *fakeReindexer) Reindex(_ context.Context, _ string, p knowledge.ReindexProgress) (knowledge.ReindexSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	p.Total(3)
	p.Done(3)
	err := f.results[0]
	f.results = f.results[1:]
	return knowledge.ReindexSummary{Chunks: 3}, err
}

// A reindex queued twice runs once; one that finds another holding the
// lock waits for it instead of failing.
func TestReindexJobOnSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lore.db")
	db, err := queue.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	re := &fakeReindexer{results: []error{fmt.Errorf("wrapped: %w", store.ErrLocked), nil}}
	if err := jobs.RegisterReindex(workers, &jobs.ReindexWorker{Knowledge: re, Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	c, err := queue.NewSQLite(db, queue.Config{Workers: workers, Logger: testLogger(t), FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Insert(t.Context(), jobs.ReindexArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second, err := c.Insert(t.Context(), jobs.ReindexArgs{}, nil); err != nil || !second.UniqueSkippedAsDuplicate {
		t.Fatalf("a second reindex was queued: %+v %v", second, err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	// Snoozed: River records the job as scheduled for later, not failed.
	var row *rivertype.JobRow
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if row, err = c.JobGet(t.Context(), first.Job.ID); err != nil {
			t.Fatal(err)
		}
		if row.State == rivertype.JobStateScheduled {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if row.State != rivertype.JobStateScheduled || len(row.Errors) != 0 {
		t.Fatalf("a reindex that met the lock is %s with errors %v, want scheduled for later without an error", row.State, row.Errors)
	}
	re.mu.Lock()
	defer re.mu.Unlock()
	if re.runs != 1 {
		t.Fatalf("reindex ran %d times", re.runs)
	}
}

// A periodic re-sync is unique within its period even once it has
// completed: a new leader's start (RunOnStart) in the same period does not
// queue that period's sync again.
func TestPeriodicSyncStaysUniqueOnceCompleted(t *testing.T) {
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	if err := os.Mkdir(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lore.db")
	db, err := queue.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	ingester := &countingIngester{}
	workers := river.NewWorkers()
	if err := jobs.Register(workers, &jobs.IngestWorker{Knowledge: ingester, Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	c, err := queue.NewSQLite(db, queue.Config{Workers: workers, Logger: testLogger(t), FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())

	args, err := jobs.NewIngestArgs([]string{docs}, "c", true)
	if err != nil {
		t.Fatal(err)
	}
	opts := jobs.PeriodicInsertOpts(args, time.Hour)
	first, err := c.Insert(t.Context(), args, &opts)
	if err != nil {
		t.Fatal(err)
	}
	if row := waitJob(t, c, first.Job.ID); row.State != rivertype.JobStateCompleted {
		t.Fatalf("the period's sync ended %s: %v", row.State, row.Errors)
	}
	again, err := c.Insert(t.Context(), args, &opts)
	if err != nil {
		t.Fatal(err)
	}
	if !again.UniqueSkippedAsDuplicate || again.Job.ID != first.Job.ID {
		t.Errorf("the period's sync was queued again after it completed: jobs %d and %d", first.Job.ID, again.Job.ID)
	}
	if n := ingester.count(); n != 1 {
		t.Errorf("the sync ran %d times in one period", n)
	}
}
