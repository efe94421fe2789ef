package curation

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// defuser breaks what would notify people or hide a link when text from
// documents or people is quoted in a reply: @everyone, @here, @channel,
// Slack's <!here> and <@U…>, Discord's <@id>, and a Markdown link whose
// label could disguise its address. Adapters escape reply text for their
// platform as well; this keeps quoted titles, sources and questions
// harmless whatever renders them.
var defuser = strings.NewReplacer(
	"@everyone", "@\u200deveryone", "@here", "@\u200dhere", "@channel", "@\u200dchannel",
	"<!", "‹!", "<@", "‹@", "<#", "‹#", "](", "] (", "`", "'",
)

// display makes text from a document or a person fit to quote on one line
// of a reply: valid UTF-8, white space and control characters folded to
// single spaces, mentions defused, at most max characters.
func display(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	return clip(defuser.Replace(s), max)
}

// clip cuts s to at most max characters, marking a cut with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

// firstLine is the first non-blank line of s, for a title.
func firstLine(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// bareURL undoes the forms chat clients wrap an address in: Slack's
// <https://…> and <https://…|label>, and Discord's <https://…> that
// suppresses a preview.
func bareURL(s string) string {
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
		if i := strings.IndexByte(s, '|'); i >= 0 {
			s = s[:i]
		}
	}
	return s
}
