// Package codeblock finds the fenced code blocks of a reply's Markdown, so
// that each chat adapter shows code as code: escaped like any text from
// documents or a model, but left out of the conversions meant for prose
// (links, emphasis, headings), which would change the code.
package codeblock

import "strings"

// Segment is a run of a reply's text: prose, or a fenced code block.
type Segment struct {
	// Text is the prose as written, or the code between the fences,
	// without the indentation of its opening fence.
	Text string
	// Code marks a code block; Lang is its info string's first word
	// ("sh"), when it has one.
	Code bool
	Lang string
	// Raw is the segment as written, fences included.
	Raw string
}

// Split cuts md into prose and code blocks, in order, reading backtick
// fences as CommonMark does: an opening line of three or more backticks,
// indented or not, perhaps followed by an info string without backticks;
// a closing line of at least as many backticks and nothing else. A block
// left open (a reply still being written) runs to the end. The line ends
// around a block belong to the prose beside it, so joining the segments'
// Raw gives md back.
func Split(md string) []Segment {
	var out []Segment
	prose := 0 // start of the prose not yet emitted
	for start := 0; start < len(md); {
		line, next := lineAt(md, start)
		ticks, info, indent, ok := openingFence(line)
		if !ok {
			start = next
			continue
		}
		var code []string
		end, after := len(md), len(md)
		for at := next; at < len(md); {
			l, n := lineAt(md, at)
			if isClosingFence(l, ticks) {
				end, after = at+len(l), n
				break
			}
			l, _ = strings.CutPrefix(l, indent)
			code = append(code, l)
			at = n
		}
		if start > prose {
			out = append(out, Segment{Text: md[prose:start], Raw: md[prose:start]})
		}
		lang, _, _ := strings.Cut(info, " ")
		out = append(out, Segment{Text: strings.Join(code, "\n"), Code: true, Lang: lang, Raw: md[start:end]})
		prose = end
		start = after
	}
	if prose < len(md) {
		out = append(out, Segment{Text: md[prose:], Raw: md[prose:]})
	}
	return out
}

// lineAt returns the line of s starting at start, without its line end,
// and the start of the next line.
func lineAt(s string, start int) (string, int) {
	if i := strings.IndexByte(s[start:], '\n'); i >= 0 {
		return s[start : start+i], start + i + 1
	}
	return s[start:], len(s)
}

func openingFence(line string) (ticks int, info, indent string, ok bool) {
	trimmed := strings.TrimLeft(line, " \t")
	ticks = len(trimmed) - len(strings.TrimLeft(trimmed, "`"))
	if ticks < 3 || strings.Contains(trimmed[ticks:], "`") {
		return 0, "", "", false
	}
	return ticks, strings.TrimSpace(trimmed[ticks:]), line[:len(line)-len(trimmed)], true
}

func isClosingFence(line string, ticks int) bool {
	trimmed := strings.TrimSpace(line)
	return len(trimmed) >= ticks && strings.Trim(trimmed, "`") == ""
}

// BreakFences puts a zero-width space inside every run of three or more
// backticks in code, which Slack and Discord would otherwise read as the
// end of the block: their fences are always three backticks, and neither
// has a way to escape them. The code reads the same.
func BreakFences(code string) string {
	if !strings.Contains(code, "```") {
		return code
	}
	var b strings.Builder
	run := 0
	for _, r := range code {
		if r == '`' {
			if run == 2 {
				b.WriteString("\u200b")
				run = 0
			}
			run++
		} else {
			run = 0
		}
		b.WriteRune(r)
	}
	return b.String()
}
