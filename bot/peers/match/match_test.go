package match

import (
	"math/rand/v2"
	"testing"
)

// brute returns the best (size, weight) over all matchings of a small
// graph: the heaviest, or with maxCard the heaviest of the largest.
func brute(n int, edges []Edge, maxCard bool) (size int, weight int64) {
	used := make([]bool, n)
	var rec func(k, size int, weight int64)
	bestSize, bestW := 0, int64(0)
	rec = func(k, size int, weight int64) {
		better := weight > bestW
		if maxCard {
			better = size > bestSize || (size == bestSize && weight > bestW)
		}
		if better {
			bestSize, bestW = size, weight
		}
		for ; k < len(edges); k++ {
			e := edges[k]
			if used[e.I] || used[e.J] {
				continue
			}
			used[e.I], used[e.J] = true, true
			rec(k+1, size+1, weight+e.W)
			used[e.I], used[e.J] = false, false
		}
	}
	rec(0, 0, 0)
	return bestSize, bestW
}

// check verifies that mate is a matching using only given edges and
// returns its size and weight (the heaviest edge of a duplicated pair).
func check(t *testing.T, n int, edges []Edge, mate []int) (size int, weight int64) {
	t.Helper()
	best := map[[2]int]int64{}
	for _, e := range edges {
		k := [2]int{min(e.I, e.J), max(e.I, e.J)}
		if w, ok := best[k]; !ok || e.W > w {
			best[k] = e.W
		}
	}
	if len(mate) != n {
		t.Fatalf("mate has %d entries, want %d", len(mate), n)
	}
	for i, j := range mate {
		if j == -1 {
			continue
		}
		if j < 0 || j >= n || mate[j] != i || j == i {
			t.Fatalf("mate is not a matching: mate[%d]=%d, mate[%d]=%d", i, j, j, mate[j])
		}
		w, ok := best[[2]int{min(i, j), max(i, j)}]
		if !ok {
			t.Fatalf("matched %d-%d, which is not an edge", i, j)
		}
		if j > i {
			size++
			weight += w
		}
	}
	return size, weight
}

func randomGraph(r *rand.Rand, n int, density float64, maxW int64, negative bool) []Edge {
	var edges []Edge
	for i := range n {
		for j := i + 1; j < n; j++ {
			if r.Float64() < density {
				w := r.Int64N(maxW) + 1
				if negative {
					w -= maxW / 2
				}
				edges = append(edges, Edge{I: i, J: j, W: w})
			}
		}
	}
	return edges
}

func TestExactAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 3000 {
		n := 1 + r.IntN(11)
		density := []float64{0.3, 0.6, 1}[trial%3]
		// Few distinct weights make ties, where blossoms form most.
		maxW := []int64{3, 10, 1000}[(trial/3)%3]
		neg := trial%7 == 0
		edges := randomGraph(r, n, density, maxW, neg)
		for _, maxCard := range []bool{false, true} {
			mate := Exact(n, edges, maxCard)
			size, w := check(t, n, edges, mate)
			wantSize, wantW := brute(n, edges, maxCard)
			if w != wantW || (maxCard && size != wantSize) {
				t.Fatalf("trial %d (n=%d, maxCard=%v): got size %d weight %d, want size %d weight %d\nedges: %v",
					trial, n, maxCard, size, w, wantSize, wantW, edges)
			}
		}
	}
}

// Known cases from the literature of the algorithm, each exercising one
// kind of blossom handling.
func TestExactBlossomCases(t *testing.T) {
	cases := []struct {
		name    string
		n       int
		edges   []Edge
		maxCard bool
		want    []int
	}{
		{"single edge", 2, []Edge{{0, 1, 1}}, false, []int{1, 0}},
		{"path prefers heavy middle", 4, []Edge{{0, 1, 10}, {1, 2, 11}, {2, 3, 10}}, false, []int{1, 0, 3, 2}},
		{"max cardinality trades weight", 4, []Edge{{0, 1, 2}, {1, 2, 5}, {2, 3, 2}}, true, []int{1, 0, 3, 2}},
		{"max weight keeps heavy edge", 4, []Edge{{0, 1, 2}, {1, 2, 5}, {2, 3, 2}}, false, []int{-1, 2, 1, -1}},
		{"S-blossom then augment", 4, []Edge{{0, 1, 8}, {0, 2, 9}, {1, 2, 10}, {2, 3, 7}}, false, []int{1, 0, 3, 2}},
		{"S-blossom relabelled T then expanded", 6, []Edge{{0, 1, 9}, {0, 2, 8}, {1, 2, 10}, {0, 3, 5}, {3, 4, 4}, {0, 5, 3}}, false, []int{5, 2, 1, 4, 3, 0}},
		{"nested S-blossom expanded", 7, []Edge{{0, 1, 9}, {0, 2, 9}, {1, 2, 10}, {1, 3, 8}, {2, 4, 8}, {3, 4, 10}, {4, 5, 6}}, false, []int{2, 3, 0, 1, 5, 4, -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Exact(c.n, c.edges, c.maxCard)
			_, gw := check(t, c.n, c.edges, got)
			_, ww := check(t, c.n, c.edges, c.want)
			if gw != ww {
				t.Errorf("Exact = %v (weight %d), want weight %d as in %v", got, gw, ww, c.want)
			}
		})
	}
}

func oracleOf(edges []Edge) Oracle {
	m := map[[2]int]int64{}
	for _, e := range edges {
		m[[2]int{min(e.I, e.J), max(e.I, e.J)}] = e.W
	}
	return func(i, j int) (int64, bool) {
		w, ok := m[[2]int{min(i, j), max(i, j)}]
		return w, ok
	}
}

func TestApproxIsAValidMatchingAtLeastAsHeavyAsGreedy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 2 + r.IntN(60)
		edges := randomGraph(r, n, 0.3, 100, false)
		w := oracleOf(edges)
		greedy := Greedy(n, edges)
		_, gw := check(t, n, edges, greedy)
		approx := Approx(n, edges, w)
		_, aw := check(t, n, edges, approx)
		if aw < gw {
			t.Fatalf("trial %d: approx weight %d below greedy %d", trial, aw, gw)
		}
		if n <= 12 {
			if _, best := brute(n, edges, false); aw > best {
				t.Fatalf("trial %d: approx weight %d above the optimum %d", trial, aw, best)
			}
		}
	}
}

func TestImproveFindsTwoOptSwap(t *testing.T) {
	// Greedy takes 0-1 (10) and then 2-3 (1); swapping to 0-2, 1-3 gives 18.
	edges := []Edge{{0, 1, 10}, {0, 2, 9}, {1, 3, 9}, {2, 3, 1}}
	mate := Approx(4, edges, oracleOf(edges))
	if _, w := check(t, 4, edges, mate); w != 18 {
		t.Errorf("Approx = %v, weight %d, want 18", mate, w)
	}
}

func TestImproveAugmentsThroughAMatchedPair(t *testing.T) {
	// Greedy takes 1-2 and leaves 0 and 3 free; 0-1, 2-3 matches everyone
	// and weighs more.
	edges := []Edge{{1, 2, 3}, {0, 1, 2}, {2, 3, 2}}
	mate := Approx(4, edges, oracleOf(edges))
	if size, _ := check(t, 4, edges, mate); size != 2 {
		t.Errorf("Approx = %v, want everyone matched", mate)
	}
}

func TestExactEmptyAndEdgeless(t *testing.T) {
	if got := Exact(0, nil, true); got != nil {
		t.Errorf("Exact of no vertices = %v", got)
	}
	if got := Exact(3, nil, true); got[0] != -1 || got[1] != -1 || got[2] != -1 {
		t.Errorf("Exact without edges = %v", got)
	}
}

func BenchmarkExactDense300(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	edges := randomGraph(r, 300, 1, 1000, false)
	for b.Loop() {
		Exact(300, edges, true)
	}
}
