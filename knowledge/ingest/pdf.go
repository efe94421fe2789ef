package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"
)

// FormatPDF is the Parsed.Format of a PDF file.
const FormatPDF = "pdf"

// Errors of PDF parsing; compare with errors.Is.
var (
	// ErrMalformed means the file claims a format it does not follow: a
	// PDF without a readable structure, a feed that is not valid XML.
	ErrMalformed = errors.New("malformed document")
	// ErrNoText means a PDF has pages but no text layer (a scan or an
	// image export): there is nothing to answer from until it goes
	// through OCR.
	ErrNoText = errors.New("no text layer (a scanned or image-only PDF?)")
)

// maxPDFPages bounds the pages read from one PDF; a longer file is a
// print-out of a database, not a document to quote.
const maxPDFPages = 5000

// PageHeading is the heading of the chunks of page n of a PDF. Answers
// cite it after the title, so a passage is found again by its page:
// "Travel Policy › p. 3".
func PageHeading(n int) string { return "p. " + strconv.Itoa(n) }

// ParsePDF reads the text layer of a PDF, page by page. Every chunk lies
// on one page and carries PageHeading of that page. The title is the
// document information's Title, else made from name. A file that is not
// a readable PDF fails with ErrMalformed, and one whose pages hold no
// text with ErrNoText, so neither is silently stored empty.
func ParsePDF(name string, data []byte, opts Options) (parsed Parsed, err error) {
	// The PDF reader reports much malformed input by panicking.
	defer func() {
		if r := recover(); r != nil {
			parsed, err = Parsed{}, fmt.Errorf("%s: %w: %v", name, ErrMalformed, r)
		}
	}()
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\n\r "), []byte("%PDF-")) {
		return Parsed{}, fmt.Errorf("%s: %w: no %%PDF- header", name, ErrMalformed)
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %w: %v", name, ErrMalformed, err)
	}
	if n := r.NumPage(); n > maxPDFPages {
		return Parsed{}, fmt.Errorf("%s: %w: %d pages, over the limit of %d", name, ErrTooLarge, n, maxPDFPages)
	}
	pages, err := pdfPages(r)
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(pages) == 0 {
		return Parsed{}, fmt.Errorf("%s: %w: no pages", name, ErrMalformed)
	}
	opts = opts.withDefaults()
	var sections []section
	for i, page := range pages {
		n := i + 1
		if err := checkContent(page); err != nil {
			return Parsed{}, fmt.Errorf("%s: page %d: %w", name, n, err)
		}
		text, err := page.GetPlainText(nil)
		if err != nil {
			return Parsed{}, fmt.Errorf("%s: page %d: %w: %v", name, n, ErrMalformed, err)
		}
		// Lines of a page come from separate text objects; reading them
		// as plain text rejoins hard-wrapped lines into paragraphs.
		for _, s := range parseText(cleanText([]byte(text))).sections {
			sections = append(sections, section{path: []string{PageHeading(n)}, blocks: s.blocks})
		}
	}
	chunks := chunkSections(sections, opts)
	if len(chunks) == 0 {
		return Parsed{}, fmt.Errorf("%s: %w: %d pages without text", name, ErrNoText, len(pages))
	}
	title := pdfTitle(r)
	if title == "" {
		title = titleFromName(name)
	}
	return tidy(Parsed{Title: title, Format: FormatPDF, Chunks: chunks}), nil
}

// maxPageTreeDepth bounds how deeply the page tree of a PDF may nest;
// real files nest a few levels.
const maxPageTreeDepth = 64

// pdfPages lists the pages of a PDF in reading order, walking its page
// tree. The PDF reader's own Reader.Page descends into a tree node that
// lists itself as a kid forever (at full CPU, deaf to cancellation), so
// the tree is walked here instead: a node met again on its own path, a
// tree nested over maxPageTreeDepth, and one of more nodes than a
// document of maxPDFPages pages has are refused. Only nodes of type Page
// are pages, as for the reader.
func pdfPages(r *pdf.Reader) ([]pdf.Page, error) {
	var pages []pdf.Page
	nodes := 0
	var walk func(node pdf.Value, path []string) error
	walk = func(node pdf.Value, path []string) error {
		if nodes++; nodes > 2*maxPDFPages+maxPageTreeDepth {
			return fmt.Errorf("%w: page tree of over %d nodes", ErrTooLarge, 2*maxPDFPages+maxPageTreeDepth)
		}
		switch node.Key("Type").Name() {
		case "Page":
			if len(pages) == maxPDFPages {
				return fmt.Errorf("%w: over %d pages", ErrTooLarge, maxPDFPages)
			}
			pages = append(pages, pdf.Page{V: node})
			return nil
		case "Pages":
		default:
			return nil
		}
		if len(path) == maxPageTreeDepth {
			return fmt.Errorf("%w: page tree nested over %d deep", ErrMalformed, maxPageTreeDepth)
		}
		// The reader does not expose object numbers; a node's text
		// names its kids and parent by reference, so a node whose text
		// is that of one of its ancestors would be walked again and
		// again, as if it were that ancestor.
		self := node.String()
		if slices.Contains(path, self) {
			return fmt.Errorf("%w: the page tree contains itself", ErrMalformed)
		}
		path = append(path, self)
		kids := node.Key("Kids")
		for i := range kids.Len() {
			if err := walk(kids.Index(i), path); err != nil {
				return err
			}
		}
		return nil
	}
	err := walk(r.Trailer().Key("Root").Key("Pages"), nil)
	return pages, err
}

// pdfTitle returns the Title of the document information dictionary, if
// it is usable text. A broken information dictionary costs the title,
// not the document.
func pdfTitle(r *pdf.Reader) (title string) {
	defer func() {
		if recover() != nil {
			title = ""
		}
	}()
	t := collapseSpace(cleanText([]byte(r.Trailer().Key("Info").Key("Title").Text())))
	if strings.Trim(t, "\uFFFD ") == "" || len([]rune(t)) > 200 {
		return ""
	}
	return t
}

// maxPageContent bounds the decompressed content of one page, so that a
// small file that inflates to gigabytes (a "zip bomb") is refused.
const maxPageContent = 16 << 20

// checkContent reads a page's content streams, bounded, and refuses what
// the PDF reader cannot survive: too much content, or a hex string that
// never ends, on which the reader would loop forever.
func checkContent(page pdf.Page) error {
	contents := page.V.Key("Contents")
	var streams []pdf.Value
	if contents.Kind() == pdf.Array {
		for i := range contents.Len() {
			streams = append(streams, contents.Index(i))
		}
	} else {
		streams = append(streams, contents)
	}
	var data []byte
	for _, st := range streams {
		if st.Kind() != pdf.Stream {
			continue
		}
		rc := st.Reader()
		b, err := io.ReadAll(io.LimitReader(rc, int64(maxPageContent-len(data)+1)))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%w: content stream: %v", ErrMalformed, err)
		}
		data = append(data, b...)
		if len(data) > maxPageContent {
			return fmt.Errorf("%w: page content over %d bytes", ErrTooLarge, maxPageContent)
		}
	}
	if unterminatedHexString(data) {
		return fmt.Errorf("%w: unterminated hex string in page content", ErrMalformed)
	}
	return nil
}

// unterminatedHexString reports whether content holds a <hex string>
// without its closing '>', outside comments and (literal strings).
func unterminatedHexString(data []byte) bool {
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '%':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				i++
			}
		case '(':
			depth := 1
			for i++; i < len(data) && depth > 0; i++ {
				switch data[i] {
				case '\\':
					i++
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			i--
		case '<':
			if i+1 < len(data) && data[i+1] == '<' {
				i++
				continue
			}
			j := bytes.IndexByte(data[i+1:], '>')
			if j < 0 {
				return true
			}
			i += j + 1
		}
	}
	return false
}
