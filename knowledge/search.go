package knowledge

import (
	"context"
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
)

// Passage is one retrieved chunk with the evidence for its rank.
type Passage struct {
	store.ChunkView
	// Score is the fused rank score (higher is better); only its order
	// means anything.
	Score float64
	// Coverage is the share of the question's content terms, weighted by
	// their rarity (inverse document frequency), that occur in the passage,
	// its title or heading, from 0 to 1. A missing rare word ("hackathon")
	// costs more than a missing common one ("year").
	Coverage float64
	// Similarity is the cosine of the question's and the passage's vectors.
	Similarity float64
}

// defaultRanking was tuned with lore eval on SciFact's training queries
// (docs/benchmarks.md): lexical evidence leads, the hashed vectors add a
// little sub-word and phrase similarity.
var defaultRanking = ranking{lexical: 1.0, vector: 0.1, sameDocument: 0.5}

// ranking holds the weights that order passages.
type ranking struct {
	lexical, vector float64 // weights of the two lists in the fusion
	// sameDocument multiplies the score of each further chunk of a
	// document already ranked, so that several documents come before
	// several chunks of one.
	sameDocument float64
}

const (
	// candidatesPerResult is how deep each list is read per result asked.
	candidatesPerResult = 5
	minCandidates       = 50
	// nearDuplicate is the term-set Jaccard similarity above which two
	// chunks are the same passage (copied boilerplate, mirrored pages).
	nearDuplicate = 0.9
)

// Search returns up to k passages for query from the published documents
// in scope, best first: lexical and vector results fused by their weighted,
// rescaled scores, near-duplicates collapsed, and further chunks of one
// document ranked below other documents. The scope is applied inside both
// searches (store.Search), so passages out of scope neither appear nor
// take the place of passages in scope; Scope computes a reader's.
//
// Feedback then re-orders what was retrieved: each passage's score is
// multiplied by its document's feedback factor (FeedbackFactor, within
// [0.9, 1.1]), which never removes a passage.
func (s *Service) Search(ctx context.Context, query string, k int, scope store.Scope) ([]Passage, error) {
	ranked, _, err := s.search(ctx, query, k, scope, nil)
	return ranked, err
}

// wordsAlone lets a search go on by words alone when the question cannot
// be embedded: the embedding model fails, or ctx, which bounds embedding
// the question, ends first. reason then says why.
type wordsAlone struct {
	ctx    context.Context
	reason string
}

// search returns the passages ranked with feedback and, for the decision
// whether to answer at all, the same retrieval ranked without it (the
// same slice when no feedback applies). With words not nil, a question
// that cannot be embedded is searched by words alone instead of failing.
func (s *Service) search(ctx context.Context, query string, k int, scope store.Scope, words *wordsAlone) (ranked, relevance []Passage, err error) {
	if k <= 0 {
		return nil, nil, nil
	}
	terms := analyze.QueryTerms(query)
	synonyms := s.synonyms.Load().expand(query)
	terms = append(terms, synonyms.terms()...)
	depth := max(k*candidatesPerResult, minCandidates)
	// The two lists are independent: the lexical one is searched in this
	// process while the question is embedded (perhaps by a remote model)
	// and the vector index answers, so a search costs the slower of the
	// two rather than their sum.
	var (
		lex     []store.Hit
		lexErr  error
		lexDone = make(chan struct{})
	)
	lexCtx, cancelLex := context.WithCancel(ctx)
	defer cancelLex()
	go func() {
		defer close(lexDone)
		lex, lexErr = s.store.SearchLexical(lexCtx, store.LexicalQuery{Text: query, Terms: terms, Scope: scope}, depth)
	}()
	qvec, vec, err := s.searchVector(ctx, query, depth, scope, words)
	if err != nil {
		cancelLex()
		<-lexDone
		return nil, nil, err
	}
	<-lexDone
	if lexErr != nil {
		return nil, nil, fmt.Errorf("lexical search: %w", lexErr)
	}
	fused := fuse(lex, vec, s.ranking, depth)
	// Load a few more than asked so that collapsing duplicates and
	// diversifying documents still leaves k.
	load := min(len(fused), k*2+5)
	ids := make([]int64, load)
	for i := range ids {
		ids[i] = fused[i].ChunkID
	}
	views, err := s.store.Chunks(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("load passages: %w", err)
	}
	scores := make(map[int64]float64, len(fused))
	for _, h := range fused[:load] {
		scores[h.ChunkID] = h.Score
	}
	weights, err := s.termWeights(ctx, analyze.ContentTerms(query))
	if err != nil {
		return nil, nil, err
	}
	passages := make([]Passage, 0, len(views))
	for _, v := range views {
		passages = append(passages, Passage{
			ChunkView:  v,
			Score:      scores[v.ID],
			Coverage:   coverage(weights, synonyms, v),
			Similarity: cosine(qvec, v.Vector),
		})
	}
	passages = collapseDuplicates(passages)
	var adjusted []Passage
	if factors := s.feedbackFactors(ctx); len(factors) > 0 {
		for i, p := range passages {
			if f, ok := factors[p.DocID]; ok {
				if adjusted == nil {
					adjusted = slices.Clone(passages)
				}
				adjusted[i].Score *= f
			}
		}
	}
	passages = firstK(diversify(passages, s.ranking.sameDocument), k)
	if adjusted == nil {
		return passages, passages, nil
	}
	return firstK(diversify(adjusted, s.ranking.sameDocument), k), passages, nil
}

func firstK(ps []Passage, k int) []Passage {
	if len(ps) > k {
		return ps[:k]
	}
	return ps
}

// fuse merges the lexical and vector lists by a weighted sum of their
// scores, each rescaled to span 0 to 1 within its list. Score fusion beats
// reciprocal-rank fusion here: the hashed vectors are a weak ranker, and
// RRF gives a weak ranker's order as much say as a strong one's
// (docs/benchmarks.md has both).
func fuse(lex, vec []store.Hit, r ranking, depth int) []store.Hit {
	byID := make(map[int64]*store.Hit, len(lex)+len(vec))
	var order []int64
	addScores(lex, r.lexical, len(lex) < depth, byID, &order)
	addScores(vec, r.vector, len(vec) < depth, byID, &order)
	out := make([]store.Hit, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// addScores adds each hit's score, rescaled so that the list spans 0 to 1,
// times weight.
func addScores(hits []store.Hit, weight float64, complete bool, byID map[int64]*store.Hit, order *[]int64) {
	if len(hits) == 0 {
		return
	}
	hi, lo := hits[0].Score, hits[len(hits)-1].Score
	if complete {
		// The list holds every match, so its last hit is a match too:
		// rescale from no match at all, not from that hit.
		lo = min(lo, 0)
	}
	for _, h := range hits {
		e, ok := byID[h.ChunkID]
		if !ok {
			e = &store.Hit{ChunkID: h.ChunkID, DocID: h.DocID}
			byID[h.ChunkID] = e
			*order = append(*order, h.ChunkID)
		}
		norm := 1.0
		if hi > lo {
			norm = (h.Score - lo) / (hi - lo)
		}
		e.Score += weight * norm
	}
}

func collapseDuplicates(ps []Passage) []Passage {
	out := ps[:0]
	var kept [][]uint64
	for _, p := range ps {
		sig := termSignature(p.Terms)
		dup := false
		for _, k := range kept {
			small, large := min(len(sig), len(k)), max(len(sig), len(k))
			if float64(small) < nearDuplicate*float64(large) {
				continue
			}
			if sortedJaccard(sig, k) >= nearDuplicate {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, p)
			kept = append(kept, sig)
		}
	}
	return out
}

// termSignature is the sorted set of the hashes of a passage's single-word
// terms (phrases add nothing to tell duplicates apart).
func termSignature(terms []string) []uint64 {
	sig := make([]uint64, 0, len(terms))
	for _, t := range terms {
		if strings.IndexByte(t, '_') < 0 {
			sig = append(sig, maphash.String(signatureSeed, t))
		}
	}
	slices.Sort(sig)
	return slices.Compact(sig)
}

var signatureSeed = maphash.MakeSeed()

func sortedJaccard(a, b []uint64) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	inter := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			inter++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

func diversify(ps []Passage, penalty float64) []Passage {
	seen := make(map[string]int)
	for i := range ps {
		n := seen[ps[i].DocID]
		ps[i].Score *= math.Pow(penalty, float64(n))
		seen[ps[i].DocID] = n + 1
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Score > ps[j].Score })
	return ps
}

func termSet(terms []string) map[string]struct{} {
	m := make(map[string]struct{}, len(terms))
	for _, t := range terms {
		m[t] = struct{}{}
	}
	return m
}

func jaccard(a, b map[string]struct{}) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	inter := 0
	for t := range a {
		if _, ok := b[t]; ok {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// termWeights gives each distinct term its BM25 inverse document
// frequency; a term no chunk contains gets the largest weight.
func (s *Service) termWeights(ctx context.Context, terms []string) (map[string]float64, error) {
	stats, err := s.store.TermStats(ctx, terms)
	if err != nil {
		return nil, fmt.Errorf("term statistics: %w", err)
	}
	n := float64(stats.Chunks)
	w := make(map[string]float64, len(terms))
	for _, t := range terms {
		df := float64(stats.DocFreq[t])
		w[t] = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	return w, nil
}

// coverage is the share of the question's term weights that the passage
// holds, itself or by a synonym.
func coverage(weights map[string]float64, synonyms expansion, v store.ChunkView) float64 {
	var total, have float64
	present := termSet(v.Terms)
	has := func(t string) bool {
		_, ok := present[t]
		return ok
	}
	for t, w := range weights {
		total += w
		if has(t) || synonyms.covers(t, has) {
			have += w
		}
	}
	if total == 0 {
		return 0
	}
	return have / total
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
