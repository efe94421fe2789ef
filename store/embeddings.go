package store

import (
	"context"
	"errors"
	"fmt"
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

// ErrEmbedderChanged means a write's vectors come from another embedder
// than the store's: a reindex to a new model was committed after they
// were made. The write is refused whole; the chunks embedded again with
// the store's embedder can be written.
var ErrEmbedderChanged = errors.New("the knowledge base's embedder changed")

// WriteEmbedder returns the embedder that chunks name for their vectors,
// "" when none does. Chunks of one write naming two embedders are refused
// with ErrInvalidInput.
func WriteEmbedder(chunks []Chunk) (string, error) {
	name := ""
	for i, c := range chunks {
		switch {
		case c.Embedder == "" || c.Embedder == name:
		case name == "":
			name = c.Embedder
		default:
			return "", Invalid("chunk %d: vector of embedder %q, another chunk's of %q", i, c.Embedder, name)
		}
	}
	return name, nil
}

// CheckSpace refuses, with ErrEmbedderChanged, a write whose vectors are
// of space write in a store whose vectors are of have: another embedder,
// or the same one at another dimension. A write that names no embedder
// is not checked, nor is a store that has recorded none; a dimension of 0
// is not compared.
func CheckSpace(write, have EmbeddingSpace) error {
	if write.Embedder == "" || have.Embedder == "" {
		return nil
	}
	if write.Embedder == have.Embedder && (write.Dimensions == have.Dimensions || write.Dimensions == 0 || have.Dimensions == 0) {
		return nil
	}
	return fmt.Errorf("%w: the vectors were made by %s (%d dimensions), the knowledge base's are now %s's (%d); embed the chunks again",
		ErrEmbedderChanged, write.Embedder, write.Dimensions, have.Embedder, have.Dimensions)
}

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
