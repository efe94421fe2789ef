package knowledge_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

func pendingDocs(n int) func(yield func(knowledge.Pending) bool) {
	return func(yield func(knowledge.Pending) bool) {
		for i := range n {
			source := fmt.Sprintf("gen/%d.md", i)
			doc := store.Document{ID: knowledge.DocumentID("gen", source), Collection: "gen", Source: source, Title: fmt.Sprintf("Topic %d", i), ContentHash: source}
			pieces := []ingest.Piece{
				{Heading: "Overview", Text: fmt.Sprintf("Topic %d covers subject%d in depth.", i, i)},
				{Heading: "Details", Text: fmt.Sprintf("More about subject%d and its rules.", i)},
			}
			if !yield(knowledge.Pending{Doc: doc, Pieces: pieces}) {
				return
			}
		}
	}
}

func TestAddDocumentsStoresEveryDocumentInOrder(t *testing.T) {
	svc, st := newService(t, knowledge.Options{})
	var order []string
	n, err := svc.AddDocuments(context.Background(), pendingDocs(50), func(p knowledge.Pending, chunks int) {
		if chunks != 2 {
			t.Errorf("%s: %d chunks reported, want 2", p.Doc.Source, chunks)
		}
		order = append(order, p.Doc.Source)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 100 {
		t.Fatalf("%d chunks written, want 100", n)
	}
	for i, src := range order {
		if want := fmt.Sprintf("gen/%d.md", i); src != want {
			t.Fatalf("document %d stored as %s, want %s", i, src, want)
		}
	}
	stats, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Documents != 50 || stats.Chunks != 100 {
		t.Fatalf("stats %+v, want 50 documents and 100 chunks", stats)
	}
	hits, err := svc.Search(context.Background(), "subject37 rules", 1, store.Everything)
	if err != nil || len(hits) != 1 || hits[0].Source != "gen/37.md" {
		t.Fatalf("search after pipelined ingest: %+v, %v", hits, err)
	}
}

func TestAddDocumentsStopsAtTheFirstStoreError(t *testing.T) {
	svc, st := newService(t, knowledge.Options{})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	n, err := svc.AddDocuments(context.Background(), pendingDocs(20), nil)
	if err == nil {
		t.Fatal("no error from a closed store")
	}
	if n != 0 {
		t.Fatalf("%d chunks reported written to a closed store", n)
	}
}

func TestAddDocumentsHonoursCancellation(t *testing.T) {
	svc, _ := newService(t, knowledge.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	stored := 0
	_, err := svc.AddDocuments(ctx, pendingDocs(1000), func(knowledge.Pending, int) {
		stored++
		if stored == 5 {
			cancel()
		}
	})
	if err == nil {
		t.Fatal("cancelled ingest returned no error")
	}
	if stored >= 1000 {
		t.Fatalf("all %d documents stored despite cancellation", stored)
	}
}
