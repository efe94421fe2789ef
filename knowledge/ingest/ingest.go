// Package ingest reads the curated files of a knowledge base (Markdown,
// plain text and HTML) into titled documents cut into chunks small enough
// to retrieve, rank and quote in a chat message.
//
// Walk finds the files under the folders an administrator names and says
// why any file was left out; Parse turns one file into a Parsed document
// whose Pieces carry the heading path they sit under, so an answer can say
// where in the document a passage comes from.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel reasons for a file that was not read. Reasons and errors wrap
// them with details, so compare with errors.Is.
var (
	// ErrBinary means the content looks like a binary file, not text.
	ErrBinary = errors.New("binary content")
	// ErrTooLarge means the file is over WalkOptions.MaxFileBytes.
	ErrTooLarge = errors.New("file too large")
	// ErrUnsupported means the file is of a kind ingest does not read.
	ErrUnsupported = errors.New("unsupported file type")
	// ErrUnreadable means a file or folder could not be read: it
	// vanished, is a link to nothing, or access to it is denied.
	ErrUnreadable = errors.New("cannot be read")
	// ErrTooSlow means reading a file took longer than its reader
	// allows (see Options.PDF).
	ErrTooSlow = errors.New("took too long to read")
)

// ParserVersion names how this build reads documents. It goes up whenever
// a change to parsing changes what a document holds (its chunks, title or
// headings), so that the first ingest or sync after an upgrade reads every
// file and page again, once, instead of keeping what an older parser read
// until the file changes.
const ParserVersion = 4

// ContentHash identifies what a file held and the parser version that
// read it: "p4:" and the hex SHA-256 of data. Ingest and source syncs skip
// a document whose stored hash equals the new one.
func ContentHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hashPrefix + hex.EncodeToString(sum[:])
}

// CurrentHash reports whether hash is a ContentHash of this parser
// version; one from an older version means the document must be read
// again, even where a web server would answer that it has not changed.
func CurrentHash(hash string) bool { return strings.HasPrefix(hash, hashPrefix) }

var hashPrefix = "p" + strconv.Itoa(ParserVersion) + ":"

// PDFReader reads a PDF's text layer as ParsePDF does, giving up when ctx
// ends.
type PDFReader interface {
	ReadPDF(ctx context.Context, name string, data []byte, opts Options) (Parsed, error)
}

// Format names of Parsed.Format.
const (
	FormatMarkdown = "markdown"
	FormatText     = "text"
	FormatHTML     = "html"
)

// formats maps a lower-cased file extension to the format it is read as.
var formats = map[string]string{
	".md":       FormatMarkdown,
	".markdown": FormatMarkdown,
	".txt":      FormatText,
	".text":     FormatText,
	".html":     FormatHTML,
	".htm":      FormatHTML,
	".pdf":      FormatPDF,
}

// Extensions lists the file extensions Parse reads, sorted.
func Extensions() []string {
	return slices.Sorted(maps.Keys(formats))
}

// Supported reports whether Parse reads files with the extension of name.
// The extension is matched without regard to case.
func Supported(name string) bool {
	return formatOf(name) != ""
}

func formatOf(name string) string {
	return formats[strings.ToLower(filepath.Ext(name))]
}

// Parsed is a document read from one file.
type Parsed struct {
	// Title is the document's title: from front matter, the first H1 or
	// <title>, else made from the file name.
	Title string
	// Tags, Owner and ReviewBy come from Markdown front matter. ReviewBy
	// is kept as written (usually a date) so no format is imposed.
	Tags     []string
	Owner    string
	ReviewBy string
	// Format is one of "markdown", "text" or "html".
	Format string
	// Chunks holds the document's text in reading order.
	Chunks []Piece
}

// Piece is a chunk of text with its heading path.
type Piece struct {
	// Heading is the chain of headings the text sits under, joined with
	// " > " (for example "Leave > Parental leave"). The document's single
	// H1 is its title and is left out; text before the first heading has
	// an empty Heading.
	Heading string
	// Text is the chunk's readable text, without the heading line. Code
	// stands between Markdown fence lines (see CodeBlocks).
	Text string
}

// Default chunk sizes, in characters (Unicode code points). 1200
// characters is a few paragraphs: enough context to answer from, short
// enough to quote in a chat message.
const (
	DefaultMaxChunkChars = 1200
	DefaultMinChunkChars = 200
)

// Options tunes how Parse cuts sections into chunks, and what reads PDFs.
type Options struct {
	// MaxChunkChars is the most characters a Piece's Text holds.
	// Zero or less means DefaultMaxChunkChars.
	MaxChunkChars int
	// MinChunkChars is the size below which the last chunk of a section
	// takes trailing sentences or paragraphs from the chunk before it,
	// so a long section does not end in a scrap. Zero or less means
	// DefaultMinChunkChars; it is capped at MaxChunkChars.
	MinChunkChars int
	// PDF reads PDFs for ParseContext and Parse; nil reads them with
	// ParsePDF in this process. Package pdfproc's Reader reads them in a
	// child process, which it can stop: a parse that never returns in
	// this process could only be abandoned, still running.
	PDF PDFReader
	// Charset is the character encoding a document was declared in
	// outside its content: the charset of an HTTP Content-Type. A byte
	// order mark in the content overrides it. Empty: the content says
	// (a byte order mark, an HTML <meta> charset), else UTF-8.
	Charset string
}

func (o Options) withDefaults() Options {
	if o.MaxChunkChars <= 0 {
		o.MaxChunkChars = DefaultMaxChunkChars
	}
	if o.MinChunkChars <= 0 {
		o.MinChunkChars = DefaultMinChunkChars
	}
	if o.MinChunkChars > o.MaxChunkChars {
		o.MinChunkChars = o.MaxChunkChars
	}
	return o
}

// Parse reads data by the extension of name: .md and .markdown as
// Markdown, .txt and .text as plain text, .html and .htm as HTML, .pdf as
// PDF (ParsePDF). Errors name the file and wrap ErrUnsupported or
// ErrBinary where those apply.
// Text in UTF-16 or another encoding is read as such when it says so (a
// byte order mark, opts.Charset, an HTML <meta> charset); otherwise it is
// UTF-8, and invalid UTF-8 is replaced with U+FFFD rather than rejected,
// since a stray byte in a curated file should not hide the rest of it.
func Parse(name string, data []byte, opts Options) (Parsed, error) {
	format := formatOf(name)
	if format == "" {
		return Parsed{}, fmt.Errorf("%s: %w %q", name, ErrUnsupported, filepath.Ext(name))
	}
	if format == FormatPDF {
		if opts.PDF != nil {
			return opts.PDF.ReadPDF(context.Background(), name, data, opts)
		}
		return ParsePDF(name, data, opts)
	}
	data = decodeText(data, opts.Charset, format == FormatHTML)
	if isBinary(data) {
		return Parsed{}, fmt.Errorf("%s: %w", name, ErrBinary)
	}
	opts = opts.withDefaults()
	src := cleanText(data)

	var (
		doc document
		err error
	)
	switch format {
	case FormatMarkdown:
		doc, err = parseMarkdown(name, src)
	case FormatHTML:
		doc, err = parseHTML(name, src)
	default:
		doc = parseText(src)
	}
	if err != nil {
		return Parsed{}, err
	}
	if doc.title == "" {
		doc.title = titleFromName(name)
	}
	return tidy(Parsed{
		Title:    doc.title,
		Tags:     doc.tags,
		Owner:    doc.owner,
		ReviewBy: doc.reviewBy,
		Format:   format,
		Chunks:   chunkSections(doc.sections, opts),
	}), nil
}

// ParseContext is Parse, given up when ctx ends first (see
// Interruptible). A PDF goes to opts.PDF, when set, which stops on its
// own.
func ParseContext(ctx context.Context, name string, data []byte, opts Options) (Parsed, error) {
	if opts.PDF != nil && formatOf(name) == FormatPDF {
		return opts.PDF.ReadPDF(ctx, name, data, opts)
	}
	return Interruptible(ctx, func() (Parsed, error) { return Parse(name, data, opts) })
}

// Interruptible runs parse on a goroutine of its own and returns what it
// returns or, when ctx ends first, ctx's cause at once, so that an
// interrupt or a lost lock is obeyed while a document is being parsed.
// The parsers bound their own work (PDF page trees, Markdown nesting,
// sizes); this is the last defence against an input no bound foresaw. Go
// cannot stop a goroutine: a parse given up is abandoned, left running
// until it ends, and its result dropped.
func Interruptible(ctx context.Context, parse func() (Parsed, error)) (Parsed, error) {
	if ctx.Err() != nil {
		return Parsed{}, context.Cause(ctx)
	}
	type result struct {
		parsed Parsed
		err    error
	}
	done := make(chan result, 1) // buffered: an abandoned parse does not block
	go func() {
		p, err := parse()
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.parsed, r.err
	case <-ctx.Done():
		return Parsed{}, context.Cause(ctx)
	}
}

// Bounds of what a document's metadata may be: a title or heading is one
// line, not a page.
const (
	maxTitleChars   = 200
	maxHeadingChars = 200
)

// tidy makes what a parser read safe to show. Titles, headings, owners,
// review dates and tags become one line without control characters: an
// escape sequence in a title (front matter may write one as "\e]0;...")
// would otherwise reach terminals and chat clients. Titles are cut to
// maxTitleChars. Chunk text keeps tabs and newlines only, since entities
// (&#27;) can spell control characters that cleanText never saw.
func tidy(p Parsed) Parsed {
	p.Title = clipRunes(oneLine(p.Title), maxTitleChars)
	p.Owner = oneLine(p.Owner)
	p.ReviewBy = oneLine(p.ReviewBy)
	tags := p.Tags[:0:0]
	for _, t := range p.Tags {
		if t = oneLine(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		tags = nil
	}
	p.Tags = tags
	for i, c := range p.Chunks {
		p.Chunks[i].Heading = oneLine(c.Heading)
		p.Chunks[i].Text = strings.Map(dropControl, c.Text)
	}
	return p
}

// oneLine drops control characters from s, line breaks and tabs becoming
// spaces, and collapses white space.
func oneLine(s string) string {
	return collapseSpace(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || r == '\r' {
			return ' '
		}
		return dropControl(r)
	}, s))
}

// dropControl keeps tabs and newlines and drops every other control
// character (C0, DEL and C1).
func dropControl(r rune) rune {
	if r != '\n' && r != '\t' && unicode.IsControl(r) {
		return -1
	}
	return r
}

// clipRunes cuts s to at most n characters, marking the cut with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}

// document is what a format reader hands to chunking.
type document struct {
	title    string
	tags     []string
	owner    string
	reviewBy string
	sections []section
}

// cleanText makes data safe to process and show: valid UTF-8, "\n" line
// ends, no byte order mark and no control characters other than tab and
// newline (C0, DEL and C1; they would garble a chat message or a
// terminal).
func cleanText(data []byte) string {
	s := strings.ToValidUTF8(string(data), "\uFFFD")
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(dropControl, s)
}

// titleFromName turns a file name into words: "parental-leave.md"
// becomes "Parental leave". Only the first letter is raised, so acronyms
// such as "VPN" keep their case.
func titleFromName(name string) string {
	base := filepath.Base(name)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r == '.' {
			return ' '
		}
		return r
	}, base)
	base = strings.Join(strings.Fields(base), " ")
	if base == "" {
		return "Untitled"
	}
	r, size := utf8.DecodeRuneInString(base)
	return string(unicode.ToUpper(r)) + base[size:]
}

// collapseSpace trims s and turns every run of white space into one
// space, as a browser shows HTML text.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
