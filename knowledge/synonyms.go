package knowledge

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/lorehq/lore/knowledge/analyze"
)

// Synonyms are a knowledge base's own vocabulary for what people call
// things differently: the "GP" of a question is the "doctor" of the sick
// leave policy, "vacation" is "annual leave". Curators write them from
// the content gaps Lore logs, in the synonym file format of Solr and
// Elasticsearch, one rule a line:
//
//	# comments and blank lines are ignored
//	GP, doctor, physician        (equivalent: each finds the others)
//	vacation, holiday => annual leave   (one way: the left finds the right)
//
// A question's words are matched after stemming, so "doctors" matches
// "doctor"; a rule of several words matches them in order. Synonyms widen
// the question at search time only: the index is not rewritten, so a
// changed file takes effect at the next start without a reindex.
type Synonyms struct {
	rules []synonymRule
}

// synonymRule finds each of its alternatives for any of its variants. A
// variant or alternative is the content stems of a word or phrase.
type synonymRule struct {
	variants     [][]string
	alternatives []synonym
}

type synonym struct {
	stems []string // content stems, to test whether a text contains it
	terms []string // its search terms: stems and the phrase of adjacent ones
}

// maxSynonymLine bounds a rule line; a longer one is a mistake (a file
// that is not a synonym list), not a rule.
const maxSynonymLine = 4096

// ParseSynonyms reads a synonym file. An error names the line at fault.
func ParseSynonyms(r io.Reader) (*Synonyms, error) {
	s := &Synonyms{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxSynonymLine)
	n := 1
	for ; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rule, err := parseSynonymRule(line)
		if err != nil {
			return nil, fmt.Errorf("synonyms line %d: %w", n, err)
		}
		s.rules = append(s.rules, rule)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("synonyms line %d: longer than %d bytes, which no rule is: is this a synonym file?", n, maxSynonymLine)
	} else if err != nil {
		return nil, fmt.Errorf("synonyms: %w", err)
	}
	return s, nil
}

func parseSynonymRule(line string) (synonymRule, error) {
	left, right, oneWay := strings.Cut(line, "=>")
	if oneWay && strings.Contains(right, "=>") {
		return synonymRule{}, fmt.Errorf("%q has more than one =>", line)
	}
	from, err := synonymList(left)
	if err != nil {
		return synonymRule{}, err
	}
	to := from
	if oneWay {
		if to, err = synonymList(right); err != nil {
			return synonymRule{}, err
		}
	} else if len(from) < 2 {
		return synonymRule{}, fmt.Errorf("%q names one word: list two or more, separated by commas, or write FROM => TO", line)
	}
	rule := synonymRule{alternatives: to}
	for _, f := range from {
		rule.variants = append(rule.variants, f.stems)
	}
	return rule, nil
}

// synonymList parses the comma-separated words or phrases of one side of
// a rule.
func synonymList(side string) ([]synonym, error) {
	var list []synonym
	for _, item := range strings.Split(side, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("an empty entry in %q", strings.TrimSpace(side))
		}
		stems := analyze.ContentTerms(item)
		if len(stems) == 0 {
			return nil, fmt.Errorf("%q has no word that search uses (only stop words or question words)", item)
		}
		list = append(list, synonym{stems: stems, terms: analyze.QueryTerms(item)})
	}
	return list, nil
}

// expansion is what the synonyms add to one question: for each rule that
// matched, the question's stems it matched and the alternatives that may
// stand for them.
type expansion []expanded

type expanded struct {
	matched      []string
	alternatives []synonym
}

// expand matches the synonyms against a question's content stems, in
// order. A nil Synonyms expands nothing.
func (s *Synonyms) expand(question string) expansion {
	if s == nil || len(s.rules) == 0 {
		return nil
	}
	stems := analyze.ContentTerms(question)
	var out expansion
	for _, r := range s.rules {
		for _, v := range r.variants {
			if !containsRun(stems, v) {
				continue
			}
			var alts []synonym
			for _, a := range r.alternatives {
				if !slices.Equal(a.stems, v) {
					alts = append(alts, a)
				}
			}
			if len(alts) > 0 {
				out = append(out, expanded{matched: v, alternatives: alts})
			}
		}
	}
	return out
}

// terms returns the search terms of every alternative.
func (e expansion) terms() []string {
	var out []string
	for _, x := range e {
		for _, a := range x.alternatives {
			out = append(out, a.terms...)
		}
	}
	return out
}

// covers reports whether a text whose terms are have contains a synonym
// of the question's stem t, as a whole: every stem of the alternative.
func (e expansion) covers(t string, have func(string) bool) bool {
	for _, x := range e {
		if !slices.Contains(x.matched, t) {
			continue
		}
		for _, a := range x.alternatives {
			all := true
			for _, st := range a.stems {
				all = all && have(st)
			}
			if all {
				return true
			}
		}
	}
	return false
}

// containsRun reports whether run occurs in stems as consecutive items.
func containsRun(stems, run []string) bool {
	for i := 0; i+len(run) <= len(stems); i++ {
		if slices.Equal(stems[i:i+len(run)], run) {
			return true
		}
	}
	return false
}
