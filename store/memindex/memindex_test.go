package memindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/lorehq/lore/store"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/synth"
)

func TestLexicalRanksBySpecificity(t *testing.T) {
	ix := New(0)
	ix.Add(1, "a", "c", []string{"leav", "parent", "week", "paid"}, nil)
	ix.Add(2, "b", "c", []string{"leav", "annual", "day", "holiday", "leav"}, nil)
	ix.Add(3, "c", "c", []string{"laptop", "setup", "vpn"}, nil)
	hits := ix.SearchLexical([]string{"parent", "leav"}, 10, store.Everything)
	if len(hits) != 2 {
		t.Fatalf("got %d hits, want 2: %+v", len(hits), hits)
	}
	if hits[0].ChunkID != 1 || hits[0].DocID != "a" {
		t.Errorf("best hit = %+v, want chunk 1 of doc a", hits[0])
	}
	if !(hits[0].Score > hits[1].Score) {
		t.Errorf("scores not descending: %+v", hits)
	}
	if got := ix.SearchLexical([]string{"unknown"}, 10, store.Everything); len(got) != 0 {
		t.Errorf("unknown term matched %+v", got)
	}
	if got := ix.SearchLexical([]string{"leav"}, 1, store.Everything); len(got) != 1 {
		t.Errorf("k=1 returned %d hits", len(got))
	}
}

func TestRemoveAndReplace(t *testing.T) {
	ix := New(0)
	ix.Add(1, "a", "c", []string{"alpha", "beta"}, nil)
	ix.Add(2, "b", "c", []string{"beta", "gamma"}, nil)
	ix.Remove(1)
	ix.Remove(42) // unknown: ignored
	if ix.Len() != 1 {
		t.Fatalf("Len = %d, want 1", ix.Len())
	}
	if hits := ix.SearchLexical([]string{"alpha"}, 5, store.Everything); len(hits) != 0 {
		t.Errorf("removed chunk still found: %+v", hits)
	}
	ix.Add(2, "b", "c", []string{"delta"}, nil) // replace in place
	if hits := ix.SearchLexical([]string{"gamma"}, 5, store.Everything); len(hits) != 0 {
		t.Errorf("replaced terms still found: %+v", hits)
	}
	if hits := ix.SearchLexical([]string{"delta"}, 5, store.Everything); len(hits) != 1 || hits[0].ChunkID != 2 {
		t.Errorf("replacement not found: %+v", hits)
	}
}

func TestCompactionKeepsResults(t *testing.T) {
	ix := New(4)
	for round := 0; round < 5; round++ {
		for i := int64(0); i < 1000; i++ {
			ix.Add(i, fmt.Sprint("d", i), "c", []string{fmt.Sprint("t", i), "common"}, []float32{float32(i), 1, 0, 0})
		}
	}
	if ix.Len() != 1000 {
		t.Fatalf("Len = %d, want 1000", ix.Len())
	}
	if len(ix.slots) > 2000 {
		t.Errorf("slots = %d: removed slots were never compacted", len(ix.slots))
	}
	hits := ix.SearchLexical([]string{"t777"}, 3, store.Everything)
	if len(hits) != 1 || hits[0].ChunkID != 777 {
		t.Fatalf("after compaction t777 -> %+v", hits)
	}
	vh := ix.SearchVector([]float32{0, 1, 0, 0}, 1, store.Everything)
	if len(vh) != 1 || vh[0].ChunkID != 0 {
		t.Fatalf("after compaction nearest to (0,1,0,0) = %+v, want chunk 0", vh)
	}
}

// clustered returns n unit vectors around a few hundred random centres, the
// way embeddings of related passages cluster, and queries near the same
// centres.
func clustered(r *rand.Rand, n, nq, dim int) (vecs, queries [][]float32) {
	centres := make([][]float32, 300)
	for i := range centres {
		centres[i] = randomUnit(r, dim, nil, 0)
	}
	return around(r, centres, n, dim), around(r, centres, nq, dim)
}

func around(r *rand.Rand, centres [][]float32, n, dim int) [][]float32 {
	out := make([][]float32, n)
	for i := range out {
		out[i] = randomUnit(r, dim, centres[r.IntN(len(centres))], 0.6)
	}
	return out
}

func randomUnit(r *rand.Rand, dim int, centre []float32, noise float64) []float32 {
	v := make([]float32, dim)
	var norm float64
	for i := range v {
		x := r.NormFloat64()
		if centre != nil {
			x = float64(centre[i]) + noise*x/math.Sqrt(float64(dim))
		}
		v[i] = float32(x)
		norm += x * x
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(norm))
	}
	return v
}

func exactTop(vecs [][]float32, q []float32, k int) []int64 {
	type sc struct {
		id int64
		s  float64
	}
	all := make([]sc, len(vecs))
	for i, v := range vecs {
		var d float64
		for j := range v {
			d += float64(v[j]) * float64(q[j])
		}
		all[i] = sc{int64(i), d}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	ids := make([]int64, k)
	for i := range ids {
		ids[i] = all[i].id
	}
	return ids
}

func TestVectorRecallAgainstExactScan(t *testing.T) {
	const n, dim, k = 20000, 256, 10
	r := rand.New(rand.NewPCG(1, 2))
	vecs, queries := clustered(r, n, 100, dim)
	ix := New(dim)
	for i, v := range vecs {
		ix.Add(int64(i), "d", "c", nil, v)
	}
	found, total := 0, 0
	for _, q := range queries {
		want := exactTop(vecs, q, k)
		got := map[int64]bool{}
		for _, h := range ix.SearchVector(q, k, store.Everything) {
			got[h.ChunkID] = true
		}
		for _, id := range want {
			if got[id] {
				found++
			}
			total++
		}
	}
	recall := float64(found) / float64(total)
	if recall < 0.95 {
		t.Fatalf("recall@10 against exact scan = %.3f, want >= 0.95", recall)
	}
	t.Logf("recall@10 = %.3f", recall)
}

// Short questions against the offline embedder's vectors of synthetic
// text, whose sign bits say little about which chunks are nearest, are
// still answered as an exact scan would in an index of up to exactUpTo:
// every vector is re-ranked (sign bits alone gave recall@10 0.18 here).
func TestVectorSearchOfASmallIndexIsExact(t *testing.T) {
	const n, k = 3000, 10
	opts := synth.Options{Chunks: n, Seed: 1}
	texts, err := synth.ChunkTexts(opts)
	if err != nil {
		t.Fatal(err)
	}
	h := embed.NewHashed(0)
	ix := New(embed.DefaultDimensions)
	vecs := make([][]float32, len(texts))
	for i, text := range texts {
		vecs[i] = h.VectorOf(analyze.Analyze(text))
		ix.Add(int64(i), "d", "c", nil, vecs[i])
	}
	found, total := 0, 0
	for _, question := range synth.Queries(opts, 100) {
		q := h.VectorOf(analyze.Analyze(question))
		got := map[int64]bool{}
		for _, h := range ix.SearchVector(q, k, store.Everything) {
			got[h.ChunkID] = true
		}
		for _, id := range exactTop(vecs, q, k) {
			if got[id] {
				found++
			}
			total++
		}
	}
	if recall := float64(found) / float64(total); recall < 0.95 {
		t.Errorf("recall@10 = %.3f against an exact scan of %d chunks, want at least 0.95", recall, n)
	}
}

func TestVectorIgnoresWrongDimensionAndZero(t *testing.T) {
	ix := New(3)
	ix.Add(1, "a", "c", nil, []float32{1, 0, 0})
	ix.Add(2, "b", "c", nil, []float32{0, 1}) // wrong dimension: not searchable by vector
	ix.Add(3, "c", "c", nil, []float32{0, 0, 0})
	hits := ix.SearchVector([]float32{0, 1, 0}, 5, store.Everything)
	for _, h := range hits {
		if h.ChunkID != 1 {
			t.Errorf("unexpected hit %+v", h)
		}
	}
	if got := ix.SearchVector([]float32{1, 0}, 5, store.Everything); got != nil {
		t.Errorf("query of wrong dimension returned %+v", got)
	}
}

// benchScopes are the scopes the benchmarks search: every collection (the
// unfiltered path), and a reader kept out of one collection in ten.
var benchScopes = []struct {
	name  string
	scope store.Scope
}{
	{"all", store.Everything},
	{"scoped", store.Scope{All: true, Except: []string{"c0"}}},
}

func BenchmarkSearchLexical(b *testing.B) {
	for _, sc := range benchScopes {
		b.Run(sc.name, func(b *testing.B) { benchLexical(b, sc.scope) })
	}
}

func benchLexical(b *testing.B, scope store.Scope) {
	r := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(r, 1.1, 1, 50000)
	ix := New(0)
	for i := 0; i < 100000; i++ {
		terms := make([]string, 80)
		for j := range terms {
			terms[j] = fmt.Sprint("w", zipf.Uint64())
		}
		ix.Add(int64(i), "d", fmt.Sprint("c", i%10), terms, nil)
	}
	queries := make([][]string, 100)
	for i := range queries {
		for j := 0; j < 5; j++ {
			queries[i] = append(queries[i], fmt.Sprint("w", zipf.Uint64()))
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.SearchLexical(queries[i%len(queries)], 10, scope)
	}
}

func BenchmarkSearchVector(b *testing.B) {
	for _, sc := range benchScopes {
		b.Run(sc.name, func(b *testing.B) { benchVector(b, sc.scope, 100000) })
	}
	// The largest index searched exactly.
	b.Run("exact", func(b *testing.B) { benchVector(b, store.Everything, exactUpTo) })
}

func benchVector(b *testing.B, scope store.Scope, n int) {
	r := rand.New(rand.NewPCG(5, 6))
	vecs, queries := clustered(r, n, 100, 256)
	ix := New(256)
	for i, v := range vecs {
		ix.Add(int64(i), "d", fmt.Sprint("c", i%10), nil, v)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ix.SearchVector(queries[i%len(queries)], 10, scope)
	}
}

// TestScopedSearchNeverCrowdedOut: chunks out of scope rank best for both
// searches, yet a scoped search returns k chunks in scope, and none other.
func TestScopedSearchNeverCrowdedOut(t *testing.T) {
	ix := New(4)
	// 50 secret chunks match the query best, by words and by vector;
	// 5 public ones match it less well.
	for i := range 50 {
		ix.Add(int64(i), fmt.Sprint("s", i), "secret", []string{"salari", "salari", "band"}, []float32{1, 0.01 * float32(i), 0, 0})
	}
	for i := range 5 {
		ix.Add(int64(100+i), fmt.Sprint("p", i), "public", []string{"salari", "holiday", "week", "day"}, []float32{0.5, 1, 0, 0})
	}
	public := store.Scope{All: true, Except: []string{"secret"}}
	for name, hits := range map[string][]store.Hit{
		"lexical": ix.SearchLexical([]string{"salari", "band"}, 5, public),
		"vector":  ix.SearchVector([]float32{1, 0, 0, 0}, 5, public),
	} {
		if len(hits) != 5 {
			t.Errorf("%s: %d hits, want the 5 public chunks", name, len(hits))
		}
		for _, h := range hits {
			if h.ChunkID < 100 {
				t.Errorf("%s: returned secret chunk %d", name, h.ChunkID)
			}
		}
	}
	// Unscoped, the secret chunks lead; an allow-list of one collection and
	// the empty scope behave as they say.
	if hits := ix.SearchLexical([]string{"salari", "band"}, 5, store.Everything); len(hits) != 5 || hits[0].ChunkID >= 100 {
		t.Errorf("unscoped search: %+v, want secret chunks first", hits)
	}
	if hits := ix.SearchVector([]float32{1, 0, 0, 0}, 3, store.Scope{Collections: []string{"secret"}}); len(hits) != 3 || hits[0].ChunkID >= 100 {
		t.Errorf("search of the secret collection alone: %+v", hits)
	}
	if hits := ix.SearchLexical([]string{"salari"}, 5, store.Scope{}); len(hits) != 0 {
		t.Errorf("the empty scope found %+v", hits)
	}
	if hits := ix.SearchVector([]float32{1, 0, 0, 0}, 5, store.Scope{Collections: []string{"unknown"}}); len(hits) != 0 {
		t.Errorf("a scope of an unknown collection found %+v", hits)
	}
}

// BenchmarkAdd indexes chunks as a load does: the analysed terms (words
// and phrases) and offline vectors of synthetic chunks.
func BenchmarkAdd(b *testing.B) {
	const chunks = 20000
	texts, err := synth.ChunkTexts(synth.Options{Chunks: chunks, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	terms := make([][]string, len(texts))
	vecs := make([][]float32, len(texts))
	h := embed.NewHashed(0)
	for i, text := range texts {
		a := analyze.Analyze(text)
		terms[i], vecs[i] = a.Terms(), h.VectorOf(a)
	}
	b.ResetTimer()
	for b.Loop() {
		ix := New(0)
		for i := range texts {
			ix.Add(int64(i), "d", "c", terms[i], vecs[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(texts)), "ns/chunk")
}

// Term frequencies are counted per chunk, also when the counter that marks
// a chunk's terms wraps around.
func TestAddCountsTermFrequencies(t *testing.T) {
	ix := New(0)
	r := rand.New(rand.NewPCG(5, 6))
	want := map[int64]map[string]uint32{}
	for id := range int64(300) {
		if id == 1 {
			// The next Add wraps and marks with 1, as the first did.
			ix.addGen = math.MaxUint32
		}
		var terms []string
		want[id] = map[string]uint32{}
		for range r.IntN(40) {
			w := fmt.Sprint("w", r.IntN(60))
			terms = append(terms, w, w+"_x")
			want[id][w]++
		}
		ix.Add(id, "d", "c", terms, nil)
	}
	for term, tid := range ix.termIDs {
		df := 0
		for _, p := range ix.postings[tid] {
			id := ix.slots[p.slot].id
			if p.tf != want[id][term] {
				t.Fatalf("chunk %d: tf(%s) = %d, want %d", id, term, p.tf, want[id][term])
			}
			df++
		}
		n := 0
		for _, tf := range want {
			if tf[term] > 0 {
				n++
			}
		}
		if df != n || int(ix.docFreq[tid]) != n {
			t.Fatalf("%s: %d postings, docFreq %d; want %d", term, df, ix.docFreq[tid], n)
		}
	}
}

func TestSortHashes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var tmp []uint16
	for n := range 300 {
		a := make([]uint16, n)
		for i := range a {
			a[i] = uint16(r.Uint32())
			if n%3 == 0 {
				a[i] %= 16 // many repeats
			}
		}
		want := slices.Clone(a)
		slices.Sort(want)
		tmp = sortHashes(a, tmp)
		if !slices.Equal(a, want) {
			t.Fatalf("%d hashes sorted as %v, want %v", n, a, want)
		}
	}
}
