package peers

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Synthetic returns a repeatable population of n members for benchmarks
// and tests: skills drawn from a Zipf-like vocabulary of 400 (a few very
// common, most rare), one to four skills to help with and one to three to
// learn, 50 teams, and working hours of 09:00-17:00 in one of ten time
// zones weighted towards Europe and the Americas.
func Synthetic(n int, seed uint64) []Member {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	zipf := rand.NewZipf(r, 1.1, 2, 399)
	skill := func() string { return fmt.Sprintf("skill%03d", zipf.Uint64()) }
	offsets := []int{-8, -5, -5, 0, 0, 1, 1, 1, 2, 5, 8, 10} // hours from UTC
	pick := func(k int) []string {
		out := make([]string, 0, k)
		for range k {
			out = append(out, skill())
		}
		return out
	}
	members := make([]Member, n)
	for i := range members {
		off := offsets[r.IntN(len(offsets))] * 60
		start := ((9*60-off)%1440 + 1440) % 1440
		members[i] = Member{
			ID:        fmt.Sprintf("u%05d", i),
			Team:      fmt.Sprintf("team%02d", r.IntN(50)),
			Can:       pick(1 + r.IntN(4)),
			Learn:     pick(1 + r.IntN(3)),
			WorkStart: start,
			WorkEnd:   start + 8*60,
		}
	}
	return members
}

// Simulation is the outcome of SimulateRounds.
type Simulation struct {
	Rounds     int
	Repeats    int           // pairs grouped again within the window
	FirstRound time.Duration // time to solve the first round
	// FirstRoundCPU is the process's CPU time (user and system) during the
	// first round; 0 where it is not measured. Unlike FirstRound it hardly
	// depends on other programs' load.
	FirstRoundCPU time.Duration
	FirstWeight   int64
	TotalWeight   int64
	Unplaced      int
	AvoidedPairs  int // recent pairs the last round had to avoid
}

// SimulateRounds solves rounds consecutive rounds of the same members,
// each avoiding the pairs of the previous avoid rounds, as Lore does.
func SimulateRounds(base Problem, rounds, avoid int) Simulation {
	var sim Simulation
	history := make([][]Pair, 0, rounds)
	for r := range rounds {
		p := base
		p.Seed = base.Seed + uint64(r)
		p.Recent = map[Pair]bool{}
		for _, past := range history[max(0, len(history)-avoid):] {
			for _, pr := range past {
				p.Recent[pr] = true
			}
		}
		start, cpu := time.Now(), processCPU()
		plan := Solve(p)
		if r == 0 {
			sim.FirstRound = time.Since(start)
			sim.FirstRoundCPU = processCPU() - cpu
			sim.FirstWeight = plan.Weight
		}
		sim.AvoidedPairs = len(p.Recent)
		sim.Repeats += plan.Repeats
		sim.TotalWeight += plan.Weight
		sim.Unplaced += len(plan.Unplaced)
		var pairs []Pair
		for _, g := range plan.Groups {
			for a := range g {
				for b := a + 1; b < len(g); b++ {
					pairs = append(pairs, PairOf(g[a], g[b]))
				}
			}
		}
		history = append(history, pairs)
		sim.Rounds++
	}
	return sim
}
