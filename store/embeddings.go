package store

import (
	"context"
	"errors"
)

// EmbeddingSpace names what produced a store's vectors: vectors are
// comparable only within one space.
type EmbeddingSpace struct {
	// Embedder is the embedder and model, as embed.Embedder.Name gives it
	// ("hashed-v1", "openai:text-embedding-3-small").
	Embedder   string
	Dimensions int
}

// ErrIncomplete means a reindex cannot be committed yet: some chunk has no
// staged vector (it was added after the reindex began, for example).
var ErrIncomplete = errors.New("not every chunk has a vector of the new embedder yet")

// Embeddings records which embedder produced a store's vectors and
// replaces them all with another embedder's without a moment in which
// searches find none: new vectors are staged beside the ones searches use,
// then swapped in by one transaction. Every chunk records the embedder of
// its vector, which is the store's: a store never mixes embedders or
// dimensions.
type Embeddings interface {
	// EmbeddingSpace returns the space of the stored vectors. Embedder is
	// empty when none is recorded: a new store (Dimensions 0 too) or one
	// written before spaces were recorded.
	EmbeddingSpace(ctx context.Context) (EmbeddingSpace, error)
	// ClaimEmbeddingSpace records space as the store's when none is
	// recorded yet, and returns the store's space either way. A space
	// whose dimension differs from that of vectors already stored is
	// refused with ErrInvalidInput.
	ClaimEmbeddingSpace(ctx context.Context, space EmbeddingSpace) (EmbeddingSpace, error)
	// UnstagedChunks returns up to limit chunks, by ascending id, that
	// have no staged vector of space, and how many such chunks there are.
	UnstagedChunks(ctx context.Context, space EmbeddingSpace, limit int) ([]ChunkView, int, error)
	// StageVectors keeps vectors (of space) for the chunks ids, beside
	// the vectors searches use. Ids of chunks deleted meanwhile are
	// ignored.
	StageVectors(ctx context.Context, space EmbeddingSpace, ids []int64, vectors [][]float32) error
	// EmbedderCounts counts the chunks by the embedder recorded with
	// each ("" for chunks written before the store recorded one): one
	// entry, the store's, unless the store has no space yet.
	EmbedderCounts(ctx context.Context) (map[string]int, error)
	// CommitStaged makes the staged vectors of space the store's, and
	// space its recorded space, atomically. It returns an error wrapping
	// ErrIncomplete, and changes nothing, while a chunk has none.
	CommitStaged(ctx context.Context, space EmbeddingSpace) error
}
