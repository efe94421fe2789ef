package match

import "slices"

// This file is Edmonds' blossom algorithm for maximum-weight matching in a
// general graph, with the primal-dual bookkeeping of Galil's survey ("Efficient
// algorithms for finding maximum matching in graphs", 1986). It runs in
// O(n^3) time and O(n + m) memory. The structure follows the well-known
// public-domain formulation by Joris van Rantwijk: endpoints are numbered
// 2k and 2k+1 for edge k, so "p ^ 1" is the other end of the same edge.
//
// Weights are integers and every dual variable stays an integer, because
// vertex duals start at the largest weight and slacks are computed as
// u_i + u_j - 2w; no floating-point drift can break optimality.

// Exact returns a maximum-weight matching of the graph with n vertices and
// the given edges, as mate[v] = partner or -1. With maxCardinality, it
// returns the heaviest among the matchings of largest size.
//
// Edges must have distinct endpoints in [0, n); duplicate edges are allowed
// (the heavier one wins). Negative weights are allowed but only matter with
// maxCardinality.
func Exact(n int, edges []Edge, maxCardinality bool) []int {
	if n == 0 {
		return nil
	}
	b := newBlossom(n, edges)
	b.run(maxCardinality)
	out := make([]int, n)
	for v := range n {
		out[v] = -1
		if b.mate[v] >= 0 {
			out[v] = b.endpoint[b.mate[v]]
		}
	}
	return out
}

type blossomState struct {
	nv        int
	edges     []Edge
	endpoint  []int   // endpoint[p]: the vertex at endpoint p
	neighbend [][]int // neighbend[v]: the remote endpoints of v's edges
	mate      []int   // mate[v]: remote endpoint of v's matched edge, or -1

	// label[b]: 0 free, 1 S (outer), 2 T (inner); bit 4 marks a scan.
	label            []int
	labelend         []int   // endpoint through which b got its label
	inblossom        []int   // top-level blossom containing vertex v
	blossomparent    []int   // immediate parent blossom, or -1
	blossomchilds    [][]int // sub-blossoms, from the base round the cycle
	blossombase      []int
	blossomendps     [][]int // endpoints joining the sub-blossoms
	bestedge         []int   // least-slack edge to an S-blossom, or -1
	blossombestedges [][]int
	unusedblossoms   []int
	dualvar          []int64
	allowedge        []bool
	queue            []int
	scratch          []int // per-blossom best edges, all -1 between uses
}

func newBlossom(n int, edges []Edge) *blossomState {
	var maxw int64
	for _, e := range edges {
		maxw = max(maxw, e.W)
	}
	b := &blossomState{
		nv:               n,
		edges:            edges,
		endpoint:         make([]int, 2*len(edges)),
		neighbend:        make([][]int, n),
		mate:             make([]int, n),
		label:            make([]int, 2*n),
		labelend:         make([]int, 2*n),
		inblossom:        make([]int, n),
		blossomparent:    make([]int, 2*n),
		blossomchilds:    make([][]int, 2*n),
		blossombase:      make([]int, 2*n),
		blossomendps:     make([][]int, 2*n),
		bestedge:         make([]int, 2*n),
		blossombestedges: make([][]int, 2*n),
		dualvar:          make([]int64, 2*n),
		allowedge:        make([]bool, len(edges)),
		scratch:          make([]int, 2*n),
	}
	deg := make([]int, n)
	for _, e := range edges {
		deg[e.I]++
		deg[e.J]++
	}
	for v := range n {
		b.neighbend[v] = make([]int, 0, deg[v])
	}
	for k, e := range edges {
		b.endpoint[2*k], b.endpoint[2*k+1] = e.I, e.J
		b.neighbend[e.I] = append(b.neighbend[e.I], 2*k+1)
		b.neighbend[e.J] = append(b.neighbend[e.J], 2*k)
	}
	for v := range n {
		b.mate[v] = -1
		b.inblossom[v] = v
		b.blossombase[v] = v
		b.dualvar[v] = maxw
	}
	for i := range 2 * n {
		b.labelend[i] = -1
		b.blossomparent[i] = -1
		b.bestedge[i] = -1
		b.scratch[i] = -1
		if i >= n {
			b.blossombase[i] = -1
		}
	}
	for i := 2*n - 1; i >= n; i-- {
		b.unusedblossoms = append(b.unusedblossoms, i)
	}
	return b
}

func (b *blossomState) slack(k int) int64 {
	e := b.edges[k]
	return b.dualvar[e.I] + b.dualvar[e.J] - 2*e.W
}

// leaves appends the vertices inside blossom t to dst.
func (b *blossomState) leaves(t int, dst []int) []int {
	if t < b.nv {
		return append(dst, t)
	}
	for _, c := range b.blossomchilds[t] {
		dst = b.leaves(c, dst)
	}
	return dst
}

func (b *blossomState) assignLabel(w, t, p int) {
	for {
		bw := b.inblossom[w]
		b.label[w], b.label[bw] = t, t
		b.labelend[w], b.labelend[bw] = p, p
		b.bestedge[w], b.bestedge[bw] = -1, -1
		if t == 1 {
			b.queue = b.leaves(bw, b.queue)
			return
		}
		// A T-blossom's base is matched; its mate becomes an S-vertex.
		base := b.blossombase[bw]
		mp := b.mate[base]
		w, t, p = b.endpoint[mp], 1, mp^1
	}
}

// scanBlossom traces back from v and w to find a common ancestor (a new
// blossom's base) or returns -1 when the paths reach two roots (an
// augmenting path).
func (b *blossomState) scanBlossom(v, w int) int {
	var path []int
	base := -1
	for v != -1 || w != -1 {
		bv := b.inblossom[v]
		if b.label[bv]&4 != 0 {
			base = b.blossombase[bv]
			break
		}
		path = append(path, bv)
		b.label[bv] = 5
		if b.labelend[bv] == -1 {
			v = -1
		} else {
			v = b.endpoint[b.labelend[bv]]
			bt := b.inblossom[v]
			v = b.endpoint[b.labelend[bt]]
		}
		if w != -1 {
			v, w = w, v
		}
	}
	for _, p := range path {
		b.label[p] = 1
	}
	return base
}

func (b *blossomState) addBlossom(base, k int) {
	v, w := b.edges[k].I, b.edges[k].J
	bb := b.inblossom[base]
	bv := b.inblossom[v]
	bw := b.inblossom[w]
	nb := b.unusedblossoms[len(b.unusedblossoms)-1]
	b.unusedblossoms = b.unusedblossoms[:len(b.unusedblossoms)-1]
	b.blossombase[nb] = base
	b.blossomparent[nb] = -1
	b.blossomparent[bb] = nb
	var path, endps []int
	for bv != bb {
		b.blossomparent[bv] = nb
		path = append(path, bv)
		endps = append(endps, b.labelend[bv])
		v = b.endpoint[b.labelend[bv]]
		bv = b.inblossom[v]
	}
	path = append(path, bb)
	reverse(path)
	reverse(endps)
	endps = append(endps, 2*k)
	for bw != bb {
		b.blossomparent[bw] = nb
		path = append(path, bw)
		endps = append(endps, b.labelend[bw]^1)
		w = b.endpoint[b.labelend[bw]]
		bw = b.inblossom[w]
	}
	b.blossomchilds[nb] = path
	b.blossomendps[nb] = endps
	b.label[nb] = 1
	b.labelend[nb] = b.labelend[bb]
	b.dualvar[nb] = 0
	for _, lv := range b.leaves(nb, nil) {
		if b.label[b.inblossom[lv]] == 2 {
			// Former T-vertices become S-vertices and must be scanned.
			b.queue = append(b.queue, lv)
		}
		b.inblossom[lv] = nb
	}
	// Least-slack edges from the new blossom to each neighbouring
	// S-blossom.
	bestedgeto := b.scratch
	var touched []int
	consider := func(k int) {
		j := b.edges[k].J
		if b.inblossom[j] == nb {
			j = b.edges[k].I
		}
		bj := b.inblossom[j]
		if bj != nb && b.label[bj] == 1 {
			if cur := bestedgeto[bj]; cur == -1 || b.slack(k) < b.slack(cur) {
				if cur == -1 {
					touched = append(touched, bj)
				}
				bestedgeto[bj] = k
			}
		}
	}
	for _, sub := range path {
		if b.blossombestedges[sub] == nil {
			for _, lv := range b.leaves(sub, nil) {
				for _, p := range b.neighbend[lv] {
					consider(p / 2)
				}
			}
		} else {
			for _, k := range b.blossombestedges[sub] {
				consider(k)
			}
		}
		b.blossombestedges[sub] = nil
		b.bestedge[sub] = -1
	}
	// In blossom order, so that ties break the same way on every run.
	slices.Sort(touched)
	best := make([]int, 0, len(touched))
	for _, bj := range touched {
		best = append(best, bestedgeto[bj])
		bestedgeto[bj] = -1
	}
	b.blossombestedges[nb] = best
	b.bestedge[nb] = -1
	for _, k := range best {
		if b.bestedge[nb] == -1 || b.slack(k) < b.slack(b.bestedge[nb]) {
			b.bestedge[nb] = k
		}
	}
}

// at indexes a blossom's cycle with Python-style wrap-around, as the walk
// round a blossom goes either way from the base.
func at(s []int, j int) int {
	n := len(s)
	return s[((j%n)+n)%n]
}

func (b *blossomState) expandBlossom(bl int, endstage bool) {
	for _, s := range b.blossomchilds[bl] {
		b.blossomparent[s] = -1
		switch {
		case s < b.nv:
			b.inblossom[s] = s
		case endstage && b.dualvar[s] == 0:
			b.expandBlossom(s, endstage)
		default:
			for _, lv := range b.leaves(s, nil) {
				b.inblossom[lv] = s
			}
		}
	}
	if !endstage && b.label[bl] == 2 {
		// The expanded T-blossom's sub-blossoms on the even path from the
		// entry to the base are relabelled T and S in turn; the rest become
		// free or keep a T label reached from outside.
		childs := b.blossomchilds[bl]
		endps := b.blossomendps[bl]
		entrychild := b.inblossom[b.endpoint[b.labelend[bl]^1]]
		j := index(childs, entrychild)
		var jstep, endptrick int
		if j&1 != 0 {
			j -= len(childs)
			jstep, endptrick = 1, 0
		} else {
			jstep, endptrick = -1, 1
		}
		p := b.labelend[bl]
		for j != 0 {
			b.label[b.endpoint[p^1]] = 0
			b.label[b.endpoint[at(endps, j-endptrick)^endptrick^1]] = 0
			b.assignLabel(b.endpoint[p^1], 2, p)
			b.allowedge[at(endps, j-endptrick)/2] = true
			j += jstep
			p = at(endps, j-endptrick) ^ endptrick
			b.allowedge[p/2] = true
			j += jstep
		}
		bv := at(childs, j)
		b.label[b.endpoint[p^1]], b.label[bv] = 2, 2
		b.labelend[b.endpoint[p^1]], b.labelend[bv] = p, p
		b.bestedge[bv] = -1
		j += jstep
		for at(childs, j) != entrychild {
			bv := at(childs, j)
			if b.label[bv] == 1 {
				j += jstep
				continue
			}
			v := -1
			for _, lv := range b.leaves(bv, nil) {
				if b.label[lv] != 0 {
					v = lv
					break
				}
			}
			if v >= 0 {
				b.label[v] = 0
				b.label[b.endpoint[b.mate[b.blossombase[bv]]]] = 0
				b.assignLabel(v, 2, b.labelend[v])
			}
			j += jstep
		}
	}
	b.label[bl], b.labelend[bl] = -1, -1
	b.blossomchilds[bl], b.blossomendps[bl] = nil, nil
	b.blossombase[bl] = -1
	b.blossombestedges[bl] = nil
	b.bestedge[bl] = -1
	b.unusedblossoms = append(b.unusedblossoms, bl)
}

// augmentBlossom swaps matched and unmatched edges on the even path
// through blossom bl from vertex v to the base, making v the new base.
func (b *blossomState) augmentBlossom(bl, v int) {
	t := v
	for b.blossomparent[t] != bl {
		t = b.blossomparent[t]
	}
	if t >= b.nv {
		b.augmentBlossom(t, v)
	}
	childs := b.blossomchilds[bl]
	endps := b.blossomendps[bl]
	i := index(childs, t)
	j := i
	var jstep, endptrick int
	if i&1 != 0 {
		j -= len(childs)
		jstep, endptrick = 1, 0
	} else {
		jstep, endptrick = -1, 1
	}
	for j != 0 {
		j += jstep
		t = at(childs, j)
		p := at(endps, j-endptrick) ^ endptrick
		if t >= b.nv {
			b.augmentBlossom(t, b.endpoint[p])
		}
		j += jstep
		t = at(childs, j)
		if t >= b.nv {
			b.augmentBlossom(t, b.endpoint[p^1])
		}
		b.mate[b.endpoint[p]] = p ^ 1
		b.mate[b.endpoint[p^1]] = p
	}
	b.blossomchilds[bl] = append(append([]int(nil), childs[i:]...), childs[:i]...)
	b.blossomendps[bl] = append(append([]int(nil), endps[i:]...), endps[:i]...)
	b.blossombase[bl] = b.blossombase[b.blossomchilds[bl][0]]
}

func (b *blossomState) augmentMatching(k int) {
	v, w := b.edges[k].I, b.edges[k].J
	for _, sp := range [2][2]int{{v, 2*k + 1}, {w, 2 * k}} {
		s, p := sp[0], sp[1]
		for {
			bs := b.inblossom[s]
			if bs >= b.nv {
				b.augmentBlossom(bs, s)
			}
			b.mate[s] = p
			if b.labelend[bs] == -1 {
				break // reached a root
			}
			t := b.endpoint[b.labelend[bs]]
			bt := b.inblossom[t]
			s = b.endpoint[b.labelend[bt]]
			j := b.endpoint[b.labelend[bt]^1]
			if bt >= b.nv {
				b.augmentBlossom(bt, j)
			}
			b.mate[j] = b.labelend[bt]
			p = b.labelend[bt] ^ 1
		}
	}
}

func (b *blossomState) run(maxCardinality bool) {
	n := b.nv
	for range n {
		// A stage: grow alternating trees from every free vertex until an
		// augmenting path is found or the duals prove none helps.
		clear(b.label)
		for i := range b.bestedge {
			b.bestedge[i] = -1
		}
		for i := n; i < 2*n; i++ {
			b.blossombestedges[i] = nil
		}
		clear(b.allowedge)
		b.queue = b.queue[:0]
		for v := range n {
			if b.mate[v] == -1 && b.label[b.inblossom[v]] == 0 {
				b.assignLabel(v, 1, -1)
			}
		}
		augmented := false
		for {
			for len(b.queue) > 0 && !augmented {
				v := b.queue[len(b.queue)-1]
				b.queue = b.queue[:len(b.queue)-1]
				for _, p := range b.neighbend[v] {
					k := p / 2
					w := b.endpoint[p]
					if b.inblossom[v] == b.inblossom[w] {
						continue
					}
					var kslack int64
					if !b.allowedge[k] {
						kslack = b.slack(k)
						if kslack <= 0 {
							b.allowedge[k] = true
						}
					}
					switch {
					case b.allowedge[k]:
						switch {
						case b.label[b.inblossom[w]] == 0:
							b.assignLabel(w, 2, p^1)
						case b.label[b.inblossom[w]] == 1:
							if base := b.scanBlossom(v, w); base >= 0 {
								b.addBlossom(base, k)
							} else {
								b.augmentMatching(k)
								augmented = true
							}
						case b.label[w] == 0:
							b.label[w] = 2
							b.labelend[w] = p ^ 1
						}
					case b.label[b.inblossom[w]] == 1:
						bv := b.inblossom[v]
						if b.bestedge[bv] == -1 || kslack < b.slack(b.bestedge[bv]) {
							b.bestedge[bv] = k
						}
					case b.label[w] == 0:
						if b.bestedge[w] == -1 || kslack < b.slack(b.bestedge[w]) {
							b.bestedge[w] = k
						}
					}
					if augmented {
						break
					}
				}
			}
			if augmented {
				break
			}
			// No tight edge left to follow: change the duals by the
			// largest delta that keeps every slack non-negative.
			deltatype := -1
			var delta int64
			deltaedge, deltablossom := -1, -1
			if !maxCardinality {
				deltatype = 1
				delta = b.dualvar[0]
				for v := 1; v < n; v++ {
					delta = min(delta, b.dualvar[v])
				}
			}
			for v := range n {
				if b.label[b.inblossom[v]] == 0 && b.bestedge[v] != -1 {
					if d := b.slack(b.bestedge[v]); deltatype == -1 || d < delta {
						delta, deltatype, deltaedge = d, 2, b.bestedge[v]
					}
				}
			}
			for bl := range 2 * n {
				if b.blossomparent[bl] == -1 && b.label[bl] == 1 && b.bestedge[bl] != -1 {
					if d := b.slack(b.bestedge[bl]) / 2; deltatype == -1 || d < delta {
						delta, deltatype, deltaedge = d, 3, b.bestedge[bl]
					}
				}
			}
			for bl := n; bl < 2*n; bl++ {
				if b.blossombase[bl] >= 0 && b.blossomparent[bl] == -1 && b.label[bl] == 2 &&
					(deltatype == -1 || b.dualvar[bl] < delta) {
					delta, deltatype, deltablossom = b.dualvar[bl], 4, bl
				}
			}
			if deltatype == -1 {
				// Only with maxCardinality: no further augmentation is
				// possible; make the duals optimal and stop.
				deltatype = 1
				delta = b.dualvar[0]
				for v := 1; v < n; v++ {
					delta = min(delta, b.dualvar[v])
				}
				delta = max(0, delta)
			}
			for v := range n {
				switch b.label[b.inblossom[v]] {
				case 1:
					b.dualvar[v] -= delta
				case 2:
					b.dualvar[v] += delta
				}
			}
			for bl := n; bl < 2*n; bl++ {
				if b.blossombase[bl] >= 0 && b.blossomparent[bl] == -1 {
					switch b.label[bl] {
					case 1:
						b.dualvar[bl] += delta
					case 2:
						b.dualvar[bl] -= delta
					}
				}
			}
			if deltatype == 1 {
				break
			}
			switch deltatype {
			case 2:
				b.allowedge[deltaedge] = true
				i, j := b.edges[deltaedge].I, b.edges[deltaedge].J
				if b.label[b.inblossom[i]] == 0 {
					i, j = j, i
				}
				_ = j
				b.queue = append(b.queue, i)
			case 3:
				b.allowedge[deltaedge] = true
				b.queue = append(b.queue, b.edges[deltaedge].I)
			case 4:
				b.expandBlossom(deltablossom, false)
			}
		}
		if !augmented {
			break
		}
		// Blossoms whose dual reached zero at the end of a stage are
		// dissolved, as the optimality proof requires.
		for bl := n; bl < 2*n; bl++ {
			if b.blossomparent[bl] == -1 && b.blossombase[bl] >= 0 && b.label[bl] == 1 && b.dualvar[bl] == 0 {
				b.expandBlossom(bl, true)
			}
		}
	}
}

func reverse(s []int) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func index(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	panic("match: blossom child not found")
}
