package sources

import (
	"bytes"
	"context"
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
// name of the site) scopes the crawl to where it leads.
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
		resp, err := c.Get(ctx, page, fetch.Validators{})
		switch {
		case err != nil && i == 0:
			// Without its start page a crawl cannot tell deleted pages
			// from unreachable ones.
			return err
		case fetch.IsGone(err):
			r.pageGone(page, err)
			continue
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			r.pageFailed(page, err)
			r.partial = true
			continue
		}
		if i == 0 && resp.URL != page {
			// The site lives where the start URL leads: its links are
			// on that scheme and host, under that folder.
			if final, err := fetch.ParseURL(resp.URL); err == nil {
				final.Fragment = ""
				start, scope = final, crawlScope(final)
				queued[final.String()] = true
			}
		}
		if isHTML(resp) {
			for _, link := range pageLinks(resp.URL, resp.Body) {
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
		parsed, err := parseFetched(ctx, page, resp, ingest.Options{PDF: r.PDF})
		if err != nil {
			r.pageFailed(page, err)
			continue
		}
		d := document{location: page, hash: ingest.ContentHash(resp.Body), parsed: parsed}
		if r.unchanged(d.location, d.hash, fetch.Validators{}) {
			continue
		}
		if err := r.store(ctx, d); err != nil {
			return err
		}
	}
	return nil
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
