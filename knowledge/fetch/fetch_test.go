package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeResolver maps host names to addresses, so tests can make a name
// resolve to loopback without touching DNS.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func loopback() []netip.Addr { return []netip.Addr{netip.MustParseAddr("127.0.0.1")} }

// server runs handler on 127.0.0.1 and counts the requests it gets, so a
// test can prove that a refused fetch never reached it.
func server(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func newClient(t *testing.T, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

func TestGetAllowedLoopbackSendsUserAgent(t *testing.T) {
	var ua string
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		ua = r.Header.Get("User-Agent")
		w.Header().Set("Content-Type", "text/HTML; charset=utf-8")
		fmt.Fprint(w, "<p>hello</p>")
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1/32"}})
	resp, err := c.Get(t.Context(), srv.URL+"/page", Validators{})
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if string(resp.Body) != "<p>hello</p>" || resp.MediaType != "text/html" || resp.Charset != "utf-8" {
		t.Errorf("got %q (%s, charset %q)", resp.Body, resp.MediaType, resp.Charset)
	}
	if ua != UserAgent || !strings.Contains(ua, "Lore") {
		t.Errorf("User-Agent = %q, want %q", ua, UserAgent)
	}
}

func TestInternalAddressesRefusedByDefault(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := newClient(t, Options{})
	for _, u := range []string{
		srv.URL,
		fmt.Sprintf("http://localhost:%d/", port),
		fmt.Sprintf("http://[::1]:%d/", port),
		fmt.Sprintf("http://[::ffff:127.0.0.1]:%d/", port),
		fmt.Sprintf("http://0.0.0.0:%d/", port),
		"http://169.254.169.254/latest/meta-data/",
		"http://10.1.2.3/",
		"http://172.16.0.1/",
		"http://192.168.1.1/",
		"http://100.64.0.1/",
		"http://[fe80::1]/",
		"http://[fd00::1]/",
	} {
		t.Run(u, func(t *testing.T) {
			c := c
			if strings.Contains(u, "localhost") {
				c = newClient(t, Options{Resolver: fakeResolver{"localhost": loopback()}})
			}
			if _, err := c.Get(t.Context(), u, Validators{}); !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("get %s: error %v, want %v", u, err, ErrBlockedAddress)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests", n)
	}
}

func TestHostnameResolvingToLoopbackRefused(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") })
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	res := fakeResolver{"innocent.example": loopback()}
	u := fmt.Sprintf("http://innocent.example:%d/", port)

	_, err := newClient(t, Options{Resolver: res}).Get(t.Context(), u, Validators{})
	if !errors.Is(err, ErrBlockedAddress) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("error %v, want %v naming 127.0.0.1", err, ErrBlockedAddress)
	}
	if hits.Load() != 0 {
		t.Fatal("the request reached the internal server")
	}

	// Naming the host on the allow-list lets it through.
	resp, err := newClient(t, Options{Resolver: res, Allow: []string{"Innocent.Example"}}).Get(t.Context(), u, Validators{})
	if err != nil || string(resp.Body) != "internal" {
		t.Fatalf("allowed host: %q, %v", resp.Body, err)
	}
}

func TestRedirectToInternalRefused(t *testing.T) {
	secret, secretHits := server(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	cases := map[string]struct {
		target string
		want   error
	}{
		"loopback":    {secret.URL + "/admin", ErrBlockedAddress},
		"metadata":    {"http://169.254.169.254/latest/meta-data/iam/", ErrBlockedAddress},
		"private":     {"http://10.0.0.5/", ErrBlockedAddress},
		"file":        {"file:///etc/passwd", ErrScheme},
		"gopher":      {"gopher://127.0.0.1:70/", ErrScheme},
		"ipv6-loop":   {"http://[::1]/", ErrBlockedAddress},
		"credentials": {"http://admin:hunter2@public.example/x", nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			public, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tc.target, http.StatusFound)
			})
			port := public.Listener.Addr().(*net.TCPAddr).Port
			// public.example stands for a public site: allowed by name,
			// while the redirect targets are addresses nobody allowed.
			c := newClient(t, Options{
				Resolver: fakeResolver{"public.example": loopback()},
				Allow:    []string{"public.example"},
			})
			_, err := c.Get(t.Context(), fmt.Sprintf("http://public.example:%d/start", port), Validators{})
			if tc.want == nil {
				// Refused, and without repeating the password.
				if err == nil || !strings.Contains(err.Error(), "credentials") || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("error %v, want a refusal without the password", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
	if n := secretHits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests through redirects", n)
	}
}

// GetChecked asks its check before each redirect hop, and a check that
// lets every hop through still leaves the address rules in force.
func TestGetCheckedAsksBeforeEachRedirect(t *testing.T) {
	secret, secretHits := server(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusFound)
		case "/b":
			http.Redirect(w, r, "/c", http.StatusFound)
		case "/inside":
			http.Redirect(w, r, secret.URL+"/admin", http.StatusFound)
		default:
			fmt.Fprint(w, "ok")
		}
	})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	start := fmt.Sprintf("http://public.example:%d", port)
	c := newClient(t, Options{Resolver: fakeResolver{"public.example": loopback()}, Allow: []string{"public.example"}})
	var asked []string
	stop := errors.New("stop here")
	check := func(_ context.Context, to *url.URL) error {
		asked = append(asked, to.Path)
		if to.Path == "/c" {
			return stop
		}
		return nil
	}
	if _, err := c.GetChecked(t.Context(), start+"/a", Validators{}, check); !errors.Is(err, stop) {
		t.Errorf("error %v, want the check's", err)
	}
	if strings.Join(asked, " ") != "/b /c" {
		t.Errorf("check asked about %v, want /b then /c", asked)
	}
	_, err := c.GetChecked(t.Context(), start+"/inside", Validators{}, func(context.Context, *url.URL) error { return nil })
	if !errors.Is(err, ErrBlockedAddress) || secretHits.Load() != 0 {
		t.Errorf("redirect to loopback with a permissive check: %v (%d requests), want %v", err, secretHits.Load(), ErrBlockedAddress)
	}
}

func TestRedirectLoopAndLimit(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case r.URL.Path == "/b":
			http.Redirect(w, r, "/a", http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, "/chain/"):
			var n int
			fmt.Sscanf(r.URL.Path, "/chain/%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/chain/%d", n+1), http.StatusFound)
		case r.URL.Path == "/ok":
			fmt.Fprint(w, "ok")
		case r.URL.Path == "/once":
			http.Redirect(w, r, "/ok", http.StatusFound)
		}
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}, MaxRedirects: 3})
	if _, err := c.Get(t.Context(), srv.URL+"/a", Validators{}); !errors.Is(err, ErrRedirectLoop) {
		t.Errorf("loop: error %v, want %v", err, ErrRedirectLoop)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/chain/0", Validators{}); !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("chain: error %v, want %v", err, ErrTooManyRedirects)
	}
	resp, err := c.Get(t.Context(), srv.URL+"/once", Validators{})
	if err != nil || resp.URL != srv.URL+"/ok" {
		t.Errorf("one redirect: %+v, %v", resp.URL, err)
	}
}

func TestSizeLimit(t *testing.T) {
	big := strings.Repeat("x", 2048)
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length: the limit must hold while reading
		}
		fmt.Fprint(w, big)
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}, MaxBytes: 1024})
	for _, path := range []string{"/sized", "/chunked"} {
		if _, err := c.Get(t.Context(), srv.URL+path, Validators{}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: error %v, want %v", path, err, ErrTooLarge)
		}
	}
	c = newClient(t, Options{Allow: []string{"127.0.0.1"}, MaxBytes: 2048})
	if resp, err := c.Get(t.Context(), srv.URL+"/sized", Validators{}); err != nil || len(resp.Body) != 2048 {
		t.Errorf("at the limit: %d bytes, %v", len(resp.Body), err)
	}
}

func TestTimeLimit(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}, Timeout: 100 * time.Millisecond})
	_, err := c.Get(t.Context(), srv.URL, Validators{})
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("error %v, want a timeout", err)
	}
}

func TestConditionalGet(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, "body")
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}})
	first, err := c.Get(t.Context(), srv.URL, Validators{})
	if err != nil || first.NotModified || first.Validators.ETag != `"v1"` {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := c.Get(t.Context(), srv.URL, first.Validators)
	if err != nil || !second.NotModified || len(second.Body) != 0 {
		t.Fatalf("second: %+v, %v", second, err)
	}
}

func TestStatusErrors(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		code := map[string]int{"/gone": 410, "/missing": 404, "/broken": 500}[r.URL.Path]
		w.WriteHeader(code)
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}})
	for path, gone := range map[string]bool{"/gone": true, "/missing": true, "/broken": false} {
		_, err := c.Get(t.Context(), srv.URL+path, Validators{})
		if !errors.Is(err, ErrStatus) || IsGone(err) != gone {
			t.Errorf("%s: error %v, gone %v; want a status error, gone %v", path, err, IsGone(err), gone)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, bad := range []string{"", "ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)",
		"example.com/page", "https://user:secret@example.com/", "http://"} {
		if _, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) accepted it", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q repeats the password", err)
		}
	}
	if _, err := ParseURL(" https://example.com/handbook "); err != nil {
		t.Errorf("valid URL refused: %v", err)
	}
}

func TestNewRejectsBadAllowEntries(t *testing.T) {
	_, err := New(Options{Allow: []string{"10.0.0.0/8", "not a host!", "300.1.1.1/8"}})
	if err == nil || !strings.Contains(err.Error(), "not a host!") || !strings.Contains(err.Error(), "300.1.1.1/8") {
		t.Fatalf("error %v, want both bad entries named", err)
	}
}

func TestBlocked(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.255.0.9": true, "10.0.0.1": true, "172.31.255.255": true,
		"192.168.0.1": true, "169.254.169.254": true, "100.64.1.1": true, "0.0.0.0": true,
		"224.0.0.1": true, "255.255.255.255": true, "::1": true, "::": true, "fe80::1": true,
		"fc00::1": true, "fd00:ec2::254": true, "::ffff:10.0.0.1": true, "64:ff9b::a00:1": true,
		"ff02::1": true, "2001:db8::1": true, "198.18.0.1": true,
		// The old IPv4-compatible and IPv4-translated forms carry an
		// IPv4 address too.
		"::127.0.0.1": true, "::a9fe:a9fe": true, "::ffff:0:a00:1": true, "::ffff:0:808:808": true,
		"8.8.8.8": false, "1.1.1.1": false, "172.32.0.1": false, "2606:4700:4700::1111": false,
		"::ffff:8.8.8.8": false,
	} {
		if got := Blocked(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Blocked(%s) = %v, want %v", addr, got, want)
		}
	}
	if !Blocked(netip.Addr{}) {
		t.Error("the zero address is not blocked")
	}
}

func TestRobots(t *testing.T) {
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private\n\nUser-agent: Lore\nDisallow: /no-lore\n")
			return
		}
		fmt.Fprint(w, "page")
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}})
	r := c.NewRobots()
	for path, want := range map[string]bool{"/public": true, "/no-lore/x": false, "/private/x": true} {
		// The Lore group replaces the * group for Lore, as RFC 9309 says.
		got, err := r.Allowed(t.Context(), srv.URL+path)
		if err != nil || got != want {
			t.Errorf("%s: allowed %v (%v), want %v", path, got, err, want)
		}
	}

	missing, _ := server(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	if ok, err := r.Allowed(t.Context(), missing.URL+"/any"); !ok || err != nil {
		t.Errorf("missing robots.txt: allowed %v, %v; want allowed", ok, err)
	}
}

// A robots.txt that cannot be read is fetched once per Robots, and every
// URL of its site is answered with the error, not only the first: a
// caller must be able to tell "not known" from "disallowed" each time.
func TestRobotsUnreadableEveryTime(t *testing.T) {
	failing, hits := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	r := newClient(t, Options{Allow: []string{"127.0.0.1"}}).NewRobots()
	for _, path := range []string{"/a", "/b", "/c"} {
		if ok, err := r.Allowed(t.Context(), failing.URL+path); ok || err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("%s with an unreachable robots.txt: allowed %v, %v; want disallowed with the error", path, ok, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("robots.txt fetched %d times, want once", n)
	}
}

// Host names differ only in case: one site, one robots.txt.
func TestRobotsHostIsCaseInsensitive(t *testing.T) {
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private\n")
	})
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	c := newClient(t, Options{Allow: []string{"127.0.0.1"}, Resolver: fakeResolver{"wiki.example": loopback(), "WIKI.Example": loopback()}})
	r := c.NewRobots()
	for _, u := range []string{"http://wiki.example:%d/private/a", "http://WIKI.Example:%d/private/b"} {
		if ok, err := r.Allowed(t.Context(), fmt.Sprintf(u, port)); ok || err != nil {
			t.Errorf("%s: allowed %v, %v; want disallowed", u, ok, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("robots.txt fetched %d times for one site, want once", n)
	}
}

func TestSameSite(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://example.com/a", "https://example.com/b?x", true},
		{"https://example.com/a", "https://Example.COM/b", true},
		{"https://example.com/a", "HTTPS://example.com/b", true},
		{"https://example.com/a", "https://other.example.com/a", false},
		{"https://example.com/a", "http://example.com/a", false},
		{"https://example.com/a", "https://example.com:8443/a", false},
	} {
		a, _ := url.Parse(tc.a)
		b, _ := url.Parse(tc.b)
		if got := SameSite(a, b); got != tc.want {
			t.Errorf("SameSite(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, "0.5": 500 * time.Millisecond, "soon": 0, "-1": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
	} {
		if got := RetryAfter(in, now); got != want {
			t.Errorf("RetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// A redirect may move a fetch from http to https, never from https back
// to plain http, where what is read could be altered on the way.
func TestRedirectNeverStepsDownToHTTP(t *testing.T) {
	c := newClient(t, Options{})
	hop := func(raw string) *http.Request {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, raw, nil)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	for _, tc := range []struct {
		via  []string
		to   string
		want error
	}{
		{[]string{"http://wiki.example/a"}, "https://wiki.example/a", nil},
		{[]string{"https://wiki.example/a"}, "https://docs.example/a", nil},
		{[]string{"http://wiki.example/a"}, "http://wiki.example/b", nil},
		{[]string{"https://wiki.example/a"}, "http://wiki.example/a", ErrDowngrade},
		{[]string{"HTTPS://wiki.example/a"}, "http://docs.example/a", ErrDowngrade},
		{[]string{"http://wiki.example/a", "https://wiki.example/a"}, "http://wiki.example/b", ErrDowngrade},
	} {
		var via []*http.Request
		for _, v := range tc.via {
			via = append(via, hop(v))
		}
		err := c.checkRedirect(hop(tc.to), via)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%v -> %s: %v, want %v", tc.via, tc.to, err, tc.want)
		}
	}
}

// A fetch that gets no answer says why in plain words, naming the URL and
// the cause without Go's dial, lookup or x509 wording, and still wraps the
// cause for errors.Is and errors.As.
func TestFailuresInPlainWords(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(tlsSrv.Close)
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	hangUp, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	c := newClient(t, Options{Allow: []string{"127.0.0.1", "nowhere.example"}, Resolver: fakeResolver{}})
	cases := []struct {
		name, url, want string
		is              func(error) bool
	}{
		{"connection refused", "http://127.0.0.1:1/", "fetch http://127.0.0.1:1/: connection refused by 127.0.0.1:1: no server is listening there",
			func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{"name not found", "http://nowhere.example/", "fetch http://nowhere.example/: host name nowhere.example not found (DNS)",
			func(err error) bool { var dns *net.DNSError; return errors.As(err, &dns) && dns.IsNotFound }},
		{"certificate not trusted", tlsSrv.URL, "fetch " + tlsSrv.URL + ": TLS certificate not trusted: signed by an unknown authority",
			func(err error) bool { var ua x509.UnknownAuthorityError; return errors.As(err, &ua) }},
		{"closed without an answer", hangUp.URL, "fetch " + hangUp.URL + ": the server closed the connection without a complete answer",
			func(err error) bool { return errors.Is(err, io.EOF) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Get(t.Context(), tc.url, Validators{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
			for _, goWords := range []string{"dial tcp", "lookup ", "x509:", "Get \"", "EOF"} {
				if strings.Contains(err.Error(), goWords) {
					t.Errorf("error %q speaks Go's words (%q)", err, goWords)
				}
			}
			if !tc.is(err) {
				t.Errorf("error %v lost its cause", err)
			}
		})
	}
}

// Explain rewords what net/http returns, dropping the method and URL of
// its *url.Error, which the caller names; this package's own errors and
// ones it has no words for keep their messages.
func TestExplain(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	expired := &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}
	wrongHost := &tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "wiki.example.com"}}
	blocked := fmt.Errorf("10.0.0.1: %w", ErrBlockedAddress)
	other := &url.Error{Op: "Get", URL: "https://x/", Err: errors.New("http: server gave HTTP response to HTTPS client")}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{refused, "connection refused by 127.0.0.1:1: no server is listening there"},
		{&url.Error{Op: "Get", URL: "http://x/", Err: context.DeadlineExceeded}, "timed out: no answer in time"},
		{&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 80}, Err: &timeoutError{}}, "timed out connecting to 192.0.2.1:80"},
		{&net.DNSError{Name: "x.example", Err: "i/o timeout", IsTimeout: true}, "host name x.example could not be looked up in time (DNS)"},
		{&net.DNSError{Name: "x.example", Err: "server misbehaving"}, "host name x.example could not be looked up (DNS: server misbehaving)"},
		{expired, "TLS certificate expired or not yet valid"},
		{wrongHost, "TLS certificate not valid for wiki.example.com"},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), "connection reset before the answer was complete"},
		{blocked, "10.0.0.1: address is internal or reserved and not on the allow-list"},
		{&url.Error{Op: "Get", URL: "http://x/", Err: fmt.Errorf("%w (limit 10)", ErrTooManyRedirects)}, "too many redirects (limit 10)"},
		{other, "http: server gave HTTP response to HTTPS client"},
	} {
		got := Explain(tc.err)
		if got.Error() != tc.want {
			t.Errorf("Explain(%v) = %q, want %q", tc.err, got, tc.want)
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("Explain(%v) does not wrap it", tc.err)
		}
	}
	if !errors.Is(Explain(blocked), ErrBlockedAddress) {
		t.Error("Explain lost ErrBlockedAddress")
	}
	if Explain(nil) != nil {
		t.Error("Explain(nil) is not nil")
	}
}

// timeoutError is a net.Error that timed out, as a dialler's.
type timeoutError struct{}

func (*timeoutError) Error() string   { return "i/o timeout" }
func (*timeoutError) Timeout() bool   { return true }
func (*timeoutError) Temporary() bool { return true }
