package knowledge_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
)

var gapEpoch = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// at returns an unanswered question asked minutes after gapEpoch.
func at(minutes int, q string) knowledge.Unanswered {
	return knowledge.Unanswered{Question: q, Time: gapEpoch.Add(time.Duration(minutes) * time.Minute)}
}

// gapWith returns the gap whose question or examples include q.
func gapWith(t *testing.T, gaps []knowledge.Gap, q string) knowledge.Gap {
	t.Helper()
	for _, g := range gaps {
		if g.Question == q || slices.Contains(g.Examples, q) {
			return g
		}
	}
	t.Fatalf("no gap holds %q; gaps: %+v", q, gaps)
	return knowledge.Gap{}
}

func TestGapsClustersParaphrases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		questions []knowledge.Unanswered
		// together lists groups of questions that must share a gap;
		// questions of different groups must not.
		together [][]string
	}{
		{
			name: "filler words and punctuation differ",
			questions: []knowledge.Unanswered{
				at(1, "how do I reset my VPN password"),
				at(2, "reset VPN password?"),
			},
			together: [][]string{{"how do I reset my VPN password", "reset VPN password?"}},
		},
		{
			name: "word forms differ",
			questions: []knowledge.Unanswered{
				at(1, "Where are the parking spaces?"),
				at(2, "where can I find a parking space"),
			},
			together: [][]string{{"Where are the parking spaces?", "where can I find a parking space"}},
		},
		{
			name: "distinct topics stay apart",
			questions: []knowledge.Unanswered{
				at(1, "how do I reset my VPN password"),
				at(2, "is there a gym discount"),
				at(3, "reset VPN password?"),
				at(4, "gym discount for employees?"),
				at(5, "what is the wifi password for guests"),
			},
			together: [][]string{
				{"how do I reset my VPN password", "reset VPN password?"},
				{"is there a gym discount", "gym discount for employees?"},
				{"what is the wifi password for guests"},
			},
		},
		{
			name: "one shared word is not enough",
			questions: []knowledge.Unanswered{
				at(1, "reset VPN password"),
				at(2, "reset laptop to factory settings"),
			},
			together: [][]string{{"reset VPN password"}, {"reset laptop to factory settings"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gaps := knowledge.Gaps(tt.questions)
			if len(gaps) != len(tt.together) {
				t.Fatalf("got %d gaps, want %d: %+v", len(gaps), len(tt.together), gaps)
			}
			for _, group := range tt.together {
				home := gapWith(t, gaps, group[0])
				if home.Count != len(group) {
					t.Errorf("gap of %q counts %d, want %d: %+v", group[0], home.Count, len(group), home)
				}
				for _, q := range group[1:] {
					if g := gapWith(t, gaps, q); g.Question != home.Question {
						t.Errorf("%q is in gap %q, want it with %q in %q", q, g.Question, group[0], home.Question)
					}
				}
			}
		})
	}
}

func TestGapsCountsAndLastAsked(t *testing.T) {
	t.Parallel()
	// Deliberately out of time order: Gaps must not rely on input order.
	questions := []knowledge.Unanswered{
		at(30, "reset VPN password?"),
		at(5, "how do I reset my VPN password"),
		at(90, "How can I reset the VPN password"),
		at(10, "is there a gym discount"),
		at(60, "Reset my VPN password please"),
	}
	gaps := knowledge.Gaps(questions)
	if len(gaps) != 2 {
		t.Fatalf("got %d gaps, want 2: %+v", len(gaps), gaps)
	}
	vpn := gaps[0]
	if vpn.Count != 4 {
		t.Errorf("VPN gap counts %d, want 4", vpn.Count)
	}
	if want := gapEpoch.Add(90 * time.Minute); !vpn.LastAsked.Equal(want) {
		t.Errorf("VPN gap last asked %v, want the newest, %v", vpn.LastAsked, want)
	}
	if vpn.Question != "How can I reset the VPN password" {
		t.Errorf("VPN gap question %q, want the most recent phrasing", vpn.Question)
	}
	gym := gaps[1]
	if gym.Count != 1 || !gym.LastAsked.Equal(gapEpoch.Add(10*time.Minute)) {
		t.Errorf("gym gap = %+v, want count 1 asked at +10m", gym)
	}
	if len(gym.Examples) != 0 {
		t.Errorf("a single question has no other phrasings, got %q", gym.Examples)
	}
	total := 0
	for _, g := range gaps {
		total += g.Count
	}
	if total != len(questions) {
		t.Errorf("counts sum to %d, want every question counted once (%d)", total, len(questions))
	}
}

func TestGapsExamples(t *testing.T) {
	t.Parallel()
	// Newest first, the phrasings repeat the newest one and each other
	// before enough distinct ones come.
	questions := []knowledge.Unanswered{
		at(8, "reset VPN password?"),
		at(7, "Reset VPN password"),   // same words as +8
		at(6, "reset vpn password!!"), // same words as +8
		at(5, "how do I reset my VPN password"),
		at(4, "How do I reset my VPN password?"), // same words as +5
		at(3, "VPN password reset"),
		at(2, "I need to reset my VPN password"),
		at(1, "how to reset the VPN password"),
	}
	gaps := knowledge.Gaps(questions)
	if len(gaps) != 1 {
		t.Fatalf("got %d gaps, want 1: %+v", len(gaps), gaps)
	}
	g := gaps[0]
	if g.Count != len(questions) {
		t.Errorf("count %d, want %d (repeats still count)", g.Count, len(questions))
	}
	if g.Question != "reset VPN password?" {
		t.Errorf("question %q, want the newest phrasing", g.Question)
	}
	// Four distinct phrasings besides the question exist; three are shown.
	if len(g.Examples) != 3 {
		t.Fatalf("%d examples, want 3: %q", len(g.Examples), g.Examples)
	}
	seen := map[string]string{normalised(g.Question): g.Question}
	for _, e := range g.Examples {
		n := normalised(e)
		if prev, ok := seen[n]; ok {
			t.Errorf("example %q repeats %q", e, prev)
		}
		seen[n] = e
		if !slices.ContainsFunc(questions, func(q knowledge.Unanswered) bool { return q.Question == e }) {
			t.Errorf("example %q was never asked", e)
		}
	}
}

// normalised lower-cases q and keeps only its letters, digits and single
// spaces, so "Reset VPN password?" and "reset vpn password!!" compare
// equal.
func normalised(q string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}), " ")
}

func TestGapsSortedByCount(t *testing.T) {
	t.Parallel()
	questions := []knowledge.Unanswered{
		at(1, "is there a gym discount"),
		at(2, "reset VPN password"),
		at(3, "what is the wifi password for guests"),
		at(4, "reset my VPN password"),
		at(5, "gym discount?"),
		at(6, "how to reset VPN password"),
		at(7, "bike to work scheme"),
	}
	gaps := knowledge.Gaps(questions)
	if len(gaps) != 4 {
		t.Fatalf("got %d gaps, want 4: %+v", len(gaps), gaps)
	}
	for i := 1; i < len(gaps); i++ {
		prev, cur := gaps[i-1], gaps[i]
		if prev.Count < cur.Count {
			t.Errorf("gap %d (%q, %d) ranks above gap %d (%q, %d)", i-1, prev.Question, prev.Count, i, cur.Question, cur.Count)
		}
		if prev.Count == cur.Count && prev.LastAsked.Before(cur.LastAsked) {
			t.Errorf("equal counts: %q (last %v) ranks above the more recent %q (last %v)",
				prev.Question, prev.LastAsked, cur.Question, cur.LastAsked)
		}
	}
	if want := []int{3, 2, 1, 1}; !slices.Equal(counts(gaps), want) {
		t.Errorf("counts %v, want %v", counts(gaps), want)
	}
	if gaps[2].Question != "bike to work scheme" {
		t.Errorf("of two single questions, %q ranks first, want the more recent %q", gaps[2].Question, "bike to work scheme")
	}
}

func counts(gaps []knowledge.Gap) []int {
	out := make([]int, len(gaps))
	for i, g := range gaps {
		out[i] = g.Count
	}
	return out
}

func TestGapsEmpty(t *testing.T) {
	t.Parallel()
	if gaps := knowledge.Gaps(nil); len(gaps) != 0 {
		t.Errorf("Gaps(nil) = %+v, want none", gaps)
	}
}

func TestGapsDoesNotModifyInput(t *testing.T) {
	t.Parallel()
	questions := []knowledge.Unanswered{at(1, "a gym discount"), at(3, "reset VPN password"), at(2, "bike scheme")}
	before := slices.Clone(questions)
	knowledge.Gaps(questions)
	if !slices.Equal(questions, before) {
		t.Errorf("Gaps reordered its input: %+v, was %+v", questions, before)
	}
}

func TestGapsCountDistinctAskers(t *testing.T) {
	t.Parallel()
	by := func(minutes int, user, q string) knowledge.Unanswered {
		u := at(minutes, q)
		u.User = user
		return u
	}
	gaps := knowledge.Gaps([]knowledge.Unanswered{
		by(1, "ana", "how do I reset my VPN password"),
		by(2, "ana", "reset VPN password?"),
		by(3, "ben", "reset my VPN password"),
		by(4, "", "reset the VPN password"), // an opted-out person: not counted
	})
	if len(gaps) != 1 || gaps[0].Count != 4 || gaps[0].Askers != 2 {
		t.Errorf("gaps = %+v, want one gap asked 4 times by 2 people", gaps)
	}
}
