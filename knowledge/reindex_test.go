package knowledge_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/llm"
	"github.com/lorehq/lore/knowledge/llm/llmtest"
	"github.com/lorehq/lore/store"
)

type reindexProgress struct {
	totals []int
	done   int
	onDone func()
}

func (p *reindexProgress) Total(n int) { p.totals = append(p.totals, n) }
func (p *reindexProgress) Done(n int) {
	p.done += n
	if p.onDone != nil {
		p.onDone()
		p.onDone = nil
	}
}

func modelEmbedder(t *testing.T, srv *llmtest.Server) *llm.Embedder {
	t.Helper()
	c, err := llm.New(llm.Config{BaseURL: srv.BaseURL(), APIKey: fakeKey, EmbeddingModel: "embed-model", EmbeddingDimensions: srv.Dimensions, MaxRetries: -1, BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	e, err := llm.NewEmbedder(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestReindexToAModelEmbedder(t *testing.T) {
	ctx := t.Context()
	offline, st := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, answerCorpus)
	ingestDir(t, offline, knowledge.IngestRequest{Paths: []string{dir}})
	before := stats(t, st)
	if sp, _ := st.EmbeddingSpace(ctx); sp != (store.EmbeddingSpace{Embedder: "hashed-v1", Dimensions: 256}) {
		t.Fatalf("space after an offline ingest: %+v", sp)
	}

	srv := llmtest.New(t)
	srv.Dimensions = 12
	model := knowledge.New(st, knowledge.Options{Embedder: modelEmbedder(t, srv), ReindexBatch: 3})
	// Before the reindex, the model-configured service searches the
	// offline vectors with the offline embedder.
	ps, err := model.Search(ctx, "parental leave weeks", 3, store.Everything)
	if err != nil || len(ps) == 0 || ps[0].Similarity <= 0 || len(ps[0].Vector) != 256 {
		t.Fatalf("search before the reindex: %v, %+v", err, ps)
	}
	if n := len(srv.Requests("/embeddings")); n != 0 {
		t.Errorf("%d embedding requests before the reindex", n)
	}

	// An interrupted reindex (the endpoint fails after one batch)
	// leaves the old vectors serving.
	srv.Fail("/embeddings", llmtest.Fault{}, llmtest.Fault{Status: 500})
	interrupted := &reindexProgress{}
	if _, err := model.Reindex(ctx, "test", interrupted); !errors.Is(err, llm.ErrUnavailable) {
		t.Fatalf("reindex against a failing endpoint: %v", err)
	}
	if sp, _ := st.EmbeddingSpace(ctx); sp.Embedder != "hashed-v1" {
		t.Fatalf("space after a failed reindex: %+v", sp)
	}
	if ps, err := model.Search(ctx, "parental leave weeks", 3, store.Everything); err != nil || len(ps) == 0 || len(ps[0].Vector) != 256 {
		t.Fatalf("search after a failed reindex: %v, %+v", err, ps)
	}

	// The rerun continues from the staged vectors; a document ingested
	// during it is embedded before the swap; searches meanwhile use the
	// old vectors.
	extra := t.TempDir()
	progress := &reindexProgress{onDone: func() {
		if err := os.WriteFile(filepath.Join(extra, "bikes.md"), []byte("# Bikes\n\nBikes are stored in the basement rack.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ingestDir(t, offline, knowledge.IngestRequest{Paths: []string{extra}, Collection: "extra"})
		ps, err := model.Search(ctx, "parental leave weeks", 3, store.Everything)
		if err != nil || len(ps) == 0 || len(ps[0].Vector) != 256 {
			t.Errorf("search during the reindex: %v, %+v", err, ps)
		}
	}}
	sum, err := model.Reindex(ctx, "test", progress)
	if err != nil {
		t.Fatalf("reindex: %v", err)
	}
	after := stats(t, st)
	if after.Chunks != before.Chunks+1 {
		t.Fatalf("%d chunks after, %d before plus one", after.Chunks, before.Chunks)
	}
	if interrupted.done+sum.Chunks != after.Chunks || sum.Chunks >= after.Chunks {
		t.Errorf("embedded %d then %d chunks for %d: the rerun should continue, not restart", interrupted.done, sum.Chunks, after.Chunks)
	}
	if progress.done != sum.Chunks || len(progress.totals) == 0 {
		t.Errorf("progress %+v for %+v", progress, sum)
	}
	want := store.EmbeddingSpace{Embedder: "openai:embed-model", Dimensions: 12}
	if sp, _ := st.EmbeddingSpace(ctx); sp != want || sum.To != want || sum.From.Embedder != "hashed-v1" {
		t.Fatalf("space %+v after the reindex, summary %+v", sp, sum)
	}
	ps, err = model.Search(ctx, "Where are bikes stored?", 3, store.Everything)
	if err != nil || len(ps) == 0 || len(ps[0].Vector) != 12 || !strings.Contains(ps[0].Text, "basement") {
		t.Fatalf("search after the reindex: %v, %+v", err, ps)
	}
	// The offline service, still configured with the hashed embedder,
	// cannot embed questions for these vectors: it searches by words.
	ps, err = offline.Search(ctx, "Where are bikes stored?", 3, store.Everything)
	if err != nil || len(ps) == 0 || ps[0].Similarity != 0 {
		t.Fatalf("offline search after the reindex: %v, %+v", err, ps)
	}
	if _, err := offline.Ingest(ctx, knowledge.IngestRequest{Paths: []string{extra}, Collection: "more"}, nil); err == nil || !strings.Contains(err.Error(), "lore reindex") {
		t.Errorf("an offline ingest into a model-embedded store: %v", err)
	}
	again, err := model.Reindex(ctx, "test", nil)
	if err != nil || !again.UpToDate || again.Chunks != 0 {
		t.Errorf("a second reindex: %+v, %v", again, err)
	}
}

// TestOldModelServesUntilReindex changes the embedding model: until the
// reindex, questions are embedded with the model that made the stored
// vectors (Options.EmbedderFor), then with the new one.
func TestOldModelServesUntilReindex(t *testing.T) {
	ctx := t.Context()
	srv := llmtest.New(t)
	client, err := llm.New(llm.Config{BaseURL: srv.BaseURL(), APIKey: fakeKey, EmbeddingModel: "model-a", EmbeddingDimensions: 8, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := client.Embedder("model-a", 8)
	b, _ := client.Embedder("model-b", 8)
	svcA, st := newService(t, knowledge.Options{Embedder: a})
	dir := t.TempDir()
	writeFiles(t, dir, answerCorpus)
	ingestDir(t, svcA, knowledge.IngestRequest{Paths: []string{dir}})

	svcB := knowledge.New(st, knowledge.Options{Embedder: b, EmbedderFor: func(sp store.EmbeddingSpace) (embed.Embedder, error) {
		return client.Embedder(strings.TrimPrefix(sp.Embedder, llm.NamePrefix), sp.Dimensions)
	}})
	lastModel := func() string {
		reqs := srv.Requests("/embeddings")
		var body struct{ Model string }
		_ = json.Unmarshal([]byte(reqs[len(reqs)-1].Body), &body)
		return body.Model
	}
	if need, from, err := svcB.NeedsReindex(ctx); !need || from.Embedder != "openai:model-a" || err != nil {
		t.Errorf("NeedsReindex = %v, %+v, %v", need, from, err)
	}
	if need, _, _ := svcA.NeedsReindex(ctx); need {
		t.Error("the service whose embedder made the vectors needs a reindex")
	}
	if _, err := svcB.Search(ctx, "parental leave", 3, store.Everything); err != nil || lastModel() != "model-a" {
		t.Fatalf("before the reindex the question was embedded by %q (%v), want model-a", lastModel(), err)
	}
	if _, err := svcB.Reindex(ctx, "test", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svcB.Search(ctx, "parental leave", 3, store.Everything); err != nil || lastModel() != "model-b" {
		t.Fatalf("after the reindex the question was embedded by %q (%v), want model-b", lastModel(), err)
	}
	if need, _, _ := svcB.NeedsReindex(ctx); need {
		t.Error("NeedsReindex after the reindex")
	}
	if counts, _ := st.EmbedderCounts(ctx); len(counts) != 1 || counts["openai:model-b"] == 0 {
		t.Errorf("chunks by embedder after the reindex: %v", counts)
	}
}
