package cli_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

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
	run(t, "migrate", db).wantCode(t, cli.ExitOK)
	run(t, "migrate", db).wantCode(t, cli.ExitOK) // idempotent
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
