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

	_ "modernc.org/sqlite" // the driver, to inspect the file as another program would

	"github.com/lorehq/lore/cmd/lore/cli"
)

// TestMain lets the test binary stand in for the lore command: with
// LORE_TEST_AS_CLI set it runs the command line and exits, so a test can
// start lore as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("LORE_TEST_AS_CLI") != "" {
		os.Exit(cli.Run(context.Background(), os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
	}
	os.Exit(m.Run())
}

// Killing an ingest with SIGKILL part way leaves only whole documents
// (each with all its chunks), and running it again finishes the job.
func TestKilledIngestLeavesWholeDocumentsAndResumes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "many")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const files = 600
	for i := range files {
		body := fmt.Sprintf("# Report %d\n\n", i)
		for s := range 6 {
			body += fmt.Sprintf("## Part %d\n\n%s\n\n", s, strings.Repeat(fmt.Sprintf("Widget %d sold in region %d. ", i, s), 30))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("r%04d.md", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := newDB(t)
	cmd := exec.Command(os.Args[0], "ingest", dir, db.flag())
	cmd.Env = append(os.Environ(), "LORE_TEST_AS_CLI=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once some, but not all, documents are in.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n := countRows(t, db.path, "documents"); n >= 20 && n < files {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the ingest never reached a point to interrupt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	docs := countRows(t, db.path, "documents")
	if docs == 0 || docs >= files {
		t.Fatalf("the ingest was killed with %d of %d documents stored; want part of them", docs, files)
	}
	// Every stored document has all of its 6 chunks: none is half written.
	var partial int
	q := `SELECT count(*) FROM (SELECT d.id FROM documents d LEFT JOIN chunks c ON c.doc_id = d.id GROUP BY d.id HAVING count(c.id) <> 6)`
	if err := openRaw(t, db.path).QueryRow(q).Scan(&partial); err != nil {
		t.Fatal(err)
	}
	if partial != 0 {
		t.Fatalf("%d documents are stored without all their chunks after a kill", partial)
	}

	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	got := parseSummary(t, r.out)
	if got.added != files-docs || got.unchanged != docs {
		t.Fatalf("re-run after the kill: %+v, want %d added and %d unchanged", got, files-docs, docs)
	}
	if c := db.counts(t); c.documents != files || c.chunks != files*6 {
		t.Fatalf("after the re-run: %+v, want %d documents and %d chunks", c, files, files*6)
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
