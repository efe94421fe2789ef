package cards

import (
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/ingest"
)

// blank replaces the answer in a cloze sentence.
const blank = "_____"

// numberRE finds a figure worth asking about: an amount with an optional
// currency and unit ("27 days", "£500", "10 working days", "3%").
var numberRE = regexp.MustCompile(`(?i)(?:^|[^\w.,])((?:[£$€]\s?)?\d+(?:[.,]\d+)*(?:\s?%|\s+(?:working\s+days|calendar\s+days|days?|weeks?|months?|years?|hours?|minutes?|per\s+cent|percent))?)\b`)

// answer is a span of a sentence a cloze can blank out.
type answer struct {
	text  string // as written
	class string // "number:UNIT" or "term"
	value float64
}

// sentence is a candidate cloze sentence.
type sentence struct {
	text   string // plain text
	score  float64
	answer answer
}

// answerPool holds what distractors are drawn from: the collection's
// figures by unit, and its distinctive words.
type answerPool struct {
	numbers map[string][]answer // by class
	terms   []poolTerm
	df      map[string]int // sentences containing each stem
	n       int            // sentences
}

type poolTerm struct {
	word, stem, doc string
}

func newAnswerPool(corpus []docText) *answerPool {
	p := &answerPool{numbers: map[string][]answer{}, df: map[string]int{}}
	seenNum := map[string]bool{}
	seenTerm := map[string]bool{}
	for _, d := range corpus {
		for _, s := range docSentences(d) {
			p.n++
			stems := map[string]bool{}
			for _, t := range analyze.ContentTerms(s) {
				stems[t] = true
			}
			for t := range stems {
				p.df[t]++
			}
			for _, a := range numbers(s) {
				if key := a.class + "\x00" + a.text; !seenNum[key] {
					seenNum[key] = true
					p.numbers[a.class] = append(p.numbers[a.class], a)
				}
			}
			for _, w := range termWords(s) {
				stem := analyze.Stem(strings.ToLower(w))
				if !seenTerm[stem] {
					seenTerm[stem] = true
					p.terms = append(p.terms, poolTerm{word: w, stem: stem, doc: d.doc.ID})
				}
			}
		}
	}
	return p
}

// docSentences are a document's usable sentences in reading order. Code
// has none: a command with a word blanked out teaches no policy, and its
// dots are not full stops.
func docSentences(d docText) []string {
	var out []string
	for _, c := range d.chunks {
		for _, s := range analyze.Sentences(withoutCode(c.Text)) {
			if s = plain(s); usableSentence(s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// numbers finds the figures of s.
func numbers(s string) []answer {
	var out []answer
	for _, m := range numberRE.FindAllStringSubmatch(s, -1) {
		text := strings.TrimSpace(m[1])
		digits := strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) || r == '.' {
				return r
			}
			return -1
		}, strings.ReplaceAll(text, ",", ""))
		v, err := strconv.ParseFloat(digits, 64)
		if err != nil {
			continue
		}
		if v >= 1900 && v <= 2100 && !strings.ContainsAny(text, " %£$€") {
			continue // a year: asking for it teaches nothing
		}
		out = append(out, answer{text: text, class: "number:" + unitOf(text), value: v})
	}
	return out
}

// unitOf names a figure's kind: its currency or unit, singular.
func unitOf(text string) string {
	lower := strings.ToLower(text)
	prefix := ""
	if r := []rune(lower)[0]; strings.ContainsRune("£$€", r) {
		prefix = string(r)
	}
	unit := strings.TrimLeftFunc(lower, func(r rune) bool {
		return unicode.IsDigit(r) || strings.ContainsRune("£$€., ", r)
	})
	unit = strings.TrimSuffix(strings.Join(strings.Fields(unit), " "), "s")
	if unit == "per cent" || unit == "percent" {
		unit = "%"
	}
	return prefix + unit
}

// functionWords are words of five letters or more that carry grammar
// rather than content, which the analyser's stop list keeps for search.
var functionWords = map[string]bool{
	"would": true, "could": true, "should": true, "might": true, "their": true, "there": true,
	"these": true, "those": true, "which": true, "where": true, "while": true, "about": true,
	"other": true, "every": true, "after": true, "before": true, "because": true, "through": true,
	"whether": true, "within": true, "without": true, "until": true, "anyone": true, "everyone": true,
	"someone": true, "something": true, "anything": true, "another": true, "whichever": true,
	"however": true, "still": true, "first": true, "since": true, "again": true, "along": true,
}

// termWords are the words of s that could be a cloze's answer: at least
// five letters, neither stop nor function words nor adverbs in -ly, whose
// blanks any adverb would fill.
func termWords(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) {
		w = strings.Trim(w, "-")
		lower := strings.ToLower(w)
		if len([]rune(w)) < 5 || analyze.IsStopWord(lower) || functionWords[lower] || strings.HasSuffix(lower, "ly") {
			continue
		}
		out = append(out, w)
	}
	return out
}

// wordClass groups words by ending, a cheap stand-in for their part of
// speech: a distractor in the same class reads as grammatical in the blank.
func wordClass(w string) string {
	w = strings.ToLower(w)
	for _, suffix := range []string{"ing", "ed", "tion", "sion", "ment", "ness", "ity", "er", "al", "ive", "able"} {
		if strings.HasSuffix(w, suffix) {
			return suffix
		}
	}
	if strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return "s"
	}
	return ""
}

// clozeCards drafts up to n cloze cards from d's best sentences.
func clozeCards(d docText, pool *answerPool, n int) []card {
	var cands []sentence
	for i, s := range docSentences(d) {
		c, ok := pool.candidate(s)
		if !ok {
			continue
		}
		// Earlier sentences state a document's point more often than
		// later ones.
		c.score += 0.3 / float64(1+i)
		cands = append(cands, c)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	var out []card
	used := map[string]bool{}
	for _, c := range cands {
		if len(out) == n {
			break
		}
		if used[strings.ToLower(c.answer.text)] {
			continue
		}
		crd, ok := pool.cloze(d, c)
		if !ok {
			continue
		}
		used[strings.ToLower(c.answer.text)] = true
		out = append(out, crd)
	}
	return out
}

// candidate picks the answer of a sentence and scores the sentence: the
// rarer its words, the more it says; a figure makes the best blank.
func (p *answerPool) candidate(s string) (sentence, bool) {
	terms := analyze.ContentTerms(s)
	if len(terms) == 0 {
		return sentence{}, false
	}
	var sum float64
	for _, t := range terms {
		sum += idf(p.df, p.n, t)
	}
	score := sum / math.Sqrt(float64(len(terms)))
	if nums := numbers(s); len(nums) == 1 {
		// One figure: the question is unambiguous. Several figures in one
		// sentence make a blank that any of them could fill.
		return sentence{text: s, score: score + 1.5, answer: nums[0]}, true
	}
	best, bestIDF := "", 0.0
	for _, w := range termWords(s) {
		if v := idf(p.df, p.n, analyze.Stem(strings.ToLower(w))); v > bestIDF {
			best, bestIDF = w, v
		}
	}
	if best == "" {
		return sentence{}, false
	}
	return sentence{text: s, score: score, answer: answer{text: best, class: "term"}}, true
}

// cloze makes the card of sentence c, or reports that no distractors
// could be found for its answer.
func (p *answerPool) cloze(d docText, c sentence) (card, bool) {
	at := strings.Index(c.text, c.answer.text)
	if at < 0 {
		return card{}, false
	}
	question := c.text[:at] + blank + c.text[at+len(c.answer.text):]
	id := cardID(d.doc.ID, c.text)
	wrong := p.distractors(id, c)
	if len(wrong) < 2 {
		return card{}, false
	}
	options, correct := shuffle(id, append([]string{c.answer.text}, wrong...), 0)
	title := d.doc.Title
	if title == "" {
		title = d.doc.ID
	}
	return card{
		id:          id,
		title:       "Fill in the blank: " + title,
		question:    question,
		options:     options,
		correct:     []int{correct},
		explanation: fmt.Sprintf("From %q: %s", title, c.text),
		source:      d.doc.Source,
	}, true
}

// distractors are up to three wrong answers of the same kind as c's: other
// figures with the same unit (invented near the right one when the
// collection has too few), or other distinctive words of the collection.
func (p *answerPool) distractors(id string, c sentence) []string {
	a := c.answer
	lowerSentence := strings.ToLower(c.text)
	var cands []string
	if a.class == "term" {
		stem := analyze.Stem(strings.ToLower(a.text))
		capital := unicode.IsUpper([]rune(a.text)[0])
		class := wordClass(a.text)
		for _, t := range p.terms {
			if t.stem == stem || unicode.IsUpper([]rune(t.word)[0]) != capital || wordClass(t.word) != class ||
				strings.Contains(lowerSentence, strings.ToLower(t.word)) ||
				abs(len(t.word)-len(a.text)) > 4 {
				continue
			}
			cands = append(cands, t.word)
		}
	} else {
		for _, b := range p.numbers[a.class] {
			// Figures of another scale give the answer away.
			if b.value != a.value && b.value >= a.value/4 && b.value <= a.value*4 && !strings.Contains(c.text, b.text) {
				cands = append(cands, b.text)
			}
		}
		if len(cands) < distractors {
			cands = append(cands, nearFigures(a)...)
		}
	}
	// A stable, card-specific pick among the candidates.
	sort.SliceStable(cands, func(i, j int) bool { return hash(id, cands[i]) < hash(id, cands[j]) })
	var out []string
	seen := map[string]bool{strings.ToLower(a.text): true}
	for _, w := range cands {
		if len(out) == distractors {
			break
		}
		if k := strings.ToLower(w); !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	return out
}

// nearFigures invents plausible wrong figures around a's value, written
// the way a is.
func nearFigures(a answer) []string {
	numAt := strings.IndexFunc(a.text, unicode.IsDigit)
	end := numAt
	for end < len(a.text) && (unicode.IsDigit(rune(a.text[end])) || a.text[end] == '.' || a.text[end] == ',') {
		end++
	}
	prefix, suffix := a.text[:numAt], a.text[end:]
	decimal := strings.Contains(a.text[numAt:end], ".")
	var out []string
	for _, f := range []float64{0.5, 2, 0.75, 1.5} {
		v := a.value * f
		var s string
		if decimal {
			s = strconv.FormatFloat(math.Round(v*10)/10, 'f', 1, 64)
		} else {
			if v = math.Round(v); v == a.value {
				v++
			}
			s = strconv.FormatFloat(v, 'f', 0, 64)
		}
		if v <= 0 {
			continue
		}
		unit := suffix
		if v == 1 && strings.HasSuffix(unit, "s") {
			unit = strings.TrimSuffix(unit, "s") // "1 hour", not "1 hours"
		}
		if f := prefix + s + unit; !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func hash(id, s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id + "\x00" + s))
	return h.Sum32()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// withoutCode is text with its code blocks left out.
func withoutCode(text string) string {
	var b strings.Builder
	at := 0
	for _, cb := range ingest.CodeBlocks(text) {
		b.WriteString(text[at:cb.Start])
		b.WriteString("\n\n")
		at = cb.End
	}
	b.WriteString(text[at:])
	return b.String()
}
