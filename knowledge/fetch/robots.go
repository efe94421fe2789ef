package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/temoto/robotstxt"
)

// Robots answers whether robots.txt lets Lore fetch a URL, fetching each
// host's robots.txt once through the Client (so under the same address
// rules and limits). Use one Robots per crawl, so that a site's changed
// rules are read again on the next. It is safe for concurrent use.
type Robots struct {
	client *Client
	mu     sync.Mutex
	hosts  map[string]robotsEntry
}

// robotsEntry is what one host's robots.txt said, or why it could not be
// read.
type robotsEntry struct {
	data *robotstxt.RobotsData
	err  error
}

// NewRobots returns an empty robots.txt cache over c.
func (c *Client) NewRobots() *Robots {
	return &Robots{client: c, hosts: map[string]robotsEntry{}}
}

// Allowed reports whether robots.txt of rawURL's host lets RobotsAgent
// fetch it. Following RFC 9309, a robots.txt that is missing (4xx) allows
// everything, and one that cannot be read (5xx, a network error) disallows
// everything for now; the error is returned alongside in that case, for
// every URL of the host, so that callers can tell "disallowed" from "not
// known" each time.
func (r *Robots) Allowed(ctx context.Context, rawURL string) (bool, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return false, err
	}
	// Host names are case-insensitive: one site, one robots.txt.
	key := strings.ToLower(u.Scheme + "://" + u.Host)
	r.mu.Lock()
	e, ok := r.hosts[key]
	r.mu.Unlock()
	if !ok {
		e.data, e.err = r.load(ctx, key)
		if e.err != nil && ctx.Err() != nil {
			// Cancelled: say nothing about the site for later calls.
			return false, e.err
		}
		r.mu.Lock()
		r.hosts[key] = e
		r.mu.Unlock()
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return e.data.TestAgent(path, RobotsAgent), e.err
}

var disallowAll, _ = robotstxt.FromStatusAndBytes(500, nil)

func (r *Robots) load(ctx context.Context, origin string) (*robotstxt.RobotsData, error) {
	resp, err := r.client.Get(ctx, origin+"/robots.txt", Validators{})
	var se *StatusError
	switch {
	case errors.As(err, &se):
		data, perr := robotstxt.FromStatusAndBytes(se.Code, nil)
		if perr != nil || se.Code >= 500 {
			return disallowAll, fmt.Errorf("robots.txt of %s: %w", origin, err)
		}
		return data, nil
	case err != nil:
		return disallowAll, fmt.Errorf("robots.txt of %s: %w", origin, err)
	}
	data, err := robotstxt.FromStatusAndBytes(200, resp.Body)
	if err != nil {
		// An unparsable file says nothing usable; treat it as missing.
		data, _ = robotstxt.FromStatusAndBytes(404, nil)
	}
	return data, nil
}

// SameSite reports whether two URLs share scheme and host, for crawls
// that must stay on one site. Both compare case-insensitively, as URLs
// do (RFC 3986).
func SameSite(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}
