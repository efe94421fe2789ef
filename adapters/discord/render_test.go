package discord

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

func TestEscapeText(t *testing.T) {
	for in, want := range map[string]string{
		"hello @everyone":          "hello @\u200beveryone",
		"@HERE and @Everyone":      "@\u200bHERE and @\u200bEveryone",
		"ping <@123> now":          "ping <@\u200b123> now",
		"nick <@!123>":             "nick <@\u200b!123>",
		"role <@&456>":             "role <@\u200b&456>",
		"go to <#789>":             "go to <#\u200b789>",
		"mail a@example.com":       "mail a@example.com",
		"bell\x07 and \x1b[31mred": "bell and [31mred",
		"bad \xff byte":            "bad \uFFFD byte",
		"lines\nand\ttabs":         "lines\nand\ttabs",
	} {
		if got := escapeText(in); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderEscapesEverythingFromDocuments(t *testing.T) {
	r := bot.Reply{
		Text:      "Tell @everyone and <@&99> [1]",
		Citations: []bot.Citation{{N: 1, Title: "@here notice <@1>", Heading: "<@&2>", Source: "x.md", Snippet: "@everyone read this"}},
		Buttons:   []bot.Button{{ID: bot.ActionHelpful, Label: "@everyone", Value: "a"}},
	}
	msgs := render(r)
	var all strings.Builder
	for _, m := range msgs {
		all.WriteString(m.Content)
		for _, e := range m.Embeds {
			all.WriteString(e.Title + e.Description)
		}
	}
	s := all.String()
	for _, bad := range []string{"@everyone", "@here", "<@&", "<@1"} {
		if strings.Contains(s, bad) {
			t.Errorf("rendered text contains %q: %q", bad, s)
		}
	}
}

// A code block reaches Discord as code: its links and emphasis as
// written, mentions still broken, its fence Discord's three backticks
// with the language kept, and backticks of the code unable to end it.
func TestRenderCodeBlocks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{
			"Run:\n```sh\ncurl [x](https://e.example) # @everyone <@123>\n```\n[1]",
			"Run:\n```sh\ncurl [x](https://e.example) # @\u200beveryone <@\u200b123>\n```\n[1]",
		},
		{"Or [the page](https://e.example).\n````{r}\n```\n````", "Or the page (<https://e.example>).\n```\n``\u200b`\n```"},
	} {
		msgs := render(bot.Reply{Text: c.in})
		if len(msgs) != 1 || msgs[0].Content != c.want {
			t.Errorf("render(%q) =\n%+v\nwant the content\n%q", c.in, msgs, c.want)
		}
	}
}

// A link's label cannot hide where it goes: Discord shows a masked link
// as its label alone, so the answer and the cited passage keep the address
// in view.
func TestRenderUnmasksLinks(t *testing.T) {
	r := bot.Reply{
		Text:      "Sign in at [https://intranet.example.com/login](https://evil.example.net/phish) [1]",
		Citations: []bot.Citation{{N: 1, Title: "Accounts", Source: "accounts.md", Snippet: "Reset it on [the portal](<https://evil.example.net/reset>)."}},
	}
	msgs := render(r)
	if len(msgs) != 1 || len(msgs[0].Embeds) != 1 {
		t.Fatalf("rendered %d messages", len(msgs))
	}
	for what, got := range map[string]string{"answer": msgs[0].Content, "source card": msgs[0].Embeds[0].Description} {
		if strings.Contains(got, "](") {
			t.Errorf("the %s still has a masked link: %q", what, got)
		}
		if !strings.Contains(got, "(<https://evil.example.net/") {
			t.Errorf("the %s does not show the link's address: %q", what, got)
		}
	}
	for in, want := range map[string]string{
		"[label](https://a.example/x)":   "label (<https://a.example/x>)",
		"[label](<https://a.example/x>)": "label (<https://a.example/x>)",
		"see [1] and (2)":                "see [1] and (2)",
		"[a] (b)":                        "[a] (b)",
	} {
		if got := unmaskLinks(in); got != want {
			t.Errorf("unmaskLinks(%q) = %q, want %q", in, got, want)
		}
	}
}

// Discord reads more than [label](url) as a masked link; none of its
// forms may reach it from a document, a profile or a model's answer,
// whether in the answer, while it is written, or in a cited passage.
func TestRenderLeavesNoMaskedLink(t *testing.T) {
	hostile := []string{
		`[Benefits](https://evil.example "Benefits")`,
		`[Benefits]( https://evil.example)`,
		`[Bene[f]its](https://evil.example)`,
		`[Benefits](https://evil.example/a_(b))`,
		"[Bene\nfits](https://evil.example)",
		`[Benefits](<https://evil.example> )`,
		`[click](https://evil.example)`,
		// Control characters are dropped after the links are unmasked.
		"[click]\r(https://evil.example)",
		"[click]\x00(https://evil.example)",
	}
	for _, h := range hostile {
		r := bot.Reply{
			Text:      "Ask Ana, who knows " + h + " [1]",
			Citations: []bot.Citation{{N: 1, Title: "Perks", Source: "perks.md", Snippet: "See " + h + "."}},
		}
		msgs := render(r)
		if len(msgs) != 1 || len(msgs[0].Embeds) != 1 {
			t.Fatalf("%q rendered as %d messages", h, len(msgs))
		}
		for what, got := range map[string]string{
			"answer": msgs[0].Content, "source card": msgs[0].Embeds[0].Description, "preview": preview(r.Text),
		} {
			if strings.Contains(got, "](") {
				t.Errorf("the %s of %q still has a masked link: %q", what, h, got)
			}
			if !strings.Contains(got, "https://evil.example") {
				t.Errorf("the %s of %q does not show the address: %q", what, h, got)
			}
		}
	}
}

func TestSplitTextRespectsLimitAndBoundaries(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 9000; i++ {
		fmt.Fprintf(&b, "Paragraph %d has a few sentences. It explains something useful about leave. ", i)
		if i%3 == 2 {
			b.WriteString("\n\n")
		}
	}
	text := strings.TrimSpace(b.String())
	pieces := splitText(text, maxContent)
	if len(pieces) < 5 {
		t.Fatalf("%d pieces for %d characters", len(pieces), len(text))
	}
	for i, p := range pieces {
		if units(p) > maxContent {
			t.Errorf("piece %d has %d units", i, units(p))
		}
		if i < len(pieces)-1 && !strings.HasSuffix(p, ".") {
			t.Errorf("piece %d ends mid-sentence: %q", i, p[max(0, len(p)-30):])
		}
	}
	if got := strings.Join(strings.Fields(strings.Join(pieces, " ")), " "); got != strings.Join(strings.Fields(text), " ") {
		t.Error("the pieces do not add up to the text")
	}
}

func TestSplitTextWithoutSpacesAndWideRunes(t *testing.T) {
	text := strings.Repeat("😀", 3000) // two UTF-16 units each
	pieces := splitText(text, maxContent)
	total := 0
	for _, p := range pieces {
		if units(p) > maxContent || !utf8.ValidString(p) {
			t.Fatalf("bad piece: %d units, valid %v", units(p), utf8.ValidString(p))
		}
		total += utf8.RuneCountInString(p)
	}
	if total != 3000 {
		t.Errorf("%d runes after splitting, want 3000", total)
	}
}

func TestSplitTextKeepsCodeBlocksClosed(t *testing.T) {
	code := "```go\n" + strings.Repeat("fmt.Println(\"hello, world\")\n", 150) + "```"
	pieces := splitText("Here is the code:\n\n"+code, maxContent)
	if len(pieces) < 2 {
		t.Fatalf("%d pieces", len(pieces))
	}
	for i, p := range pieces {
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("piece %d leaves a code block open", i)
		}
		if units(p) > maxContent {
			t.Errorf("piece %d has %d units", i, units(p))
		}
	}
}

func TestRenderLimits(t *testing.T) {
	r := bot.Reply{Text: strings.Repeat("word ", 3000)}
	for i := 1; i <= 23; i++ {
		r.Citations = append(r.Citations, bot.Citation{N: i, Title: strings.Repeat("T", 300), Source: "https://example.com/" + fmt.Sprint(i), Snippet: strings.Repeat("s", 5000)})
	}
	r.Buttons = []bot.Button{{ID: bot.ActionHelpful, Label: "Helpful", Value: "a"}, {ID: bot.ActionAskPerson, Label: strings.Repeat("L", 200), Value: "a"}}
	msgs := render(r)
	embeds := 0
	for i, m := range msgs {
		if units(m.Content) > maxContent {
			t.Errorf("message %d: %d units of content", i, units(m.Content))
		}
		if len(m.Embeds) > maxEmbeds {
			t.Errorf("message %d: %d embeds", i, len(m.Embeds))
		}
		size := 0
		for _, e := range m.Embeds {
			if units(e.Title) > maxEmbedTitle || units(e.Description) > maxEmbedDescription {
				t.Errorf("message %d: embed over its limits", i)
			}
			size += embedSize(e)
		}
		if size > maxEmbedTotal {
			t.Errorf("message %d: %d units of embeds", i, size)
		}
		embeds += len(m.Embeds)
		if len(m.Components) > 0 && i != len(msgs)-1 {
			t.Errorf("buttons on message %d of %d", i, len(msgs))
		}
	}
	if embeds != 23 {
		t.Errorf("%d embeds, want one per source (23)", embeds)
	}
	last := msgs[len(msgs)-1]
	if len(last.Components) != 1 {
		t.Fatalf("components = %+v", last.Components)
	}
	if len(msgs) > maxMessages+3 {
		t.Errorf("%d messages", len(msgs))
	}
}

func TestRenderCutsVeryLongAnswers(t *testing.T) {
	msgs := render(bot.Reply{Text: strings.Repeat("A sentence of text. ", 5000)})
	if len(msgs) != maxMessages || !strings.HasSuffix(msgs[maxMessages-1].Content, shortened) {
		t.Fatalf("%d messages, last ends %q", len(msgs), msgs[len(msgs)-1].Content[max(0, len(msgs[len(msgs)-1].Content)-40):])
	}
}

func TestSourceEmbedLinks(t *testing.T) {
	es := sourceEmbeds([]bot.Citation{
		{N: 1, Title: "Web", Source: "https://wiki.example.com/vpn"},
		{N: 2, Title: "File", Source: "/srv/handbook/vpn.md"},
		{N: 3, Title: "Script", Source: "javascript:alert(1)"},
	})
	if es[0].URL != "https://wiki.example.com/vpn" || es[1].URL != "" || es[2].URL != "" {
		t.Errorf("urls = %q %q %q", es[0].URL, es[1].URL, es[2].URL)
	}
	if !strings.Contains(es[1].Description, "/srv/handbook/vpn.md") {
		t.Errorf("a file source is not named: %q", es[1].Description)
	}
}

func TestCustomIDRoundTrip(t *testing.T) {
	for _, c := range []struct{ id, value string }{
		{bot.ActionHelpful, "0b6f3a1e-8f1e-4c1b-9a53-2f0c6f5d9b11"},
		{bot.ActionAskPerson, ""},
		{bot.ActionNotHelpful, "value:with:colons"},
	} {
		s, ok := encodeCustomID(c.id, c.value)
		if !ok || len(s) > maxCustomID {
			t.Fatalf("encode(%q, %q) = %q, %v", c.id, c.value, s, ok)
		}
		id, value, ok := decodeCustomID(s)
		if !ok || id != c.id || value != c.value {
			t.Errorf("decode(%q) = %q, %q, %v", s, id, value, ok)
		}
	}
	if _, ok := encodeCustomID(bot.ActionHelpful, strings.Repeat("v", 100)); ok {
		t.Error("a custom_id over 100 characters was encoded")
	}
	for _, s := range []string{"", "lore:", "other:feedback_up:x", "lore::x", "lore:\xff:x", "lore:x:" + strings.Repeat("v", 100)} {
		if _, _, ok := decodeCustomID(s); ok {
			t.Errorf("decode(%q) accepted", s)
		}
	}
	// A button whose value cannot fit is left out, not truncated.
	rows := buttonRows([]bot.Button{{ID: bot.ActionHelpful, Label: "ok", Value: "a"}, {ID: bot.ActionAskPerson, Label: "long", Value: strings.Repeat("v", 200)}})
	if len(rows) != 1 {
		t.Fatalf("rows = %+v", rows)
	}
}

// While an answer is being written, a link's label no more hides its
// address than in the final reply.
func TestPreviewUnmasksLinks(t *testing.T) {
	got := preview("Sign in at [https://intranet.example.com/login](https://evil.example.net/phish) and ask @everyone")
	if strings.Contains(got, "](") || !strings.Contains(got, "(<https://evil.example.net/phish>)") {
		t.Errorf("preview = %q", got)
	}
	if strings.Contains(got, "@everyone") {
		t.Errorf("preview can ping: %q", got)
	}
}

// A cut never falls inside a character made of several code points: an
// emoji sequence, a flag, a letter with its accent.
func TestCutsKeepGraphemesWhole(t *testing.T) {
	family, flags := "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇩🇪"
	parts := splitText(strings.Repeat("x", 1993)+family+"more", maxContent)
	if len(parts) != 2 || strings.Count(parts[0], family)+strings.Count(parts[1], family) != 1 {
		t.Errorf("split a family emoji: %q | %q", parts[0][1990:], parts[1])
	}
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"xxxxxxxx" + flags, 12, "xxxxxxxx…"},
		{"xxxxxxxx" + flags, 13, "xxxxxxxx🇫🇷…"},
		{"xxxxxxx" + family, 12, "xxxxxxx…"},
		{"cafe\u0301s", 5, "caf…"},
	} {
		if got := truncate(c.in, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// A message holds five rows of five buttons; more buttons (the options of
// several quizzes in one nudge) continue on a further message rather than
// being lost.
func TestRenderMoreThan25Buttons(t *testing.T) {
	var bs []bot.Button
	for i := range 32 {
		bs = append(bs, bot.Button{ID: "quiz_answer", Label: fmt.Sprintf("Option %d", i%6+1), Value: fmt.Sprintf("n-1|~%d|%d", i/6, i%6)})
	}
	msgs := render(bot.Reply{Text: "Five quizzes", Buttons: bs})
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.Content == "" && len(m.Embeds) == 0 && len(m.Components) == 0 {
			t.Errorf("message %d is empty", i)
		}
		if len(m.Components) > maxRows {
			t.Errorf("message %d has %d rows", i, len(m.Components))
		}
		for _, c := range m.Components {
			row := c.(discordgo.ActionsRow)
			if len(row.Components) > maxButtonsPerRow {
				t.Errorf("message %d has a row of %d", i, len(row.Components))
			}
			for _, b := range row.Components {
				id := b.(discordgo.Button).CustomID
				if seen[id] {
					t.Errorf("custom_id %q twice", id)
				}
				seen[id] = true
			}
		}
	}
	if len(seen) != len(bs) {
		t.Errorf("%d of %d buttons rendered", len(seen), len(bs))
	}
}
