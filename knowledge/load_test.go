package knowledge_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/handbook"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// newStore opens a fresh SQLite store in a temporary folder.
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

// newService returns a knowledge service over a fresh store.
func newService(t *testing.T, opts knowledge.Options) (*knowledge.Service, *sqlite.Store) {
	t.Helper()
	st := newStore(t)
	return knowledge.New(st, opts), st
}

// writeFiles writes files (relative name → content) under dir, creating
// folders as needed.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ingestDir runs req without progress reporting and fails the test on
// error.
func ingestDir(t *testing.T, svc *knowledge.Service, req knowledge.IngestRequest) knowledge.IngestSummary {
	t.Helper()
	sum, err := svc.Ingest(t.Context(), req, nil)
	if err != nil {
		t.Fatalf("Ingest(%v): %v", req.Paths, err)
	}
	return sum
}

// sources lists the sources of a collection, sorted.
func sources(t *testing.T, st store.Documents, collection string) []string {
	t.Helper()
	refs, err := st.DocumentRefs(t.Context(), collection)
	if err != nil {
		t.Fatalf("DocumentRefs: %v", err)
	}
	var out []string
	for _, r := range refs {
		out = append(out, r.Source)
	}
	sort.Strings(out)
	return out
}

// slashPath is how Lore cites a file outside the working directory.
func slashPath(elem ...string) string {
	return filepath.ToSlash(filepath.Join(elem...))
}

// searchTexts returns the text of every passage Search finds for query.
func searchTexts(t *testing.T, svc *knowledge.Service, query string) []string {
	t.Helper()
	ps, err := svc.Search(t.Context(), query, 10, store.Everything)
	if err != nil {
		t.Fatalf("Search(%q): %v", query, err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Title+"\n"+p.Heading+"\n"+p.Text)
	}
	return out
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

func anyContains(texts []string, word string) bool {
	return slices.ContainsFunc(texts, func(s string) bool {
		return strings.Contains(strings.ToLower(s), strings.ToLower(word))
	})
}

func stats(t *testing.T, st store.Documents) store.Stats {
	t.Helper()
	s, err := st.Stats(t.Context())
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

// recorder is a Progress that remembers every call.
type recorder struct {
	mu     sync.Mutex
	totals []int
	done   []string
	warned map[string]error
}

func (r *recorder) Total(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.totals = append(r.totals, n)
}

func (r *recorder) Done(p string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = append(r.done, p)
}

func (r *recorder) Warn(p string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.warned == nil {
		r.warned = map[string]error{}
	}
	r.warned[p] = err
}

var _ knowledge.Progress = (*recorder)(nil)

// ingestCorpus is a small knowledge base: each document has a word no
// other has, so a search for it shows whether the document is there.
var ingestCorpus = map[string]string{
	"leave.md": `---
title: Annual leave
tags: [leave]
owner: people-team
---
# Annual leave

## Entitlement

Full-time employees get 27 days of paid annual leave. Unused days carry over
until the end of March; the word to find this document by is aardvark.
`,
	"security/vpn.md": `# VPN

## Resetting your password

Reset your VPN password from the self-service portal. Passwords expire every
ninety days. The word to find this document by is zebrafish.
`,
	"notes/expenses.txt": `Expenses

Submit receipts within thirty days of spending. Meals while travelling are
reimbursed up to fifty euros a day. The word to find this document by is
pangolin.
`,
}

func TestIngestIsIncremental(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	req := knowledge.IngestRequest{Paths: []string{dir}}

	first := ingestDir(t, svc, req)
	if first.Added != 3 || first.Updated != 0 || first.Unchanged != 0 || first.Removed != 0 || first.Skipped != 0 {
		t.Errorf("first ingest: %+v, want 3 added and nothing else", first)
	}
	s := stats(t, st)
	if s.Documents != 3 || s.Chunks == 0 || first.Chunks != s.Chunks {
		t.Errorf("after first ingest: store %+v, summary chunks %d; want 3 documents and the chunks written", s, first.Chunks)
	}
	wantSources := []string{
		slashPath(dir, "leave.md"),
		slashPath(dir, "notes", "expenses.txt"),
		slashPath(dir, "security", "vpn.md"),
	}
	if got := sources(t, st, knowledge.DefaultCollection); !slices.Equal(got, wantSources) {
		t.Errorf("sources in the default collection: %q, want %q", got, wantSources)
	}

	second := ingestDir(t, svc, req)
	if !reflect.DeepEqual(second, knowledge.IngestSummary{Unchanged: 3, Duration: second.Duration}) {
		t.Errorf("second ingest of the same files: %+v, want 3 unchanged and nothing written", second)
	}
	if got := stats(t, st); got != s {
		t.Errorf("second ingest changed the store: %+v, was %+v", got, s)
	}

	writeFiles(t, dir, map[string]string{"security/vpn.md": strings.ReplaceAll(ingestCorpus["security/vpn.md"], "zebrafish", "okapi")})
	third := ingestDir(t, svc, req)
	if third.Updated != 1 || third.Unchanged != 2 || third.Added != 0 || third.Removed != 0 || third.Chunks == 0 {
		t.Errorf("after changing one file: %+v, want 1 updated, 2 unchanged", third)
	}
	if got := stats(t, st); got != s {
		t.Errorf("replacing a document changed the counts: %+v, was %+v", got, s)
	}
	if texts := searchTexts(t, svc, "zebrafish"); anyContains(texts, "zebrafish") {
		t.Errorf("the old version of the changed document is still found: %q", texts)
	}
	if texts := searchTexts(t, svc, "okapi"); !anyContains(texts, "okapi") {
		t.Errorf("the new version of the changed document is not found: %q", texts)
	}
}

// A document read by an older parser version is read again by the next
// ingest, although its file has not changed; then it is unchanged again.
func TestIngestRereadsWhatAnOlderParserRead(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	req := knowledge.IngestRequest{Paths: []string{dir}}
	ingestDir(t, svc, req)

	// leave.md as an older build stored it: its hash the bare SHA-256 of
	// the file, as before parser versions.
	file := filepath.Join(dir, "leave.md")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ingest.Parse(file, data, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	source := slashPath(file)
	old := store.Document{ID: knowledge.DocumentID(knowledge.DefaultCollection, source), Collection: knowledge.DefaultCollection,
		Source: source, Title: parsed.Title, ContentHash: hex.EncodeToString(sum[:]), UpdatedAt: time.Now()}
	if _, err := svc.AddDocument(t.Context(), old, parsed.Chunks); err != nil {
		t.Fatal(err)
	}

	again := ingestDir(t, svc, req)
	if again.Updated != 1 || again.Unchanged != 2 {
		t.Errorf("ingest after an upgrade: %+v, want the document of the older parser read again (1 updated, 2 unchanged)", again)
	}
	if third := ingestDir(t, svc, req); third.Unchanged != 3 {
		t.Errorf("the ingest after that: %+v, want 3 unchanged", third)
	}
}

func TestIngestPrune(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	req := knowledge.IngestRequest{Paths: []string{dir}}
	ingestDir(t, svc, req)

	if err := os.Remove(filepath.Join(dir, "notes", "expenses.txt")); err != nil {
		t.Fatal(err)
	}

	kept := ingestDir(t, svc, req)
	if kept.Removed != 0 || kept.Unchanged != 2 {
		t.Errorf("without Prune: %+v, want nothing removed and 2 unchanged", kept)
	}
	if got := stats(t, st).Documents; got != 3 {
		t.Errorf("without Prune the store holds %d documents, want 3", got)
	}
	if texts := searchTexts(t, svc, "pangolin"); !anyContains(texts, "pangolin") {
		t.Errorf("without Prune the deleted file's document is gone from search: %q", texts)
	}

	req.Prune = true
	pruned := ingestDir(t, svc, req)
	if pruned.Removed != 1 || pruned.Unchanged != 2 || pruned.Added != 0 || pruned.Updated != 0 {
		t.Errorf("with Prune: %+v, want 1 removed and 2 unchanged", pruned)
	}
	want := []string{slashPath(dir, "leave.md"), slashPath(dir, "security", "vpn.md")}
	if got := sources(t, st, knowledge.DefaultCollection); !slices.Equal(got, want) {
		t.Errorf("after Prune: %q, want %q", got, want)
	}
	if texts := searchTexts(t, svc, "pangolin"); anyContains(texts, "pangolin") {
		t.Errorf("a pruned document is still found: %q", texts)
	}

	again := ingestDir(t, svc, req)
	if again.Removed != 0 {
		t.Errorf("pruning again removed %d documents, want 0", again.Removed)
	}
}

// Prune judges only documents under the paths of the request: another
// folder of the same collection, even one whose name starts the same way,
// and other collections are left alone.
func TestIngestPruneOnlyTouchesGivenPaths(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	root := t.TempDir()
	docs, docsOld, other := filepath.Join(root, "docs"), filepath.Join(root, "docs-old"), filepath.Join(root, "other")
	writeFiles(t, docs, map[string]string{"a.md": "# Alpha\n\nAlpha text about aardvarks.\n", "b.md": "# Beta\n\nBeta text about badgers.\n"})
	writeFiles(t, docsOld, map[string]string{"c.md": "# Gamma\n\nGamma text about cormorants.\n"})
	writeFiles(t, other, map[string]string{"d.md": "# Delta\n\nDelta text about dolphins.\n"})
	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{docs, docsOld}})
	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{other}, Collection: "archive"})

	for _, p := range []string{filepath.Join(docsOld, "c.md"), filepath.Join(other, "d.md")} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{docs}, Prune: true})
	if sum.Removed != 0 {
		t.Errorf("pruning %s removed %d documents, want 0: files outside it are not judged", docs, sum.Removed)
	}
	wantDefault := sorted(slashPath(docs, "a.md"), slashPath(docs, "b.md"), slashPath(docsOld, "c.md"))
	if got := sources(t, st, knowledge.DefaultCollection); !slices.Equal(got, wantDefault) {
		t.Errorf("default collection: %q, want %q", got, wantDefault)
	}
	if got, want := sources(t, st, "archive"), []string{slashPath(other, "d.md")}; !slices.Equal(got, want) {
		t.Errorf("archive collection: %q, want %q", got, want)
	}

	if err := os.Remove(filepath.Join(docs, "b.md")); err != nil {
		t.Fatal(err)
	}
	sum = ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{docs}, Prune: true})
	if sum.Removed != 1 {
		t.Errorf("pruning %s after deleting b.md removed %d documents, want 1", docs, sum.Removed)
	}
	wantDefault = sorted(slashPath(docs, "a.md"), slashPath(docsOld, "c.md"))
	if got := sources(t, st, knowledge.DefaultCollection); !slices.Equal(got, wantDefault) {
		t.Errorf("default collection: %q, want %q", got, wantDefault)
	}
	if got := stats(t, st).Documents; got != 3 {
		t.Errorf("store holds %d documents, want 3 (a, c and the archive's d)", got)
	}
}

func TestIngestSkipsWithWarning(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"good.md":       "# Good\n\nA readable document about the office kitchen.\n",
		"photo.png":     "\x89PNG\r\n\x1a\nnot really an image",
		"report.docx":   "PK\x03\x04 pretend",
		"blob.md":       "# Looks like Markdown\x00\x00\x01\x02\x00 but is binary",
		".draft.md":     "# Hidden\n\nHidden files are passed over silently.\n",
		"sub/other.txt": "Plain text about the bike shed.\n",
	})
	progress := &recorder{}
	sum, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}}, progress)
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	if sum.Added != 2 || sum.Skipped != 3 {
		t.Errorf("summary %+v, want 2 added and 3 skipped", sum)
	}
	if got := stats(t, st).Documents; got != 2 {
		t.Errorf("store holds %d documents, want 2", got)
	}

	wantWarn := map[string]error{
		filepath.Join(dir, "photo.png"):   ingest.ErrUnsupported,
		filepath.Join(dir, "report.docx"): ingest.ErrUnsupported,
		filepath.Join(dir, "blob.md"):     ingest.ErrBinary,
	}
	if len(progress.warned) != len(wantWarn) {
		t.Errorf("warnings for %v, want exactly %d", keysOf(progress.warned), len(wantWarn))
	}
	for p, want := range wantWarn {
		got, ok := progress.warned[p]
		switch {
		case !ok:
			t.Errorf("no warning for %s", p)
		case !errors.Is(got, want):
			t.Errorf("warning for %s: %v, want an error wrapping %v", p, got, want)
		}
	}
	if !slices.Equal(progress.totals, []int{2}) {
		t.Errorf("Total calls %v, want one call with the 2 readable files", progress.totals)
	}
	wantDone := []string{filepath.Join(dir, "good.md"), filepath.Join(dir, "sub", "other.txt")}
	done := slices.Sorted(slices.Values(progress.done))
	if !slices.Equal(done, wantDone) {
		t.Errorf("Done calls %q, want %q", done, wantDone)
	}

	// Unchanged files are progress too.
	progress = &recorder{}
	if _, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}}, progress); err != nil {
		t.Fatalf("second Ingest: %v", err)
	}
	if len(progress.done) != 2 {
		t.Errorf("second ingest reported %d files done, want 2", len(progress.done))
	}
}

func keysOf[V any](m map[string]V) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func TestIngestMissingPathWritesNothing(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	tests := []struct {
		name  string
		paths []string
	}{
		{"only path", []string{missing}},
		{"after a good path", []string{dir, missing}},
		{"before a good path", []string{missing, dir}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			progress := &recorder{}
			_, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: tt.paths, Prune: true}, progress)
			if !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Ingest: %v, want an error wrapping fs.ErrNotExist", err)
			}
			if !strings.Contains(err.Error(), "no-such-folder") {
				t.Errorf("error %q does not name the missing path", err)
			}
			if s := stats(t, st); s.Documents != 0 || s.Chunks != 0 {
				t.Errorf("store after a failed ingest: %+v, want empty", s)
			}
			if len(progress.totals)+len(progress.done)+len(progress.warned) != 0 {
				t.Errorf("progress reported before the paths were checked: %+v", progress)
			}
		})
	}
	// The failed requests left no lock behind.
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}}); sum.Added != 3 {
		t.Errorf("ingest after the failures: %+v, want 3 added", sum)
	}
}

func TestIngestWhileLockedWritesNothing(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, ingestCorpus)
	release, err := st.TryLock(t.Context(), "ingest", "other-host:4242", time.Minute)
	if err != nil {
		t.Fatalf("TryLock: %v", err)
	}

	_, err = svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}, Owner: "this-host:1"}, nil)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Ingest while another holds the lock: %v, want an error wrapping store.ErrLocked", err)
	}
	if !strings.Contains(err.Error(), "other-host:4242") {
		t.Errorf("error %q does not name the holder", err)
	}
	if s := stats(t, st); s.Documents != 0 || s.Chunks != 0 {
		t.Errorf("store after a locked-out ingest: %+v, want empty", s)
	}

	if err := release(t.Context()); err != nil {
		t.Fatalf("release: %v", err)
	}
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}, Owner: "this-host:1"}); sum.Added != 3 {
		t.Errorf("ingest after release: %+v, want 3 added", sum)
	}
	// A finished ingest releases the lock.
	rel, err := st.TryLock(t.Context(), "ingest", "other-host:4242", time.Minute)
	if err != nil {
		t.Fatalf("lock after a finished ingest: %v, want it free", err)
	}
	if err := rel(t.Context()); err != nil {
		t.Fatalf("release: %v", err)
	}
}

func TestIngestCollectionAndClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	svc, st := newService(t, knowledge.Options{Clock: func() time.Time { return now }})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"leave.md": ingestCorpus["leave.md"]})

	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{filepath.Join(dir, "leave.md")}, Collection: "people"})
	if got := sources(t, st, knowledge.DefaultCollection); len(got) != 0 {
		t.Errorf("default collection holds %q, want nothing", got)
	}
	source := slashPath(dir, "leave.md")
	doc, err := st.Document(t.Context(), knowledge.DocumentID("people", source))
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	if doc.Collection != "people" || doc.Source != source || doc.Title != "Annual leave" || doc.Owner != "people-team" {
		t.Errorf("document %+v, want collection people, source %s, title and owner from front matter", doc, source)
	}
	if !slices.Equal(doc.Tags, []string{"leave"}) {
		t.Errorf("tags %q, want [leave]", doc.Tags)
	}
	if !doc.UpdatedAt.Equal(now) {
		t.Errorf("UpdatedAt %v, want the service clock's %v", doc.UpdatedAt, now)
	}
}

func TestIngestFSLoadsHandbook(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, knowledge.Options{})
	docs, err := fs.Sub(handbook.Docs, "docs")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(docs, "*.md")
	if err != nil || len(names) == 0 {
		t.Fatalf("handbook files: %v, %v", names, err)
	}
	sum, err := svc.IngestFS(t.Context(), docs, "handbook", "handbook")
	if err != nil {
		t.Fatalf("IngestFS: %v", err)
	}
	if sum.Added != len(names) || sum.Skipped != 0 {
		t.Errorf("summary %+v, want %d added", sum, len(names))
	}
	s := stats(t, st)
	if s.Documents != len(names) || s.Chunks != sum.Chunks || s.Chunks < len(names) {
		t.Errorf("store %+v after loading %d files (%d chunks reported)", s, len(names), sum.Chunks)
	}
	var want []string
	for _, n := range names {
		want = append(want, "handbook/"+path.Base(n))
	}
	sort.Strings(want)
	if got := sources(t, st, "handbook"); !slices.Equal(got, want) {
		t.Errorf("sources %q, want %q", got, want)
	}

	ans, err := svc.Ask(context.Background(), "How do I reset my VPN password?")
	if err != nil {
		t.Fatalf("Ask: %v", err)
	}
	if !ans.Confident || len(ans.Citations) == 0 {
		t.Fatalf("not answered from the handbook: %+v", ans)
	}
	if src := ans.Citations[0].Source; !strings.HasPrefix(src, "handbook/") {
		t.Errorf("citation source %q, want handbook/NAME", src)
	}
}

// Pruning "." from one folder must not remove documents ingested from
// another folder, nor can the same file become two documents by being
// ingested from two working directories.
func TestPruneOfWorkingDirectoryKeepsOtherFolders(t *testing.T) {
	// t.Chdir: not parallel.
	svc, st := newService(t, knowledge.Options{})
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	writeFiles(t, a, map[string]string{"leave.md": "# Leave\n\nAnnual leave is 27 days."})
	writeFiles(t, b, map[string]string{"vpn.md": "# VPN\n\nRun tunnelwise doctor when the VPN drops."})

	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{b}})
	t.Chdir(a)
	sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{"."}, Prune: true})
	if sum.Added != 1 || sum.Removed != 0 {
		t.Fatalf("prune of . from %s: %+v, want 1 added and nothing removed", a, sum)
	}
	t.Chdir(root)
	sum = ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{"a"}})
	if sum.Unchanged != 1 || sum.Added != 0 {
		t.Fatalf("the same file from another directory: %+v, want 1 unchanged", sum)
	}
	got := sources(t, st, knowledge.DefaultCollection)
	want := []string{filepath.ToSlash(filepath.Join(a, "leave.md")), filepath.ToSlash(filepath.Join(b, "vpn.md"))}
	if !slices.Equal(got, want) {
		t.Fatalf("sources %q, want %q", got, want)
	}
}

// stealingStore hands the ingest lock to someone else after the first
// take, as if this process had stalled past its lease.
type stealingStore struct {
	*sqlite.Store
	takes int
}

func (s *stealingStore) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (func(context.Context) error, error) {
	s.takes++
	if s.takes > 1 {
		return nil, fmt.Errorf("%w: %s held by thief until later", store.ErrLocked, name)
	}
	return s.Store.TryLock(ctx, name, owner, ttl)
}

// An ingest whose lease is taken over stops writing instead of running on
// beside the new holder.
func TestIngestStopsWhenItsLeaseIsLost(t *testing.T) {
	st := &stealingStore{Store: newStore(t)}
	svc := knowledge.New(st, knowledge.Options{IngestLease: 30 * time.Millisecond})
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 400 {
		files[fmt.Sprintf("doc%03d.md", i)] = fmt.Sprintf("# Topic %d\n\n%s", i, strings.Repeat(fmt.Sprintf("Sentence about subject%d. ", i), 40))
	}
	writeFiles(t, dir, files)
	sum, err := svc.Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}}, nil)
	if !errors.Is(err, knowledge.ErrLeaseLost) {
		t.Fatalf("ingest after losing its lease: %+v, %v; want ErrLeaseLost", sum, err)
	}
	if sum.Added >= 400 {
		t.Fatalf("all %d documents written after the lease was lost", sum.Added)
	}
	stats, err := st.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Documents != sum.Added {
		t.Fatalf("store holds %d documents, summary says %d added", stats.Documents, sum.Added)
	}
}

// review_by from front matter is stored; a bad one is reported in the
// summary and the file is still ingested, without a date.
func TestIngestReviewBy(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"good.md": "---\nreview_by: 2025-06-30\n---\n# Good\n\nAnnual leave is 27 days.\n",
		"bad.md":  "---\nreview_by: soon-ish\n---\n# Bad\n\nThe VPN is required off site.\n",
	})
	svc, st := newService(t, knowledge.Options{})
	sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}})
	if sum.Added != 2 || len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "bad.md") || !strings.Contains(sum.Warnings[0], "soon-ish") {
		t.Fatalf("summary %+v, want both added and bad.md's date reported", sum)
	}
	for name, want := range map[string]time.Time{"good.md": time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC), "bad.md": {}} {
		d, err := st.Document(t.Context(), knowledge.DocumentID(knowledge.DefaultCollection, slashPath(dir, name)))
		if err != nil {
			t.Fatal(err)
		}
		if !d.ReviewBy.Equal(want) {
			t.Errorf("%s review by %v, want %v", name, d.ReviewBy, want)
		}
	}
}
