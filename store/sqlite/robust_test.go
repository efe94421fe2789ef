package sqlite

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

// Two Stores on one file stand in for two processes: each has its own pools
// and its own index, and only the database file connects them.

func TestTwoStoresIngestAtOnce(t *testing.T) {
	path := tempDB(t)
	stores := []*Store{openTest(t, path, Options{}), openTest(t, path, Options{})}
	const docsEach, chunksEach = 40, 6

	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for w, s := range stores {
		wg.Go(func() {
			for i := range docsEach {
				doc, chunks := storetest.Doc(fmt.Sprintf("w%dd%d", w, i), chunksEach, 8)
				// Every other document is written twice, so replaces
				// (deletes) interleave with the other store's inserts.
				for range 1 + i%2 {
					if err := s.ReplaceDocument(t.Context(), doc, chunks); err != nil {
						errs[w] = err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", w, err)
		}
	}

	for w, s := range stores {
		if st, err := s.Stats(t.Context()); err != nil || st != (store.Stats{Documents: 2 * docsEach, Chunks: 2 * docsEach * chunksEach}) {
			t.Fatalf("store %d stats = %+v, %v", w, st, err)
		}
	}
	// Every document has exactly its own chunks, in order.
	rows, err := stores[0].rdb.Query("SELECT doc_id, ordinal, text FROM chunks ORDER BY doc_id, ordinal")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var docID, text string
		var ordinal int
		if err := rows.Scan(&docID, &ordinal, &text); err != nil {
			t.Fatal(err)
		}
		if ordinal != seen[docID] || text != fmt.Sprintf("%s chunk %d", docID, ordinal) {
			t.Errorf("document %s: chunk %d is %q", docID, ordinal, text)
		}
		seen[docID]++
	}
	if len(seen) != 2*docsEach {
		t.Errorf("chunks of %d documents, want %d", len(seen), 2*docsEach)
	}

	// Both indexes converge on the tables: each saw its own writes
	// directly and the other's through catch-up.
	for w, s := range stores {
		hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"w1d7"}}, 10)
		if err != nil || len(hits) != chunksEach {
			t.Errorf("store %d: search for w1d7 = %d hits, %v; want %d", w, len(hits), err, chunksEach)
		}
		maxID, maxSeq := dbMarks(t, s)
		if id, seq := marks(s); id != maxID || seq != maxSeq {
			t.Errorf("store %d index marks = %d, %d; tables at %d, %d", w, id, seq, maxID, maxSeq)
		}
		if n := s.ix.Len(); n != 2*docsEach*chunksEach {
			t.Errorf("store %d index holds %d chunks, want %d", w, n, 2*docsEach*chunksEach)
		}
	}
}

// A second store sees the first's writes and deletes at its next search,
// without reopening, and loads only what is new.
func TestCatchUpWithAnotherStore(t *testing.T) {
	path := tempDB(t)
	a := openTest(t, path, Options{})
	b := openTest(t, path, Options{})

	search := func(s *Store, term string) []store.Hit {
		t.Helper()
		hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{term}}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	if hits := search(b, "alpha"); len(hits) != 0 {
		t.Fatalf("empty store found %v", hits)
	}
	doc, chunks := storetest.Doc("Alpha", 3, 8)
	storetest.MustReplace(t, a, doc, chunks)
	if hits := search(b, "alpha"); len(hits) != 3 {
		t.Fatalf("b found %d chunks of a's new document, want 3", len(hits))
	}
	vhits, err := b.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(8, 2), Scope: store.Everything}, 1)
	if err != nil || len(vhits) != 1 || vhits[0].DocID != "Alpha" {
		t.Errorf("b's vector search = %v, %v", vhits, err)
	}

	// A replace by a, then a delete by a: b drops what went away.
	storetest.MustReplace(t, a, doc, chunks[:1])
	if hits := search(b, "part2"); len(hits) != 0 {
		t.Errorf("b still finds a chunk a replaced away: %v", hits)
	}
	if err := a.DeleteDocuments(t.Context(), []string{"Alpha"}); err != nil {
		t.Fatal(err)
	}
	if hits := search(b, "alpha"); len(hits) != 0 {
		t.Errorf("b still finds a's deleted document: %v", hits)
	}
	if n := b.ix.Len(); n != 0 {
		t.Errorf("b's index holds %d chunks after everything was deleted", n)
	}

	// The other way round, with b's own index behind when it writes: b
	// must catch up rather than skip a's chunks.
	doc, chunks = storetest.Doc("Beta", 2, 8)
	storetest.MustReplace(t, a, doc, chunks)
	doc, chunks = storetest.Doc("Gamma", 2, 8)
	storetest.MustReplace(t, b, doc, chunks)
	if n := b.ix.Len(); n != 4 {
		t.Errorf("b's index holds %d chunks after writing behind a, want 4", n)
	}
	if hits := search(a, "gamma"); len(hits) != 2 {
		t.Errorf("a found %d of b's chunks, want 2", len(hits))
	}
}

// A fresh store opened after others wrote loads everything at Open.
func TestOpenLoadsIndex(t *testing.T) {
	path := tempDB(t)
	w := openTest(t, path, Options{})
	for i := range 5 {
		doc, chunks := storetest.Doc(fmt.Sprintf("d%d", i), 4, 8)
		storetest.MustReplace(t, w, doc, chunks)
	}
	if err := w.DeleteDocuments(t.Context(), []string{"d1"}); err != nil {
		t.Fatal(err)
	}
	r := openTest(t, path, Options{})
	if n := r.ix.Len(); n != 16 {
		t.Errorf("index loaded %d chunks, want 16", n)
	}
	maxID, maxSeq := dbMarks(t, r)
	if id, seq := marks(r); id != maxID || seq != maxSeq {
		t.Errorf("marks after load = %d, %d; want %d, %d", id, seq, maxID, maxSeq)
	}
	hits, err := r.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"d3"}}, 10)
	if err != nil || len(hits) != 4 {
		t.Errorf("search after load = %v, %v", hits, err)
	}
}

func TestCorruptFileIsReportedAndLeftAlone(t *testing.T) {
	path := tempDB(t)
	junk := make([]byte, 16384)
	_, _ = rand.Read(junk)
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ro := range []bool{false, true} {
		_, err := Open(t.Context(), path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("open (read-only %v) of random bytes: %v, want ErrCorrupt", ro, err)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "not a Lore database or is corrupt") {
			t.Errorf("error %q does not say which file is not a Lore database", msg)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, junk) {
		t.Error("opening a corrupt file modified it")
	}
}

// A writer that holds the database past the busy timeout is reported as
// another process's lock, and the store recovers once it lets go.
func TestBusyDatabaseReportsLocked(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path, Options{BusyTimeout: 100 * time.Millisecond})

	other := rawDB(t, path)
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	doc, chunks := storetest.Doc("a", 2, 8)
	start := time.Now()
	err = s.ReplaceDocument(t.Context(), doc, chunks)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "locked by another process") {
		t.Fatalf("write while another process holds the lock: %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("gave up after %s, before the busy timeout", waited)
	}
	if err := s.RecordEvent(t.Context(), store.Event{ID: "e", Kind: store.EventQuestion}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("event while locked: %v, want ErrLocked", err)
	}
	// Readers are not blocked by a writer in WAL mode.
	if _, err := s.Stats(t.Context()); err != nil {
		t.Errorf("read while another process writes: %v", err)
	}

	if _, err := conn.ExecContext(t.Context(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	storetest.MustReplace(t, s, doc, chunks)
}

// Writers in one process queue on the single write connection; none fails
// and none sees a busy error.
func TestConcurrentWritesInOneStore(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 8 {
				doc, chunks := storetest.Doc(fmt.Sprintf("g%dd%d", g, i), 3, 8)
				if err := s.ReplaceDocument(t.Context(), doc, chunks); err != nil {
					errs <- err
				}
				if _, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"part1"}}, 5); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.ix.Len(); n != 8*8*3 {
		t.Errorf("index holds %d chunks, want %d", n, 8*8*3)
	}
}

func TestInvalidInputIsRefused(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	ctx := t.Context()
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, s, doc, chunks)

	badTerm := append([]store.Chunk(nil), chunks...)
	badTerm[1].Terms = []string{"two words"}
	badVec := append([]store.Chunk(nil), chunks...)
	badVec[0].Vector = []float32{1, 0, 0, 0, 0, 0, 0, float32(math.NaN())}

	cases := map[string]error{
		"empty question": func() error {
			_, err := s.SearchLexical(ctx, store.LexicalQuery{Scope: store.Everything, Text: "  "}, 5)
			return err
		}(),
		"negative k": func() error {
			_, err := s.SearchVector(ctx, store.VectorQuery{Vector: storetest.UnitVector(8, 0), Scope: store.Everything}, -1)
			return err
		}(),
		"term with a space":    s.ReplaceDocument(ctx, doc, badTerm),
		"NaN in a vector":      s.ReplaceDocument(ctx, doc, badVec),
		"event without kind":   s.RecordEvent(ctx, store.Event{ID: "e"}),
		"negative event limit": func() error { _, err := s.Events(ctx, store.EventFilter{Limit: -1}); return err }(),
		"invalid UTF-8 id":     s.DeleteDocuments(ctx, []string{"\xff"}),
	}
	for name, err := range cases {
		if !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	if st, _ := s.Stats(ctx); st != (store.Stats{Documents: 1, Chunks: 2}) {
		t.Errorf("stats after refused input = %+v", st)
	}
}

// Paths are passed to SQLite as file: URIs; characters that mean something
// in a URI must still name the file they spell.
func TestPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "odd ?#%20 dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lore?.db")
	s := openTest(t, path, Options{})
	doc, chunks := storetest.Doc("a", 1, 8)
	storetest.MustReplace(t, s, doc, chunks)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database not at the path given: %v", err)
	}
	r := openTest(t, path, Options{ReadOnly: true})
	if st, err := r.Stats(t.Context()); err != nil || st.Documents != 1 {
		t.Errorf("stats on reopen = %+v, %v", st, err)
	}
}

// A database file deleted, or replaced by another, while a store has it
// open makes writes and pings fail as unavailable instead of landing in a
// file no one will see again; the file that was there is left alone.
func TestDeletedOrReplacedFileIsUnavailable(t *testing.T) {
	for _, replace := range []bool{false, true} {
		name := "deleted"
		if replace {
			name = "replaced"
		}
		t.Run(name, func(t *testing.T) {
			path := tempDB(t)
			s := openTest(t, path, Options{})
			doc, chunks := storetest.Doc("a", 2, 8)
			storetest.MustReplace(t, s, doc, chunks)
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
			}
			if replace {
				// A backup put back in place: another file at the path.
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Ping(t.Context()); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("ping: %v, want ErrUnavailable", err)
			}
			doc, chunks = storetest.Doc("b", 2, 8)
			if err := s.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), path) {
				t.Errorf("replace document: %v, want ErrUnavailable naming %s", err, path)
			}
			if err := s.RecordEvent(t.Context(), store.Event{ID: "e", Kind: store.EventQuestion}); !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("record event: %v, want ErrUnavailable", err)
			}
			if info, err := os.Stat(path); replace && (err != nil || info.Size() != 0) {
				t.Errorf("the file put in place was written to: %v, %v", info, err)
			}
		})
	}
}

// A Lore database cut short (a copy that ran out of space, a half-finished
// download) is reported as corrupt, and opening it leaves nothing beside
// it: no -wal or -shm file that was not there before.
func TestTruncatedDatabaseIsReportedAndLeftAlone(t *testing.T) {
	path := tempDB(t)
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		doc, chunks := storetest.Doc(fmt.Sprintf("d%d", i), 8, 8)
		storetest.MustReplace(t, s, doc, chunks)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	half := whole[:len(whole)/2/4096*4096]
	for _, ro := range []bool{false, true} {
		if err := os.WriteFile(path, half, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			_ = os.Remove(path + suffix)
		}
		_, err := Open(t.Context(), path, Options{ReadOnly: ro})
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("open (read-only %v) of a truncated database: %v, want ErrCorrupt", ro, err)
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(after, half) {
			t.Errorf("open (read-only %v) of a truncated database modified it", ro)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		for _, e := range entries {
			if e.Name() != "lore.db" {
				t.Errorf("open (read-only %v) left %s beside the truncated database", ro, e.Name())
			}
		}
	}
	// WAL files that were there before are another process's: kept.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.WriteFile(path+suffix, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(t.Context(), path, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open of a truncated database with WAL files: %v, want ErrCorrupt", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err != nil {
			t.Errorf("the %s file that was there before: %v", suffix, err)
		}
	}
}
