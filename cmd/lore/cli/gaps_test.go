package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
)

func TestGapsGroupsUnansweredQuestions(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	const (
		dog      = "Can I bring my dog into the office?"
		dogAgain = "Am I allowed to bring my dog to the office?"
		shares   = "What is the company's share price today?"
	)
	empty := db.run(t, "gaps")
	empty.wantCode(t, cli.ExitOK)
	if !strings.Contains(empty.out, "No content gaps") {
		t.Errorf("gaps before any question:\n%s", empty.out)
	}

	for _, q := range []string{dog, shares, dogAgain} {
		db.run(t, "ask", q).wantCode(t, cli.ExitNoAnswer)
	}
	// Answered and refused questions are not gaps.
	db.run(t, "ask", leaveQuestion).wantCode(t, cli.ExitOK)
	db.run(t, "ask", "").wantCode(t, cli.ExitUsage)

	r := db.run(t, "gaps", "--json")
	r.wantCode(t, cli.ExitOK)
	var gaps []struct {
		Question  string    `json:"question"`
		Count     int       `json:"count"`
		LastAsked time.Time `json:"last_asked"`
		Examples  []string  `json:"examples"`
	}
	if err := json.Unmarshal([]byte(r.out), &gaps); err != nil {
		t.Fatalf("gaps --json does not parse: %v\n%s", err, r.out)
	}
	if len(gaps) != 2 {
		t.Fatalf("%d gaps, want 2:\n%s", len(gaps), r.out)
	}
	if gaps[0].Count != 2 || gaps[1].Count != 1 {
		t.Errorf("gap counts %d and %d, want 2 and 1", gaps[0].Count, gaps[1].Count)
	}
	// The group shows its latest phrasing, with the other as an example.
	if gaps[0].Question != dogAgain || len(gaps[0].Examples) != 1 || gaps[0].Examples[0] != dog {
		t.Errorf("first gap %+v, want %q with the example %q", gaps[0], dogAgain, dog)
	}
	if gaps[1].Question != shares {
		t.Errorf("second gap %q, want %q", gaps[1].Question, shares)
	}
	if since := time.Since(gaps[0].LastAsked); since < 0 || since > time.Minute {
		t.Errorf("last asked %s, want just now", gaps[0].LastAsked)
	}

	text := db.run(t, "gaps")
	text.wantCode(t, cli.ExitOK)
	for _, want := range []string{"COUNT", dogAgain, "also: " + dog, shares} {
		if !strings.Contains(text.out, want) {
			t.Errorf("gaps output lacks %q:\n%s", want, text.out)
		}
	}
	if strings.Index(text.out, dogAgain) > strings.Index(text.out, shares) {
		t.Errorf("the most asked gap is not listed first:\n%s", text.out)
	}

	limited := db.run(t, "gaps", "--json", "--limit", "1")
	limited.wantCode(t, cli.ExitOK)
	var one []json.RawMessage
	if err := json.Unmarshal([]byte(limited.out), &one); err != nil || len(one) != 1 {
		t.Errorf("gaps --limit 1 gave %d gaps (%v):\n%s", len(one), err, limited.out)
	}
}

func TestGapsJSONOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := db.run(t, "gaps", "--json")
	r.wantCode(t, cli.ExitOK)
	var gaps []json.RawMessage
	if err := json.Unmarshal([]byte(r.out), &gaps); err != nil {
		t.Fatalf("gaps --json does not parse: %v\n%s", err, r.out)
	}
	if len(gaps) != 0 {
		t.Errorf("an empty database has %d gaps", len(gaps))
	}
}

// A question from chat can hold terminal escape sequences ("set the window
// title", "clear the screen"); lore gaps prints none of them to a curator's
// terminal, nor lore ask.
func TestTerminalOutputHasNoControlCharacters(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	hostile := "zork \x1b]0;pwned\x07 quux \x1b[2J?"
	r := db.run(t, "ask", hostile)
	r.wantCode(t, cli.ExitNoAnswer)
	text := db.run(t, "gaps")
	text.wantCode(t, cli.ExitOK)
	for name, out := range map[string]string{"ask": r.out, "gaps": text.out} {
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("lore %s printed a control character: %q", name, out)
		}
	}
	if !strings.Contains(text.out, "zork") || !strings.Contains(text.out, "quux") {
		t.Errorf("gaps lost the question's text:\n%s", text.out)
	}
}
