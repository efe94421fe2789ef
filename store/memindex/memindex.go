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
// product of int8-quantised vectors; an index of up to 16,384 vectors
// re-ranks them all.
package memindex

import (
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/lorehq/lore/store"
)

// PhraseWeight is store.PhraseWeight: phrases sharpen matches on names
// like "minimum wage", but counted in full they drown the single words.
const PhraseWeight = store.PhraseWeight

// phraseCandidates is how many of the best single-word matches per result
// asked for are re-scored with phrases.
const (
	phraseCandidates    = 10
	minPhraseCandidates = 100
)

func isPhrase(term string) bool { return strings.IndexByte(term, '_') >= 0 }

// phraseHash keys a phrase in a chunk's phrase list. Phrases are not kept in
// the term dictionary: a corpus has millions of distinct word pairs, and a
// dictionary of them costs more memory than all the postings. A 16-bit hash
// per occurrence is enough to find a query's few phrases in a chunk: with
// about 80 phrases in a chunk, a query phrase matches one it does not
// contain one time in 800, and then only adds a small bonus.
func phraseHash(p string) uint16 {
	h := uint32(2166136261)
	for i := 0; i < len(p); i++ {
		h ^= uint32(p[i])
		h *= 16777619
	}
	return uint16(h ^ h>>16)
}

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

	termIDs  map[string]uint32
	postings [][]posting // by term id
	docFreq  []int32     // live documents per term
	totalLen int64       // sum of live slot lengths

	vecs vectorRows // by slot

	// Collections are interned: a slot holds its collection's number, so
	// that a scoped search tests a slice element rather than a string.
	collIDs   map[string]uint16
	collNames []string

	scratch sync.Pool

	// addIDs and addPhrases are Add's buffers, reused under mu.
	addIDs     []uint32
	addPhrases []uint16
	// Add counts a chunk's term frequencies in these, by term id, rather
	// than by sorting its term ids (a fifth of Add's time): addSeen[tid]
	// is addGen when the chunk being added has the term, addTF[tid] how
	// often. Eight bytes per distinct term.
	addSeen []uint32
	addTF   []uint32
	addGen  uint32
	// addSorted is sortHashes's scratch space.
	addSorted []uint16
}

type slot struct {
	id    int64
	docID string
	len   uint32
	// coll is the index of the chunk's collection in collNames; 16 bits
	// keep the slot the size it was before collections (see Add for more
	// collections than that).
	coll  uint16
	alive bool
	terms []uint32 // distinct term ids, to update document frequencies on removal
	// phrases are the hashes of the chunk's phrases, sorted, repeated as
	// often as the phrase occurs.
	phrases []uint16
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
		k1:      store.BM25K1,
		b:       store.BM25B,
		slotOf:  make(map[int64]uint32),
		termIDs: make(map[string]uint32),
		collIDs: make(map[string]uint16),
	}
	ix.vecs = newVectorRows(dim)
	return ix
}

// Len is the number of chunks indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.alive
}

// Add inserts or replaces chunk id of document docID in collection. A
// vector whose dimension differs from the index's is ignored for vector
// search; stores validate dimensions before they write, so that cannot
// happen through them.
func (ix *Index) Add(id int64, docID, collection string, terms []string, vector []float32) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.slotOf[id]; ok {
		ix.removeLocked(id)
	}
	coll, ok := ix.collIDs[collection]
	if !ok {
		coll = uint16(min(len(ix.collNames), overflowColl))
		if coll < overflowColl {
			ix.collIDs[strings.Clone(collection)] = coll
			ix.collNames = append(ix.collNames, strings.Clone(collection))
		}
	}
	s := uint32(len(ix.slots))
	// The distinct term ids and the phrases are gathered in buffers kept
	// for the next Add (Add holds the lock), and the slot keeps exact-size
	// copies: a slice grown by append keeps up to twice what it holds, and
	// at 100,000 chunks that slack was a tenth of the process's memory.
	ids := ix.addIDs[:0]
	phrases := ix.addPhrases[:0]
	ix.addGen++
	if ix.addGen == 0 { // wrapped: no mark may look current
		clear(ix.addSeen)
		ix.addGen = 1
	}
	words := 0
	for _, t := range terms {
		if isPhrase(t) {
			phrases = append(phrases, phraseHash(t))
			continue
		}
		words++
		tid, ok := ix.termIDs[t]
		if !ok {
			tid = uint32(len(ix.postings))
			ix.termIDs[strings.Clone(t)] = tid
			ix.postings = append(ix.postings, nil)
			ix.docFreq = append(ix.docFreq, 0)
		}
		for int(tid) >= len(ix.addSeen) {
			ix.addSeen = append(ix.addSeen, 0)
			ix.addTF = append(ix.addTF, 0)
		}
		if ix.addSeen[tid] != ix.addGen {
			ix.addSeen[tid], ix.addTF[tid] = ix.addGen, 0
			ids = append(ids, tid)
		}
		ix.addTF[tid]++
	}
	ix.addSorted = sortHashes(phrases, ix.addSorted)
	ix.addIDs, ix.addPhrases = ids, phrases
	distinct := slices.Clone(ids)
	for _, tid := range distinct {
		ix.postings[tid] = append(ix.postings[tid], posting{slot: s, tf: ix.addTF[tid]})
		ix.docFreq[tid]++
	}
	ix.slots = append(ix.slots, slot{id: id, docID: docID, coll: coll, len: uint32(words), alive: true,
		terms: distinct, phrases: slices.Clone(phrases)})
	ix.slotOf[id] = s
	ix.alive++
	ix.totalLen += int64(words)
	ix.addVectorLocked(vector)
	ix.maybeCompactLocked()
}

// sortHashes sorts a in place by two passes of a byte-wise radix sort,
// with tmp (grown if needed, and returned) as scratch: a chunk's 80 or so
// phrase hashes sort in a third of the time slices.Sort takes.
func sortHashes(a, tmp []uint16) []uint16 {
	if cap(tmp) < len(a) {
		tmp = make([]uint16, len(a), 2*len(a))
	}
	tmp = tmp[:len(a)]
	var low, high [257]int
	for _, x := range a {
		low[x&0xff+1]++
		high[x>>8+1]++
	}
	for i := 1; i < len(low); i++ {
		low[i] += low[i-1]
		high[i] += high[i-1]
	}
	for _, x := range a {
		tmp[low[x&0xff]] = x
		low[x&0xff]++
	}
	for _, x := range tmp {
		a[high[x>>8]] = x
		high[x>>8]++
	}
	return tmp
}

func (ix *Index) addVectorLocked(v []float32) {
	if ix.dim == 0 && len(v) > 0 {
		// Slots added before the first vector get empty rows.
		ix.dim = len(v)
		ix.vecs = newVectorRows(ix.dim)
		for range len(ix.slots) - 1 {
			ix.vecs.add(nil, nil, 0)
		}
	}
	if ix.dim == 0 {
		return
	}
	if len(v) != ix.dim {
		ix.vecs.add(nil, nil, 0)
		return
	}
	sign := make([]uint64, ix.vecs.words)
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
	ix.vecs.add(sign, q, invNorm)
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
	sl.phrases = nil
	if ix.dim > 0 {
		ix.vecs.blocks[s/rowsPerBlock].invNorms[s%rowsPerBlock] = 0
	}
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
		vecs := newVectorRows(ix.dim)
		for old := range ix.slots {
			if remap[old] != math.MaxUint32 {
				vecs.add(ix.vecs.signs(old), ix.vecs.quant(old), ix.vecs.invNorm(old))
			}
		}
		ix.vecs = vecs
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
// A term repeated in the query counts once per repetition. Phrases in
// terms re-score the best single-word matches, in the manner of BM25 with
// term proximity: a phrase found in a chunk adds PhraseWeight times the
// BM25 weight of its more common word (the smaller idf), so a phrase never
// outweighs the words it is made of.
//
// Only chunks of collections in scope are scored, so k results in scope
// come back whenever there are k; document frequencies stay those of the
// whole index, so a chunk ranks alike whoever searches.
func (ix *Index) SearchLexical(terms []string, k int, scope store.Scope) []store.Hit {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.alive == 0 || k <= 0 {
		return nil
	}
	mask, none := ix.maskLocked(scope)
	if none {
		return nil
	}
	n := float64(ix.alive)
	idf := func(tid uint32) float64 {
		df := float64(ix.docFreq[tid])
		return math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	qtf := make(map[uint32]int, len(terms))
	type phrase struct {
		hash   uint16
		weight float64
	}
	var phrases []phrase
	for _, t := range terms {
		if isPhrase(t) {
			a, b, _ := strings.Cut(t, "_")
			ta, okA := ix.termIDs[a]
			tb, okB := ix.termIDs[b]
			if okA && okB && ix.docFreq[ta] > 0 && ix.docFreq[tb] > 0 {
				phrases = append(phrases, phrase{phraseHash(t), PhraseWeight * min(idf(ta), idf(tb))})
			}
			continue
		}
		if tid, ok := ix.termIDs[t]; ok && ix.docFreq[tid] > 0 {
			qtf[tid]++
		}
	}
	if len(qtf) == 0 {
		return nil
	}
	sc := ix.getScratch()
	defer ix.scratch.Put(sc)

	avgLen := float64(ix.totalLen) / n
	if avgLen == 0 {
		avgLen = 1
	}
	k1, b := ix.k1, ix.b
	norm := func(sl *slot) float64 { return k1 * (1 - b + b*float64(sl.len)/avgLen) }
	for tid, count := range qtf {
		w := float32(idf(tid) * float64(count) * (k1 + 1))
		for _, p := range ix.postings[tid] {
			sl := &ix.slots[p.slot]
			if !sl.alive || (mask != nil && !mask[sl.coll]) {
				continue
			}
			tf := float64(p.tf)
			if sc.scores[p.slot] == 0 {
				sc.touched = append(sc.touched, p.slot)
			}
			sc.scores[p.slot] += w * float32(tf/(tf+norm(sl)))
		}
	}
	hit := func(s uint32) store.Hit { return store.Hit{ChunkID: ix.slots[s].id, DocID: ix.slots[s].docID} }
	var hits []store.Hit
	if len(phrases) == 0 {
		hits = topK(sc.touched, sc.scores, k, hit)
	} else {
		cands := topK(sc.touched, sc.scores, max(k*phraseCandidates, minPhraseCandidates), func(s uint32) store.Hit {
			return store.Hit{ChunkID: int64(s)}
		})
		slots := make([]uint32, len(cands))
		for i, c := range cands {
			s := uint32(c.ChunkID)
			slots[i] = s
			sl := &ix.slots[s]
			for _, p := range phrases {
				if tf := countSorted(sl.phrases, p.hash); tf > 0 {
					sc.scores[s] += float32(p.weight * (k1 + 1) * float64(tf) / (float64(tf) + norm(sl)))
				}
			}
		}
		hits = topK(slots, sc.scores, k, hit)
	}
	for _, s := range sc.touched {
		sc.scores[s] = 0
	}
	sc.touched = sc.touched[:0]
	return hits
}

// countSorted counts x in a sorted slice.
func countSorted(xs []uint16, x uint16) int {
	i, found := slices.BinarySearch(xs, x)
	if !found {
		return 0
	}
	j := i
	for j < len(xs) && xs[j] == x {
		j++
	}
	return j - i
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
	k = min(k, len(cands)) // a huge k must not size the heap
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
//
// An index of at most exactUpTo vectors re-ranks every one of them: an
// exact search, but for int8 rounding. Sign bits pick neighbours well on
// the clustered embeddings of real text, but where a query's nearest
// vectors are barely nearer than the rest (short questions embedded by the
// offline embedder, the bench's synthetic corpus) they pick almost at
// random: recall@10 about 0.02 at 100,000 chunks. A knowledge base of a
// few thousand chunks, the common case, need not accept that, and
// re-ranking 16,384 vectors takes about 2.5 ms (BenchmarkSearchVector).
const (
	rerankFactor  = 20
	minCandidates = 200
	exactUpTo     = 16384
)

// SearchVector returns the k chunks of collections in scope whose vectors
// are closest (cosine) to v. v need not be normalised; stored vectors are
// compared by direction. Chunks out of scope are left out of the candidates,
// not dropped from the results, so they never crowd out chunks in scope.
func (ix *Index) SearchVector(v []float32, k int, scope store.Scope) []store.Hit {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.alive == 0 || k <= 0 || ix.dim == 0 || len(v) != ix.dim {
		return nil
	}
	mask, none := ix.maskLocked(scope)
	if none {
		return nil
	}
	words := ix.vecs.words
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
	if mask == nil {
		hammingAll(ix.vecs.blocks, nslots, words, qsign, dist, hist)
	} else {
		hammingScoped(ix.vecs.blocks, ix.slots, mask, words, qsign, dist, hist)
	}
	want := max(k*rerankFactor, minCandidates)
	if ix.alive <= exactUpTo {
		want = nslots
	}
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
		row := ix.vecs.quant(int(s))
		var dot float32
		for i, x := range row {
			dot += v[i] * float32(x)
		}
		// Cosine: the quantisation scale cancels, so only the norm of the
		// int8 row (kept in invNorms) is needed.
		sc.scores[s] = dot * qinv * ix.vecs.invNorm(int(s))
	}
	hits := topK(cands, sc.scores, k, func(s uint32) store.Hit {
		return store.Hit{ChunkID: ix.slots[s].id, DocID: ix.slots[s].docID}
	})
	for _, s := range cands {
		sc.scores[s] = 0
	}
	return hits
}

// maskLocked turns scope into a test by collection number: nil when every
// collection is in scope (the unfiltered path), and none true when no
// collection the index holds is.
func (ix *Index) maskLocked(scope store.Scope) (mask []bool, none bool) {
	if scope.Unlimited() {
		return nil, false
	}
	// One more entry for overflowColl, which stays false.
	mask = make([]bool, len(ix.collNames)+1)
	none = true
	for i, name := range ix.collNames {
		mask[i] = scope.Admits(name)
		none = none && !mask[i]
	}
	return mask, none
}

// overflowColl is the collection number of every collection past the
// first 65,535 an index sees. No realistic knowledge base has that many;
// if one does, their chunks are found only by unscoped searches, so a
// scope fails closed rather than open.
const overflowColl = 1<<16 - 1

// hammingAll sets dist[s] to the Hamming distance between the query's and
// slot s's sign bits, and counts the distances in hist. Removed slots have
// their inverse norm zeroed, so the scan need not touch the (much larger)
// slot records; they get a distance past every real one.
func hammingAll(blocks []*vectorBlock, nslots, words int, qsign []uint64, dist []uint16, hist []int) {
	far := uint16(words*64 + 1)
	for bi, blk := range blocks {
		base := bi * rowsPerBlock
		rows := min(rowsPerBlock, nslots-base)
		for off := 0; off < rows; off++ {
			s := base + off
			if blk.invNorms[off] == 0 {
				dist[s] = far
				continue
			}
			row := blk.signs[off*words : off*words+words]
			d := 0
			for w, q := range qsign {
				d += bits.OnesCount64(row[w] ^ q)
			}
			dist[s] = uint16(d)
			hist[d]++
		}
	}
}

// hammingScoped is hammingAll for a scoped search: slots of collections out
// of scope are placed as far as removed ones, before they count towards the
// candidates. A separate loop, so that the unscoped scan pays nothing for
// the test.
func hammingScoped(blocks []*vectorBlock, slots []slot, mask []bool, words int, qsign []uint64, dist []uint16, hist []int) {
	far := uint16(words*64 + 1)
	for bi, blk := range blocks {
		base := bi * rowsPerBlock
		rows := min(rowsPerBlock, len(slots)-base)
		for off := 0; off < rows; off++ {
			s := base + off
			if blk.invNorms[off] == 0 || !mask[slots[s].coll] {
				dist[s] = far
				continue
			}
			row := blk.signs[off*words : off*words+words]
			d := 0
			for w, q := range qsign {
				d += bits.OnesCount64(row[w] ^ q)
			}
			dist[s] = uint16(d)
			hist[d]++
		}
	}
}
