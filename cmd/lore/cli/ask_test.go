package cli_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

func TestAskAnswersWithSources(t *testing.T) {
	t.Parallel()
	db, dir := ingested(t)
	before := db.counts(t)

	r := db.run(t, "ask", vpnQuestion)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, vpnFact) {
		t.Errorf("the answer lacks %q:\n%s", vpnFact, r.out)
	}
	want := "[1] VPN Troubleshooting — " + filepath.ToSlash(filepath.Join(dir, "vpn.html"))
	if !strings.Contains(r.out, "\nSources:\n") || !strings.Contains(r.out, want) {
		t.Errorf("the answer does not list its source %q:\n%s", want, r.out)
	}
	if !strings.Contains(r.out, "[1]") {
		t.Errorf("the answer text carries no citation marker:\n%s", r.out)
	}

	// The question and the answer are recorded; the content is not touched.
	after := db.counts(t)
	if after.documents != before.documents || after.chunks != before.chunks {
		t.Errorf("ask changed the knowledge base: %+v, then %+v", before, after)
	}
	answers := db.events(t, store.EventAnswer)
	if len(answers) != 1 || !answers[0].Confident || answers[0].Question != vpnQuestion || len(answers[0].DocIDs) == 0 {
		t.Errorf("recorded answers %+v, want one confident answer citing a document", answers)
	}
	if qs := db.events(t, store.EventQuestion); len(qs) != 1 {
		t.Errorf("recorded %d questions, want 1", len(qs))
	}
}

// The question may come as several words, as a shell passes it unquoted.
func TestAskJoinsWords(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	r := db.run(t, append([]string{"ask"}, strings.Fields(vpnQuestion)...)...)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, vpnFact) {
		t.Errorf("the answer lacks %q:\n%s", vpnFact, r.out)
	}
}

// askOutput is the documented shape of lore ask --json.
type askOutput struct {
	Answer    string `json:"answer"`
	Confident bool   `json:"confident"`
	Citations []struct {
		DocID   string  `json:"doc_id"`
		Title   string  `json:"title"`
		Heading string  `json:"heading"`
		Source  string  `json:"source"`
		Score   float64 `json:"score"`
		Snippet string  `json:"snippet"`
	} `json:"citations"`
	LatencyMS int64 `json:"latency_ms"`
}

// decodeAsk checks that out has exactly the documented keys, at the top
// and in every citation, and decodes it.
func decodeAsk(t *testing.T, out string) askOutput {
	t.Helper()
	obj := decodeObject(t, out, "answer", "confident", "citations", "latency_ms")
	var cites []map[string]json.RawMessage
	if err := json.Unmarshal(obj["citations"], &cites); err != nil {
		t.Fatalf("citations is not an array of objects: %v\n%s", err, out)
	}
	for i, c := range cites {
		got := sortedKeys(c)
		want := sorted([]string{"doc_id", "title", "heading", "source", "score", "snippet"})
		if !slices.Equal(got, want) {
			t.Fatalf("citation %d has keys %v, want %v", i, got, want)
		}
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	dec.DisallowUnknownFields()
	var a askOutput
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("decode ask --json: %v\n%s", err, out)
	}
	return a
}

func TestAskJSONShape(t *testing.T) {
	t.Parallel()
	db, dir := ingested(t)

	r := db.run(t, "ask", "--json", leaveQuestion)
	r.wantCode(t, cli.ExitOK)
	a := decodeAsk(t, r.out)
	if !a.Confident {
		t.Errorf("confident is false for an answered question")
	}
	if !strings.Contains(a.Answer, leaveFact) {
		t.Errorf("answer %q lacks %q", a.Answer, leaveFact)
	}
	if len(a.Citations) == 0 {
		t.Fatalf("no citations:\n%s", r.out)
	}
	c := a.Citations[0]
	if c.DocID == "" || c.Title != "Holiday Handbook" || c.Heading != "Entitlement" || c.Score <= 0 || c.Snippet == "" {
		t.Errorf("first citation %+v, want the Entitlement section of the Holiday Handbook with a score and snippet", c)
	}
	if want := filepath.ToSlash(filepath.Join(dir, "leave.md")); c.Source != want {
		t.Errorf("source %q, want %q", c.Source, want)
	}
	if !strings.Contains(c.Snippet, leaveFact) {
		t.Errorf("snippet %q does not quote the passage", c.Snippet)
	}
	if a.LatencyMS < 0 {
		t.Errorf("latency_ms %d is negative", a.LatencyMS)
	}
}

func TestAskOffTopicExitsThree(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	const question = "What is the company's share price today?"

	r := db.run(t, "ask", question)
	r.wantCode(t, cli.ExitNoAnswer)
	if !strings.Contains(r.out, "couldn't find an answer") {
		t.Errorf("the reply does not say there is no answer:\n%s", r.out)
	}
	if strings.Contains(r.out, "Sources:") {
		t.Errorf("an unanswered question lists sources:\n%s", r.out)
	}
	if r.err != "" {
		t.Errorf("no answer is not an error, but stderr says:\n%s", r.err)
	}

	j := db.run(t, "ask", "--json", question)
	j.wantCode(t, cli.ExitNoAnswer)
	a := decodeAsk(t, j.out)
	if a.Confident || len(a.Citations) != 0 || a.Answer == "" {
		t.Errorf("ask --json %+v, want confident false, no citations and a reply", a)
	}
	if !strings.Contains(j.out, `"citations": []`) {
		t.Errorf("citations must be an empty array, not null:\n%s", j.out)
	}

	answers := db.events(t, store.EventAnswer)
	if len(answers) != 2 || answers[0].Confident || answers[1].Confident {
		t.Errorf("recorded answers %+v, want two not confident", answers)
	}
}

func TestAskBadQuestionsExitTwo(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	cases := []struct {
		name     string
		question string
		msg      string
	}{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"white space", "\t\n ", "empty"},
		{"punctuation only", "?!", "empty"},
		{"question marks only", "???", "empty"},
		{"symbols only", "— … 🙂 #@*", "empty"},
		{"100 kB", strings.Repeat("why is the VPN slow ", 5000), "too long"},
		{"invalid UTF-8", "how many days of leave\xff\xfe?", "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each case compares the database before and after, so the
			// cases of this database run one at a time.
			before := db.counts(t)
			for _, args := range [][]string{{"ask", c.question}, {"ask", "--json", c.question}} {
				r := db.run(t, args...)
				r.wantCode(t, cli.ExitUsage)
				if !strings.Contains(r.err, c.msg) {
					t.Errorf("stderr does not say %q:\n%s", c.msg, r.err)
				}
				// Every empty question, blank or only punctuation, gets the
				// same hint on how to ask.
				if hint := `lore ask "How do I request leave?"`; c.msg == "empty" && !strings.Contains(r.err, hint) {
					t.Errorf("stderr lacks the hint %s:\n%s", hint, r.err)
				}
				if len(r.err) > 500 {
					t.Errorf("the message is %d bytes long; it should not echo the question", len(r.err))
				}
				if r.out != "" {
					t.Errorf("a refused question wrote to stdout:\n%s", r.out)
				}
			}
			if after := db.counts(t); after != before {
				t.Errorf("a refused question changed the database: %+v, then %+v", before, after)
			}
		})
	}
	// The database still answers.
	db.run(t, "ask", leaveQuestion).wantCode(t, cli.ExitOK)
}

func TestAskEmptyKnowledgeBaseHasNoAnswer(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := db.run(t, "ask", "--json", leaveQuestion)
	r.wantCode(t, cli.ExitNoAnswer)
	if a := decodeAsk(t, r.out); a.Confident {
		t.Errorf("an empty knowledge base answered confidently: %+v", a)
	}
}

// A question asked as someone else records nothing, so Lore's reply does
// not claim it was noted for the content team.
func TestAskAsDoesNotClaimTheQuestionWasNoted(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	const question = "What is the company's share price today?"
	before := db.counts(t)
	for _, args := range [][]string{
		{"ask", question, "--as", "slack/T1/U2"},
		{"ask", "--json", question, "--as", "slack/T1/U2"},
	} {
		r := db.run(t, args...)
		r.wantCode(t, cli.ExitNoAnswer)
		if strings.Contains(r.out, "noted") {
			t.Errorf("lore %v claims the question was noted:\n%s", args, r.out)
		}
		if !strings.Contains(r.out, "couldn't find an answer") || !strings.Contains(r.out, "Asked as slack/T1/U2: nothing was recorded") {
			t.Errorf("lore %v does not say that nothing was recorded:\n%s", args, r.out)
		}
	}
	if after := db.counts(t); after != before {
		t.Errorf("asking as someone else changed the database: %+v, then %+v", before, after)
	}
	if qs := db.events(t, store.EventQuestion); len(qs) != 0 {
		t.Errorf("recorded %d questions asked as someone else, want none", len(qs))
	}
}
