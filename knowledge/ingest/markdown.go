package ingest

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// parseMarkdown reads front matter, then renders the Markdown body block by
// block into sections along its headings.
func parseMarkdown(name, src string) (document, error) {
	var doc document
	yamlText, body, ok, err := splitFrontMatter(name, src)
	if err != nil {
		return doc, err
	}
	if ok {
		fm, err := parseFrontMatter(name, yamlText)
		if err != nil {
			return doc, err
		}
		doc.title, doc.tags, doc.owner, doc.reviewBy = fm.title, fm.tags, fm.owner, fm.reviewBy
	}

	source := []byte(body)
	root := markdownParser.Parse(text.NewReader(source))
	r := mdRenderer{src: source}

	h1s := 0
	firstH1 := ""
	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok && h.Level == 1 {
			if h1s == 0 {
				firstH1 = r.inline(h)
			}
			h1s++
		}
	}
	if doc.title == "" {
		doc.title = firstH1
	}
	r.out.dropH1 = h1s == 1

	for n := root.FirstChild(); n != nil; n = n.NextSibling() {
		if h, ok := n.(*ast.Heading); ok {
			r.out.heading(h.Level, r.inline(h))
			continue
		}
		r.block(n, "")
	}
	doc.sections = r.out.sections
	return doc, nil
}

// mdRenderer turns a goldmark tree into readable blocks.
type mdRenderer struct {
	src []byte
	out outline
}

// block renders one block node. indent is the leading white space of
// blocks nested in list items, so nested lists keep their shape.
func (r *mdRenderer) block(n ast.Node, indent string) {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *asWritten:
		r.out.add(kindPara, indentLines(r.inline(n), indent))
	case *ast.Heading:
		// A heading nested in a list or quote cannot open a section of
		// the outline; keep its words as a paragraph.
		r.out.add(kindPara, indentLines(r.inline(n), indent))
	case *ast.List:
		if indent == "" {
			r.out.startGroup()
		}
		number := n.Start
		inner := indent
		if len(indent) < 2*maxListIndent {
			inner += "  "
		}
		for item := n.FirstChild(); item != nil; item = item.NextSibling() {
			marker := "- "
			if n.IsOrdered() {
				// Ordered lists keep their numbers: steps of a
				// procedure are read in order.
				marker = fmt.Sprintf("%d. ", number)
				number++
			}
			r.listItem(item, indent, inner, marker)
		}
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		r.out.addCode(indent, r.lines(n))
	case *ast.HTMLBlock:
		if n.HTMLBlockType == ast.HTMLBlockType2 {
			return
		}
		raw := r.lines(n)
		if n.HasClosure() {
			raw += string(n.ClosureLine.Value(r.src))
		}
		for _, b := range htmlFragmentBlocks(raw) {
			if b.newGroup {
				r.out.startGroup()
			}
			if b.kind == kindCode {
				r.out.addCode(indent+b.indent, b.text)
				continue
			}
			r.out.add(b.kind, indentLines(b.text, indent))
		}
	case *ast.ThematicBreak:
	case *east.Table:
		r.out.startGroup()
		for row := n.FirstChild(); row != nil; row = row.NextSibling() {
			var cells []string
			for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
				cells = append(cells, collapseSpace(r.inline(cell)))
			}
			r.out.add(kindLine, indent+strings.Join(cells, " | "))
		}
	default:
		// Block quotes, definition lists and blocks of extensions:
		// render what they contain.
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			r.block(c, indent)
		}
	}
}

// maxListIndent is the deepest list nesting shown by indentation; deeper
// items line up with it. Real documents nest a few levels, and unbounded
// indentation would make pathological input quadratic in size.
const maxListIndent = 8

// listItem renders an item as "- text" (or "1. text"); later paragraphs
// and nested lists of the item are indented beneath it, by inner.
func (r *mdRenderer) listItem(item ast.Node, indent, inner, marker string) {
	c := item.FirstChild()
	if c == nil {
		return
	}
	switch c.(type) {
	case *ast.Paragraph, *ast.TextBlock, *asWritten:
		text := strings.ReplaceAll(r.inline(c), "\n", "\n"+inner)
		r.out.add(kindLine, indent+marker+text)
		c = c.NextSibling()
	}
	for ; c != nil; c = c.NextSibling() {
		switch c.(type) {
		case *ast.Paragraph, *ast.TextBlock, *asWritten:
			r.out.add(kindLine, indentLines(r.inline(c), inner))
		default:
			r.block(c, inner)
		}
	}
}

// lines returns the raw text of a code or HTML block.
func (r *mdRenderer) lines(n ast.Node) string {
	var b strings.Builder
	lines := n.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		b.Write(seg.Value(r.src))
	}
	return b.String()
}

// inline renders the inline content of n as plain text: emphasis marks
// and URL syntax go, link text stays, images and raw HTML are dropped.
// Each line is collapsed to single spaces; hard line breaks are kept.
func (r *mdRenderer) inline(n ast.Node) string {
	var b strings.Builder
	r.inlineTo(&b, n)
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = collapseSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func (r *mdRenderer) inlineTo(b *strings.Builder, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Value(r.src)
			if !c.IsRaw() {
				v = unescapeMarkdown(v)
			}
			b.Write(v)
			switch {
			case c.HardLineBreak():
				b.WriteByte('\n')
			case c.SoftLineBreak():
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.CodeSpan:
			// The text of a code span is raw: no escapes to resolve.
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if t, ok := t.(*ast.Text); ok {
					b.Write(t.Value(r.src))
				}
			}
		case *ast.Link:
			var label strings.Builder
			r.inlineTo(&label, c)
			b.WriteString(linkText(label.String(), string(c.Destination)))
		case *ast.AutoLink:
			b.Write(c.Label(r.src))
		case *ast.Image, *ast.RawHTML, *east.FootnoteLink, *east.FootnoteBacklink:
			// Images cannot be shown in a chat message, raw HTML is
			// markup, not text, and a footnote's number and back link
			// point at nothing in a quoted sentence.
		case *east.TaskCheckBox:
			if c.IsChecked {
				b.WriteString("[x] ")
			} else {
				b.WriteString("[ ] ")
			}
		default:
			r.inlineTo(b, c)
		}
	}
}

// unescapeMarkdown resolves backslash escapes and character references,
// which goldmark leaves in text for its HTML writer to resolve.
func unescapeMarkdown(v []byte) []byte {
	if bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, '&') < 0 {
		return v
	}
	v = util.ResolveNumericReferences(v)
	v = util.ResolveEntityNames(v)
	return util.UnescapePunctuations(v)
}

// linkText renders a link for a chat message: its text, followed by the
// URL in brackets when linkURL says it is worth showing. A link without
// text (usually a badge or logo image) is dropped with its image.
func linkText(label, dest string) string {
	label = strings.TrimSpace(label)
	if label == "" {
		return ""
	}
	if shown := linkURL(label, dest); shown != "" {
		return label + " (" + shown + ")"
	}
	return label
}

// linkURL returns the URL of a link to show after its text, or "" when
// there is none worth showing: a relative link means nothing outside the
// site it came from, and a URL that is its own label needs no repeat.
// A mailto link shows the bare address.
func linkURL(label, dest string) string {
	u, err := url.Parse(strings.TrimSpace(dest))
	if err != nil || !(u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "mailto") {
		return ""
	}
	shown := u.String()
	if u.Scheme == "mailto" {
		shown = u.Opaque
	}
	if shown == "" || label == shown || label == dest {
		return ""
	}
	return shown
}

// indentLines puts indent before every line of s.
func indentLines(s, indent string) string {
	if indent == "" {
		return s
	}
	return indent + strings.ReplaceAll(s, "\n", "\n"+indent)
}
