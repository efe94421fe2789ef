package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store/storetest"
)

// postgresURL returns a database URL whose search path starts with a fresh
// schema of the test's own, dropped at cleanup. Without
// LORE_TEST_DATABASE_URL the test is skipped, unless CI is set: there it
// must run.
func postgresURL(t testing.TB) string {
	t.Helper()
	base := storetest.PostgresURL(t)
	schema := "cli_" + strings.ToLower(rand.Text()[:10])
	conn, err := pgx.Connect(context.Background(), base)
	if err != nil {
		t.Fatalf("connect to %s: %v", base, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	return storetest.WithParams(base, map[string]string{"search_path": schema + ",public"})
}

func TestPostgresNeedsMigrateThenAnswers(t *testing.T) {
	db := "--db=" + postgresURL(t)
	r := run(t, "ask", leaveQuestion, db)
	if r.code == cli.ExitOK || !strings.Contains(r.err, "lore migrate") {
		t.Fatalf("ask on an unmigrated schema: exit %d, stderr %q; want a failure pointing at lore migrate", r.code, r.err)
	}
	wantMigrateSays(t, "postgres", db) // all, then none
	conn, err := pgx.Connect(context.Background(), strings.TrimPrefix(db, "--db="))
	if err != nil {
		t.Fatal(err)
	}
	var queueTable *string
	if err := conn.QueryRow(context.Background(), "SELECT to_regclass('river_job')::text").Scan(&queueTable); err != nil || queueTable == nil {
		t.Fatalf("lore migrate did not create the job queue's tables: %v", err)
	}
	conn.Close(context.Background())
	run(t, "ingest", "testdata/corpus", db).wantCode(t, cli.ExitOK)
	r = run(t, "ask", "--json", leaveQuestion, db)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, `"confident": true`) || !strings.Contains(r.out, "leave.md") {
		t.Fatalf("answer from PostgreSQL does not cite leave.md:\n%s", r.out)
	}
	run(t, "ask", "what is the share price today?", db).wantCode(t, cli.ExitNoAnswer)
	r = run(t, "gaps", db)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "share price") {
		t.Fatalf("gaps on PostgreSQL misses the unanswered question:\n%s", r.out)
	}
}

// The HNSW settings reach the index a PostgreSQL store builds, and a bad
// one is refused before anything is written.
func TestPostgresIndexSettings(t *testing.T) {
	t.Parallel()
	url := postgresURL(t)
	run(t, "migrate", "--db", url).wantCode(t, cli.ExitOK)

	r := runEnv(t, map[string]string{"LORE_PG_HNSW_EF_SEARCH": "many"}, "bench", "--chunks", "100", "--queries", "5", "--db", url)
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, "LORE_PG_HNSW_EF_SEARCH") {
		t.Errorf("the refusal does not name the setting: %s", r.err)
	}
	r = runEnv(t, map[string]string{"LORE_PG_HNSW_M": "1"}, "bench", "--chunks", "100", "--queries", "5", "--db", url)
	if r.code != cli.ExitUsage || !strings.Contains(r.err, `LORE_PG_HNSW_M "1": want a whole number from 2 to 100`) {
		t.Errorf("m 1 (below pgvector's 2): exit %d, %s", r.code, r.err)
	}

	env := map[string]string{"LORE_PG_HNSW_M": "4", "LORE_PG_HNSW_EF_CONSTRUCTION": "8", "LORE_PG_HNSW_EF_SEARCH": "40", "LORE_PG_HNSW_PARTITIONS": "3"}
	runEnv(t, env, "bench", "--chunks", "300", "--queries", "5", "--db", url).wantCode(t, cli.ExitOK)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	rows, _ := conn.Query(t.Context(), `SELECT pg_get_indexdef(i.indexrelid) FROM `+hnswIndexesHere)
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 3 {
		t.Fatalf("vector indexes %v, want 3 partitions", defs)
	}
	for _, def := range defs {
		if !strings.Contains(def, "m='4'") || !strings.Contains(def, "ef_construction='8'") || !strings.Contains(def, "% (3)::bigint)") {
			t.Errorf("index built as %s, want m 4, ef_construction 8, a third of the chunks", def)
		}
	}
}

// hnswIndexesHere is the FROM and WHERE of a query on the HNSW indexes of
// the current schema. It reads pg_index rather than pg_indexes, which
// deparses every index of the database before filtering, and fails on one
// that a test running in parallel drops meanwhile.
const hnswIndexesHere = `pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
	WHERE n.nspname = current_schema() AND am.amname = 'hnsw'`

// Every command that uses the database reaches PostgreSQL when
// LORE_DATABASE_URL names it and no --db is given: each succeeds, and what
// it wrote is found in that database. (lore eval and lore bench use a
// scratch store unless --db is given, so they are not among them.)
func TestEveryCommandFindsPostgresThroughTheEnvironment(t *testing.T) {
	t.Parallel()
	url := postgresURL(t)
	env := map[string]string{"LORE_DATABASE_URL": url}
	corpus := copyCorpus(t)
	wiki := writeCorpus(t, map[string]string{"pay-day.md": "# Pay day\n\nSalaries are paid on the 25th of each month.\n"})
	reviewed := writeCorpus(t, map[string]string{"bonus.md": "# Annual bonus\n\nThe annual bonus is paid in December.\n"})
	travel := writeCorpus(t, map[string]string{"travel.md": "# Travel\n\nBook trains through Railway Desk at least 14 days ahead.\n"})
	tracks := writeCorpus(t, map[string]string{"expenses.md": goodTrack})
	people := filepath.Join(t.TempDir(), "people.csv")
	writeFile(t, people, []byte("user,name,team,can_help\nU9,Ana,Risk,sql\n"))

	for _, step := range []struct {
		args []string
		code int
		want string // in stdout
	}{
		{[]string{"migrate"}, cli.ExitOK, "the schema is now at version"},
		{[]string{"config", "show"}, cli.ExitOK, "environment"},
		{[]string{"ingest", corpus, "--collection", "handbook"}, cli.ExitOK, "3 added"},
		{[]string{"ask", leaveQuestion}, cli.ExitOK, leaveFact},
		{[]string{"ask", "what is the share price today?"}, cli.ExitNoAnswer, ""},
		{[]string{"gaps"}, cli.ExitOK, "share price"},
		{[]string{"reindex"}, cli.ExitOK, "Up to date"},
		{[]string{"doctor"}, cli.ExitOK, "database: reachable"},
		{[]string{"sources", "add", "wiki", wiki, "--collection", "wiki"}, cli.ExitOK, `Added source "wiki"`},
		{[]string{"sources", "set", "wiki", "--every", "2h"}, cli.ExitOK, "every day → 2 hours"},
		{[]string{"sources", "sync", "wiki"}, cli.ExitOK, "1 added"},
		{[]string{"sources"}, cli.ExitOK, "wiki"},
		{[]string{"collections", "set", "reviewed", "--approval"}, cli.ExitOK, "drafts"},
		{[]string{"ingest", reviewed, "--collection", "reviewed"}, cli.ExitOK, "1 added"},
		{[]string{"drafts"}, cli.ExitOK, "bonus.md"},
		{[]string{"approve", filepath.Join(reviewed, "bonus.md")}, cli.ExitOK, ""},
		{[]string{"collections"}, cli.ExitOK, "reviewed"},
		{[]string{"review"}, cli.ExitOK, ""},
		{[]string{"roles", "grant", "slack/T1/U1", "curator"}, cli.ExitOK, "now a curator"},
		{[]string{"roles"}, cli.ExitOK, "slack/T1/U1"},
		{[]string{"audit"}, cli.ExitOK, "role.grant"},
		{[]string{"profiles", "import", people, "--platform", "slack", "--workspace", "T1"}, cli.ExitOK, "1 new"},
		{[]string{"peers", "rounds", "on", "slack/T1/C1"}, cli.ExitOK, "on in slack/T1/C1"},
		{[]string{"peers", "rounds", "list"}, cli.ExitOK, "slack/T1/C1"},
		{[]string{"tracks", "load", tracks}, cli.ExitOK, "v1 loaded"},
		{[]string{"tracks", "enrol", "expenses", "U1", "--workspace", "T1"}, cli.ExitOK, "1 enrolled"},
		{[]string{"tracks", "draft", "--collection", "handbook"}, cli.ExitOK, "Drafted"},
		{[]string{"tracks", "list"}, cli.ExitOK, "expenses"},
		{[]string{"digest"}, cli.ExitOK, "digest"},
		{[]string{"export", "csv"}, cli.ExitOK, "metric,"},
		{[]string{"export", "statements", "--since", "2020-01-01"}, cli.ExitOK, ""},
		{[]string{"retention", "--keep", "365d"}, cli.ExitOK, "folded"},
		{[]string{"forget", "slack/T1/U2"}, cli.ExitOK, "deleted"},
		{[]string{"ingest", "--queue", travel, "--collection", "travel"}, cli.ExitOK, "Queued"},
		{[]string{"sources", "remove", "wiki"}, cli.ExitOK, "Removed source"},
	} {
		r := runEnv(t, env, step.args...)
		if r.code != step.code || !strings.Contains(r.out, step.want) {
			t.Fatalf("lore %s: exit %d, want %d with %q in stdout\nstdout:\n%s\nstderr:\n%s",
				strings.Join(step.args, " "), r.code, step.code, step.want, r.out, r.err)
		}
	}

	var out, errOut bytes.Buffer
	code := cli.RunWithEnv(t.Context(), []string{"chat", "--no-sample"},
		cli.Stdio{In: strings.NewReader(leaveQuestion + "\n"), Out: &out, Err: &errOut}, func(k string) string { return env[k] })
	if code != cli.ExitOK || !strings.Contains(out.String(), leaveFact) {
		t.Fatalf("lore chat: exit %d, want an answer with %q\nstdout:\n%s\nstderr:\n%s", code, leaveFact, out.String(), errOut.String())
	}

	// lore serve works the ingest queued above from the same database.
	srv := startServeEnv(t, func(k string) string { return env[k] })
	srv.waitReady(t, true, 20*time.Second)
	waitFor(t, "the queued ingest is worked by lore serve", 30*time.Second, func() bool {
		r := runEnv(t, env, "ask", "how far ahead should I book trains with Railway Desk?")
		return r.code == cli.ExitOK && strings.Contains(r.out, "travel.md")
	})
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("lore serve exited with %d:\n%s", code, srv.stderr)
	}

	// What the commands wrote is in PostgreSQL.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for query, want := range map[string]int{
		"SELECT count(*) FROM documents":                                               5, // corpus 3, bonus, travel
		"SELECT count(*) FROM audit_log WHERE action = 'role.grant'":                   1,
		"SELECT count(*) FROM peer_profiles WHERE user_id = 'U9'":                      1,
		"SELECT count(*) FROM river_job WHERE kind = 'ingest' AND state = 'completed'": 1,
	} {
		var n int
		if err := conn.QueryRow(t.Context(), query).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		if n != want {
			t.Errorf("%s = %d, want %d", query, n, want)
		}
	}
}
