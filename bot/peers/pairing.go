package peers

import (
	"cmp"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/lorehq/lore/bot/peers/match"
)

// Member is one person as the pairing sees them: who they are, what they
// can help with and want to learn (skill keys), their team, and their
// working hours in UTC minutes.
type Member struct {
	ID    string
	Team  string
	Can   []string // skill keys
	Learn []string // skill keys
	// WorkStart and WorkEnd are the person's working hours as minutes from
	// midnight UTC; WorkEnd may exceed 1440 for hours that cross midnight.
	WorkStart, WorkEnd int
}

// Weights of the parts of a pair's score. A pair scores Base plus
// Complement per skill one can help the other learn, Shared per common
// interest (both learning or both helping with the same thing), Team when
// they work in different teams, and up to Overlap for working hours that
// overlap fully. Every allowed pair scores above zero, so a larger matching
// is always a heavier one.
const (
	WeightBase       = 1.0
	WeightComplement = 3.0
	WeightShared     = 1.0
	WeightTeam       = 1.0
	WeightOverlap    = 2.0
	// maxCounted caps the skill matches that count, so one person with a
	// long list does not dominate.
	maxCounted = 3
	// Scale turns weights into the integers match works with: a Plan weight
	// of Scale is one unit of score.
	Scale = 1000
)

// Pair is an unordered pair of member indexes, lower first.
type Pair [2]int

// PairOf returns the Pair of i and j.
func PairOf(i, j int) Pair {
	if i > j {
		i, j = j, i
	}
	return Pair{i, j}
}

// Problem is one round's matching problem.
type Problem struct {
	Members []Member
	// Blocked pairs are never grouped together.
	Blocked map[Pair]bool
	// Recent pairs met in the last rounds; they are grouped again only
	// when no grouping without repeats places everyone.
	Recent map[Pair]bool
	// GroupSize is 2 (pairs, with one group of three when the count is
	// odd) or 4 (groups of three or four).
	GroupSize int
	// ExactLimit is the largest member count matched by the exact
	// algorithm; above it Approx runs. Default DefaultExactLimit.
	ExactLimit int
	// Neighbours is how many best candidates per member the sparsified
	// graph keeps. Default DefaultNeighbours.
	Neighbours int
	// Seed makes the random candidates repeatable.
	Seed uint64
	// Algorithm forces one matching algorithm; default Auto.
	Algorithm Algorithm
	// Dense uses every allowed pair instead of the sparsified graph: for
	// measuring how much the sparsification loses, at small sizes only.
	Dense bool
}

// Algorithm names the matching that forms the pairs.
type Algorithm int

// Algorithms of Problem.Algorithm.
const (
	Auto   Algorithm = iota // Exact up to ExactLimit members, Approx above
	Exact                   // blossom, exact on the graph it is given
	Approx                  // greedy then local search
	Greedy                  // greedy only, for comparison
)

// Defaults of Problem.
const (
	DefaultExactLimit = 2000
	DefaultNeighbours = 24
	// DefaultDenseLimit is the largest pool Solve groups over every
	// allowed pair, with the default Neighbours: about twice the
	// candidates a member is given.
	DefaultDenseLimit = 2 * (DefaultNeighbours + randomCandidates)
)

// Plan is the grouping of a round.
type Plan struct {
	Groups [][]int // member indexes
	// Unplaced members could not join any group: they have blocked, or
	// been blocked by, everyone else, or are alone. They are told so.
	Unplaced []int
	// Repeats counts pairs in Groups that met in a recent round.
	Repeats int
	// Weight is the sum of the pair weights within groups.
	Weight int64
	// Exact is true when the pairs come from the exact matching.
	Exact bool
}

// scorer computes pair weights over interned skills.
type scorer struct {
	p        *Problem
	can, lrn [][]int32 // sorted skill ids per member
	skillIDs map[string]int32
	canIndex [][]int32 // skill id -> members who can help
	lrnIndex [][]int32 // skill id -> members learning
	// team is each member's team as a small number (-1: none): weight
	// runs millions of times, and comparing numbers beats comparing names.
	team []int32
	// hours is each member's working hours as a small number, and
	// overlap[hours[i]*nHours+hours[j]] is WeightOverlap times their
	// overlapShare: people share a few working-hour patterns (one per
	// time zone, mostly), so the overlap of two patterns is computed once
	// rather than for every pair weighed.
	hours   []int32
	nHours  int
	overlap []float64
}

// maxHourPatterns bounds the overlap table; with more distinct working
// hours than this, overlaps are computed pair by pair.
const maxHourPatterns = 512

func newScorer(p *Problem) *scorer {
	s := &scorer{p: p, skillIDs: map[string]int32{}}
	intern := func(keys []string, member int, index *[][]int32) []int32 {
		ids := make([]int32, 0, len(keys))
		for _, k := range keys {
			id, ok := s.skillIDs[k]
			if !ok {
				id = int32(len(s.skillIDs))
				s.skillIDs[k] = id
				s.canIndex = append(s.canIndex, nil)
				s.lrnIndex = append(s.lrnIndex, nil)
			}
			ids = append(ids, id)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for _, id := range ids {
			(*index)[id] = append((*index)[id], int32(member))
		}
		return ids
	}
	s.can = make([][]int32, len(p.Members))
	s.lrn = make([][]int32, len(p.Members))
	s.team = make([]int32, len(p.Members))
	teams := map[string]int32{}
	for i, m := range p.Members {
		s.can[i] = intern(m.Can, i, &s.canIndex)
		s.lrn[i] = intern(m.Learn, i, &s.lrnIndex)
		s.team[i] = -1
		if m.Team != "" {
			id, ok := teams[m.Team]
			if !ok {
				id = int32(len(teams))
				teams[m.Team] = id
			}
			s.team[i] = id
		}
	}
	type span struct{ start, end int }
	patterns := map[span]int32{}
	var spans []span
	s.hours = make([]int32, len(p.Members))
	for i, m := range p.Members {
		sp := span{m.WorkStart, m.WorkEnd}
		id, ok := patterns[sp]
		if !ok {
			id = int32(len(spans))
			patterns[sp] = id
			spans = append(spans, sp)
		}
		s.hours[i] = id
	}
	if len(spans) <= maxHourPatterns {
		s.nHours = len(spans)
		s.overlap = make([]float64, len(spans)*len(spans))
		for a, x := range spans {
			for b, y := range spans {
				ma := Member{WorkStart: x.start, WorkEnd: x.end}
				mb := Member{WorkStart: y.start, WorkEnd: y.end}
				s.overlap[a*len(spans)+b] = WeightOverlap * overlapShare(&ma, &mb)
			}
		}
	}
	return s
}

func common(a, b []int32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// weight scores a pair, ignoring blocks and history.
func (s *scorer) weight(i, j int) int64 {
	w := WeightBase
	w += WeightComplement * float64(min(maxCounted, common(s.can[i], s.lrn[j])+common(s.can[j], s.lrn[i])))
	w += WeightShared * float64(min(maxCounted, common(s.lrn[i], s.lrn[j])+common(s.can[i], s.can[j])))
	if s.team[i] >= 0 && s.team[j] >= 0 && s.team[i] != s.team[j] {
		w += WeightTeam
	}
	if s.overlap != nil {
		w += s.overlap[int(s.hours[i])*s.nHours+int(s.hours[j])]
	} else {
		w += WeightOverlap * overlapShare(&s.p.Members[i], &s.p.Members[j])
	}
	return int64(w * Scale)
}

// overlapShare is the fraction of the shorter working day the two share,
// from 0 to 1, comparing days on either side of midnight UTC too.
func overlapShare(a, b *Member) float64 {
	la, lb := a.WorkEnd-a.WorkStart, b.WorkEnd-b.WorkStart
	if la <= 0 || lb <= 0 {
		return 0
	}
	best := 0
	for _, shift := range []int{-1440, 0, 1440} {
		lo := max(a.WorkStart, b.WorkStart+shift)
		hi := min(a.WorkEnd, b.WorkEnd+shift)
		best = max(best, hi-lo)
	}
	return float64(best) / float64(min(la, lb))
}

// allowed reports whether i and j may meet; withRepeats lets recent pairs
// meet again.
func (s *scorer) allowed(i, j int, withRepeats bool) bool {
	if i == j {
		return false
	}
	pr := PairOf(i, j)
	if s.p.Blocked[pr] {
		return false
	}
	return withRepeats || !s.p.Recent[pr]
}

func (s *scorer) oracle(withRepeats bool) match.Oracle {
	return func(i, j int) (int64, bool) {
		if !s.allowed(i, j, withRepeats) {
			return 0, false
		}
		return s.weight(i, j), true
	}
}

// Candidate sampling for the sparsified graph: from each skill list, at
// most postingSample members who can help with, or learn, the same thing;
// plus randomCandidates others for diversity of teams and time zones.
const (
	postingSample    = 64
	randomCandidates = 32
)

// candidates builds the sparsified graph: for each member, the k heaviest
// allowed pairs among sampled candidates. Members are matched to those who
// complement or share their skills far more often than to anyone else, so
// the heaviest pairs of the full graph are almost all kept.
func (s *scorer) candidates(k int, seed uint64, withRepeats bool) []match.Edge {
	n := len(s.p.Members)
	// Members are split into contiguous blocks worked in parallel; each
	// block's edges come out in member order and the blocks are joined in
	// order, so the graph does not depend on the number of CPUs.
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minCandidateBlock))
	parts := make([][]match.Edge, workers)
	var wg sync.WaitGroup
	for wi := range workers {
		lo, hi := wi*n/workers, (wi+1)*n/workers
		wg.Go(func() { parts[wi] = s.candidateBlock(lo, hi, k, seed, withRepeats) })
	}
	wg.Wait()
	var edges []match.Edge
	for _, p := range parts {
		edges = append(edges, p...)
	}
	slices.SortFunc(edges, func(a, b match.Edge) int {
		if c := cmp.Compare(a.I, b.I); c != 0 {
			return c
		}
		return cmp.Compare(a.J, b.J)
	})
	return slices.CompactFunc(edges, func(a, b match.Edge) bool { return a.I == b.I && a.J == b.J })
}

// cand is a candidate partner j of a member, with the pair's weight.
type cand struct {
	j int
	w int64
}

// better orders candidates: heavier first, then lower index.
func (a cand) better(b cand) bool { return a.w > b.w || (a.w == b.w && a.j < b.j) }

// topCandidates moves the k best of cs to its front, in no particular
// order, and returns them: quickselect, with a total order so the set
// is the same whatever the input order.
func topCandidates(cs []cand, k int) []cand {
	if len(cs) <= k {
		return cs
	}
	lo, hi := 0, len(cs)-1
	for lo < hi {
		// Median of three as the pivot, then Lomuto partition: better
		// candidates to the left.
		mid := lo + (hi-lo)/2
		if cs[mid].better(cs[lo]) {
			cs[mid], cs[lo] = cs[lo], cs[mid]
		}
		if cs[hi].better(cs[lo]) {
			cs[hi], cs[lo] = cs[lo], cs[hi]
		}
		if cs[hi].better(cs[mid]) {
			cs[hi], cs[mid] = cs[mid], cs[hi]
		}
		cs[mid], cs[hi] = cs[hi], cs[mid]
		pivot, store := cs[hi], lo
		for x := lo; x < hi; x++ {
			if cs[x].better(pivot) {
				cs[x], cs[store] = cs[store], cs[x]
				store++
			}
		}
		cs[store], cs[hi] = cs[hi], cs[store]
		switch {
		case store == k || store == k-1:
			return cs[:k]
		case store < k:
			lo = store + 1
		default:
			hi = store - 1
		}
	}
	return cs[:k]
}

// minCandidateBlock is the smallest number of members worth a goroutine of
// their own in candidates.
const minCandidateBlock = 2000

// candidateBlock returns the candidate edges of members lo to hi-1.
func (s *scorer) candidateBlock(lo, hi, k int, seed uint64, withRepeats bool) []match.Edge {
	n := len(s.p.Members)
	edges := make([]match.Edge, 0, (hi-lo)*k)
	seen := make([]int, n)  // seen[j] == i+1: j already considered for i
	drawn := make([]int, n) // drawn[d] == i+1: d already drawn for i
	var cs []cand
	for i := lo; i < hi; i++ {
		cs = cs[:0]
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		try := func(j int) {
			if j == i || seen[j] == i+1 || !s.allowed(i, j, withRepeats) {
				return
			}
			seen[j] = i + 1
			cs = append(cs, cand{j, s.weight(i, j)})
		}
		sample := func(list []int32) {
			if len(list) <= postingSample {
				for _, j := range list {
					try(int(j))
				}
				return
			}
			start := r.IntN(len(list))
			for x := range postingSample {
				try(int(list[(start+x*7919)%len(list)]))
			}
		}
		for _, id := range s.lrn[i] {
			sample(s.canIndex[id])
			sample(s.lrnIndex[id])
		}
		for _, id := range s.can[i] {
			sample(s.lrnIndex[id])
		}
		// Random others, drawn without replacement (Floyd's algorithm over
		// the n-1 others): drawn with replacement, a small pool lost some
		// of its few pairs to draws of the same person or of oneself.
		if n-1 <= randomCandidates {
			for j := range n {
				try(j)
			}
		} else {
			for x := n - 1 - randomCandidates; x < n-1; x++ {
				d := r.IntN(x + 1)
				if drawn[d] == i+1 {
					d = x
				}
				drawn[d] = i + 1
				j := d
				if j >= i {
					j++ // the others are 0..n-1 without i
				}
				try(j)
			}
		}
		// Only the k best are kept (heavier first, then lower index): a
		// selection, since sorting every candidate cost more than weighing.
		for _, c := range topCandidates(cs, k) {
			edges = append(edges, match.Edge{I: min(i, c.j), J: max(i, c.j), W: c.w})
		}
	}
	return edges
}

// Solve groups the members of p.
//
// Pairs come from a maximum-weight matching without blocked or recent
// pairs: over every allowed pair for a small pool (up to
// 2×(Neighbours+randomCandidates) members), over a sparsified graph above,
// with the exact blossom algorithm up to ExactLimit members and
// match.Approx beyond. Members still unmatched are then matched among
// themselves over every allowed pair, first without and then with
// repeats. A last odd member joins the best pair as a third; in a small
// pool, when the one the matching left out can only join a pair they met
// recently, the others are tried as the third. With GroupSize 4, pairs
// are then joined two by two into groups of four; pools of up to
// exhaustiveLimit members are grouped in threes and fours by trying every
// grouping instead.
func Solve(p Problem) Plan {
	if p.ExactLimit == 0 {
		p.ExactLimit = DefaultExactLimit
	}
	if p.Neighbours == 0 {
		p.Neighbours = DefaultNeighbours
	}
	n := len(p.Members)
	s := newScorer(&p)
	if p.GroupSize >= 3 && n <= exhaustiveLimit {
		if groups, ok := s.exhaustiveGroups(); ok {
			plan := Plan{Exact: true}
			s.finish(&plan, groups)
			return plan
		}
	}
	// A sample of candidates misses pairs that a small pool cannot spare:
	// up to about twice the candidates each member is given, every pair
	// is weighed.
	dense := p.Dense || n <= 2*(p.Neighbours+randomCandidates)
	var plan Plan
	mate := make([]int, n)
	for i := range mate {
		mate[i] = -1
	}
	if n >= 2 {
		var edges []match.Edge
		if dense {
			edges = s.allPairs(false)
		} else {
			edges = s.candidates(p.Neighbours, p.Seed, false)
		}
		algo := p.Algorithm
		if algo == Auto {
			algo = Approx
			if n <= p.ExactLimit {
				algo = Exact
			}
		}
		switch algo {
		case Exact:
			mate = match.Exact(n, edges, true)
			plan.Exact = true
		case Greedy:
			mate = match.Greedy(n, edges)
		default:
			mate = match.Approx(n, edges, s.oracle(false))
			s.repair(mate, repairSize)
		}
		greedyOnly := p.Algorithm == Greedy
		s.rematch(mate, false, greedyOnly)
		s.rematch(mate, true, greedyOnly)
		if dense && !greedyOnly {
			s.chooseThird(mate)
		}
	}
	var groups [][]int
	var singles []int
	for i, j := range mate {
		switch {
		case j == -1:
			singles = append(singles, i)
		case i < j:
			groups = append(groups, []int{i, j})
		}
	}
	for _, x := range singles {
		if g := s.bestGroup(groups, x, 3); g >= 0 {
			groups[g] = append(groups[g], x)
		} else if g := s.bestGroup(groups, x, 4); g >= 0 {
			groups[g] = append(groups[g], x)
		} else {
			plan.Unplaced = append(plan.Unplaced, x)
		}
	}
	if p.GroupSize >= 3 {
		groups = s.mergePairs(groups)
	}
	s.finish(&plan, groups)
	return plan
}

// finish sets the plan's groups, weight and repeats.
func (s *scorer) finish(plan *Plan, groups [][]int) {
	plan.Groups = groups
	for _, g := range groups {
		for a := range g {
			for b := a + 1; b < len(g); b++ {
				plan.Weight += s.weight(g[a], g[b])
				if s.p.Recent[PairOf(g[a], g[b])] {
					plan.Repeats++
				}
			}
		}
	}
}

// chooseThird decides, for an odd count, who is left over to join a pair
// as its third. The matching leaves out whoever costs it the least
// weight, whether or not they can join any pair without a repeat. When
// every pair is repeat-free but the one left over has met someone in
// each pair they could join, other members are tried as the third (up to
// thirdTries of them, those with most repeat-free partners first): the
// others are matched over repeat-free pairs, with a bonus on the pairs the
// third could join, and the first whose matching places everyone without
// a repeat is kept in mate, with that third unmatched.
//
// It is for pools weighed over every pair: a matching of those is of
// maximum size, so a pair that repeats means no repeat-free grouping
// exists.
func (s *scorer) chooseThird(mate []int) {
	n := len(mate)
	x := -1
	for i, j := range mate {
		switch {
		case j == -1 && x >= 0:
			return // more than one left over: blocks, not an odd count
		case j == -1:
			x = i
		case i < j && s.p.Recent[PairOf(i, j)]:
			return
		}
	}
	if x < 0 || n < 3 || s.joinable(x, mate) {
		return
	}
	// Someone without a repeat-free partner repeats whatever the
	// grouping; someone with one only cannot have that one as the third.
	partners := make([][]int, n)
	for i := range n {
		for j := range n {
			if s.allowed(i, j, false) {
				partners[i] = append(partners[i], j)
			}
		}
		if len(partners[i]) == 0 {
			return
		}
	}
	var order []int
	for a := range n {
		if a != x {
			order = append(order, a)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(partners[b]), len(partners[a])) })
	order = append([]int{x}, order...)
	tries := 0
	for _, a := range order {
		if tries == thirdTries {
			return
		}
		if slices.ContainsFunc(partners, func(p []int) bool { return len(p) == 1 && p[0] == a }) {
			continue
		}
		tries++
		if sub, ok := s.matchAround(a); ok && s.joinable(a, sub) {
			copy(mate, sub)
			return
		}
	}
}

// thirdTries bounds the members chooseThird tries as the third, each at
// the cost of a matching of the pool: in pools of up to thirdTries
// members, every one is tried.
const thirdTries = 16

// joinable reports whether a may join a pair of mate without a block or a
// repeat.
func (s *scorer) joinable(a int, mate []int) bool {
	for b, c := range mate {
		if b < c && s.allowed(a, b, false) && s.allowed(a, c, false) {
			return true
		}
	}
	return false
}

// matchAround matches every member but a over repeat-free pairs, preferring
// pairs that a may join as a third (no block, no repeat with either): a
// bonus larger than any matching's weight makes the matching contain one
// whenever a perfect matching can. It returns the matching, with a
// unmatched, and whether it places everyone else.
func (s *scorer) matchAround(a int) ([]int, bool) {
	n := len(s.p.Members)
	near := make([]bool, n)
	others := make([]int, 0, n-1)
	for j := range n {
		near[j] = s.allowed(a, j, false)
		if j != a {
			others = append(others, j)
		}
	}
	edges := s.pairEdges(others, false)
	var heaviest int64
	joins := false
	for _, e := range edges {
		heaviest = max(heaviest, e.W)
		joins = joins || (near[others[e.I]] && near[others[e.J]])
	}
	if !joins {
		return nil, false
	}
	bonus := (int64(n)/2 + 1) * (heaviest + 1)
	for k, e := range edges {
		if near[others[e.I]] && near[others[e.J]] {
			edges[k].W += bonus
		}
	}
	sub := match.Exact(len(others), edges, true)
	mate := make([]int, n)
	mate[a] = -1
	for x, y := range sub {
		if y == -1 {
			return nil, false
		}
		mate[others[x]] = others[y]
	}
	return mate, true
}

// exhaustiveLimit is the largest pool grouped in threes and fours by
// trying every grouping (about 21,000 of them at 12 members): grouping in
// threes without repeats is as hard as partitioning a graph into
// triangles, so pairs merged two by two can miss a repeat-free grouping
// that a small pool has.
const exhaustiveLimit = 12

// exhaustiveGroups returns the grouping of every member in groups of three
// or four, without blocked pairs, with the fewest repeats and then the
// most weight; false when none exists (blocks, or a count of 1, 2 or 5).
func (s *scorer) exhaustiveGroups() ([][]int, bool) {
	n := len(s.p.Members)
	ok := make([][]bool, n)
	rep := make([][]int, n)
	w := make([][]int64, n)
	for i := range n {
		ok[i], rep[i], w[i] = make([]bool, n), make([]int, n), make([]int64, n)
		for j := range n {
			if i != j && s.allowed(i, j, true) {
				ok[i][j] = true
				w[i][j] = s.weight(i, j)
				if s.p.Recent[PairOf(i, j)] {
					rep[i][j] = 1
				}
			}
		}
	}
	used := make([]bool, n)
	var cur, best [][]int
	bestRep, bestW := -1, int64(-1)
	var rec func(left, repeats int, weight int64)
	rec = func(left, repeats int, weight int64) {
		if bestRep >= 0 && repeats > bestRep {
			return
		}
		switch left {
		case 0:
			if bestRep < 0 || repeats < bestRep || weight > bestW {
				bestRep, bestW = repeats, weight
				best = best[:0]
				for _, g := range cur {
					best = append(best, slices.Clone(g))
				}
			}
			return
		case 1, 2, 5:
			return
		}
		i := slices.Index(used, false)
		used[i] = true
		defer func() { used[i] = false }()
		for j := i + 1; j < n; j++ {
			if used[j] || !ok[i][j] {
				continue
			}
			used[j] = true
			for k := j + 1; k < n; k++ {
				if used[k] || !ok[i][k] || !ok[j][k] {
					continue
				}
				used[k] = true
				r3 := repeats + rep[i][j] + rep[i][k] + rep[j][k]
				w3 := weight + w[i][j] + w[i][k] + w[j][k]
				cur = append(cur, []int{i, j, k})
				rec(left-3, r3, w3)
				cur = cur[:len(cur)-1]
				for l := k + 1; l < n; l++ {
					if used[l] || !ok[i][l] || !ok[j][l] || !ok[k][l] {
						continue
					}
					used[l] = true
					cur = append(cur, []int{i, j, k, l})
					rec(left-4, r3+rep[i][l]+rep[j][l]+rep[k][l], w3+w[i][l]+w[j][l]+w[k][l])
					cur = cur[:len(cur)-1]
					used[l] = false
				}
				used[k] = false
			}
			used[j] = false
		}
	}
	rec(n, 0, 0)
	return best, bestRep >= 0
}

func (s *scorer) allPairs(withRepeats bool) []match.Edge {
	var edges []match.Edge
	for i := range s.p.Members {
		for j := i + 1; j < len(s.p.Members); j++ {
			if s.allowed(i, j, withRepeats) {
				edges = append(edges, match.Edge{I: i, J: j, W: s.weight(i, j)})
			}
		}
	}
	return edges
}

// pairEdges returns every allowed pair of the members in set, as edges
// between their positions in set, ordered by first then second position.
// The rows are weighed in parallel: at a thousand members that is half a
// million weights.
func (s *scorer) pairEdges(set []int, withRepeats bool) []match.Edge {
	rows := make([][]match.Edge, len(set))
	row := func(a int) {
		var out []match.Edge
		for b := a + 1; b < len(set); b++ {
			if s.allowed(set[a], set[b], withRepeats) {
				out = append(out, match.Edge{I: a, J: b, W: s.weight(set[a], set[b])})
			}
		}
		rows[a] = out
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(set)/200))
	var wg sync.WaitGroup
	for wi := range workers {
		// Rows shrink as a grows: interleaving them evens out the work.
		wg.Go(func() {
			for a := wi; a < len(set); a += workers {
				row(a)
			}
		})
	}
	wg.Wait()
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	edges := make([]match.Edge, 0, n)
	for _, r := range rows {
		edges = append(edges, r...)
	}
	return edges
}

// repairSize is how many members of the lightest pairs repair re-matches
// over all their pairs.
const repairSize = 1200

// repair re-matches the members of the lightest pairs (and the unmatched)
// over every allowed pair among them, not only the sparsified graph's, and
// keeps the result when it is heavier: the sparsified graph misses some good
// partners of exactly the people whose pairs came out light.
func (s *scorer) repair(mate []int, size int) {
	type pw struct {
		i int
		w int64
	}
	var light []pw
	for i, j := range mate {
		switch {
		case j == -1:
			light = append(light, pw{i, -1})
		case i < j:
			light = append(light, pw{i, s.weight(i, j)})
		}
	}
	slices.SortFunc(light, func(a, b pw) int { return cmp.Compare(a.w, b.w) })
	var set []int
	for _, x := range light {
		if len(set) >= size {
			break
		}
		set = append(set, x.i)
		if j := mate[x.i]; j >= 0 {
			set = append(set, j)
		}
	}
	edges := s.pairEdges(set, false)
	w := func(a, b int) (int64, bool) { return s.oracle(false)(set[a], set[b]) }
	sub := match.Greedy(len(set), edges)
	match.Improve(sub, edges, w)
	var oldW, newW int64
	oldN, newN := 0, 0
	for a, b := range sub {
		if m := mate[set[a]]; m > set[a] {
			oldW += s.weight(set[a], m)
			oldN++
		}
		if b > a {
			newW += s.weight(set[a], set[b])
			newN++
		}
	}
	if newN < oldN || newW <= oldW {
		return
	}
	for a, b := range sub {
		mate[set[a]] = -1
		if b >= 0 {
			mate[set[a]] = set[b]
		}
	}
}

// rematchLimit bounds the members matched over all their pairs by
// rematch; beyond it the leftovers are matched greedily.
const rematchLimit = 1500

// rematch matches the unmatched members of mate among themselves over
// every allowed pair.
func (s *scorer) rematch(mate []int, withRepeats, greedyOnly bool) {
	var free []int
	for i, j := range mate {
		if j == -1 {
			free = append(free, i)
		}
	}
	if len(free) < 2 {
		return
	}
	edges := s.pairEdges(free, withRepeats)
	var sub []int
	if len(free) <= rematchLimit && !greedyOnly {
		sub = match.Exact(len(free), edges, true)
	} else {
		sub = match.Greedy(len(free), edges)
	}
	for a, b := range sub {
		if b >= 0 {
			mate[free[a]] = free[b]
		}
	}
}

// bestGroup is the group of fewer than size members that x adds the most
// weight to, without a block or (when one exists) a repeat; -1 if none.
func (s *scorer) bestGroup(groups [][]int, x, size int) int {
	best, bestW, bestRepeat := -1, int64(-1), true
	for gi, g := range groups {
		if len(g) >= size {
			continue
		}
		var w int64
		ok, repeat := true, false
		for _, y := range g {
			if !s.allowed(x, y, true) {
				ok = false
				break
			}
			repeat = repeat || s.p.Recent[PairOf(x, y)]
			w += s.weight(x, y)
		}
		if !ok {
			continue
		}
		if best == -1 || (bestRepeat && !repeat) || (repeat == bestRepeat && w > bestW) {
			best, bestW, bestRepeat = gi, w, repeat
		}
	}
	return best
}

// mergePairs joins pairs two by two into groups of four by a matching over
// the pairs, weighed by the four cross pairs: first over the joins without
// a repeat, then, for the pairs left, over those with repeats too (as
// rematch does for people). A pair left over takes one group of four and
// makes two groups of three with it, without a repeat where one can.
func (s *scorer) mergePairs(groups [][]int) [][]int {
	var pairs, rest [][]int
	for _, g := range groups {
		if len(g) == 2 {
			pairs = append(pairs, g)
		} else {
			rest = append(rest, g)
		}
	}
	cross := func(a, b []int, withRepeats bool) (int64, bool) {
		var w int64
		for _, x := range a {
			for _, y := range b {
				if !s.allowed(x, y, withRepeats) {
					return 0, false
				}
				w += s.weight(x, y)
			}
		}
		return w, true
	}
	var out [][]int
	left := pairs
	for _, withRepeats := range []bool{false, true} {
		if len(left) < 2 {
			break
		}
		mate := s.matchPairs(left, func(a, b []int) (int64, bool) { return cross(a, b, withRepeats) })
		var next [][]int
		for a, b := range mate {
			switch {
			case b == -1:
				next = append(next, left[a])
			case a < b:
				out = append(out, append(slices.Clone(left[a]), left[b]...))
			}
		}
		left = next
	}
	out = append(out, rest...)
	for _, lp := range left {
		// A lone pair splits a group of four into two groups of three
		// with it; failing that it stays a pair, the only group of two.
		if gi, h1, h2 := s.bestSplit(out, lp); gi >= 0 {
			out[gi] = h1
			out = append(out, h2)
		} else {
			out = append(out, lp)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a][0] < out[b][0] })
	return out
}

// matchPairs matches pairs with pairs by the weight cross gives a join.
func (s *scorer) matchPairs(pairs [][]int, cross func(a, b []int) (int64, bool)) []int {
	var edges []match.Edge
	if len(pairs) <= rematchLimit {
		for a := range pairs {
			for b := a + 1; b < len(pairs); b++ {
				if w, ok := cross(pairs[a], pairs[b]); ok {
					edges = append(edges, match.Edge{I: a, J: b, W: w})
				}
			}
		}
		return match.Exact(len(pairs), edges, true)
	}
	// Pairs are joined with nearby pairs in a random order: at this
	// size the pair-level matching is a small share of the weight.
	r := rand.New(rand.NewPCG(uint64(len(pairs)), 7))
	for a := range pairs {
		for range 16 {
			b := r.IntN(len(pairs))
			if b != a {
				if w, ok := cross(pairs[a], pairs[b]); ok {
					edges = append(edges, match.Edge{I: min(a, b), J: max(a, b), W: w})
				}
			}
		}
	}
	return match.Approx(len(pairs), edges, func(a, b int) (int64, bool) { return cross(pairs[a], pairs[b]) })
}

// bestSplit finds the group of four that the pair lp splits best into two
// groups of three, one member of lp in each: without blocks, with the
// fewest repeats and then the most weight. It returns the group's index
// and the two groups, or -1.
func (s *scorer) bestSplit(groups [][]int, lp []int) (int, []int, []int) {
	best, bestRep, bestW := -1, 0, int64(0)
	var b1, b2 []int
	for gi, g := range groups {
		if len(g) != 4 {
			continue
		}
		// The three ways to halve g, and lp's two members either way.
		for _, h := range [][4]int{{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 1, 2}} {
			for _, swap := range []bool{false, true} {
				x, y := lp[0], lp[1]
				if swap {
					x, y = y, x
				}
				h1 := []int{g[h[0]], g[h[1]], x}
				h2 := []int{g[h[2]], g[h[3]], y}
				if !s.groupAllowed(h1) || !s.groupAllowed(h2) {
					continue
				}
				rep, w := s.groupScore(h1)
				rep2, w2 := s.groupScore(h2)
				rep, w = rep+rep2, w+w2
				if best < 0 || rep < bestRep || (rep == bestRep && w > bestW) {
					best, bestRep, bestW, b1, b2 = gi, rep, w, h1, h2
				}
			}
		}
	}
	return best, b1, b2
}

// groupScore is the number of recent pairs in g and its weight.
func (s *scorer) groupScore(g []int) (repeats int, w int64) {
	for a := range g {
		for b := a + 1; b < len(g); b++ {
			w += s.weight(g[a], g[b])
			if s.p.Recent[PairOf(g[a], g[b])] {
				repeats++
			}
		}
	}
	return repeats, w
}

func (s *scorer) groupAllowed(g []int) bool {
	for a := range g {
		for b := a + 1; b < len(g); b++ {
			if !s.allowed(g[a], g[b], true) {
				return false
			}
		}
	}
	return true
}

// SkillKeys returns the keys of skill labels.
func SkillKeys(labels []string) []string {
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = Key(l)
	}
	return out
}

// hashSeed derives a seed from a text, such as a channel and round number.
func hashSeed(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
