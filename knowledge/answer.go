package knowledge

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
)

// Answer is Lore's reply to a question, before any platform renders it.
type Answer struct {
	Question string
	// Text is Markdown with citation markers "[1]" that refer to Citations.
	Text string
	// Confident is false when the knowledge base holds no good answer; Text
	// then says so plainly and the question is a content gap.
	Confident  bool
	Confidence float64
	Citations  []Citation
	Latency    time.Duration
	// Mode says how Text was written: extractive, by the model, or
	// extractive in the model's place (fallback, with FallbackReason).
	Mode           AnswerMode
	FallbackReason string
	// SearchFallback, when not empty, says why the passages were found by
	// words alone: the embedding model could not embed the question in
	// time.
	SearchFallback string
	// Query is what retrieval searched for: the question, or a follow-up
	// rewritten as a standalone question.
	Query string
}

// Citation is a source an answer quotes, numbered as in the answer text.
type Citation struct {
	N       int
	DocID   string
	Title   string
	Heading string
	Source  string
	Score   float64
	Snippet string
}

// DefaultThreshold is the confidence below which Lore says it does not
// know. It maximises the mean Youden's J (true-positive rate plus
// true-negative rate, minus one) over two calibration sets: SciFact's
// training questions whose relevant abstract is in the top three, against
// OR-ShARC's questions that the SciFact corpus cannot answer; and the
// bundled handbook's example questions against its unanswerable ones.
// docs/benchmarks.md records the sweep, which
// `go test ./cmd/lore/cli -run XXX -bench ThresholdSweep` prints.
const DefaultThreshold = 0.38

// Answer composition limits: short enough for a chat message.
const (
	maxAnswerSentences = 3
	maxAnswerChars     = 700
	maxSources         = 3
	snippetChars       = 200
	// A passage joins the sources when its score is within this share of
	// the best one.
	sourceScoreShare = 0.6
	// minSentenceShare is how well, relative to the best sentence, a
	// further sentence must support the question to join the answer.
	minSentenceShare = 0.6
	// headingCredit is how much a question word in a sentence's title or
	// heading, rather than the sentence itself, counts towards covering
	// the question.
	headingCredit = 0.5
	// answerKindBonus is what stating the kind of fact the question asks
	// for (a number for "how many", a time for "when") adds to a
	// sentence's score: about one question word's worth, so that it
	// settles between sentences that match the question about as well.
	answerKindBonus = 0.25
)

// GapNotedText is the clause of the no-answer texts that tells the asker
// their question was kept as a content gap. A caller that records nothing
// (an answer given as someone else) replaces it rather than claim it.
const GapNotedText = "I've noted the question so the content team can fill the gap"

// NoAnswerText is what Lore says when it does not know.
const NoAnswerText = "I couldn't find an answer to that in the knowledge base. " + GapNotedText + "."

// Ask answers a question from every published document: see AskWith,
// which answers a particular reader.
func (s *Service) Ask(ctx context.Context, question string) (Answer, error) {
	return s.AskWith(ctx, AskRequest{Question: question, Scope: store.Everything})
}

// AskWith answers a question from the knowledge base. Without a language
// model the answer is extractive: the best supporting sentences of the top
// passages, each with its citation. With one, a follow-up is first
// condensed with req.History, and the model writes the answer from the
// passages, streamed to req.OnText; if it fails or runs past the answer
// timeout, the extractive answer is given, marked as a fallback.
func (s *Service) AskWith(ctx context.Context, req AskRequest) (Answer, error) {
	start := s.now()
	if err := s.CheckQuestion(req.Question); err != nil {
		return Answer{}, err
	}
	query := req.Question
	// The models' part of an answer (condensing a follow-up, embedding
	// the question, writing the answer) is bounded by one timeout.
	mctx, cancel := context.WithTimeout(ctx, s.answerTimeout)
	defer cancel()
	if s.model != nil && len(req.History) > 0 {
		query = s.condense(mctx, req.History, req.Question)
	}
	words := &wordsAlone{ctx: mctx}
	passages, relevance, err := s.search(ctx, query, modelPassageCount, req.Scope, words)
	if err != nil {
		return Answer{}, err
	}
	// Whether to answer is decided on relevance alone, so that feedback
	// can re-order the sources but never turn an answer into "I don't
	// know".
	ans := compose(query, s.synonyms.Load().expand(query), passages, Confidence(relevance), s.threshold)
	ans.Question, ans.Query, ans.Mode = req.Question, query, ModeExtractive
	if s.model != nil && len(passages) > 0 {
		ans = s.generate(mctx, req, query, passages, ans)
	}
	ans.SearchFallback = words.reason
	ans.Latency = s.now().Sub(start)
	return ans, nil
}

// Confidence scores how well the best passage supports an answer, from 0
// to 1: the share of the question's terms it contains, blended with the
// vector similarity that credits paraphrase and word parts.
func Confidence(passages []Passage) float64 {
	if len(passages) == 0 {
		return 0
	}
	best := 0.0
	for _, p := range passages[:min(3, len(passages))] {
		c := 0.7*p.Coverage + 0.3*p.Similarity
		if c > best {
			best = c
		}
	}
	return best
}

func compose(question string, synonyms expansion, passages []Passage, confidence, threshold float64) Answer {
	ans := Answer{Question: question, Confidence: confidence}
	if len(passages) == 0 || ans.Confidence < threshold {
		ans.Text = NoAnswerText
		return ans
	}
	ans.Confident = true

	// Sources: the best passage and those close to it, one per document.
	best := passages[0].Score
	var sources []Passage
	docs := map[string]bool{}
	for _, p := range passages {
		if len(sources) == maxSources || p.Score < best*sourceScoreShare {
			break
		}
		if docs[p.DocID] {
			continue
		}
		docs[p.DocID] = true
		sources = append(sources, p)
	}

	// Retrieval ranks one passage per document first, so the section
	// holding the fact ("What you get", under a page's introduction) may
	// come lower: a further passage of a source's document that covers the
	// question as well competes with it, and the one holding the better
	// sentence is quoted, so that a document is still cited once.
	quoted := append([]Passage(nil), sources...)
	rank := make([]int, len(sources)) // quoted index -> its document's source index
	for i := range sources {
		rank[i] = i
	}
	for _, p := range passages {
		for si, src := range sources {
			if p.DocID == src.DocID && p.ID != src.ID && p.Coverage >= src.Coverage {
				quoted = append(quoted, p)
				rank = append(rank, si)
			}
		}
	}

	qterms := termSet(analyze.ContentTerms(question))
	cands := rankQuotes(question, qterms, synonyms, quoted, rank)
	chosenPassage := map[int]int{} // rank -> quoted index of its best quote
	kept := cands[:0]
	for _, c := range cands {
		if q, ok := chosenPassage[c.rank]; ok && q != c.source {
			continue
		}
		chosenPassage[c.rank] = c.source
		kept = append(kept, c)
	}
	cands = kept
	var chosen []candidate
	length := 0
	for _, c := range cands {
		if len(chosen) == maxAnswerSentences {
			break
		}
		// A sentence that supports the question much less than the best
		// one dilutes the answer more than it adds.
		if len(chosen) > 0 && c.score < minSentenceShare*chosen[0].score {
			break
		}
		// The best sentence alone may be too long: then its start, or
		// a list's lead-in with the items there is room for, is quoted.
		c.text = c.quote.fit(maxAnswerChars-length, qterms, len(chosen) == 0)
		if c.text == "" {
			continue
		}
		chosen = append(chosen, c)
		length += len(c.text)
	}
	// Read in document order: by source, then position in the passage.
	sort.SliceStable(chosen, func(i, j int) bool {
		if chosen[i].rank != chosen[j].rank {
			return chosen[i].rank < chosen[j].rank
		}
		if chosen[i].source != chosen[j].source {
			return chosen[i].source < chosen[j].source
		}
		return chosen[i].order < chosen[j].order
	})
	used := map[int]int{} // quoted index -> citation number
	var b strings.Builder
	for i, c := range chosen {
		n, ok := used[c.source]
		if !ok {
			n = len(used) + 1
			used[c.source] = n
			p := quoted[c.source]
			ans.Citations = append(ans.Citations, Citation{
				N: n, DocID: p.DocID, Title: p.Title, Heading: citedHeading(p.Title, p.Heading), Source: p.Source,
				Score: p.Score, Snippet: truncate(unfenced(p.Text), snippetChars),
			})
		}
		if i > 0 {
			// A list or table is a paragraph of its own lines.
			if c.quote.group() || chosen[i-1].quote.group() {
				b.WriteString("\n\n")
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(cite(c.text, n))
	}
	if len(chosen) == 0 {
		// No sentence of the sources shares a word with the question:
		// nothing to quote, so nothing to claim.
		return Answer{Question: question, Confidence: ans.Confidence, Text: NoAnswerText}
	}
	ans.Text = b.String()
	return ans
}

// candidate is a quote of a source an answer may use, with how well it
// answers the question.
type candidate struct {
	quote  quote
	text   string // as quoted
	source int    // index of its passage among those quoted
	rank   int    // index of its document among the sources
	order  int    // position in its passage
	terms  map[string]struct{}
	kinds  answerKind
	score  float64
}

// rankQuotes splits passages into quotes and orders them by how well each
// answers the question, best first; rank[i] is the place of passages[i]'s
// document among the answer's sources, the better the earlier, and a
// passage after the first of its document is a further section of it.
func rankQuotes(question string, qterms map[string]struct{}, synonyms expansion, passages []Passage, rank []int) []candidate {
	var cands []candidate
	// context holds each source's title and heading terms: a sentence
	// under "Telling us you are ill" is about being ill though it never
	// says so.
	context := make([]map[string]struct{}, len(passages))
	// place is where a passage's sentences stand among the sources: its
	// document's rank, or one lower for a further section of it, which
	// retrieval ranked below the source's own passage.
	place := make([]int, len(passages))
	seenRank := map[int]bool{}
	for si, p := range passages {
		place[si] = rank[si]
		if seenRank[rank[si]] {
			place[si]++
		}
		seenRank[rank[si]] = true
		context[si] = termSet(analyze.ContentTerms(p.Title + "\n" + p.Heading))
		for i, q := range quotes(p.Text) {
			terms := analyze.ContentTerms(q.text())
			if len(terms) == 0 {
				continue
			}
			cands = append(cands, candidate{quote: q, source: si, rank: rank[si], order: i, terms: termSet(terms), kinds: suppliedKinds(q.text())})
		}
	}
	// holds reports whether a set of terms has the question's term t,
	// itself or by a synonym.
	holds := func(set map[string]struct{}, t string) bool {
		if _, ok := set[t]; ok {
			return true
		}
		return synonyms.covers(t, func(x string) bool {
			_, ok := set[x]
			return ok
		})
	}
	weights := questionTermWeights(qterms, len(cands), func(t string) int {
		n := 0
		for _, c := range cands {
			if holds(c.terms, t) {
				n++
			}
		}
		return n
	})
	var total float64
	for _, w := range weights {
		total += w
	}
	wants := expectedKinds(question)
	for ci := range cands {
		c := &cands[ci]
		var covered float64
		hit := 0
		for t := range c.terms {
			if _, ok := qterms[t]; ok {
				hit++
			}
		}
		for t, w := range weights {
			if holds(c.terms, t) {
				covered += w
			} else if holds(context[c.source], t) {
				covered += headingCredit * w
			}
		}
		// Prefer sentences that cover the question, above all its rarer
		// words, and state the kind of fact it asks for; then earlier
		// sentences of better passages: documents put the key fact first
		// more often than not.
		c.score = covered/max(total, 1e-9) + 0.1*float64(hit)/float64(len(c.terms)) -
			0.02*float64(c.order) - 0.05*float64(place[c.source])
		if wants != 0 && c.kinds&wants != 0 {
			c.score += answerKindBonus
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	return cands
}

// questionTermWeights weighs each question term by its rarity among the
// n candidate sentences (df returns how many contain it), as BM25 weighs
// terms among documents: a sentence that shares "baby" with the question
// says more than one that shares "leave", which every sentence of a leave
// policy does. Terms no sentence contains weigh as the rarest.
func questionTermWeights(qterms map[string]struct{}, n int, df func(string) int) map[string]float64 {
	weights := make(map[string]float64, len(qterms))
	for t := range qterms {
		weights[t] = math.Log(1 + float64(n+1)/float64(df(t)+1))
	}
	return weights
}

// citedHeading is the heading path a citation shows after the title:
// without its first heading when that is the title itself, as in a
// document of several level-1 headings titled by the first.
func citedHeading(title, heading string) string {
	if title == "" {
		return heading
	}
	if heading == title {
		return ""
	}
	if rest, ok := strings.CutPrefix(heading, title+" > "); ok {
		return rest
	}
	return heading
}

// truncate cuts s to at most n bytes at a word boundary, with an ellipsis.
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], ' ')
	if cut <= 0 {
		cut = n
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
	}
	return s[:cut] + "…"
}
