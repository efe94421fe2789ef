package ingest

import (
	"strings"
	"unicode/utf8"

	"github.com/lorehq/lore/knowledge/analyze"
)

// blockKind says how a block joins the block before it and how it may be
// cut when it is too long for one chunk.
type blockKind int

const (
	// kindPara is a paragraph: set apart by a blank line, cut at
	// sentences.
	kindPara blockKind = iota
	// kindLine is a list item or table row: one line each, so a list
	// stays a list, cut at sentences.
	kindLine
	// kindCode is preformatted text: set apart by a blank line, fenced
	// (see CodeBlocks), cut at line ends so its layout survives.
	kindCode
)

// block is one paragraph, list item, table row or code block of a
// section, already rendered as readable text.
type block struct {
	kind blockKind
	text string
	// newGroup marks the first line of a list or table, which is set
	// apart from a list or table just before it.
	newGroup bool
	// indent is a code block's indentation, which its fences take too;
	// the text of a code block is the code as written.
	indent string
}

// section is the text under one heading.
type section struct {
	path   []string
	blocks []block
}

// outline collects the sections of a document as its headings and blocks
// are met in reading order.
type outline struct {
	// dropH1 leaves level-1 headings out of heading paths; it is set
	// when a document has exactly one H1, which is then its title.
	dropH1   bool
	stack    []outlineHeading
	sections []section
	// groupStart marks the next block as the start of a list or table.
	groupStart bool
}

type outlineHeading struct {
	level int
	text  string
}

// heading opens a new section under the heading at level (1 to 6).
func (o *outline) heading(level int, text string) {
	for len(o.stack) > 0 && o.stack[len(o.stack)-1].level >= level {
		o.stack = o.stack[:len(o.stack)-1]
	}
	if level == 1 && o.dropH1 {
		text = ""
	}
	// Every chunk of the section carries its heading path: a heading
	// as long as a page would be repeated in each.
	text = clipRunes(text, maxHeadingChars)
	o.stack = append(o.stack, outlineHeading{level: level, text: text})
	var path []string
	for _, h := range o.stack {
		if h.text != "" {
			path = append(path, h.text)
		}
	}
	o.sections = append(o.sections, section{path: path})
}

// startGroup says that the next block starts a new list or table.
func (o *outline) startGroup() {
	o.groupStart = true
}

// add appends a block to the current section; blank blocks are dropped.
func (o *outline) add(kind blockKind, text string) {
	// Leading spaces stay: they are the indentation of nested list
	// items and code.
	o.addBlock(block{kind: kind, text: text})
}

// addCode appends a code block, each of its lines indented by indent;
// a blank one is dropped.
func (o *outline) addCode(indent, code string) {
	o.addBlock(block{kind: kindCode, text: code, indent: indent})
}

func (o *outline) addBlock(b block) {
	b.text = strings.TrimRight(strings.TrimLeft(b.text, "\n"), " \t\n")
	if strings.TrimSpace(b.text) == "" {
		return
	}
	if len(o.sections) == 0 {
		o.sections = append(o.sections, section{})
	}
	s := &o.sections[len(o.sections)-1]
	b.newGroup = o.groupStart
	s.blocks = append(s.blocks, b)
	o.groupStart = false
}

// unit is a piece of a block that chunking never cuts; sep joins it to
// the unit before it in the same chunk.
type unit struct {
	text string
	sep  string
	n    int // length in characters
	// part is set on the lines of a code block too long for one chunk:
	// the lines of it a chunk holds are fenced there as a part.
	part *codeFence
}

// cost is what u adds to a chunk after prev (nil when u starts the
// chunk): its separator, its text, and fences when it starts a part.
func (u *unit) cost(prev *unit) int {
	n := u.n
	if prev != nil {
		n += len(u.sep)
	}
	if u.part != nil && (prev == nil || prev.part != u.part) {
		n += u.part.overhead()
	}
	return n
}

// chunkSections cuts every non-empty section into Pieces of at most
// opts.MaxChunkChars characters. Sections are never merged, so each
// Piece has exactly one heading path.
func chunkSections(sections []section, opts Options) []Piece {
	var pieces []Piece
	for _, s := range sections {
		units := sectionUnits(s.blocks, opts.MaxChunkChars)
		if len(units) == 0 {
			continue
		}
		heading := strings.Join(s.path, " > ")
		for _, text := range packUnits(units, opts) {
			pieces = append(pieces, Piece{Heading: heading, Text: text})
		}
	}
	return pieces
}

// sectionUnits turns blocks into units no longer than limit. A block that
// fits is one unit; a longer one is cut at sentences (code at lines, into
// parts fenced on their own), then at words, then, for a single word over
// the limit, at characters.
func sectionUnits(blocks []block, limit int) []unit {
	var units []unit
	for i, b := range blocks {
		sep := "\n\n"
		if i == 0 {
			sep = ""
		} else if b.kind == kindLine && blocks[i-1].kind == kindLine && !b.newGroup {
			sep = "\n"
		}
		if b.kind == kindCode {
			code := codeUnits(b.text, b.indent, limit)
			code[0].sep = sep
			units = append(units, code...)
			continue
		}
		inner := " "
		var parts []string
		switch {
		case utf8.RuneCountInString(b.text) <= limit:
			parts = []string{b.text}
		default:
			parts = splitProse(b.text, limit)
		}
		for j, p := range parts {
			u := unit{text: p, sep: sep, n: utf8.RuneCountInString(p)}
			if j > 0 {
				u.sep = inner
			}
			units = append(units, u)
		}
	}
	return units
}

// splitProse cuts text at sentence ends into parts of at most limit
// characters, falling back to word and then character cuts for a single
// sentence that does not fit.
func splitProse(text string, limit int) []string {
	var parts []string
	for _, s := range analyze.Sentences(text) {
		if utf8.RuneCountInString(s) <= limit {
			parts = append(parts, s)
			continue
		}
		parts = append(parts, packWords(strings.Fields(s), " ", limit)...)
	}
	return parts
}

// splitCode cuts preformatted text at line ends, keeping each line's
// indentation; a line over the limit is cut at words.
func splitCode(text string, limit int) []string {
	var parts []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		if utf8.RuneCountInString(line) <= limit {
			parts = append(parts, line)
			continue
		}
		parts = append(parts, packWords(strings.Fields(line), " ", limit)...)
	}
	return parts
}

// packWords joins words with sep into strings of at most limit
// characters; a word longer than limit is cut into limit-sized runs.
func packWords(words []string, sep string, limit int) []string {
	var out []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, w := range words {
		wl := utf8.RuneCountInString(w)
		if wl > limit {
			flush()
			out = append(out, cutRunes(w, limit)...)
			continue
		}
		if curLen > 0 && curLen+len(sep)+wl > limit {
			flush()
		}
		if curLen > 0 {
			cur.WriteString(sep)
			curLen += len(sep)
		}
		cur.WriteString(w)
		curLen += wl
	}
	flush()
	return out
}

// cutRunes cuts s into runs of at most limit characters, never inside a
// UTF-8 sequence.
func cutRunes(s string, limit int) []string {
	var out []string
	for s != "" {
		i, n := 0, 0
		for i < len(s) && n < limit {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			n++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return out
}

// packUnits fills chunks greedily with whole units up to MaxChunkChars.
// If that leaves a last chunk under MinChunkChars, units move back into it
// from the chunk before while both stay within limits, so a section does
// not end in a scrap of a sentence.
func packUnits(units []unit, opts Options) []string {
	// starts[i] is the index of the first unit of chunk i.
	starts := []int{0}
	size := units[0].cost(nil)
	for i := 1; i < len(units); i++ {
		if add := units[i].cost(&units[i-1]); size+add <= opts.MaxChunkChars {
			size += add
			continue
		}
		starts = append(starts, i)
		size = units[i].cost(nil)
	}

	if k := len(starts); k >= 2 {
		prevStart, lastStart := starts[k-2], starts[k-1]
		for lastStart-prevStart > 1 {
			last := joinedLen(units[lastStart:])
			if last >= opts.MinChunkChars {
				break
			}
			moved := joinedLen(units[lastStart-1:])
			remaining := joinedLen(units[prevStart : lastStart-1])
			if moved > opts.MaxChunkChars || remaining < opts.MinChunkChars {
				break
			}
			lastStart--
		}
		starts[k-1] = lastStart
	}

	texts := make([]string, 0, len(starts))
	for i, start := range starts {
		end := len(units)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		texts = append(texts, joinUnits(units[start:end]))
	}
	return texts
}

// joinedLen is the length in characters of joinUnits(units).
func joinedLen(units []unit) int {
	n := 0
	for i := range units {
		var prev *unit
		if i > 0 {
			prev = &units[i-1]
		}
		n += units[i].cost(prev)
	}
	return n
}

// joinUnits joins units into a chunk's text, fencing each run of lines of
// a long code block as a part.
func joinUnits(units []unit) string {
	var b strings.Builder
	for i, u := range units {
		var prev *unit
		if i > 0 {
			prev = &units[i-1]
			if prev.part != nil && prev.part != u.part {
				b.WriteString("\n" + prev.part.close)
			}
			b.WriteString(u.sep)
		}
		if u.part != nil && (prev == nil || prev.part != u.part) {
			b.WriteString(u.part.open + "\n")
		}
		b.WriteString(u.text)
	}
	if last := units[len(units)-1]; last.part != nil {
		b.WriteString("\n" + last.part.close)
	}
	return b.String()
}
