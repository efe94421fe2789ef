package peers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func placed(t *testing.T, n int, plan Plan) {
	t.Helper()
	seen := make([]int, n)
	for _, g := range plan.Groups {
		for _, x := range g {
			seen[x]++
		}
	}
	for _, x := range plan.Unplaced {
		seen[x]++
	}
	for i, c := range seen {
		if c != 1 {
			t.Fatalf("member %d appears %d times in the plan %+v", i, c, plan)
		}
	}
}

func TestSolveOddCountMakesOneGroupOfThree(t *testing.T) {
	for _, algo := range []Algorithm{Exact, Approx} {
		plan := Solve(Problem{Members: Synthetic(101, 3), Algorithm: algo})
		placed(t, 101, plan)
		var sizes []int
		for _, g := range plan.Groups {
			sizes = append(sizes, len(g))
		}
		slices.Sort(sizes)
		if len(plan.Unplaced) != 0 || sizes[len(sizes)-1] != 3 || sizes[len(sizes)-2] != 2 || sizes[0] != 2 {
			t.Errorf("algorithm %d: sizes %v, unplaced %v; want pairs and one group of three", algo, sizes, plan.Unplaced)
		}
	}
}

func TestSolveRespectsBlocks(t *testing.T) {
	members := Synthetic(4, 1)
	// 0 has blocked 1 and 2: only 0-3 is possible for 0.
	plan := Solve(Problem{Members: members, Blocked: map[Pair]bool{{0, 1}: true, {0, 2}: true}})
	placed(t, 4, plan)
	for _, g := range plan.Groups {
		if slices.Contains(g, 0) && !slices.Equal(g, []int{0, 3}) {
			t.Errorf("groups %v put 0 with someone it blocked", plan.Groups)
		}
	}
}

func TestSolveReportsWhoCannotBePlaced(t *testing.T) {
	members := Synthetic(3, 1)
	plan := Solve(Problem{Members: members, Blocked: map[Pair]bool{{0, 1}: true, {0, 2}: true}})
	placed(t, 3, plan)
	if !slices.Equal(plan.Unplaced, []int{0}) {
		t.Errorf("unplaced = %v, want [0] (blocked everyone)", plan.Unplaced)
	}
}

func TestSolveAvoidsRecentPairsWhenPossible(t *testing.T) {
	// Four people: 0-1 and 2-3 met last round; 0-2/1-3 or 0-3/1-2 avoid a
	// repeat.
	plan := Solve(Problem{Members: Synthetic(4, 2), Recent: map[Pair]bool{{0, 1}: true, {2, 3}: true}})
	if plan.Repeats != 0 {
		t.Errorf("groups %v repeat a recent pair", plan.Groups)
	}
	// When every pairing repeats, repeats are allowed rather than leaving
	// people out.
	all := map[Pair]bool{{0, 1}: true, {0, 2}: true, {0, 3}: true, {1, 2}: true, {1, 3}: true, {2, 3}: true}
	plan = Solve(Problem{Members: Synthetic(4, 2), Recent: all})
	placed(t, 4, plan)
	if len(plan.Groups) != 2 || plan.Repeats != 2 {
		t.Errorf("groups %v (repeats %d), want two pairs that repeat", plan.Groups, plan.Repeats)
	}
}

func TestSolveGroupsOfThreeOrFour(t *testing.T) {
	for _, n := range []int{6, 7, 8, 9, 10, 11, 12, 50, 51} {
		plan := Solve(Problem{Members: Synthetic(n, 4), GroupSize: 4})
		placed(t, n, plan)
		for _, g := range plan.Groups {
			if len(g) < 3 || len(g) > 4 {
				t.Errorf("n=%d: group %v has %d members, want 3 or 4", n, g, len(g))
			}
		}
	}
}

func TestTwelveRoundsWithoutRepeats(t *testing.T) {
	sim := SimulateRounds(Problem{Members: Synthetic(200, 5)}, 12, 12)
	if sim.Repeats != 0 || sim.Unplaced != 0 {
		t.Errorf("12 rounds of 200: %d repeats, %d unplaced; want 0 and 0", sim.Repeats, sim.Unplaced)
	}
}

func TestApproxCloseToExact(t *testing.T) {
	members := Synthetic(300, 6)
	exact := Solve(Problem{Members: members, Algorithm: Exact, Dense: true})
	approx := Solve(Problem{Members: members, Algorithm: Approx})
	greedy := Solve(Problem{Members: members, Algorithm: Greedy})
	if approx.Weight > exact.Weight {
		t.Fatalf("approx %d above the exact optimum %d", approx.Weight, exact.Weight)
	}
	if float64(approx.Weight) < 0.97*float64(exact.Weight) || approx.Weight < greedy.Weight {
		t.Errorf("approx %d, greedy %d, exact %d: want approx within 3%% of exact and not below greedy",
			approx.Weight, greedy.Weight, exact.Weight)
	}
}

func TestWeightParts(t *testing.T) {
	a := Member{ID: "a", Team: "x", Can: []string{"go"}, Learn: []string{"sql"}, WorkStart: 9 * 60, WorkEnd: 17 * 60}
	b := Member{ID: "b", Team: "y", Can: []string{"sql"}, Learn: []string{"go"}, WorkStart: 9 * 60, WorkEnd: 17 * 60}
	c := Member{ID: "c", Team: "x", Can: []string{"art"}, Learn: []string{"art"}, WorkStart: 21 * 60, WorkEnd: 29 * 60}
	s := newScorer(&Problem{Members: []Member{a, b, c}})
	want := int64((WeightBase + 2*WeightComplement + WeightTeam + WeightOverlap) * Scale)
	if got := s.weight(0, 1); got != want {
		t.Errorf("complementary pair = %d, want %d", got, want)
	}
	if got := s.weight(0, 2); got != WeightBase*Scale {
		t.Errorf("same team, no common skill, no overlap = %d, want %d", got, int64(WeightBase*Scale))
	}
}

func TestSkillsParse(t *testing.T) {
	s := NewSkills(DefaultSynonyms)
	got, err := s.Parse("Go, Negotiation and K8s; public   speaking, negotiating, and")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"golang", "negotiation", "kubernetes", "public speaking"}
	if !slices.Equal(got, want) {
		t.Errorf("Parse = %q, want %q", got, want)
	}
	if Key("negotiating") != Key("negotiation") {
		t.Errorf("keys differ: %q %q", Key("negotiating"), Key("negotiation"))
	}
	if _, err := s.Parse(string(make([]byte, 200)) + "x"); err != nil {
		t.Errorf("NUL bytes should be dropped, got %v", err)
	}
	long := "a very long skill name that goes on beyond any reasonable length for one skill, really"
	if _, err := s.Parse(long); err == nil {
		t.Error("over-long skill accepted")
	}
	if got, _ := s.Parse("c++, C#, node.js"); !slices.Equal(got, []string{"c++", "c#", "node.js"}) {
		t.Errorf("symbols lost: %q", got)
	}
}

// repeatFreeExists reports, by trying every grouping, whether the n
// members can all be grouped with no blocked and no recent pair: in pairs
// with one group of three when n is odd, or (threes) in groups of three
// or four.
func repeatFreeExists(n int, p Problem, threes bool) bool {
	ok := func(i, j int) bool { return !p.Blocked[PairOf(i, j)] && !p.Recent[PairOf(i, j)] }
	used := make([]bool, n)
	var rec func(left int, trioLeft bool) bool
	rec = func(left int, trioLeft bool) bool {
		if left == 0 {
			return true
		}
		i := slices.Index(used, false)
		sizes := []int{2}
		if trioLeft {
			sizes = append(sizes, 3)
		}
		if threes {
			sizes = []int{3, 4}
		}
		used[i] = true
		defer func() { used[i] = false }()
		var grow func(g []int, from, size int) bool
		grow = func(g []int, from, size int) bool {
			if len(g) == size {
				return rec(left-size, trioLeft && size != 3)
			}
			for j := from; j < n; j++ {
				if used[j] || slices.ContainsFunc(g, func(x int) bool { return !ok(x, j) }) {
					continue
				}
				used[j] = true
				found := grow(append(g, j), j+1, size)
				used[j] = false
				if found {
					return true
				}
			}
			return false
		}
		for _, size := range sizes {
			if left >= size && grow([]int{i}, i+1, size) {
				return true
			}
		}
		return false
	}
	return rec(n, !threes && n%2 == 1)
}

// TestSolveRepeatsOnlyWhenUnavoidable checks Solve against brute force on
// 3,000 random small problems per setting: a plan repeats a recent pair
// only when no grouping of everyone without one exists.
func TestSolveRepeatsOnlyWhenUnavoidable(t *testing.T) {
	for _, dense := range []bool{false, true} {
		for _, size := range []int{2, 4} {
			t.Run(fmt.Sprintf("dense=%v/size=%d", dense, size), func(t *testing.T) {
				t.Parallel()
				for trial := range uint64(3000) {
					r := rand.New(rand.NewPCG(trial, 1))
					n := 2 + r.IntN(8)
					if size == 4 {
						n = 6 + r.IntN(4)
					}
					p := Problem{Members: Synthetic(n, trial), Recent: map[Pair]bool{}, Blocked: map[Pair]bool{}, Seed: trial, Dense: dense, GroupSize: size}
					for i := range n {
						for j := i + 1; j < n; j++ {
							switch x := r.Float64(); {
							case x < 0.45:
								p.Recent[Pair{i, j}] = true
							case x < 0.5:
								p.Blocked[Pair{i, j}] = true
							}
						}
					}
					plan := Solve(p)
					if plan.Repeats > 0 && repeatFreeExists(n, p, size == 4) {
						t.Fatalf("trial %d, %d members: groups %v repeat %d recent pairs; a grouping without repeats exists",
							trial, n, plan.Groups, plan.Repeats)
					}
				}
			})
		}
	}
}

func TestSolveSmallPoolUsesEveryPair(t *testing.T) {
	// Four people, three of the six pairs recent: 0-1 with 2-3 is the only
	// grouping without a repeat. Sampled with replacement, the candidates
	// of the second solve missed 0-1.
	recent := map[Pair]bool{{0, 3}: true, {1, 2}: true, {1, 3}: true}
	if plan := Solve(Problem{Members: Synthetic(4, 18), Recent: recent, Seed: 18}); plan.Repeats != 0 {
		t.Errorf("groups %v repeat %d recent pairs; [0 1] [2 3] repeats none", plan.Groups, plan.Repeats)
	}
	// A third round of four people after two: whatever the seed, the
	// remaining pairs 0-3 and 1-2.
	members := make([]Member, 4)
	for i := range members {
		members[i] = Member{ID: fmt.Sprint(i), WorkStart: 540, WorkEnd: 1020}
	}
	recent = map[Pair]bool{{0, 1}: true, {2, 3}: true, {0, 2}: true, {1, 3}: true}
	for seed := range uint64(200) {
		if plan := Solve(Problem{Members: members, Recent: recent, Seed: seed}); plan.Repeats != 0 {
			t.Fatalf("seed %d: groups %v repeat %d recent pairs", seed, plan.Groups, plan.Repeats)
		}
	}
}

func TestCandidatesDrawOthersWithoutReplacement(t *testing.T) {
	// No skills: every candidate is a random draw, so each member is
	// offered randomCandidates distinct others, never themselves.
	members := make([]Member, 100)
	for i := range members {
		members[i] = Member{ID: fmt.Sprint(i)}
	}
	s := newScorer(&Problem{Members: members})
	for i := range 10 {
		edges := s.candidateBlock(i, i+1, len(members), uint64(i), false)
		if len(edges) != randomCandidates {
			t.Errorf("member %d: %d candidates, want %d distinct others", i, len(edges), randomCandidates)
		}
	}
}

func TestMergePairsAvoidsRepeats(t *testing.T) {
	// Eight people in four pairs; the heaviest joins put 0-1 with 2-3 and
	// 4-5 with 6-7 (0 and 1 can help 2 and 3 with go, 4 and 5 help 6 and
	// 7 with sql), but 0 met 2 and 4 met 6. Joined the other way, nobody
	// meets again.
	members := make([]Member, 8)
	for i := range members {
		members[i] = Member{ID: fmt.Sprint(i), WorkStart: 540, WorkEnd: 1020}
	}
	for _, i := range []int{0, 1} {
		members[i].Can, members[i+2].Learn = []string{"go"}, []string{"go"}
		members[i+4].Can, members[i+6].Learn = []string{"sql"}, []string{"sql"}
	}
	p := Problem{Members: members, Recent: map[Pair]bool{{0, 2}: true, {4, 6}: true}}
	s := newScorer(&p)
	groups := s.mergePairs([][]int{{0, 1}, {2, 3}, {4, 5}, {6, 7}})
	if n := repeatsIn(p, groups); len(groups) != 2 || n != 0 {
		t.Errorf("groups %v repeat %d recent pairs; [0 1 4 5] [2 3 6 7] or [0 1 6 7] [2 3 4 5] repeat none", groups, n)
	}
	// A lone pair splits a group of four without a repeat where it can:
	// 8 met 0 and 9 met 1, so [0 1 8] and [2 3 9], the first split
	// tried, would repeat.
	p.Members = append(members, Member{ID: "8"}, Member{ID: "9"})
	p.Recent = map[Pair]bool{{0, 8}: true, {1, 9}: true}
	s = newScorer(&p)
	groups = s.mergePairs([][]int{{0, 1, 2, 3}, {8, 9}})
	if n := repeatsIn(p, groups); len(groups) != 2 || n != 0 {
		t.Errorf("groups %v repeat %d recent pairs; want two groups of three without repeats", groups, n)
	}
}

func repeatsIn(p Problem, groups [][]int) int {
	n := 0
	for _, g := range groups {
		for a := range g {
			for b := a + 1; b < len(g); b++ {
				if p.Recent[PairOf(g[a], g[b])] {
					n++
				}
			}
		}
	}
	return n
}
