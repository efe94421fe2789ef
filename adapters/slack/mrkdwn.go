package slack

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/lorehq/lore/adapters/internal/codeblock"
	"github.com/lorehq/lore/adapters/internal/textcut"
)

// Escape makes text from documents or people safe to show as Slack mrkdwn:
// the control characters &, < and > become entities, so no <!channel>,
// <!here>, <!subteam^…>, <@U…> or hidden-label link can be formed, and the
// bare words @channel, @here and @everyone get an invisible joiner after
// the @ so that no client turns them into a broadcast. Invalid UTF-8 is
// replaced.
func Escape(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(dropControl, s)
	s = entityEscaper.Replace(s)
	return broadcast.ReplaceAllString(s, "@\u2060$1")
}

// dropControl removes control characters other than tab and new line:
// Slack shows them as garbage, and NUL is the placeholder Mrkdwn uses.
func dropControl(r rune) rune {
	if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
		return -1
	}
	return r
}

var (
	entityEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	broadcast     = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)
)

var (
	// mdLink is a Markdown link [label](url).
	mdLink = regexp.MustCompile(`\[([^\]\n]{1,500})\]\(([^)\s]{1,1000})\)`)
	// mdBold is **bold**, which mrkdwn writes *bold*.
	mdBold = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	// mdItalic is *italic*, which mrkdwn writes _italic_.
	mdItalic = regexp.MustCompile(`(^|[^*\w])\*([^*\n]+)\*([^*\w]|$)`)
	// mdHeading is a Markdown heading line, shown bold.
	mdHeading = regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`)
)

// Mrkdwn converts a reply's Markdown to Slack mrkdwn, escaping everything
// that came from content. Links keep their address in view, "label
// (<url>)", so a label cannot disguise where a link goes; only http and
// https addresses become links. Code blocks stay code blocks, escaped
// like the rest but otherwise as written (see codeMrkdwn).
func Mrkdwn(md string) string {
	md = strings.ToValidUTF8(md, "\uFFFD")
	var b strings.Builder
	for _, seg := range codeblock.Split(md) {
		if seg.Code {
			b.WriteString(codeMrkdwn(seg.Text))
		} else {
			b.WriteString(proseMrkdwn(seg.Text))
		}
	}
	return b.String()
}

// codeMrkdwn shows code as a Slack code block. It is escaped as any text
// is, so that no <!channel>, <@U…> or @here can be formed inside it
// either, but its stars, brackets and hashes are code, not emphasis,
// links or headings. Slack's fence is always three backticks, without the
// info string it would show as a line of code, and ends at the first
// three backticks it meets: those of the code are broken.
func codeMrkdwn(code string) string {
	return fence + "\n" + codeblock.BreakFences(Escape(code)) + "\n" + fence
}

const fence = "```"

// proseMrkdwn converts Markdown prose, outside code blocks.
func proseMrkdwn(md string) string {
	var b strings.Builder
	last := 0
	for _, m := range mdLink.FindAllStringSubmatchIndex(md, -1) {
		b.WriteString(inlineMrkdwn(md[last:m[0]]))
		label, target := md[m[2]:m[3]], md[m[4]:m[5]]
		b.WriteString(inlineMrkdwn(label))
		b.WriteString(" (")
		b.WriteString(Link(target))
		b.WriteString(")")
		last = m[1]
	}
	b.WriteString(inlineMrkdwn(md[last:]))
	return b.String()
}

func inlineMrkdwn(s string) string {
	s = Escape(s)
	s = mdHeading.ReplaceAllString(s, "\x00$1\x00")
	s = mdBold.ReplaceAllString(s, "\x00$1\x00")
	s = mdItalic.ReplaceAllString(s, "${1}_${2}_${3}")
	return strings.ReplaceAll(s, "\x00", "*")
}

// Link shows an address: an http or https URL as a Slack link whose text
// is the URL itself, anything else (a file path, say) as escaped code.
func Link(target string) string {
	lower := strings.ToLower(target)
	if (strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")) && utf8.ValidString(target) &&
		!strings.ContainsAny(target, "<>| \t\n") && strings.Map(dropControl, target) == target {
		return "<" + strings.ReplaceAll(target, "&", "&amp;") + ">"
	}
	return "`" + strings.ReplaceAll(Escape(target), "`", "'") + "`"
}

// Block Kit limits.
const (
	maxSectionText = 3000 // characters in one section's text
	maxBlocks      = 50   // blocks in one message
	maxButtonText  = 75   // characters in a button label
	maxButtonValue = 2000 // characters in a button value
	maxActions     = 25   // elements in an actions block
	maxFallback    = 3000 // characters of the notification text we send
)

// maxMessageText bounds the text of all the blocks of one message: Slack
// refuses more (msg_blocks_too_long) at about 13,000 characters, and
// documents 12,000 for a markdown block's.
const maxMessageText = 12000

// splitText cuts s into pieces of at most limit characters, preferring a
// paragraph break, then a line break, then a space, and never cutting
// inside an entity (&amp;) or a <…> link. A code block cut in two is
// closed at the end of one piece and opened again at the start of the
// next, so that each piece renders on its own.
func splitText(s string, limit int) []string {
	const closing = "\n" + fence
	var out []string
	for utf8.RuneCountInString(s) > limit {
		cut := byteOffset(s, limit-len(closing))
		at := -1
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(s[:cut], sep); i > cut/2 {
				at = i
				break
			}
		}
		if at < 0 {
			at = cut
		}
		at = safeCut(s, at)
		if at <= 0 {
			at = cut
		}
		piece := strings.TrimRight(s[:at], " \n")
		s = strings.TrimLeft(s[at:], " \n")
		if strings.Count(piece, fence)%2 == 1 {
			piece += closing
			s = fence + "\n" + s
		}
		out = append(out, piece)
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// byteOffset returns the byte offset of the n-th character of s, moved
// back to the start of the grapheme it falls in, so that an emoji
// sequence, a flag or a letter and its accent stay whole. A cut inside a
// first grapheme longer than n stays where it is.
func byteOffset(s string, n int) int {
	i, at := 0, len(s)
	for off := range s {
		if i == n {
			at = off
			break
		}
		i++
	}
	if g := textcut.GraphemeStart(s, at); g > 0 {
		return g
	}
	return at
}

// safeCut moves a cut back before an unfinished &entity; or <link>.
func safeCut(s string, at int) int {
	head := s[:at]
	if i := strings.LastIndexByte(head, '&'); i >= 0 && !strings.Contains(head[i:], ";") && at-i <= 8 {
		at = i
		head = s[:at]
	}
	if i := strings.LastIndexByte(head, '<'); i >= 0 && !strings.Contains(head[i:], ">") {
		at = i
	}
	return at
}

// truncate cuts s to at most n characters, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return s[:safeCut(s, byteOffset(s, n-1))] + "…"
}
