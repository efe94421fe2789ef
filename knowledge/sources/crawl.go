package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/html"

	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
)

// syncSite crawls a site from its start URL: breadth first, following
// links that stay on the same scheme and host and under the start URL's
// folder, as robots.txt allows, up to MaxPages pages. Every HTML page (and
// any PDF or text file linked) is a document. Unlike a sitemap, a crawl
// cannot send conditional requests, since an unchanged page's links are
// still needed; unchanged pages are recognised by their content hash and
// not re-indexed. A start URL that redirects (to https, or to another host
// name of the site) scopes the crawl to where it leads; any other page
// that redirects out of that scope is skipped with a warning, as links
// out of it are not followed.
//
// A page that cannot be read (other than 404 or 410) hides the links it
// holds, so a crawl with such a page removes no page it did not reach.
func (r *syncRun) syncSite(ctx context.Context) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	start, err := fetch.ParseURL(r.src.Location)
	if err != nil {
		return err
	}
	start.Fragment = ""
	scope := crawlScope(start)
	max := r.MaxPages
	if max <= 0 {
		max = DefaultMaxPages
	}
	robots := c.NewRobots()
	queue := []string{start.String()}
	queued := map[string]bool{start.String(): true}
	// fetched are the final URLs of the pages read, after redirects: two
	// links that lead to one page make one document.
	fetched := map[string]bool{}
	for i := 0; i < len(queue); i++ {
		page := queue[i]
		if err := ctx.Err(); err != nil {
			return err
		}
		allowed, err := robots.Allowed(ctx, page)
		if !allowed {
			if i == 0 {
				if err == nil {
					err = fmt.Errorf("%s: %w", page, fetch.ErrDisallowed)
				}
				return err
			}
			if err == nil {
				r.pageGone(page, fmt.Errorf("%s: %w", page, fetch.ErrDisallowed))
			} else {
				r.pageFailed(page, err)
				r.partial = true
			}
			continue
		}
		if err := r.pace(ctx); err != nil {
			return err
		}
		// The start URL may lead anywhere (the site is where it leads);
		// any other page may not take the crawl off the site, nor
		// anywhere robots.txt keeps Lore out of.
		onSite := func(u *url.URL) bool { return inScope(start, scope, u.String()) }
		if i == 0 {
			onSite = nil
		}
		resp, err := c.GetChecked(ctx, page, fetch.Validators{}, followOnly(robots, onSite))
		switch {
		case err != nil && i == 0:
			// Without its start page a crawl cannot tell deleted pages
			// from unreachable ones.
			return err
		case fetch.IsGone(err), errors.Is(err, fetch.ErrDisallowed):
			r.pageGone(page, err)
			continue
		case errors.Is(err, errOffSite):
			r.pageSkipped(page, err)
			continue
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			r.pageFailed(page, err)
			r.partial = true
			continue
		}
		final := finalURL(resp)
		if i == 0 && final != page {
			// The site lives where the start URL leads: its links are
			// on that scheme and host, under that folder.
			if u, err := fetch.ParseURL(final); err == nil {
				start, scope = u, crawlScope(u)
			}
		}
		if fetched[final] {
			r.progress(Event{Location: page, Outcome: "skipped", Err: fmt.Errorf("%s: redirects to %s, already read", page, final)})
			continue
		}
		fetched[final], queued[final] = true, true
		if isHTML(resp) {
			for _, link := range pageLinks(final, resp.Body) {
				if len(queue) >= max {
					break
				}
				if queued[link] || !inScope(start, scope, link) {
					continue
				}
				queued[link] = true
				queue = append(queue, link)
			}
		}
		parsed, err := parseFetched(ctx, final, resp, ingest.Options{PDF: r.PDF})
		switch {
		case errors.Is(err, ingest.ErrNoText):
			r.noText(page, err)
			continue
		case err != nil:
			r.pageFailed(page, err)
			continue
		}
		d := document{location: page, source: final, hash: ingest.ContentHash(resp.Body), parsed: parsed}
		if r.unchanged(d.location, d.hash, fetch.Validators{}) {
			continue
		}
		if err := r.store(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// errOffSite is a redirect that would take a sync off its source's site.
var errOffSite = errors.New("leads off the source's site; not followed")

// followOnly is the redirect rule of a sync: a redirect is followed only
// where onSite allows (when given) and robots.txt of where it leads lets
// Lore in, checked before anything is fetched there. robots.txt that
// cannot be read stops the fetch with its error.
func followOnly(robots *fetch.Robots, onSite func(*url.URL) bool) fetch.RedirectCheck {
	return func(ctx context.Context, to *url.URL) error {
		if onSite != nil && !onSite(to) {
			return fmt.Errorf("redirect to %s: %w", to.Redacted(), errOffSite)
		}
		allowed, err := robots.Allowed(ctx, to.String())
		if allowed {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("redirect to %s: %w", to.Redacted(), fetch.ErrDisallowed)
		}
		return err
	}
}

// finalURL is where a fetch ended, after redirects, without a fragment:
// how its document is cited.
func finalURL(resp fetch.Response) string {
	u, err := url.Parse(resp.URL)
	if err != nil {
		return resp.URL
	}
	u.Fragment = ""
	return u.String()
}

func isHTML(resp fetch.Response) bool {
	return resp.MediaType == "text/html" || resp.MediaType == "application/xhtml+xml" ||
		(resp.MediaType == "" && !bytes.HasPrefix(resp.Body, []byte("%PDF-")))
}

// pageLinks returns the absolute http(s) links of a page, without
// fragments, in document order; rel="nofollow" links are left out.
func pageLinks(base string, body []byte) []string {
	b, err := url.Parse(base)
	if err != nil {
		return nil
	}
	var out []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) == "base" {
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						if nb, err := b.Parse(string(v)); err == nil {
							b = nb
						}
					}
				}
				continue
			}
			if string(name) != "a" {
				continue
			}
			var href string
			nofollow := false
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "href":
					href = string(v)
				case "rel":
					nofollow = strings.Contains(strings.ToLower(string(v)), "nofollow")
				}
			}
			if href == "" || nofollow {
				continue
			}
			u, err := b.Parse(strings.TrimSpace(href))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				continue
			}
			u.Fragment = ""
			out = append(out, u.String())
		}
	}
}

// crawlScope is the folder of the start URL: the crawl stays under it.
func crawlScope(start *url.URL) string {
	scope := start.Path
	if scope == "" {
		return "/"
	}
	if !strings.HasSuffix(scope, "/") {
		scope = path.Dir(scope) + "/"
	}
	return scope
}

// inScope reports whether link is on the start URL's site and under its
// folder.
func inScope(start *url.URL, scope, link string) bool {
	u, err := url.Parse(link)
	if err != nil || !fetch.SameSite(start, u) || u.User != nil {
		return false
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	return strings.HasPrefix(p, scope)
}
