// Package match computes maximum-weight matchings of people: an exact
// blossom algorithm (Exact) for graphs of up to a few thousand vertices,
// and a fast approximation (Approx) for larger ones, greedy by weight then
// improved by local search. Both take integer weights, so results are
// exact and repeatable.
package match

import (
	"cmp"
	"slices"
)

// Edge is a possible pair, vertices I and J, with weight W.
type Edge struct {
	I, J int
	W    int64
}

// Oracle gives the weight of any pair and whether the pair may be matched
// at all; local search uses it to weigh pairs outside the candidate edges.
type Oracle func(i, j int) (w int64, ok bool)

// Weight sums the weights of the matched pairs of mate, each counted once.
func Weight(mate []int, w Oracle) int64 {
	var total int64
	for i, j := range mate {
		if j > i {
			x, _ := w(i, j)
			total += x
		}
	}
	return total
}

// Greedy matches the heaviest remaining edge whose ends are both free,
// until none is left: at least half the optimum weight, usually far more.
// Ties break by vertex numbers, so the result is repeatable.
func Greedy(n int, edges []Edge) []int {
	sorted := slices.Clone(edges)
	slices.SortFunc(sorted, func(a, b Edge) int {
		if c := cmp.Compare(b.W, a.W); c != 0 {
			return c
		}
		if c := cmp.Compare(a.I, b.I); c != 0 {
			return c
		}
		return cmp.Compare(a.J, b.J)
	})
	mate := make([]int, n)
	for i := range mate {
		mate[i] = -1
	}
	for _, e := range sorted {
		if e.I != e.J && mate[e.I] == -1 && mate[e.J] == -1 {
			mate[e.I], mate[e.J] = e.J, e.I
		}
	}
	return mate
}

// MaxPasses bounds the local search of Approx; each pass visits every
// candidate edge once, and in practice it settles in a few passes.
const MaxPasses = 20

// Approx returns a matching at least as heavy as Greedy's on the candidate
// edges, improved by local search until no move gains weight (or after
// MaxPasses passes). The moves, for each candidate edge a-c:
//
//   - both free: match them;
//   - a free, c matched to d, and d has a free candidate x: rematch to
//     a-c and d-x (an augmenting path of three edges: two more people
//     matched);
//   - a matched to b, c matched to d: swap to a-c and b-d when heavier
//     (a 2-opt move), with b-d weighed by the oracle.
//
// w must agree with the weights of edges and refuse forbidden pairs.
//
// Then Reoptimize re-solves windows of about Window members exactly, and
// the local search runs once more on the result.
func Approx(n int, edges []Edge, w Oracle) []int {
	mate := Greedy(n, edges)
	Improve(mate, edges, w)
	for sweep := range Sweeps {
		if reoptimize(mate, edges, w, Window, sweep) == 0 {
			break
		}
		Improve(mate, edges, w)
	}
	return mate
}

// Sweeps bounds the window sweeps of Approx. Each sweep starts its windows
// from other vertices, so exchanges that straddled the borders of the
// previous sweep's windows fall inside one window.
const Sweeps = 4

// Window is the number of members Reoptimize solves exactly at once: large
// enough to hold most improving exchanges, small enough that each exact
// solve takes tens of milliseconds. With Sweeps 4, 600 brought the
// approximation from 98.6% to 99.5-99.7% of the exact matching at 1,000
// people, for about the same time at 10,000 as one sweep of 400
// (docs/benchmarks.md).
const Window = 600

// Reoptimize improves mate by windows: from each vertex not yet visited in
// this sweep it gathers about window vertices by breadth-first search over
// candidate edges and matched pairs (a pair is never split across windows),
// solves the maximum-weight matching of the window exactly, and keeps it
// when it matches more vertices or, as many, weighs more. It returns the
// weight gained.
func Reoptimize(mate []int, edges []Edge, w Oracle, window int) int64 {
	return reoptimize(mate, edges, w, window, 0)
}

// reoptimize is Reoptimize with the windows seeded in the order of sweep:
// sweep 0 from vertex 0 upwards, later sweeps from other starting points
// and strides.
func reoptimize(mate []int, edges []Edge, w Oracle, window, sweep int) int64 {
	n := len(mate)
	adj, adjW := weightedAdjacency(n, edges)
	local := make([]int, n) // vertex -> index in the current window, or -1
	done := make([]bool, n)
	for i := range local {
		local[i] = -1
	}
	var gained int64
	var members []int
	stride := 1
	if sweep > 0 {
		// A stride coprime with n visits every vertex once, in an order
		// unrelated to the previous sweep's.
		stride = 7919 + 2*sweep
		for gcd(stride, n) != 1 {
			stride += 2
		}
	}
	for k := range n {
		seed := (k*stride + sweep*(n/Sweeps+1)) % n
		if done[seed] {
			continue
		}
		members = members[:0]
		add := func(v int) {
			if local[v] == -1 && !done[v] {
				local[v] = len(members)
				members = append(members, v)
			}
		}
		add(seed)
		if mate[seed] >= 0 {
			add(mate[seed])
		}
		for q := 0; q < len(members) && len(members) < window; q++ {
			for _, x := range adj[members[q]] {
				if len(members) >= window {
					break
				}
				add(x)
				if mate[x] >= 0 {
					add(mate[x])
				}
			}
		}
		var sub []Edge
		var oldW int64
		oldSize := 0
		for li, v := range members {
			// Candidate edges carry their weight already (w agrees with
			// it), which spares the oracle most of the window's pairs.
			for k, x := range adj[v] {
				if lx := local[x]; lx > li {
					sub = append(sub, Edge{I: li, J: lx, W: adjW[v][k]})
				}
			}
			if m := mate[v]; m >= 0 && local[m] > li {
				wm, _ := w(v, m)
				sub = append(sub, Edge{I: li, J: local[m], W: wm})
				oldW += wm
				oldSize++
			}
		}
		best := Exact(len(members), sub, false)
		var newW int64
		newSize := 0
		for li, lj := range best {
			if lj > li {
				wx, _ := w(members[li], members[lj])
				newW += wx
				newSize++
			}
		}
		if newW > oldW {
			for li, lj := range best {
				if lj >= 0 {
					mate[members[li]] = members[lj]
				} else {
					mate[members[li]] = -1
				}
			}
			gained += newW - oldW
		}
		for _, v := range members {
			local[v] = -1
			done[v] = true
		}
	}
	return gained
}

// Improve runs Approx's local search on mate in place and returns the
// number of moves made.
func Improve(mate []int, edges []Edge, w Oracle) int {
	adj := adjacency(len(mate), edges)
	// pw[v] is the weight of v's pair: each pass looks at every edge and
	// would otherwise weigh the same matched pairs again and again.
	pw := make([]int64, len(mate))
	for v, m := range mate {
		if m > v {
			x, _ := w(v, m)
			pw[v], pw[m] = x, x
		}
	}
	// An edge whose two ends kept their partners since it was last looked
	// at offers no move now either: weights do not change, and free
	// vertices only ever get matched, never freed. So each pass after the
	// first looks only at edges next to a change (clock counts moves;
	// stamp[v] is the clock of v's last change, checked[e] the clock when
	// edge e was last looked at).
	clock := int32(0)
	stamp := make([]int32, len(mate))
	checked := make([]int32, len(edges))
	for i := range checked {
		checked[i] = -1
	}
	pair := func(a, b int, x int64) {
		mate[a], mate[b] = b, a
		pw[a], pw[b] = x, x
		stamp[a], stamp[b] = clock, clock
	}
	moves := 0
	for range MaxPasses {
		changed := 0
		for ei, e := range edges {
			a, c := e.I, e.J
			if a == c || mate[a] == c {
				continue
			}
			if seen := checked[ei]; seen >= 0 && stamp[a] <= seen && stamp[c] <= seen {
				continue
			}
			checked[ei] = clock
			clock++
			b, d := mate[a], mate[c]
			switch {
			case b == -1 && d == -1:
				pair(a, c, e.W)
				changed++
			case b == -1 || d == -1:
				// Orient so that a is the free end.
				if d == -1 {
					a, c, b, d = c, a, d, b
				}
				if x, wdx, ok := augmentThree(mate, adj, a, d, e.W, pw[c], w); ok {
					pair(a, c, e.W)
					pair(d, x, wdx)
					changed++
				}
			default:
				wbd, ok := w(b, d)
				if ok && e.W+wbd > pw[a]+pw[c] {
					pair(a, c, e.W)
					pair(b, d, wbd)
					changed++
				}
			}
		}
		moves += changed
		if changed == 0 {
			break
		}
	}
	return moves
}

// augmentThree looks for the path a-c, d-x where a and some neighbour x of
// d are free (c is matched to d, with weight wcd): both gain a partner and
// c keeps one. It is taken only when it adds weight too, so the search
// never goes round in circles. It returns x and the weight of d-x.
func augmentThree(mate []int, adj [][]int, a, d int, wac, wcd int64, w Oracle) (x int, wdx int64, ok bool) {
	for _, x := range adj[d] {
		if x != a && mate[x] == -1 {
			if wdx, ok := w(d, x); ok && wac+wdx > wcd {
				return x, wdx, true
			}
		}
	}
	return -1, 0, false
}

func adjacency(n int, edges []Edge) [][]int {
	deg := make([]int, n)
	for _, e := range edges {
		deg[e.I]++
		deg[e.J]++
	}
	adj := make([][]int, n)
	for v := range adj {
		adj[v] = make([]int, 0, deg[v])
	}
	for _, e := range edges {
		adj[e.I] = append(adj[e.I], e.J)
		adj[e.J] = append(adj[e.J], e.I)
	}
	return adj
}

// weightedAdjacency is adjacency with each neighbour's edge weight.
func weightedAdjacency(n int, edges []Edge) ([][]int, [][]int64) {
	adj := adjacency(n, edges)
	ws := make([][]int64, n)
	for v := range ws {
		ws[v] = make([]int64, 0, len(adj[v]))
	}
	for _, e := range edges {
		ws[e.I] = append(ws[e.I], e.W)
		ws[e.J] = append(ws[e.J], e.W)
	}
	return adj, ws
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
