// Package analyze turns text into the units Lore retrieves and quotes by:
// words, stemmed index terms, and sentences.
//
// Ingest, search, the offline embedder and content-gap clustering all use
// the same analysis, so a word is the same term everywhere.
package analyze

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// Words splits text into lower-cased words: runs of letters and digits.
// An apostrophe between letters is dropped ("don't" becomes "dont",
// "employee's" becomes "employees", which stems like "employee").
func Words(text string) []string {
	if isASCII(text) {
		return asciiWords(text)
	}
	return runeWords(text)
}

func runeWords(text string) []string {
	words := make([]string, 0, len(text)/6)
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, b.String())
			b.Reset()
		}
	}
	for i, r := range text {
		switch {
		case r == utf8.RuneError:
			flush()
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		case (r == '\'' || r == '’') && b.Len() > 0 && i+1 < len(text):
			next, _ := utf8.DecodeRuneInString(text[i+len(string(r)):])
			if !unicode.IsLetter(next) {
				flush()
			}
		default:
			flush()
		}
	}
	flush()
	return words
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiWords is Words for ASCII text, which is most text: a word without
// capitals or apostrophes is a slice of text rather than a copy built
// rune by rune, and ingest splits every chunk.
func asciiWords(text string) []string {
	words := make([]string, 0, len(text)/6)
	for i := 0; i < len(text); {
		if !isWordByte(text[i]) {
			i++
			continue
		}
		start, plain := i, true
		for i < len(text) {
			c := text[i]
			switch {
			case isWordByte(c):
				plain = plain && !('A' <= c && c <= 'Z')
				i++
				continue
			case c == '\'' && i+1 < len(text) && isLetterByte(text[i+1]):
				// Dropped between letters: "don't" is "dont".
				plain = false
				i++
				continue
			}
			break
		}
		if plain {
			words = append(words, text[start:i])
			continue
		}
		b := make([]byte, 0, i-start)
		for _, c := range []byte(text[start:i]) {
			switch {
			case c == '\'':
			case 'A' <= c && c <= 'Z':
				b = append(b, c+'a'-'A')
			default:
				b = append(b, c)
			}
		}
		words = append(words, string(b))
	}
	return words
}

func isLetterByte(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isWordByte(c byte) bool { return isLetterByte(c) || '0' <= c && c <= '9' }

// Terms returns the index terms of text: words that are not stop words,
// stemmed with the Snowball English stemmer, followed by the phrases of
// adjacent terms, joined with "_" ("minimum_wage"). Phrases are weighted
// down at search time (see store/memindex).
func Terms(text string) []string {
	return Analyze(text).Terms()
}

// Analysis is a text split into words, each with its stem: the stem of a
// stop word is "". Index terms and the offline embedder's features are
// both made from it, so that ingest splits and stems each chunk once.
type Analysis struct {
	Words []string
	Stems []string
}

// Analyze splits text into words and stems those that are not stop words.
func Analyze(text string) Analysis {
	words := Words(text)
	stems := make([]string, len(words))
	for i, w := range words {
		if !IsStopWord(w) {
			stems[i] = nonEmptyStem(w)
		}
	}
	return Analysis{Words: words, Stems: stems}
}

// nonEmptyStem is Stem, but never "", which marks a stop word in an
// Analysis. (The Snowball stemmer keeps at least two letters of a word;
// this only makes that a rule here.)
func nonEmptyStem(w string) string {
	if s := Stem(w); s != "" {
		return s
	}
	return w
}

// Terms returns the analysed text's index terms, as Terms does.
func (a Analysis) Terms() []string {
	return joinTerms(a.Stems)
}

// QueryTerms returns the terms of a question for search: like Terms, but
// without the filler of chat questions ("how do I", "can you tell me"),
// which documents written in the second person rarely contain and which
// would otherwise match by accident.
func QueryTerms(text string) []string {
	words := Words(text)
	stems := make([]string, len(words))
	for i, w := range words {
		if !IsStopWord(w) && !questionFiller[w] {
			stems[i] = nonEmptyStem(w)
		}
	}
	return joinTerms(stems)
}

// joinTerms returns the non-empty stems in order, then the phrases of
// each two adjacent ones (an empty stem separates). The phrases are cut
// from one string built for them all: a chunk has about as many phrases
// as words, and one allocation each was a tenth of analysis time.
func joinTerms(stems []string) []string {
	n, size, prev := 0, 0, ""
	for _, s := range stems {
		if s != "" {
			n++
			if prev != "" {
				size += len(prev) + 1 + len(s)
			}
		}
		prev = s
	}
	terms := make([]string, 0, 2*n)
	for _, s := range stems {
		if s != "" {
			terms = append(terms, s)
		}
	}
	if size == 0 {
		return terms
	}
	var b strings.Builder
	b.Grow(size)
	prev = ""
	for _, s := range stems {
		if s != "" && prev != "" {
			b.WriteString(prev)
			b.WriteByte('_')
			b.WriteString(s)
		}
		prev = s
	}
	all, at := b.String(), 0
	prev = ""
	for _, s := range stems {
		if s != "" && prev != "" {
			end := at + len(prev) + 1 + len(s)
			terms = append(terms, all[at:end])
			at = end
		}
		prev = s
	}
	return terms
}

// ContentTerms returns the single-word terms of a question that carry its
// topic: Terms without phrases and without the filler of chat questions
// ("how do I", "can you tell me"). Confidence and answer composition count
// these, so that "How do I ..." does not dilute how well a passage covers
// the question.
func ContentTerms(text string) []string {
	var terms []string
	for _, w := range Words(text) {
		if IsStopWord(w) || questionFiller[w] {
			continue
		}
		terms = append(terms, Stem(w))
	}
	return terms
}

var questionFiller = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`how what when where who whom why which whose do does did doing done i me my mine we us our
you your yours can could would should shall may might must will get got need want please tell know
much many am is are was were has have had there here any some about also just like one
whats whos wheres whens hows whys im ive youre youve weve theyre`) {
		m[w] = true
	}
	return m
}()

// The stem cache (stemShards) memoises stems: the stemmer dominates
// analysis time and the vocabulary of a knowledge base is small compared
// to its word count. It stops growing at maxCachedStems words, so that a
// stream of odd tokens from chat (pasted logs, identifiers) cannot grow
// the heap without bound.
//
// It is sharded maps under read-write locks rather than a sync.Map: a
// lookup is a hit nearly always, and sync.Map's hit, through an interface
// key, cost twice as much (BenchmarkStem); ingest stems every word of
// every chunk, which made it a sixth of ingest's CPU time.
var (
	stemShards  [stemShardCount]stemShard
	cachedStems atomic.Int64
)

const (
	maxCachedStems = 1 << 18
	stemShardCount = 64
)

type stemShard struct {
	mu sync.RWMutex
	m  map[string]string
}

var stemSeed = maphash.MakeSeed()

const maxStemmedLen = 40

// Stem returns the Snowball English stem of a lower-cased word. Words
// longer than 40 bytes (identifiers, hashes) are kept as they are.
func Stem(word string) string {
	if len(word) > maxStemmedLen || len(word) < 3 {
		return word
	}
	sh := &stemShards[maphash.String(stemSeed, word)%stemShardCount]
	sh.mu.RLock()
	s, ok := sh.m[word]
	sh.mu.RUnlock()
	if ok {
		return s
	}
	s = english.Stem(word, false)
	if cachedStems.Load() < maxCachedStems {
		sh.mu.Lock()
		if _, ok := sh.m[word]; !ok {
			if sh.m == nil {
				sh.m = make(map[string]string)
			}
			sh.m[strings.Clone(word)] = s
			cachedStems.Add(1)
		}
		sh.mu.Unlock()
	}
	return s
}

// IsStopWord reports whether a lower-cased word carries too little meaning
// to index. The list is deliberately short (Lucene's English set): words
// like "not", "can" or "must" decide what a policy says, and lore eval
// scores drop when they are removed. The filler of chat questions is
// dropped from queries only (see QueryTerms).
func IsStopWord(word string) bool {
	_, ok := stopWords[word]
	return ok
}

var stopWords = func() map[string]struct{} {
	m := make(map[string]struct{})
	for _, w := range strings.Fields(`a an and are as at be but by for if in into is it of on or such that the
their then there these they this to was will with s t`) {
		m[w] = struct{}{}
	}
	return m
}()
