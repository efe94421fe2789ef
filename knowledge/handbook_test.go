package knowledge_test

import (
	"context"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/handbook"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// newHandbookService returns a knowledge service over a fresh store loaded
// with the bundled sample handbook.
func newHandbookService(t *testing.T, synonyms *knowledge.Synonyms) *knowledge.Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := knowledge.New(st, knowledge.Options{Synonyms: synonyms})
	docs, err := fs.Sub(handbook.Docs, "docs")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := svc.IngestFS(ctx, docs, "handbook", "handbook")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Added < 25 {
		t.Fatalf("loaded %d handbook documents, want at least 25", sum.Added)
	}
	return svc
}

// TestHandbookQuestionsAreAnsweredWithTheRightSources holds the offline
// path to a quality floor on the bundled example questions. They are
// phrased the way people type in chat, often with other words than the
// handbook's ("GP note", "ship to prod"), which a lexical retriever cannot
// always bridge; every miss is listed.
func TestHandbookQuestionsAreAnsweredWithTheRightSources(t *testing.T) {
	svc := newHandbookService(t, nil)
	questions, err := handbook.Questions()
	if err != nil {
		t.Fatal(err)
	}
	if len(questions) < 12 {
		t.Fatalf("%d example questions, want at least 12", len(questions))
	}
	// Floors measured on the offline path: retrieval puts the expected
	// document in the top three for all but a few questions; answering
	// confidently from it is harder, since paraphrases lower confidence.
	const (
		wantRetrieved = 0.9
		wantAnswered  = 0.65
	)
	good, retrieved := 0, 0
	for _, q := range questions {
		passages, err := svc.Search(context.Background(), q.Question, 3, store.Everything)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range passages {
			if slices.Contains(q.Docs, path.Base(p.Source)) {
				retrieved++
				break
			}
		}
		ans, err := svc.Ask(context.Background(), q.Question)
		if err != nil {
			t.Fatal(err)
		}
		cited := map[string]bool{}
		for _, c := range ans.Citations {
			cited[path.Base(c.Source)] = true
		}
		found := false
		for _, d := range q.Docs {
			found = found || cited[d]
		}
		switch {
		case !ans.Confident:
			t.Logf("miss (not confident, %.2f): %s", ans.Confidence, q.Question)
		case !found:
			t.Logf("miss (cited %v, want %v): %s", keys(cited), q.Docs, q.Question)
		case !strings.Contains(ans.Text, "[1]"):
			t.Errorf("answer without a citation marker: %s", ans.Text)
		default:
			good++
		}
	}
	n := float64(len(questions))
	t.Logf("%d of %d example questions retrieve the expected document in the top three; %d are answered from it", retrieved, len(questions), good)
	if share := float64(retrieved) / n; share < wantRetrieved {
		t.Errorf("%.0f%% of example questions retrieve the expected document in the top three, want at least %.0f%%", 100*share, 100*wantRetrieved)
	}
	if share := float64(good) / n; share < wantAnswered {
		t.Errorf("%.0f%% of example questions answered from the expected document, want at least %.0f%%", 100*share, 100*wantAnswered)
	}
}

func TestHandbookUnanswerableQuestionsAreGaps(t *testing.T) {
	svc := newHandbookService(t, nil)
	questions, err := handbook.Unanswerable()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range questions {
		ans, err := svc.Ask(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Confident {
			t.Errorf("%q answered confidently (%.2f) from %v: %s", q, ans.Confidence, ans.Citations, ans.Text)
		}
		if ans.Text != knowledge.NoAnswerText || len(ans.Citations) != 0 {
			t.Errorf("%q: a gap must say so plainly and cite nothing, got %q", q, ans.Text)
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestHandbookAnswersStateTheExpectedFact holds the offline answers to a
// floor on what matters most to the asker: that the answer states the
// fact asked for ("16 weeks", "10:00"), not merely that it cites the
// right page. Every miss is listed; most are questions answered from
// another section than the fact's, or not confidently.
func TestHandbookAnswersStateTheExpectedFact(t *testing.T) {
	svc := newHandbookService(t, nil)
	// Measured on the offline path: 15 of the 30 example questions
	// (docs/benchmarks.md); before answers weighed the question's words
	// by rarity and looked for the kind of fact asked, 11.
	checkStated(t, svc, 0.5)
}

// TestHandbookSynonymsAnswerItsParaphrases runs the same questions with
// the handbook's synonym file, as the demo does: the paraphrases that
// were not answered confidently ("a note from my GP", "my husband and
// kids") find the handbook's words.
func TestHandbookSynonymsAnswerItsParaphrases(t *testing.T) {
	syn, err := knowledge.ParseSynonyms(strings.NewReader(handbook.Synonyms))
	if err != nil {
		t.Fatal(err)
	}
	svc := newHandbookService(t, syn)
	checkStated(t, svc, 0.65)
	// Wider questions must not answer what the handbook does not say.
	unanswerable, err := handbook.Unanswerable()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range unanswerable {
		ans, err := svc.Ask(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Confident {
			t.Errorf("%q answered confidently (%.2f) with the synonyms: %s", q, ans.Confidence, ans.Text)
		}
	}
}

// checkStated asks every example question and fails when fewer than want
// of the answers state an expected fact.
func checkStated(t *testing.T, svc *knowledge.Service, want float64) {
	t.Helper()
	questions, err := handbook.Questions()
	if err != nil {
		t.Fatal(err)
	}
	wantStated := want
	stated := 0
	for _, q := range questions {
		if len(q.Expect) == 0 {
			t.Fatalf("example question %q lists no expected fact", q.Question)
		}
		ans, err := svc.Ask(context.Background(), q.Question)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range q.Expect {
			found = found || strings.Contains(ans.Text, e)
		}
		if found {
			stated++
			continue
		}
		t.Logf("miss (want %q, confident %v): %s\n\t%s", q.Expect, ans.Confident, q.Question, ans.Text)
	}
	t.Logf("%d of %d answers state an expected fact", stated, len(questions))
	if share := float64(stated) / float64(len(questions)); share < wantStated {
		t.Errorf("%.0f%% of answers state the expected fact, want at least %.0f%%", 100*share, 100*wantStated)
	}
}
