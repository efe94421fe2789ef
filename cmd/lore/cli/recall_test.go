package cli

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/store"
)

// vectorStore is a store.Search over fixed vectors whose SearchVector
// returns the exact top k, dropping the first `miss` of them.
type vectorStore struct {
	store.Search
	vecs map[int64][]float32
	miss int
}

func (s vectorStore) Chunks(_ context.Context, ids []int64) ([]store.ChunkView, error) {
	var out []store.ChunkView
	for _, id := range ids {
		if v, ok := s.vecs[id]; ok {
			out = append(out, store.ChunkView{Chunk: store.Chunk{ID: id, Vector: v}})
		}
	}
	return out, nil
}

func (s vectorStore) SearchVector(_ context.Context, vq store.VectorQuery, k int) ([]store.Hit, error) {
	hits := make([]store.Hit, 0, len(s.vecs))
	for id, v := range s.vecs {
		hits = append(hits, store.Hit{ChunkID: id, Score: cosine(vq.Vector, v)})
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return hits[min(s.miss, len(hits)):min(k, len(hits))], nil
}

// The recall measure counts what the search returns of the exact top k,
// reading stored chunks past gaps in their ids.
func TestVectorRecallMeasure(t *testing.T) {
	// Dense random vectors, so that no two cosines with a query tie.
	r := rand.New(rand.NewPCG(1, 2))
	byID := map[int64][]float32{}
	for i := range 14 {
		v := make([]float32, embed.DefaultDimensions)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		byID[int64(1+i*700)] = v // ids spread over several blocks
	}
	queries := []string{"leave", "vpn", "pay"}
	for _, c := range []struct {
		miss int
		want float64
	}{{0, 1}, {3, 0.7}, {10, 0}} {
		got, err := vectorRecall(t.Context(), vectorStore{vecs: byID, miss: c.miss}, queries, 10)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.want) > 1e-9 {
			t.Errorf("recall with the first %d of the exact top 10 missing = %v, want %v", c.miss, got, c.want)
		}
	}
}
