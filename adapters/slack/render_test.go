package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

func TestEscapeBlocksInjection(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"<!channel> please read", "&lt;!channel&gt; please read"},
		{"<!here|here> and <!everyone>", "&lt;!here|here&gt; and &lt;!everyone&gt;"},
		{"ping <!subteam^S0123|@oncall>", "ping &lt;!subteam^S0123|@oncall&gt;"},
		{"ask <@U0123> or <#C0123>", "ask &lt;@U0123&gt; or &lt;#C0123&gt;"},
		{"<https://evil.example.com|https://intranet.example.com>", "&lt;https://evil.example.com|https://intranet.example.com&gt;"},
		{"AT&T", "AT&amp;T"},
		{"tell @channel and @here and @Everyone", "tell @\u2060channel and @\u2060here and @\u2060Everyone"},
		{"mail me@here.com", "mail me@\u2060here.com"},
		{"bad \xff byte", "bad \uFFFD byte"},
	} {
		if got := Escape(c.in); got != c.want {
			t.Errorf("Escape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMrkdwn(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"**Bold** and *italic*", "*Bold* and _italic_"},
		{"# Leave\nText", "*Leave*\nText"},
		{"See [the wiki](https://wiki.example.com/a?b=1&c=2).", "See the wiki (<https://wiki.example.com/a?b=1&amp;c=2>)."},
		{"[https://intranet.example.com](https://evil.example.com)", "https://intranet.example.com (<https://evil.example.com>)"},
		{"[click](javascript:alert(1))", "click (`javascript:alert(1`))"},
		{"[x](https://a.example.com|<!channel>)", "x (`https://a.example.com|&lt;!channel&gt;`)"},
		{"use `code` here", "use `code` here"},
		{"<!here> [<!channel>](https://x.example.com)", "&lt;!here&gt; &lt;!channel&gt; (<https://x.example.com>)"},
	} {
		if got := Mrkdwn(c.in); got != c.want {
			t.Errorf("Mrkdwn(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A code block stays a code block: escaped like all content, so that it
// can form no mention or broadcast, but its stars, brackets and hashes are
// not turned into emphasis, links or headings; its fence is Slack's three
// backticks, and backticks of the code cannot end it early.
func TestMrkdwnCodeBlocks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{
			"Run this **now**:\n```sh\nls *.txt *.md # [x](https://e.example)\n```\n[1]",
			"Run this *now*:\n```\nls *.txt *.md # [x](https://e.example)\n```\n[1]",
		},
		{
			"```\necho <!channel> <@U0123> @here & <https://e.example|x>\n```",
			"```\necho &lt;!channel&gt; &lt;@U0123&gt; @\u2060here &amp; &lt;https://e.example|x&gt;\n```",
		},
		{"````md\nWrite:\n```\nx\n```\n````", "```\nWrite:\n``\u200b`\nx\n``\u200b`\n```"},
		// A reply still being written: the block is closed for now.
		{"So:\n```\nmake all", "So:\n```\nmake all\n```"},
	} {
		if got := Mrkdwn(c.in); got != c.want {
			t.Errorf("Mrkdwn(%q) =\n%q\nwant\n%q", c.in, got, c.want)
		}
	}
	checkNoInjection(t, render(bot.Reply{Text: "```\n<!channel> <!here> <!subteam^S1> <@U1> <#C1>\n```"}, renderOptions{}))
}

// A code block longer than a section is closed at the end of each section
// and opened again at the start of the next.
func TestSplitTextKeepsCodeBlocksClosed(t *testing.T) {
	text := Mrkdwn("Here is the script:\n\n```\n" + strings.Repeat("echo \"hello, world\" && sleep 1\n", 300) + "```")
	parts := splitText(text, maxSectionText)
	if len(parts) < 2 {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts {
		if strings.Count(p, "```")%2 != 0 {
			t.Errorf("part %d leaves a code block open: …%q", i, p[max(0, len(p)-40):])
		}
		if n := utf8.RuneCountInString(p); n > maxSectionText {
			t.Errorf("part %d has %d characters", i, n)
		}
		if i > 0 && !strings.HasPrefix(p, "```\n") {
			t.Errorf("part %d does not reopen the code block: %q…", i, p[:min(len(p), 40)])
		}
	}
}

// Whatever the content, rendered text never holds a Slack control
// sequence that content could have formed.
func checkNoInjection(t *testing.T, msgs []message) {
	t.Helper()
	raw, _ := json.Marshal(msgs)
	s := string(raw)
	for _, bad := range []string{"<!channel", "<!here", "<!everyone", "<!subteam", "<@U", "<#C", "\\u003c!", "\\u003c@"} {
		if strings.Contains(s, bad) {
			t.Fatalf("rendered message holds %q: %s", bad, s)
		}
	}
}

func TestRenderLimits(t *testing.T) {
	long := strings.Repeat("Leave & holidays <b> are described here. ", 4000) // ~170,000 characters
	r := bot.Reply{Text: long, Grounded: true,
		Citations: []bot.Citation{{N: 1, DocID: "d", Title: "<!channel> Leave", Heading: "Entitlement", Source: "https://wiki.example.com/leave"},
			{N: 2, DocID: "e", Title: "Sick", Source: "/srv/handbook/sick leave.md"}},
		Buttons: []bot.Button{{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "ans-1"}, {ID: bot.ActionNotHelpful, Label: "👎 Not helpful", Value: "ans-1"},
			{ID: bot.ActionAskPerson, Label: "Ask a person", Value: "ans-1"}}}
	msgs := render(r, renderOptions{})
	if len(msgs) < 2 {
		t.Fatalf("a %d-character answer fit in %d message", len(long), len(msgs))
	}
	var text strings.Builder
	for i, m := range msgs {
		if len(m.Blocks) > maxBlocks {
			t.Errorf("message %d has %d blocks", i, len(m.Blocks))
		}
		if n := utf8.RuneCountInString(m.Text); n > maxFallback+1 {
			t.Errorf("message %d fallback text has %d characters", i, n)
		}
		for _, b := range m.Blocks {
			s, ok := b.(*slack.SectionBlock)
			if !ok {
				continue
			}
			if n := utf8.RuneCountInString(s.Text.Text); n > maxSectionText {
				t.Errorf("section of %d characters", n)
			}
			if strings.HasPrefix(s.BlockID, blockIDAnswerPfx) {
				text.WriteString(s.Text.Text + " ")
			}
			if strings.Contains(s.Text.Text, "&amp") && strings.Count(s.Text.Text, "&amp;") != strings.Count(s.Text.Text, "&amp") {
				t.Errorf("an entity was cut: %q", s.Text.Text[len(s.Text.Text)-20:])
			}
		}
	}
	// Nothing is lost in the split: every sentence is there.
	if got, want := strings.Count(text.String(), "are described here."), 4000; got != want {
		t.Errorf("%d sentences rendered, want %d", got, want)
	}
	checkNoInjection(t, msgs)

	last := msgs[len(msgs)-1]
	raw, _ := json.Marshal(last.Blocks)
	for _, want := range []string{`*[1]* \u0026lt;!channel\u0026gt; Leave › Entitlement — \u003chttps://wiki.example.com/leave\u003e`, "`/srv/handbook/sick leave.md`",
		`"action_id":"feedback_up"`, `"action_id":"feedback_down"`, `"action_id":"ask_person"`, `"value":"ans-1"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("last message lacks %s:\n%s", want, raw)
		}
	}
}

// Buttons round-trip: the action_id and value Slack sends back on a press
// are the bot.Button's id and value.
func TestButtonsRoundTrip(t *testing.T) {
	r := bot.Reply{Text: "x", Buttons: []bot.Button{{ID: bot.ActionAskPerson, Label: "Ask a person", Value: "3f2a-answer"}}}
	raw, _ := json.Marshal(render(r, renderOptions{})[0].Blocks)
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	el := blocks[len(blocks)-1].Elements[0]
	payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"},
		"actions": []any{map[string]any{"action_id": el.ActionID, "value": el.Value}}})
	in, err := parseInteractionJSON(payload)
	if err != nil {
		t.Fatal(err)
	}
	if got := in.Actions[0]; got.ActionID != bot.ActionAskPerson || got.Value != "3f2a-answer" {
		t.Errorf("pressed %+v", got)
	}
}

func TestSplitText(t *testing.T) {
	for _, s := range []string{"", "short", strings.Repeat("a", 7000), strings.Repeat("word ", 2000), strings.Repeat("é&amp;", 1500),
		strings.Repeat("x", 2990) + " <https://example.com/" + strings.Repeat("p", 50) + ">"} {
		parts := splitText(s, 3000)
		joined := strings.Join(parts, "")
		if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(s, " ", "") {
			t.Errorf("split of %d bytes lost text", len(s))
		}
		for _, p := range parts {
			if utf8.RuneCountInString(p) > 3000 || !utf8.ValidString(p) {
				t.Errorf("part of %d characters (valid %v)", utf8.RuneCountInString(p), utf8.ValidString(p))
			}
			if strings.Count(p, "<") != strings.Count(p, ">") {
				t.Errorf("a link was cut: …%q", p[max(0, len(p)-30):])
			}
		}
	}
}

// Control characters in content neither reach Slack nor turn into
// formatting.
func TestControlCharactersDropped(t *testing.T) {
	if got := Mrkdwn("a\x00b\x00c\x07d\te\nf"); got != "abcd\te\nf" {
		t.Errorf("Mrkdwn = %q", got)
	}
	if got := Link("https://x.example.com/\x00"); !strings.HasPrefix(got, "`") {
		t.Errorf("a URL with a NUL became a link: %q", got)
	}
}

// Slack refuses a message (invalid_blocks) whose action ids repeat or
// whose actions block holds more than 25 elements. Buttons sharing a core
// id, such as a quiz's options or the colleagues suggested for a topic,
// get distinct action ids that a press turns back into the core's id.
func TestRenderManyButtonsSharingAnID(t *testing.T) {
	var bs []bot.Button
	for i := range 30 {
		bs = append(bs, bot.Button{ID: "quiz_answer", Label: fmt.Sprintf("Option %d", i+1), Value: fmt.Sprintf("n-1|t|c|%d", i)})
	}
	bs = append(bs, bot.Button{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "a"})
	msgs := render(bot.Reply{Text: "Pick one", Buttons: bs}, renderOptions{share: true, question: "q"})
	type pressed struct{ id, value string }
	var got []pressed
	for i, m := range msgs {
		actionIDs, blockIDs := map[string]bool{}, map[string]bool{}
		for _, b := range m.Blocks {
			raw, _ := json.Marshal(b)
			var blk struct {
				BlockID string `json:"block_id"`
			}
			_ = json.Unmarshal(raw, &blk)
			if blk.BlockID != "" && blockIDs[blk.BlockID] {
				t.Errorf("message %d repeats block_id %q", i, blk.BlockID)
			}
			blockIDs[blk.BlockID] = true
			a, ok := b.(*slack.ActionBlock)
			if !ok {
				continue
			}
			if n := len(a.Elements.ElementSet); n > 25 {
				t.Errorf("message %d has an actions block of %d elements", i, n)
			}
			for _, e := range a.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				if actionIDs[btn.ActionID] {
					t.Errorf("message %d repeats action_id %q", i, btn.ActionID)
				}
				if len(btn.ActionID) > 255 {
					t.Errorf("action_id of %d characters", len(btn.ActionID))
				}
				actionIDs[btn.ActionID] = true
				payload, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U1"},
					"actions": []any{map[string]any{"action_id": btn.ActionID, "block_id": a.BlockID, "value": btn.Value}}})
				in, err := parseInteractionJSON(payload)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, pressed{in.Actions[0].ActionID, in.Actions[0].Value})
			}
		}
	}
	if len(got) != len(bs)+1 {
		t.Fatalf("%d buttons rendered, want %d", len(got), len(bs)+1)
	}
	for i, b := range bs {
		if got[i] != (pressed{b.ID, b.Value}) {
			t.Errorf("button %d pressed as %+v, want %s %s", i, got[i], b.ID, b.Value)
		}
	}
	if last := got[len(got)-1]; last != (pressed{actionShare, "q"}) {
		t.Errorf("Share pressed as %+v", last)
	}
}

// Slack refuses a message whose blocks hold too much text altogether
// (msg_blocks_too_long), well before 50 full sections: a long answer
// continues in further messages, none of them over maxMessageText.
func TestRenderMessageTextLimit(t *testing.T) {
	long := strings.Repeat("Leave is booked in the HR portal before the first day off. ", 700) // ~42,000 characters
	r := bot.Reply{Text: long, Citations: []bot.Citation{{N: 1, DocID: "d", Title: "Leave", Source: "https://wiki.example.com/leave"}},
		Buttons: []bot.Button{{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "a"}}}
	msgs := render(r, renderOptions{})
	var text strings.Builder
	for i, m := range msgs {
		total := 0
		for _, b := range m.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok {
				total += utf8.RuneCountInString(s.Text.Text)
				if strings.HasPrefix(s.BlockID, blockIDAnswerPfx) {
					text.WriteString(s.Text.Text + " ")
				}
			}
		}
		if total > maxMessageText {
			t.Errorf("message %d holds %d characters of block text", i, total)
		}
	}
	if got, want := strings.Count(text.String(), "before the first day off."), 700; got != want {
		t.Errorf("%d sentences rendered, want %d", got, want)
	}
	raw, _ := json.Marshal(msgs[len(msgs)-1].Blocks)
	if !strings.Contains(string(raw), "wiki.example.com/leave") || !strings.Contains(string(raw), bot.ActionHelpful) {
		t.Errorf("the last message lacks the sources or buttons: %s", raw)
	}
}

// A cut never falls inside a character made of several code points: an
// emoji sequence, a flag, a letter with its accent.
func TestCutsKeepGraphemesWhole(t *testing.T) {
	family, flags := "👨\u200d👩\u200d👧\u200d👦", "🇫🇷🇩🇪"
	parts := splitText(strings.Repeat("x", 2998)+family+"more", 3000)
	if len(parts) != 2 || !strings.Contains(parts[0]+parts[1], family) || strings.Count(parts[0], family)+strings.Count(parts[1], family) != 1 {
		t.Errorf("split a family emoji: %q | %q", parts[0][2990:], parts[1])
	}
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"xxxxxxxx" + flags, 10, "xxxxxxxx…"},
		{"xxxxxxxx" + flags, 11, "xxxxxxxx🇫🇷…"},
		{"xxxxxxx" + family, 10, "xxxxxxx…"},
		{"cafe\u0301s", 5, "caf…"},
	} {
		if got := truncate(c.in, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

// A source address too long to show whole is not made a link to the part
// that is shown, which would lead somewhere else.
func TestLongSourceURLIsNotLinkedCut(t *testing.T) {
	long := "https://wiki.example.com/search?q=" + strings.Repeat("leave&", 400)
	msgs := render(bot.Reply{Text: "x", Citations: []bot.Citation{{N: 1, DocID: "d", Title: "Search", Source: long}}}, renderOptions{})
	raw, _ := json.Marshal(msgs)
	if strings.Contains(string(raw), `\u003chttps://`) {
		t.Errorf("a cut address became a link: %.200s…", raw)
	}
	for _, m := range msgs {
		for _, b := range m.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok && strings.HasPrefix(s.BlockID, blockIDSourcePfx) {
				if !strings.Contains(s.Text.Text, "wiki.example.com/search") {
					t.Errorf("the source is not named: %.200s", s.Text.Text)
				}
				if strings.Count(s.Text.Text, "`")%2 != 0 {
					t.Errorf("unbalanced code span in %q", s.Text.Text)
				}
			}
		}
	}
	// A long address that fits is still a link.
	ok := "https://wiki.example.com/" + strings.Repeat("p", 900)
	raw, _ = json.Marshal(render(bot.Reply{Text: "x", Citations: []bot.Citation{{N: 1, DocID: "d", Title: "P", Source: ok}}}, renderOptions{}))
	if !strings.Contains(string(raw), `\u003c`+ok+`\u003e`) {
		t.Errorf("a whole address is not a link")
	}
}
