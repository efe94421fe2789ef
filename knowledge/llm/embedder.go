package llm

import (
	"context"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/sync/errgroup"

	"github.com/lorehq/lore/knowledge/embed"
)

// Embedder embeds texts with the configured embedding model, in batches of
// Config.BatchSize with at most Config.Concurrency requests in flight.
type Embedder struct {
	c     *Client
	model string
	dim   int
}

var _ embed.Embedder = (*Embedder)(nil)

// NewEmbedder returns the embedder of c's EmbeddingModel.
func NewEmbedder(c *Client) (*Embedder, error) {
	return c.Embedder(c.cfg.EmbeddingModel, c.cfg.EmbeddingDimensions)
}

// Embedder returns an embedder of another model on the same endpoint: the
// one that produced a store's vectors while a reindex to a new model runs.
func (c *Client) Embedder(model string, dim int) (*Embedder, error) {
	if model == "" || dim <= 0 {
		return nil, fmt.Errorf("embedding model: a model name and a positive dimension are required (got %q, %d)", model, dim)
	}
	return &Embedder{c: c, model: model, dim: dim}, nil
}

// NamePrefix starts the Name of every embedder of this package.
const NamePrefix = "openai:"

// Name implements embed.Embedder: "openai:" and the model.
func (e *Embedder) Name() string { return NamePrefix + e.model }

// Dimensions implements embed.Embedder.
func (e *Embedder) Dimensions() int { return e.dim }

// Embed implements embed.Embedder. Vectors come back in the order of texts;
// any failed batch fails the call.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.c.cfg.Concurrency)
	for start := 0; start < len(texts); start += e.c.cfg.BatchSize {
		end := min(start+e.c.cfg.BatchSize, len(texts))
		g.Go(func() error { return e.batch(gctx, texts[start:end], out[start:end]) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Embedder) batch(ctx context.Context, texts []string, out [][]float32) error {
	input := make([]string, len(texts))
	for i, t := range texts {
		// The API refuses empty input; a blank embeds as nothing much.
		if strings.TrimSpace(t) == "" {
			t = " "
		}
		input[i] = t
	}
	req := openai.EmbeddingRequestStrings{Input: input, Model: openai.EmbeddingModel(e.model)}
	// Only text-embedding-3 models accept a requested dimension; others
	// have one fixed size, checked below.
	if strings.Contains(e.model, "text-embedding-3") {
		req.Dimensions = e.dim
	}
	return e.c.retry(ctx, "embed with "+e.model, func(ctx context.Context) error {
		res, err := e.c.api.CreateEmbeddings(ctx, req)
		if err != nil {
			return err
		}
		if len(res.Data) != len(texts) {
			return fmt.Errorf("%w: %d embeddings for %d texts", ErrMalformed, len(res.Data), len(texts))
		}
		seen := make([]bool, len(texts))
		for _, d := range res.Data {
			if d.Index < 0 || d.Index >= len(texts) || seen[d.Index] {
				return fmt.Errorf("%w: embedding index %d", ErrMalformed, d.Index)
			}
			if len(d.Embedding) != e.dim {
				return fmt.Errorf("%w: got %d, configured %d (LORE_EMBEDDING_DIMENSIONS)", ErrDimension, len(d.Embedding), e.dim)
			}
			seen[d.Index] = true
			out[d.Index] = d.Embedding
		}
		return nil
	})
}
