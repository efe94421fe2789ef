package ingest

import (
	"strings"
	"unicode/utf8"
)

// maxTextTitle is the longest first line of a plain text file taken as
// its title; a longer one is a sentence of the body, not a title.
const maxTextTitle = 80

// parseText reads a plain text file. Its first non-empty line is the title
// when short; paragraphs are separated by blank lines. The whole text,
// title line included, stays in the chunks: a plain file cannot say
// whether its first line is a heading or the start of the body.
func parseText(src string) document {
	var doc document
	for line := range strings.SplitSeq(src, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if utf8.RuneCountInString(line) <= maxTextTitle {
				doc.title = collapseSpace(line)
			}
			break
		}
	}
	var out outline
	var para []string
	flush := func() {
		out.add(kindPara, strings.Join(para, ""))
		para = para[:0]
	}
	for line := range strings.SplitSeq(src, "\n") {
		line = collapseSpace(line)
		switch {
		case line == "":
			flush()
		case len(para) == 0:
			para = append(para, line)
		case startsListItem(line):
			// A list item keeps its own line.
			para = append(para, "\n"+line)
		default:
			// Hard-wrapped lines are one paragraph: rejoin them so
			// the text flows in a chat message.
			para = append(para, " "+line)
		}
	}
	flush()
	doc.sections = out.sections
	return doc
}

// startsListItem reports whether a line begins a bullet or numbered list
// item ("- ", "* ", "• ", "1. ", "2) ").
func startsListItem(line string) bool {
	for _, p := range []string{"- ", "* ", "+ ", "• "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}
