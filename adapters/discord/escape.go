package discord

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/lorehq/lore/adapters/internal/codeblock"
)

// zwsp is the zero-width space that breaks a mention without changing how
// the text reads.
const zwsp = "\u200b"

// massMention matches @everyone and @here in any letter case.
var massMention = regexp.MustCompile(`(?i)@(everyone|here)`)

// maskedLink is a Markdown link, [label](target) or [label](<target>),
// which Discord shows as its label alone.
var maskedLink = regexp.MustCompile(`\[([^\[\]\n]{1,500})\]\(<?([^()<>\s]+)>?\)`)

// unmaskLinks keeps every link's address in view, "label (<target>)", so a
// label taken from a document or a model's answer ("[the login page](…)")
// cannot disguise where the link goes; the angle brackets also stop a
// preview. Discord reads more forms as a masked link than maskedLink
// matches (a title after the address, a space before it, parentheses in
// it, brackets in the label), so a zero-width space is put between every
// "]" and "(" left: no masked link can form, and its address stays in view
// as text. Control characters go first, as escapeText drops them: one
// between "]" and "(" would otherwise join them after this check.
func unmaskLinks(s string) string {
	s = maskedLink.ReplaceAllString(cleanText(s), "$1 (<$2>)")
	return strings.ReplaceAll(s, "](", "]"+zwsp+"(")
}

// renderMarkdown prepares a reply's Markdown for Discord: links in prose
// unmasked, code blocks kept as written (a link or emphasis in code is
// code), and all of it escaped. Discord's fence is always three
// backticks and ends at the first three it meets, so a block is fenced
// so, its language kept when it is a plain name, and the backticks of the
// code are broken.
func renderMarkdown(md string) string {
	var b strings.Builder
	for _, seg := range codeblock.Split(md) {
		if !seg.Code {
			b.WriteString(unmaskLinks(seg.Text))
			continue
		}
		lang := seg.Lang
		if !codeLang.MatchString(lang) {
			lang = ""
		}
		b.WriteString("```" + lang + "\n" + codeblock.BreakFences(seg.Text) + "\n```")
	}
	return escapeText(b.String())
}

// mentionOpen breaks the openings of user, role and channel mentions.
var mentionOpen = strings.NewReplacer("<@", "<@"+zwsp, "<#", "<#"+zwsp)

// codeLang is a language name Discord highlights code in ("sh", "c++").
var codeLang = regexp.MustCompile(`^[A-Za-z0-9_+.#-]{1,32}$`)

// escapeText makes text from documents or users safe to send: it cannot
// ping @everyone, @here, a role (<@&id>) or a user (<@id>, <@!id>), nor
// show a channel link (<#id>) that Lore did not write, and it is valid
// UTF-8 without control characters other than new lines and tabs.
// allowed_mentions on every message is the second line of defence; this
// one also keeps the text from showing as a highlighted mention.
func escapeText(s string) string {
	s = massMention.ReplaceAllString(cleanText(s), "@"+zwsp+"$1")
	return mentionOpen.Replace(s)
}

// cleanText makes s valid UTF-8 without control characters other than new
// lines and tabs.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
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
