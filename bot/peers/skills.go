package peers

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/lorehq/lore/knowledge/analyze"
)

// Skills turns free text such as "Go, negotiation and K8s" into skills.
//
// A skill is kept as a label (lower-case words, single spaces, synonyms
// replaced by their canonical name: "k8s" becomes "kubernetes") so that a
// person sees what they wrote, and compared by its key (each word stemmed:
// "negotiating" and "negotiation" share the key "negoti").
type Skills struct {
	synonyms map[string]string // key of a variant -> canonical label
}

// MaxSkillLen bounds one skill label, in bytes; longer entries are not
// skills but pasted text, and are refused.
const MaxSkillLen = 60

// MaxSkills bounds how many skills one list holds.
const MaxSkills = 30

// NewSkills returns a normaliser with the given synonyms: each canonical
// name maps to the variants that mean it, for example
// {"kubernetes": {"k8s", "kube"}}.
func NewSkills(synonyms map[string][]string) *Skills {
	s := &Skills{synonyms: map[string]string{}}
	for canon, variants := range synonyms {
		label := clean(canon)
		for _, v := range variants {
			s.synonyms[Key(clean(v))] = label
		}
	}
	return s
}

// DefaultSynonyms are a few common abbreviations; deployments extend them.
var DefaultSynonyms = map[string][]string{
	"kubernetes":             {"k8s", "kube"},
	"golang":                 {"go", "go lang"},
	"javascript":             {"js", "ecmascript"},
	"typescript":             {"ts"},
	"machine learning":       {"ml"},
	"postgresql":             {"postgres", "psql"},
	"user experience":        {"ux"},
	"continuous integration": {"ci", "ci/cd"},
}

// clean lower-cases s and joins its words with single spaces, keeping the
// characters skills are written with ("c++", "c#", "ci/cd", "node.js").
func clean(s string) string {
	s = strings.ToLower(strings.ToValidUTF8(s, ""))
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("+#./-", r))
	})
	for i, f := range fields {
		fields[i] = strings.Trim(f, "./-")
	}
	fields = slices.DeleteFunc(fields, func(f string) bool { return f == "" })
	return strings.Join(fields, " ")
}

// Key is the comparison form of a skill label: its words stemmed.
func Key(label string) string {
	words := strings.Fields(label)
	for i, w := range words {
		if !strings.ContainsAny(w, "+#./") {
			w = analyze.Stem(w)
		}
		words[i] = w
	}
	return strings.Join(words, " ")
}

// Label normalises one skill; "" means nothing usable was written.
func (s *Skills) Label(text string) string {
	label := clean(text)
	words := strings.Fields(label)
	// "and" or "the" alone are not skills; inside a name they stay.
	if len(words) == 1 && analyze.IsStopWord(words[0]) {
		return ""
	}
	if canon, ok := s.synonyms[Key(label)]; ok {
		return canon
	}
	return label
}

// Parse splits a list written in chat ("go, negotiation and public
// speaking; k8s") into distinct skill labels, in the order written.
func (s *Skills) Parse(text string) ([]string, error) {
	text = strings.NewReplacer(";", ",", "\n", ",", " and ", ",", " & ", ",").Replace(" " + text + " ")
	var out []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(text, ",") {
		label := s.Label(part)
		if label == "" {
			continue
		}
		if len(label) > MaxSkillLen {
			return nil, &InputError{Msg: "a skill is at most " + itoa(MaxSkillLen) + " characters; separate skills with commas"}
		}
		if k := Key(label); !seen[k] {
			seen[k] = true
			out = append(out, label)
		}
	}
	if len(out) > MaxSkills {
		return nil, &InputError{Msg: "list at most " + itoa(MaxSkills) + " skills"}
	}
	return out, nil
}

// InputError is a mistake in what a person typed; its message is meant
// for them.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func itoa(n int) string { return strconv.Itoa(n) }
