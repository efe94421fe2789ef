package ingest

import (
	"strings"
	"unicode/utf8"
)

// Chunk text marks code as Markdown does, so that whatever quotes or shows
// a chunk can tell code from prose: a code block (a Markdown fenced or
// indented block, an HTML <pre>) stands between fence lines of backticks,
// "```", or more backticks than the longest run in the code. A fence holds
// no letter or digit, so the analyser and the offline embedder index the
// code's words and nothing of the fence. A code block too long for one
// chunk is cut at line ends into parts, each fenced on its own, whose
// opening fence reads "```…": a part is not the whole of the code and is
// not quoted as if it were.

// partMark follows the opening fence of a part of a code block.
const partMark = "…"

// CodeBlock is a fenced code block of a chunk's text.
type CodeBlock struct {
	// Start and End are the byte offsets of the block in the text: from
	// the start of its opening fence line to the end of its closing one,
	// line end excluded.
	Start, End int
	// Indent is the opening fence's indentation: a code block of a list
	// item is indented with the item's text.
	Indent string
	// Code is the text between the fences, without Indent at the start
	// of its lines.
	Code string
	// Part marks a part of a code block too long for one chunk.
	Part bool
}

// CodeBlocks returns the fenced code blocks of text in order, read as
// CommonMark reads backtick fences: an opening line of three or more
// backticks, indented or not, perhaps followed by an info string without
// backticks ("```sh"); a closing line of at least as many backticks and
// nothing else. A block left open runs to the end of text.
func CodeBlocks(text string) []CodeBlock {
	var blocks []CodeBlock
	var open *CodeBlock
	fenceLen := 0
	var code []string
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		trimmed := strings.TrimLeft(line, " \t")
		ticks := len(trimmed) - len(strings.TrimLeft(trimmed, "`"))
		switch {
		case open == nil:
			if ticks >= 3 && !strings.Contains(trimmed[ticks:], "`") {
				open = &CodeBlock{Start: start, Indent: line[:len(line)-len(trimmed)], Part: strings.TrimSpace(trimmed[ticks:]) == partMark}
				fenceLen, code = ticks, code[:0]
			}
		case ticks >= fenceLen && strings.TrimSpace(trimmed[ticks:]) == "":
			open.End, open.Code = end, strings.Join(code, "\n")
			blocks = append(blocks, *open)
			open = nil
		default:
			l, _ := strings.CutPrefix(line, open.Indent)
			code = append(code, l)
		}
		start = end + 1
	}
	if open != nil {
		open.End, open.Code = len(text), strings.Join(code, "\n")
		blocks = append(blocks, *open)
	}
	return blocks
}

// FenceCode returns code as chunk text holds it: between fence lines, each
// line but blank ones indented by indent.
func FenceCode(code, indent string) string {
	return fenced(code, indent, fenceFor(code), "")
}

func fenced(code, indent, fence, mark string) string {
	var b strings.Builder
	b.WriteString(indent + fence + mark + "\n")
	for line := range strings.SplitSeq(code, "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString(indent + line)
		}
		b.WriteByte('\n')
	}
	b.WriteString(indent + fence)
	return b.String()
}

// fenceFor returns a fence that no line of code can close: three
// backticks, or one more than the longest run of them in code.
func fenceFor(code string) string {
	longest, run := 0, 0
	for i := 0; i < len(code); i++ {
		if code[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}

// codeFence is the fence lines of the parts of a long code block.
type codeFence struct{ open, close string }

// overhead is the length in characters the fences add to a part.
func (f *codeFence) overhead() int {
	return utf8.RuneCountInString(f.open) + utf8.RuneCountInString(f.close) + 2
}

// codeUnits renders a code block as units of at most limit characters:
// the block fenced whole when it fits, else its lines, which chunks fence
// in parts (a line longer than a part is cut at words), so that the
// sentence before the code keeps its first lines company. When limit is
// too small for fences to leave room for code, the code is cut as plain
// lines instead. Separators are "\n", and one more line end for each
// blank line of the code; the caller sets the first unit's.
func codeUnits(code, indent string, limit int) []unit {
	fence := fenceFor(code)
	if whole := fenced(code, indent, fence, ""); utf8.RuneCountInString(whole) <= limit {
		return []unit{{text: whole, n: utf8.RuneCountInString(whole)}}
	}
	f := &codeFence{open: indent + fence + partMark, close: indent + fence}
	room := limit - f.overhead()
	var units []unit
	if room < f.overhead() || room <= len(indent) {
		plain := indentLines(code, indent)
		parts := []string{plain}
		if utf8.RuneCountInString(plain) > limit {
			parts = splitCode(plain, limit)
		}
		for _, p := range parts {
			units = append(units, unit{text: p, sep: "\n", n: utf8.RuneCountInString(p)})
		}
		return units
	}
	sep := "\n"
	for line := range strings.SplitSeq(code, "\n") {
		if strings.TrimSpace(line) == "" {
			if len(units) > 0 {
				sep += "\n"
			}
			continue
		}
		pieces := []string{line}
		if len(indent)+utf8.RuneCountInString(line) > room {
			pieces = packWords(strings.Fields(line), " ", room-len(indent))
		}
		for _, p := range pieces {
			units = append(units, unit{text: indent + p, sep: sep, n: len(indent) + utf8.RuneCountInString(p), part: f})
			sep = "\n"
		}
	}
	return units
}
