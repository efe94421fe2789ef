package sqlite

import (
	"fmt"
	"testing"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

// BenchmarkReplaceDocument measures ingest throughput, as
// storetest.BenchReplaceDocument describes.
func BenchmarkReplaceDocument(b *testing.B) {
	s, err := Open(b.Context(), tempDBB(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchReplaceDocument(b, s)
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
	chunks := storetest.BenchChunks(perDoc, 2)
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
	if err := s.ReplaceDocument(b.Context(), store.Document{ID: "d", Collection: "c"}, storetest.BenchChunks(10, 3)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := s.syncIndex(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}

func tempDBB(b *testing.B) string { return b.TempDir() + "/lore.db" }
