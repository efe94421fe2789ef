package knowledge

import (
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
)

// bestQuote returns the quote rankQuotes puts first for question over
// passages given as heading and text.
func bestQuote(t *testing.T, question string, sections ...[2]string) string {
	t.Helper()
	var sources []Passage
	var rank []int
	for i, s := range sections {
		sources = append(sources, Passage{ChunkView: store.ChunkView{Title: "Policy", Chunk: store.Chunk{Heading: s[0], Text: s[1]}}})
		rank = append(rank, i)
	}
	cands := rankQuotes(question, termSet(analyze.ContentTerms(question)), nil, sources, rank)
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
		"Claims are due by 31 March.":       wantsQuantity | wantsTime,
		"Post in #sec-report.":              wantsPlace,
		"Tell your manager.":                wantsPerson,
		"It is optional and rarely needed.": 0,
		"The deadline is Friday afternoon.": wantsTime | wantsClock,
		"Ask Ana in Finance.":               wantsPlace | wantsPerson,
		// Capitals that start a list item, a table cell or a line, and
		// "I'm", name nobody.
		"Your laptop must:\n- Keep encryption on;\n- Lock the screen.":    0,
		"Label | Sharing\nPublic | Freely\nInternal | Within the company": 0,
		"Say \"I'm unwell and won't be working today\".":                  0,
		"- Ask Ana in Finance.": wantsPlace | wantsPerson,
		// The number of a list item and digits within a name state no
		// quantity or time; a number of its own, however written, does.
		"To claim:\n1. Photograph the receipt.\n2. Submit it.": 0,
		"Every sev1 incident needs a postmortem.":              0,
		"Promotions to l4 are reviewed by a committee.":        0,
		"Try the edge-3 gateway.":                              0,
		"Submit it within 30 days.":                            wantsQuantity | wantsTime,
		"It costs €500 at most.":                               wantsQuantity | wantsTime,
		"Agree a 30-60-90 plan.":                               wantsQuantity | wantsTime,
		"1. Submit it within 30 days.":                         wantsQuantity | wantsTime,
	} {
		if got := suppliedKinds(s); got != want {
			t.Errorf("suppliedKinds(%q) = %b, want %b", s, got, want)
		}
	}
}

// Retrieval ranks a document's introduction first and the section with
// the fact lower; the answer quotes the section, citing the document once.
func TestComposeQuotesTheDocumentsSectionWithTheFact(t *testing.T) {
	passage := func(id int64, doc, heading, text string, score, coverage float64) Passage {
		return Passage{
			ChunkView: store.ChunkView{Title: "Parental Leave", Source: doc + ".md", Chunk: store.Chunk{ID: id, DocID: doc, Heading: heading, Text: text}},
			Score:     score, Coverage: coverage,
		}
	}
	passages := []Passage{
		passage(1, "parental", "", "Every parent gets the same parental leave, however they become a parent.", 1.0, 0.8),
		passage(2, "annual", "Carrying over", "Annual leave days carry over to March.", 0.9, 0.5),
		passage(3, "parental", "What you get", "Every new parent can take 16 weeks of parental leave at full pay.", 0.5, 0.8),
		// As relevant by score, but covering the question less: retrieval
		// saw less of it there, so it does not compete.
		passage(4, "parental", "Returning", "Parental leave ends with 4 weeks at 80% of your hours.", 0.45, 0.4),
	}
	ans := compose("how long is parental leave for a parent?", nil, passages, 0.9, 0.38)
	if !strings.Contains(ans.Text, "16 weeks") || strings.Contains(ans.Text, "however they become") || strings.Contains(ans.Text, "80%") {
		t.Errorf("answer %q, want the section with the fact quoted instead of the introduction", ans.Text)
	}
	var parental []Citation
	for _, c := range ans.Citations {
		if c.DocID == "parental" {
			parental = append(parental, c)
		}
	}
	if len(parental) != 1 || parental[0].Heading != "What you get" {
		t.Errorf("citations of the parental leave page %+v, want one, of the section quoted", parental)
	}
}

func TestSynonymExpansion(t *testing.T) {
	syn, err := ParseSynonyms(strings.NewReader("GP, doctor\nvacation, holiday => annual leave\npull request, PR\n"))
	if err != nil {
		t.Fatal(err)
	}
	for question, want := range map[string][]string{
		"do I need a GP note?":            {"doctor"},
		"how many vacation days are left": {"annual", "leav", "annual_leav"},
		"how much annual leave is left":   nil, // one way: the right side widens to nothing
		"who reviews my pull requests?":   {"pr"},
		"request a pull":                  nil, // a phrase matches in order
	} {
		if got := syn.expand(question).terms(); !slices.Equal(got, want) {
			t.Errorf("expand(%q) terms = %q, want %q", question, got, want)
		}
	}
	var none *Synonyms
	if got := none.expand("GP"); got != nil {
		t.Errorf("nil synonyms expanded to %v", got)
	}
}

// A further section of a source's page that matches the question only as
// well as the source's own passage does not displace it: retrieval ranked
// it lower, and a shorter sentence naming the question's word is no
// better answer ("what is the VPN?" is answered by the page's
// introduction, not by "Access to Strongroom").
func TestComposeKeepsTheSourcesPassageOverAnEqualFurtherSection(t *testing.T) {
	passage := func(id int64, heading, text string, score float64) Passage {
		return Passage{
			ChunkView: store.ChunkView{Title: "VPN Access", Source: "vpn.md", Chunk: store.Chunk{ID: id, DocID: "vpn", Heading: heading, Text: text}},
			Score:     score, Coverage: 1,
		}
	}
	passages := []Passage{
		passage(1, "", "Most of our tools are cloud services that you reach through Gatehouse from anywhere, without a VPN. "+
			"A handful of internal systems, however, are only reachable through Tunnelwise, our VPN client.", 1.1),
		passage(2, "Access to Strongroom", "Strongroom needs an extra approval on top of the VPN. "+
			"Access is requested per project, as described on the data classification page.", 0.5),
	}
	ans := compose("what is the VPN?", nil, passages, 0.9, 0.38)
	if !strings.Contains(ans.Text, "our VPN client") || strings.Contains(ans.Text, "Strongroom") {
		t.Errorf("answer %q, want the introduction that retrieval ranked first", ans.Text)
	}
	if len(ans.Citations) != 1 || ans.Citations[0].Heading != "" {
		t.Errorf("citations %+v, want the page's introduction", ans.Citations)
	}
}
