package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var documentCases = []testCase{
	{"ReplaceAndLoad", testReplaceAndLoad},
	{"ReplaceSwapsChunks", testReplaceSwapsChunks},
	{"DocumentWithoutChunks", testDocumentWithoutChunks},
	{"NotFound", testDocumentNotFound},
	{"DeleteCascades", testDeleteCascades},
	{"RefsByCollection", testRefsByCollection},
	{"ChunkIDsInReadingOrder", testChunkIDsInReadingOrder},
	{"Stats", testStats},
	{"InvalidInputChangesNothing", testInvalidInputChangesNothing},
	{"WrongDimensionRejected", testWrongDimensionRejected},
}

func testReplaceAndLoad(t *testing.T, s store.Store) {
	doc := newDoc("leave", "handbook")
	doc.Tags = []string{"hr", "policy"}
	doc.Owner = "people-team"
	doc.UpdatedAt = time.Date(2025, 4, 1, 10, 30, 0, 0, time.UTC)
	mustReplace(t, s, doc,
		newChunk(0, "Annual leave is 25 days.", []string{"annual", "leav", "25", "day"}, basis(0)),
		newChunk(1, "Parental leave is 26 weeks.", []string{"parent", "leav", "26", "week"}, basis(1)),
	)

	got, err := s.Document(t.Context(), "leave")
	if err != nil {
		t.Fatalf("document: %v", err)
	}
	if !got.UpdatedAt.Equal(doc.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, doc.UpdatedAt)
	}
	got.UpdatedAt = doc.UpdatedAt
	if got.Status != store.StatusPublished {
		t.Errorf("status = %q, want %q: a collection without settings needs no approval", got.Status, store.StatusPublished)
	}
	got.Status = doc.Status
	if !reflect.DeepEqual(got, doc) {
		t.Errorf("document = %+v, want %+v", got, doc)
	}

	views := chunksOf(t, s, "leave")
	if len(views) != 2 {
		t.Fatalf("got %d chunks, want 2", len(views))
	}
	for i, v := range views {
		if v.ID <= 0 {
			t.Errorf("chunk %d: id %d, want a positive id assigned by the store", i, v.ID)
		}
		if v.DocID != "leave" || v.Ordinal != i || v.Heading == "" {
			t.Errorf("chunk %d: doc %q ordinal %d heading %q", i, v.DocID, v.Ordinal, v.Heading)
		}
		if v.Title != doc.Title || v.Source != doc.Source || !slices.Equal(v.Tags, doc.Tags) {
			t.Errorf("chunk %d: title %q source %q tags %v, want the document's", i, v.Title, v.Source, v.Tags)
		}
		if !slices.Equal(v.Vector, basis(i)) {
			t.Errorf("chunk %d: vector %v, want %v", i, v.Vector, basis(i))
		}
	}
	if views[1].Text != "Parental leave is 26 weeks." || !slices.Equal(views[1].Terms, []string{"parent", "leav", "26", "week"}) {
		t.Errorf("chunk 1 = %q %v", views[1].Text, views[1].Terms)
	}
}

// A replacement must leave exactly the new chunks: none of the old ones
// and no mixture, with the document row updated in the same step.
func testReplaceSwapsChunks(t *testing.T, s store.Store) {
	doc := newDoc("guide", "handbook")
	mustReplace(t, s, doc,
		newChunk(0, "old one", []string{"old", "one"}, basis(0)),
		newChunk(1, "old two", []string{"old", "two"}, basis(1)),
		newChunk(2, "old three", []string{"old", "three"}, basis(2)),
	)
	mustReplace(t, s, newDoc("other", "handbook"), newChunk(0, "other", []string{"other"}, basis(7)))
	old := chunksOf(t, s, "guide")

	doc.ContentHash = "hash-2"
	doc.Title = "New title"
	mustReplace(t, s, doc,
		newChunk(0, "new one", []string{"new", "one"}, basis(3)),
		newChunk(1, "new two", []string{"new", "two"}, basis(4)),
	)

	wantStats(t, s, store.Stats{Documents: 2, Chunks: 3})
	got, err := s.Chunks(t.Context(), ids(old))
	if err != nil {
		t.Fatalf("load old chunks: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("old chunks still load after replace: %v", texts(got))
	}
	now := chunksOf(t, s, "guide")
	if want := []string{"new one", "new two"}; !slices.Equal(texts(now), want) {
		t.Errorf("chunks = %q, want %q", texts(now), want)
	}
	for _, v := range now {
		if slices.Contains(ids(old), v.ID) {
			t.Errorf("chunk id %d reused after replace", v.ID)
		}
		if v.Title != "New title" {
			t.Errorf("chunk %d title %q, want the new title", v.ID, v.Title)
		}
	}
	d, err := s.Document(t.Context(), "guide")
	if err != nil || d.ContentHash != "hash-2" {
		t.Errorf("document = %+v, %v; want hash-2", d, err)
	}
	if len(chunksOf(t, s, "other")) != 1 {
		t.Error("replacing one document touched another's chunks")
	}
}

func testDocumentWithoutChunks(t *testing.T, s store.Store) {
	mustReplace(t, s, newDoc("empty", "handbook"))
	wantStats(t, s, store.Stats{Documents: 1, Chunks: 0})
	mustReplace(t, s, newDoc("full", "handbook"), newChunk(0, "text", []string{"text"}, basis(0)))
	// Emptying a document removes its chunks.
	mustReplace(t, s, newDoc("full", "handbook"))
	wantStats(t, s, store.Stats{Documents: 2, Chunks: 0})
}

func testDocumentNotFound(t *testing.T, s store.Store) {
	_, err := s.Document(t.Context(), "missing")
	wantErrorIs(t, err, store.ErrNotFound, "document of unknown id")
}

func testDeleteCascades(t *testing.T, s store.Store) {
	mustReplace(t, s, newDoc("a", "handbook"),
		newChunk(0, "a0", []string{"a"}, basis(0)), newChunk(1, "a1", []string{"a"}, basis(1)))
	mustReplace(t, s, newDoc("b", "handbook"), newChunk(0, "b0", []string{"b"}, basis(2)))
	mustReplace(t, s, newDoc("c", "wiki"), newChunk(0, "c0", []string{"c"}, basis(3)))
	aChunks := chunksOf(t, s, "a")

	if err := s.DeleteDocuments(t.Context(), []string{"a", "c", "never-stored"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	wantStats(t, s, store.Stats{Documents: 1, Chunks: 1})
	for _, id := range []string{"a", "c"} {
		_, err := s.Document(t.Context(), id)
		wantErrorIs(t, err, store.ErrNotFound, "deleted document "+id)
	}
	got, err := s.Chunks(t.Context(), ids(aChunks))
	if err != nil || len(got) != 0 {
		t.Errorf("chunks of deleted document = %v, %v; want none", texts(got), err)
	}
	if rest := allChunks(t, s); len(rest) != 1 || rest[0].Text != "b0" {
		t.Errorf("remaining chunks = %q, want [b0]", texts(rest))
	}
	if err := s.DeleteDocuments(t.Context(), nil); err != nil {
		t.Errorf("delete nothing: %v", err)
	}
}

func testRefsByCollection(t *testing.T, s store.Store) {
	for _, id := range []string{"c", "a", "b"} {
		mustReplace(t, s, newDoc(id, "handbook"), newChunk(0, id, []string{id}, basis(0)))
	}
	mustReplace(t, s, newDoc("w", "wiki"), newChunk(0, "w", []string{"w"}, basis(1)))

	refs, err := s.DocumentRefs(t.Context(), "handbook")
	if err != nil {
		t.Fatalf("refs: %v", err)
	}
	slices.SortFunc(refs, func(x, y store.DocumentRef) int {
		if x.ID < y.ID {
			return -1
		}
		if x.ID > y.ID {
			return 1
		}
		return 0
	})
	want := []store.DocumentRef{
		{ID: "a", Source: "handbook/a.md", ContentHash: "hash-a"},
		{ID: "b", Source: "handbook/b.md", ContentHash: "hash-b"},
		{ID: "c", Source: "handbook/c.md", ContentHash: "hash-c"},
	}
	if !slices.Equal(refs, want) {
		t.Errorf("refs = %+v, want %+v", refs, want)
	}
	none, err := s.DocumentRefs(t.Context(), "nothing-here")
	if err != nil || len(none) != 0 {
		t.Errorf("refs of empty collection = %v, %v; want none", none, err)
	}
}

func testStats(t *testing.T, s store.Store) {
	wantStats(t, s, store.Stats{})
	mustReplace(t, s, newDoc("a", "handbook"),
		newChunk(0, "a0", []string{"a"}, basis(0)), newChunk(1, "a1", []string{"a"}, basis(1)))
	mustReplace(t, s, newDoc("b", "handbook"), newChunk(0, "b0", []string{"b"}, basis(2)))
	wantStats(t, s, store.Stats{Documents: 2, Chunks: 3})
}

// Refused input must leave the store exactly as it was, including a
// document that the refused call would have replaced.
func testInvalidInputChangesNothing(t *testing.T, s store.Store) {
	kept := newDoc("kept", "handbook")
	mustReplace(t, s, kept, newChunk(0, "kept text", []string{"kept"}, basis(0)))
	before := chunksOf(t, s, "kept")

	cases := []struct {
		name  string
		spoil func(d *store.Document, c *store.Chunk)
	}{
		{"empty id", func(d *store.Document, _ *store.Chunk) { d.ID = "" }},
		{"invalid UTF-8 title", func(d *store.Document, _ *store.Chunk) { d.Title = "bad \xff" }},
		{"invalid UTF-8 tag", func(d *store.Document, _ *store.Chunk) { d.Tags = []string{"\xfe"} }},
		{"invalid UTF-8 chunk text", func(_ *store.Document, c *store.Chunk) { c.Text = "\xc3\x28" }},
		{"chunk without vector", func(_ *store.Document, c *store.Chunk) { c.Vector = nil }},
		{"chunk of another document", func(_ *store.Document, c *store.Chunk) { c.DocID = "other" }},
	}
	for _, tc := range cases {
		d := newDoc("kept", "handbook")
		c := newChunk(0, "fine", []string{"fine"}, basis(1))
		tc.spoil(&d, &c)
		err := s.ReplaceDocument(t.Context(), d, []store.Chunk{c})
		wantErrorIs(t, err, store.ErrInvalidInput, tc.name)
	}
	wantStats(t, s, store.Stats{Documents: 1, Chunks: 1})
	if got := chunksOf(t, s, "kept"); !slices.Equal(ids(got), ids(before)) || got[0].Text != "kept text" {
		t.Errorf("chunks after refused input = %v %q, want %v unchanged", ids(got), texts(got), ids(before))
	}
	if d, err := s.Document(t.Context(), "kept"); err != nil || d.Title != kept.Title {
		t.Errorf("document after refused input = %+v, %v", d, err)
	}
}

// The first vector fixes the dimension; any other is refused and the
// refused write changes nothing, not even the document row.
func testWrongDimensionRejected(t *testing.T, s store.Store) {
	mustReplace(t, s, newDoc("a", "handbook"), newChunk(0, "a0", []string{"a"}, basis(0)))
	before := chunksOf(t, s, "a")

	short := []float32{1, 0, 0, 0}
	err := s.ReplaceDocument(t.Context(), newDoc("b", "handbook"), []store.Chunk{newChunk(0, "b0", []string{"b"}, short)})
	wantErrorIs(t, err, store.ErrInvalidInput, "new document with short vector")
	_, err = s.Document(t.Context(), "b")
	wantErrorIs(t, err, store.ErrNotFound, "document whose write was refused")

	changed := newDoc("a", "handbook")
	changed.ContentHash = "hash-2"
	err = s.ReplaceDocument(t.Context(), changed, []store.Chunk{
		newChunk(0, "a0 new", []string{"a"}, basis(0)),
		newChunk(1, "a1 new", []string{"a"}, make([]float32, Dim+1)),
	})
	wantErrorIs(t, err, store.ErrInvalidInput, "replacement with one long vector")

	wantStats(t, s, store.Stats{Documents: 1, Chunks: 1})
	if d, err := s.Document(t.Context(), "a"); err != nil || d.ContentHash != "hash-a" {
		t.Errorf("document after refused replace = %+v, %v; want it unchanged", d, err)
	}
	if got := chunksOf(t, s, "a"); !slices.Equal(ids(got), ids(before)) || got[0].Text != "a0" {
		t.Errorf("chunks after refused replace = %q, want [a0]", texts(got))
	}
}

// ChunkIDs lists one document's chunks in reading order, whatever order
// they were written in, and nothing for an unknown document.
func testChunkIDsInReadingOrder(t *testing.T, s store.Store) {
	mustReplace(t, s, newDoc("other", "handbook"), newChunk(0, "other", []string{"other"}, basis(3)))
	mustReplace(t, s, newDoc("guide", "handbook"),
		newChunk(2, "third", []string{"third"}, basis(2)),
		newChunk(0, "first", []string{"first"}, basis(0)),
		newChunk(1, "second", []string{"second"}, basis(1)),
	)
	got, err := s.ChunkIDs(t.Context(), "guide")
	if err != nil {
		t.Fatal(err)
	}
	if want := ids(chunksOf(t, s, "guide")); !slices.Equal(got, want) || len(got) != 3 {
		t.Fatalf("ChunkIDs = %v, want %v (by ordinal)", got, want)
	}
	views, err := s.Chunks(t.Context(), got)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(texts(views), []string{"first", "second", "third"}) {
		t.Fatalf("chunks in ChunkIDs order = %q", texts(views))
	}
	if none, err := s.ChunkIDs(t.Context(), "missing"); err != nil || len(none) != 0 {
		t.Fatalf("ChunkIDs of an unknown document = %v, %v", none, err)
	}
}
