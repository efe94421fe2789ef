// Package synth generates a deterministic synthetic corpus and query set
// for measuring search speed at sizes no real test set reaches (100,000
// chunks and more), as `lore bench` does.
//
// The text is nonsense but shaped like English where it matters to an
// index: words are pronounceable pseudo-words drawn from a Zipf–Mandelbrot
// distribution (the k-th most common word's share falls as 1/(k+8): Zipf's
// law with its head flattened, as real text's is once stop words are
// gone), so a few terms have posting lists covering most chunks and most
// terms are rare. Queries draw from the same distribution, so, like
// real chat questions, they usually contain a common word that matches a
// large share of the corpus; that is the case that makes ranking slow,
// and the one a benchmark must not leave out.
//
// Each document is about one of a thousand topics, and a quarter of its
// words come from that topic's own vocabulary, as documents on one subject
// share words the rest of a corpus seldom uses; half of a query's words
// come from a topic. Without topics (Options.Flat, the corpus of Lore's
// first benchmarks) every chunk is about as near to every other as to its
// nearest neighbours, which real text never is: measured on SciFact's
// abstracts cut into 80-word chunks and embedded by the offline embedder,
// the local intrinsic dimensionality of a chunk's twenty nearest
// neighbours is 13, the topical corpus's 17 and the flat corpus's 34
// (docs/benchmarks.md). Approximate vector search is the harder the higher
// that is.
//
// The same Options always produce the same corpus, on every platform and
// Go release: benchmark numbers recorded in docs/benchmarks.md refer to
// it by its options alone.
package synth

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Options shapes the corpus. Zero or negative shape fields take their
// defaults.
type Options struct {
	// Chunks is the total number of sections generated, across all
	// documents.
	Chunks int
	// ChunksPerDoc is the mean number of sections per document; each
	// document has between half and one and a half times as many.
	// Default 10.
	ChunksPerDoc int
	// WordsPerChunk is the mean length of a section's text, in words;
	// each section has within a quarter of it. Default 80.
	WordsPerChunk int
	// Vocabulary is the number of distinct words. Default 50,000.
	Vocabulary int
	// Seed selects the corpus; the same seed gives the same corpus.
	Seed uint64
	// Flat generates the corpus of Lore's first benchmarks: every word
	// from one Zipf distribution, with no topics. Its chunks are far less
	// alike than real text's (see the package comment), which makes it a
	// worst case for vector search.
	Flat bool
}

const (
	defaultChunksPerDoc  = 10
	defaultWordsPerChunk = 80
	defaultVocabulary    = 50_000
)

// The topical shape, calibrated against SciFact's abstracts cut into
// 80-word chunks, analysed and embedded as Lore does (docs/benchmarks.md):
// there the ten most common stems make 6 % of the words, and the local
// intrinsic dimensionality of a chunk's twenty nearest neighbours under the
// offline embedder is about 13; the flat corpus gives 26 % and 34.
const (
	// topics is the number of topics; each document is about one.
	topics = 1000
	// topicWords is the size of a topic's own vocabulary, drawn from the
	// whole vocabulary outside its head.
	topicWords = 100
	// topicShare is the chance that a word of a document comes from its
	// topic, and queryTopicShare that a query word does.
	topicShare      = 0.25
	queryTopicShare = 0.5
	// mandelbrotShift flattens the head of the global distribution:
	// P(rank k) ∝ 1/(k+shift). Real text, once stop words are removed,
	// has no content word as common as Zipf's law with exponent 1 makes
	// the first.
	mandelbrotShift = 8
)

// PCG streams, one per purpose, so that the vocabulary and the queries do
// not depend on how many chunks are generated.
const (
	streamVocabulary = iota + 1
	streamDocs
	streamQueries
	streamTopics
)

func (o Options) withDefaults() Options {
	if o.ChunksPerDoc <= 0 {
		o.ChunksPerDoc = defaultChunksPerDoc
	}
	if o.WordsPerChunk <= 0 {
		o.WordsPerChunk = defaultWordsPerChunk
	}
	if o.Vocabulary <= 0 {
		o.Vocabulary = defaultVocabulary
	}
	return o
}

// Doc is one generated document.
type Doc struct {
	ID, Title string
	Sections  []Section
}

// Section is one chunk of a document: a heading and a few sentences.
type Section struct {
	Heading, Text string
}

// ChunkTexts returns each chunk of the corpus as ingest embeds it: the
// document's title, the chunk's heading and its text, one per line.
func ChunkTexts(opts Options) ([]string, error) {
	var texts []string
	err := Docs(opts, func(d Doc) error {
		for _, sec := range d.Sections {
			texts = append(texts, d.Title+"\n"+sec.Heading+"\n"+sec.Text)
		}
		return nil
	})
	return texts, err
}

// Docs generates documents with exactly opts.Chunks sections in total and
// hands them to fn one at a time, so a corpus of any size is produced in
// constant memory. fn may keep the Doc it is given. An error from fn
// stops generation and is returned.
func Docs(opts Options, fn func(Doc) error) error {
	if opts.Chunks < 0 {
		return errors.New("synth: negative chunk count")
	}
	if opts.Chunks == 0 {
		return nil
	}
	opts = opts.withDefaults()
	g := newGenerator(opts, streamDocs, topicShare)

	var buf []byte
	type span struct{ heading, text [2]int }
	var spans []span
	for n, left := 0, opts.Chunks; left > 0; n++ {
		per := opts.ChunksPerDoc
		sections := min(left, g.between(max(1, per/2), per+per/2))
		left -= sections
		g.pickTopic()

		// The whole document goes into one buffer and one string, which
		// its fields then slice: two allocations per document instead of
		// two per section keeps generation at memory speed.
		buf = append(buf[:0], "synth-"...)
		buf = strconv.AppendInt(buf, int64(n), 10)
		idEnd := len(buf)
		buf = g.appendTitle(buf)
		titleEnd := len(buf)
		spans = spans[:0]
		for range sections {
			var s span
			s.heading[0] = len(buf)
			buf = g.appendHeading(buf)
			s.heading[1] = len(buf)
			s.text[0] = len(buf)
			buf = g.appendText(buf, opts.WordsPerChunk)
			s.text[1] = len(buf)
			spans = append(spans, s)
		}

		all := string(buf)
		doc := Doc{ID: all[:idEnd], Title: all[idEnd:titleEnd], Sections: make([]Section, len(spans))}
		for i, s := range spans {
			doc.Sections[i] = Section{
				Heading: all[s.heading[0]:s.heading[1]],
				Text:    all[s.text[0]:s.text[1]],
			}
		}
		if err := fn(doc); err != nil {
			return err
		}
	}
	return nil
}

// Queries returns n search queries of three to seven words each. The
// first k queries are the same whatever n is, so a longer run extends a
// shorter one.
func Queries(opts Options, n int) []string {
	if n <= 0 {
		return nil
	}
	opts = opts.withDefaults()
	g := newGenerator(opts, streamQueries, queryTopicShare)
	qs := make([]string, n)
	var buf []byte
	for i := range qs {
		buf = buf[:0]
		g.pickTopic()
		for j := range g.between(3, 7) {
			if j > 0 {
				buf = append(buf, ' ')
			}
			buf = append(buf, g.word()...)
		}
		qs[i] = string(buf)
	}
	return qs
}

// generator draws text from one PCG stream. It uses only the raw 64-bit
// output of PCG, which is a fixed algorithm, and derives everything else
// itself: rand.Rand's helper methods carry no promise that their output
// stays the same across Go releases, and the corpus must.
type generator struct {
	src   *rand.PCG
	vocab *vocabulary
	// topics is nil for the flat corpus. topic is the topic of the
	// document or query being written, and share the chance, scaled to
	// 2^64, that a word comes from it.
	topics *topicSet
	topic  int
	share  uint64
}

func newGenerator(opts Options, stream uint64, share float64) *generator {
	shift := float64(mandelbrotShift)
	if opts.Flat {
		shift = 0
	}
	g := &generator{
		src:   rand.NewPCG(opts.Seed, stream),
		vocab: newVocabulary(opts.Vocabulary, opts.Seed, shift),
	}
	if !opts.Flat {
		g.topics = newTopicSet(g.vocab.size(), opts.Seed)
		g.share = uint64(share*(1<<63)) << 1
	}
	return g
}

// pickTopic starts a document or query about a topic drawn uniformly.
func (g *generator) pickTopic() {
	if g.topics != nil {
		g.topic = g.intn(topics)
	}
}

// intn returns a uniform int in [0, n) by Lemire's multiply-shift; the
// bias, under n/2^64, is far below anything a benchmark could notice.
func (g *generator) intn(n int) int {
	hi, _ := bits.Mul64(g.src.Uint64(), uint64(n))
	return int(hi)
}

// between returns a uniform int in [lo, hi].
func (g *generator) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.intn(hi-lo+1)
}

func (g *generator) word() string {
	if g.topics != nil && g.src.Uint64() < g.share {
		return g.vocab.word(g.topics.sample(g.topic, g.src.Uint64()))
	}
	return g.vocab.word(g.vocab.sample(g.src.Uint64()))
}

// appendTitle writes two to six capitalised words.
func (g *generator) appendTitle(b []byte) []byte {
	for i := range g.between(2, 6) {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendCapitalized(b, g.word())
	}
	return b
}

// appendHeading writes one to four words, the first capitalised.
func (g *generator) appendHeading(b []byte) []byte {
	for i := range g.between(1, 4) {
		if i > 0 {
			b = append(b, ' ')
			b = append(b, g.word()...)
		} else {
			b = appendCapitalized(b, g.word())
		}
	}
	return b
}

// appendText writes about mean words (within a quarter either way) as
// sentences of six to eighteen words, every other one with a comma, so
// that sentence splitting and quoting see text of a realistic shape.
func (g *generator) appendText(b []byte, mean int) []byte {
	words := g.between(max(1, mean-mean/4), mean+mean/4)
	for words > 0 {
		n := min(words, g.between(6, 18))
		words -= n
		// One draw per sentence places its comma, or none half the
		// time: a draw per word would cost as much as the word itself.
		comma := g.intn(2 * n)
		for i := range n {
			w := g.word()
			if i == 0 {
				if len(b) > 0 && b[len(b)-1] == '.' {
					b = append(b, ' ')
				}
				b = appendCapitalized(b, w)
			} else {
				b = append(b, ' ')
				b = append(b, w...)
			}
			if i == comma && i < n-1 {
				b = append(b, ',')
			}
		}
		b = append(b, '.')
	}
	return b
}

// appendCapitalized appends w with its first letter upper-cased. The
// vocabulary is lower-case ASCII, so a byte operation suffices.
func appendCapitalized(b []byte, w string) []byte {
	if w == "" {
		return b
	}
	b = append(b, w[0]-'a'+'A')
	return append(b, w[1:]...)
}

// vocabulary is a list of distinct pseudo-words ordered from most to
// least frequent, with an alias table for drawing them Zipf-distributed
// in constant time.
//
// Generation is bound by memory access, not arithmetic, so the layout is
// compact: the words sit in one string, most common first, so the words
// drawn most often share a few cache lines, and each alias slot keeps
// both of its numbers together.
type vocabulary struct {
	text  string      // all words, concatenated
	end   []uint32    // word i is text[end[i-1]:end[i]]
	slots []aliasSlot // indexed by a uniformly drawn slot
}

// aliasSlot is one entry of Walker's alias method: the slot's own word is
// kept with probability keep/2^32, otherwise alias is taken. One lookup
// per word instead of a binary search over a cumulative distribution.
type aliasSlot struct {
	keep, alias uint32
}

func (v *vocabulary) size() int { return len(v.end) }

func (v *vocabulary) word(rank int) string {
	start := uint32(0)
	if rank > 0 {
		start = v.end[rank-1]
	}
	return v.text[start:v.end[rank]]
}

// Syllable parts. Repeated entries make a part more likely. Words are
// built as onset+nucleus syllables, with a coda only at the end, so
// consonant clusters stay pronounceable ("brelodant", not "brckstr").
// No coda is "s", so that a plural-looking word does not stem onto
// another word of the vocabulary.
var (
	onsets = strings.Fields("b c d f g h j k l m n p r s t v w z b d l m n r s t " +
		"bl br ch cl cr dr fl fr gl gr pl pr sh sl sp st str th tr")
	nuclei = strings.Fields("a e i o u a e i o u ai ea ee oo ou ie")
	codas  = strings.Fields("n r l m t nd rt st ck ng")
)

// stopWords are English function words and the remnants of contractions
// ("we're" splits into "we" and "re"); a pseudo-word that happens to be
// one is rejected, because an index drops stop words and the most common
// words of the corpus would silently vanish from it.
var stopWords = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be
because been before being below between both but by can could did do does doing down during each few
for from further get got had has have having he her here hers herself him himself his how i if in into
is it its itself just many may me might more most much must my myself need no nor not now of off on
once only or other our ours ourselves out over own please same shall she should so some such tell than
that the their theirs them themselves then there these they this those through to too under until up
very want was we were what when where which while who whom why will with would you your yours yourself
yourselves s t d ll m re ve`) {
		m[w] = true
	}
	return m
}()

func newVocabulary(size int, seed uint64, shift float64) *vocabulary {
	src := rand.NewPCG(seed, streamVocabulary)
	pick := func(parts []string) string {
		hi, _ := bits.Mul64(src.Uint64(), uint64(len(parts)))
		return parts[hi]
	}

	// Words are collected by length: common words are short in every
	// language, so the shortest words take the highest ranks, in the
	// order they were generated. Bucketing is a stable sort in linear
	// time.
	var byLen [][]string
	seen := make(map[string]bool, size)
	var b []byte
	for n := 0; n < size; {
		// One to four syllables, two or three most often.
		syllables := [...]int{1, 2, 2, 2, 3, 3, 3, 4}[src.Uint64()>>61]
		b = b[:0]
		for i := range syllables {
			// The first syllable may start with a vowel; later ones
			// always take a consonant, so vowels never run together.
			if i > 0 || src.Uint64()%4 != 0 {
				b = append(b, pick(onsets)...)
			}
			b = append(b, pick(nuclei)...)
		}
		if src.Uint64()%2 == 0 {
			b = append(b, pick(codas)...)
		}
		// Single letters are rejected too: some tokenizers drop them.
		if len(b) < 2 || seen[string(b)] || stopWords[string(b)] {
			continue
		}
		w := string(b)
		seen[w] = true
		for len(byLen) <= len(w) {
			byLen = append(byLen, nil)
		}
		byLen[len(w)] = append(byLen[len(w)], w)
		n++
	}

	var text strings.Builder
	end := make([]uint32, 0, size)
	for _, words := range byLen {
		for _, w := range words {
			text.WriteString(w)
			end = append(end, uint32(text.Len()))
		}
	}
	return &vocabulary{text: text.String(), end: end, slots: zipfAlias(size, shift)}
}

// zipfAlias returns the alias table for n ranks under the Zipf–Mandelbrot
// law with exponent 1, P(rank k) ∝ 1/(k+shift); with shift 0 it is Zipf's
// law, the classic fit for English word frequencies. With a finite
// vocabulary the exponent may be 1, unlike math/rand's Zipf, which needs
// it above 1 and so makes common words rarer than in real text.
//
// No expression here adds to a product, so no compiler can fuse one into
// a multiply-add, which rounds differently on some architectures: the
// table, and with it the corpus, is the same everywhere.
func zipfAlias(n int, shift float64) []aliasSlot {
	slots := make([]aliasSlot, n)

	var harmonic float64
	for k := n; k >= 1; k-- { // smallest terms first, for accuracy
		harmonic += 1 / (float64(k) + shift)
	}
	// Vose's algorithm: scaled probabilities average 1; each slot below
	// 1 is topped up from one above 1.
	p := make([]float64, n)
	var small, large []int
	for i := range p {
		p[i] = float64(n) / ((float64(i+1) + shift) * harmonic)
		if p[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s := small[len(small)-1]
		small = small[:len(small)-1]
		l := large[len(large)-1]
		slots[s] = aliasSlot{keep: uint32(p[s] * (1 << 32)), alias: uint32(l)}
		p[l] += p[s] - 1
		if p[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	// What remains has probability 1 up to rounding; pointing the alias
	// at the slot itself makes it exact.
	for _, i := range append(small, large...) {
		slots[i] = aliasSlot{keep: 1<<32 - 1, alias: uint32(i)}
	}
	return slots
}

// sample maps 64 random bits to a word rank. Scaling x to [0, n) gives
// the slot as the integer part and, in the fraction, a second uniform
// number independent of it that decides between the slot and its alias:
// one PCG draw per word.
func (v *vocabulary) sample(x uint64) int { return sampleAlias(v.slots, x) }

func sampleAlias(slots []aliasSlot, x uint64) int {
	slot, frac := bits.Mul64(x, uint64(len(slots)))
	if s := slots[slot]; uint32(frac>>32) >= s.keep {
		return int(s.alias)
	}
	return int(slot)
}

// topicSet is the topics of a corpus: each a list of topicWords words
// of the vocabulary, drawn outside its most common fiftieth, used by its
// documents with Zipf frequencies of their own. Documents on one topic
// share words the rest of the corpus seldom uses, as documents on one
// subject do, so their chunks are each other's nearest neighbours.
type topicSet struct {
	words []uint32    // topic t's word of rank r is words[t*topicWords+r]
	ranks []aliasSlot // Zipf over a topic's ranks, shared by all topics
}

func newTopicSet(vocabulary int, seed uint64) *topicSet {
	src := rand.NewPCG(seed, streamTopics)
	head := vocabulary / 50
	ts := &topicSet{words: make([]uint32, topics*topicWords), ranks: zipfAlias(topicWords, 0)}
	for i := range ts.words {
		hi, _ := bits.Mul64(src.Uint64(), uint64(vocabulary-head))
		ts.words[i] = uint32(head + int(hi))
	}
	return ts
}

func (ts *topicSet) sample(topic int, x uint64) int {
	return int(ts.words[topic*topicWords+sampleAlias(ts.ranks, x)])
}
