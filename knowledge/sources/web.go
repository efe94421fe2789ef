package sources

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
)

// syncURL reads one page or file. Unlike a page of a sitemap, the one URL
// of a source failing in any way (404 included) is a failure of the
// source: its document is kept until someone removes the source. A page
// without text to answer from is not a failure but is skipped, as any
// source skips one; since the source is that page alone, its status
// warns of it (see noText). It redirects as curatorsChoice allows.
func (r *syncRun) syncURL(ctx context.Context) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	check, err := curatorsChoice(c.NewRobots(), r.src.Location)
	if err != nil {
		return err
	}
	doc, notModified, err := r.fetchPage(ctx, c, r.src.Location, check)
	switch {
	case errors.Is(err, ingest.ErrNoText):
		r.noText(r.src.Location, err)
		return nil
	case err != nil:
		return err
	case notModified:
		r.notModified(r.src.Location)
		return nil
	}
	if r.unchanged(doc.location, doc.hash, doc.validators) {
		return nil
	}
	return r.store(ctx, doc)
}

// curatorsChoice is the redirect rule of the URL a curator registered (a
// url source, a feed, the sitemap of a sitemap source), or a person
// suggested: its own host is theirs to choose, over http or https alike
// (an upgrade to https moves nothing), so its robots.txt is not asked; a
// redirect to another host is followed only as that host's robots.txt
// allows, since nobody chose that host.
func curatorsChoice(robots *fetch.Robots, location string) (fetch.RedirectCheck, error) {
	origin, err := fetch.ParseURL(location)
	if err != nil {
		return nil, err
	}
	elsewhere := followOnly(robots, nil)
	return func(ctx context.Context, to *url.URL) error {
		// The scheme of every hop is http or https (fetch checks it
		// first); the host, with its port, is what was chosen.
		if strings.EqualFold(origin.Host, to.Host) {
			return nil
		}
		return elsewhere(ctx, to)
	}, nil
}

// fetchPage fetches and parses one page, conditionally when an earlier
// sync stored its validators, following redirects as check allows. The
// document keeps location as its identity, so that its id and validators
// stay the same from sync to sync, and is cited by where the fetch ended.
func (r *syncRun) fetchPage(ctx context.Context, c *fetch.Client, location string, check fetch.RedirectCheck) (document, bool, error) {
	var v fetch.Validators
	if prev, ok := r.prev[r.docID(location)]; ok && r.current(prev) {
		// A 304 is only worth asking for while the document is there.
		v = fetch.Validators{ETag: prev.ETag, LastModified: prev.LastModified}
	}
	if err := r.pace(ctx); err != nil {
		return document{}, false, err
	}
	resp, err := c.GetChecked(ctx, location, v, check)
	if err != nil {
		return document{}, false, err
	}
	if resp.NotModified {
		return document{}, true, nil
	}
	final := finalURL(resp)
	parsed, err := parseFetched(ctx, final, resp, ingest.Options{PDF: r.PDF})
	if err != nil {
		return document{}, false, err
	}
	return document{location: location, source: final, hash: ingest.ContentHash(resp.Body), validators: resp.Validators, parsed: parsed}, false, nil
}

// ReadURL fetches one page or file through c, with the fetch rules of a
// sync (public addresses only unless allowed, size and time limits), and
// parses it as a sync would: PDF, Markdown, plain text or a web page. It
// is for documents read once, such as a suggestion in chat. opts.PDF, when
// set, reads a PDF. It redirects as a url source does (curatorsChoice),
// and returns where the fetch ended, after redirects, without a fragment:
// how the document is cited.
func ReadURL(ctx context.Context, c *fetch.Client, rawURL string, opts ingest.Options) (parsed ingest.Parsed, final string, err error) {
	check, err := curatorsChoice(c.NewRobots(), rawURL)
	if err != nil {
		return ingest.Parsed{}, "", err
	}
	resp, err := c.GetChecked(ctx, rawURL, fetch.Validators{}, check)
	if err != nil {
		return ingest.Parsed{}, "", err
	}
	final = finalURL(resp)
	parsed, err = parseFetched(ctx, final, resp, opts)
	if err != nil {
		return ingest.Parsed{}, "", err
	}
	return parsed, final, nil
}

// parseFetched reads a response by its media type, else by the URL's
// extension: PDF, Markdown, plain text, or a web page. It gives up when
// ctx ends first (ingest.Interruptible); a PDF goes to opts.PDF when set.
func parseFetched(ctx context.Context, location string, resp fetch.Response, opts ingest.Options) (ingest.Parsed, error) {
	u, _ := url.Parse(location)
	ext := ""
	if u != nil {
		ext = strings.ToLower(path.Ext(u.Path))
	}
	if resp.MediaType == "application/pdf" || ext == ".pdf" || bytes.HasPrefix(resp.Body, []byte("%PDF-")) {
		if opts.PDF != nil {
			return opts.PDF.ReadPDF(ctx, location, resp.Body, opts)
		}
		return ingest.Interruptible(ctx, func() (ingest.Parsed, error) { return ingest.ParsePDF(location, resp.Body, opts) })
	}
	return ingest.Interruptible(ctx, func() (ingest.Parsed, error) { return parseResponse(location, ext, resp) })
}

// parseResponse reads a response that is not a PDF, in the encoding the
// server declared (else the one the content declares, else UTF-8).
func parseResponse(location, ext string, resp fetch.Response) (ingest.Parsed, error) {
	opts := ingest.Options{Charset: resp.Charset}
	switch {
	case resp.MediaType == "text/markdown" || ext == ".md" || ext == ".markdown":
		return ingest.Parse(location+"#.md", resp.Body, opts)
	case resp.MediaType == "text/plain":
		return ingest.Parse(location+"#.txt", resp.Body, opts)
	case resp.MediaType == "text/html", resp.MediaType == "application/xhtml+xml", resp.MediaType == "":
		return ingest.ParseWebPage(location, resp.Body, opts)
	}
	return ingest.Parsed{}, fmt.Errorf("%s: %w: %s", location, ingest.ErrUnsupported, resp.MediaType)
}

// sitemap is a sitemap or a sitemap index (sitemaps.org).
type sitemap struct {
	URLs     []sitemapLoc `xml:"url"`
	Sitemaps []sitemapLoc `xml:"sitemap"`
}

type sitemapLoc struct {
	Loc string `xml:"loc"`
}

// maxSitemapDepth bounds nested sitemap indexes.
const maxSitemapDepth = 3

// maxSitemaps bounds the sitemap files one sync fetches, the index and
// every sitemap it names at any depth, so that an index cannot make Lore
// fetch without end.
const maxSitemaps = 100

// syncSitemap reads every page a sitemap lists, on the sitemap's own
// site, as robots.txt allows.
func (r *syncRun) syncSitemap(ctx context.Context) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	root, err := fetch.ParseURL(r.src.Location)
	if err != nil {
		return err
	}
	max := r.MaxPages
	if max <= 0 {
		max = DefaultMaxPages
	}
	robots := c.NewRobots()
	w := &sitemapWalk{sites: []*url.URL{root}, robots: robots, maxPages: max,
		fetched: map[string]bool{root.String(): true}, listed: map[string]bool{}}
	if err := r.listSitemap(ctx, c, w, root.String(), 0); err != nil {
		return err
	}
	// A listed page may redirect within the sitemap's site, as robots.txt
	// allows there, but not off it: the sitemap may not list other sites.
	check := followOnly(robots, func(u *url.URL) bool {
		return slices.ContainsFunc(w.sites, func(site *url.URL) bool { return fetch.SameSite(site, u) })
	})
	// read are the final URLs of the pages stored or kept, after
	// redirects: two listed URLs that lead to one page make one document.
	read := map[string]bool{}
	for _, page := range w.pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		allowed, err := robots.Allowed(ctx, page)
		if !allowed {
			if err == nil {
				err = fmt.Errorf("%s: %w", page, fetch.ErrDisallowed)
				r.pageGone(page, err)
			} else {
				// robots.txt could not be read: keep what was
				// indexed rather than guess.
				r.pageFailed(page, err)
			}
			continue
		}
		doc, notModified, err := r.fetchPage(ctx, c, page, check)
		switch {
		case fetch.IsGone(err), errors.Is(err, fetch.ErrDisallowed):
			r.pageGone(page, err)
			continue
		case errors.Is(err, errOffSite):
			r.pageSkipped(page, err)
			continue
		case errors.Is(err, ingest.ErrNoText):
			r.noText(page, err)
			continue
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			r.pageFailed(page, err)
			continue
		case notModified:
			r.notModified(page)
			continue
		case read[doc.source]:
			r.progress(Event{Location: page, Outcome: "skipped", Err: fmt.Errorf("%s: redirects to %s, already read", page, doc.source)})
			continue
		}
		read[doc.source] = true
		if r.unchanged(doc.location, doc.hash, doc.validators) {
			continue
		}
		if err := r.store(ctx, doc); err != nil {
			return err
		}
	}
	return nil
}

// sitemapWalk is what reading a sitemap and the sitemaps it names has
// found so far.
type sitemapWalk struct {
	// sites are the sitemap's own site and, when the sitemap's URL
	// redirects (to https, say), the site it redirects to.
	sites    []*url.URL
	robots   *fetch.Robots
	maxPages int
	fetched  map[string]bool // sitemaps fetched or about to be
	listed   map[string]bool // pages
	pages    []string        // in the order listed
}

// listSitemap reads the sitemap at location into w, following sitemap
// indexes; any sitemap that cannot be read fails the listing, since the
// pages it would list cannot be told from pages deleted. So does a
// listing over the limits: more than MaxPages pages (each page counted
// once however many sitemaps list it) or more than maxSitemaps sitemaps.
func (r *syncRun) listSitemap(ctx context.Context, c *fetch.Client, w *sitemapWalk, location string, depth int) error {
	if depth > maxSitemapDepth {
		return fmt.Errorf("sitemap %s: indexes nested more than %d deep", location, maxSitemapDepth)
	}
	if err := r.pace(ctx); err != nil {
		return err
	}
	// The sitemap a curator registered redirects as a url source does; a
	// sitemap an index names may redirect only within the sitemap's site,
	// as its pages may, and where robots.txt allows.
	var check fetch.RedirectCheck
	if depth == 0 {
		var err error
		if check, err = curatorsChoice(w.robots, location); err != nil {
			return err
		}
	} else {
		check = followOnly(w.robots, func(u *url.URL) bool {
			return slices.ContainsFunc(w.sites, func(site *url.URL) bool { return fetch.SameSite(site, u) })
		})
	}
	resp, err := c.GetChecked(ctx, location, fetch.Validators{}, check)
	if err != nil {
		return err
	}
	if depth == 0 && resp.URL != location {
		if final, err := fetch.ParseURL(resp.URL); err == nil {
			w.sites = append(w.sites, final)
		}
	}
	var sm sitemap
	if err := xml.Unmarshal(resp.Body, &sm); err != nil {
		return fmt.Errorf("sitemap %s: %w: %v", location, ingest.ErrMalformed, err)
	}
	if len(sm.URLs) == 0 && len(sm.Sitemaps) == 0 {
		return fmt.Errorf("sitemap %s: %w: no <url> or <sitemap> entries", location, ingest.ErrMalformed)
	}
	var children []string
	for _, child := range sm.Sitemaps {
		u, err := sameSite(w.sites, child.Loc)
		if err != nil {
			return fmt.Errorf("sitemap %s: %w", location, err)
		}
		if w.fetched[u] {
			continue
		}
		w.fetched[u] = true
		if len(w.fetched) > maxSitemaps {
			return fmt.Errorf("sitemap %s: the index names more than %d sitemaps, the limit of one sync", r.src.Location, maxSitemaps)
		}
		children = append(children, u)
	}
	for _, loc := range sm.URLs {
		u, err := sameSite(w.sites, loc.Loc)
		if err != nil {
			r.warnings = append(r.warnings, fmt.Sprintf("sitemap %s: %v", location, err))
			continue
		}
		if w.listed[u] {
			continue
		}
		w.listed[u] = true
		w.pages = append(w.pages, u)
		if len(w.pages) > w.maxPages {
			return fmt.Errorf("sitemap %s lists more than %d pages, the limit of one sync", r.src.Location, w.maxPages)
		}
	}
	for _, u := range children {
		if err := r.listSitemap(ctx, c, w, u, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var errOtherSite = errors.New("not on the sitemap's site")

// sameSite checks that a URL listed by a sitemap is on the sitemap's own
// site, as the sitemap protocol requires: a sitemap must not steer Lore
// to other hosts.
func sameSite(sites []*url.URL, raw string) (string, error) {
	u, err := fetch.ParseURL(raw)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(sites, func(site *url.URL) bool { return fetch.SameSite(site, u) }) {
		return "", fmt.Errorf("%s: %w", u.Redacted(), errOtherSite)
	}
	u.Fragment = ""
	return u.String(), nil
}

// syncFeed reads a feed: every entry is a document. Relative links of
// entries are read against where the feed's fetch ended, after redirects;
// where it ended at the last successful sync, when the feed has moved
// since, names the entries' former identities (see dropFormer).
func (r *syncRun) syncFeed(ctx context.Context) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	check, err := curatorsChoice(c.NewRobots(), r.src.Location)
	if err != nil {
		return err
	}
	resp, err := c.GetChecked(ctx, r.src.Location, fetch.Validators{}, check)
	if err != nil {
		return err
	}
	r.landed = finalURL(resp)
	feed, err := ingest.ParseFetchedFeed(r.src.Location, r.landed, r.src.Status.Landed, resp.Body, ingest.Options{Charset: resp.Charset})
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(feed.Items))
	for _, item := range feed.Items {
		listed[r.docID(item.Source)] = true
	}
	for _, item := range feed.Items {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(item.Parsed.Chunks) == 0 {
			r.noText(item.Source, fmt.Errorf("%s: %w", item.Source, knowledge.ErrEmpty))
		} else if hash := ingest.ContentHash([]byte(renderParsed(item.Parsed))); !r.unchanged(item.Source, hash, fetch.Validators{}) {
			if err := r.store(ctx, document{location: item.Source, hash: hash, parsed: item.Parsed}); err != nil {
				return err
			}
		}
		r.dropFormer(item, listed)
	}
	return nil
}

// dropFormer marks for removal the documents this source stored for an
// entry under an identity it had before (ingest.FeedItem.Formerly), once
// the entry has a document under its own: feeds keep the entries they no
// longer list, so the entry would otherwise be there twice. An identity
// that an entry of the feed has now (listed) is that entry's, and stays.
func (r *syncRun) dropFormer(item ingest.FeedItem, listed map[string]bool) {
	if _, ok := r.next[r.docID(item.Source)]; !ok {
		return
	}
	for _, former := range item.Formerly {
		id := r.docID(former)
		if p, ok := r.prev[id]; ok && p.Location == former && !listed[id] {
			r.gone[id] = true
		}
	}
}

// renderParsed is a stable rendering of an entry, for its content hash.
func renderParsed(p ingest.Parsed) string {
	var b strings.Builder
	b.WriteString(p.Title + "\x00" + p.Owner + "\x00" + strings.Join(p.Tags, "\x01"))
	for _, c := range p.Chunks {
		b.WriteString("\x00" + c.Heading + "\x00" + c.Text)
	}
	return b.String()
}
