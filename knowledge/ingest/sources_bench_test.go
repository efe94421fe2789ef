package ingest

import (
	"fmt"
	"strings"
	"testing"
)

// Parsing speed of the source formats, per document, so that a sync's cost
// can be told from its fetching: go test -bench 'Parse(PDF|WebPage|Feed)' ./knowledge/ingest
func BenchmarkParsePDF(b *testing.B) {
	var pages [][]string
	for p := range 20 {
		var lines []string
		for l := range 40 {
			lines = append(lines, fmt.Sprintf("Line %d of page %d: expense claims need a receipt and a manager's approval.", l, p))
		}
		pages = append(pages, lines)
	}
	data := makePDF("Twenty pages", pages...)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParsePDF("bench.pdf", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseWebPage(b *testing.B) {
	data := readTestdata(b, "page.html")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseWebPage("https://intranet.example/hr/remote-work", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseFeed(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>`)
	for i := range 100 {
		fmt.Fprintf(&sb, `<item><title>Post %d</title><link>https://blog.example/%d</link><description>&lt;p&gt;Post %d explains the expense policy and the approval rules.&lt;/p&gt;</description></item>`, i, i, i)
	}
	sb.WriteString("</channel></rss>")
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseFeed("https://blog.example/feed", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
