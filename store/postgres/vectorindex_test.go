package postgres

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

// randomDocs writes docs documents of five chunks with random vectors of
// dim dimensions through a bulk load.
func randomDocs(t *testing.T, s *Store, from, to, dim int, r *rand.Rand) {
	t.Helper()
	load, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		doc, chunks := storetest.Doc(fmt.Sprintf("d%04d", i), 5, dim)
		for c := range chunks {
			for j := range chunks[c].Vector {
				chunks[c].Vector[j] = float32(r.NormFloat64())
			}
		}
		if err := load.ReplaceDocument(t.Context(), doc, chunks); err != nil {
			t.Fatal(err)
		}
	}
	if err := load.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// chunkIDs returns the ids of hits.
func chunkIDs(hits []store.Hit) []int64 {
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ChunkID
	}
	return ids
}

// The partition count is the database's: a store configured for another
// count searches the partitions the database has, and a rebuild with
// another count is followed by every store once it reads the count again.
func TestVectorPartitionsFollowTheDatabase(t *testing.T) {
	const dim, k = 8, 5
	r := rand.New(rand.NewPCG(1, 2))
	two := openTest(t, Options{BulkDeferAt: 100, IndexPartitions: 2})
	randomDocs(t, two, 0, 100, dim, r) // 500 chunks, past BulkDeferAt
	one := openTest(t, Options{Schema: two.schema, BulkDeferAt: 100, IndexPartitions: 1})

	// With 500 chunks and ef_search 200 per partition, every partition's
	// walk is exhaustive: both stores must return the exact nearest k.
	queries := make([][]float32, 10)
	for i := range queries {
		queries[i] = make([]float32, dim)
		for j := range queries[i] {
			queries[i][j] = float32(r.NormFloat64())
		}
	}
	check := func(when string, stores ...*Store) {
		t.Helper()
		for _, q := range queries {
			exact, err := two.SearchVector(t.Context(), store.VectorQuery{Vector: q, Scope: store.Everything}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			want := chunkIDs(exact[:k])
			for _, s := range stores {
				hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: q, Scope: store.Everything}, k)
				if err != nil {
					t.Fatal(err)
				}
				if got := chunkIDs(hits); !slices.Equal(got, want) {
					t.Errorf("%s: a store configured for %d partitions found %v, want %v", when, s.opts.IndexPartitions, got, want)
				}
			}
		}
	}
	check("two partitions", two, one)
	if parts, err := one.partitions(t.Context()); err != nil || parts != 2 {
		t.Errorf("partitions seen by the store configured for one = %d, %v; want the database's 2", parts, err)
	}

	// A large load by the store configured for one rebuilds the index as
	// one graph. The other store answers rightly at once, and uses the
	// new layout once it reads it again.
	randomDocs(t, one, 100, 300, dim, r)
	if defs := hnswIndexes(t, one); len(defs) != 1 || strings.Contains(defs[0], "_of_") {
		t.Fatalf("vector indexes after a rebuild for one partition: %v", defs)
	}
	check("rebuilt as one, before the other store reads it", two, one)
	two.partsAt.Store(0)
	if parts, err := two.partitions(t.Context()); err != nil || parts != 1 {
		t.Errorf("partitions seen after the rebuild = %d, %v; want 1", parts, err)
	}
	check("rebuilt as one", two, one)
}
