package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store/sqlite"
)

func TestIngestIsIncremental(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := copyCorpus(t)

	first := db.run(t, "ingest", dir)
	first.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, first.out); got.added != 3 || got.updated+got.unchanged+got.removed+got.skipped != 0 || got.chunks == 0 {
		t.Fatalf("first ingest: %+v, want 3 added and some chunks\n%s", got, first.out)
	}
	if !strings.Contains(first.out, `Ingested into "default"`) || !strings.Contains(first.out, "holds 3 documents") {
		t.Errorf("summary does not name the collection and the totals:\n%s", first.out)
	}
	if first.err != "" {
		t.Errorf("a clean ingest wrote to stderr:\n%s", first.err)
	}
	before := db.counts(t)

	again := db.run(t, "ingest", dir)
	again.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, again.out); got != (summary{unchanged: 3}) {
		t.Fatalf("re-ingest: %+v, want 3 unchanged and nothing written\n%s", got, again.out)
	}
	if after := db.counts(t); after.documents != before.documents || after.chunks != before.chunks {
		t.Errorf("re-ingest changed the knowledge base: %+v, then %+v", before, after)
	}

	appendFile(t, filepath.Join(dir, "expenses.txt"), "\nMileage for a private car is reimbursed at 45 pence per mile.\n")
	edited := db.run(t, "ingest", dir)
	edited.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, edited.out); got.updated != 1 || got.unchanged != 2 || got.added+got.removed+got.skipped != 0 || got.chunks == 0 {
		t.Fatalf("after an edit: %+v, want 1 updated and 2 unchanged\n%s", got, edited.out)
	}
	ask := db.run(t, "ask", "how much is mileage for a private car reimbursed per mile?")
	ask.wantCode(t, cli.ExitOK)
	if !strings.Contains(ask.out, "45 pence") {
		t.Errorf("the edited content is not answered from:\n%s", ask.out)
	}

	if err := os.Remove(filepath.Join(dir, "vpn.html")); err != nil {
		t.Fatal(err)
	}
	kept := db.run(t, "ingest", dir)
	kept.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, kept.out); got != (summary{unchanged: 2}) {
		t.Fatalf("without --prune a deleted file must stay: %+v\n%s", got, kept.out)
	}
	if n := db.counts(t).documents; n != 3 {
		t.Errorf("without --prune the knowledge base holds %d documents, want 3", n)
	}

	pruned := db.run(t, "ingest", "--prune", dir)
	pruned.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, pruned.out); got != (summary{unchanged: 2, removed: 1}) {
		t.Fatalf("with --prune: %+v, want 2 unchanged and 1 removed\n%s", got, pruned.out)
	}
	if n := db.counts(t).documents; n != 2 {
		t.Errorf("after --prune the knowledge base holds %d documents, want 2", n)
	}
	gone := db.run(t, "ask", vpnQuestion)
	gone.wantCode(t, cli.ExitNoAnswer)
}

// The summary of a one-file load reads in the singular.
func TestIngestSummaryOfOneDocument(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "parking.md"), []byte("# Parking\n\nThe car park opens at 07:00 and closes at 21:00 on weekdays.\n"))
	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"; 1 chunk written in", "The knowledge base holds 1 document, 1 chunk."} {
		if !strings.Contains(r.out, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.out)
		}
	}
}

func TestIngestReadsTitlesOfEveryFormat(t *testing.T) {
	t.Parallel()
	db, dir := ingested(t)
	cases := []struct {
		question, title, source string
	}{
		// The Markdown title comes from front matter, not the file name.
		{leaveQuestion, "Holiday Handbook", "leave.md"},
		{vpnQuestion, "VPN Troubleshooting", "vpn.html"},
		{"what is the deadline to submit an expense claim?", "Expense claims", "expenses.txt"},
	}
	for _, c := range cases {
		r := db.run(t, "ask", "--json", c.question)
		r.wantCode(t, cli.ExitOK)
		var got struct {
			Citations []struct{ Title, Source string }
		}
		if err := json.Unmarshal([]byte(r.out), &got); err != nil {
			t.Fatalf("ask --json: %v\n%s", err, r.out)
		}
		if len(got.Citations) == 0 {
			t.Fatalf("%q: no citations\n%s", c.question, r.out)
		}
		top := got.Citations[0]
		if top.Title != c.title {
			t.Errorf("%q: cited title %q, want %q", c.question, top.Title, c.title)
		}
		// Files outside the working directory are cited by absolute path.
		if want := filepath.ToSlash(filepath.Join(dir, c.source)); top.Source != want {
			t.Errorf("%q: cited source %q, want %q", c.question, top.Source, want)
		}
	}
}

func TestIngestCollectionsPruneSeparately(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	policies := copyCorpus(t)
	notes := filepath.Join(t.TempDir(), "notes")
	writeFile(t, filepath.Join(notes, "parking.md"), []byte("# Parking\n\nThe car park opens at 07:00 and closes at 21:00 on weekdays.\n"))

	db.run(t, "ingest", "--collection", "policies", policies).wantCode(t, cli.ExitOK)
	r := db.run(t, "ingest", "--collection", "notes", "--prune", notes)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, `Ingested into "notes"`) {
		t.Errorf("summary does not name the collection:\n%s", r.out)
	}
	if got := parseSummary(t, r.out); got.added != 1 || got.removed != 0 {
		t.Errorf("pruning one collection touched another: %+v\n%s", got, r.out)
	}
	if n := db.counts(t).documents; n != 4 {
		t.Errorf("the knowledge base holds %d documents, want 4", n)
	}
}

func TestIngestMissingPathWritesNothing(t *testing.T) {
	t.Parallel()
	t.Run("new database", func(t *testing.T) {
		t.Parallel()
		db := newDB(t)
		dir := copyCorpus(t)
		missing := filepath.Join(t.TempDir(), "no-such-folder")
		r := db.run(t, "ingest", dir, missing)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, missing) {
			t.Errorf("stderr does not name the missing path:\n%s", r.err)
		}
		if _, err := os.Stat(db.path); err == nil {
			t.Errorf("a failed ingest created the database")
		}
	})
	t.Run("existing database", func(t *testing.T) {
		t.Parallel()
		db, dir := ingested(t)
		before := db.counts(t)
		appendFile(t, filepath.Join(dir, "expenses.txt"), "\nA new paragraph.\n")
		r := db.run(t, "ingest", "--prune", dir, filepath.Join(dir, "missing.md"))
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, "missing.md") {
			t.Errorf("stderr does not name the missing path:\n%s", r.err)
		}
		if after := db.counts(t); after != before {
			t.Errorf("a failed ingest changed the database: %+v, then %+v", before, after)
		}
	})
}

func TestIngestSkipsBinaryAndOversizedFiles(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.md"), []byte("# Lockers\n\nLockers on the second floor are assigned by the front desk.\n"))
	writeFile(t, filepath.Join(dir, "blob.md"), []byte("PK\x03\x04\x00\x00\x00\x00binary\x00payload\x00"))
	writeFile(t, filepath.Join(dir, "photo.png"), []byte("\x89PNG\r\n\x1a\n"))
	writeFile(t, filepath.Join(dir, ".hidden.md"), []byte("# Hidden\n\nNever read.\n"))
	huge := filepath.Join(dir, "huge.txt")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is what matters, and the file costs no disk.
	if err := f.Truncate(10<<20 + 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.added != 1 || got.skipped != 3 {
		t.Errorf("summary %+v, want 1 added and 3 skipped\n%s", got, r.out)
	}
	for _, want := range []string{
		"warning: skipped " + filepath.Join(dir, "blob.md") + ": binary",
		"warning: skipped " + huge + ": file too large",
		"warning: skipped " + filepath.Join(dir, "photo.png") + ": unsupported",
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if strings.Contains(r.err, ".hidden.md") {
		t.Errorf("a hidden file was reported:\n%s", r.err)
	}
	if n := db.counts(t).documents; n != 1 {
		t.Errorf("the knowledge base holds %d documents, want 1", n)
	}

	// A skipped file named directly is skipped the same way.
	direct := db.run(t, "ingest", huge)
	direct.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, direct.out); got != (summary{skipped: 1}) {
		t.Errorf("summary %+v, want 1 skipped\n%s", got, direct.out)
	}
	if !strings.Contains(direct.err, "file too large") {
		t.Errorf("stderr does not warn about the oversized file:\n%s", direct.err)
	}
}

func TestIngestRepairsInvalidUTF8(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	// Latin-1 bytes, as an old editor would save them.
	writeFile(t, filepath.Join(dir, "aquarium.txt"), []byte("Aquarium care\n\nThe zebrafish aquarium in the caf\xe9 is cleaned every Thursday by the facilities team.\n"))

	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.added != 1 || got.skipped != 0 {
		t.Fatalf("summary %+v, want the file added, not skipped\n%s", got, r.out)
	}

	ask := db.run(t, "ask", "when is the zebrafish aquarium cleaned?")
	ask.wantCode(t, cli.ExitOK)
	if !utf8.ValidString(ask.out) {
		t.Errorf("the answer is not valid UTF-8: %q", ask.out)
	}
	if !strings.Contains(ask.out, "Thursday") || !strings.Contains(ask.out, "caf\uFFFD") {
		t.Errorf("the answer does not quote the repaired text:\n%s", ask.out)
	}
}

func TestIngestRefusedWhileAnotherIngestHoldsTheLock(t *testing.T) {
	t.Parallel()
	db, dir := ingested(t)
	before := db.counts(t)

	st := db.open(t)
	release, err := st.TryLock(t.Context(), "ingest", "curator-laptop:4242", time.Minute)
	if err != nil {
		t.Fatalf("take the ingest lock: %v", err)
	}
	appendFile(t, filepath.Join(dir, "expenses.txt"), "\nMileage for a private car is reimbursed at 45 pence per mile.\n")

	r := db.run(t, "ingest", dir)
	if r.code == cli.ExitOK {
		t.Fatalf("ingest ran while another held the lock:\n%s", r.out)
	}
	if !strings.Contains(strings.ToLower(r.err), "another process") || !strings.Contains(r.err, "curator-laptop:4242") {
		t.Errorf("stderr does not say another process holds the database:\n%s", r.err)
	}
	if r.out != "" {
		t.Errorf("a refused ingest printed a summary:\n%s", r.out)
	}
	if after := db.counts(t); after != before {
		t.Errorf("a refused ingest changed the database: %+v, then %+v", before, after)
	}

	// Readers are not blocked by an ingest.
	db.run(t, "ask", leaveQuestion).wantCode(t, cli.ExitOK)

	if err := release(t.Context()); err != nil {
		t.Fatalf("release: %v", err)
	}
	again := db.run(t, "ingest", dir)
	again.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, again.out); got.updated != 1 || got.unchanged != 2 {
		t.Errorf("after release: %+v, want 1 updated and 2 unchanged\n%s", got, again.out)
	}
}

// Two ingests at once on one database never run side by side: the second,
// started while the first is writing, is refused with a clear message, or,
// if SQLite's write queue holds it until the first is done, runs after it
// and finds nothing to do. Either way the database is intact.
func TestConcurrentIngestIsRefused(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	const files = 40
	for i := range files {
		// Several chunks a file: parsing and embedding between the
		// first run's writes leave the second room to reach the lock.
		var body strings.Builder
		fmt.Fprintf(&body, "# Topic %d\n\n", i)
		for j := range 6 {
			fmt.Fprintf(&body, "## Region %d\n\n", j)
			for k := range 12 {
				fmt.Fprintf(&body, "The quarterly report number %d covers sales of widget model %d in region %d, line %d. ", i, i, j, k)
			}
			body.WriteString("\n\n")
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("topic-%03d.md", i)), []byte(body.String()))
	}
	// The database exists before the race, so the two runs contend for
	// the ingest lock rather than for creating the schema.
	db.run(t, "gaps").wantCode(t, cli.ExitOK)
	watch, err := sqlite.Open(t.Context(), db.path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()

	firstDone := make(chan result, 1)
	go func() { firstDone <- db.run(t, "ingest", dir) }()
	// An ingest holds its lock from before its first write until after its
	// last, so once a document is visible the first run is mid-ingest.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := watch.Stats(t.Context())
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		if st.Documents == files {
			t.Fatalf("the first ingest finished before the second could start; use more files")
		}
		if st.Documents > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first ingest wrote nothing in 10s")
		}
		time.Sleep(time.Millisecond)
	}
	second := db.run(t, "ingest", dir)
	first := <-firstDone

	first.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, first.out); got.added != files {
		t.Errorf("the first ingest: %+v, want %d added", got, files)
	}
	switch {
	case second.code == cli.ExitOK:
		if got := parseSummary(t, second.out); got != (summary{unchanged: files}) {
			t.Errorf("the second ingest ran alongside the first: %+v\n%s", got, second.out)
		}
	case !strings.Contains(strings.ToLower(second.err), "another process"):
		t.Errorf("the refused ingest does not say another process is at work:\n%s", second.err)
	}
	if c := db.counts(t); c.documents != files {
		t.Errorf("the knowledge base holds %d documents, want %d", c.documents, files)
	}
	again := db.run(t, "ingest", dir)
	again.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, again.out); got != (summary{unchanged: files}) {
		t.Errorf("re-ingest after the race: %+v, want %d unchanged", got, files)
	}
	db.run(t, "ask", "which report covers sales of widget model 17 in region 4?").wantCode(t, cli.ExitOK)
}

// A file is one document, cited by its absolute path, however the path
// was spelled and from whichever directory, so re-ingest and --prune match
// it up.
func TestIngestIdentifiesFilesByAbsolutePath(t *testing.T) {
	// t.Chdir: not parallel.
	corpus := copyCorpus(t)
	work := filepath.Dir(corpus)
	t.Chdir(work)
	db := testDB{path: filepath.Join(work, "lore.db")}
	flag := "--db=sqlite:lore.db"

	r := run(t, "ingest", "corpus", flag)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.added != 3 {
		t.Fatalf("summary %+v, want 3 added\n%s", got, r.out)
	}
	ask := run(t, "ask", "--json", vpnQuestion, flag)
	ask.wantCode(t, cli.ExitOK)
	wantSource := filepath.ToSlash(filepath.Join(corpus, "vpn.html"))
	if a := decodeAsk(t, ask.out); len(a.Citations) == 0 || a.Citations[0].Source != wantSource {
		t.Errorf("citations %+v, want the source %s", a.Citations, wantSource)
	}

	for _, spelling := range []string{"./corpus/", corpus, filepath.Join(corpus, "leave.md")} {
		r := run(t, "ingest", spelling, flag)
		r.wantCode(t, cli.ExitOK)
		if got := parseSummary(t, r.out); got.added != 0 || got.unchanged == 0 {
			t.Errorf("ingest %s: %+v, want only unchanged documents\n%s", spelling, got, r.out)
		}
	}

	if err := os.Remove(filepath.Join(corpus, "vpn.html")); err != nil {
		t.Fatal(err)
	}
	pruned := run(t, "ingest", "--prune", ".", flag)
	pruned.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, pruned.out); got.removed != 1 || got.unchanged != 2 {
		t.Errorf("ingest --prune .: %+v, want 1 removed and 2 unchanged\n%s", got, pruned.out)
	}
	if n := db.counts(t).documents; n != 2 {
		t.Errorf("the knowledge base holds %d documents, want 2", n)
	}
}
