package peers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/storetest"
)

// openPostgres opens a migrated store and the job queue's tables in a
// schema of its own, dropped when the test ends.
func openPostgres(t *testing.T) *postgres.Store {
	t.Helper()
	url := storetest.WithParams(storetest.PostgresURL(t), map[string]string{"pool_max_conns": "8", "application_name": "lore-peers-test"})
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "lore_peers_test_" + hex.EncodeToString(b)
	admin, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close()
	})
	if _, err := admin.Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(t.Context(), url, postgres.Options{Schema: schema, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := queue.Migrate(t.Context(), st.Pool(), schema); err != nil {
		t.Fatal(err)
	}
	return st
}

// Two replicas run the periodic tick on PostgreSQL: the round is made
// once, each group is introduced once, and one tick job was inserted.
func TestPeriodicTickOnceAcrossReplicas(t *testing.T) {
	st := openPostgres(t)
	cfg := weekly("C1")
	if err := st.PutRoundConfig(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	msgr := &fakeMessenger{}
	roster := fakeRoster{"C1": {"a", "b", "c", "d", "e"}}
	now := func() time.Time { return start.Add(2 * time.Hour) } // introductions due
	periodic, err := peers.PeriodicJobs(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var clients []*river.Client[pgx.Tx]
	for range 2 {
		svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: msgr, Roster: roster, Clock: now})
		if err != nil {
			t.Fatal(err)
		}
		workers := river.NewWorkers()
		if err := peers.Register(workers, svc); err != nil {
			t.Fatal(err)
		}
		c, err := queue.New(st.Pool(), queue.Config{Workers: workers, PeriodicJobs: periodic, Schema: st.Schema(), Logger: testLogger(t),
			FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	defer func() {
		for _, c := range clients {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = c.Stop(ctx)
			cancel()
		}
	}()
	id := peers.RoundID(cfg, now())
	deadline := time.Now().Add(30 * time.Second)
	var r store.Round
	for time.Now().Before(deadline) {
		if r, err = st.Round(t.Context(), id); err == nil && len(r.Groups) > 0 && !r.Groups[len(r.Groups)-1].SentAt.IsZero() {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || len(r.Groups) != 2 {
		t.Fatalf("round %s = %+v, %v", id, r, err)
	}
	// Let a second tick, had one been inserted, run too.
	time.Sleep(time.Second)
	if sends := msgr.take(); len(sends) != 2 {
		t.Errorf("introductions = %d, want one per group", len(sends))
	}
	var ticks int
	if err := st.Pool().QueryRow(t.Context(), "SELECT count(*) FROM river_job WHERE kind = 'peers_tick'").Scan(&ticks); err != nil {
		t.Fatal(err)
	}
	if ticks != 1 {
		t.Errorf("tick jobs = %d, want 1 across both replicas", ticks)
	}
	// A tick sends introductions: it waits in the chat queue for a replica
	// with chat adapters.
	var tickQueue string
	if err := st.Pool().QueryRow(t.Context(), "SELECT queue FROM river_job WHERE kind = 'peers_tick'").Scan(&tickQueue); err != nil {
		t.Fatal(err)
	}
	if tickQueue != queue.ChatQueue {
		t.Errorf("the periodic tick is in queue %q, want %q", tickQueue, queue.ChatQueue)
	}
	if q := (peers.TickArgs{}).InsertOpts().Queue; q != queue.ChatQueue {
		t.Errorf("a tick inserted by hand goes to queue %q, want %q", q, queue.ChatQueue)
	}
	// The same period's tick inserted again is skipped as a duplicate.
	opts := peers.TickInsertOpts(time.Hour)
	res, err := clients[0].Insert(t.Context(), peers.TickArgs{}, &opts)
	if err != nil || !res.UniqueSkippedAsDuplicate {
		t.Errorf("second tick in one period: %+v, %v", res, err)
	}
}

func TestPeriodicJobsRefuseTinyInterval(t *testing.T) {
	if _, err := peers.PeriodicJobs(time.Second); err == nil {
		t.Error("a 1s tick was accepted")
	}
}

// testLogger passes River's warnings and errors to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
