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
func postgresURL(t *testing.T) string {
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
