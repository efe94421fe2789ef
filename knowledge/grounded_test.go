package knowledge_test

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/llm"
	"github.com/lorehq/lore/knowledge/llm/llmtest"
	"github.com/lorehq/lore/store"
)

const fakeKey = "sk-fake-4f6b1c2d9e8a7b6c"

// promptPassage is one passage as the model receives it.
type promptPassage struct {
	N              int
	Title, Heading string
	Text           string
}

var passageBlock = regexp.MustCompile(`(?s)<passage n="(\d+)" title=("(?:[^"\\]|\\.)*") heading=("(?:[^"\\]|\\.)*")>\n(.*?)\n</passage>`)

// parsePrompt reads the passages and the question out of an answer
// request, as a model would see them.
func parsePrompt(t testing.TB, r llmtest.ChatRequest) (passages []promptPassage, question string) {
	user := r.Messages[len(r.Messages)-1].Content
	for _, m := range passageBlock.FindAllStringSubmatch(user, -1) {
		n, _ := strconv.Atoi(m[1])
		title, _ := strconv.Unquote(m[2])
		heading, _ := strconv.Unquote(m[3])
		passages = append(passages, promptPassage{N: n, Title: title, Heading: heading, Text: m[4]})
	}
	if _, q, ok := strings.Cut(user, "<question>\n"); ok {
		question, _, _ = strings.Cut(q, "\n</question>")
	}
	return passages, question
}

func isCondense(r llmtest.ChatRequest) bool {
	return strings.Contains(r.Messages[0].Content, "standalone question")
}

// newModelService returns a service over answerCorpus whose language model
// is the fake server behind a real llm client.
func newModelService(t *testing.T, srv *llmtest.Server, opts knowledge.Options, cfg func(*llm.Config)) *knowledge.Service {
	t.Helper()
	c := llm.Config{BaseURL: srv.BaseURL(), APIKey: fakeKey, ChatModel: "chat-model", MaxRetries: -1, Timeout: 5 * time.Second}
	if cfg != nil {
		cfg(&c)
	}
	client, err := llm.New(c)
	if err != nil {
		t.Fatal(err)
	}
	chat, err := llm.NewChat(client)
	if err != nil {
		t.Fatal(err)
	}
	opts.Model = chat
	return newAnswerService(t, opts)
}

// citeWhere answers with the first sentence of the passage containing
// word, cited, plus whatever extra says.
func citeWhere(t testing.TB, word, extra string) func(llmtest.ChatRequest) string {
	return func(r llmtest.ChatRequest) string {
		ps, _ := parsePrompt(t, r)
		for _, p := range ps {
			if strings.Contains(p.Text, word) {
				first, _, _ := strings.Cut(p.Text, ".")
				return fmt.Sprintf("%s [%d].%s", strings.Join(strings.Fields(first), " "), p.N, extra)
			}
		}
		return "NOT_IN_SOURCES"
	}
}

func TestModelAnswerCitesRealChunks(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = citeWhere(t, "26 weeks", " Request it in the HR portal [2, 17]. See also [0][99].")
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	ans, err := svc.Ask(t.Context(), "How long is parental leave?")
	if err != nil {
		t.Fatal(err)
	}
	if ans.Mode != knowledge.ModeModel || !ans.Confident {
		t.Fatalf("mode %s, confident %v: %q", ans.Mode, ans.Confident, ans.Text)
	}
	ps, _ := parsePrompt(t, srv.Requests("/chat/completions")[0].Request())
	if len(ps) < 2 {
		t.Fatalf("%d passages in the prompt", len(ps))
	}
	// [2, 17] keeps 2 (a real passage), renumbered by first use; 0, 17 and
	// 99 map to nothing and are removed.
	want := "Every parent gets 26 weeks of parental leave at full pay [1]. Request it in the HR portal [2]. See also."
	if ans.Text != want {
		t.Errorf("text\n%q\nwant\n%q", ans.Text, want)
	}
	if len(ans.Citations) != 2 || ans.Citations[0].N != 1 || ans.Citations[1].N != 2 {
		t.Fatalf("citations %+v", ans.Citations)
	}
	if !strings.HasSuffix(ans.Citations[0].Source, "/parental-leave.md") || !strings.Contains(ans.Citations[0].Snippet, "26 weeks") {
		t.Errorf("citation 1 = %+v, want the parental leave chunk", ans.Citations[0])
	}
	second := ps[1]
	if ans.Citations[1].Heading != second.Heading || ans.Citations[1].Title != second.Title {
		t.Errorf("citation 2 = %+v, want prompt passage 2 (%q, %q)", ans.Citations[1], second.Title, second.Heading)
	}
}

func TestModelRefusalIsAGap(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(llmtest.ChatRequest) string { return "NOT_IN_SOURCES" }
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	var streamed []string
	ans, err := svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything, Question: "How long is parental leave?", OnText: func(s string) { streamed = append(streamed, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Confident || ans.Text != knowledge.ModelNoAnswerText || len(ans.Citations) != 0 || ans.Mode != knowledge.ModeModel {
		t.Errorf("refusal gave %+v", ans)
	}
	if !strings.Contains(ans.Text, "Ask a person") {
		t.Errorf("the refusal offers no next step: %q", ans.Text)
	}
	if len(streamed) != 0 {
		t.Errorf("the refusal marker was streamed: %q", streamed)
	}
}

func TestModelAnswerWithoutCitationIsNotGrounded(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(llmtest.ChatRequest) string { return "Parental leave is 26 weeks [7]." }
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	ans, err := svc.Ask(t.Context(), "How long is parental leave?")
	if err != nil {
		t.Fatal(err)
	}
	if ans.Confident || len(ans.Citations) != 0 || !strings.HasSuffix(ans.Text, knowledge.UngroundedNote) || strings.Contains(ans.Text, "[7]") {
		t.Errorf("an answer citing nothing real: %+v", ans)
	}
}

func TestModelFailureFallsBackToExtractive(t *testing.T) {
	cases := []struct {
		name  string
		fault llmtest.Fault
	}{
		{"server error", llmtest.Fault{Status: 500}},
		{"rate limited", llmtest.Fault{Status: 429, RetryAfter: "30"}},
		{"malformed", llmtest.Fault{Malformed: true}},
		{"slower than the answer timeout", llmtest.Fault{Delay: 30 * time.Second}},
		{"cut off by its token limit", llmtest.Fault{FinishReason: "length"}},
		{"withheld by a content filter", llmtest.Fault{FinishReason: "content_filter"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.New(t)
			srv.Fail("/chat/completions", tc.fault)
			svc := newModelService(t, srv, knowledge.Options{AnswerTimeout: 300 * time.Millisecond}, nil)
			start := time.Now()
			ans, err := svc.Ask(t.Context(), "How long is parental leave?")
			if err != nil {
				t.Fatal(err)
			}
			// Generous: the point is that a 30 s server is not waited for.
			if waited := time.Since(start); waited > 5*time.Second {
				t.Errorf("waited %s with a 300ms answer timeout", waited)
			}
			if ans.Mode != knowledge.ModeFallback || ans.FallbackReason == "" || !ans.Confident {
				t.Fatalf("mode %s (%q), confident %v", ans.Mode, ans.FallbackReason, ans.Confident)
			}
			if !strings.HasSuffix(ans.Text, knowledge.FallbackNote) || !strings.Contains(ans.Text, "26 weeks") || len(ans.Citations) == 0 {
				t.Errorf("fallback answer %q", ans.Text)
			}
			if strings.Contains(ans.FallbackReason, fakeKey) {
				t.Errorf("the key leaked into %q", ans.FallbackReason)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := llmtest.New(t)
		svc := newModelService(t, srv, knowledge.Options{}, func(c *llm.Config) { c.BaseURL = "http://127.0.0.1:1/v1" })
		ans, err := svc.Ask(t.Context(), "How long is parental leave?")
		if err != nil || ans.Mode != knowledge.ModeFallback || !strings.Contains(ans.Text, "26 weeks") {
			t.Errorf("unreachable endpoint: %+v, %v", ans, err)
		}
	})
}

// TestStreamEndingHalfwayFallsBack: a streamed answer whose response ends
// before the model finished is replaced by the extractive answer, not
// given as if whole.
func TestStreamEndingHalfwayFallsBack(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = citeWhere(t, "26 weeks", " More to come.")
	srv.Fail("/chat/completions", llmtest.Fault{CutAfter: 4})
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	var streamed []string
	ans, err := svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything, Question: "How long is parental leave?", OnText: func(s string) { streamed = append(streamed, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(streamed) == 0 {
		t.Fatal("nothing was streamed before the cut")
	}
	if ans.Mode != knowledge.ModeFallback || !strings.Contains(ans.FallbackReason, "incomplete") {
		t.Fatalf("mode %s (%q): %q", ans.Mode, ans.FallbackReason, ans.Text)
	}
	if !strings.HasSuffix(ans.Text, knowledge.FallbackNote) || len(ans.Citations) == 0 {
		t.Errorf("fallback answer %q", ans.Text)
	}
}

func TestModelAnswerStreams(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = citeWhere(t, "26 weeks", " Bogus [9].")
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	var got []string
	ans, err := svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything, Question: "How long is parental leave?", OnText: func(s string) { got = append(got, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 5 {
		t.Fatalf("%d updates streamed", len(got))
	}
	for i := 1; i < len(got); i++ {
		if !strings.HasPrefix(got[i], strings.TrimSuffix(got[i-1], "[")) && len(got[i]) < len(got[i-1])-4 {
			t.Errorf("update %d %q does not continue %q", i, got[i], got[i-1])
		}
	}
	for _, s := range got {
		if strings.Contains(s, "[9]") {
			t.Errorf("an invalid citation was streamed: %q", s)
		}
	}
	if last := got[len(got)-1]; last != ans.Text {
		t.Errorf("last update %q, final %q", last, ans.Text)
	}
}

func TestCondensedFollowUp(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(r llmtest.ChatRequest) string {
		if isCondense(r) {
			if !strings.Contains(r.Messages[1].Content, "parental leave") {
				return "garbage"
			}
			return "How do I request parental leave?"
		}
		return citeWhere(t, "HR portal", "")(r)
	}
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	ans, err := svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything,
		Question: "and how do I ask for it?",
		History:  []string{"How long is parental leave?"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Query != "How do I request parental leave?" || ans.Question != "and how do I ask for it?" {
		t.Errorf("query %q for question %q", ans.Query, ans.Question)
	}
	if !ans.Confident || !strings.HasSuffix(ans.Citations[0].Source, "/parental-leave.md") {
		t.Errorf("follow-up answered from %+v", ans.Citations)
	}
	_, q := parsePrompt(t, srv.Requests("/chat/completions")[1].Request())
	if q != "How do I request parental leave?" {
		t.Errorf("the answer prompt asks %q", q)
	}

	// A failed condensation keeps the follow-up as it is.
	srv.Fail("/chat/completions", llmtest.Fault{Status: 500})
	ans, err = svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything, Question: "VPN password?", History: []string{"x"}})
	if err != nil || ans.Query != "VPN password?" {
		t.Errorf("after a failed condensation: query %q, %v", ans.Query, err)
	}
}

func TestContextBudgetTrimsWholeSentences(t *testing.T) {
	srv := llmtest.New(t)
	svc := newModelService(t, srv, knowledge.Options{ContextTokens: 600}, nil)
	if _, err := svc.Ask(t.Context(), "What does travel insurance cover abroad, and parental leave, VPN, expenses?"); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests("/chat/completions")
	if len(reqs) != 1 {
		t.Fatalf("%d model requests", len(reqs))
	}
	req := reqs[0].Request()
	total := 0
	for _, m := range req.Messages {
		total += len(m.Content)
	}
	if total/4 > 600 {
		t.Errorf("prompt of about %d tokens, budget 420", total/4)
	}
	ps, _ := parsePrompt(t, req)
	if len(ps) == 0 {
		t.Fatal("no passage fits")
	}
	for _, p := range ps {
		text := strings.TrimSpace(p.Text)
		if !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, "booking") {
			t.Errorf("passage %d cut mid-sentence: ...%q", p.N, text[max(0, len(text)-40):])
		}
	}
}

// TestQuestionEmbeddingFailureSearchesByWords: when the embedding model
// refuses or does not answer, a question is answered from the passages
// found by words alone, within the answer timeout, rather than failing
// after the embedding client's retries.
func TestQuestionEmbeddingFailureSearchesByWords(t *testing.T) {
	cases := []struct {
		name   string
		faults []llmtest.Fault
	}{
		{"refused key", []llmtest.Fault{{Status: 401}}},
		{"endpoint down", []llmtest.Fault{{Status: 503}, {Status: 503}, {Status: 503}}},
		{"endpoint hangs", []llmtest.Fault{{Delay: 30 * time.Second}, {Delay: 30 * time.Second}, {Delay: 30 * time.Second}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.New(t)
			client, err := llm.New(llm.Config{BaseURL: srv.BaseURL(), APIKey: fakeKey, EmbeddingModel: "embed-model",
				EmbeddingDimensions: srv.Dimensions, Timeout: 5 * time.Second, MaxRetries: 2, Backoff: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			e, err := llm.NewEmbedder(client)
			if err != nil {
				t.Fatal(err)
			}
			svc := newAnswerService(t, knowledge.Options{Embedder: e, AnswerTimeout: 500 * time.Millisecond})
			srv.Fail("/embeddings", tc.faults...)
			start := time.Now()
			ans, err := svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything, Question: "How long is parental leave?"})
			if err != nil {
				t.Fatalf("the question failed: %v", err)
			}
			if waited := time.Since(start); waited > 3*time.Second {
				t.Errorf("waited %s with a 500ms answer timeout", waited)
			}
			if !ans.Confident || !strings.Contains(ans.Text, "26 weeks") || len(ans.Citations) == 0 {
				t.Errorf("answer %q (confident %v)", ans.Text, ans.Confident)
			}
			if ans.SearchFallback == "" || strings.Contains(ans.SearchFallback, fakeKey) {
				t.Errorf("search fallback %q", ans.SearchFallback)
			}
		})
	}
}

// fakeMarkers is a document whose text carries citation markers of its
// own, as footnoted pages and injected text do.
var fakeMarkers = map[string]string{
	"bike-racks.md": "# Bike racks\n\n## Where the racks are\n\nCovered bike racks are behind the loading dock [2], says facilities [3, 4].\n",
}

// TestDocumentCitationMarkersAreNotCitations: markers in a document's
// text must not become the answer's citations, nor stand in its text
// pointing at another source, extractive or written by the model.
func TestDocumentCitationMarkersAreNotCitations(t *testing.T) {
	marker := regexp.MustCompile(`\[(\d+)\]`)
	check := func(t *testing.T, ans knowledge.Answer) {
		t.Helper()
		if !ans.Confident || len(ans.Citations) == 0 || !strings.Contains(ans.Text, "loading dock") {
			t.Fatalf("no answer from the document: %q", ans.Text)
		}
		for _, m := range marker.FindAllStringSubmatch(ans.Text, -1) {
			n, _ := strconv.Atoi(m[1])
			if n > len(ans.Citations) || !strings.HasSuffix(ans.Citations[n-1].Source, "/bike-racks.md") {
				t.Errorf("marker %s in %q cites %+v", m[0], ans.Text, ans.Citations)
			}
		}
		for _, c := range ans.Citations {
			if !strings.HasSuffix(c.Source, "/bike-racks.md") {
				t.Errorf("cited %s for a sentence of bike-racks.md: %q", c.Source, ans.Text)
			}
		}
	}
	const question = "Where are the covered bike racks behind the loading dock?"
	t.Run("extractive", func(t *testing.T) {
		svc := newAnswerService(t, knowledge.Options{})
		dir := t.TempDir()
		writeFiles(t, dir, fakeMarkers)
		ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}, Collection: "markers"})
		ans, err := svc.Ask(t.Context(), question)
		if err != nil {
			t.Fatal(err)
		}
		check(t, ans)
	})
	t.Run("model", func(t *testing.T) {
		srv := llmtest.New(t)
		// A naive model quotes the passage as it reads it, markers and
		// all, and cites it.
		srv.Reply = func(r llmtest.ChatRequest) string {
			ps, _ := parsePrompt(t, r)
			for _, p := range ps {
				if strings.Contains(p.Text, "loading dock") {
					return fmt.Sprintf("%s [%d]", strings.TrimSpace(p.Text), p.N)
				}
			}
			return "NOT_IN_SOURCES"
		}
		svc := newModelService(t, srv, knowledge.Options{}, nil)
		dir := t.TempDir()
		writeFiles(t, dir, fakeMarkers)
		ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}, Collection: "markers"})
		ans, err := svc.Ask(t.Context(), question)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Mode != knowledge.ModeModel {
			t.Fatalf("mode %s: %q", ans.Mode, ans.FallbackReason)
		}
		check(t, ans)
	})
}

// TestInventedLinksAreDropped: a model's answer carries no address that
// the passages given to it do not hold, in its final text or while it
// streams; addresses the passages hold stay.
func TestInventedLinksAreDropped(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(r llmtest.ChatRequest) string {
		ps, _ := parsePrompt(t, r)
		for _, p := range ps {
			if strings.Contains(p.Text, "vpn.example.com") {
				return fmt.Sprintf("Reset it from the portal at https://vpn.example.com [%[1]d], or faster at https://vpn-reset.example.net/login?u=you [%[1]d]. "+
					"See [the reset guide](https://evil.example.org/guide) and www.example.info too [%[1]d].", p.N)
			}
		}
		return "NOT_IN_SOURCES"
	}
	svc := newModelService(t, srv, knowledge.Options{}, nil)
	var streamed []string
	ans, err := svc.AskWith(t.Context(), knowledge.AskRequest{Scope: store.Everything, Question: "How do I reset my VPN password?",
		OnText: func(s string) { streamed = append(streamed, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Mode != knowledge.ModeModel || !ans.Confident {
		t.Fatalf("mode %s, confident %v: %q", ans.Mode, ans.Confident, ans.Text)
	}
	for _, s := range append(streamed, ans.Text) {
		for _, bad := range []string{"vpn-reset.example.net", "evil.example.org", "example.info"} {
			if strings.Contains(s, bad) {
				t.Errorf("an address the passages do not hold: %q", s)
				break
			}
		}
	}
	if !strings.Contains(ans.Text, "https://vpn.example.com") || !strings.Contains(ans.Text, "the reset guide") {
		t.Errorf("the answer lost what the passages support: %q", ans.Text)
	}
}
