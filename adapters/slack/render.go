package slack

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

// Action ids the adapter handles itself, besides the bot.Action* ids it
// passes to the core.
const (
	actionShare      = "lore_share"      // "Share in channel" under a private /lore ask answer
	actionRefreshTZ  = "lore_refresh_tz" // App Home: read the time zone from Slack again
	blockIDButtons   = "lore_buttons"    // the actions block under an answer
	blockIDSourcePfx = "lore_sources"    // section(s) listing the sources
	blockIDAnswerPfx = "lore_answer"     // section(s) of the answer text
)

// message is one Slack message to post: blocks and the plain notification
// text Slack shows where blocks cannot be.
type message struct {
	Text   string
	Blocks []slack.Block
}

// renderOptions adds adapter buttons to a rendering.
type renderOptions struct {
	// share adds "Share in channel" carrying the question.
	share    bool
	question string
	// preface is trusted mrkdwn shown above the answer, already escaped.
	preface string
	// maxMessages, when above zero, is the most messages the reply may
	// take: the answer text is shortened to fit, with shortenedMarker.
	maxMessages int
}

// shortenedMarker ends an answer cut to fit maxMessages.
const shortenedMarker = "_… (answer shortened)_"

// render turns a reply into one or more messages, each within Block Kit's
// limits: answer text is split into sections of at most 3,000 characters,
// and a message holds at most 50 blocks and 12,000 characters of text, so
// a very long answer continues in further messages. Sources and buttons
// come last, in the last message. With opts.maxMessages, an answer that
// would need more messages is cut short, its sources and buttons kept.
func render(r bot.Reply, opts renderOptions) []message {
	text := Mrkdwn(r.Text)
	if strings.TrimSpace(text) == "" {
		text = "_(no text)_"
	}
	msgs := layout(text, r, opts)
	if opts.maxMessages > 0 && len(msgs) > opts.maxMessages {
		msgs = shorten(text, r, opts)
	}
	fallback := truncate(Escape(plain(r.Text)), maxFallback)
	for i := range msgs {
		msgs[i].Text = fallback
		if i > 0 {
			msgs[i].Text = "(continued)"
		}
	}
	return msgs
}

// shorten lays out the longest head of text that, with shortenedMarker,
// fits in opts.maxMessages messages. Should even the sources and buttons
// alone need more, only the first messages are kept.
func shorten(text string, r bot.Reply, opts renderOptions) []message {
	limit := opts.maxMessages
	cut := func(n int) string {
		head := strings.TrimRight(text[:safeCut(text, byteOffset(text, n))], " \n")
		if strings.Count(head, fence)%2 == 1 {
			head += "\n" + fence
		}
		return head + "\n\n" + shortenedMarker
	}
	// Nothing longer than the messages could hold can fit.
	lo, hi := 0, min(utf8.RuneCountInString(text), limit*maxMessageText)
	best := layout(cut(0), r, opts)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if msgs := layout(cut(mid), r, opts); len(msgs) <= limit {
			best, lo = msgs, mid
		} else {
			hi = mid - 1
		}
	}
	if len(best) > limit {
		best = best[:limit]
	}
	return best
}

// layout places the blocks of a reply whose answer is text (mrkdwn) in
// messages, leaving their notification text to render.
func layout(text string, r bot.Reply, opts renderOptions) []message {
	var blocks []slack.Block
	if opts.preface != "" {
		blocks = append(blocks, section("lore_preface", truncate(opts.preface, maxSectionText)))
	}
	for i, part := range splitText(text, maxSectionText) {
		blocks = append(blocks, section(fmt.Sprintf("%s_%d", blockIDAnswerPfx, i), part))
	}
	if len(r.Citations) > 0 {
		lines := []string{"*Sources*"}
		for _, c := range r.Citations {
			lines = append(lines, citationLine(c))
		}
		for i, part := range splitText(strings.Join(lines, "\n"), maxSectionText) {
			blocks = append(blocks, section(fmt.Sprintf("%s_%d", blockIDSourcePfx, i), part))
		}
	}
	var buttons []slack.BlockElement
	seen := map[string]int{}
	add := func(id, label, value string) {
		buttons = append(buttons, button(uniqueActionID(id, seen[id]), label, value))
		seen[id]++
	}
	for _, b := range r.Buttons {
		add(b.ID, b.Label, b.Value)
	}
	if opts.share {
		add(actionShare, "Share in channel", opts.question)
	}
	for i := 0; len(buttons) > 0; i++ {
		n := min(len(buttons), maxActions)
		id := blockIDButtons
		if i > 0 {
			id = fmt.Sprintf("%s_%d", blockIDButtons, i)
		}
		blocks = append(blocks, slack.NewActionBlock(id, buttons[:n]...))
		buttons = buttons[n:]
	}

	var msgs []message
	for len(blocks) > 0 {
		n, total := 0, 0
		for n < len(blocks) && n < maxBlocks {
			size := blockText(blocks[n])
			if n > 0 && total+size > maxMessageText {
				break
			}
			total += size
			n++
		}
		msgs = append(msgs, message{Blocks: blocks[:n]})
		blocks = blocks[n:]
	}
	return msgs
}

// blockText counts the characters of text a block shows, which Slack
// limits over a whole message as well as per block.
func blockText(b slack.Block) int {
	n := 0
	count := func(t *slack.TextBlockObject) {
		if t != nil {
			n += utf8.RuneCountInString(t.Text)
		}
	}
	switch b := b.(type) {
	case *slack.SectionBlock:
		count(b.Text)
		for _, f := range b.Fields {
			count(f)
		}
	case *slack.ActionBlock:
		for _, e := range b.Elements.ElementSet {
			if btn, ok := e.(*slack.ButtonBlockElement); ok {
				count(btn.Text)
			}
		}
	}
	return n
}

// maxSource bounds how much of a source's address a citation shows.
const maxSource = 1000

// citationLine shows one source: its number, title and heading, and where
// it lives, the address always in view.
func citationLine(c bot.Citation) string {
	name := c.Title
	if c.Heading != "" && c.Heading != c.Title {
		if name != "" {
			name += " › "
		}
		name += c.Heading
	}
	if name == "" {
		name = c.DocID
	}
	line := fmt.Sprintf("*[%d]* %s", c.N, Escape(truncate(name, 300)))
	if c.Source != "" {
		// An address too long to show whole is shown cut as text: a link
		// to the part shown would lead somewhere else.
		src := Link(c.Source)
		if utf8.RuneCountInString(src) > maxSource {
			src = "`" + truncate(strings.ReplaceAll(Escape(c.Source), "`", "'"), maxSource) + "`"
		}
		line += " — " + src
	}
	return line
}

// section is a mrkdwn section. Verbatim stops Slack from turning bare
// channel names and addresses in content into links or mentions.
func section(id, text string) *slack.SectionBlock {
	t := slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
	return slack.NewSectionBlock(t, nil, nil, slack.SectionBlockOptionBlockID(id))
}

func button(id, label, value string) *slack.ButtonBlockElement {
	t := slack.NewTextBlockObject(slack.PlainTextType, truncate(strings.ToValidUTF8(label, "\uFFFD"), maxButtonText), true, false)
	return slack.NewButtonBlockElement(id, truncate(strings.ToValidUTF8(value, "\uFFFD"), maxButtonValue), t)
}

// Slack refuses a message in which two elements share an action_id, and
// several of Lore's buttons do share one: a quiz's options, the colleagues
// suggested for a topic. The n-th repeat of an id (from 1) is sent as
// "id#n", which coreActionID reads back as id.
const actionIDRepeat = "#"

func uniqueActionID(id string, n int) string {
	if n == 0 {
		return id
	}
	return id + actionIDRepeat + strconv.Itoa(n)
}

// coreActionID is the id of the button pressed, without the suffix
// uniqueActionID gave a repeat.
func coreActionID(actionID string) string {
	i := strings.LastIndex(actionID, actionIDRepeat)
	if i <= 0 {
		return actionID
	}
	if n, err := strconv.Atoi(actionID[i+len(actionIDRepeat):]); err != nil || n <= 0 {
		return actionID
	}
	return actionID[:i]
}

// plain strips the Markdown emphasis a notification would show literally.
func plain(md string) string {
	return strings.NewReplacer("**", "", "`", "").Replace(md)
}
