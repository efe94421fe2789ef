package queue_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/storetest"
)

// The tests run against the PostgreSQL named by LORE_TEST_DATABASE_URL,
// each in a schema of its own that is dropped when it ends.
var (
	testURL    = storetest.PostgresURL
	withParams = storetest.WithParams
)

// openPool opens a pool on the test database, closed when the test ends.
func openPool(tb testing.TB, appName string, maxConns int) *pgxpool.Pool {
	tb.Helper()
	u := withParams(testURL(tb), map[string]string{
		"pool_max_conns":   fmt.Sprint(maxConns),
		"application_name": appName,
	})
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		tb.Fatalf("connect to %s: %v", storetest.PostgresURLEnv, err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// newSchema names a fresh schema, dropped when the test ends; Migrate
// creates it.
func newSchema(tb testing.TB, admin *pgxpool.Pool) string {
	tb.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "lore_queue_test_" + hex.EncodeToString(b)
	tb.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// testLogger passes River's warnings and errors to the test log.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Environment of a replica run as a process of its own (runReplica).
const (
	replicaEnv       = "LORE_QUEUE_TEST_REPLICA"
	replicaSchemaEnv = "LORE_QUEUE_TEST_SCHEMA"
	replicaDoneEnv   = "LORE_QUEUE_TEST_DONE"
)

// TestMain lets this test binary run as a replica of its own, which a
// test can kill outright.
// killedAppPrefix names the connections of the replica process a test
// kills, so that the test can wait until the server has closed them.
const killedAppPrefix = "lore-queue-killed-"

func TestMain(m *testing.M) {
	if name := os.Getenv(replicaEnv); name != "" {
		os.Exit(runReplica(name))
	}
	os.Exit(m.Run())
}

// runReplica works markArgs jobs until the process is killed, saying
// "started" on its standard output once it works.
func runReplica(name string) int {
	ctx := context.Background()
	u := withParams(os.Getenv(storetest.PostgresURLEnv), map[string]string{"pool_max_conns": "16", "application_name": killedAppPrefix + name})
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &markWorker{pool: pool, replica: name, done: os.Getenv(replicaDoneEnv), failed: new(atomic.Int64)})
	c, err := queue.New(pool, queue.Config{
		Workers: workers, Schema: os.Getenv(replicaSchemaEnv), ID: name,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		FetchCooldown:     20 * time.Millisecond,
		FetchPollInterval: 50 * time.Millisecond,
	})
	if err == nil {
		err = c.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("started")
	select {}
}

func TestMigrateIsRepeatable(t *testing.T) {
	admin := openPool(t, "lore-queue-test", 4)
	schema := newSchema(t, admin)
	for range 2 {
		if err := queue.Migrate(t.Context(), admin, schema); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	var tables int
	if err := admin.QueryRow(t.Context(),
		"SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename IN ('river_job', 'river_migration', 'river_leader', 'river_queue')",
		schema).Scan(&tables); err != nil || tables != 4 {
		t.Fatalf("schema %s holds %d of River's tables (%v), want 4", schema, tables, err)
	}
}

func TestRefusesBadSchema(t *testing.T) {
	for _, schema := range []string{"bad-name", "1st", strings.Repeat("s", 41), `a"b`} {
		if _, err := queue.New(&pgxpool.Pool{}, queue.Config{Schema: schema}); err == nil {
			t.Errorf("New with schema %q: no error", schema)
		}
		if err := queue.Migrate(t.Context(), &pgxpool.Pool{}, schema); err == nil {
			t.Errorf("Migrate with schema %q: no error", schema)
		}
	}
}

// markArgs is a job that records its own completion.
type markArgs struct {
	Seq int `json:"seq"`
}

func (markArgs) Kind() string { return "lore_test_mark" }

// markWorker records each job in done and completes it in the same
// transaction, so that a job counts as done exactly when River counts it
// as completed.
type markWorker struct {
	river.WorkerDefaults[markArgs]
	pool    *pgxpool.Pool
	replica string
	done    string // sanitized name of the done table
	failed  *atomic.Int64
}

func (w *markWorker) Work(ctx context.Context, job *river.Job[markArgs]) (err error) {
	defer func() {
		if err != nil {
			w.failed.Add(1)
		}
	}()
	tx, err := w.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "INSERT INTO "+w.done+" (job_id, worker, n) VALUES ($1, $2, 1) "+
		"ON CONFLICT (job_id) DO UPDATE SET n = done.n + 1", job.ID, w.replica); err != nil {
		return err
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Three replicas share ten thousand jobs; one of them, a process of its
// own, is killed (SIGKILL) half way, and every job must still be done
// exactly once: the jobs it was running stay "running" until another
// replica's rescuer takes them as stuck and they are worked again. A job's
// effect and its completion commit in one transaction, which the killed
// process's connection never commits.
func TestThreeReplicasShareJobsExactlyOnce(t *testing.T) {
	const (
		jobs     = 10_000
		replicas = 3
	)
	admin := openPool(t, "lore-queue-test", 4)
	schema := newSchema(t, admin)
	done := pgx.Identifier{schema, "done"}.Sanitize()
	riverJob := pgx.Identifier{schema, "river_job"}.Sanitize()

	// Replica 0 runs in another process, which the test kills; 1 and 2
	// run here.
	pools := make([]*pgxpool.Pool, replicas)
	for i := range pools {
		pools[i] = openPool(t, fmt.Sprintf("lore-queue-replica-%d", i), 16)
	}

	// Replicas starting together migrate together.
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i, pool := range pools {
		wg.Go(func() { errs[i] = queue.Migrate(t.Context(), pool, schema) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent migrate: %v", err)
	}
	var migrations, distinct int
	if err := admin.QueryRow(t.Context(), "SELECT count(*), count(DISTINCT (line, version)) FROM "+
		pgx.Identifier{schema, "river_migration"}.Sanitize()).Scan(&migrations, &distinct); err != nil {
		t.Fatal(err)
	}
	if migrations == 0 || migrations != distinct {
		t.Fatalf("river_migration holds %d rows for %d migrations, want each once", migrations, distinct)
	}

	if _, err := admin.Exec(t.Context(), "CREATE TABLE "+done+" (job_id bigint PRIMARY KEY, worker text NOT NULL, n int NOT NULL)"); err != nil {
		t.Fatal(err)
	}

	// The replicas here take a job running for over 2 s as stuck (River's
	// rescuer looks every 30 s, on the elected leader).
	clients := make([]*river.Client[pgx.Tx], replicas)
	var failed atomic.Int64 // runs that ended without committing
	for i := 1; i < replicas; i++ {
		name := fmt.Sprintf("replica-%d", i)
		workers := river.NewWorkers()
		river.AddWorker(workers, &markWorker{pool: pools[i], replica: name, done: done, failed: &failed})
		c, err := queue.New(pools[i], queue.Config{
			Workers:              workers,
			Logger:               testLogger(t),
			Schema:               schema,
			ID:                   name,
			FetchCooldown:        20 * time.Millisecond,
			FetchPollInterval:    50 * time.Millisecond,
			JobTimeout:           time.Second,
			RescueStuckJobsAfter: 2 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = c
	}

	start := time.Now()
	params := make([]river.InsertManyParams, jobs)
	for i := range params {
		params[i] = river.InsertManyParams{Args: markArgs{Seq: i + 1}}
	}
	if _, err := clients[1].InsertMany(t.Context(), params); err != nil {
		t.Fatalf("insert %d jobs: %v", jobs, err)
	}
	t.Logf("inserted %d jobs in %v", jobs, time.Since(start).Round(time.Millisecond))

	killed := exec.Command(os.Args[0], "-test.run=^$")
	killed.Env = append(os.Environ(), replicaEnv+"=replica-0", replicaSchemaEnv+"="+schema, replicaDoneEnv+"="+done)
	killed.Stderr = testWriter{t}
	out, err := killed.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := killed.Start(); err != nil {
		t.Fatalf("start replica 0: %v", err)
	}
	t.Cleanup(func() {
		_ = killed.Process.Kill()
		_ = killed.Wait()
	})
	line := make([]byte, len("started\n"))
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "started\n" {
		t.Fatalf("replica 0 did not start: %q, %v", line, err)
	}

	// Clients run on their own context: t.Context is cancelled before
	// cleanups run, which would turn the graceful stop below into a hard one.
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	start = time.Now()
	for i := 1; i < replicas; i++ {
		c := clients[i]
		if err := c.Start(runCtx); err != nil {
			t.Fatalf("start replica %d: %v", i, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Stop(ctx); err != nil {
				t.Errorf("stop replica %d: %v", i, err)
			}
		})
	}

	countDone := func() int {
		var n int
		if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM "+done).Scan(&n); err != nil {
			t.Fatalf("count done: %v", err)
		}
		return n
	}
	deadline := time.Now().Add(3 * time.Minute)
	waitFor := func(want int) {
		for {
			n := countDone()
			if n >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %v only %d of %d jobs are done", time.Since(start).Round(time.Millisecond), n, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitFor(jobs / 2)
	if err := killed.Process.Kill(); err != nil {
		t.Fatalf("kill replica 0: %v", err)
	}
	_ = killed.Wait()
	diedAt := time.Now()
	// A COMMIT the replica sent just before it died may still be running
	// on the server; until its connections are gone, a job it completed
	// could be read as left running.
	for {
		var open int
		if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
			killedAppPrefix+"replica-0").Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed replica's %d connections are still open", open)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("its connections closed %v after it died", time.Since(diedAt).Round(time.Millisecond))
	killedAt := countDone()
	// What it was running when it died stays "running" under its name.
	var orphans int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM "+riverJob+
		" WHERE state = 'running' AND attempted_by[array_length(attempted_by, 1)] = 'replica-0'").Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	t.Logf("replica 0 killed after %v with %d jobs done; %d jobs left running under its name",
		time.Since(start).Round(time.Millisecond), killedAt, orphans)

	waitFor(jobs)
	t.Logf("all %d jobs done after %v", jobs, time.Since(start).Round(time.Millisecond))

	// Every job is done once: ids 1..N, each committed once.
	var rows, minID, maxID, sumN, maxN int64
	if err := admin.QueryRow(t.Context(), "SELECT count(*), min(job_id), max(job_id), sum(n), max(n) FROM "+done).
		Scan(&rows, &minID, &maxID, &sumN, &maxN); err != nil {
		t.Fatal(err)
	}
	if rows != jobs || minID != 1 || maxID != jobs || sumN != jobs || maxN != 1 {
		t.Errorf("done holds %d rows, ids %d..%d, sum(n) %d, max(n) %d; want %d rows, ids 1..%d, each n = 1",
			rows, minID, maxID, sumN, maxN, jobs, jobs)
	}
	var unmatched int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM "+riverJob+" j FULL JOIN "+done+
		" d ON d.job_id = j.id WHERE j.id IS NULL OR d.job_id IS NULL").Scan(&unmatched); err != nil {
		t.Fatal(err)
	}
	if unmatched != 0 {
		t.Errorf("%d jobs are in only one of river_job and done", unmatched)
	}

	var completed int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FILTER (WHERE state = 'completed') FROM "+
		riverJob).Scan(&completed); err != nil {
		t.Fatal(err)
	}
	if completed != jobs {
		t.Errorf("river_job shows %d of %d jobs completed", completed, jobs)
	}

	perReplica, err := admin.Query(t.Context(), "SELECT worker, count(*) FROM "+done+" GROUP BY worker ORDER BY worker")
	if err != nil {
		t.Fatal(err)
	}
	counts, err := pgx.CollectRows(perReplica, func(r pgx.CollectableRow) (string, error) {
		var name string
		var n int
		err := r.Scan(&name, &n)
		return fmt.Sprintf("%s %d", name, n), err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("jobs per replica: %s; %d runs interrupted without committing", strings.Join(counts, ", "), failed.Load())
	if len(counts) < replicas {
		t.Errorf("jobs were worked by %d replica(s), want all %d to share them", len(counts), replicas)
	}
	// The jobs left running by the dead replica were rescued and done by
	// another one.
	var rescued int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM "+riverJob+" j JOIN "+done+
		" d ON d.job_id = j.id WHERE 'replica-0' = ANY (j.attempted_by) AND d.worker <> 'replica-0'").Scan(&rescued); err != nil {
		t.Fatal(err)
	}
	if rescued < orphans {
		t.Errorf("%d of the %d jobs replica 0 left running were done by another replica", rescued, orphans)
	}
}
