package knowledge_test

import (
	"errors"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

var answerCorpus = map[string]string{
	"parental-leave.md": `---
title: Parental leave
tags: [leave, family]
owner: people-team
---
# Parental leave

## Entitlement

Every parent gets 26 weeks of parental leave at full pay. The leave can start
up to two weeks before the expected birth or adoption date. Parents may split
the leave into at most three blocks within the child's first year.

## How to request it

Request parental leave in the HR portal at least eight weeks before it starts.
Your manager approves the request within five working days. Attach the
expected due date or the adoption placement letter.
`,
	"vpn.md": `# VPN

## Resetting your VPN password

Reset your VPN password from the self-service portal at vpn.example.com.
New passwords need at least fourteen characters. Passwords expire every
ninety days, and the portal emails a reminder a week before.

## Connecting from abroad

The VPN works from every country except those under sanctions. Tell the
security team before travelling with a company laptop.
`,
	"expenses.md": `# Expenses

## Submitting receipts

Submit expense receipts within thirty days in the finance tool. Meals while
travelling are reimbursed up to fifty euros a day. Taxis are reimbursed only
after ten at night or when carrying equipment.
`,
	"bike-scheme.md": `# Bike scheme

## Leasing a bike

The bike scheme lets you lease a bike through salary sacrifice and save up to forty percent. Apply for the bike scheme in the benefits portal.
`,
	"bike-parking.md": `# Bike parking

## Where to park your bike

Bike parking is in the basement of the office, next to the showers. Bike parking spaces are free and need no booking.
`,
	"travel-insurance.md": `# Travel insurance

## What travel insurance covers

Company travel insurance covers emergency medical treatment abroad, repatriation, lost or delayed luggage, cancelled or missed connections, rental car excess, legal expenses after an accident, stolen laptops and phones when reported to the police within a day, dental emergencies up to five hundred euros, winter sports on marked pistes, business equipment left in a locked car boot, hospital stays of any length, the travel costs of a relative who must come to your bedside, evacuation after a natural disaster or political unrest, kidnap and ransom consultancy, personal liability towards third parties, the cost of replacing a passport lost abroad, a daily allowance for every night spent in hospital, home help after you return injured, extra hotel nights when a flight is cancelled, and trips that combine business and a few days of holiday as long as the holiday part is shorter than the business part and the trip starts and ends in your home country, with the exception of trips to countries that the foreign office advises against visiting at the time of booking
`,
}

// newAnswerService returns a service over a store loaded with answerCorpus.
func newAnswerService(t *testing.T, opts knowledge.Options) *knowledge.Service {
	t.Helper()
	svc, _ := newService(t, opts)
	dir := t.TempDir()
	writeFiles(t, dir, answerCorpus)
	if sum := ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}}); sum.Added != len(answerCorpus) {
		t.Fatalf("loaded %d documents, want %d", sum.Added, len(answerCorpus))
	}
	return svc
}

func TestCheckQuestion(t *testing.T) {
	t.Parallel()
	svc := knowledge.New(nil, knowledge.Options{})
	small := knowledge.New(nil, knowledge.Options{MaxQuestionBytes: 20})
	tests := []struct {
		name string
		svc  *knowledge.Service
		q    string
		want error
	}{
		{"empty", svc, "", knowledge.ErrEmptyQuestion},
		{"spaces", svc, "    ", knowledge.ErrEmptyQuestion},
		{"white space of all kinds", svc, " \t\n\r\u00a0\u2003", knowledge.ErrEmptyQuestion},
		{"punctuation only", svc, "?!?...", knowledge.ErrEmptyQuestion},
		{"symbols only", svc, "— … ¿? 🙂 #@*", knowledge.ErrEmptyQuestion},
		{"100 kB", svc, strings.Repeat("why ", 25_000), knowledge.ErrQuestionTooLong},
		{"over a custom limit", small, strings.Repeat("a", 21), knowledge.ErrQuestionTooLong},
		{"limit counts bytes", small, strings.Repeat("é", 11), knowledge.ErrQuestionTooLong},
		{"invalid UTF-8", svc, "how do I reset my \xff\xfe password", knowledge.ErrInvalidText},
		{"truncated UTF-8", svc, "café\xc3", knowledge.ErrInvalidText},
		{"one word", svc, "vpn", nil},
		{"question", svc, "How many days of annual leave do I get?", nil},
		{"other script", svc, "Как сбросить пароль VPN?", nil},
		{"digits", svc, "2025", nil},
		{"at a custom limit", small, strings.Repeat("a", 20), nil},
		{"stop words are still words", svc, "the", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.svc.CheckQuestion(tt.q)
			if tt.want == nil {
				if err != nil {
					t.Errorf("CheckQuestion: %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("CheckQuestion: %v, want an error wrapping %v", err, tt.want)
			}
			for _, other := range []error{knowledge.ErrEmptyQuestion, knowledge.ErrQuestionTooLong, knowledge.ErrInvalidText} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("CheckQuestion: %v also matches %v", err, other)
				}
			}
		})
	}
}

// Ask validates before it touches the store: over a closed store a bad
// question still gets its own error, not the store's.
func TestAskRejectsBadQuestionsFirst(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	svc := knowledge.New(st, knowledge.Options{})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    string
		want error
	}{
		{"empty", "  ", knowledge.ErrEmptyQuestion},
		{"too long", strings.Repeat("x", 100_000), knowledge.ErrQuestionTooLong},
		{"invalid", "\xc0\xaf", knowledge.ErrInvalidText},
		{"good question, closed store", "How do I reset my VPN password?", store.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := svc.Ask(t.Context(), tt.q)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Ask: %v, want an error wrapping %v", err, tt.want)
			}
			if ans.Text != "" || ans.Confident || len(ans.Citations) != 0 {
				t.Errorf("Ask failed but returned an answer: %+v", ans)
			}
		})
	}
}

var markerPattern = regexp.MustCompile(`\[(\d+)\]`)

// answerSegment is a run of answer text and the citation number after it.
type answerSegment struct {
	text string
	n    int
}

// splitAnswer cuts answer text after each citation marker. Text after the
// last marker is returned as a segment with n == 0.
func splitAnswer(text string) []answerSegment {
	var out []answerSegment
	last := 0
	for _, m := range markerPattern.FindAllStringSubmatchIndex(text, -1) {
		n, _ := strconv.Atoi(text[m[2]:m[3]])
		out = append(out, answerSegment{text: strings.TrimSpace(text[last:m[0]]), n: n})
		last = m[1]
	}
	if rest := strings.TrimSpace(text[last:]); rest != "" {
		out = append(out, answerSegment{text: rest})
	}
	return out
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkGrounded checks the contract between an answer's text and its
// citations: every marker has a citation, every citation is used, numbers
// run from 1, and each quoted sentence comes from the document cited after
// it.
func checkGrounded(t *testing.T, ans knowledge.Answer, corpus map[string]string) {
	t.Helper()
	if len(ans.Citations) == 0 {
		t.Fatalf("confident answer without citations: %q", ans.Text)
	}
	byN := map[int]knowledge.Citation{}
	for i, c := range ans.Citations {
		if c.N != i+1 {
			t.Errorf("citation %d has number %d, want %d", i, c.N, i+1)
		}
		if _, dup := byN[c.N]; dup {
			t.Errorf("citation number %d used twice", c.N)
		}
		byN[c.N] = c
		if c.DocID == "" || c.Title == "" || c.Source == "" {
			t.Errorf("citation %d is incomplete: %+v", c.N, c)
		}
		if c.Snippet == "" || len(c.Snippet) > 200+len("…") {
			t.Errorf("citation %d snippet is %d bytes, want 1 to about 200: %q", c.N, len(c.Snippet), c.Snippet)
		}
	}
	used := map[int]bool{}
	for _, seg := range splitAnswer(ans.Text) {
		if seg.n == 0 {
			t.Errorf("answer text %q ends without a citation marker", seg.text)
			continue
		}
		used[seg.n] = true
		c, ok := byN[seg.n]
		if !ok {
			t.Errorf("marker [%d] has no citation; citations %+v", seg.n, ans.Citations)
			continue
		}
		if seg.text == "" {
			t.Errorf("marker [%d] follows no text in %q", seg.n, ans.Text)
			continue
		}
		doc, ok := corpus[path.Base(c.Source)]
		if !ok {
			t.Errorf("citation [%d] names %s, not a corpus file", seg.n, c.Source)
			continue
		}
		quoted := strings.TrimSuffix(seg.text, "…")
		if !strings.Contains(collapse(doc), collapse(quoted)) {
			t.Errorf("%q, cited as [%d] %s, is not in that document", seg.text, seg.n, path.Base(c.Source))
		}
	}
	for n := range byN {
		if !used[n] {
			t.Errorf("citation %d is never referred to in %q", n, ans.Text)
		}
	}
}

// answerBody is the answer text without its citation markers.
func answerBody(text string) string {
	return collapse(markerPattern.ReplaceAllString(text, ""))
}

func TestAskAnswersWithCitations(t *testing.T) {
	t.Parallel()
	svc := newAnswerService(t, knowledge.Options{})
	tests := []struct {
		question string
		// docs are the files that must be cited, in citation order.
		docs   []string
		expect string // a phrase the answer contains
	}{
		{"How many weeks of parental leave do I get?", []string{"parental-leave.md"}, "26 weeks"},
		{"how do I request parental leave", []string{"parental-leave.md"}, "HR portal"},
		{"How do I reset my VPN password?", []string{"vpn.md"}, "self-service portal"},
		{"when are taxis reimbursed", []string{"expenses.md"}, "after ten at night"},
		{"where can I park my bike", []string{"bike-parking.md"}, "basement"},
		{"Where do I park my bike and how does the bike scheme work?", []string{"bike-scheme.md", "bike-parking.md"}, "salary sacrifice"},
		{"what does travel insurance cover?", []string{"travel-insurance.md"}, "emergency medical treatment"},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			ans, err := svc.Ask(t.Context(), tt.question)
			if err != nil {
				t.Fatalf("Ask: %v", err)
			}
			if !ans.Confident {
				t.Fatalf("not confident (%.2f): %q", ans.Confidence, ans.Text)
			}
			if ans.Question != tt.question {
				t.Errorf("Question %q, want %q", ans.Question, tt.question)
			}
			if ans.Confidence < knowledge.DefaultThreshold || ans.Confidence > 1 {
				t.Errorf("confidence %.3f of a confident answer, want between the threshold and 1", ans.Confidence)
			}
			checkGrounded(t, ans, answerCorpus)
			var cited []string
			for _, c := range ans.Citations {
				cited = append(cited, path.Base(c.Source))
			}
			if !slices.Equal(cited, tt.docs) {
				t.Errorf("cited %q, want %q", cited, tt.docs)
			}
			if !strings.Contains(ans.Text, tt.expect) {
				t.Errorf("answer %q does not contain %q", ans.Text, tt.expect)
			}
			if ans.Text == knowledge.NoAnswerText {
				t.Error("a confident answer says it has no answer")
			}
		})
	}
}

// An answer is a chat message: at most three sentences and about 700
// characters besides the markers, however long the sentences of the
// source are.
func TestAskAnswerLengthIsBounded(t *testing.T) {
	t.Parallel()
	svc := newAnswerService(t, knowledge.Options{})
	const maxBody = 700 + 2 + len("…") // 700 characters of sentences, the spaces joining three, an ellipsis
	for _, q := range []string{
		"How many weeks of parental leave do I get?",
		"Where do I park my bike and how does the bike scheme work?",
		"what does travel insurance cover?",
		"travel insurance for laptops stolen abroad",
	} {
		t.Run(q, func(t *testing.T) {
			ans, err := svc.Ask(t.Context(), q)
			if err != nil {
				t.Fatalf("Ask: %v", err)
			}
			if !ans.Confident {
				t.Fatalf("not confident (%.2f): %q", ans.Confidence, ans.Text)
			}
			body := answerBody(ans.Text)
			if len(body) > maxBody {
				t.Errorf("answer is %d bytes without markers, want at most %d: %q", len(body), maxBody, ans.Text)
			}
			if n := len(markerPattern.FindAllString(ans.Text, -1)); n == 0 || n > 3 {
				t.Errorf("%d quoted sentences, want 1 to 3: %q", n, ans.Text)
			}
		})
	}
}

func TestAskWithoutAnAnswer(t *testing.T) {
	t.Parallel()
	svc := newAnswerService(t, knowledge.Options{})
	empty, _ := newService(t, knowledge.Options{})
	tests := []struct {
		name string
		svc  *knowledge.Service
		q    string
	}{
		{"off-topic", svc, "What is the capital of Mongolia?"},
		{"sports", svc, "Who won the football world cup in 1998?"},
		{"unknown words", svc, "xylophone quasar marmalade"},
		{"empty knowledge base", empty, "How many weeks of parental leave do I get?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := tt.svc.Ask(t.Context(), tt.q)
			if err != nil {
				t.Fatalf("Ask: %v", err)
			}
			if ans.Confident {
				t.Errorf("answered confidently (%.2f): %q", ans.Confidence, ans.Text)
			}
			if ans.Text != knowledge.NoAnswerText {
				t.Errorf("text %q, want NoAnswerText", ans.Text)
			}
			if len(ans.Citations) != 0 {
				t.Errorf("a gap cites %+v, want nothing", ans.Citations)
			}
			if ans.Confidence >= knowledge.DefaultThreshold {
				t.Errorf("confidence %.3f is at or above the threshold %.2f", ans.Confidence, knowledge.DefaultThreshold)
			}
		})
	}
}

func TestAskThresholdOption(t *testing.T) {
	t.Parallel()
	const q = "How many weeks of parental leave do I get?"
	strict := newAnswerService(t, knowledge.Options{Threshold: 0.999})
	ans, err := strict.Ask(t.Context(), q)
	if err != nil {
		t.Fatalf("Ask: %v", err)
	}
	if ans.Confident || ans.Text != knowledge.NoAnswerText || len(ans.Citations) != 0 {
		t.Errorf("with threshold 0.999 answered %+v, want no answer", ans)
	}
	if ans.Confidence <= 0 {
		t.Errorf("confidence %.3f; a matching passage should still score", ans.Confidence)
	}
}

// steppingClock returns start on its first call and start+step on every
// later one, as if the work between took step.
type steppingClock struct {
	mu    sync.Mutex
	start time.Time
	step  time.Duration
	calls int
}

func (c *steppingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.calls == 1 {
		return c.start
	}
	return c.start.Add(c.step)
}

func TestAskLatencyUsesClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, answerCorpus)
	// Load with the real clock, then answer with a stepping one.
	st := newStore(t)
	if _, err := knowledge.New(st, knowledge.Options{}).Ingest(t.Context(), knowledge.IngestRequest{Paths: []string{dir}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"How do I reset my VPN password?", "What is the capital of Mongolia?"} {
		clock := &steppingClock{start: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), step: 250 * time.Millisecond}
		svc := knowledge.New(st, knowledge.Options{Clock: clock.now})
		ans, err := svc.Ask(t.Context(), q)
		if err != nil {
			t.Fatalf("Ask(%q): %v", q, err)
		}
		if ans.Latency != 250*time.Millisecond {
			t.Errorf("Ask(%q): latency %v, want the 250ms the clock saw pass", q, ans.Latency)
		}
	}
}
