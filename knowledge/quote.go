package knowledge

import (
	"strings"

	"github.com/lorehq/lore/knowledge/analyze"
)

// maxQuotedItems is the most items or rows of a list or table an answer
// quotes, so that it stays a chat message and not a page.
const maxQuotedItems = 12

// quote is what an extractive answer may quote of a passage: one
// sentence, or a list or table whole with the sentence that introduces it
// ("Your laptop must:"), since either one alone says little. A table
// without such a sentence is quoted with its header row.
type quote struct {
	// head is the sentence, or the lead-in and a table's header row,
	// which are always quoted; items are the list's items (nested ones
	// indented) or the table's rows, one a line.
	head  []string
	items []string
}

// group reports whether q is a list or table, quoted on lines of its own.
func (q quote) group() bool { return len(q.items) > 0 }

// text is all of q.
func (q quote) text() string {
	return strings.Join(append(append([]string(nil), q.head...), q.items...), "\n")
}

// fit returns q as quoted in at most room bytes, or "" when it does not
// fit. A list or table that does not fit keeps its lead-in and the items
// it has room for, those with words of the question first, in their
// order, with "…" on a line where items are left out. When first is set
// (nothing is quoted yet, so q must be quoted somehow) a sentence, or a
// lead-in, that does not fit is cut.
func (q quote) fit(room int, qterms map[string]struct{}, first bool) string {
	if full := q.text(); len(full) <= room && len(q.items) <= maxQuotedItems {
		return full
	}
	cut := func() string {
		if !first {
			return ""
		}
		return truncate(strings.Join(q.head, " "), room)
	}
	if !q.group() {
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
// items on lines of their own ("- ", "1. ", nested ones indented) and a
// table's rows as cells joined by " | ".
func quotes(text string) []quote {
	lines := strings.Split(text, "\n")
	isRow := func(i int) bool {
		if i < 0 || i >= len(lines) {
			return false
		}
		return strings.Contains(lines[i], " | ") &&
			(i > 0 && strings.Contains(lines[i-1], " | ") || i+1 < len(lines) && strings.Contains(lines[i+1], " | "))
	}
	const (
		prose = iota
		item
		row
	)
	type block struct {
		kind  int
		lines []string
	}
	var blocks []block
	cur := -1 // index in blocks of the block a line may continue
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			cur = -1
		case isRow(i):
			blocks = append(blocks, block{row, []string{trimmed}})
			cur = -1
		case analyze.IsListItem(trimmed):
			blocks = append(blocks, block{item, []string{strings.TrimRight(line, " \t")}})
			cur = len(blocks) - 1
		case cur >= 0 && !strings.HasPrefix(trimmed, "#") && !strings.HasPrefix(trimmed, "|"):
			// Lines starting so begin a sentence of their own, as
			// analyze.Sentences reads them.
			blocks[cur].lines = append(blocks[cur].lines, strings.TrimRight(line, " \t"))
		default:
			blocks = append(blocks, block{prose, []string{trimmed}})
			cur = len(blocks) - 1
		}
	}

	var out []quote
	sentences := func(s string) []string { return analyze.Sentences(strings.Join(strings.Fields(s), " ")) }
	for i := 0; i < len(blocks); i++ {
		b := blocks[i]
		switch b.kind {
		case prose:
			sents := sentences(strings.Join(b.lines, " "))
			next := i + 1
			if len(sents) > 0 && strings.HasSuffix(sents[len(sents)-1], ":") && next < len(blocks) && blocks[next].kind != prose {
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
			// its marker.
			for j, s := range sentences(strings.Join(b.lines, " ")) {
				if j == 0 {
					s = strings.TrimSpace(s[itemMarkerLen(s):])
				}
				if s != "" {
					out = append(out, quote{head: []string{s}})
				}
			}
		}
	}
	return out
}

// itemMarkerLen is the length of the list marker s starts with ("- ",
// "12. "), or 0.
func itemMarkerLen(s string) int {
	if !analyze.IsListItem(s) {
		return 0
	}
	return strings.IndexByte(s, ' ') + 1
}
