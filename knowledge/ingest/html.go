package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ignoredElements hold page furniture (menus, banners, scripts, forms) or
// media, none of which is knowledge to quote.
var ignoredElements = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Nav: true,
	atom.Header: true, atom.Footer: true, atom.Aside: true, atom.Noscript: true,
	atom.Form: true, atom.Template: true, atom.Svg: true, atom.Math: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Canvas: true,
	atom.Video: true, atom.Audio: true, atom.Img: true, atom.Picture: true,
	atom.Select: true, atom.Button: true, atom.Dialog: true,
}

// blockElements end the paragraph before them and start a new one.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Blockquote: true, atom.Body: true,
	atom.Caption: true, atom.Center: true, atom.Dd: true, atom.Details: true,
	atom.Div: true, atom.Dl: true, atom.Dt: true, atom.Fieldset: true,
	atom.Figcaption: true, atom.Figure: true, atom.Hgroup: true, atom.Hr: true,
	atom.Html: true, atom.Legend: true, atom.Main: true, atom.P: true,
	atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true,
}

var headingLevels = map[atom.Atom]int{
	atom.H1: 1, atom.H2: 2, atom.H3: 3, atom.H4: 4, atom.H5: 5, atom.H6: 6,
}

// parseHTML reads a page: its title from <title> (else the first <h1>),
// its sections along h1–h6.
func parseHTML(name, src string) (document, error) {
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// The parser refuses pages nested more than 512 elements deep.
		return document{}, fmt.Errorf("%s: %w", name, err)
	}
	var doc document
	if t := findElement(root, atom.Title, false); t != nil {
		doc.title = collapseSpace(nodeText(t, false))
	}
	h1s := countElements(root, atom.H1)
	if doc.title == "" {
		if h := findElement(root, atom.H1, true); h != nil {
			doc.title = collapseSpace(nodeText(h, false))
		}
	}
	e := htmlExtractor{headings: true}
	e.out.dropH1 = h1s == 1
	e.walk(root)
	e.flush()
	doc.sections = e.out.sections
	return doc, nil
}

// htmlFragmentBlocks renders an HTML block found inside Markdown. Its
// headings stay paragraphs: the Markdown outline owns the sections.
func htmlFragmentBlocks(src string) []block {
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(src), body)
	if err != nil {
		// Only markup nested hundreds of elements deep fails; such a
		// block is not prose worth keeping.
		return nil
	}
	var e htmlExtractor
	for _, n := range nodes {
		e.walk(n)
	}
	e.flush()
	var blocks []block
	for _, s := range e.out.sections {
		blocks = append(blocks, s.blocks...)
	}
	return blocks
}

// htmlExtractor walks a parsed page, gathering inline text into buf and
// emitting it as a block whenever a block element starts or ends.
type htmlExtractor struct {
	out outline
	// headings makes h1–h6 open sections; otherwise their text is kept
	// as a paragraph.
	headings bool
	buf      strings.Builder
	lists    []htmlList
	// items holds, for each open <li>, the indentation of its
	// continuation lines; pending is the marker ("- ", "2. ") that the
	// item's first block still has to take.
	items   []string
	pending string
}

type htmlList struct {
	ordered bool
	next    int
}

func (e *htmlExtractor) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		e.write(n.Data)
		return
	case html.DocumentNode:
		e.children(n)
		return
	case html.ElementNode:
	default:
		return // comments and doctypes
	}
	if n.Namespace != "" || ignoredElements[n.DataAtom] {
		return
	}
	if level := headingLevels[n.DataAtom]; level > 0 {
		e.flush()
		text := collapseSpace(nodeText(n, false))
		if e.headings {
			e.out.heading(level, text)
		} else {
			e.out.add(kindPara, text)
		}
		return
	}
	switch n.DataAtom {
	case atom.Br:
		e.lineBreak()
	case atom.Pre:
		e.flush()
		e.out.addCode(e.indent(), nodeText(n, true))
	case atom.Tr:
		e.flush()
		var cells []string
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.DataAtom == atom.Td || c.DataAtom == atom.Th) {
				cells = append(cells, collapseSpace(nodeText(c, false)))
			}
		}
		e.out.add(kindLine, e.indent()+strings.Join(cells, " | "))
	case atom.Ul, atom.Ol:
		e.flush()
		if len(e.lists) == 0 {
			e.out.startGroup()
		}
		list := htmlList{ordered: n.DataAtom == atom.Ol, next: 1}
		if start, err := strconv.Atoi(attr(n, "start")); err == nil {
			list.next = start
		}
		e.lists = append(e.lists, list)
		e.children(n)
		e.flush()
		e.lists = e.lists[:len(e.lists)-1]
	case atom.Table:
		e.flush()
		e.out.startGroup()
		e.children(n)
		e.flush()
	case atom.Li:
		e.flush()
		indent := ""
		if len(e.lists) > 1 {
			indent = strings.Repeat("  ", min(len(e.lists)-1, maxListIndent))
		}
		marker := "- "
		if k := len(e.lists); k > 0 && e.lists[k-1].ordered {
			marker = strconv.Itoa(e.lists[k-1].next) + ". "
			e.lists[k-1].next++
		}
		e.items = append(e.items, indent+"  ")
		e.pending = indent + marker
		e.children(n)
		e.flush()
		e.items = e.items[:len(e.items)-1]
		e.pending = ""
	case atom.A:
		if isNoteRef(n) {
			return
		}
		start := e.buf.Len()
		e.children(n)
		if start > e.buf.Len() {
			start = 0 // a block inside the link flushed the text before it
		}
		label := collapseSpace(e.buf.String()[start:])
		// As in Markdown, a link without text (a logo) is dropped.
		if shown := linkURL(label, attr(n, "href")); shown != "" && label != "" {
			e.write(" (" + shown + ")")
		}
	default:
		if blockElements[n.DataAtom] {
			e.flush()
			e.children(n)
			e.flush()
			return
		}
		e.children(n)
	}
}

// isNoteRef reports whether a link is a footnote's number or its way
// back ("<a href="#fn1">1</a>", "[2]", "↩"), which would stick to the
// sentence quoted ("per month1") or point at nothing in it.
func isNoteRef(a *html.Node) bool {
	if !strings.HasPrefix(strings.TrimSpace(attr(a, "href")), "#") {
		return false
	}
	mark := strings.Trim(collapseSpace(nodeText(a, false)), "[]() ")
	if mark == "" || len(mark) > 8 {
		return false
	}
	for _, r := range mark {
		if !unicode.IsDigit(r) && !strings.ContainsRune("*†‡§↩↑^\ufe0e\ufe0f", r) {
			return false
		}
	}
	return true
}

func (e *htmlExtractor) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		e.walk(c)
	}
}

// write adds text with its white space turned into plain spaces; line
// breaks come only from <br>, and flush collapses the spaces.
func (e *htmlExtractor) write(s string) {
	e.buf.WriteString(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s))
}

func (e *htmlExtractor) lineBreak() {
	e.buf.WriteByte('\n')
}

// indent is the indentation of blocks inside the innermost open list item.
func (e *htmlExtractor) indent() string {
	if len(e.items) == 0 {
		return ""
	}
	return e.items[len(e.items)-1]
}

// flush emits the gathered inline text as a block: a paragraph, or a
// line of a list when inside a list item.
func (e *htmlExtractor) flush() {
	raw := e.buf.String()
	e.buf.Reset()
	var lines []string
	for l := range strings.SplitSeq(raw, "\n") {
		if l = collapseSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return
	}
	if len(e.items) == 0 {
		e.out.add(kindPara, strings.Join(lines, "\n"))
		return
	}
	cont := e.indent()
	prefix := e.pending
	if prefix == "" {
		prefix = cont
	}
	e.pending = ""
	e.out.add(kindLine, prefix+strings.Join(lines, "\n"+cont))
}

// nodeText returns the text under n, leaving out ignored elements. With
// raw, white space is kept as written and <br> is a line end (for <pre>);
// otherwise <br> is a space and the caller collapses white space.
func nodeText(n *html.Node, raw bool) string {
	var b strings.Builder
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				b.WriteString(c.Data)
			case html.ElementNode:
				switch {
				case c.DataAtom == atom.Br && raw:
					b.WriteByte('\n')
				case c.DataAtom == atom.Br:
					b.WriteByte(' ')
				case c.Namespace != "" || ignoredElements[c.DataAtom]:
				default:
					visit(c)
				}
			}
		}
	}
	visit(n)
	return b.String()
}

// findElement returns the first element of type a in document order.
// With visibleOnly, elements inside ignored ones are not looked at.
func findElement(n *html.Node, a atom.Atom, visibleOnly bool) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.DataAtom == a && c.Namespace == "" {
			return c
		}
		if visibleOnly && (c.Namespace != "" || ignoredElements[c.DataAtom]) {
			continue
		}
		if f := findElement(c, a, visibleOnly); f != nil {
			return f
		}
	}
	return nil
}

// countElements counts the visible elements of type a, stopping at two:
// callers only need to know whether there is exactly one.
func countElements(n *html.Node, a atom.Atom) int {
	count := 0
	var visit func(*html.Node)
	visit = func(n *html.Node) {
		for c := n.FirstChild; c != nil && count < 2; c = c.NextSibling {
			if c.Type != html.ElementNode || c.Namespace != "" || ignoredElements[c.DataAtom] {
				continue
			}
			if c.DataAtom == a {
				count++
				continue
			}
			visit(c)
		}
	}
	visit(n)
	return count
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val
		}
	}
	return ""
}
