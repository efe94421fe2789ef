package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
)

// A source sync queued on SQLite is worked by a River client and fills the
// index; queued twice while pending, it is queued once. A sync that fails
// because of the source completes (the failure is on the source), and a
// sync of a removed source is cancelled.
func TestSyncSourceJobOnSQLite(t *testing.T) {
	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	if err := os.Mkdir(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDocs(t, docs, 3)
	path := filepath.Join(dir, "lore.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, src := range []store.Source{
		{Name: "handbook", Kind: store.SourceFiles, Location: docs, Collection: "handbook", Every: time.Hour},
		{Name: "gone", Kind: store.SourceFiles, Location: filepath.Join(dir, "missing"), Collection: "x"},
	} {
		if err := st.AddSource(t.Context(), src); err != nil {
			t.Fatal(err)
		}
	}
	db, err := queue.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := queue.MigrateSQLite(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	inserter, err := queue.NewSQLite(db, queue.Config{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := inserter.Insert(t.Context(), jobs.SyncSourceArgs{Name: "handbook"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := inserter.Insert(t.Context(), jobs.SyncSourceArgs{Name: "handbook"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !again.UniqueSkippedAsDuplicate || again.Job.ID != first.Job.ID {
		t.Fatalf("the same sync queued twice: jobs %d and %d", first.Job.ID, again.Job.ID)
	}
	failing, err := inserter.Insert(t.Context(), jobs.SyncSourceArgs{Name: "gone"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	removed, err := inserter.Insert(t.Context(), jobs.SyncSourceArgs{Name: "never-registered"}, nil)
	if err != nil {
		t.Fatal(err)
	}

	workers := river.NewWorkers()
	syncer := &sources.Syncer{Store: st, Index: knowledge.New(st, knowledge.Options{}), Owner: "test"}
	schedule := &jobs.ScheduleSourceSyncsWorker{Sources: st, Queue: insertQueue{inserter}, Logger: testLogger(t)}
	if err := jobs.RegisterSources(workers, &jobs.SyncSourceWorker{Syncer: syncer, Logger: testLogger(t)}, schedule); err != nil {
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

	for id, want := range map[int64]rivertype.JobState{
		first.Job.ID: rivertype.JobStateCompleted, failing.Job.ID: rivertype.JobStateCompleted,
		removed.Job.ID: rivertype.JobStateCancelled,
	} {
		if row := waitJob(t, worker, id); row.State != want {
			t.Errorf("job %d (%s) ended %s, want %s: %v", id, row.Kind, row.State, want, row.Errors)
		}
	}
	src, err := st.Source(t.Context(), "handbook")
	if err != nil || src.Status.Documents != 3 {
		t.Fatalf("handbook status %+v, %v", src.Status, err)
	}
	gone, _ := st.Source(t.Context(), "gone")
	if gone.Status.LastError == "" {
		t.Error("the failed sync left no error on its source")
	}

	// A source registered while the replicas run is synced by the next
	// look at the schedules, without a restart; the one synced a moment
	// ago, and the one without a schedule, are left alone.
	later := filepath.Join(dir, "later")
	if err := os.Mkdir(later, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDocs(t, later, 2)
	if err := st.AddSource(t.Context(), store.Source{Name: "later", Kind: store.SourceFiles, Location: later, Collection: "later", Every: time.Hour}); err != nil {
		t.Fatal(err)
	}
	look, err := inserter.Insert(t.Context(), jobs.ScheduleSourceSyncsArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if row := waitJob(t, worker, look.Job.ID); row.State != rivertype.JobStateCompleted {
		t.Fatalf("the schedule's job ended %s: %v", row.State, row.Errors)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		src, err := st.Source(t.Context(), "later")
		if err != nil {
			t.Fatal(err)
		}
		if src.Status.Documents == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the source added later was not synced: %+v", src.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	handbook, err := st.Source(t.Context(), "handbook")
	if err != nil {
		t.Fatal(err)
	}
	if !handbook.Status.LastSync.Equal(src.Status.LastSync) {
		t.Errorf("handbook, synced a moment before, was synced again by the schedule: %v then %v", src.Status.LastSync, handbook.Status.LastSync)
	}
}

// insertQueue queues source syncs through a River client.
type insertQueue struct{ c queue.Client }

func (q insertQueue) QueueSourceSync(ctx context.Context, name string) error {
	_, err := q.c.Insert(ctx, jobs.SyncSourceArgs{Name: name}, nil)
	return err
}

// A source is due when it has a schedule and was never synced, or its
// last sync, failed or not, ended a whole period ago.
func TestDueSources(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srcs := []store.Source{
		{Name: "never", Every: time.Hour},
		{Name: "unscheduled"},
		{Name: "recent", Every: time.Hour, Status: store.SourceStatus{LastSync: now.Add(-59 * time.Minute)}},
		{Name: "exactly", Every: time.Hour, Status: store.SourceStatus{LastSync: now.Add(-time.Hour)}},
		{Name: "failed-long-ago", Every: time.Hour, Status: store.SourceStatus{LastSync: now.Add(-3 * time.Hour), LastError: "404"}},
	}
	got := jobs.DueSources(srcs, now)
	want := []string{"never", "exactly", "failed-long-ago"}
	if !slices.Equal(got, want) {
		t.Errorf("due %v, want %v", got, want)
	}
}

// recordingQueue remembers the sources it was asked to sync.
type recordingQueue struct{ names []string }

func (q *recordingQueue) QueueSourceSync(_ context.Context, name string) error {
	q.names = append(q.names, name)
	return nil
}

// The schedule is read from the store at each look, so a source's new
// schedule (store.UpdateSource) is followed from the next look on, and a
// source set to sync only when asked is no longer queued.
func TestScheduleFollowsUpdatedSources(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	synced := now.Add(-2 * time.Hour)
	for _, name := range []string{"daily", "hourly"} {
		if err := st.AddSource(t.Context(), store.Source{Name: name, Kind: store.SourceURL, Location: "https://example.com/" + name,
			Collection: "default", Every: 24 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		if err := st.RecordSync(t.Context(), name, store.SyncRecord{Status: store.SourceStatus{LastSync: synced, LastSuccess: synced}}); err != nil {
			t.Fatal(err)
		}
	}
	look := func() []string {
		t.Helper()
		q := &recordingQueue{}
		w := &jobs.ScheduleSourceSyncsWorker{Sources: st, Queue: q, Clock: func() time.Time { return now }, Logger: testLogger(t)}
		if err := w.Work(t.Context(), &river.Job[jobs.ScheduleSourceSyncsArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
			t.Fatalf("schedule: %v", err)
		}
		return q.names
	}
	if got := look(); len(got) != 0 {
		t.Fatalf("synced 2h ago on a daily schedule, yet queued: %v", got)
	}
	hour := time.Hour
	if _, _, err := st.UpdateSource(t.Context(), "hourly", store.SourceUpdate{Every: &hour}); err != nil {
		t.Fatal(err)
	}
	if got := look(); !slices.Equal(got, []string{"hourly"}) {
		t.Fatalf("after the schedule became hourly, queued %v, want [hourly]", got)
	}
	manual := time.Duration(0)
	if _, _, err := st.UpdateSource(t.Context(), "hourly", store.SourceUpdate{Every: &manual}); err != nil {
		t.Fatal(err)
	}
	if got := look(); len(got) != 0 {
		t.Fatalf("after the schedule became 'only when asked', queued %v", got)
	}
}

// failingIndexer fails every document, as a rate-limited embedder would.
type failingIndexer struct{}

func (failingIndexer) AddDocument(context.Context, store.Document, []ingest.Piece) (int, error) {
	return 0, errors.New("embedder: 429 rate limited")
}

// A sync that fails storing what it read is Lore's failure, not the
// source's: the job returns the error so that River retries it, and the
// source, whose status says what went wrong, is not queued again by the
// schedule before its period.
func TestSyncSourceJobRetriesStoreFailures(t *testing.T) {
	dir := t.TempDir()
	writeDocs(t, dir, 2)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddSource(t.Context(), store.Source{Name: "h", Kind: store.SourceFiles, Location: dir, Collection: "h", Every: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	w := &jobs.SyncSourceWorker{Syncer: &sources.Syncer{Store: st, Index: failingIndexer{}, Owner: "test"}, Logger: testLogger(t)}
	for attempt := 1; attempt <= 3; attempt++ {
		err := w.Work(t.Context(), &river.Job[jobs.SyncSourceArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: attempt}, Args: jobs.SyncSourceArgs{Name: "h"}})
		var cancel *river.JobCancelError
		if err == nil || errors.As(err, &cancel) || !strings.Contains(err.Error(), "429") {
			t.Fatalf("attempt %d: %v, want the embedder's error for River to retry", attempt, err)
		}
	}
	src, err := st.Source(t.Context(), "h")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(src.Status.LastError, "429") {
		t.Errorf("status %+v does not say why the sync failed", src.Status)
	}
	if due := jobs.DueSources([]store.Source{src}, time.Now().Add(time.Minute)); len(due) != 0 {
		t.Errorf("a daily source whose sync just failed is due again a minute later: %v", due)
	}
}
