package knowledge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/store"
)

// The embedder that serves a store is the one whose vectors it holds
// (store.Embeddings records it), which is not always the configured one:
// after a change of embedding model, searches and new documents keep
// using the old model's vectors until Reindex has replaced them all.

// spaceRecheck is how long the store's embedding space is trusted before
// it is read again, so that a reindex committed by another process is
// noticed without a query per search.
const spaceRecheck = 2 * time.Second

// activeEmbedder caches the embedder of the store's vectors.
type activeEmbedder struct {
	mu       sync.Mutex
	embedder embed.Embedder // nil: none can be made (lexical search only)
	space    store.EmbeddingSpace
	at       time.Time
	known    bool
}

func spaceOf(e embed.Embedder) store.EmbeddingSpace {
	return store.EmbeddingSpace{Embedder: e.Name(), Dimensions: e.Dimensions()}
}

// hashedName is the name of the offline embedder: the only one whose
// vectors a store could hold before stores recorded their embedder.
var hashedName = embed.NewHashed(0).Name()

// embedderFor returns an embedder of sp: the configured one when it
// matches, otherwise Options.EmbedderFor's, and the offline embedder for
// its own space.
func (s *Service) embedderFor(sp store.EmbeddingSpace) (embed.Embedder, error) {
	if sp == spaceOf(s.embedder) {
		return s.embedder, nil
	}
	if s.embedderForSpace != nil {
		if e, err := s.embedderForSpace(sp); err == nil && e != nil && spaceOf(e) == sp {
			return e, nil
		}
	}
	if sp.Embedder == hashedName {
		return embed.NewHashed(sp.Dimensions), nil
	}
	return nil, fmt.Errorf("the knowledge base's vectors come from %s (%d dimensions), which is not configured: run 'lore reindex' to embed it again with %s",
		sp.Embedder, sp.Dimensions, s.embedder.Name())
}

// readEmbedder returns the embedder for searching, or nil (and no error)
// when none can be made for the store's vectors: searches then rank by
// words alone.
func (s *Service) readEmbedder(ctx context.Context) (embed.Embedder, error) {
	if s.spaces == nil {
		return s.embedder, nil
	}
	a := &s.active
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.known && s.now().Sub(a.at) < spaceRecheck {
		return a.embedder, nil
	}
	sp, err := s.spaces.EmbeddingSpace(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the embedding space: %w", err)
	}
	switch {
	case sp.Dimensions == 0:
		a.embedder = s.embedder // an empty store: its first write claims the space
	case sp.Embedder == "":
		sp.Embedder = hashedName
		fallthrough
	default:
		a.embedder, _ = s.embedderFor(sp)
	}
	a.space, a.at, a.known = sp, s.now(), sp.Dimensions != 0
	return a.embedder, nil
}

// writeEmbedder returns the embedder for new chunks, claiming the store's
// space for the configured embedder when the store has none yet. It reads
// the space for every document: a cached space could send vectors of a
// dimension the store no longer takes, which a file ingest reports as the
// file's fault. Each chunk also names its embedder, and the store refuses
// the write (store.ErrEmbedderChanged) when a reindex was committed
// between this read and the write.
func (s *Service) writeEmbedder(ctx context.Context) (embed.Embedder, error) {
	if s.spaces == nil {
		return s.embedder, nil
	}
	sp, err := s.spaces.EmbeddingSpace(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the embedding space: %w", err)
	}
	if sp.Embedder == "" {
		want := spaceOf(s.embedder)
		if sp.Dimensions != 0 {
			want = store.EmbeddingSpace{Embedder: hashedName, Dimensions: sp.Dimensions}
		}
		if sp, err = s.spaces.ClaimEmbeddingSpace(ctx, want); err != nil {
			return nil, fmt.Errorf("record the embedding space: %w", err)
		}
	}
	return s.embedderFor(sp)
}

// forgetSpace makes the next search read the store's space again.
func (s *Service) forgetSpace() {
	s.active.mu.Lock()
	s.active.known = false
	s.active.mu.Unlock()
}

// searchVector embeds the query with the store's embedder and searches by
// vector. Without a usable embedder it returns no hits, not an error; so
// does a query that cannot be embedded when words is not nil.
func (s *Service) searchVector(ctx context.Context, query string, depth int, scope store.Scope, words *wordsAlone) ([]float32, []store.Hit, error) {
	for attempt := 0; ; attempt++ {
		e, err := s.readEmbedder(ctx)
		if err != nil || e == nil {
			return nil, nil, err
		}
		ectx := ctx
		if words != nil {
			ectx = words.ctx
		}
		vecs, err := e.Embed(ectx, []string{query})
		if err != nil && words != nil && ctx.Err() == nil {
			words.reason = "the question could not be embedded, so passages were found by words alone: " + err.Error()
			return nil, nil, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("embed question: %w", err)
		}
		hits, err := s.store.SearchVector(ctx, store.VectorQuery{Vector: vecs[0], Scope: scope}, depth)
		if errors.Is(err, store.ErrInvalidInput) && attempt == 0 && s.spaces != nil {
			// Another process committed a reindex to a new dimension.
			s.forgetSpace()
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("vector search: %w", err)
		}
		return vecs[0], hits, nil
	}
}

// NeedsReindex reports whether the store's vectors come from another
// embedder than the configured one, so that a server can start Reindex
// (as a background job) when the embedding model was changed. A new,
// empty store needs none: its first write takes the configured embedder.
func (s *Service) NeedsReindex(ctx context.Context) (bool, store.EmbeddingSpace, error) {
	if s.spaces == nil {
		return false, store.EmbeddingSpace{}, nil
	}
	sp, err := s.spaces.EmbeddingSpace(ctx)
	if err != nil {
		return false, sp, err
	}
	if sp.Dimensions == 0 {
		return false, sp, nil
	}
	if sp.Embedder == "" {
		sp.Embedder = hashedName
	}
	return sp != spaceOf(s.embedder), sp, nil
}

// ReindexProgress receives a reindex's progress, for a progress bar.
type ReindexProgress interface {
	// Total is called with the number of chunks still to embed, again
	// whenever chunks were added meanwhile.
	Total(chunks int)
	// Done is called after each batch with the chunks it embedded.
	Done(chunks int)
}

// ReindexSummary reports what a reindex did.
type ReindexSummary struct {
	From, To store.EmbeddingSpace
	Chunks   int  // chunks embedded
	UpToDate bool // the vectors were already the configured embedder's
	Duration time.Duration
}

// defaultReindexBatch is how many chunks are embedded and staged at a
// time: a few embedding requests' worth.
const defaultReindexBatch = 256

// ErrCannotReindex means the store does not record embedding spaces.
var ErrCannotReindex = errors.New("this store cannot be reindexed")

// Reindex embeds every chunk again with the configured embedder and then
// swaps the new vectors in at once. Until then searches and ingests keep
// using the vectors the store holds (chunks ingested meanwhile are
// embedded too, before the swap). It is safe to interrupt: staged vectors
// are kept, and the next Reindex continues from them. Only one reindex
// runs on a database at a time; another gets an error wrapping
// store.ErrLocked.
func (s *Service) Reindex(ctx context.Context, owner string, progress ReindexProgress) (ReindexSummary, error) {
	start := s.now()
	target := spaceOf(s.embedder)
	sum := ReindexSummary{To: target}
	if s.spaces == nil {
		return sum, ErrCannotReindex
	}
	if progress == nil {
		progress = nopReindexProgress{}
	}
	cur, err := s.spaces.EmbeddingSpace(ctx)
	if err != nil {
		return sum, err
	}
	if cur.Embedder == "" {
		// An empty store takes the configured space; one written before
		// spaces were recorded holds the offline embedder's vectors.
		want := target
		if cur.Dimensions != 0 {
			want = store.EmbeddingSpace{Embedder: hashedName, Dimensions: cur.Dimensions}
		}
		if cur, err = s.spaces.ClaimEmbeddingSpace(ctx, want); err != nil {
			return sum, err
		}
	}
	sum.From = cur
	if cur == target {
		sum.UpToDate = true
		sum.Duration = s.now().Sub(start)
		return sum, nil
	}
	ctx, release, err := s.lock(ctx, "reindex", owner)
	if err != nil {
		return sum, err
	}
	defer release()
	lastTotal := -1
	for {
		if ctx.Err() != nil {
			return sum, context.Cause(ctx)
		}
		views, remaining, err := s.spaces.UnstagedChunks(ctx, target, s.reindexBatch)
		if err != nil {
			return sum, err
		}
		if lastTotal < 0 || remaining > lastTotal-len(views) {
			progress.Total(sum.Chunks + remaining)
		}
		lastTotal = remaining
		if len(views) == 0 {
			err := s.spaces.CommitStaged(ctx, target)
			if errors.Is(err, store.ErrIncomplete) {
				continue // chunks were added since the last batch
			}
			if err != nil {
				return sum, err
			}
			break
		}
		ids := make([]int64, len(views))
		texts := make([]string, len(views))
		for i, v := range views {
			ids[i] = v.ID
			texts[i] = chunkContext(v.Title, v.Heading, v.Text)
		}
		vecs, err := s.embedder.Embed(ctx, texts)
		if err != nil {
			return sum, fmt.Errorf("embed with %s: %w", target.Embedder, err)
		}
		if err := s.spaces.StageVectors(ctx, target, ids, vecs); err != nil {
			return sum, err
		}
		sum.Chunks += len(views)
		progress.Done(len(views))
	}
	s.forgetSpace()
	sum.Duration = s.now().Sub(start)
	return sum, nil
}

type nopReindexProgress struct{}

func (nopReindexProgress) Total(int) {}
func (nopReindexProgress) Done(int)  {}
