package postgres

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

// BenchmarkReplaceDocument measures ingest throughput, as
// storetest.BenchReplaceDocument describes. Each operation is one
// transaction: upsert, delete, COPY, the deletion log and 20 HNSW
// insertions.
func BenchmarkReplaceDocument(b *testing.B) {
	storetest.BenchReplaceDocument(b, openTest(b, Options{}))
}

// benchCorpus opens a store holding LORE_BENCH_CHUNKS chunks (default
// 10,000) in documents of 100, spread over ten collections c0 to c9.
func benchCorpus(b *testing.B) *Store {
	n := 10_000
	if v, err := strconv.Atoi(os.Getenv("LORE_BENCH_CHUNKS")); err == nil && v > 0 {
		n = v
	}
	s := openTest(b, Options{})
	const perDoc = 100
	for d := 0; d*perDoc < n; d++ {
		chunks := storetest.BenchChunks(perDoc, uint64(d)+10)
		doc := store.Document{ID: fmt.Sprintf("doc-%d", d), Collection: fmt.Sprintf("c%d", d%10), Source: "bench.md"}
		if err := s.ReplaceDocument(b.Context(), doc, chunks); err != nil {
			b.Fatal(err)
		}
	}
	// Settle statistics and visibility as autovacuum would in service.
	if _, err := s.pool.Exec(b.Context(), "VACUUM ANALYZE chunks"); err != nil {
		b.Fatal(err)
	}
	// Load the lexical index before timing, as the first search would.
	if _, err := s.index(b.Context()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkSearch measures searches of a corpus of LORE_BENCH_CHUNKS
// chunks: a chat-length lexical query mixing common and rare words and
// their phrases, and a vector query through the HNSW index.
func BenchmarkSearch(b *testing.B) {
	s := benchCorpus(b)
	b.Run("Lexical", func(b *testing.B) {
		q := store.LexicalQuery{Scope: store.Everything, Text: "question", Terms: []string{"t1", "t50", "t300", "t1000", "t2000", "t2500", "t1_t50", "t300_t1000"}}
		for b.Loop() {
			hits, err := s.SearchLexical(b.Context(), q, 10)
			if err != nil || len(hits) != 10 {
				b.Fatalf("hits %v, %v", hits, err)
			}
		}
	})
	// A reader kept out of one collection in ten, and a channel limited to
	// one collection in ten.
	scopes := []struct {
		name  string
		scope store.Scope
	}{
		{"", store.Everything},
		{"/ExceptOne", store.Scope{All: true, Except: []string{"c0"}}},
		{"/OnlyOne", store.Scope{Collections: []string{"c3"}}},
	}
	for _, sc := range scopes {
		b.Run("Vector"+sc.name, func(b *testing.B) {
			q := storetest.BenchChunks(1, 99)[0].Vector
			for b.Loop() {
				hits, err := s.SearchVector(b.Context(), store.VectorQuery{Vector: q, Scope: sc.scope}, 10)
				if err != nil || len(hits) != 10 {
					b.Fatalf("hits %v, %v", hits, err)
				}
			}
		})
	}
	for _, sc := range scopes[1:] {
		b.Run("Lexical"+sc.name, func(b *testing.B) {
			q := store.LexicalQuery{Scope: sc.scope, Text: "question", Terms: []string{"t1", "t50", "t300", "t1000", "t2000", "t2500", "t1_t50", "t300_t1000"}}
			for b.Loop() {
				hits, err := s.SearchLexical(b.Context(), q, 10)
				if err != nil || len(hits) != 10 {
					b.Fatalf("hits %v, %v", hits, err)
				}
			}
		})
	}
}

// BenchmarkBulkLoad measures a bulk load of b.N documents of 10 chunks,
// index build included (the vector index is deferred once 2,000 chunks
// are written).
func BenchmarkBulkLoad(b *testing.B) {
	s := openTest(b, Options{})
	docs := make([][]store.Chunk, 64)
	for i := range docs {
		docs[i] = storetest.BenchChunks(10, uint64(i))
	}
	b.ResetTimer()
	load, err := s.BeginBulkLoad(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		doc := store.Document{ID: fmt.Sprintf("doc-%d", i), Collection: "bench", Source: "bench.md"}
		if err := load.ReplaceDocument(b.Context(), doc, docs[i%len(docs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if err := load.Finish(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(10*i)/b.Elapsed().Seconds(), "chunks/s")
}
