package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lorehq/lore/store"
)

var bulkCases = []testCase{
	{"StoresWholeDocuments", testBulkStoresWholeDocuments},
	{"InvalidInputRefusedAtOnce", testBulkInvalidInputRefused},
}

func beginBulk(t *testing.T, s store.Store) store.BulkLoad {
	t.Helper()
	b, ok := s.(store.BulkLoader)
	if !ok {
		t.Fatalf("%T does not implement store.BulkLoader", s)
	}
	load, err := b.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatalf("begin bulk load: %v", err)
	}
	return load
}

// A bulk load of more documents than one write holds stores each document
// whole; a document written twice in the load keeps its last version; after
// Finish, both searches find the chunks and the load takes no more writes.
func testBulkStoresWholeDocuments(t *testing.T, s store.Store) {
	const docs, per = 300, 6
	load := beginBulk(t, s)
	for i := range docs {
		doc, chunks := Doc(fmt.Sprintf("d%03d", i), per, Dim)
		if err := load.ReplaceDocument(t.Context(), doc, chunks); err != nil {
			t.Fatalf("bulk replace %s: %v", doc.ID, err)
		}
	}
	doc, chunks := Doc("d007", 2, Dim)
	if err := load.ReplaceDocument(t.Context(), doc, chunks); err != nil {
		t.Fatal(err)
	}
	if err := load.Finish(t.Context()); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if err := load.Finish(t.Context()); err != nil {
		t.Errorf("second finish: %v", err)
	}
	if err := load.ReplaceDocument(t.Context(), doc, chunks); err == nil {
		t.Error("a finished load took another document")
	}

	st, err := s.Stats(t.Context())
	if err != nil || st.Documents != docs || st.Chunks != (docs-1)*per+2 {
		t.Fatalf("stats after the load = %+v, %v; want %d documents, %d chunks", st, err, docs, (docs-1)*per+2)
	}
	hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"d007"}}, 10)
	if err != nil || len(hits) != 2 {
		t.Errorf("lexical search for the document written twice = %v, %v; want its 2 last chunks", hits, err)
	}
	hits, err = s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"d299"}}, 10)
	if err != nil || len(hits) != per {
		t.Errorf("lexical search for the last document = %v, %v; want its %d chunks", hits, err, per)
	}
	vec, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: basis(5), Scope: store.Everything}, 3)
	if err != nil || len(vec) != 3 || vec[0].Score < 0.99 {
		t.Errorf("vector search after the load = %v, %v; want chunks of ordinal 5 first", vec, err)
	}
}

// Invalid input fails the one document at once, changes nothing, and the
// load goes on.
func testBulkInvalidInputRefused(t *testing.T, s store.Store) {
	load := beginBulk(t, s)
	good, chunks := Doc("good", 2, Dim)
	if err := load.ReplaceDocument(t.Context(), good, chunks); err != nil {
		t.Fatal(err)
	}
	bad, badChunks := Doc("bad", 1, Dim+1)
	if err := load.ReplaceDocument(t.Context(), bad, badChunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("a vector of another dimension: %v, want ErrInvalidInput", err)
	}
	if err := load.ReplaceDocument(t.Context(), store.Document{ID: "bad\xff", Collection: "c"}, nil); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("an id of invalid UTF-8: %v, want ErrInvalidInput", err)
	}
	if err := load.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Document(t.Context(), "bad"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused document was stored: %v", err)
	}
	if st, err := s.Stats(t.Context()); err != nil || st.Documents != 1 || st.Chunks != 2 {
		t.Errorf("stats = %+v, %v; want the good document only", st, err)
	}
}
