package ingest

import (
	"flag"
	"fmt"
	"strings"
	"testing"
)

// Parsing speed of Markdown known to make parsers slow, after cmark's
// test/pathological_tests.py, each input about -md-bytes long:
//
//	go test ./knowledge/ingest -run XXX -bench PathologicalMarkdown -benchtime 1x
//	go test ./knowledge/ingest -run XXX -bench PathologicalMarkdown -benchtime 1x -args -md-bytes 10485760
//
// Before the nesting and inline bounds (mdbounds.go), 100 KB of the worst
// took 40 s to 53 s, and the time grew with the square of the size.
func BenchmarkParsePathologicalMarkdown(b *testing.B) {
	for _, c := range pathologicalMarkdown {
		data := []byte(c.gen(*mdBytes))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Parse("slow.md", data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var mdBytes = flag.Int("md-bytes", 1<<20, "size of each input of BenchmarkParsePathologicalMarkdown")

// justUnderBudget repeats unit into paragraphs as long as the inline
// bound lets through, one after another up to n bytes: the most inline
// work a file of n bytes can still ask for.
func justUnderBudget(unit string) func(n int) string {
	return func(n int) string {
		marks := 0
		for i := range len(unit) {
			if blockMarks[unit[i]] {
				marks++
			}
		}
		k := 1
		for (k+1)*len(unit)*(k+1)*marks <= maxInlineWork {
			k++
		}
		para := strings.Repeat(unit, k) + "\n\n"
		return strings.Repeat(para, max(1, n/len(para)))
	}
}

var pathologicalMarkdown = []struct {
	name string
	gen  func(n int) string
}{
	{"nested-quotes", func(n int) string { return strings.Repeat(">", n) + " a" }},
	{"nested-quotes-spaced", func(n int) string { return strings.Repeat("> ", n/2) + "a" }},
	{"nested-lists-one-line", func(n int) string { return strings.Repeat("- ", n/2) + "a" }},
	{"nested-ordered-one-line", func(n int) string { return strings.Repeat("1. ", n/3) + "a" }},
	{"quote-list-one-line", func(n int) string { return strings.Repeat("> - ", n/4) + "a" }},
	{"nested-lists-indented", func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n; i++ {
			b.WriteString(strings.Repeat("  ", i) + "* a\n")
		}
		return b.String()
	}},
	{"nested-quotes-lines", func(n int) string {
		var b strings.Builder
		for i := 1; b.Len() < n; i++ {
			b.WriteString(strings.Repeat(">", i) + " a\n")
		}
		return b.String()
	}},
	{"nested-brackets", func(n int) string { return strings.Repeat("[", n/2) + "a" + strings.Repeat("]", n/2) }},
	{"open-brackets", func(n int) string { return strings.Repeat("[", n) + "a" }},
	{"link-openers-no-closers", func(n int) string { return strings.Repeat("[a", n/2) }},
	{"link-closers-no-openers", func(n int) string { return strings.Repeat("a]", n/2) }},
	{"bracket-paren", func(n int) string { return strings.Repeat("[ (](", n/5) }},
	{"image-brackets", func(n int) string { return strings.Repeat("![[]()", n/6) }},
	{"unclosed-links-a", func(n int) string { return strings.Repeat("[a](<b", n/6) }},
	{"unclosed-links-b", func(n int) string { return strings.Repeat("[a](b", n/5) }},
	{"unclosed-link-lines", func(n int) string { return strings.Repeat("[a](\n", n/5) }},
	{"nested-strong-emph", func(n int) string { return strings.Repeat("*a **a ", n/14) + "b" + strings.Repeat(" a** a*", n/14) }},
	{"emph-closers-no-openers", func(n int) string { return strings.Repeat("a_ ", n/3) }},
	{"emph-openers-no-closers", func(n int) string { return strings.Repeat("_a ", n/3) }},
	{"mismatched-emph", func(n int) string { return strings.Repeat("*a_ ", n/4) }},
	{"emph-multiple-of-3", func(n int) string { return "a**b" + strings.Repeat("c* ", n/3) }},
	{"link-openers-emph-closers", func(n int) string { return strings.Repeat("[ a_", n/4) }},
	{"strikethrough-openers", func(n int) string { return strings.Repeat("~a ", n/3) }},
	{"backticks", func(n int) string {
		var b strings.Builder
		for i := 1; b.Len() < n; i++ {
			b.WriteString("e" + strings.Repeat("`", i))
		}
		return b.String()
	}},
	{"html-openers", func(n int) string { return strings.Repeat("<a>", n/3) }},
	{"html-empty-tags", func(n int) string { return strings.Repeat("<>", n/2) }},
	{"html-comments-unclosed", func(n int) string { return "</" + strings.Repeat("<!--", n/4) }},
	{"html-processing", func(n int) string { return strings.Repeat("x<?", n/3) }},
	{"html-cdata", func(n int) string { return strings.Repeat("x<![CDATA[", n/10) }},
	{"html-declarations", func(n int) string { return strings.Repeat("x<!A", n/4) }},
	{"autolink-openers", func(n int) string { return strings.Repeat("<http://a", n/9) }},
	{"linkify", func(n int) string { return strings.Repeat("www.a http://a a@b ", n/19) }},
	{"backslashes", func(n int) string { return strings.Repeat("\\", n) }},
	{"entities", func(n int) string { return strings.Repeat("&#", n/2) }},
	{"many-references", func(n int) string {
		var b strings.Builder
		for i := 0; b.Len() < n*3/4; i++ {
			fmt.Fprintf(&b, "[%d]: u\n", i)
		}
		for b.Len() < n {
			b.WriteString("[0] ")
		}
		return b.String()
	}},
	{"reference-label-openers", func(n int) string { return strings.Repeat("[a]:\n", n/5) }},
	{"table-columns", func(n int) string {
		return "|" + strings.Repeat("a|", n/4) + "\n|" + strings.Repeat("-|", n/4) + "\n"
	}},
	{"table-rows", func(n int) string {
		var b strings.Builder
		b.WriteString("| a | b |\n|---|---|\n")
		for b.Len() < n {
			b.WriteString("| [a](b | *c |\n")
		}
		return b.String()
	}},
	{"heading-brackets", func(n int) string { return "# " + strings.Repeat("[ (](", n/5) }},
	{"setext-heading-brackets", func(n int) string { return strings.Repeat("[ (](", n/5) + "\n===\n" }},
	{"list-item-brackets", func(n int) string { return "- " + strings.Repeat("[ (](", n/5) }},
	{"quote-brackets", func(n int) string { return "> " + strings.Repeat("[ (](", n/5) }},
	{"paragraphs-under-bound-links", justUnderBudget("[a](b")},
	{"paragraphs-under-bound-brackets", justUnderBudget("[ (](")},
	{"paragraphs-under-bound-emphasis", justUnderBudget("*a_ ")},
	{"paragraphs-under-bound-backticks", justUnderBudget("`a ``")},
	{"paragraphs-under-bound-html", justUnderBudget("<a>")},
	{"long-lines-of-text", func(n int) string {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString("Annual leave is 27 days, [see the policy](https://example.com/leave) and *ask* your manager. ")
		}
		return b.String()
	}},
}
