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
		if math.Abs(got.ids-c.want) > 1e-9 || math.Abs(got.byDistance-c.want) > 1e-9 {
			t.Errorf("recall with the first %d of the exact top 10 missing = %+v, want %v both ways", c.miss, got, c.want)
		}
	}
}

// tiedStore returns, for any query, chunks 1 to 9 and then chunk 11: the
// exact 10th nearest is chunk 10.
type tiedStore struct {
	store.Search
	vecs map[int64][]float32
}

func (s tiedStore) Chunks(ctx context.Context, ids []int64) ([]store.ChunkView, error) {
	return vectorStore{vecs: s.vecs}.Chunks(ctx, ids)
}

func (s tiedStore) SearchVector(_ context.Context, vq store.VectorQuery, _ int) ([]store.Hit, error) {
	var hits []store.Hit
	for _, id := range []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 11} {
		hits = append(hits, store.Hit{ChunkID: id, Score: cosine(vq.Vector, s.vecs[id])})
	}
	return hits, nil
}

// Judged by distance, a chunk as near as the exact 10th (within
// tieDistance) is not a miss; one further away is.
func TestVectorRecallByDistanceCountsTies(t *testing.T) {
	queries := []string{"parental leave"}
	q, err := embed.NewHashed(0).Embed(t.Context(), queries)
	if err != nil {
		t.Fatal(err)
	}
	// Chunk i lies at angle θ(i) from the query, in the plane of the query
	// and one orthogonal direction, so its cosine is exactly cos θ(i).
	unit := func(v []float32) []float32 {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(float64(x) / math.Sqrt(n))
		}
		return out
	}
	qu := unit(q[0])
	ortho := make([]float32, len(qu))
	for i := range ortho {
		ortho[i] = float32(i%7) - 3
	}
	var dot float64
	for i := range ortho {
		dot += float64(ortho[i]) * float64(qu[i])
	}
	for i := range ortho {
		ortho[i] -= float32(dot) * qu[i]
	}
	ortho = unit(ortho)
	at := func(cos float64) []float32 {
		sin := math.Sqrt(1 - cos*cos)
		v := make([]float32, len(qu))
		for i := range v {
			v[i] = float32(cos)*qu[i] + float32(sin)*ortho[i]
		}
		return v
	}
	for _, c := range []struct {
		name        string
		gap         float64 // how much less similar chunk 11 is than chunk 10
		ids, byDist float64
	}{
		{"tie", tieDistance / 4, 0.9, 1},
		{"further", tieDistance * 4, 0.9, 0.9},
	} {
		vecs := map[int64][]float32{}
		for i := int64(1); i <= 10; i++ {
			vecs[i] = at(0.9 - 0.01*float64(i))
		}
		vecs[11] = at(0.9 - 0.1 - c.gap)
		got, err := vectorRecall(t.Context(), tiedStore{vecs: vecs}, queries, 10)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.ids-c.ids) > 1e-9 || math.Abs(got.byDistance-c.byDist) > 1e-9 {
			t.Errorf("%s: recall %+v, want ids %v, by distance %v", c.name, got, c.ids, c.byDist)
		}
	}
}
