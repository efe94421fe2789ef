package shell

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lorehq/lore/adapters/internal/codeblock"
	"github.com/lorehq/lore/bot"
)

const (
	ansiBold    = "\x1b[1m"
	ansiBoldOff = "\x1b[22m"
)

// printReply writes r to w as terminal text. It is the one place a reply
// meets the terminal: a streamed reply can later write its text as it
// arrives and then the same footer.
func printReply(w io.Writer, r bot.Reply, color bool) error {
	var b strings.Builder
	if text := renderText(r.Text, color); text != "" {
		b.WriteString(text)
		b.WriteByte('\n')
	}
	if footer := renderFooter(r, color); footer != "" {
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(footer)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// renderText returns the reply's Markdown as it is, apart from the cleaning
// every outside text gets, with **bold** shown in bold when color is on,
// except in code blocks, where the stars are code ("f(**a, **b)").
func renderText(md string, color bool) string {
	text := strings.TrimRight(sanitize(md), " \t\n")
	if !color {
		return text
	}
	var b strings.Builder
	for _, seg := range codeblock.Split(text) {
		if seg.Code {
			b.WriteString(seg.Raw)
			continue
		}
		b.WriteString(boldMarkdown.ReplaceAllString(seg.Raw, ansiBold+"$1"+ansiBoldOff))
	}
	return b.String()
}

// boldMarkdown matches **x** within one line. Only the text between the
// markers is kept, so the markers do not show once the text is bold.
var boldMarkdown = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)

// renderFooter returns the sources and the buttons of r, each on lines of
// their own.
func renderFooter(r bot.Reply, color bool) string {
	var b strings.Builder
	if len(r.Citations) > 0 {
		if color {
			b.WriteString(ansiBold + "Sources:" + ansiBoldOff + "\n")
		} else {
			b.WriteString("Sources:\n")
		}
		for i, c := range r.Citations {
			b.WriteString("  " + citationLine(i, c) + "\n")
		}
	}
	if len(r.Buttons) > 0 {
		for i, btn := range r.Buttons {
			if i > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "[%d] %s", i+1, sanitizeLine(btn.Label))
		}
		// Sources are numbered too; the hint says which numbers /press
		// takes.
		b.WriteString("  (/press N)\n")
	}
	return b.String()
}

// citationLine renders "[N] Title › Heading — source", leaving out the parts
// a citation lacks.
func citationLine(i int, c bot.Citation) string {
	n := c.N
	if n <= 0 {
		n = i + 1
	}
	title, heading, source := sanitizeLine(c.Title), sanitizeLine(c.Heading), sanitizeLine(c.Source)
	if title == "" {
		title = sanitizeLine(c.DocID)
	}
	if title == "" {
		title, source = source, ""
	}
	line := "[" + strconv.Itoa(n) + "] " + title
	if heading != "" {
		line += " › " + heading
	}
	if source != "" && source != title {
		line += " — " + source
	}
	return line
}

// sanitize removes what could drive the terminal from text that came from
// documents or users: escape sequences whole, so that no stray parameters
// are left, and every other control character except newline and tab.
// Invalid UTF-8 becomes U+FFFD, since a lone byte such as 0x9b is itself a
// control sequence introducer to some terminals.
func sanitize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x1b:
			size = escapeLen(s[i:])
		case r == '\n' || r == '\t':
			b.WriteByte(byte(r))
		case unicode.IsControl(r): // C0, DEL and C1
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Sanitize is sanitize for Lore's other terminal commands that print text
// from documents or users (lore ask, lore gaps).
func Sanitize(s string) string { return sanitize(s) }

// sanitizeLine is sanitize for text shown on one line, such as a title.
func sanitizeLine(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, sanitize(s)))
}

// escapeLen returns the length of the escape sequence at the start of s,
// which begins with ESC. What is not a complete, well-formed sequence loses
// only its ESC; the rest is then shown as plain text, which is harmless.
func escapeLen(s string) int {
	if len(s) < 2 {
		return 1
	}
	switch c := s[1]; {
	case c == '[': // CSI: parameter and intermediate bytes, then a final byte
		for j := 2; j < len(s); j++ {
			switch b := s[j]; {
			case b >= 0x40 && b <= 0x7e:
				return j + 1
			case b < 0x20 || b > 0x3f:
				return 1
			}
		}
		return 1
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		// OSC, DCS, SOS, PM and APC: a string ended by BEL or ESC \.
		for j := 2; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		// Unterminated: dropping to the end could swallow a whole
		// answer.
		return 1
	case c >= 0x20 && c <= 0x2f: // intermediate bytes, then a final byte, as in ESC ( B
		for j := 2; j < len(s); j++ {
			switch b := s[j]; {
			case b >= 0x30 && b <= 0x7e:
				return j + 1
			case b < 0x20 || b > 0x2f:
				return 1
			}
		}
		return 1
	case c >= 0x30 && c <= 0x7e: // two-byte sequences such as ESC c, a full reset
		return 2
	}
	return 1
}

// streamPrinter prints a reply's text while it is written. It prints only
// up to the last white space of the text so far: the last word may still
// change (a citation marker being written, or one that turns out invalid
// and is removed).
type streamPrinter struct {
	w       io.Writer
	printed string // sanitized text written so far
}

func (p *streamPrinter) update(textSoFar string) {
	cut := strings.LastIndexAny(textSoFar, " \n\t")
	if cut < 0 {
		return
	}
	ready := sanitize(textSoFar[:cut+1])
	if !strings.HasPrefix(ready, p.printed) || len(ready) == len(p.printed) {
		return // earlier text changed; finish prints the final version
	}
	if _, err := io.WriteString(p.w, ready[len(p.printed):]); err == nil {
		p.printed = ready
	}
}

// finish completes the reply: the rest of the text when it continues what
// was printed, the whole final text on a new line when it does not (a
// refusal or a fallback replaced the streamed text), then the footer.
func (p *streamPrinter) finish(r bot.Reply, color bool) error {
	if p.printed == "" {
		return printReply(p.w, r, color)
	}
	final := strings.TrimRight(sanitize(r.Text), " \t\n")
	var b strings.Builder
	if rest, ok := strings.CutPrefix(final, p.printed); ok {
		b.WriteString(rest)
		b.WriteByte('\n')
	} else {
		b.WriteString("\n\n")
		b.WriteString(renderText(r.Text, color))
		b.WriteByte('\n')
	}
	if footer := renderFooter(r, color); footer != "" {
		b.WriteByte('\n')
		b.WriteString(footer)
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}
