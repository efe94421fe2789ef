package peers

import (
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
