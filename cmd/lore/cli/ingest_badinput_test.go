package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// loopPDF is a PDF whose page tree lists itself as its only kid: it kept
// lore ingest at full CPU forever, deaf to Ctrl-C.
func loopPDF() []byte {
	objs := []string{"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Count 1 /Kids [2 0 R] >>"}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n")
	var offsets []int
	for i, o := range objs {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return []byte(b.String())
}

// Entries of a folder that cannot be read, or that make no document, are
// skipped with a warning and counted; the rest loads and the exit status
// is 0. Before, a link to nothing failed the whole ingest with exit 2 and
// a looping PDF never returned.
func TestIngestBadInputEntriesAreSkipped(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := copyCorpus(t)
	writeFile(t, filepath.Join(dir, "loop.pdf"), loopPDF())
	writeFile(t, filepath.Join(dir, "app.html"), []byte("<html><body><script>render()</script></body></html>"))
	if err := os.Symlink(filepath.Join(dir, "gone.md"), filepath.Join(dir, "dangling.md")); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.added != 3 || got.skipped != 3 {
		t.Errorf("summary %+v, want 3 added and 3 skipped\n%s", got, r.out)
	}
	for _, want := range []string{"loop.pdf: malformed document", "dangling.md: cannot be read: link to nothing", "app.html: no text"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("no warning %q:\n%s", want, r.err)
		}
	}
	// The warning names the file once, though the parser's error names it too.
	if want := "warning: skipped " + filepath.Join(dir, "loop.pdf") + ": malformed document"; !strings.Contains(r.err, want) {
		t.Errorf("no warning %q:\n%s", want, r.err)
	}
	if !strings.Contains(r.out, "holds 3 documents") {
		t.Errorf("summary without the totals:\n%s", r.out)
	}

	// The same file named twice, and within its folder, is one document.
	leave := filepath.Join(dir, "leave.md")
	again := newDB(t)
	r = again.run(t, "ingest", leave, leave, dir)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.added != 3 {
		t.Errorf("a file named twice: %+v, want 3 added\n%s", got, r.out)
	}
}

// A link to a folder given as PATH loaded nothing ("unsupported file
// type") and with --prune deleted everything under it.
func TestIngestBadInputLinkToAFolder(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := copyCorpus(t)
	link := filepath.Join(t.TempDir(), "kb")
	if err := os.Symlink(dir, link); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	r := db.run(t, "ingest", link)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.added != 3 || got.skipped != 0 {
		t.Fatalf("ingest of a link: %+v, want 3 added\n%s%s", got, r.out, r.err)
	}
	r = db.run(t, "ingest", "--prune", link)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got != (summary{unchanged: 3}) {
		t.Errorf("prune of a link: %+v, want 3 unchanged\n%s", got, r.out)
	}
	r = db.run(t, "sources", "add", "linked", link)
	r.wantCode(t, cli.ExitOK)
	r = db.run(t, "sources", "sync", "linked")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "it holds 3 documents") {
		t.Errorf("a source at a link to a folder:\n%s\n%s", r.out, r.err)
	}
}

// Each line of a sync names the file once, then what went wrong with it.
// An empty file is skipped, as 'lore ingest' skips it, not a failure.
func TestSourcesSyncNamesASkippedFileOnce(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "parking.md"), []byte("# Parking\n\nThe car park closes at 21:00.\n"))
	writeFile(t, filepath.Join(dir, "empty.md"), nil)
	db.run(t, "sources", "add", "notes", dir).wantCode(t, cli.ExitOK)
	r := db.run(t, "sources", "sync", "notes")
	r.wantCode(t, cli.ExitOK)
	empty := filepath.Join(dir, "empty.md")
	if !strings.Contains(r.err, "skipped   "+empty+": no text\n") || strings.Contains(r.err, empty+": "+empty) {
		t.Errorf("sync output does not name the empty file once:\n%s", r.err)
	}
	if !strings.Contains(r.out, "0 failed") {
		t.Errorf("the empty file counted as failed:\n%s", r.out)
	}
}

// --prune deleted the documents of a source registered under PATH, and
// documents of files that still exist but were not read this time.
func TestIngestBadInputPruneKeepsWhatStillExists(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	kb := copyCorpus(t)
	writeFile(t, filepath.Join(kb, ".team", "rota.md"), []byte("# Rota\n\nWho is on call, about wombats.\n"))
	writeFile(t, filepath.Join(kb, ".hidden.md"), []byte("# Hidden\n\nIngested by name, about axolotls.\n"))
	db.run(t, "sources", "add", "team", filepath.Join(kb, ".team")).wantCode(t, cli.ExitOK)
	db.run(t, "sources", "sync", "team").wantCode(t, cli.ExitOK)
	db.run(t, "ingest", filepath.Join(kb, ".hidden.md")).wantCode(t, cli.ExitOK)
	db.run(t, "ingest", kb).wantCode(t, cli.ExitOK)
	// Over the size limit from now on: skipped, but still there.
	if err := os.Truncate(filepath.Join(kb, "expenses.txt"), 10<<20+1); err != nil {
		t.Fatal(err)
	}
	r := db.run(t, "ingest", "--prune", kb)
	r.wantCode(t, cli.ExitOK)
	if got := parseSummary(t, r.out); got.removed != 0 || got.skipped != 1 {
		t.Errorf("prune: %+v, want nothing removed and the oversized file skipped\n%s%s", got, r.out, r.err)
	}
	// The corpus's three, the hidden file and the team source's rota.
	if n := db.counts(t).documents; n != 5 {
		t.Errorf("after --prune the knowledge base holds %d documents, want 5", n)
	}
}

// An unreadable PATH was reported as missing, with exit 2.
func TestIngestBadInputUnreadablePath(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root, which reads any file whatever its permissions")
	}
	db := newDB(t)
	locked := filepath.Join(t.TempDir(), "locked.md")
	writeFile(t, locked, []byte("# Locked\n"))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	r := db.run(t, "ingest", locked)
	r.wantCode(t, cli.ExitFailure)
	if !strings.Contains(r.err, "permission denied") || strings.Contains(r.err, "no such file") {
		t.Errorf("stderr:\n%s", r.err)
	}
}

// ingest --collection and sources add --collection took names that
// 'collections set' refuses.
func TestIngestBadInputCollectionNames(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := copyCorpus(t)
	for name, bad := range map[string]string{
		"a space":           "HR docs",
		"control character": "hr\x1b]0;X\x07",
		"5,000 characters":  strings.Repeat("h", 5000),
	} {
		t.Run(name, func(t *testing.T) {
			for _, args := range [][]string{
				{"ingest", "--collection", bad, dir},
				{"ingest", "--queue", "--collection", bad, dir},
				{"sources", "add", "hr", dir, "--collection", bad},
				{"collections", "set", bad, "--approval"},
			} {
				r := db.run(t, args...)
				r.wantCode(t, cli.ExitUsage)
				if !strings.Contains(r.err, "is not a collection name: 1 to 100 letters, digits") {
					t.Errorf("%s: stderr:\n%s", args[0], r.err)
				}
				if strings.ContainsRune(r.err, '\x1b') || len(r.err) > 400 {
					t.Errorf("%s: the name is shown raw or whole:\n%q", args[0], r.err)
				}
			}
		})
	}
}
