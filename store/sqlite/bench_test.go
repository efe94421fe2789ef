package sqlite

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lorehq/lore/store"
)

// Benchmarks use the offline embedder's dimension and chunk sizes typical
// of a handbook: about 80 terms per chunk.
const (
	benchDim   = 256
	benchTerms = 80
)

// benchChunks returns n chunks with realistic terms and random vectors;
// seed keeps runs comparable.
func benchChunks(n int, seed uint64) []store.Chunk {
	r := rand.New(rand.NewPCG(seed, 1))
	chunks := make([]store.Chunk, n)
	for i := range chunks {
		terms := make([]string, benchTerms)
		for j := range terms {
			// A Zipf-like vocabulary: a few common terms, a long tail.
			terms[j] = fmt.Sprintf("t%d", int(r.ExpFloat64()*500))
		}
		v := make([]float32, benchDim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		chunks[i] = store.Chunk{Ordinal: i, Heading: "Heading", Text: fmt.Sprintf("chunk %d of a benchmark document", i), Terms: terms, Vector: v}
	}
	return chunks
}

// BenchmarkReplaceDocument measures ingest throughput: one document of 20
// chunks per operation, cycling over 100 documents so that most operations
// replace existing chunks as a re-ingest does.
func BenchmarkReplaceDocument(b *testing.B) {
	s, err := Open(b.Context(), tempDBB(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const perDoc = 20
	chunks := benchChunks(perDoc, 1)
	i := 0
	for b.Loop() {
		doc := store.Document{ID: fmt.Sprintf("doc-%d", i%100), Collection: "bench", Source: "bench.md", Title: "Bench"}
		if err := s.ReplaceDocument(b.Context(), doc, chunks); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i*perDoc)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkOpen measures start-up with 100,000 chunks: migrations check
// plus streaming every chunk into the in-memory index.
func BenchmarkOpen(b *testing.B) {
	const docs, perDoc = 1000, 100
	path := tempDBB(b)
	w, err := Open(b.Context(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	chunks := benchChunks(perDoc, 2)
	for d := range docs {
		doc := store.Document{ID: fmt.Sprintf("doc-%d", d), Collection: "bench", Source: "bench.md"}
		if err := w.ReplaceDocument(b.Context(), doc, chunks); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}

	for b.Loop() {
		s, err := Open(b.Context(), path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if n := s.ix.Len(); n != docs*perDoc {
			b.Fatalf("loaded %d chunks, want %d", n, docs*perDoc)
		}
		_ = s.Close()
	}
	b.ReportMetric(float64(docs*perDoc), "chunks")
}

// BenchmarkSearchCatchUpCheck measures what every search pays to notice
// other processes' writes when there are none.
func BenchmarkSearchCatchUpCheck(b *testing.B) {
	s, err := Open(b.Context(), tempDBB(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.ReplaceDocument(b.Context(), store.Document{ID: "d", Collection: "c"}, benchChunks(10, 3)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := s.syncIndex(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func tempDBB(b *testing.B) string { return b.TempDir() + "/lore.db" }
