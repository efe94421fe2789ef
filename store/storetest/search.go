package storetest

import (
	"slices"
	"testing"

	"github.com/lorehq/lore/store"
)

var searchCases = []testCase{
	{"EmptyStore", testSearchEmptyStore},
	{"EmptyQueryRefused", testSearchEmptyQueryRefused},
	{"LexicalFindsChunk", testLexicalFindsChunk},
	{"LexicalRanksSpecificFirst", testLexicalRanksSpecificFirst},
	{"LexicalFollowsReplaceAndDelete", testLexicalFollowsReplaceAndDelete},
	{"VectorNearestFirst", testVectorNearestFirst},
	{"VectorWrongDimensionRefused", testVectorWrongDimensionRefused},
	{"ChunksInOrder", testChunksInOrder},
	{"TermStats", testTermStats},
}

// seedHandbook stores a small handbook whose chunks share few terms, so
// that BM25 has real document frequencies to work with.
func seedHandbook(t *testing.T, s store.Store) {
	t.Helper()
	mustReplace(t, s, newDoc("leave", "handbook"),
		newChunk(0, "Annual leave is 25 days a year and may be carried over.",
			[]string{"annual", "leav", "25", "day", "year", "carri"}, basis(0)),
		newChunk(1, "Parental leave is 26 weeks on full pay.",
			[]string{"parent", "leav", "26", "week", "full", "pay"}, basis(1)),
	)
	mustReplace(t, s, newDoc("expenses", "handbook"),
		newChunk(0, "Claim expenses with a receipt within 30 days.",
			[]string{"claim", "expens", "receipt", "30", "day"}, basis(2)),
	)
	mustReplace(t, s, newDoc("it", "handbook"),
		newChunk(0, "Request a laptop from the IT desk.",
			[]string{"request", "laptop", "it", "desk"}, basis(3)),
		newChunk(1, "Reset your password on the self-service page.",
			[]string{"reset", "password", "self", "servic", "page"}, basis(4)),
	)
	mustReplace(t, s, newDoc("pension", "benefits"),
		newChunk(0, "The company adds 5% of salary to your pension.",
			[]string{"compani", "add", "5", "salari", "pension"}, basis(5)),
	)
}

// chunkByText finds the id of the chunk with the given text.
func chunkByText(t *testing.T, s store.Store, text string) store.ChunkView {
	t.Helper()
	for _, v := range allChunks(t, s) {
		if v.Text == text {
			return v
		}
	}
	t.Fatalf("no chunk with text %q", text)
	return store.ChunkView{}
}

func lexical(t *testing.T, s store.Store, k int, terms ...string) []store.Hit {
	t.Helper()
	hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Text: "question", Terms: terms}, k)
	if err != nil {
		t.Fatalf("lexical search %v: %v", terms, err)
	}
	return hits
}

func hitIDs(hits []store.Hit) []int64 {
	out := make([]int64, len(hits))
	for i, h := range hits {
		out[i] = h.ChunkID
	}
	return out
}

func wantFirst(t *testing.T, hits []store.Hit, want store.ChunkView, what string) {
	t.Helper()
	if len(hits) == 0 {
		t.Fatalf("%s: no hits, want chunk %d (%q) first", what, want.ID, want.Text)
	}
	if hits[0].ChunkID != want.ID || hits[0].DocID != want.DocID {
		t.Fatalf("%s: first hit chunk %d of %q, want chunk %d of %q (%q); hits %v",
			what, hits[0].ChunkID, hits[0].DocID, want.ID, want.DocID, want.Text, hitIDs(hits))
	}
}

func testSearchEmptyStore(t *testing.T, s store.Store) {
	hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Text: "leave", Terms: []string{"leav"}}, 5)
	if err != nil || len(hits) != 0 {
		t.Errorf("lexical search of empty store = %v, %v; want no hits", hits, err)
	}
	hits, err = s.SearchVector(t.Context(), store.VectorQuery{Vector: basis(0), Scope: store.Everything}, 5)
	if err != nil || len(hits) != 0 {
		t.Errorf("vector search of empty store = %v, %v; want no hits", hits, err)
	}
	views, err := s.Chunks(t.Context(), []int64{1, 2, 3})
	if err != nil || len(views) != 0 {
		t.Errorf("chunks of empty store = %v, %v; want none", views, err)
	}
}

func testSearchEmptyQueryRefused(t *testing.T, s store.Store) {
	seedHandbook(t, s)
	_, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything}, 5)
	wantErrorIs(t, err, store.ErrInvalidInput, "lexical search for nothing")
	_, err = s.SearchVector(t.Context(), store.VectorQuery{Vector: nil, Scope: store.Everything}, 5)
	wantErrorIs(t, err, store.ErrInvalidInput, "vector search without a vector")

	// A question of stop words only has text but no terms: nothing
	// matches, and that is not an error.
	hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Text: "is it the?"}, 5)
	if err != nil || len(hits) != 0 {
		t.Errorf("lexical search without terms = %v, %v; want no hits", hits, err)
	}
}

func testLexicalFindsChunk(t *testing.T, s store.Store) {
	seedHandbook(t, s)
	wantFirst(t, lexical(t, s, 5, "receipt"),
		chunkByText(t, s, "Claim expenses with a receipt within 30 days."), "receipt")
	wantFirst(t, lexical(t, s, 5, "password", "reset"),
		chunkByText(t, s, "Reset your password on the self-service page."), "password reset")
	wantFirst(t, lexical(t, s, 5, "pension"),
		chunkByText(t, s, "The company adds 5% of salary to your pension."), "pension")

	if hits := lexical(t, s, 5, "unicorn"); len(hits) != 0 {
		t.Errorf("unknown term matched %v", hitIDs(hits))
	}
	if hits := lexical(t, s, 1, "day"); len(hits) != 1 {
		t.Errorf("k=1 returned %d hits", len(hits))
	}
}

// Both leave chunks match "leav"; only one matches "parent" too, so it
// must rank first, and the other must still be found.
func testLexicalRanksSpecificFirst(t *testing.T, s store.Store) {
	seedHandbook(t, s)
	parental := chunkByText(t, s, "Parental leave is 26 weeks on full pay.")
	annual := chunkByText(t, s, "Annual leave is 25 days a year and may be carried over.")

	hits := lexical(t, s, 10, "parent", "leav")
	wantFirst(t, hits, parental, "parental leave")
	if !slices.Contains(hitIDs(hits), annual.ID) {
		t.Errorf("hits %v lack the annual leave chunk %d, which matches leav", hitIDs(hits), annual.ID)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hits not ordered by score: %v", hits)
		}
	}
	wantFirst(t, lexical(t, s, 10, "annual", "leav"), annual, "annual leave")
}

func testLexicalFollowsReplaceAndDelete(t *testing.T, s store.Store) {
	seedHandbook(t, s)
	mustReplace(t, s, newDoc("expenses", "handbook"),
		newChunk(0, "Submit mileage claims monthly.", []string{"submit", "mileag", "claim", "month"}, basis(6)))

	if hits := lexical(t, s, 5, "receipt"); len(hits) != 0 {
		t.Errorf("replaced text still found: %v", hitIDs(hits))
	}
	wantFirst(t, lexical(t, s, 5, "mileag"), chunkByText(t, s, "Submit mileage claims monthly."), "new text")

	if err := s.DeleteDocuments(t.Context(), []string{"it"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if hits := lexical(t, s, 5, "laptop"); len(hits) != 0 {
		t.Errorf("deleted document still found by terms: %v", hitIDs(hits))
	}
	for _, h := range vector(t, s, basis(3), 10) {
		if h.DocID == "it" {
			t.Errorf("deleted document still found by vector: %+v", h)
		}
	}
}

func vector(t *testing.T, s store.Store, v []float32, k int) []store.Hit {
	t.Helper()
	hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: v, Scope: store.Everything}, k)
	if err != nil {
		t.Fatalf("vector search: %v", err)
	}
	return hits
}

func testVectorNearestFirst(t *testing.T, s store.Store) {
	mustReplace(t, s, newDoc("v", "handbook"),
		newChunk(0, "x", []string{"x"}, basis(0)),
		newChunk(1, "y", []string{"y"}, basis(1)),
		newChunk(2, "mostly y", []string{"y"}, mix(1, 0.8, 2, 0.6)),
		newChunk(3, "z", []string{"z"}, basis(2)),
	)
	y := chunkByText(t, s, "y")
	mostlyY := chunkByText(t, s, "mostly y")

	hits := vector(t, s, mix(1, 0.99, 0, 0.05), 4)
	wantFirst(t, hits, y, "near y")
	if len(hits) < 2 || hits[1].ChunkID != mostlyY.ID {
		t.Errorf("second hit = %v, want chunk %d (mostly y)", hitIDs(hits), mostlyY.ID)
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Errorf("hits not ordered by score: %v", hits)
		}
	}
	wantFirst(t, vector(t, s, basis(2), 1), chunkByText(t, s, "z"), "exactly z")
	if hits := vector(t, s, basis(0), 2); len(hits) != 2 {
		t.Errorf("k=2 returned %d hits", len(hits))
	}
}

func testVectorWrongDimensionRefused(t *testing.T, s store.Store) {
	seedHandbook(t, s)
	_, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: []float32{1, 0, 0}, Scope: store.Everything}, 5)
	wantErrorIs(t, err, store.ErrInvalidInput, "query vector of dimension 3")
}

func testChunksInOrder(t *testing.T, s store.Store) {
	seedHandbook(t, s)
	a := chunkByText(t, s, "Reset your password on the self-service page.")
	b := chunkByText(t, s, "Annual leave is 25 days a year and may be carried over.")
	c := chunkByText(t, s, "The company adds 5% of salary to your pension.")
	unknown := max(a.ID, b.ID, c.ID) + 1000

	views, err := s.Chunks(t.Context(), []int64{c.ID, unknown, a.ID, b.ID})
	if err != nil {
		t.Fatalf("chunks: %v", err)
	}
	if got, want := ids(views), []int64{c.ID, a.ID, b.ID}; !slices.Equal(got, want) {
		t.Fatalf("chunk ids = %v, want %v (order asked, unknown omitted)", got, want)
	}
	wantView := []struct{ doc, title, source, heading string }{
		{"pension", "Title of pension", "benefits/pension.md", "Section 0"},
		{"it", "Title of it", "handbook/it.md", "Section 1"},
		{"leave", "Title of leave", "handbook/leave.md", "Section 0"},
	}
	for i, w := range wantView {
		v := views[i]
		if v.DocID != w.doc || v.Title != w.title || v.Source != w.source || v.Heading != w.heading {
			t.Errorf("view %d = doc %q title %q source %q heading %q, want %+v",
				i, v.DocID, v.Title, v.Source, v.Heading, w)
		}
		if len(v.Vector) != Dim || len(v.Terms) == 0 || v.Text == "" {
			t.Errorf("view %d lacks text, terms or vector: %+v", i, v)
		}
	}
	if views, err := s.Chunks(t.Context(), nil); err != nil || len(views) != 0 {
		t.Errorf("chunks of no ids = %v, %v", views, err)
	}
}

// TermStats counts chunks, not occurrences, follows replacements and
// deletions, and knows words only: a phrase ("a_b") is not a term of the
// dictionary, even in a chunk that holds it, so its frequency is 0.
func testTermStats(t *testing.T, s store.Store) {
	termStats := func(terms ...string) store.TermStats {
		t.Helper()
		st, err := s.TermStats(t.Context(), terms)
		if err != nil {
			t.Fatalf("term stats %v: %v", terms, err)
		}
		return st
	}
	wantStats := func(st store.TermStats, chunks int, df map[string]int) {
		t.Helper()
		if st.Chunks != chunks {
			t.Errorf("term stats count %d chunks, want %d", st.Chunks, chunks)
		}
		for term, want := range df {
			if got := st.DocFreq[term]; got != want {
				t.Errorf("document frequency of %q = %d, want %d", term, got, want)
			}
		}
	}
	wantStats(termStats("leav", "unicorn"), 0, map[string]int{"leav": 0, "unicorn": 0})

	mustReplace(t, s, newDoc("leave", "handbook"),
		newChunk(0, "Annual leave: leave of 25 days.", []string{"annual", "leav", "leav", "25", "day", "annual_leav"}, basis(0)),
		newChunk(1, "Parental leave of 26 weeks.", []string{"parent", "leav", "26", "week", "parent_leav"}, basis(1)),
	)
	mustReplace(t, s, newDoc("expenses", "handbook"),
		newChunk(0, "Claim expenses within 30 days.", []string{"claim", "expens", "30", "day"}, basis(2)),
	)
	all := []string{"leav", "day", "annual", "claim", "unicorn", "annual_leav", "a_b"}
	wantStats(termStats(all...), 3, map[string]int{
		"leav": 2, "day": 2, "annual": 1, "claim": 1, "unicorn": 0, "annual_leav": 0, "a_b": 0,
	})

	mustReplace(t, s, newDoc("leave", "handbook"),
		newChunk(0, "Annual leave is 25 days.", []string{"annual", "leav", "25", "day"}, basis(0)))
	if err := s.DeleteDocuments(t.Context(), []string{"expenses"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	wantStats(termStats(all...), 1, map[string]int{
		"leav": 1, "day": 1, "annual": 1, "claim": 0, "unicorn": 0, "annual_leav": 0, "a_b": 0,
	})
}
