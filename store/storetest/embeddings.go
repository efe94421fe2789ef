package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/lorehq/lore/store"
)

// RunEmbeddings runs the conformance cases of store.Embeddings. open
// returns two handles on one fresh, empty database (as two processes
// would have), so that a reindex committed through one is checked through
// the other.
func RunEmbeddings(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	t.Helper()
	for _, c := range embeddingCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			ea, ok1 := a.(store.Embeddings)
			eb, ok2 := b.(store.Embeddings)
			if !ok1 || !ok2 {
				t.Fatalf("%T does not implement store.Embeddings", a)
			}
			c.run(t, pair{a, b, ea, eb})
		})
	}
}

type pair struct {
	a, b   store.Store
	ea, eb store.Embeddings
}

var embeddingCases = []struct {
	name string
	run  func(t *testing.T, p pair)
}{
	{"SpaceIsClaimedOnce", testClaimSpace},
	{"LegacyStoreKeepsItsDimension", testLegacyClaim},
	{"ReindexSwapsAllVectorsAtOnce", testReindexSwap},
	{"ReindexSameDimension", testReindexSameDimension},
	{"StagingRefusesBadInput", testStageBadInput},
	{"WritesOfAnotherEmbedderRefused", testWriteEmbedder},
	{"WritesOfAnotherDimensionRefused", testWriteDimension},
	{"BulkLoadAcrossAReindex", testBulkAcrossReindex},
}

var (
	spaceOld = store.EmbeddingSpace{Embedder: "old-embedder", Dimensions: Dim}
	spaceNew = store.EmbeddingSpace{Embedder: "new-embedder", Dimensions: 4}
)

func mustSpace(t *testing.T, e store.Embeddings) store.EmbeddingSpace {
	t.Helper()
	sp, err := e.EmbeddingSpace(t.Context())
	if err != nil {
		t.Fatalf("EmbeddingSpace: %v", err)
	}
	return sp
}

func wantCounts(t *testing.T, e store.Embeddings, want map[string]int) {
	t.Helper()
	got, err := e.EmbedderCounts(t.Context())
	if err != nil {
		t.Fatalf("EmbedderCounts: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("chunks by embedder %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("chunks by embedder %v, want %v", got, want)
		}
	}
}

func testClaimSpace(t *testing.T, p pair) {
	if sp := mustSpace(t, p.ea); sp != (store.EmbeddingSpace{}) {
		t.Fatalf("a new store has space %+v", sp)
	}
	got, err := p.ea.ClaimEmbeddingSpace(t.Context(), spaceOld)
	if err != nil || got != spaceOld {
		t.Fatalf("first claim = %+v, %v", got, err)
	}
	// The second claim, from another process, finds the first.
	got, err = p.eb.ClaimEmbeddingSpace(t.Context(), spaceNew)
	if err != nil || got != spaceOld {
		t.Fatalf("second claim = %+v, %v; want the first space", got, err)
	}
	if sp := mustSpace(t, p.eb); sp != spaceOld {
		t.Errorf("space %+v, want %+v", sp, spaceOld)
	}
	// The dimension is fixed for documents too.
	doc, chunks := Doc("d", 1, 4)
	if err := p.a.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("a vector of another dimension than the claimed space: %v", err)
	}
	if _, err := p.ea.ClaimEmbeddingSpace(t.Context(), store.EmbeddingSpace{Embedder: "", Dimensions: 3}); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("a nameless space: %v", err)
	}
}

func testLegacyClaim(t *testing.T, p pair) {
	doc, chunks := Doc("legacy", 2, Dim)
	MustReplace(t, p.a, doc, chunks)
	if sp := mustSpace(t, p.ea); sp != (store.EmbeddingSpace{Dimensions: Dim}) {
		t.Fatalf("space of vectors written without a claim: %+v", sp)
	}
	if _, err := p.ea.ClaimEmbeddingSpace(t.Context(), spaceNew); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("claiming a dimension unlike the stored vectors: %v", err)
	}
	wantCounts(t, p.ea, map[string]int{"": 2})
	if got, err := p.ea.ClaimEmbeddingSpace(t.Context(), spaceOld); err != nil || got != spaceOld {
		t.Errorf("claim = %+v, %v", got, err)
	}
	// The claim names the embedder of the chunks written before it.
	wantCounts(t, p.eb, map[string]int{spaceOld.Embedder: 2})
}

// stageAll embeds every unstaged chunk into space with vec.
func stageAll(t *testing.T, e store.Embeddings, space store.EmbeddingSpace, vec func(store.ChunkView) []float32) int {
	t.Helper()
	staged := 0
	for {
		views, _, err := e.UnstagedChunks(t.Context(), space, 3)
		if err != nil {
			t.Fatalf("UnstagedChunks: %v", err)
		}
		if len(views) == 0 {
			return staged
		}
		ids := make([]int64, len(views))
		vecs := make([][]float32, len(views))
		for i, v := range views {
			ids[i], vecs[i] = v.ID, vec(v)
		}
		if err := e.StageVectors(t.Context(), space, ids, vecs); err != nil {
			t.Fatalf("StageVectors: %v", err)
		}
		staged += len(views)
	}
}

// reindexTo stages a vector of space for every chunk, as vec gives it, and
// commits them.
func reindexTo(t *testing.T, e store.Embeddings, space store.EmbeddingSpace, vec func(store.ChunkView) []float32) {
	t.Helper()
	stageAll(t, e, space, vec)
	if err := e.CommitStaged(t.Context(), space); err != nil {
		t.Fatalf("commit the reindex to %+v: %v", space, err)
	}
}

func testReindexSwap(t *testing.T, p pair) {
	ctx := t.Context()
	if _, err := p.ea.ClaimEmbeddingSpace(ctx, spaceOld); err != nil {
		t.Fatal(err)
	}
	docA, chunksA := Doc("alpha", 4, Dim)
	docB, chunksB := Doc("beta", 3, Dim)
	MustReplace(t, p.a, docA, chunksA)
	MustReplace(t, p.a, docB, chunksB)
	wantCounts(t, p.eb, map[string]int{spaceOld.Embedder: 7})
	// Both handles have searched, so both hold the old vectors.
	for _, s := range []store.Store{p.a, p.b} {
		if hits, err := s.SearchVector(ctx, store.VectorQuery{Vector: UnitVector(Dim, 2), Scope: store.Everything}, 3); err != nil || len(hits) == 0 {
			t.Fatalf("search before the reindex: %v, %v", hits, err)
		}
	}

	views, total, err := p.ea.UnstagedChunks(ctx, spaceNew, 5)
	if err != nil || total != 7 || len(views) != 5 || !slices.IsSortedFunc(views, func(x, y store.ChunkView) int { return int(x.ID - y.ID) }) {
		t.Fatalf("UnstagedChunks = %d views by id?, total %d, %v", len(views), total, err)
	}
	// The new vector of a chunk points where its ordinal says, in 4-d.
	newVec := func(v store.ChunkView) []float32 { return UnitVector(4, v.Ordinal) }
	ids := []int64{views[0].ID, views[1].ID}
	if err := p.ea.StageVectors(ctx, spaceNew, ids, [][]float32{newVec(views[0]), newVec(views[1])}); err != nil {
		t.Fatal(err)
	}
	if err := p.ea.CommitStaged(ctx, spaceNew); !errors.Is(err, store.ErrIncomplete) {
		t.Fatalf("commit with chunks unstaged: %v", err)
	}
	// Searches keep using the old vectors meanwhile, through either handle.
	for _, s := range []store.Store{p.a, p.b} {
		if hits, err := s.SearchVector(ctx, store.VectorQuery{Vector: UnitVector(Dim, 2), Scope: store.Everything}, 3); err != nil || len(hits) == 0 {
			t.Fatalf("search during the reindex: %v, %v", hits, err)
		}
	}
	if sp := mustSpace(t, p.eb); sp != spaceOld {
		t.Fatalf("space during the reindex: %+v", sp)
	}

	// A document added and one deleted during the reindex.
	docC, chunksC := Doc("gamma", 2, Dim)
	MustReplace(t, p.b, docC, chunksC)
	if err := p.b.DeleteDocuments(ctx, []string{"beta"}); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, p.ea, map[string]int{spaceOld.Embedder: 6})
	if n := stageAll(t, p.ea, spaceNew, newVec); n != 4 { // alpha's last 2, gamma's 2
		t.Errorf("staged %d more chunks, want 4", n)
	}
	if err := p.ea.CommitStaged(ctx, spaceNew); err != nil {
		t.Fatalf("commit: %v", err)
	}

	for name, s := range map[string]store.Store{"committing handle": p.a, "other handle": p.b} {
		e := s.(store.Embeddings)
		if sp := mustSpace(t, e); sp != spaceNew {
			t.Errorf("%s: space %+v after the commit", name, sp)
		}
		wantStats(t, s, store.Stats{Documents: 2, Chunks: 6})
		wantCounts(t, e, map[string]int{spaceNew.Embedder: 6})
		hits, err := s.SearchVector(ctx, store.VectorQuery{Vector: UnitVector(4, 1), Scope: store.Everything}, 10)
		if err != nil {
			t.Fatalf("%s: search with a new vector: %v", name, err)
		}
		var top []store.ChunkView
		if len(hits) > 0 {
			top, _ = s.Chunks(ctx, []int64{hits[0].ChunkID})
		}
		if len(top) != 1 || top[0].Ordinal != 1 || len(top[0].Vector) != 4 {
			t.Errorf("%s: nearest chunk to the new vector of ordinal 1: %+v", name, top)
		}
		if _, err := s.SearchVector(ctx, store.VectorQuery{Vector: UnitVector(Dim, 1), Scope: store.Everything}, 3); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s: a search with an old vector: %v", name, err)
		}
		lex, err := s.SearchLexical(ctx, store.LexicalQuery{Scope: store.Everything, Terms: []string{"gamma"}}, 10)
		if err != nil || len(lex) != 2 {
			t.Errorf("%s: lexical search after the reindex: %d hits, %v", name, len(lex), err)
		}
		if n, _, err := e.UnstagedChunks(ctx, spaceNew, 10); err != nil || len(n) != 0 {
			t.Errorf("%s: chunks unstaged after the commit: %d, %v", name, len(n), err)
		}
	}
	// New documents now take the new dimension only.
	docD, chunksD := Doc("delta", 1, Dim)
	if err := p.b.ReplaceDocument(ctx, docD, chunksD); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("an old-dimension document after the commit: %v", err)
	}
	docD, chunksD = Doc("delta", 1, 4)
	MustReplace(t, p.b, docD, chunksD)
	wantCounts(t, p.ea, map[string]int{spaceNew.Embedder: 7})
}

func testReindexSameDimension(t *testing.T, p pair) {
	ctx := t.Context()
	doc, chunks := Doc("alpha", 3, Dim)
	MustReplace(t, p.a, doc, chunks)
	if _, err := p.eb.ClaimEmbeddingSpace(ctx, spaceOld); err != nil {
		t.Fatal(err)
	}
	if _, err := p.b.SearchVector(ctx, store.VectorQuery{Vector: UnitVector(Dim, 0), Scope: store.Everything}, 3); err != nil {
		t.Fatal(err)
	}
	next := store.EmbeddingSpace{Embedder: "next-embedder", Dimensions: Dim}
	// Reverse the direction of each chunk: the old nearest is now last.
	stageAll(t, p.ea, next, func(v store.ChunkView) []float32 { return UnitVector(Dim, 7-v.Ordinal) })
	if err := p.ea.CommitStaged(ctx, next); err != nil {
		t.Fatal(err)
	}
	for _, s := range []store.Store{p.a, p.b} {
		hits, err := s.SearchVector(ctx, store.VectorQuery{Vector: UnitVector(Dim, 7), Scope: store.Everything}, 1)
		if err != nil || len(hits) != 1 {
			t.Fatalf("search: %v, %v", hits, err)
		}
		v, _ := s.Chunks(ctx, []int64{hits[0].ChunkID})
		if len(v) != 1 || v[0].Ordinal != 0 {
			t.Errorf("nearest to the new vector of ordinal 0: %+v", v)
		}
		wantStats(t, s, store.Stats{Documents: 1, Chunks: 3})
	}
	if sp := mustSpace(t, p.eb); sp != next {
		t.Errorf("space %+v", sp)
	}
	wantCounts(t, p.ea, map[string]int{next.Embedder: 3})
}

func testStageBadInput(t *testing.T, p pair) {
	ctx := t.Context()
	doc, chunks := Doc("alpha", 2, Dim)
	MustReplace(t, p.a, doc, chunks)
	views, _, err := p.ea.UnstagedChunks(ctx, spaceNew, 10)
	if err != nil || len(views) != 2 {
		t.Fatal(views, err)
	}
	for name, call := range map[string]func() error{
		"wrong dimension": func() error {
			return p.ea.StageVectors(ctx, spaceNew, []int64{views[0].ID}, [][]float32{UnitVector(3, 0)})
		},
		"lengths differ": func() error { return p.ea.StageVectors(ctx, spaceNew, []int64{views[0].ID}, nil) },
		"nameless space": func() error { return p.ea.CommitStaged(ctx, store.EmbeddingSpace{Dimensions: 4}) },
		"zero dimension": func() error {
			_, _, err := p.ea.UnstagedChunks(ctx, store.EmbeddingSpace{Embedder: "x"}, 1)
			return err
		},
	} {
		if err := call(); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	// Staging an unknown chunk id is ignored, not an error.
	if err := p.ea.StageVectors(ctx, spaceNew, []int64{987654}, [][]float32{UnitVector(4, 0)}); err != nil {
		t.Errorf("staging a deleted chunk: %v", err)
	}
}

// madeBy returns Doc(id, n, Dim) with chunks naming embedder as what made
// their vectors.
func madeBy(embedder, id string, n int) (store.Document, []store.Chunk) {
	return madeByDim(embedder, id, n, Dim)
}

func madeByDim(embedder, id string, n, dim int) (store.Document, []store.Chunk) {
	doc, chunks := Doc(id, n, dim)
	for i := range chunks {
		chunks[i].Embedder = embedder
	}
	return doc, chunks
}

// A write whose chunks name another embedder than the store's is refused
// whole, also after a reindex committed by another process, and in a bulk
// load; a write that names none is not checked.
func testWriteEmbedder(t *testing.T, p pair) {
	ctx := t.Context()
	if _, err := p.ea.ClaimEmbeddingSpace(ctx, spaceOld); err != nil {
		t.Fatal(err)
	}
	doc, chunks := madeBy(spaceOld.Embedder, "alpha", 3)
	MustReplace(t, p.a, doc, chunks)
	doc, chunks = madeBy("other-embedder", "alpha", 1)
	if err := p.a.ReplaceDocument(ctx, doc, chunks); !errors.Is(err, store.ErrEmbedderChanged) {
		t.Fatalf("vectors of another embedder: %v; want ErrEmbedderChanged", err)
	}
	doc, chunks = madeBy(spaceOld.Embedder, "alpha", 2)
	chunks[1].Embedder = "other-embedder"
	if err := p.a.ReplaceDocument(ctx, doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Fatalf("chunks of one write naming two embedders: %v; want ErrInvalidInput", err)
	}
	if ids, err := p.a.ChunkIDs(ctx, "alpha"); err != nil || len(ids) != 3 {
		t.Fatalf("after refused writes alpha has %d chunks (%v); want its 3", len(ids), err)
	}
	doc, chunks = Doc("unnamed", 2, Dim)
	MustReplace(t, p.a, doc, chunks)

	// Another process commits a reindex to an embedder of the same
	// dimension: vectors made before it can no longer be written.
	next := store.EmbeddingSpace{Embedder: "next-embedder", Dimensions: Dim}
	reindexTo(t, p.eb, next, func(v store.ChunkView) []float32 { return UnitVector(Dim, v.Ordinal) })
	doc, chunks = madeBy(spaceOld.Embedder, "beta", 2)
	if err := p.a.ReplaceDocument(ctx, doc, chunks); !errors.Is(err, store.ErrEmbedderChanged) {
		t.Fatalf("vectors made before the reindex: %v; want ErrEmbedderChanged", err)
	}
	if bl, ok := p.a.(store.BulkLoader); ok {
		load, err := bl.BeginBulkLoad(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err = load.ReplaceDocument(ctx, doc, chunks); err == nil {
			err = load.Finish(ctx)
		}
		if !errors.Is(err, store.ErrEmbedderChanged) {
			t.Fatalf("a bulk load of vectors made before the reindex: %v; want ErrEmbedderChanged", err)
		}
		_ = load.Finish(ctx)
	}
	if ids, err := p.a.ChunkIDs(ctx, "beta"); err != nil || len(ids) != 0 {
		t.Fatalf("refused document beta has %d chunks stored (%v)", len(ids), err)
	}
	doc, chunks = madeBy(next.Embedder, "beta", 2)
	MustReplace(t, p.a, doc, chunks)
	wantCounts(t, p.ea, map[string]int{next.Embedder: 7})
}

// A reindex keeping the embedder's name but changing its dimension (a
// model configured with fewer dimensions) also refuses vectors made
// before it, as ErrEmbedderChanged rather than invalid input.
func testWriteDimension(t *testing.T, p pair) {
	ctx := t.Context()
	if _, err := p.ea.ClaimEmbeddingSpace(ctx, spaceOld); err != nil {
		t.Fatal(err)
	}
	doc, chunks := madeBy(spaceOld.Embedder, "alpha", 2)
	MustReplace(t, p.a, doc, chunks)
	smaller := store.EmbeddingSpace{Embedder: spaceOld.Embedder, Dimensions: 4}
	reindexTo(t, p.eb, smaller, func(v store.ChunkView) []float32 { return UnitVector(4, v.Ordinal) })
	doc, chunks = madeBy(spaceOld.Embedder, "beta", 2)
	if err := p.a.ReplaceDocument(ctx, doc, chunks); !errors.Is(err, store.ErrEmbedderChanged) {
		t.Fatalf("vectors of the dimension before the reindex: %v; want ErrEmbedderChanged", err)
	}
	doc, chunks = madeByDim(spaceOld.Embedder, "beta", 2, 4)
	MustReplace(t, p.a, doc, chunks)
	wantCounts(t, p.ea, map[string]int{spaceOld.Embedder: 4})
}

// A bulk load given documents embedded before and after another handle
// commits a reindex stores no vector under the wrong embedder: what it
// cannot store is refused with ErrEmbedderChanged, and the load takes
// documents of the new embedder after that.
func testBulkAcrossReindex(t *testing.T, p pair) {
	ctx := t.Context()
	if _, err := p.ea.ClaimEmbeddingSpace(ctx, spaceOld); err != nil {
		t.Fatal(err)
	}
	load := beginBulk(t, p.a)
	defer func() { _ = load.Finish(ctx) }()
	doc, chunks := madeBy(spaceOld.Embedder, "before", 2)
	if err := load.ReplaceDocument(ctx, doc, chunks); err != nil {
		t.Fatal(err)
	}
	// The reindex gives each chunk the reverse direction of the vector
	// it had, so that a vector tells which embedder made it.
	next := store.EmbeddingSpace{Embedder: "next-embedder", Dimensions: Dim}
	reindexTo(t, p.eb, next, func(v store.ChunkView) []float32 { return UnitVector(Dim, 7-v.Ordinal) })
	doc, chunks = madeBy(next.Embedder, "after", 3)
	err := load.ReplaceDocument(ctx, doc, chunks)
	if err != nil && !errors.Is(err, store.ErrEmbedderChanged) {
		t.Fatalf("the first document of the new embedder: %v; want nil or ErrEmbedderChanged", err)
	}
	if err != nil {
		// The pending document of the old embedder was refused; the
		// load goes on with the new one.
		if err := load.ReplaceDocument(ctx, doc, chunks); err != nil {
			t.Fatalf("the same document again: %v", err)
		}
	}
	if err := load.Finish(ctx); err != nil {
		t.Fatalf("finish: %v", err)
	}
	if ids, err := p.a.ChunkIDs(ctx, "after"); err != nil || len(ids) != 3 {
		t.Fatalf("after the load, the new embedder's document has %d chunks (%v)", len(ids), err)
	}
	// Whether "before" is stored depends on when the backend wrote it:
	// written before the swap, the reindex gave it new vectors; otherwise
	// it was refused. Never is it stored with the old embedder's vectors.
	before, err := p.a.ChunkIDs(ctx, "before")
	if err != nil {
		t.Fatal(err)
	}
	views, err := p.a.Chunks(ctx, before)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if !slices.Equal(v.Vector, UnitVector(Dim, 7-v.Ordinal)) {
			t.Errorf("chunk %d of the document embedded before the reindex has vector %v: not the reindex's", v.Ordinal, v.Vector)
		}
	}
	wantCounts(t, p.ea, map[string]int{next.Embedder: 3 + len(before)})
}
