package knowledge_test

import (
	"fmt"
	"math"
	"path"
	"reflect"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

func TestFeedbackFactor(t *testing.T) {
	if f := knowledge.FeedbackFactor(0, 0); f != 1 {
		t.Errorf("no votes: factor %v, want exactly 1", f)
	}
	for _, c := range [][2]int{{1, 0}, {0, 1}, {2, 0}, {0, 2}, {1, 1}} {
		if f := knowledge.FeedbackFactor(c[0], c[1]); math.Abs(f-1) > 0.02 {
			t.Errorf("%d up %d down: factor %v moves more than 2%%", c[0], c[1], f)
		}
	}
	prev := 0.0
	for up := range 50 {
		f := knowledge.FeedbackFactor(up, 10)
		if f <= prev {
			t.Errorf("factor not increasing with helpful votes: %v after %v at %d up", f, prev, up)
		}
		prev = f
	}
	for _, c := range [][2]int{{1 << 30, 0}, {0, 1 << 30}, {20, 0}, {0, 20}} {
		if f := knowledge.FeedbackFactor(c[0], c[1]); f <= 0.9 || f >= 1.1 {
			t.Errorf("%d up %d down: factor %v outside (0.9, 1.1)", c[0], c[1], f)
		}
	}
}

// vote records an answer citing docs and n votes of value on it, each by
// another person.
func vote(t *testing.T, st *sqlite.Store, at time.Time, docID string, n, value int) {
	t.Helper()
	answer := fmt.Sprintf("answer-%s-%d", docID, value)
	if err := st.RecordEvent(t.Context(), store.Event{ID: answer, Time: at, Kind: store.EventAnswer,
		Platform: "slack", User: "asker", Question: "q", Confident: true, DocIDs: []string{docID}}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := st.RecordEvent(t.Context(), store.Event{ID: fmt.Sprintf("%s-vote-%d", answer, i), Time: at.Add(time.Minute),
			Kind: store.EventFeedback, Platform: "slack", User: fmt.Sprintf("person-%d", i), Value: value, Ref: answer}); err != nil {
			t.Fatal(err)
		}
	}
}

func docOf(ps []knowledge.Passage, file string) string {
	for _, p := range ps {
		if path.Base(p.Source) == file {
			return p.DocID
		}
	}
	return ""
}

var parkingCorpus = map[string]string{
	"alpha.md": "# Alpha garage\n\nThe staff parking garage opens at seven in the morning on weekdays.\n",
	"beta.md":  "# Beta garage\n\nThe staff parking garage opens at seven in the morning on weekdays.\n",
	"vpn.md":   "# VPN\n\nThe VPN client must be connected before opening the intranet from home.\n",
}

const parkingQuestion = "when does the staff parking garage open?"

// Of two equally relevant documents, the one whose answers helped comes
// first, whichever came first before.
func TestFeedbackReordersEqualRelevance(t *testing.T) {
	svc, st, _ := loadCorpus(t, parkingCorpus)
	before, err := svc.Search(t.Context(), parkingQuestion, 5, store.Everything)
	if err != nil || len(before) < 2 {
		t.Fatalf("search: %v, %d passages", err, len(before))
	}
	first, second := path.Base(before[0].Source), path.Base(before[1].Source)
	if first == "vpn.md" || second == "vpn.md" {
		t.Fatalf("the two garage documents do not lead: %v", passageFiles(before))
	}
	// The leader draws 👎, the runner-up 👍.
	now := time.Now()
	vote(t, st, now.Add(-time.Hour), before[0].DocID, 20, -1)
	vote(t, st, now.Add(-time.Hour), before[1].DocID, 20, +1)
	if err := svc.RefreshFeedback(t.Context()); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Search(t.Context(), parkingQuestion, 5, store.Everything)
	if err != nil {
		t.Fatal(err)
	}
	if got := passageFiles(after); len(got) != len(before) || got[0] != second || got[1] != first {
		t.Errorf("after feedback: %v, want %s (helpful) before %s (unhelpful), nothing dropped", got, second, first)
	}
	if v := svc.FeedbackVotes(before[0].DocID); v.Unhelpful != 20 || v.Helpful != 0 {
		t.Errorf("votes held for %s: %+v", first, v)
	}
}

// A document with many 👎 that is the only match is still returned,
// still answered from and cited, with the same confidence.
func TestFeedbackNeverHidesTheOnlyAnswer(t *testing.T) {
	svc, st, _ := loadCorpus(t, map[string]string{
		"parking.md": parkingCorpus["alpha.md"],
		"vpn.md":     parkingCorpus["vpn.md"],
	})
	plain, err := svc.Ask(t.Context(), parkingQuestion)
	if err != nil || !plain.Confident {
		t.Fatalf("answer before feedback: %+v, %v", plain, err)
	}
	ps, _ := svc.Search(t.Context(), parkingQuestion, 10, store.Everything)
	id := docOf(ps, "parking.md")
	vote(t, st, time.Now().Add(-time.Hour), id, 200, -1)
	if err := svc.RefreshFeedback(t.Context()); err != nil {
		t.Fatal(err)
	}
	after, err := svc.Search(t.Context(), parkingQuestion, 10, store.Everything)
	if err != nil || len(after) != len(ps) || docOf(after, "parking.md") == "" {
		t.Fatalf("search after 👎: %v (%v), want all %d passages, the parking one included", passageFiles(after), err, len(ps))
	}
	ans, err := svc.Ask(t.Context(), parkingQuestion)
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Confident || ans.Confidence != plain.Confidence || len(ans.Citations) == 0 || ans.Citations[0].DocID != id {
		t.Errorf("answer after 👎: confident %v (%v, was %v), citations %+v; want the parking document cited as before",
			ans.Confident, ans.Confidence, plain.Confidence, ans.Citations)
	}
}

// Without votes on what is retrieved, the ranking is exactly what it is
// with feedback off: same passages, same scores, to the bit.
func TestNoFeedbackLeavesRankingUnchanged(t *testing.T) {
	svc, st, _ := loadCorpus(t, parkingCorpus)
	off := knowledge.New(st, knowledge.Options{FeedbackRefresh: -1})
	// Votes on a document no search retrieves (removed since).
	vote(t, st, time.Now().Add(-time.Hour), "removed-document", 30, -1)
	if err := svc.RefreshFeedback(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{parkingQuestion, "garage weekdays", "seven in the morning"} {
		want, err := off.Search(t.Context(), q, 5, store.Everything)
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Search(t.Context(), q, 5, store.Everything)
		if err != nil {
			t.Fatal(err)
		}
		// Scores compared to the bit; Coverage is left out, as its sum
		// over a map may differ in the last bit from one call to the next.
		if g, w := ranking(got), ranking(want); !reflect.DeepEqual(g, w) {
			t.Errorf("%q: ranking with feedback on but no votes differs from feedback off:\n%v\n%v", q, g, w)
		}
	}
}

// ranking is the order of passages with the bits of their scores.
func ranking(ps []knowledge.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d:%x", p.ID, math.Float64bits(p.Score)))
	}
	return out
}
