package cli

import (
	"cmp"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/peers"
)

// pairingBenchResult is the --json shape of lore bench pairing; later
// checks rely on its keys.
type pairingBenchResult struct {
	People  int     `json:"people"`
	Rounds  int     `json:"rounds"`
	Seconds float64 `json:"seconds"`
	// CPUSeconds is the CPU time of the same round (user and system, GC
	// included): what the round costs on an idle machine.
	CPUSeconds   float64 `json:"cpu_seconds"`
	Weight       float64 `json:"weight"`
	GreedyWeight float64 `json:"greedy_weight"`
	Repeats      int     `json:"repeats"`
	Unplaced     int     `json:"unplaced"`
	Algorithm    string  `json:"algorithm"`
	// With --exact only: the exact matching over every pair, and the
	// approximation forced at the same size.
	ExactWeight  *float64 `json:"exact_weight,omitempty"`
	ApproxWeight *float64 `json:"approx_weight,omitempty"`
}

// Ceilings of lore bench pairing's sizes; docs/benchmarks.md measured
// 10,000 people over 12 rounds.
const (
	// maxPairingPeople is ten times the people measured, whose round
	// took about a second of CPU.
	maxPairingPeople = 100_000
	// maxPairingRounds is about two years of weekly rounds; each is
	// solved in turn, avoiding the pairs of all earlier ones.
	maxPairingRounds = 100
)

// exactPeopleLimit bounds --exact: the exact matching over every pair is
// cubic in time and quadratic in memory.
const exactPeopleLimit = 3000

func (a *app) benchPairingCommand() *cobra.Command {
	var people, rounds int
	var exact, asJSON bool
	cmd := &cobra.Command{
		Use:   "pairing --people N",
		Short: "Benchmark pairing rounds on a synthetic population",
		Long: `Group a deterministic synthetic population of N people (Zipf-distributed
skills, 50 teams, ten time zones) into pairs as a pairing round does, and
print the time to compute one round, its total weight against a greedy
matching's, and the repeats over --rounds consecutive rounds that each avoid
the pairs of all earlier ones. With --exact (at most 3000 people), also the
weight of the exact matching over every pair and of the approximation used
above 2000 people.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if people < 2 {
				return usageErrorf("--people must be at least 2")
			}
			if rounds < 1 {
				return usageErrorf("--rounds must be positive")
			}
			if err := cmp.Or(overLimit("people", people, maxPairingPeople), overLimit("rounds", rounds, maxPairingRounds)); err != nil {
				return err
			}
			if exact && people > exactPeopleLimit {
				return usageErrorf("--exact runs at most %d people (it is cubic in time)", exactPeopleLimit)
			}
			members := peers.Synthetic(people, 1)
			base := peers.Problem{Members: members, Seed: 1}
			sim := peers.SimulateRounds(base, rounds, rounds)
			greedy := base
			greedy.Algorithm = peers.Greedy
			res := pairingBenchResult{
				People:       people,
				Rounds:       rounds,
				Seconds:      sim.FirstRound.Seconds(),
				CPUSeconds:   sim.FirstRoundCPU.Seconds(),
				Weight:       units(sim.FirstWeight),
				GreedyWeight: units(peers.Solve(greedy).Weight),
				Repeats:      sim.Repeats,
				Unplaced:     sim.Unplaced,
				Algorithm:    "approximate",
			}
			switch {
			case people <= peers.DefaultDenseLimit:
				res.Algorithm = "exact on every pair"
			case people <= peers.DefaultExactLimit:
				res.Algorithm = "exact on the sparsified graph"
			}
			if exact {
				p := base
				p.Algorithm, p.Dense = peers.Exact, true
				ew := units(peers.Solve(p).Weight)
				p = base
				p.Algorithm = peers.Approx
				aw := units(peers.Solve(p).Weight)
				res.ExactWeight, res.ApproxWeight = &ew, &aw
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.io.Out, "people      %d\nround       %.2f s, %.2f s of CPU (%s)\nweight      %.1f (greedy %.1f, %+.2f%%)\nrepeats     %d in %d rounds\nunplaced    %d\n",
				res.People, res.Seconds, res.CPUSeconds, res.Algorithm, res.Weight, res.GreedyWeight,
				100*(res.Weight-res.GreedyWeight)/res.GreedyWeight, res.Repeats, res.Rounds, res.Unplaced)
			if exact {
				fmt.Fprintf(a.io.Out, "exact       %.1f (round at %.2f%% of it; approximation %.1f, %.2f%%)\n",
					*res.ExactWeight, 100*res.Weight / *res.ExactWeight, *res.ApproxWeight, 100**res.ApproxWeight / *res.ExactWeight)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&people, "people", 10000, "number of synthetic people")
	cmd.Flags().IntVar(&rounds, "rounds", 12, "number of simulated rounds for the repeat count")
	cmd.Flags().BoolVar(&exact, "exact", false, "also compute the exact matching over every pair")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	return cmd
}

// units turns the matcher's integer weights back into score units.
func units(w int64) float64 { return float64(w) / peers.Scale }
