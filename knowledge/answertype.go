package knowledge

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lorehq/lore/knowledge/analyze"
)

// answerKind is what kind of fact a question asks for, read from its
// question words: "how many days" wants a quantity, "by what time" a time,
// "where do I report it" a place, "who do I tell" a person or team. A
// sentence that supplies that kind of fact is more likely the answer than
// one that only repeats the question's words ("Parental leave is open to
// every parent" against "every new parent can take 16 weeks"), which is
// the classic answer-type check of factoid question answering.
type answerKind uint8

const (
	wantsQuantity answerKind = 1 << iota
	wantsTime
	wantsPlace
	wantsPerson
	// wantsClock is a time of day ("by what time"): a date or a number of
	// days does not answer it.
	wantsClock
)

// expectedKinds returns the kinds of fact the question asks for; zero
// when its words say nothing about it ("what is the VPN?").
func expectedKinds(question string) answerKind {
	words := analyze.Words(question)
	var k answerKind
	for i, w := range words {
		next := ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		switch w {
		case "how":
			switch next {
			case "many", "much", "long", "often", "fast", "far", "old", "big", "large", "quickly", "frequently":
				k |= wantsQuantity
			case "soon", "late", "early":
				k |= wantsTime
			}
		case "when", "deadline", "deadlines":
			k |= wantsTime
		case "what", "which":
			switch next {
			case "time", "hour":
				k |= wantsClock
			case "date", "day", "days", "month", "year":
				k |= wantsTime
			case "percentage", "percent", "proportion", "amount", "number":
				k |= wantsQuantity
			}
		case "where":
			k |= wantsPlace
		case "who", "whom":
			k |= wantsPerson
		}
	}
	return k
}

// suppliedKinds returns the kinds of fact a sentence states, by its form
// alone: digits and number words for quantities, clock times, days and
// months for times, channels, addresses and named places for places,
// names and roles for people. It errs towards saying yes: it only ever
// breaks ties between sentences that match the question's words.
func suppliedKinds(sentence string) answerKind {
	var k answerKind
	if statesANumber(sentence) {
		k |= wantsQuantity | wantsTime
	}
	if frequency.MatchString(sentence) {
		k |= wantsQuantity
	}
	if clockTime.MatchString(sentence) {
		k |= wantsClock
	}
	if strings.Contains(sentence, "#") || strings.Contains(sentence, "://") || strings.Contains(sentence, "@") {
		k |= wantsPlace
	}
	for _, w := range analyze.Words(sentence) {
		switch {
		case numberWords[w]:
			k |= wantsQuantity
		case clockWords[w]:
			k |= wantsTime | wantsClock
		case timeWords[w]:
			k |= wantsTime
		case placeWords[w]:
			k |= wantsPlace
		case personWords[w]:
			k |= wantsPerson
		}
	}
	if namesSomething(sentence) {
		k |= wantsPlace | wantsPerson
	}
	return k
}

// statesANumber reports whether a sentence has a number of its own: not
// the number of a list item ("2. Choose a category") or a digit within a
// name ("SEV1", "L4", "edge-3"), which count nothing.
func statesANumber(sentence string) bool {
	for line := range strings.SplitSeq(sentence, "\n") {
		line = strings.TrimSpace(line)
		line = line[itemMarkerLen(line):]
		prev, prev2 := ' ', ' '
		for _, r := range line {
			if unicode.IsDigit(r) && !unicode.IsDigit(prev) &&
				!unicode.IsLetter(prev) && (prev != '-' || !unicode.IsLetter(prev2)) {
				return true
			}
			prev, prev2 = r, prev
		}
	}
	return false
}

// namesSomething reports whether a sentence has a capitalised word other
// than its first: a name, a team, a tool or a place ("the People Team",
// "Studyhall", "Port Alder"). A list item, a table cell and a line start
// as a sentence does, so their first words are not names, nor are "I",
// "I'm" and the like, or the names of days and months, which are times.
func namesSomething(sentence string) bool {
	for line := range strings.SplitSeq(sentence, "\n") {
		line = strings.TrimSpace(line)
		first := true
		for _, f := range strings.Fields(line[itemMarkerLen(line):]) {
			f = strings.TrimLeft(f, "\"'(*_`[")
			if !strings.ContainsFunc(f, isWordRune) {
				// A list marker or a table's cell separator.
				first = true
				continue
			}
			r, _ := utf8.DecodeRuneInString(f)
			if !first && unicode.IsUpper(r) && !notAName(f) {
				return true
			}
			first = false
			if strings.HasSuffix(f, ".") || strings.HasSuffix(f, ":") {
				first = true
			}
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// notAName reports whether a capitalised word is "I", a contraction of it
// or the name of a day or month.
func notAName(word string) bool {
	word = strings.TrimRightFunc(word, func(r rune) bool { return !isWordRune(r) })
	if word == "I" || strings.HasPrefix(word, "I'") || strings.HasPrefix(word, "I’") {
		return true
	}
	return calendarNames[strings.ToLower(word)]
}

var calendarNames = wordSet(`monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december`)

var numberWords = wordSet(`one two three four five six seven eight nine ten eleven twelve
fifteen twenty thirty forty fifty hundred thousand million half quarter once twice
daily weekly fortnightly monthly yearly annually percent`)

var timeWords = wordSet(`monday tuesday wednesday thursday friday saturday sunday
january february march april june july august september october november december
tomorrow weekend weekday
daily weekly fortnightly monthly yearly annually`)

// frequency matches a rate without digits ("every week", "each other
// month"); "every" alone ("every parent") states no quantity.
var frequency = regexp.MustCompile(`(?i)\b(?:every|each|per)\s+(?:other\s+|second\s+|third\s+|working\s+|calendar\s+)?(?:day|week|month|year|quarter|fortnight|hour|minute|morning|evening)s?\b`)

var clockWords = wordSet(`morning afternoon evening noon midday midnight am pm`)

// clockTime matches a time of day: 09:30, 9.30am, 5 pm.
var clockTime = regexp.MustCompile(`\b\d{1,2}([:.]\d{2})?\s?([ap]\.?m\b\.?)|\b\d{1,2}:\d{2}\b`)

var placeWords = wordSet(`channel page site portal folder office room floor reception desk
form tool app link inbox mailbox address building wiki repository`)

var personWords = wordSet(`manager managers team teams lead leads owner owners admin admins
colleague colleagues buddy mentor hr person someone officer`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
