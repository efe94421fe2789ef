package ingest

import (
	"fmt"
	"net/url"
	"strings"

	"codeberg.org/readeck/go-readability/v2"
	htmltomarkdown "github.com/JohannesKaufmann/html-to-markdown/v2"
	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"golang.org/x/net/html"
)

// ParseWebPage reads a page fetched from pageURL: the readable article is
// found with readability (menus, banners, cookie notices and related
// links left behind), turned into Markdown and then read like a Markdown
// file, so the page's headings become the chunks' heading paths and its
// relative links become absolute. A page where readability finds no
// article is read whole, as Parse reads an HTML file. The page's encoding
// is opts.Charset (the server's), else what the page declares.
func ParseWebPage(pageURL string, data []byte, opts Options) (Parsed, error) {
	data = decodeText(data, opts.Charset, true)
	if isBinary(data) {
		return Parsed{}, fmt.Errorf("%s: %w", pageURL, ErrBinary)
	}
	opts = opts.withDefaults()
	src := cleanText(data)
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %w: %v", pageURL, ErrMalformed, err)
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		return Parsed{}, fmt.Errorf("%s: %w", pageURL, err)
	}

	doc, ok := readableArticle(root, u)
	if !ok {
		doc, err = parseHTML(pageURL, src)
		if err != nil {
			return Parsed{}, err
		}
	}
	if doc.title == "" {
		doc.title = titleFromURL(u)
	}
	return tidy(Parsed{
		Title:  doc.title,
		Format: FormatHTML,
		Chunks: chunkSections(doc.sections, opts),
	}), nil
}

// readableArticle extracts the main content of a page as a document, or
// reports false when readability finds none.
func readableArticle(root *html.Node, u *url.URL) (doc document, ok bool) {
	defer func() {
		// A bug in a third-party extractor must cost one page, not the
		// process; the caller falls back to reading the page whole.
		if recover() != nil {
			ok = false
		}
	}()
	article, err := readability.FromDocument(root, u)
	if err != nil || article.Node == nil {
		return document{}, false
	}
	md, err := htmltomarkdown.ConvertNode(article.Node, converter.WithDomain(u.Scheme+"://"+u.Host))
	if err != nil || strings.TrimSpace(string(md)) == "" {
		return document{}, false
	}
	// A leading blank line keeps a page that starts with a rule ("---")
	// from being read as front matter.
	doc, err = parseMarkdown(u.String(), "\n"+cleanText(md))
	if err != nil || len(doc.sections) == 0 {
		return document{}, false
	}
	if t := collapseSpace(article.Title()); t != "" {
		doc.title = t
	}
	return doc, true
}

// titleFromURL names a page without a title after its last path segment,
// or its host.
func titleFromURL(u *url.URL) string {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	if last := segs[len(segs)-1]; last != "" {
		if t := titleFromName(last); t != "" {
			return t
		}
	}
	return u.Host
}
