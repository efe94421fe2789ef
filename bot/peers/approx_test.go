package peers

import "testing"

// The approximation used above DefaultExactLimit members stays within 1%
// of the exact matching on the same graph where both run (the issue's
// target at 1,000 people). Seed 3 is the harder of the populations
// measured; lore bench pairing --exact reports seed 1.
func TestApproxWithinOnePercentOfExactAt1000(t *testing.T) {
	for _, seed := range []uint64{3} {
		base := Problem{Members: Synthetic(1000, seed), Seed: seed}
		exact, approx := base, base
		exact.Algorithm, approx.Algorithm = Exact, Approx
		ew, aw := Solve(exact).Weight, Solve(approx).Weight
		if float64(aw) < 0.99*float64(ew) {
			t.Errorf("seed %d: approximation %d is %.2f%% of exact %d, want at least 99%%", seed, aw, 100*float64(aw)/float64(ew), ew)
		}
		t.Logf("seed %d: approximation at %.2f%% of exact", seed, 100*float64(aw)/float64(ew))
	}
}
