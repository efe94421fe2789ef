package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // the driver, to inspect the file as another program would

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/knowledge/ingest/pdfproc"
)

// TestMain lets the test binary stand in for the lore command: with
// LORE_TEST_AS_CLI set it runs the command line and exits, so a test can
// start lore as a separate process and kill it.
func TestMain(m *testing.M) {
	if pdfproc.IsChild() { // this binary reads the PDFs of the commands it tests
		os.Exit(pdfproc.Main())
	}
	if os.Getenv("LORE_TEST_AS_CLI") != "" {
		ctx, stop := cli.NotifyContext(context.Background(), os.Stderr) // as main does
		code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// Killing an ingest with SIGKILL part way leaves only whole documents
// (each with all its chunks), and running it again finishes the job.
func TestKilledIngestLeavesWholeDocumentsAndResumes(t *testing.T) {
	const files = 600
	dir := writeReports(t, files)
	db := newDB(t)
	killIngest(t, dir, db.flag(), func() bool {
		n := countRows(t, db.path, "documents")
		return n >= 20 && n < files
	})
	docs := countRows(t, db.path, "documents")
	var partial int
	if err := openRaw(t, db.path).QueryRow(partialDocuments).Scan(&partial); err != nil {
		t.Fatal(err)
	}
	checkKilledIngest(t, files, docs, partial)

	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	checkResumed(t, r, files, docs)
	if c := db.counts(t); c.documents != files || c.chunks != files*6 {
		t.Fatalf("after the re-run: %+v, want %d documents and %d chunks", c, files, files*6)
	}
}

// The same on PostgreSQL, killed twice: once early, while documents are
// written through the live vector index, and once after the bulk path has
// dropped that index to build it at the end. The kill leaves whole
// documents and, the second time, no vector index; answers still come
// (vector search scans instead), and the re-run builds the index again.
func TestKilledPostgresIngestLeavesWholeDocumentsAndResumes(t *testing.T) {
	url := postgresURL(t)
	flag := "--db=" + url
	run(t, "migrate", flag).wantCode(t, cli.ExitOK)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	count := func(q string) int {
		var n int
		if err := conn.QueryRow(t.Context(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// By name in pg_class: pg_indexes deparses each index and fails on
	// one dropped meanwhile.
	const vectorIndex = `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relname LIKE 'chunks\_embedding\_hnsw%'`
	// The vector index is built as LORE_PG_HNSW_PARTITIONS graphs, 2 by
	// default.
	const graphs = 2

	// A first small ingest creates the vector index (a load into an
	// empty store builds it at its end).
	run(t, "ingest", "testdata/corpus", flag).wantCode(t, cli.ExitOK)
	if count(vectorIndex) != graphs {
		t.Fatal("no vector index after the first ingest")
	}

	// Documents are written in transactions of about 1,000 chunks; the
	// bulk path drops the vector index after 2,000.
	const files = 1200
	dir := writeReports(t, files)
	for _, phase := range []struct {
		name     string
		killWhen func(docs int) bool
		indexed  bool // whether the kill leaves the vector index
	}{
		{"before the vector index is dropped", func(docs int) bool {
			return docs > 0 && docs < files && count(vectorIndex) == graphs
		}, true},
		{"while the vector index is deferred", func(docs int) bool {
			return docs < files && count(vectorIndex) == 0
		}, false},
	} {
		if _, err := conn.Exec(t.Context(), "TRUNCATE documents CASCADE"); err != nil {
			t.Fatal(err)
		}
		killIngest(t, dir, flag, func() bool { return phase.killWhen(count("SELECT count(*) FROM documents")) })
		docs := count("SELECT count(*) FROM documents")
		checkKilledIngest(t, files, docs, count(partialDocuments))
		if got := count(vectorIndex) == graphs; got != phase.indexed {
			t.Errorf("killed %s: vector index present = %v, want %v", phase.name, got, phase.indexed)
		}
		r := run(t, "ask", "--json", "How many widgets were sold in region 3?", flag)
		if r.code != cli.ExitOK && r.code != cli.ExitNoAnswer {
			t.Fatalf("ask after the kill %s: exit %d\n%s", phase.name, r.code, r.err)
		}

		r = run(t, "ingest", dir, flag)
		r.wantCode(t, cli.ExitOK)
		checkResumed(t, r, files, docs)
		if d, c := count("SELECT count(*) FROM documents"), count("SELECT count(*) FROM chunks"); d != files || c != files*6 {
			t.Fatalf("after the re-run (%s): %d documents and %d chunks, want %d and %d", phase.name, d, c, files, files*6)
		}
		if count(vectorIndex) != graphs {
			t.Fatalf("after the re-run (%s): the vector index is missing", phase.name)
		}
	}
}

// partialDocuments counts stored documents without all of their 6 chunks.
const partialDocuments = `SELECT count(*) FROM (SELECT d.id FROM documents d LEFT JOIN chunks c ON c.doc_id = d.id
	GROUP BY d.id HAVING count(c.id) <> 6) partial`

// writeReports writes n Markdown files of 6 sections each.
func writeReports(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		body := fmt.Sprintf("# Report %d\n\n", i)
		for s := range 6 {
			body += fmt.Sprintf("## Part %d\n\n%s\n\n", s, strings.Repeat(fmt.Sprintf("Widget %d sold in region %d. ", i, s), 30))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%04d.md", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// killIngest runs lore ingest dir as a child process and kills it with
// SIGKILL as soon as ready reports true.
func killIngest(t *testing.T, dir, dbFlag string, ready func() bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "ingest", dir, dbFlag)
	cmd.Env = append(os.Environ(), "LORE_TEST_AS_CLI=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for !ready() {
		select {
		case <-exited:
			t.Fatal("the ingest finished before it could be interrupted")
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the ingest never reached a point to interrupt")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
}

func checkKilledIngest(t *testing.T, files, docs, partial int) {
	t.Helper()
	if docs == 0 || docs >= files {
		t.Fatalf("the ingest was killed with %d of %d documents stored; want part of them", docs, files)
	}
	if partial != 0 {
		t.Fatalf("%d documents are stored without all their chunks after a kill", partial)
	}
}

func checkResumed(t *testing.T, r result, files, docs int) {
	t.Helper()
	got := parseSummary(t, r.out)
	if got.added != files-docs || got.unchanged != docs {
		t.Fatalf("re-run after the kill: %+v, want %d added and %d unchanged", got, files-docs, docs)
	}
}

func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func countRows(t *testing.T, path, table string) int {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		return 0 // not created yet
	}
	return n
}
