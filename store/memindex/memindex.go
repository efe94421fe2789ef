// Package memindex is an in-memory retrieval index: BM25 over analysed
// terms and nearest-neighbour search over embedding vectors.
//
// Backends without a fast enough search of their own (the embedded SQLite
// store) keep one in step with their tables. It is rebuilt from stored terms
// and vectors at start-up, which is why chunks persist their analysed terms.
//
// Why not SQLite FTS5 or a vector library: at 100,000 chunks, FTS5 in pure
// Go takes hundreds of milliseconds for a chat-length OR query, and an exact
// float32 scan tens; docs/benchmarks.md has the figures. Here lexical search
// is a term-at-a-time BM25 over compact postings, and vector search ranks
// every chunk by the Hamming distance of sign bits (a SimHash of the vector,
// a few popcounts per chunk) and re-ranks the closest candidates by the dot
// product of int8-quantised vectors.
package memindex

import (
	"math"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/lorehq/lore/store"
)

// BM25 parameters. k1 and b follow the values that do best on short
// passages in the BEIR benchmarks (Anserini's defaults), confirmed on
// SciFact's training queries by lore eval.
const (
	defaultK1 = 0.9
	defaultB  = 0.4
)

// PhraseWeight scales the BM25 weight of phrase terms (two words joined by
// "_", see analyze.Terms) relative to single words. Phrases sharpen matches
// on names like "minimum wage", but counted in full they drown the single
// words; the value was tuned with lore eval on SciFact's training queries.
const PhraseWeight = 0.2

func isPhrase(term string) bool { return strings.IndexByte(term, '_') >= 0 }

// Index holds chunks for lexical and vector search. It is safe for
// concurrent use.
type Index struct {
	mu  sync.RWMutex
	dim int
	k1  float64
	b   float64

	slotOf map[int64]uint32 // chunk id -> slot
	slots  []slot
	alive  int
	dead   int

	termIDs   map[string]uint32
	termNames []string
	postings  [][]posting // by term id
	docFreq   []int32     // live documents per term
	totalLen  int64       // sum of live slot lengths

	words    int // uint64 words of sign bits per vector
	signs    []uint64
	quant    []int8
	invNorms []float32 // 1/|row| of each int8 row, 0 without a vector
	hasVecs  []bool

	scratch sync.Pool
}

type slot struct {
	id    int64
	docID string
	len   uint32
	alive bool
	terms []uint32 // distinct term ids, to update document frequencies on removal
}

type posting struct {
	slot uint32
	tf   uint32
}

// New returns an empty index for vectors of the given dimension. A
// dimension of 0 is taken from the first vector added.
func New(dim int) *Index {
	ix := &Index{
		dim:     dim,
		k1:      defaultK1,
		b:       defaultB,
		slotOf:  make(map[int64]uint32),
		termIDs: make(map[string]uint32),
	}
	ix.words = (dim + 63) / 64
	return ix
}

// Dim is the vector dimension, or 0 when no vector has been added yet.
func (ix *Index) Dim() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.dim
}

// Len is the number of chunks indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.alive
}

// Add inserts or replaces chunk id. A vector whose dimension differs from
// the index's is ignored for vector search; stores validate dimensions
// before they write, so that cannot happen through them.
func (ix *Index) Add(id int64, docID string, terms []string, vector []float32) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.slotOf[id]; ok {
		ix.removeLocked(id)
	}
	s := uint32(len(ix.slots))
	counts := make(map[uint32]uint32, len(terms))
	for _, t := range terms {
		tid, ok := ix.termIDs[t]
		if !ok {
			tid = uint32(len(ix.postings))
			ix.termIDs[t] = tid
			ix.termNames = append(ix.termNames, t)
			ix.postings = append(ix.postings, nil)
			ix.docFreq = append(ix.docFreq, 0)
		}
		counts[tid]++
	}
	distinct := make([]uint32, 0, len(counts))
	for tid, tf := range counts {
		ix.postings[tid] = append(ix.postings[tid], posting{slot: s, tf: tf})
		ix.docFreq[tid]++
		distinct = append(distinct, tid)
	}
	ix.slots = append(ix.slots, slot{id: id, docID: docID, len: uint32(len(terms)), alive: true, terms: distinct})
	ix.slotOf[id] = s
	ix.alive++
	ix.totalLen += int64(len(terms))
	ix.addVectorLocked(vector)
	ix.maybeCompactLocked()
}

func (ix *Index) addVectorLocked(v []float32) {
	if ix.dim == 0 && len(v) > 0 {
		ix.dim = len(v)
		ix.words = (len(v) + 63) / 64
		// Slots added before the first vector get empty rows.
		n := len(ix.slots) - 1
		ix.signs = make([]uint64, n*ix.words, (n+1)*ix.words)
		ix.quant = make([]int8, n*ix.dim, (n+1)*ix.dim)
		ix.invNorms = make([]float32, n, n+1)
		ix.hasVecs = make([]bool, n, n+1)
	}
	if ix.dim == 0 || len(v) != ix.dim {
		ix.signs = append(ix.signs, make([]uint64, ix.words)...)
		ix.quant = append(ix.quant, make([]int8, ix.dim)...)
		ix.invNorms = append(ix.invNorms, 0)
		ix.hasVecs = append(ix.hasVecs, false)
		return
	}
	sign := make([]uint64, ix.words)
	var maxAbs float32
	for i, x := range v {
		if x > 0 {
			sign[i/64] |= 1 << (i % 64)
		}
		if a := float32(math.Abs(float64(x))); a > maxAbs {
			maxAbs = a
		}
	}
	q := make([]int8, ix.dim)
	var invNorm float32
	if maxAbs > 0 {
		scale := maxAbs / 127
		var norm int64
		for i, x := range v {
			q[i] = int8(math.Round(float64(x / scale)))
			norm += int64(q[i]) * int64(q[i])
		}
		if norm > 0 {
			invNorm = float32(1 / math.Sqrt(float64(norm)))
		}
	}
	ix.signs = append(ix.signs, sign...)
	ix.quant = append(ix.quant, q...)
	ix.invNorms = append(ix.invNorms, invNorm)
	ix.hasVecs = append(ix.hasVecs, invNorm > 0)
}

// Remove deletes chunk id; unknown ids are ignored.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.removeLocked(id)
	ix.maybeCompactLocked()
}

func (ix *Index) removeLocked(id int64) {
	s, ok := ix.slotOf[id]
	if !ok {
		return
	}
	delete(ix.slotOf, id)
	sl := &ix.slots[s]
	sl.alive = false
	for _, tid := range sl.terms {
		ix.docFreq[tid]--
	}
	sl.terms = nil
	ix.alive--
	ix.dead++
	ix.totalLen -= int64(sl.len)
}

// maybeCompactLocked rebuilds the postings without removed slots once they
// make up a third of the index, so that re-ingesting a corpus many times
// does not grow memory or slow searches without bound.
func (ix *Index) maybeCompactLocked() {
	if ix.dead < 1024 || ix.dead*3 < len(ix.slots) {
		return
	}
	remap := make([]uint32, len(ix.slots))
	var slots []slot
	for old, sl := range ix.slots {
		if !sl.alive {
			remap[old] = math.MaxUint32
			continue
		}
		remap[old] = uint32(len(slots))
		slots = append(slots, sl)
	}
	for tid, ps := range ix.postings {
		kept := ps[:0]
		for _, p := range ps {
			if n := remap[p.slot]; n != math.MaxUint32 {
				kept = append(kept, posting{slot: n, tf: p.tf})
			}
		}
		ix.postings[tid] = kept
	}
	if ix.dim > 0 {
		signs := make([]uint64, 0, len(slots)*ix.words)
		quant := make([]int8, 0, len(slots)*ix.dim)
		invNorms := make([]float32, 0, len(slots))
		has := make([]bool, 0, len(slots))
		for old := range ix.slots {
			if remap[old] == math.MaxUint32 {
				continue
			}
			signs = append(signs, ix.signs[old*ix.words:(old+1)*ix.words]...)
			quant = append(quant, ix.quant[old*ix.dim:(old+1)*ix.dim]...)
			invNorms = append(invNorms, ix.invNorms[old])
			has = append(has, ix.hasVecs[old])
		}
		ix.signs, ix.quant, ix.invNorms, ix.hasVecs = signs, quant, invNorms, has
	}
	ix.slots = slots
	for i, sl := range slots {
		ix.slotOf[sl.id] = uint32(i)
	}
	ix.dead = 0
}

// DocFreqs returns, for each term, how many indexed chunks contain it, and
// the number of chunks.
func (ix *Index) DocFreqs(terms []string) (map[string]int, int) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make(map[string]int, len(terms))
	for _, t := range terms {
		if tid, ok := ix.termIDs[t]; ok {
			out[t] = int(ix.docFreq[tid])
		} else {
			out[t] = 0
		}
	}
	return out, ix.alive
}

// SearchLexical ranks chunks by BM25 over terms and returns the best k.
// A term repeated in the query counts once per repetition.
func (ix *Index) SearchLexical(terms []string, k int) []store.Hit {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.alive == 0 || k <= 0 {
		return nil
	}
	qtf := make(map[uint32]int, len(terms))
	for _, t := range terms {
		if tid, ok := ix.termIDs[t]; ok && ix.docFreq[tid] > 0 {
			qtf[tid]++
		}
	}
	if len(qtf) == 0 {
		return nil
	}
	sc := ix.getScratch()
	defer ix.scratch.Put(sc)

	n := float64(ix.alive)
	avgLen := float64(ix.totalLen) / n
	if avgLen == 0 {
		avgLen = 1
	}
	k1, b := ix.k1, ix.b
	for tid, count := range qtf {
		df := float64(ix.docFreq[tid])
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		w := float32(idf * float64(count) * (k1 + 1))
		if isPhrase(ix.termNames[tid]) {
			w *= PhraseWeight
		}
		for _, p := range ix.postings[tid] {
			sl := &ix.slots[p.slot]
			if !sl.alive {
				continue
			}
			tf := float64(p.tf)
			norm := k1 * (1 - b + b*float64(sl.len)/avgLen)
			if sc.scores[p.slot] == 0 {
				sc.touched = append(sc.touched, p.slot)
			}
			sc.scores[p.slot] += w * float32(tf/(tf+norm))
		}
	}
	hits := topK(sc.touched, sc.scores, k, func(s uint32) store.Hit {
		return store.Hit{ChunkID: ix.slots[s].id, DocID: ix.slots[s].docID}
	})
	for _, s := range sc.touched {
		sc.scores[s] = 0
	}
	sc.touched = sc.touched[:0]
	return hits
}

// scratch is per-search working memory, pooled so that a search allocates
// little beyond its results.
type scratch struct {
	scores  []float32 // by slot; zero between searches
	touched []uint32
	dist    []uint16
}

func (ix *Index) getScratch() *scratch {
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	if len(sc.scores) < len(ix.slots) {
		n := len(ix.slots) + len(ix.slots)/4
		sc.scores = make([]float32, n)
		sc.dist = make([]uint16, n)
	}
	return sc
}

// topK returns the k best-scoring slots among cands, best first, with ties
// broken by slot order so results are deterministic.
func topK(cands []uint32, scores []float32, k int, hit func(uint32) store.Hit) []store.Hit {
	h := make(minHeap, 0, k)
	for _, s := range cands {
		sc := scores[s]
		if len(h) < k {
			h.push(scored{s, sc})
			continue
		}
		if sc > h[0].score || (sc == h[0].score && s < h[0].slot) {
			h[0] = scored{s, sc}
			h.down(0)
		}
	}
	sort.Slice(h, func(i, j int) bool {
		if h[i].score != h[j].score {
			return h[i].score > h[j].score
		}
		return h[i].slot < h[j].slot
	})
	out := make([]store.Hit, len(h))
	for i, e := range h {
		out[i] = hit(e.slot)
		out[i].Score = float64(e.score)
	}
	return out
}

type scored struct {
	slot  uint32
	score float32
}

// minHeap keeps the worst of the current best k at the root.
type minHeap []scored

func (h minHeap) less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].slot > h[j].slot
}

func (h *minHeap) push(e scored) {
	*h = append(*h, e)
	i := len(*h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		(*h)[i], (*h)[p] = (*h)[p], (*h)[i]
		i = p
	}
}

func (h minHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// rerankFactor is how many Hamming-distance candidates are re-ranked by the
// quantised dot product per result asked for. Sign bits of hashed or learned
// embeddings order neighbours well but coarsely; 20 candidates per result
// brings recall against an exact scan close to 1 (memindex_test checks it).
const (
	rerankFactor  = 20
	minCandidates = 200
)

// SearchVector returns the k chunks whose vectors are closest (cosine) to v.
// v need not be normalised; stored vectors are compared by direction.
func (ix *Index) SearchVector(v []float32, k int) []store.Hit {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.alive == 0 || k <= 0 || ix.dim == 0 || len(v) != ix.dim {
		return nil
	}
	words := ix.words
	qsign := make([]uint64, words)
	for i, x := range v {
		if x > 0 {
			qsign[i/64] |= 1 << (i % 64)
		}
	}
	nslots := len(ix.slots)
	maxDist := words * 64
	// Counting sort by Hamming distance: distances are small integers, so
	// one pass builds a histogram and a second collects the closest.
	sc := ix.getScratch()
	defer ix.scratch.Put(sc)
	dist := sc.dist[:nslots]
	hist := make([]int, maxDist+2)
	for s := 0; s < nslots; s++ {
		if !ix.slots[s].alive || !ix.hasVecs[s] {
			dist[s] = uint16(maxDist + 1)
			continue
		}
		row := ix.signs[s*words : (s+1)*words]
		d := 0
		for w, q := range qsign {
			d += bits.OnesCount64(row[w] ^ q)
		}
		dist[s] = uint16(d)
		hist[d]++
	}
	want := max(k*rerankFactor, minCandidates)
	cut, total := 0, 0
	for cut <= maxDist && total < want {
		total += hist[cut]
		cut++
	}
	cands := make([]uint32, 0, total)
	for s := 0; s < nslots; s++ {
		if int(dist[s]) < cut {
			cands = append(cands, uint32(s))
		}
	}
	var qnorm float64
	for _, x := range v {
		qnorm += float64(x) * float64(x)
	}
	if qnorm == 0 {
		return nil
	}
	qinv := float32(1 / math.Sqrt(qnorm))
	for _, s := range cands {
		row := ix.quant[int(s)*ix.dim : (int(s)+1)*ix.dim]
		var dot float32
		for i, x := range row {
			dot += v[i] * float32(x)
		}
		// Cosine: the quantisation scale cancels, so only the norm of the
		// int8 row (kept in invNorms) is needed.
		sc.scores[s] = dot * qinv * ix.invNorms[s]
	}
	hits := topK(cands, sc.scores, k, func(s uint32) store.Hit {
		return store.Hit{ChunkID: ix.slots[s].id, DocID: ix.slots[s].docID}
	})
	for _, s := range cands {
		sc.scores[s] = 0
	}
	return hits
}
