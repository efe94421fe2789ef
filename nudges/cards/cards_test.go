package cards

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/handbook"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// handbookStore is a SQLite store holding the bundled sample handbook in
// collection "handbook".
func handbookStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	docs, _ := fs.Sub(handbook.Docs, "docs")
	if _, err := knowledge.New(st, knowledge.Options{}).IngestFS(t.Context(), docs, "handbook", "handbook"); err != nil {
		t.Fatal(err)
	}
	return st
}

// Cloze cards drafted from the handbook form a valid draft track: each
// card's correct option, put in the blank, gives back the document's
// sentence; wrong options are of the answer's kind; drafting again gives
// the same track, so card ids (and learners' progress) are stable.
func TestDraftClozeCardsFromTheHandbook(t *testing.T) {
	st := handbookStore(t)
	res, err := Draft(t.Context(), st, Options{Collection: "handbook"})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Track
	if !tr.Draft || tr.ID != "review-handbook" {
		t.Fatalf("track %q draft=%v, want the draft review-handbook", tr.ID, tr.Draft)
	}
	refs, _ := st.DocumentRefs(t.Context(), "handbook")
	if res.Documents < len(refs)/2 || len(tr.Cards) < res.Documents || len(tr.Cards) > 2*len(refs) {
		t.Fatalf("%d cards from %d of %d documents (skipped %v)", len(tr.Cards), res.Documents, len(refs), res.Skipped)
	}
	if res.ByModel != 0 {
		t.Fatalf("%d cards by a model that was not configured", res.ByModel)
	}
	numeric := 0
	for _, c := range tr.Cards {
		if c.Kind != track.KindQuiz || c.Source == "" || !strings.HasPrefix(c.ID, "gen-") {
			t.Errorf("card %s: kind %s source %q", c.ID, c.Kind, c.Source)
		}
		var right []string
		seen := map[string]bool{}
		for _, o := range c.Options {
			if seen[strings.ToLower(o.Text)] {
				t.Errorf("card %s repeats option %q", c.ID, o.Text)
			}
			seen[strings.ToLower(o.Text)] = true
			if o.Correct {
				right = append(right, o.Text)
			}
		}
		if len(right) != 1 || len(c.Options) < 3 {
			t.Fatalf("card %s: %d options, correct %q", c.ID, len(c.Options), right)
		}
		filled := strings.Replace(c.Text, blank, right[0], 1)
		if !strings.Contains(c.Text, blank) || !strings.HasSuffix(c.Explanation, ": "+filled) {
			t.Errorf("card %s: %q with %q does not give back the explanation's sentence %q", c.ID, c.Text, right[0], c.Explanation)
		}
		if nums := numbers(right[0]); len(nums) == 1 && nums[0].text == right[0] {
			numeric++
			for _, o := range c.Options {
				if n := numbers(o.Text); len(n) != 1 || unitOf(n[0].text) != unitOf(right[0]) && unitOf(n[0].text)+"s" != unitOf(right[0])+"s" {
					t.Errorf("card %s: option %q is not a figure of the answer's kind (%q)", c.ID, o.Text, right[0])
				}
			}
		}
	}
	if numeric == 0 {
		t.Error("no card asks for a figure, though the handbook is full of them")
	}

	again, err := Draft(t.Context(), st, Options{Collection: "handbook"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Markdown, res.Markdown) {
		t.Fatal("drafting twice from the same documents gave different tracks")
	}
}

// fakeModel answers with a question for passages containing want, and
// with something unusable otherwise.
type fakeModel struct {
	mu      sync.Mutex
	want    string
	prompts []string
}

func (m *fakeModel) Complete(_ context.Context, msgs []knowledge.ChatMessage, _ func(string)) (string, error) {
	m.mu.Lock()
	m.prompts = append(m.prompts, msgs[len(msgs)-1].Content)
	m.mu.Unlock()
	if strings.Contains(msgs[len(msgs)-1].Content, m.want) {
		return "```json\n" + `{"question": "How many days of paid annual leave does a full-time employee get?",
			"options": ["20", "27", "30"], "correct": 1, "explanation": "The handbook gives 27 days."}` + "\n```", nil
	}
	return "Sure! Here is a question: what is leave?", nil
}

// With a model, its questions become cards where they are usable; where
// not, cloze cards stand in, and the failures are counted.
func TestDraftWithAModel(t *testing.T) {
	st := handbookStore(t)
	m := &fakeModel{want: "leave"}
	res, err := Draft(t.Context(), st, Options{Collection: "handbook", Model: m, PerDocument: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.ByModel == 0 || res.ModelFailures == 0 || res.ByModel+res.ModelFailures != len(m.prompts) {
		t.Fatalf("by model %d, failures %d, prompts %d", res.ByModel, res.ModelFailures, len(m.prompts))
	}
	var found bool
	for _, c := range res.Track.Cards {
		if c.Title == "How many days of paid annual leave does a full-time employee get?" {
			found = true
			if ok, _ := c.Grade([]int{indexOf(c, "27")}); !ok {
				t.Errorf("the model's correct option is not graded correct: %+v", c.Options)
			}
		}
	}
	if !found {
		t.Fatalf("the model's question is not among the cards:\n%s", res.Markdown)
	}
	if len(res.Track.Cards) < res.Documents {
		t.Fatalf("%d cards for %d documents: cloze cards did not stand in", len(res.Track.Cards), res.Documents)
	}
	for _, p := range m.prompts {
		if !strings.HasPrefix(p, "<passage>\n") || !strings.HasSuffix(p, "\n</passage>") {
			t.Fatalf("passage not delimited: %q", p[:min(len(p), 80)])
		}
	}
}

func indexOf(c track.Card, text string) int {
	for i, o := range c.Options {
		if o.Text == text {
			return i
		}
	}
	return -1
}

func TestDraftRefusesBadRequests(t *testing.T) {
	st := handbookStore(t)
	for _, o := range []Options{
		{},
		{Collection: "no-such-collection"},
		{Collection: "handbook", TrackID: "Review Handbook!"},
		{Collection: "handbook", DocIDs: []string{"not-a-document"}},
	} {
		if _, err := Draft(t.Context(), st, o); !errors.Is(err, ErrInvalid) {
			t.Errorf("Draft(%+v): err = %v, want ErrInvalid", o, err)
		}
	}
}

func TestParseQuestion(t *testing.T) {
	for _, tc := range []struct {
		name, out string
		ok        bool
	}{
		{"plain", `{"question":"Q?","options":["a","b"],"correct":0,"explanation":"E."}`, true},
		{"fenced", "```json\n{\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\"],\"correct\":2,\"explanation\":\"E.\"}\n```", true},
		{"prose", "I cannot do that.", false},
		{"no correct", `{"question":"Q?","options":["a","b"],"explanation":"E."}`, false},
		{"correct out of range", `{"question":"Q?","options":["a","b"],"correct":2,"explanation":"E."}`, false},
		{"one option", `{"question":"Q?","options":["a"],"correct":0,"explanation":"E."}`, false},
		{"repeated options", `{"question":"Q?","options":["a","A"],"correct":0,"explanation":"E."}`, false},
		{"no explanation", `{"question":"Q?","options":["a","b"],"correct":0}`, false},
	} {
		_, err := parseQuestion(tc.out)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errUnusable)) {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// A cloze card is made of a document's sentences, never of its code.
func TestClozeSentencesLeaveCodeOut(t *testing.T) {
	text := "Every laptop is encrypted with a recovery key held by IT.\n\n" +
		"```\nfdesetup enable -user admin -outputplist recovery-key.plist. Then Store the recovery key in the vault\n```\n\n" +
		"Lost laptops are reported to security within one day."
	got := docSentences(docText{chunks: []store.ChunkView{{Chunk: store.Chunk{Text: text}}}})
	want := []string{"Every laptop is encrypted with a recovery key held by IT.", "Lost laptops are reported to security within one day."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("sentences %q, want %q", got, want)
	}
}

func TestNearFigures(t *testing.T) {
	got := nearFigures(answer{text: "2 hours", value: 2})
	if strings.Join(got, "|") != "1 hour|4 hours|3 hours" {
		t.Errorf("near 2 hours: %q", got)
	}
	got = nearFigures(answer{text: "€21.6", value: 21.6})
	if got[0] != "€10.8" || got[1] != "€43.2" {
		t.Errorf("near €21.6: %q", got)
	}
}

// Cards drafted from a restricted collection carry its audience, so that
// its text reaches nobody the collection would not answer; a draft
// document of the collection gives no card.
func TestDraftCarriesTheCollectionsAudience(t *testing.T) {
	st := handbookStore(t)
	ctx := t.Context()
	if err := st.SetCollection(ctx, store.Collection{Name: "handbook", Audience: "group:hr channel:slack/T1/CHR"}); err != nil {
		t.Fatal(err)
	}
	secret := "The unannounced reorganisation moves 140 engineers to the platform division in April."
	draft := store.Document{ID: "reorg", Collection: "handbook", Source: "handbook/reorg.md", Title: "Reorganisation", ContentHash: "h", Status: store.StatusDraft}
	if err := st.ReplaceDocument(ctx, draft, []store.Chunk{{Text: secret, Terms: []string{"reorganis"}, Vector: make([]float32, embed.DefaultDimensions)}}); err != nil {
		t.Fatal(err)
	}
	res, err := Draft(ctx, st, Options{Collection: "handbook"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Track.Audience != "group:hr channel:slack/T1/CHR" || !res.Track.Draft {
		t.Errorf("drafted track: audience %q, draft %v; want the collection's audience, as a draft", res.Track.Audience, res.Track.Draft)
	}
	if bytes.Contains(res.Markdown, []byte("reorganisation")) || bytes.Contains(res.Markdown, []byte("reorg.md")) {
		t.Errorf("a draft document's text made a card:\n%s", res.Markdown)
	}
	// An open collection's track is open too.
	if err := st.SetCollection(ctx, store.Collection{Name: "handbook"}); err != nil {
		t.Fatal(err)
	}
	if res, err := Draft(ctx, st, Options{Collection: "handbook"}); err != nil || res.Track.Audience != "" {
		t.Errorf("open collection: audience %q, %v", res.Track.Audience, err)
	}
}
