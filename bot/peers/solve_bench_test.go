package peers

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkSolve10000 is one pairing round of the 10,000 synthetic people
// of lore bench pairing; run it with -cpuprofile to see where a round's
// time goes.
func BenchmarkSolve10000(b *testing.B) {
	p := Problem{Members: Synthetic(10000, 1), Seed: 1}
	for b.Loop() {
		_ = Solve(p)
	}
}

// topCandidates keeps exactly the k best candidates a full sort would
// keep, ties included.
func TestTopCandidatesMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 500 {
		n := r.IntN(200)
		k := 1 + r.IntN(40)
		cs := make([]cand, n)
		for i := range cs {
			cs[i] = cand{j: r.IntN(1000), w: int64(r.IntN(8))} // many ties
		}
		want := slices.Clone(cs)
		slices.SortFunc(want, func(a, b cand) int {
			if a.better(b) {
				return -1
			}
			if b.better(a) {
				return 1
			}
			return 0
		})
		want = want[:min(k, n)]
		got := slices.Clone(topCandidates(slices.Clone(cs), k))
		slices.SortFunc(got, func(a, b cand) int {
			if a.better(b) {
				return -1
			}
			if b.better(a) {
				return 1
			}
			return 0
		})
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d (n %d, k %d): got %v, want %v", trial, n, k, got, want)
		}
	}
}
