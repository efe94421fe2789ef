package knowledge

import (
	"sort"
	"time"

	"github.com/lorehq/lore/knowledge/analyze"
)

// Unanswered is one question Lore could not answer.
type Unanswered struct {
	Question string
	Time     time.Time
	// User is who asked, when known, so that a gap can say how many
	// different people asked it.
	User string
}

// Gap is a cluster of similar unanswered questions: content the knowledge
// base lacks.
type Gap struct {
	Question  string    `json:"question"` // the most recent phrasing
	Count     int       `json:"count"`
	LastAsked time.Time `json:"last_asked"`
	Examples  []string  `json:"examples,omitempty"` // up to three other phrasings
	// Askers counts the different people who asked (Unanswered.User);
	// questions without a user are not counted.
	Askers int `json:"askers,omitempty"`
}

// gapSimilarity is the term-set Jaccard similarity at which two questions
// are taken to ask for the same missing content.
const gapSimilarity = 0.5

// Gaps groups unanswered questions by similarity, most asked first.
func Gaps(questions []Unanswered) []Gap {
	sorted := append([]Unanswered(nil), questions...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.After(sorted[j].Time) })
	type cluster struct {
		gap    Gap
		terms  map[string]struct{}
		seen   map[string]bool
		askers map[string]bool
	}
	var clusters []*cluster
	for _, q := range sorted {
		terms := termSet(analyze.ContentTerms(q.Question))
		var home *cluster
		bestSim := 0.0
		for _, c := range clusters {
			if sim := jaccard(terms, c.terms); sim >= gapSimilarity && sim > bestSim {
				home, bestSim = c, sim
			}
		}
		if home == nil {
			home = &cluster{gap: Gap{Question: q.Question, LastAsked: q.Time}, terms: terms, seen: map[string]bool{}, askers: map[string]bool{}}
			home.seen[normalise(q.Question)] = true
			clusters = append(clusters, home)
		} else if n := normalise(q.Question); !home.seen[n] && len(home.gap.Examples) < 3 {
			home.seen[n] = true
			home.gap.Examples = append(home.gap.Examples, q.Question)
		}
		home.gap.Count++
		if q.User != "" && !home.askers[q.User] {
			home.askers[q.User] = true
			home.gap.Askers++
		}
	}
	out := make([]Gap, len(clusters))
	for i, c := range clusters {
		out[i] = c.gap
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].LastAsked.After(out[j].LastAsked)
	})
	return out
}

func normalise(q string) string {
	words := analyze.Words(q)
	out := ""
	for i, w := range words {
		if i > 0 {
			out += " "
		}
		out += w
	}
	return out
}
