package knowledge

import (
	"fmt"
	"strings"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/knowledge/ingest"
)

// maxQuotedItems is the most items or rows of a list or table an answer
// quotes, and maxQuotedCodeLines the most lines of a code block, so that
// it stays a chat message and not a page.
const (
	maxQuotedItems     = 12
	maxQuotedCodeLines = 15
	// maxCodeLeadIn is the longest paragraph quoted whole before its
	// code block, in bytes: under half an answer, leaving room for the
	// code. The last sentence of a longer one introduces the code alone.
	maxCodeLeadIn = 300
)

// quote is what an extractive answer may quote of a passage: one
// sentence, a list or table whole with the sentence that introduces it
// ("Your laptop must:"), since either one alone says little, or a code
// block whole with the sentence before it ("Run the following."). A table
// without such a sentence is quoted with its header row.
type quote struct {
	// head is the sentence, or the lead-in and a table's header row,
	// which are always quoted; items are the list's items (nested ones
	// indented, an item's code fenced beneath it) or the table's rows,
	// one a line.
	head  []string
	items []string
	// code is a code block, fenced, quoted whole after head or not at
	// all: a piece of code cut at a dot is not a sentence.
	code string
}

// group reports whether q is a list, table or code block, quoted on lines
// of its own.
func (q quote) group() bool { return len(q.items) > 0 || q.code != "" }

// text is all of q.
func (q quote) text() string {
	lines := append(append([]string(nil), q.head...), q.items...)
	if q.code != "" {
		lines = append(lines, q.code)
	}
	return strings.Join(lines, "\n")
}

// fit returns q as quoted in at most room bytes, or "" when it does not
// fit. A list or table that does not fit keeps its lead-in and the items
// it has room for, those with words of the question first, in their
// order, with "…" on a line where items are left out. When first is set
// (nothing is quoted yet, so q must be quoted somehow) a sentence, or a
// lead-in, that does not fit is cut. Code that does not fit is left out
// whole, with its lead-in unless first.
func (q quote) fit(room int, qterms map[string]struct{}, first bool) string {
	if full := q.text(); len(full) <= room && len(q.items) <= maxQuotedItems &&
		strings.Count(q.code, "\n") <= maxQuotedCodeLines+1 { // the fences are two lines
		return full
	}
	cut := func() string {
		if !first {
			return ""
		}
		return truncate(strings.Join(q.head, " "), room)
	}
	if len(q.items) == 0 {
		// A sentence, or code too long for a chat message, which is
		// never quoted in part.
		return cut()
	}
	keep := make([]bool, len(q.items))
	matches := make([]bool, len(q.items))
	used, n := len(strings.Join(q.head, "\n")), 0
	for i, item := range q.items {
		matches[i] = mentions(item, qterms)
	}
	for _, pass := range []bool{true, false} {
		for i, item := range q.items {
			if !keep[i] && matches[i] == pass && used+1+len(item) <= room && n < maxQuotedItems {
				keep[i] = true
				used += 1 + len(item)
				n++
			}
		}
	}
	// Make room for the "…" lines, dropping the last items kept that
	// match nothing, then the last ones.
	for {
		text, kept := q.shown(keep)
		if len(text) <= room {
			if kept == 0 {
				return cut()
			}
			return text
		}
		last := -1
		for i := len(keep) - 1; i >= 0; i-- {
			if keep[i] && (!matches[i] || last < 0) {
				if last = i; !matches[i] {
					break
				}
			}
		}
		if last < 0 {
			return cut()
		}
		keep[last] = false
	}
}

// shown is q with only the items kept, "…" standing on a line for each
// run of items left out, and how many items it shows.
func (q quote) shown(keep []bool) (string, int) {
	lines := append([]string(nil), q.head...)
	n := 0
	for i, item := range q.items {
		switch {
		case keep[i]:
			lines = append(lines, item)
			n++
		case i == 0 || keep[i-1]:
			lines = append(lines, "…")
		}
	}
	return strings.Join(lines, "\n"), n
}

// mentions reports whether s holds a content word of the question.
func mentions(s string, qterms map[string]struct{}) bool {
	for _, t := range analyze.ContentTerms(s) {
		if _, ok := qterms[t]; ok {
			return true
		}
	}
	return false
}

// quotes splits a passage's text into what an answer may quote, in order.
// The text is as stored: paragraphs separated by blank lines, a list's
// items on lines of their own ("- ", "1. ", nested ones indented), a
// table's rows as cells joined by " | ", and code between fence lines.
func quotes(text string) []quote {
	const (
		prose = iota
		item
		row
		code
		codePart // a part of a code block too long for one chunk
	)
	type block struct {
		kind  int
		lines []string
		// codes are the code blocks of an item, or the code of a code
		// block, without fences.
		codes  []string
		indent string // of an item's code
	}
	var blocks []block
	addText := func(text string) {
		lines := strings.Split(text, "\n")
		isRow := func(i int) bool {
			if i < 0 || i >= len(lines) {
				return false
			}
			return strings.Contains(lines[i], " | ") &&
				(i > 0 && strings.Contains(lines[i-1], " | ") || i+1 < len(lines) && strings.Contains(lines[i+1], " | "))
		}
		cur := -1 // index in blocks of the block a line may continue
		for i, line := range lines {
			trimmed := strings.TrimSpace(line)
			switch {
			case trimmed == "":
				cur = -1
			case isRow(i):
				blocks = append(blocks, block{kind: row, lines: []string{trimmed}})
				cur = -1
			case analyze.IsListItem(trimmed):
				blocks = append(blocks, block{kind: item, lines: []string{strings.TrimRight(line, " \t")}})
				cur = len(blocks) - 1
			case cur >= 0 && !strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, "|"):
				// Lines starting so begin a sentence of their own, as
				// analyze.Sentences reads them.
				blocks[cur].lines = append(blocks[cur].lines, strings.TrimRight(line, " \t"))
			default:
				blocks = append(blocks, block{kind: prose, lines: []string{trimmed}})
				cur = len(blocks) - 1
			}
		}
	}
	at := 0
	for _, cb := range ingest.CodeBlocks(text) {
		addText(text[at:cb.Start])
		at = cb.End
		last := len(blocks) - 1
		switch {
		case cb.Part:
			// Never quoted, but it ends what came before: the
			// sentence before it introduces no quotable code.
			blocks = append(blocks, block{kind: codePart})
		case strings.TrimSpace(cb.Code) == "":
		case last >= 0 && blocks[last].kind == item && (blocks[last].indent == "" || blocks[last].indent == cb.Indent):
			// Code after an item is the item's: "Install it:" and
			// the command.
			blocks[last].codes = append(blocks[last].codes, cb.Code)
			blocks[last].indent = cb.Indent
		default:
			blocks = append(blocks, block{kind: code, codes: []string{cb.Code}})
		}
	}
	addText(text[at:])

	// fencedCodes is the code of b fenced, each block at indent.
	fencedCodes := func(b block, indent string) string {
		fenced := make([]string, len(b.codes))
		for i, c := range b.codes {
			fenced[i] = ingest.FenceCode(c, indent)
		}
		return strings.Join(fenced, "\n")
	}
	var out []quote
	sentences := func(s string) []string { return analyze.Sentences(strings.Join(strings.Fields(s), " ")) }
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		switch b.kind {
		case prose:
			sents := sentences(strings.Join(b.lines, " "))
			next := i + 1
			if len(sents) > 0 && next < len(blocks) && blocks[next].kind == code {
				// The paragraph before a code block says what the
				// code is for, whatever its punctuation.
				lead := sents[len(sents)-1:]
				if len(strings.Join(sents, " ")) <= maxCodeLeadIn {
					lead = sents
				}
				for _, s := range sents[:len(sents)-len(lead)] {
					out = append(out, quote{head: []string{s}})
				}
				out = append(out, quote{head: []string{strings.Join(lead, " ")}, code: fencedCodes(blocks[next], "")})
				i = next
				continue
			}
			if len(sents) > 0 && strings.HasSuffix(sents[len(sents)-1], ":") && next < len(blocks) && (blocks[next].kind == item || blocks[next].kind == row) {
				for _, s := range sents[:len(sents)-1] {
					out = append(out, quote{head: []string{s}})
				}
				q := quote{head: []string{sents[len(sents)-1]}}
				kind := blocks[next].kind
				if kind == row {
					q.head = append(q.head, blocks[next].lines[0])
					next++
				}
				for ; next < len(blocks) && blocks[next].kind == kind; next++ {
					if nb := blocks[next]; len(nb.codes) > 0 {
						// An item with code is quoted whole or not
						// at all.
						q.items = append(q.items, strings.Join(nb.lines, "\n")+"\n"+fencedCodes(nb, nb.indent))
						continue
					}
					q.items = append(q.items, blocks[next].lines...)
				}
				if !q.group() {
					q = quote{head: []string{strings.Join(q.head, " ")}}
				}
				out = append(out, q)
				i = next - 1
				continue
			}
			for _, s := range sents {
				out = append(out, quote{head: []string{s}})
			}
		case row:
			q := quote{head: b.lines}
			for i+1 < len(blocks) && blocks[i+1].kind == row {
				i++
				q.items = append(q.items, blocks[i].lines...)
			}
			if !q.group() {
				q = quote{head: []string{strings.Join(q.head, " ")}}
			}
			out = append(out, q)
		case item:
			// An item quoted on its own reads as a sentence, without
			// its marker; its last sentence introduces its code.
			var heads []string
			for j, s := range sentences(strings.Join(b.lines, " ")) {
				if j == 0 {
					s = strings.TrimSpace(s[itemMarkerLen(s):])
				}
				if s != "" {
					heads = append(heads, s)
				}
			}
			for j, s := range heads {
				q := quote{head: []string{s}}
				if j == len(heads)-1 && len(b.codes) > 0 {
					q.code = fencedCodes(b, "")
				}
				out = append(out, q)
			}
		case code:
			out = append(out, quote{code: fencedCodes(b, "")})
		}
	}
	return out
}

// cite returns a quote as the answer shows it, followed by its citation
// marker: bracketed numbers of the quote's own prose are dropped, so that
// none points at another source, and a marker after code goes on a line
// of its own, since a closing fence must stand alone.
func cite(quoted string, n int) string {
	quoted = strings.TrimSpace(outsideCode(quoted, dropMarkers))
	marker := fmt.Sprintf("[%d]", n)
	if blocks := ingest.CodeBlocks(quoted); len(blocks) > 0 && blocks[len(blocks)-1].End == len(quoted) {
		return quoted + "\n" + marker
	}
	return quoted + " " + marker
}

// outsideCode applies fn to the parts of text outside its code blocks,
// leaving the code as written.
func outsideCode(text string, fn func(string) string) string {
	blocks := ingest.CodeBlocks(text)
	if len(blocks) == 0 {
		return fn(text)
	}
	var b strings.Builder
	at := 0
	for _, cb := range blocks {
		b.WriteString(fn(text[at:cb.Start]))
		b.WriteString(text[cb.Start:cb.End])
		at = cb.End
	}
	b.WriteString(fn(text[at:]))
	return b.String()
}

// unfenced is text without the fence lines of its code blocks, for a
// snippet shown as a line of text.
func unfenced(text string) string {
	var b strings.Builder
	at := 0
	for _, cb := range ingest.CodeBlocks(text) {
		b.WriteString(text[at:cb.Start])
		b.WriteString(cb.Code)
		at = cb.End
	}
	b.WriteString(text[at:])
	return b.String()
}

// itemMarkerLen is the length of the list marker s starts with ("- ",
// "12. "), or 0.
func itemMarkerLen(s string) int {
	if !analyze.IsListItem(s) {
		return 0
	}
	return strings.IndexByte(s, ' ') + 1
}
