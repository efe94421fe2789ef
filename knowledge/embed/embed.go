// Package embed turns text into vectors for similarity search.
//
// Embedders sit behind one interface so that the offline default and a
// model served over an API are interchangeable. Vectors are comparable only
// when they come from the same embedder (Name) and dimension.
package embed

import (
	"context"
	"math"

	"github.com/lorehq/lore/knowledge/analyze"
)

// Embedder maps texts to vectors of a fixed dimension.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	Dimensions() int
	// Name identifies the embedder and its model, e.g. "hashed-v1"; with
	// Dimensions it says which vectors are comparable.
	Name() string
}

// DefaultDimensions is the dimension of the offline embedder: large enough
// that hashed features rarely collide in a chat-sized text, small enough
// that 100,000 chunks fit in a few tens of megabytes once quantised.
const DefaultDimensions = 256

// Hashed is the deterministic offline embedder: no model, no download, no
// network. It hashes stemmed words, word pairs and character trigrams into
// a signed vector (feature hashing) and normalises it, so that texts
// sharing vocabulary, phrases or word parts point the same way. It
// complements BM25 with sub-word and phrase similarity rather than
// semantics.
type Hashed struct {
	dim int
}

// NewHashed returns a hashed embedder of the given dimension (0 means
// DefaultDimensions).
func NewHashed(dim int) *Hashed {
	if dim <= 0 {
		dim = DefaultDimensions
	}
	return &Hashed{dim: dim}
}

// Dimensions implements Embedder.
func (h *Hashed) Dimensions() int { return h.dim }

// Name implements Embedder.
func (h *Hashed) Name() string { return "hashed-v1" }

// Embed implements Embedder. It never fails and ignores ctx: the work is a
// few microseconds per text.
func (h *Hashed) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = h.Vector(t)
	}
	return out, nil
}

// Feature weights, relative to a stemmed word. Tuned with lore eval on
// SciFact's training queries.
const (
	weightWord    = 1.0
	weightBigram  = 0.5
	weightTrigram = 0.35
)

// Vector embeds one text.
func (h *Hashed) Vector(text string) []float32 {
	return h.VectorOf(analyze.Analyze(text))
}

// VectorOf embeds a text already analysed: Vector(text) is
// VectorOf(analyze.Analyze(text)). Ingest analyses each chunk for its
// index terms anyway, and splitting and stemming were half of embedding.
func (h *Hashed) VectorOf(a analyze.Analysis) []float32 {
	v := make([]float32, h.dim)
	prev := ""
	for i, w := range a.Words {
		stem := a.Stems[i]
		if stem == "" { // a stop word
			prev = ""
			continue
		}
		// Features are hashed as the strings "w:"+stem, "b:"+prev+" "+stem
		// and the trigrams of "^"+w+"$", without building those strings:
		// FNV-1a reads bytes in order, so hashing the parts one after the
		// other gives the same value, and ingest embeds every chunk.
		h.add(v, fnvString(fnvString(fnvOffset, "w:"), stem), weightWord)
		if prev != "" {
			x := fnvString(fnvString(fnvString(fnvOffset, "b:"), prev), " ")
			h.add(v, fnvString(x, stem), weightBigram)
		}
		prev = stem
		for i := -1; i+2 <= len(w); i++ {
			h.add(v, trigramHash(w, i), weightTrigram)
		}
	}
	normalize(v)
	return v
}

// normalize scales v to unit length; a zero vector stays zero.
func normalize(v []float32) {
	var norm float64
	for _, x := range v {
		norm += float64(x) * float64(x)
	}
	if norm > 0 {
		inv := float32(1 / math.Sqrt(norm))
		for i := range v {
			v[i] *= inv
		}
	}
}

// add adds weight to the coordinate that the feature hash x (fnvString's
// state, before mixing) selects, with the sign it selects.
func (h *Hashed) add(v []float32, x uint64, weight float32) {
	x = fnvMix(x)
	idx := int(x % uint64(h.dim))
	if x>>63 == 1 {
		weight = -weight
	}
	v[idx] += weight
}

// trigramHash hashes the three bytes of "^"+w+"$" that start at byte i+1,
// for i from -1 to len(w)-2.
func trigramHash(w string, i int) uint64 {
	x := uint64(fnvOffset)
	for j := i; j < i+3; j++ {
		b := byte('$')
		switch {
		case j < 0:
			b = '^'
		case j < len(w):
			b = w[j]
		}
		x = (x ^ uint64(b)) * fnvPrime
	}
	return x
}

// FNV-1a: stable forever, unlike maphash, whose seed changes per process.
const fnvOffset, fnvPrime = 14695981039346656037, 1099511628211

// fnvString continues an FNV-1a hash x over the bytes of s.
func fnvString(x uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		x = (x ^ uint64(s[i])) * fnvPrime
	}
	return x
}

// fnvMix is the final mix, so that the low bits (the index) and the top bit
// (the sign) are independent.
func fnvMix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
