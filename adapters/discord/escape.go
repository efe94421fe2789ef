package discord

import (
	"regexp"
	"strings"
	"unicode"
)

// zwsp is the zero-width space that breaks a mention without changing how
// the text reads.
const zwsp = "\u200b"

// massMention matches @everyone and @here in any letter case.
var massMention = regexp.MustCompile(`(?i)@(everyone|here)`)

// escapeText makes text from documents or users safe to send: it cannot
// ping @everyone, @here, a role (<@&id>) or a user (<@id>, <@!id>), and it
// is valid UTF-8 without control characters other than new lines and tabs.
// allowed_mentions on every message is the second line of defence; this
// one also keeps the text from showing as a highlighted mention.
func escapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = massMention.ReplaceAllString(s, "@"+zwsp+"$1")
	return strings.ReplaceAll(s, "<@", "<@"+zwsp)
}

// escapeLine is escapeText for text shown on one line, such as a title.
func escapeLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, escapeText(s)))
}
