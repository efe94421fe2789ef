package cli_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
// the chat replica, once started, sends it, once.
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

	workers := startServeEnv(t, getenv, "--db", dbURL, "--workers-only")
	var send jobRow
	waitFor(t, "the due digest's send is queued", 30*time.Second, func() bool {
		sends := jobsOf(t, dbURL, "engagement_digest_send")
		if len(sends) > 0 {
			send = sends[0]
		}
		return len(sends) > 0
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
	if len(sends) != 1 || sends[0].state != "available" || sends[0].attempt != 0 || len(sends[0].by) != 0 {
		t.Fatalf("the workers-only replica touched the digest's send: %+v\n%s", sends, workers.stderr)
	}
	if n := len(fake.callsOf("chat.postMessage")); n != 0 {
		t.Fatalf("%d messages posted with no chat replica running", n)
	}

	chat := startServeEnv(t, getenv, "--db", dbURL)
	waitFor(t, "the chat replica sends the digest", 60*time.Second, func() bool {
		sends := jobsOf(t, dbURL, "engagement_digest_send")
		return len(sends) == 1 && sends[0].state == "completed"
	})
	sends = jobsOf(t, dbURL, "engagement_digest_send")
	if sends[0].attempt != 1 || len(sends[0].by) != 1 {
		t.Errorf("the digest's send took attempts %d by %v, want one", sends[0].attempt, sends[0].by)
	}
	if posts := fake.callsOf("chat.postMessage"); len(posts) != 1 {
		t.Fatalf("%d digests posted, want 1:\n%s\n%s", len(posts), workers.stderr, chat.stderr)
	}
}
