package ingest

import (
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Goldmark's work grows with the square of some inputs: block quotes or
// lists nested thousands deep (">>>>…", "- - - …", or lines indented
// further and further), and long paragraphs full of brackets, backticks
// or emphasis marks that never pair up ("[a](b[a](b…"). A 100 KB line of
// ">" took 40 s, 10 MiB of it would take days, and nothing can interrupt
// the parser. The Markdown parser below is goldmark with two
// bounds, so that any file under the 10 MiB limit parses in seconds (see
// BenchmarkParsePathologicalMarkdown):
//
//   - block quotes and lists open at most maxNesting deep; a deeper
//     marker is read as text of the innermost block;
//   - a paragraph, heading or table row whose inline parsing could take
//     long (mdInlineWork) keeps its text as written, markup and all,
//     instead of being parsed for links and emphasis.
//
// Real documents stay well within both bounds.

// maxNesting is the deepest block quotes and lists are nested; real
// documents nest a handful of levels.
const maxNesting = 16

// maxInlineWork bounds the estimated work of parsing one block's inline
// markup: its length in bytes times the number of characters that make
// the inline parser look ahead or back. A 2 KB paragraph with 100 marks
// (some 40 links and a few emphases) is within it; a 10 MiB file of
// paragraphs each just within it still parses in about 10 s.
const maxInlineWork = 1 << 18

// inlineMarks are the characters that start inline markup whose end the
// parser searches for: link brackets, raw HTML and autolinks, code
// spans, emphasis and strikethrough.
const inlineMarks = "[]<`*_~"

// markdownParser reads CommonMark with the GitHub extensions curated
// handbooks commonly use (tables, task lists, strikethrough, bare links,
// footnotes),
// within the bounds above. Goldmark parsers are safe for concurrent use.
var markdownParser = newMarkdownParser()

func newMarkdownParser() parser.Parser {
	p := parser.NewParser(
		// parser.DefaultBlockParsers, with the nesting and heading
		// bounds.
		parser.WithBlockParsers(
			util.Prioritized(boundedHeading{parser.NewSetextHeadingParser()}, 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(shallow{parser.NewListParser()}, 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(boundedHeading{parser.NewATXHeadingParser()}, 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(shallow{parser.NewBlockquoteParser()}, 800),
			util.Prioritized(parser.NewHTMLBlockParser(), 900),
			util.Prioritized(shallow{extension.NewFootnoteBlockParser()}, 999),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(parser.DefaultInlineParsers()...),
		// Footnotes: a reference ("[^1]") is markup, not text, and the
		// notes are gathered at the end of the document.
		parser.WithInlineParsers(util.Prioritized(extension.NewFootnoteParser(), 101)),
		parser.WithASTTransformers(util.Prioritized(extension.NewFootnoteASTTransformer(), 999)),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
		// Transformers run from the highest priority down: rows are
		// checked before the table extension (200) splits a paragraph
		// into cells, and whole paragraphs after the table extension
		// and link reference definitions (100) have taken theirs.
		parser.WithParagraphTransformers(
			util.Prioritized(inlineBound{perLine: true}, 300),
			util.Prioritized(inlineBound{}, 50),
		),
	)
	return goldmark.New(goldmark.WithParser(p), goldmark.WithExtensions(extension.GFM)).Parser()
}

// shallow is a block quote or list parser that opens nothing nested more
// than maxNesting deep, so that the work per line stays bounded.
type shallow struct{ parser.BlockParser }

func (s shallow) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for n := parent; n != nil; n = n.Parent() {
		switch n.Kind() {
		case ast.KindBlockquote, ast.KindList, east.KindFootnote:
			depth++
		}
	}
	if depth >= maxNesting {
		return nil, parser.NoChildren
	}
	return s.BlockParser.Open(parent, reader, pc)
}

// boundedHeading is a heading parser whose headings keep their text as
// written when their inline markup would be costly to parse.
type boundedHeading struct{ parser.BlockParser }

func (h boundedHeading) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	h.BlockParser.Close(node, reader, pc)
	if node.Parent() != nil && mdInlineWork(reader.Source(), node.Lines(), &blockMarks) > maxInlineWork {
		keepAsWritten(node, reader.Source())
	}
}

// inlineBound keeps paragraphs as written when their inline markup
// would be costly to parse: with perLine, when one of its lines is (table
// separators counted, since a table splits every row into cells), else
// when the paragraph as a whole is.
type inlineBound struct{ perLine bool }

func (b inlineBound) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	src := reader.Source()
	lines := node.Lines()
	if b.perLine {
		for i := range lines.Len() {
			one := text.NewSegments()
			one.Append(lines.At(i))
			if mdInlineWork(src, one, &rowMarks) > maxInlineWork {
				paragraphAsWritten(node, src)
				return
			}
		}
		return
	}
	if mdInlineWork(src, lines, &blockMarks) > maxInlineWork {
		paragraphAsWritten(node, src)
	}
}

// mdInlineWork estimates the work of parsing the inline markup of lines:
// their length times the number of marks in them, since each mark may
// make the parser scan the rest of the block.
func mdInlineWork(src []byte, lines *text.Segments, marks *[256]bool) int {
	length, count := 0, 0
	for i := range lines.Len() {
		seg := lines.At(i)
		v := seg.Value(src)
		length += len(v)
		for _, c := range v {
			if marks[c] {
				count++
			}
		}
	}
	return length * count
}

// blockMarks are the inlineMarks; rowMarks add the cell separator.
var blockMarks, rowMarks = markSet(inlineMarks), markSet(inlineMarks + "|")

func markSet(marks string) [256]bool {
	var set [256]bool
	for i := range len(marks) {
		set[marks[i]] = true
	}
	return set
}

// keepAsWritten replaces the lines of a heading, which the inline parser
// would read, by their raw text, which it leaves alone.
func keepAsWritten(node ast.Node, src []byte) {
	appendRaw(node, node.Lines(), src)
	node.SetLines(text.NewSegments())
}

// paragraphAsWritten replaces a paragraph by an asWritten block holding
// its raw text.
func paragraphAsWritten(node *ast.Paragraph, src []byte) {
	raw := &asWritten{}
	raw.SetBlankPreviousLines(node.HasBlankPreviousLines())
	appendRaw(raw, node.Lines(), src)
	node.Parent().ReplaceChild(node.Parent(), node, raw)
}

// asWritten is a paragraph kept as written: raw text that the inline
// parser leaves alone. A node of its own, since goldmark drops a
// paragraph without lines and turns those of tight lists into text
// blocks made of their lines.
type asWritten struct{ ast.BaseBlock }

var kindAsWritten = ast.NewNodeKind("AsWritten")

func (n *asWritten) Kind() ast.NodeKind { return kindAsWritten }

func (n *asWritten) IsRaw() bool { return true }

func (n *asWritten) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

func appendRaw(node ast.Node, lines *text.Segments, src []byte) {
	for i := range lines.Len() {
		seg := lines.At(i)
		seg = seg.TrimLeftSpace(src)
		t := ast.NewRawTextSegment(seg.TrimRightSpace(src))
		t.SetSoftLineBreak(i < lines.Len()-1)
		node.AppendChild(node, t)
	}
}
