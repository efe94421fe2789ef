// Package fetch downloads web pages, files and feeds for the knowledge base
// without letting a URL reach what it must not.
//
// A curator (or anyone who can propose a source) chooses the URLs Lore
// fetches, and Lore fetches them from inside the company network. Without
// care, a URL such as http://169.254.169.254/latest/meta-data/ or
// http://localhost:8080/admin would turn Lore into a proxy onto internal
// services. A Client therefore:
//
//   - fetches only http and https URLs;
//   - refuses loopback, private, link-local, carrier-grade NAT, multicast
//     and other special-purpose addresses (see Blocked) unless the
//     allow-list (Options.Allow) names them. The check is made on the
//     address actually dialled, after DNS resolution, for the first request
//     and for every redirect, so neither a hostname that resolves to an
//     internal address nor DNS rebinding between check and use gets past it;
//   - ignores proxy settings of the environment, which would move the dial
//     elsewhere;
//   - follows at most Options.MaxRedirects redirects and reports loops;
//   - bounds each response by Options.MaxBytes and Options.Timeout;
//   - names itself with a polite User-Agent, and offers robots.txt rules
//     (Robots) for crawls;
//   - sends conditional requests (ETag, Last-Modified) when given the
//     validators of an earlier fetch, so unchanged pages cost no download.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors a fetch can fail with; compare with errors.Is. Each names the URL
// or address in its message.
var (
	// ErrScheme means the URL is not http or https.
	ErrScheme = errors.New("only http and https URLs can be fetched")
	// ErrBlockedAddress means the host resolved to an address that is
	// internal or special-purpose and not on the allow-list.
	ErrBlockedAddress = errors.New("address is internal or reserved and not on the allow-list")
	// ErrTooManyRedirects means the redirect limit was reached.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrRedirectLoop means a redirect led back to a URL already visited.
	ErrRedirectLoop = errors.New("redirect loop")
	// ErrDowngrade means a redirect led from https to plain http, where
	// what is read could be changed on the way.
	ErrDowngrade = errors.New("redirect from https to http is not followed")
	// ErrTooLarge means the response is over Options.MaxBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrStatus means the server answered with a status other than 200
	// or 304; see StatusError for the code.
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrDisallowed means robots.txt disallows the URL for Lore.
	ErrDisallowed = errors.New("disallowed by robots.txt")
)

// StatusError is the error of a response with a status other than 200 or
// 304. It wraps ErrStatus.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %v %d %s", e.URL, ErrStatus, e.Code, http.StatusText(e.Code))
}

// Unwrap makes errors.Is(err, ErrStatus) hold.
func (e *StatusError) Unwrap() error { return ErrStatus }

// Gone reports whether the status says the page no longer exists (404 or
// 410), as opposed to a failure that may pass.
func (e *StatusError) Gone() bool {
	return e.Code == http.StatusNotFound || e.Code == http.StatusGone
}

// IsGone reports whether err is a StatusError saying the page is gone.
func IsGone(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Gone()
}

// Defaults of Options.
const (
	DefaultMaxBytes     = 10 << 20
	DefaultTimeout      = 30 * time.Second
	DefaultMaxRedirects = 5
	// UserAgent names Lore and where to learn about it, so that site
	// owners can tell what is fetching their pages and write robots.txt
	// rules for it. Robots rules are matched on RobotsAgent.
	UserAgent   = "Lore/1.0 (knowledge-base sync; +https://github.com/lorehq/lore)"
	RobotsAgent = "Lore"
)

// Resolver looks up the addresses of a host; *net.Resolver is one. Tests
// inject their own to prove that hostnames resolving to internal addresses
// are refused.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configures a Client. The zero value is safe: public addresses
// only, the default limits.
type Options struct {
	// Allow names what may be fetched even though it is internal: IP
	// addresses ("10.0.4.2"), prefixes ("10.20.0.0/16", "127.0.0.1/32")
	// or host names ("wiki.corp.example", matched exactly, without
	// regard to case). A host name on the list may resolve to any
	// address. Default: none.
	Allow []string
	// MaxBytes bounds a response body. Default DefaultMaxBytes.
	MaxBytes int64
	// Timeout bounds one fetch, redirects and body included. Default
	// DefaultTimeout.
	Timeout time.Duration
	// MaxRedirects bounds the redirects one fetch follows. Default
	// DefaultMaxRedirects; a negative value follows none.
	MaxRedirects int
	// UserAgent is sent with every request. Default UserAgent.
	UserAgent string
	// Resolver resolves host names. Default net.DefaultResolver.
	Resolver Resolver
}

// Client fetches URLs under the rules of the package. It is safe for
// concurrent use.
type Client struct {
	opts      Options
	allowNets []netip.Prefix
	allowHost map[string]bool
	http      *http.Client
}

// New returns a Client, or an error naming every allow-list entry that is
// neither an address, a prefix nor a host name.
func New(opts Options) (*Client, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.UserAgent == "" {
		opts.UserAgent = UserAgent
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	c := &Client{opts: opts, allowHost: map[string]bool{}}
	var errs []error
	for _, entry := range opts.Allow {
		entry = strings.TrimSpace(entry)
		if p, err := netip.ParsePrefix(entry); err == nil {
			c.allowNets = append(c.allowNets, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(entry); err == nil {
			c.allowNets = append(c.allowNets, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if validHostName(entry) {
			c.allowHost[strings.ToLower(entry)] = true
			continue
		}
		errs = append(errs, fmt.Errorf("fetch allow-list: %q is not an IP address, a prefix such as 10.0.0.0/8, or a host name", entry))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		// No proxy: a proxy would dial on Lore's behalf, past the checks.
		Proxy:                 nil,
		DialContext:           c.dialContext(dialer),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
	}
	c.http = &http.Client{
		Transport:     transport,
		Timeout:       opts.Timeout,
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// validHostName accepts DNS names of letters, digits, '-' and '.'.
func validHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// dialContext resolves the host itself, keeps only permitted addresses and
// dials one of them by address, so the address checked is the address
// used. The dialer's Control re-checks the socket's peer as a second line.
func (c *Client) dialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		hostAllowed := c.allowHost[strings.ToLower(strings.TrimSuffix(host, "."))]
		var addrs []netip.Addr
		if a, err := netip.ParseAddr(host); err == nil {
			addrs = []netip.Addr{a}
		} else {
			addrs, err = c.opts.Resolver.LookupNetIP(ctx, "ip", host)
			if err != nil {
				return nil, fmt.Errorf("resolve %s: %w", host, err)
			}
		}
		var refused []string
		var lastErr error
		for _, a := range addrs {
			a = a.Unmap()
			if !hostAllowed && !c.permitted(a) {
				refused = append(refused, a.String())
				continue
			}
			dd := *d
			dd.Control = func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil {
					return fmt.Errorf("dial %s: unparsable address %q", host, address)
				}
				if !hostAllowed && !c.permitted(ap.Addr().Unmap()) {
					return fmt.Errorf("dial %s (%s): %w", host, ap.Addr(), ErrBlockedAddress)
				}
				return nil
			}
			conn, err := dd.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return conn, nil
			}
			lastErr = err
		}
		if lastErr != nil {
			return nil, lastErr
		}
		if len(refused) > 0 {
			if _, err := netip.ParseAddr(host); err == nil {
				return nil, fmt.Errorf("%s: %w", host, ErrBlockedAddress)
			}
			return nil, fmt.Errorf("%s resolves to %s: %w", host, strings.Join(refused, ", "), ErrBlockedAddress)
		}
		return nil, fmt.Errorf("resolve %s: no addresses", host)
	}
}

// permitted reports whether a may be dialled: a public address, or one the
// allow-list names.
func (c *Client) permitted(a netip.Addr) bool {
	for _, p := range c.allowNets {
		if p.Contains(a) {
			return true
		}
	}
	return !Blocked(a)
}

// checkRedirect enforces the scheme (and no step down from https to
// http), the limit and loop detection on every hop; the address of each
// hop is checked when it is dialled.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if err := checkScheme(req.URL); err != nil {
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
	}
	if len(via) > 0 && strings.EqualFold(via[len(via)-1].URL.Scheme, "https") && strings.EqualFold(req.URL.Scheme, "http") {
		// A page read in plain text could be altered on the way, and its
		// text would reach answers as if it came from the https site.
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), ErrDowngrade)
	}
	if req.URL.User != nil {
		// Credentials planted by a redirect would end up in logs and
		// statuses; no source needs them.
		return fmt.Errorf("redirect to %s: URLs with credentials are not followed", req.URL.Redacted())
	}
	next := normalise(req.URL)
	for _, prev := range via {
		if normalise(prev.URL) == next {
			return fmt.Errorf("%s: %w (after %d redirects)", req.URL.Redacted(), ErrRedirectLoop, len(via))
		}
	}
	if c.opts.MaxRedirects < 0 || len(via) > c.opts.MaxRedirects {
		// The fetch's error names the URL fetched (via[0]).
		return fmt.Errorf("%w (limit %d)", ErrTooManyRedirects, max(c.opts.MaxRedirects, 0))
	}
	if check, ok := req.Context().Value(redirectCheckKey{}).(RedirectCheck); ok && check != nil {
		if err := check(req.Context(), req.URL); err != nil {
			return err
		}
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	return nil
}

// RedirectCheck is asked before a redirect is followed, with the URL it
// leads to; an error stops the fetch with that error. A crawl uses it to
// stay on its site and to obey robots.txt of where a page leads before
// anything is fetched there.
type RedirectCheck func(ctx context.Context, to *url.URL) error

// redirectCheckKey carries a fetch's RedirectCheck to checkRedirect, which
// the http.Client shares between all fetches.
type redirectCheckKey struct{}

func normalise(u *url.URL) string {
	v := *u
	v.Fragment = ""
	v.Host = strings.ToLower(v.Host)
	v.Scheme = strings.ToLower(v.Scheme)
	return v.String()
}

func checkScheme(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return fmt.Errorf("%w (got %q)", ErrScheme, u.Scheme)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// ParseURL parses and checks a URL given by a person: absolute, http or
// https, with a host. Credentials in it are refused, since they would be
// stored and shown with the source.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("not a URL: %w", err)
	}
	if err := checkScheme(u); err != nil {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: URLs with credentials are not accepted", u.Redacted())
	}
	return u, nil
}

// Validators are what an earlier fetch of a URL returned, for a
// conditional request.
type Validators struct {
	ETag         string
	LastModified string
}

// Response is a fetched document.
type Response struct {
	// URL is the final URL, after redirects.
	URL string
	// NotModified means the server answered 304 to a conditional request:
	// Body is empty and the earlier copy is current.
	NotModified bool
	// MediaType is the Content-Type without parameters, lower case.
	MediaType string
	// Charset is the Content-Type's charset parameter, as sent: the
	// encoding of a text Body ("" when not given).
	Charset string
	Body    []byte
	// Validators of this response, for the next conditional request.
	Validators Validators
}

// Get fetches rawURL. prev, when not zero, makes the request conditional.
// A status other than 200 or 304 is a *StatusError.
func (c *Client) Get(ctx context.Context, rawURL string, prev Validators) (Response, error) {
	return c.GetChecked(ctx, rawURL, prev, nil)
}

// GetChecked is Get, asking check (when not nil) before each redirect is
// followed, on top of the rules of the package.
func (c *Client) GetChecked(ctx context.Context, rawURL string, prev Validators, check RedirectCheck) (Response, error) {
	if check != nil {
		ctx = context.WithValue(ctx, redirectCheckKey{}, check)
	}
	u, err := ParseURL(rawURL)
	if err != nil {
		return Response{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "text/html, application/xhtml+xml, application/pdf, application/rss+xml, application/atom+xml, application/xml;q=0.9, text/*;q=0.8, */*;q=0.5")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{}, fmt.Errorf("fetch %s: %w", u.Redacted(), Explain(err))
	}
	defer resp.Body.Close()
	out := Response{
		URL: resp.Request.URL.Redacted(),
		Validators: Validators{
			ETag:         resp.Header.Get("ETag"),
			LastModified: resp.Header.Get("Last-Modified"),
		},
	}
	if mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		out.MediaType = strings.ToLower(mt)
		out.Charset = params["charset"]
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		if prev == (Validators{}) {
			return Response{}, &StatusError{URL: out.URL, Code: resp.StatusCode}
		}
		out.NotModified = true
		if out.Validators == (Validators{}) {
			out.Validators = prev
		}
		return out, nil
	default:
		return Response{}, &StatusError{URL: out.URL, Code: resp.StatusCode}
	}
	if n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64); err == nil && n > c.opts.MaxBytes {
		return Response{}, fmt.Errorf("%s: %w: %d bytes, over the limit of %d", out.URL, ErrTooLarge, n, c.opts.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	if err != nil {
		return Response{}, fmt.Errorf("read %s: %w", out.URL, Explain(err))
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return Response{}, fmt.Errorf("%s: %w: over the limit of %d bytes", out.URL, ErrTooLarge, c.opts.MaxBytes)
	}
	out.Body = body
	return out, nil
}

// RetryAfter reads a Retry-After header's value, delay-seconds or an HTTP
// date, as the wait it asks for at now; 0 when absent or unreadable.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
