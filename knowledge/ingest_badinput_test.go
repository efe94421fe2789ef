package knowledge_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/ingest"
	sourcesync "github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

// Prune removed every document under the paths that this run did not
// read: another source's documents, hidden files ingested by name, files
// now skipped as binary. It now removes only documents whose file is gone.
func TestIngestPruneRemovesOnlyFilesGoneFromDisk(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	kb := t.TempDir()
	writeFiles(t, kb, ingestCorpus)
	writeFiles(t, kb, map[string]string{
		".team/policy.md":  "# Team policy\n\nThe team source holds this one about quokkas.\n",
		".team/rota.md":    "# Rota\n\nThe on-call rota, about wombats.\n",
		".hidden.md":       "# Hidden\n\nIngested by name, about axolotls.\n",
		"turns-binary.txt": "Readable today, about narwhals.\n",
	})
	// A registered source over a folder inside kb, synced.
	if err := st.AddSource(t.Context(), store.Source{Name: "team", Kind: store.SourceFiles, Location: filepath.Join(kb, ".team"), Collection: knowledge.DefaultCollection}); err != nil {
		t.Fatal(err)
	}
	syncer := &sourcesync.Syncer{Store: st, Index: svc}
	if res, err := syncer.Sync(t.Context(), "team", nil); err != nil || res.Added != 2 {
		t.Fatalf("sync team: %+v, %v", res, err)
	}
	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{filepath.Join(kb, ".hidden.md")}})
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{kb}}); sum.Added != 4 {
		t.Fatalf("ingest kb: %+v, want 4 added", sum)
	}
	if n := stats(t, st).Documents; n != 7 {
		t.Fatalf("store holds %d documents, want 7", n)
	}

	writeFiles(t, kb, map[string]string{"turns-binary.txt": "\x00\x01\x02 now binary"})
	for _, gone := range []string{"notes/expenses.txt", ".team/rota.md"} {
		if err := os.Remove(filepath.Join(kb, filepath.FromSlash(gone))); err != nil {
			t.Fatal(err)
		}
	}
	progress := &recorder{}
	sum, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{kb}, Prune: true}, progress)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Removed != 1 || sum.Skipped != 1 {
		t.Errorf("prune: %+v, want only the deleted expenses.txt removed, turns-binary.txt skipped", sum)
	}
	if err := progress.warned[filepath.Join(kb, "turns-binary.txt")]; !errors.Is(err, ingest.ErrBinary) {
		t.Errorf("warning for the file now binary: %v", err)
	}
	want := sorted(
		slashPath(kb, ".hidden.md"), slashPath(kb, ".team", "policy.md"), slashPath(kb, ".team", "rota.md"),
		slashPath(kb, "leave.md"), slashPath(kb, "security", "vpn.md"), slashPath(kb, "turns-binary.txt"),
	)
	if got := sources(t, st, knowledge.DefaultCollection); !slices.Equal(got, want) {
		t.Errorf("after prune: %q, want %q (the team source's rota.md is its sync's to remove)", got, want)
	}
	if res, err := syncer.Sync(t.Context(), "team", nil); err != nil || res.Removed != 1 || res.Documents != 1 {
		t.Errorf("the team source's own sync: %+v, %v, want rota.md removed", res, err)
	}
}

func TestIngestCountsAFileNamedTwiceOnce(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	leave := filepath.Join(dir, "leave.md")
	progress := &recorder{}
	sum, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{leave, leave, dir}}, progress)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 3 || sum.Unchanged != 0 || stats(t, st).Documents != 3 {
		t.Errorf("summary %+v, want 3 added", sum)
	}
	if !slices.Equal(progress.totals, []int{3}) || len(progress.done) != 3 {
		t.Errorf("progress total %v and %d done, want 3", progress.totals, len(progress.done))
	}
}

// An HTML page that is all script was stored as a document of no chunks.
func TestIngestSkipsFilesWithoutText(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"app.html": "<html><head><script>var a = 1;</script></head><body><script>render()</script></body></html>",
		"empty.md": "",
		"good.md":  "# Good\n\nA page with words.\n",
	})
	progress := &recorder{}
	sum, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}}, progress)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added != 1 || sum.Skipped != 2 || stats(t, st).Documents != 1 {
		t.Errorf("summary %+v, want 1 added and 2 skipped", sum)
	}
	for _, name := range []string{"app.html", "empty.md"} {
		if err := progress.warned[filepath.Join(dir, name)]; !errors.Is(err, knowledge.ErrEmpty) || err.Error() != "no text" {
			t.Errorf("warning for %s: %v, want \"no text\"", name, err)
		}
	}
}

// One bad entry ended the whole ingest: a link to nothing inside the
// folder failed it with "no such file or directory" and nothing loaded.
func TestIngestGoesOnPastEntriesThatCannotBeRead(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	dangling := filepath.Join(dir, "dangling.md")
	if err := os.Symlink(filepath.Join(dir, "no-such-file.md"), dangling); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	progress := &recorder{}
	sum, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}, Prune: true}, progress)
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if sum.Added != 3 || sum.Skipped != 1 || stats(t, st).Documents != 3 {
		t.Errorf("summary %+v, want 3 added and the dangling link skipped", sum)
	}
	if err := progress.warned[dangling]; !errors.Is(err, ingest.ErrUnreadable) {
		t.Errorf("warning for the dangling link: %v", err)
	}
}

// A link to a folder given as the path loaded nothing, and with Prune
// removed every document under it.
func TestIngestWalksAPathThatIsALinkToAFolder(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	real := t.TempDir()
	writeFiles(t, real, ingestCorpus)
	link := filepath.Join(t.TempDir(), "kb")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{link}}); sum.Added != 3 || sum.Skipped != 0 {
		t.Fatalf("ingest of the link: %+v, want 3 added", sum)
	}
	want := sorted(slashPath(link, "leave.md"), slashPath(link, "notes", "expenses.txt"), slashPath(link, "security", "vpn.md"))
	if got := sources(t, st, knowledge.DefaultCollection); !slices.Equal(got, want) {
		t.Errorf("documents %q, want them named under the link %q", got, want)
	}
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{link}, Prune: true}); sum.Removed != 0 || sum.Unchanged != 3 {
		t.Errorf("prune of the link: %+v, want 3 unchanged and nothing removed", sum)
	}
}

// A collection name that 'lore collections set' refuses was taken by
// ingest, so that collection could never be given an audience.
func TestIngestRefusesBadCollectionNames(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	for _, name := range []string{"HR docs", "a\x1b]0;X\x07b", strings.Repeat("a", 5000), "-flag", "ünicode"} {
		_, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}, Collection: name}, nil)
		if !errors.Is(err, store.ErrInvalidInput) || !strings.Contains(err.Error(), "is not a collection name") {
			t.Errorf("collection %.20q: %v, want a refusal", name, err)
		}
		if strings.ContainsRune(err.Error(), '\x1b') || len(err.Error()) > 300 {
			t.Errorf("the refusal shows the name raw or whole: %q", err)
		}
	}
	if n := stats(t, st).Documents; n != 0 {
		t.Errorf("refused ingests stored %d documents", n)
	}
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}, Collection: "hr.docs_2024-v1"}); sum.Added != 3 {
		t.Errorf("a good name: %+v", sum)
	}
}
