package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lorehq/lore/store"
)

// UnitVector returns the vector of dimension dim that is 1 at hot (modulo
// dim) and 0 elsewhere.
func UnitVector(dim, hot int) []float32 {
	v := make([]float32, dim)
	v[hot%dim] = 1
	return v
}

// Doc returns a document and n chunks with vectors of dimension dim whose
// texts and terms name the document, so that any mixing of two documents'
// chunks shows. The terms of chunk i are the lower-cased id, "part<i>",
// "common" twice and the phrase "<id>_common".
func Doc(id string, n, dim int) (store.Document, []store.Chunk) {
	doc := store.Document{ID: id, Collection: "handbook", Source: id + ".md", Title: "Title " + id, ContentHash: "h-" + id}
	lower := strings.ToLower(id)
	chunks := make([]store.Chunk, n)
	for i := range chunks {
		chunks[i] = store.Chunk{
			Ordinal: i,
			Heading: fmt.Sprintf("%s section %d", id, i),
			Text:    fmt.Sprintf("%s chunk %d", id, i),
			Terms:   []string{lower, fmt.Sprintf("part%d", i), "common", "common", lower + "_common"},
			Vector:  UnitVector(dim, i),
		}
	}
	return doc, chunks
}

// MustReplace stores doc with chunks, failing tb if the store refuses.
func MustReplace(tb testing.TB, s store.Documents, doc store.Document, chunks []store.Chunk) {
	tb.Helper()
	if err := s.ReplaceDocument(tb.Context(), doc, chunks); err != nil {
		tb.Fatalf("replace document %s: %v", doc.ID, err)
	}
}

// Benchmarks use the offline embedder's dimension and chunk sizes typical
// of a handbook: about 80 terms per chunk.
const (
	BenchDim   = 256
	BenchTerms = 80
)

// BenchReplaceDocument measures ingest throughput into s and reports it in
// chunks/s: one document of 20 chunks per operation, cycling over 100
// documents so that most operations replace existing chunks as a re-ingest
// does.
func BenchReplaceDocument(b *testing.B, s store.Documents) {
	const perDoc = 20
	chunks := BenchChunks(perDoc, 1)
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

// BenchChunks returns n chunks with realistic terms and random vectors of
// dimension BenchDim; seed keeps runs comparable.
func BenchChunks(n int, seed uint64) []store.Chunk {
	r := rand.New(rand.NewPCG(seed, 1))
	chunks := make([]store.Chunk, n)
	for i := range chunks {
		terms := make([]string, BenchTerms)
		for j := range terms {
			// A Zipf-like vocabulary: a few common terms, a long tail.
			terms[j] = fmt.Sprintf("t%d", int(r.ExpFloat64()*500))
		}
		v := make([]float32, BenchDim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		chunks[i] = store.Chunk{Ordinal: i, Heading: "Heading", Text: fmt.Sprintf("chunk %d of a benchmark document", i), Terms: terms, Vector: v}
	}
	return chunks
}
