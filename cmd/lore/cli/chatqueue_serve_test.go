package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	engjobs "github.com/lorehq/lore/bot/engagement/jobs"
	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store/queue"
)

// jobRow is what the test reads of a River job.
type jobRow struct {
	id      int64
	queue   string
	state   string
	attempt int
	by      []string
}

// jobsOf lists the jobs of kind in the database of dbURL, oldest first.
func jobsOf(t *testing.T, dbURL, kind string) []jobRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT id, queue, state::text, attempt, coalesce(attempted_by, '{}') FROM river_job WHERE kind = $1 ORDER BY id", kind)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (jobRow, error) {
		var j jobRow
		err := r.Scan(&j.id, &j.queue, &j.state, &j.attempt, &j.by)
		return j, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A replica started with --workers-only and a replica with chat adapters
// share one PostgreSQL. The digest due is planned on the default queue and
// its send queued on the chat queue: the workers-only replica, alone at
// first, works the planner and a later ingest but never fetches the send;
// the chat replica, once started, sends it, once. A send left in the
// default queue by an earlier version is put back by the workers-only
// replica rather than failed there.
func TestServeLeavesChatJobsToChatReplicas(t *testing.T) {
	dbURL := postgresURL(t)
	run(t, "migrate", "--db", dbURL).wantCode(t, cli.ExitOK)
	seedLastWeek(t, dbURL, 4)
	fake := newDigestSlackAPI(t)
	env := map[string]string{
		"LORE_SLACK_MODE": "http", "LORE_SLACK_BOT_TOKEN": "xoxb-digest-test",
		"LORE_SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5", "LORE_SLACK_API_URL": fake.srv.URL + "/api/",
		"LORE_LEADERS_FILE": dueLeaders(t), "LORE_PRIVACY_K": "3",
	}
	getenv := func(k string) string { return env[k] }

	// A send left in the default queue by an earlier version, for a
	// leader no longer in the file (so that no chat replica posts it).
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	inserter, err := queue.New(pool, queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	leftover, err := inserter.Insert(t.Context(), engjobs.DigestSendArgs{Leader: "gone", Until: time.Now().UTC()},
		&river.InsertOpts{Queue: queue.DefaultQueue})
	if err != nil {
		t.Fatal(err)
	}

	workers := startServeEnv(t, getenv, "--db", dbURL, "--workers-only")
	var send jobRow
	waitFor(t, "the due digest's send is queued", 30*time.Second, func() bool {
		for _, j := range jobsOf(t, dbURL, "engagement_digest_send") {
			if j.id != leftover.Job.ID {
				send = j
				return true
			}
		}
		return false
	})
	if send.queue != queue.ChatQueue {
		t.Fatalf("the digest's send is in queue %q, want %q", send.queue, queue.ChatQueue)
	}
	plans := jobsOf(t, dbURL, "engagement_digest")
	if len(plans) == 0 || plans[0].queue != queue.DefaultQueue {
		t.Fatalf("the digest planner's jobs: %+v; want it in the default queue", plans)
	}

	// A job of the default queue queued after the send: River fetches in
	// order, so once the workers-only replica has completed it, it would
	// have fetched the send too, were it looking in the chat queue.
	run(t, "ingest", "--queue", "--db", dbURL, copyCorpus(t)).wantCode(t, cli.ExitOK)
	waitFor(t, "the workers-only replica works the ingest", 60*time.Second, func() bool {
		ingests := jobsOf(t, dbURL, "ingest")
		return len(ingests) == 1 && ingests[0].state == "completed"
	})
	sends := jobsOf(t, dbURL, "engagement_digest_send")
	if len(sends) != 2 || sends[0].id != leftover.Job.ID {
		t.Fatalf("digest sends: %+v, want the leftover and the one due", sends)
	}
	// The leftover was fetched from the default queue and put back for a
	// replica with chat adapters, without failing.
	if old := sends[0]; old.state != "scheduled" || old.queue != queue.DefaultQueue {
		t.Fatalf("the leftover send in the default queue: %+v, want it snoozed\n%s", old, workers.stderr)
	}
	sends = sends[1:]
	if sends[0].state != "available" || sends[0].attempt != 0 || len(sends[0].by) != 0 {
		t.Fatalf("the workers-only replica touched the digest's send: %+v\n%s", sends, workers.stderr)
	}
	if n := len(fake.callsOf("chat.postMessage")); n != 0 {
		t.Fatalf("%d messages posted with no chat replica running", n)
	}

	chat := startServeEnv(t, getenv, "--db", dbURL)
	due := func() jobRow {
		for _, j := range jobsOf(t, dbURL, "engagement_digest_send") {
			if j.id != leftover.Job.ID {
				return j
			}
		}
		t.Fatal("the due digest's send is gone")
		return jobRow{}
	}
	waitFor(t, "the chat replica sends the digest", 60*time.Second, func() bool { return due().state == "completed" })
	sends = []jobRow{due()}
	if sends[0].attempt != 1 || len(sends[0].by) != 1 {
		t.Errorf("the digest's send took attempts %d by %v, want one", sends[0].attempt, sends[0].by)
	}
	if posts := fake.callsOf("chat.postMessage"); len(posts) != 1 {
		t.Fatalf("%d digests posted, want 1:\n%s\n%s", len(posts), workers.stderr, chat.stderr)
	}
}
