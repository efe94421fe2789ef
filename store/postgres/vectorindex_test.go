package postgres

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"

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

	// With 500 chunks and ef_search 600 per partition, every partition's
	// walk is exhaustive: both stores must return the exact nearest k.
	queries := make([][]float32, 10)
	for i := range queries {
		queries[i] = make([]float32, dim)
		for j := range queries[i] {
			queries[i][j] = float32(r.NormFloat64())
		}
	}
	// The exact nearest k, by plain SQL over every chunk: no partition
	// filter or merge of the code under test.
	exactQuery := fmt.Sprintf("SELECT id FROM chunks ORDER BY embedding::vector(%d) <=> $1 LIMIT %d", dim, k)
	check := func(when string, stores ...*Store) {
		t.Helper()
		for _, q := range queries {
			rows, _ := two.pool.Query(t.Context(), exactQuery, pgvector.NewVector(q))
			want, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				t.Fatal(err)
			}
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
	// Whatever the load's length, two still trusts its count of 2.
	two.parts.Store(2)
	two.partsAt.Store(time.Now().UnixNano())
	check("rebuilt as one, before the other store reads it", two, one)
	two.forgetPartitions()
	if parts, err := two.partitions(t.Context()); err != nil || parts != 1 {
		t.Errorf("partitions seen after the rebuild = %d, %v; want 1", parts, err)
	}
	check("rebuilt as one", two, one)
}

// The next load rebuilds an index missing one of its graphs, leaves an
// operator's own HNSW index on chunks alone, and records the count of an
// index from before counts were recorded.
func TestVectorIndexRepairedAndOthersLeftAlone(t *testing.T) {
	const dim = 8
	r := rand.New(rand.NewPCG(3, 4))
	s := openTest(t, Options{BulkDeferAt: 100})
	randomDocs(t, s, 0, 100, dim, r)
	exec := func(sql string) {
		t.Helper()
		if _, err := s.pool.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	names := func() []string {
		t.Helper()
		rows, _ := s.pool.Query(t.Context(), `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
			JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'chunks'::regclass AND am.amname = 'hnsw' ORDER BY 1`)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	exec("CREATE INDEX operators_own_hnsw ON chunks USING hnsw ((embedding::vector(8)) vector_l2_ops) WHERE vector_dims(embedding) = 8")
	exec("DROP INDEX chunks_embedding_hnsw_1_of_2")

	want := []string{"chunks_embedding_hnsw_0_of_2", "chunks_embedding_hnsw_1_of_2", "operators_own_hnsw"}
	randomDocs(t, s, 100, 102, dim, r) // 10 chunks: the index is kept, and repaired
	if got := names(); !slices.Equal(got, want) {
		t.Errorf("indexes after a small load = %v, want %v", got, want)
	}
	randomDocs(t, s, 102, 400, dim, r) // a large load drops and builds Lore's
	if got := names(); !slices.Equal(got, want) {
		t.Errorf("indexes after a large load = %v, want %v", got, want)
	}

	// An index of one graph as built before the count was recorded.
	exec("DROP INDEX chunks_embedding_hnsw_0_of_2")
	exec("DROP INDEX chunks_embedding_hnsw_1_of_2")
	exec("DELETE FROM meta WHERE key = 'vector_index_partitions'")
	exec("CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw ((l2_normalize(embedding::vector(8))::halfvec(8)) halfvec_cosine_ops) WHERE vector_dims(embedding) = 8")
	randomDocs(t, s, 400, 402, dim, r)
	if got := names(); !slices.Equal(got, []string{"chunks_embedding_hnsw", "operators_own_hnsw"}) {
		t.Errorf("indexes after a small load over an index of one graph = %v, want it kept", got)
	}
	if parts, recorded, err := readPartitions(t.Context(), s.pool); err != nil || !recorded || parts != 1 {
		t.Errorf("partitions recorded = %d, %v, %v; want 1, recorded", parts, recorded, err)
	}
}
