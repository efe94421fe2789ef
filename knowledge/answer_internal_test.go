package knowledge

import (
	"testing"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
)

// bestQuote returns the quote rankQuotes puts first for question over
// passages given as heading and text.
func bestQuote(t *testing.T, question string, sections ...[2]string) string {
	t.Helper()
	var sources []Passage
	for _, s := range sections {
		sources = append(sources, Passage{ChunkView: store.ChunkView{Title: "Policy", Chunk: store.Chunk{Heading: s[0], Text: s[1]}}})
	}
	cands := rankQuotes(question, termSet(analyze.ContentTerms(question)), sources)
	if len(cands) == 0 {
		t.Fatalf("no quote ranked for %q", question)
	}
	return cands[0].quote.text()
}

func TestRankQuotesPrefersTheKindOfFactAsked(t *testing.T) {
	const text = "The bicycle scheme lets an employee lease a bicycle through payroll.\n\n" +
		"Each employee may lease up to 2 bicycles at a time."
	for _, tc := range []struct{ question, want string }{
		{"how many bicycles can an employee lease?", "Each employee may lease up to 2 bicycles at a time."},
		// Without a question word asking for a number, the earlier
		// sentence, which covers the question as well, stays first.
		{"can an employee lease a bicycle?", "The bicycle scheme lets an employee lease a bicycle through payroll."},
	} {
		if got := bestQuote(t, tc.question, [2]string{"Joining", text}); got != tc.want {
			t.Errorf("%q: best quote %q, want %q", tc.question, got, tc.want)
		}
	}
}

func TestRankQuotesCreditsTheHeadingAndATimeOfDay(t *testing.T) {
	// The first sentence shares "visitor" with the question; the second
	// shares nothing, but its section is about signing in and it gives
	// the time of day asked for.
	got := bestQuote(t, "by what time must a visitor sign in?",
		[2]string{"Visitors", "Every visitor is welcome on 1 March for the open day."},
		[2]string{"Signing in", "Reception closes at 17:30."})
	if got != "Reception closes at 17:30." {
		t.Errorf("best quote %q, want the time of day under the signing-in heading", got)
	}
}

func TestRankQuotesWeighsRareQuestionWordsAboveCommonOnes(t *testing.T) {
	// Each sentence shares two of the question's words; "tandem" is in
	// one sentence only, so the sentence with it wins over earlier ones
	// that share the words every sentence has.
	got := bestQuote(t, "is a tandem bicycle covered by the scheme?", [2]string{"Rules",
		"The scheme lends a bicycle for commuting.\n\n" +
			"A bicycle on the scheme must be insured.\n\n" +
			"A tandem counts as one bicycle."})
	if got != "A tandem counts as one bicycle." {
		t.Errorf("best quote %q, want the sentence with the rare word", got)
	}
}

func TestExpectedKinds(t *testing.T) {
	for q, want := range map[string]answerKind{
		"how many days of leave do I get?":         wantsQuantity,
		"how often do we meet?":                    wantsQuantity,
		"what's the deadline for expenses?":        wantsTime,
		"when can I use @channel?":                 wantsTime,
		"who do I tell, and by what time?":         wantsPerson | wantsClock,
		"where do I report a phishing email?":      wantsPlace,
		"what percentage does the company pay?":    wantsQuantity,
		"what is the VPN?":                         0,
		"is the office shut between the holidays?": 0,
	} {
		if got := expectedKinds(q); got != want {
			t.Errorf("expectedKinds(%q) = %b, want %b", q, got, want)
		}
	}
}

func TestSuppliedKinds(t *testing.T) {
	for s, want := range map[string]answerKind{
		"Arrive at 09:30.":                  wantsQuantity | wantsTime | wantsClock,
		"Meet every week.":                  wantsQuantity,
		"Claims are due by 31 March.":       wantsQuantity | wantsTime | wantsPlace | wantsPerson,
		"Post in #sec-report.":              wantsPlace,
		"Tell your manager.":                wantsPerson,
		"It is optional and rarely needed.": 0,
		"The deadline is Friday afternoon.": wantsTime | wantsClock | wantsPlace | wantsPerson,
	} {
		if got := suppliedKinds(s); got != want {
			t.Errorf("suppliedKinds(%q) = %b, want %b", s, got, want)
		}
	}
}
