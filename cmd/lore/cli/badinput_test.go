package cli_test

import (
	"bytes"
	"database/sql"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store/sqlite"
)

// corruptDB writes bytes that are not a SQLite database where the database
// should be.
func corruptDB(t *testing.T) (testDB, []byte) {
	t.Helper()
	db := newDB(t)
	data := make([]byte, 64<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	writeFile(t, db.path, data)
	return db, data
}

func TestCorruptDatabaseFailsWithoutWriting(t *testing.T) {
	t.Parallel()
	dir := copyCorpus(t)
	b := writeBEIR(t)
	cases := []struct {
		name string
		args []string
	}{
		{"ask", []string{"ask", leaveQuestion}},
		{"ask json", []string{"ask", "--json", leaveQuestion}},
		{"ingest", []string{"ingest", dir}},
		{"gaps", []string{"gaps"}},
		{"gaps json", []string{"gaps", "--json"}},
		{"chat", []string{"chat"}},
		{"eval", append([]string{"eval"}, b.flags()...)},
		{"bench", []string{"bench", "--chunks", "10", "--queries", "1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db, data := corruptDB(t)
			r := db.run(t, c.args...)
			r.wantCode(t, cli.ExitFailure)
			if !strings.Contains(r.err, "not a Lore database or is corrupt") {
				t.Errorf("stderr does not say the database is corrupt:\n%s", r.err)
			}
			if strings.Count(r.err, "\n") > 3 {
				t.Errorf("the message is not short:\n%s", r.err)
			}
			got, err := os.ReadFile(db.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("the corrupt file was modified")
			}
			entries, _ := os.ReadDir(filepath.Dir(db.path))
			if len(entries) != 1 {
				names := make([]string, len(entries))
				for i, e := range entries {
					names[i] = e.Name()
				}
				t.Errorf("files beside the corrupt database: %v, want only lore.db", names)
			}
		})
	}
}

// A SQLite database of another program is refused rather than given
// Lore's tables.
func TestForeignDatabaseIsRefused(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	raw, err := sql.Open("sqlite", db.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)"); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}

	r := db.run(t, "ingest", copyCorpus(t))
	r.wantCode(t, cli.ExitFailure)
	if !strings.Contains(r.err, "not a Lore database") {
		t.Errorf("stderr does not say the database is not Lore's:\n%s", r.err)
	}
	got, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("the other program's database was modified")
	}
}

// lockDB holds an exclusive write transaction on the database from a
// connection of its own, as another writing process would, until the test
// ends.
func lockDB(t *testing.T, db testDB) {
	t.Helper()
	raw, err := sql.Open("sqlite", db.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	conn, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatalf("begin exclusive: %v", err)
	}
	t.Cleanup(func() {
		conn.ExecContext(t.Context(), "ROLLBACK")
		conn.Close()
	})
}

// The store waits up to its busy timeout (5 s) for a lock; a command must
// give up soon after and say why.
const lockedWithin = 9 * time.Second

func TestLockedDatabaseIngestFailsClearly(t *testing.T) {
	t.Parallel()
	db, dir := ingested(t)
	before := db.counts(t)
	appendFile(t, dir+"/expenses.txt", "\nA new paragraph about parking.\n")
	lockDB(t, db)

	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitFailure)
	if !strings.Contains(r.err, "locked") || !strings.Contains(r.err, "try again") {
		t.Errorf("stderr does not say the database is locked:\n%s", r.err)
	}
	if r.elapsed > lockedWithin {
		t.Errorf("ingest took %s to give up, want at most %s", r.elapsed, lockedWithin)
	}
	if after := db.counts(t); after != before {
		t.Errorf("a locked ingest changed the database: %+v, then %+v", before, after)
	}
}

// Another writer blocks only writes: ask still answers from the database,
// says on stderr that the question could not be recorded, and gives up on
// recording within one busy timeout rather than waiting once per event.
func TestLockedDatabaseAskStillAnswers(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	lockDB(t, db)

	r := db.run(t, "ask", leaveQuestion)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, leaveFact) {
		t.Errorf("the answer lacks %q:\n%s", leaveFact, r.out)
	}
	if !strings.Contains(r.err, "locked") {
		t.Errorf("stderr does not say the database is locked:\n%s", r.err)
	}
	if limit := sqlite.DefaultBusyTimeout + 3*time.Second; r.elapsed > limit {
		t.Errorf("ask took %s on a write-locked database, want at most %s (one busy timeout)", r.elapsed, limit)
	}
}

// Reading commands are not blocked by a writer.
func TestLockedDatabaseGapsReads(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	lockDB(t, db)
	r := db.run(t, "gaps")
	r.wantCode(t, cli.ExitOK)
	if r.elapsed > time.Second {
		t.Errorf("gaps waited %s for a writer", r.elapsed)
	}
}

// A database that another program holds exclusively while it is still in
// rollback-journal mode cannot even be opened; the command says so.
func TestLockedNewDatabaseFailsClearly(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	lockDB(t, db)
	r := db.run(t, "ingest", copyCorpus(t))
	r.wantCode(t, cli.ExitFailure)
	if !strings.Contains(r.err, "locked") {
		t.Errorf("stderr does not say the database is locked:\n%s", r.err)
	}
	if r.elapsed > lockedWithin {
		t.Errorf("ingest took %s to give up, want at most %s", r.elapsed, lockedWithin)
	}
}

// A database named by a folder, a file in a folder that does not exist,
// or a PostgreSQL URL that does not parse is bad input, exit 2, with a
// message that says which and echoes no password; SQLite's own words
// ("disk I/O error") do not.
func TestBadDatabaseLocationsAreUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, c := range []struct {
		url, want string
	}{
		{"sqlite:" + dir, "is a folder, not a SQLite file: name a file in it, such as sqlite:" + filepath.Join(dir, "lore.db")},
		{"sqlite:" + filepath.Join(dir, "no", "such", "lore.db"), "the folder " + filepath.Join(dir, "no", "such") + " does not exist"},
		{"postgres://lore:pa%zzs3cret@db.internal/lore", "cannot parse the database URL"},
		{"postgres://lore:s3cret@db.internal:port/lore", "cannot parse the database URL"},
	} {
		r := run(t, "gaps", "--db", c.url)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, c.want) || strings.Contains(r.err, "s3cret") || strings.Count(r.err, "\n") != 1 {
			t.Errorf("--db %s: stderr does not say %q in one line, without the password:\n%s", c.url, c.want, r.err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the folder holds %d entries after the runs", len(entries))
	}
}
