package knowledge_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/llm/llmtest"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// reindexBeforeWrite is a store on which another service's reindex is
// committed just before the first write reaches it: the write's vectors
// were made by the embedder the reindex replaced.
type reindexBeforeWrite struct {
	*sqlite.Store
	reindex func()
	writes  int
}

func (w *reindexBeforeWrite) ReplaceDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	if w.writes++; w.writes == 1 {
		w.reindex()
	}
	return w.Store.ReplaceDocument(ctx, doc, chunks)
}

// BeginBulkLoad writes through ReplaceDocument above, as the SQLite
// store's own bulk load does through its ReplaceDocument.
func (w *reindexBeforeWrite) BeginBulkLoad(context.Context) (store.BulkLoad, error) {
	return bulkThrough{w}, nil
}

type bulkThrough struct{ w *reindexBeforeWrite }

func (b bulkThrough) ReplaceDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	return b.w.ReplaceDocument(ctx, doc, chunks)
}

func (bulkThrough) Finish(context.Context) error { return nil }

// A reindex to a model of the offline embedder's dimension is committed
// between embedding a document and writing it: the store refuses the old
// vectors, a single document is embedded again with the model, a load
// stops with an error that says to run it again, and no chunk is stored
// with a vector of one embedder under the other's name.
func TestReindexBetweenEmbeddingAndWriting(t *testing.T) {
	ctx := t.Context()
	pieces := []ingest.Piece{{Heading: "Bikes", Text: "Bikes are stored in the basement rack."}}
	doc := func(id string) store.Document {
		return store.Document{ID: id, Collection: "handbook", Source: id + ".md", Title: "Bikes " + id, ContentHash: "h-" + id}
	}
	for _, load := range []bool{false, true} {
		offline, st := newService(t, knowledge.Options{})
		if _, err := offline.AddDocument(ctx, doc("first"), pieces); err != nil {
			t.Fatal(err)
		}
		srv := llmtest.New(t)
		srv.Dimensions = 256 // the offline embedder's: only the name tells them apart
		model := knowledge.New(st, knowledge.Options{Embedder: modelEmbedder(t, srv)})
		racy := &reindexBeforeWrite{Store: st, reindex: func() {
			if _, err := model.Reindex(ctx, "test", nil); err != nil {
				t.Fatalf("reindex: %v", err)
			}
		}}
		writer := knowledge.New(racy, knowledge.Options{Embedder: modelEmbedder(t, srv)})

		var err error
		if load {
			_, err = writer.AddDocuments(ctx, slices.Values([]knowledge.Pending{{Doc: doc("second"), Pieces: pieces}}), nil)
			if !errors.Is(err, store.ErrEmbedderChanged) || !strings.Contains(err.Error(), "run the load again") {
				t.Fatalf("load across a reindex: %v; want ErrEmbedderChanged and what to do", err)
			}
		} else if _, err = writer.AddDocument(ctx, doc("second"), pieces); err != nil {
			t.Fatalf("a document written across a reindex: %v", err)
		}
		if racy.writes != map[bool]int{false: 2, true: 1}[load] {
			t.Errorf("load %v: %d writes", load, racy.writes)
		}
		counts, err := st.EmbedderCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"openai:embed-model": map[bool]int{false: 2, true: 1}[load]}
		if len(counts) != 1 || counts["openai:embed-model"] != want["openai:embed-model"] {
			t.Errorf("load %v: chunks by embedder %v, want %v", load, counts, want)
		}
	}
}
