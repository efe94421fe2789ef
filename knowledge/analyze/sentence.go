package analyze

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentences splits text into sentences. A sentence ends at '.', '!' or '?'
// followed by white space and an upper-case letter, digit or opening
// punctuation, at a full-width '。', '！' or '？' (Chinese, Japanese), or at
// a blank line or a list item. Common abbreviations
// ("e.g.", "Dr.") and decimals do not end a sentence. The sentences are
// trimmed and returned in order; joined with spaces they hold every word of
// text.
func Sentences(text string) []string {
	var out []string
	for _, block := range splitBlocks(text) {
		out = append(out, splitBlock(block)...)
	}
	return out
}

// splitBlocks cuts text at blank lines and before list items and headings,
// which end a sentence whatever their punctuation.
func splitBlocks(text string) []string {
	var blocks []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			blocks = append(blocks, s)
		}
		cur.Reset()
	}
	for line := range strings.SplitSeq(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || isListItem(trimmed) || strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, "|") {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(trimmed)
	}
	flush()
	return blocks
}

func isListItem(line string) bool {
	if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "+ ") {
		return true
	}
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i < len(line)-1 && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

var abbreviations = map[string]bool{
	"e.g": true, "i.e": true, "etc": true, "vs": true, "mr": true, "mrs": true, "ms": true,
	"dr": true, "prof": true, "inc": true, "ltd": true, "no": true, "approx": true, "st": true,
	"fig": true, "al": true, "cf": true, "jan": true, "feb": true, "mar": true, "apr": true,
	"jun": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
}

func splitBlock(block string) []string {
	var out []string
	start := 0
	for i := 0; i < len(block); i++ {
		c := block[i]
		if c >= utf8.RuneSelf {
			// Chinese and Japanese end a sentence with a full-width stop,
			// and no space follows it.
			if n := fullWidthEnd(block[i:]); n > 0 {
				end := i + n
				for end < len(block) && strings.ContainsRune("」』）”’", firstRune(block[end:])) {
					end += len(string(firstRune(block[end:])))
				}
				if s := strings.TrimSpace(block[start:end]); s != "" {
					out = append(out, s)
				}
				start = end
				i = end - 1
			}
			continue
		}
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		// Swallow runs like "?!" or "..." and closing quotes or brackets.
		end := i + 1
		for end < len(block) && strings.IndexByte(".!?\"')]”’", block[end]) >= 0 {
			end++
		}
		if end >= len(block) {
			break
		}
		if block[end] != ' ' {
			i = end - 1
			continue
		}
		next := end
		for next < len(block) && block[next] == ' ' {
			next++
		}
		if next >= len(block) {
			break
		}
		r, _ := utf8.DecodeRuneInString(block[next:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"'(“‘[*_`", r)) {
			i = end - 1
			continue
		}
		if c == '.' && isAbbreviation(block[start:i]) {
			i = end - 1
			continue
		}
		if s := strings.TrimSpace(block[start:end]); s != "" {
			out = append(out, s)
		}
		start = next
		i = next - 1
	}
	if s := strings.TrimSpace(block[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// fullWidthEnd returns the length of the full-width full stop,
// exclamation or question mark s starts with, or 0.
func fullWidthEnd(s string) int {
	for _, mark := range []string{"。", "！", "？"} {
		if strings.HasPrefix(s, mark) {
			return len(mark)
		}
	}
	return 0
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// isAbbreviation reports whether the text before a full stop ends with a
// known abbreviation or a single letter (an initial).
func isAbbreviation(before string) bool {
	j := strings.LastIndexAny(before, " (\"")
	word := strings.ToLower(before[j+1:])
	if utf8.RuneCountInString(word) == 1 {
		return true
	}
	return abbreviations[word]
}

// IsListItem reports whether a line, without its indentation, is an item
// of a list as documents are stored: "- text", "* text", "+ text", "1. text"
// or "1) text".
func IsListItem(line string) bool { return isListItem(line) }
