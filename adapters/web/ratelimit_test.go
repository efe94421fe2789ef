package web_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/web"
)

// A guesser of the admin token gets ten attempts from one address, then
// one every ten seconds, answered 429 with Retry-After in between, even
// with the right token; other addresses are not held up, X-Forwarded-For
// does not make a new address, and all addresses together get a hundred
// attempts, then one a second.
func TestAdminTokenSignInIsRateLimited(t *testing.T) {
	var mu sync.Mutex
	clock := now
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(d)
	}
	h := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
		c.Clock = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}
	}).Handler()
	attempt := func(remote, token, forwardedFor string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/dashboard/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		if forwardedFor != "" {
			req.Header.Set("X-Forwarded-For", forwardedFor)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	const wrong = "wrong-token-0123456789"
	signedIn := func(rec *httptest.ResponseRecorder) bool {
		return rec.Code == http.StatusSeeOther && rec.Header().Get("Location") == "/dashboard"
	}
	limited := func(t *testing.T, rec *httptest.ResponseRecorder, retry string) {
		t.Helper()
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != retry {
			t.Fatalf("got %d, Retry-After %q; want 429, Retry-After %s", rec.Code, rec.Header().Get("Retry-After"), retry)
		}
		if len(rec.Result().Cookies()) != 0 {
			t.Fatal("a limited attempt was given a session")
		}
	}

	t.Run("per address", func(t *testing.T) {
		for i := range 10 {
			if rec := attempt("192.0.2.1:4000", wrong, fmt.Sprint("198.51.100.", i)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/dashboard/login?failed=1" {
				t.Fatalf("attempt %d: %d to %q, want refused as wrong", i+1, rec.Code, rec.Header().Get("Location"))
			}
		}
		// Another port, another X-Forwarded-For: the same client.
		limited(t, attempt("192.0.2.1:4001", adminToken, "203.0.113.9"), "10")
		if rec := attempt("192.0.2.2:4000", adminToken, ""); !signedIn(rec) {
			t.Fatalf("another address: %d to %q, want signed in", rec.Code, rec.Header().Get("Location"))
		}
		advance(4 * time.Second)
		limited(t, attempt("192.0.2.1:4000", adminToken, ""), "6")
		advance(6 * time.Second)
		if rec := attempt("192.0.2.1:4000", adminToken, ""); !signedIn(rec) {
			t.Fatalf("after the wait: %d to %q, want signed in", rec.Code, rec.Header().Get("Location"))
		}
		// The right token cost nothing: the attempt it was let in on is
		// still there.
		if rec := attempt("192.0.2.1:4000", wrong, ""); rec.Code != http.StatusSeeOther {
			t.Fatalf("after signing in: %d, want an attempt", rec.Code)
		}
		limited(t, attempt("192.0.2.1:4000", wrong, ""), "10")
	})

	t.Run("an IPv6 /64 is one client", func(t *testing.T) {
		for i := range 10 {
			attempt(fmt.Sprintf("[2001:db8:1:2::%x]:4000", i+1), wrong, "")
		}
		limited(t, attempt("[2001:db8:1:2:ffff::1]:4000", wrong, ""), "10")
		if rec := attempt("[2001:db8:1:3::1]:4000", wrong, ""); rec.Code != http.StatusSeeOther {
			t.Fatalf("another /64: %d, want an attempt", rec.Code)
		}
	})

	t.Run("all addresses", func(t *testing.T) {
		advance(time.Hour)
		for i := range 100 {
			if rec := attempt(fmt.Sprintf("10.0.%d.%d:4000", i/10, i%10), wrong, ""); rec.Code != http.StatusSeeOther {
				t.Fatalf("attempt %d from a new address: %d, want an attempt", i+1, rec.Code)
			}
		}
		limited(t, attempt("10.1.0.1:4000", adminToken, ""), "1")
		advance(time.Second)
		if rec := attempt("10.1.0.1:4000", adminToken, ""); !signedIn(rec) {
			t.Fatalf("a second later: %d to %q, want signed in", rec.Code, rec.Header().Get("Location"))
		}
	})
}

// Behind trusted proxies, each client has its own allowance: the client is
// the rightmost X-Forwarded-For address that is not a trusted proxy, so an
// address a client writes further left changes nothing, and a peer that is
// not a trusted proxy is the client whatever header it sends.
func TestSignInLimitCountsTheClientBehindTrustedProxies(t *testing.T) {
	trusted, err := web.ParseTrustedProxies("10.0.0.0/8, 2001:db8:ffff::/48, 192.0.2.254")
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	h := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
		c.TrustedProxies = trusted
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}).Handler()
	attempt := func(remote string, forwardedFor ...string) int {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/dashboard/login", strings.NewReader(url.Values{"token": {"wrong-token-0123456789"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = remote
		for _, v := range forwardedFor {
			req.Header.Add("X-Forwarded-For", v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	// exhaust makes ten attempts, which a client may, then one more,
	// which must be refused; each attempt is given its own i.
	exhaust := func(t *testing.T, try func(i int) int) {
		t.Helper()
		for i := range 10 {
			if code := try(i); code != http.StatusSeeOther {
				t.Fatalf("attempt %d: %d, want an attempt", i+1, code)
			}
		}
		if code := try(10); code != http.StatusTooManyRequests {
			t.Fatalf("attempt 11: %d, want 429", code)
		}
	}

	t.Run("a chain of proxies", func(t *testing.T) {
		// The client's own header, then two proxies, each adding the
		// address it was reached from.
		exhaust(t, func(i int) int {
			return attempt("10.0.0.1:4000", fmt.Sprintf("203.0.113.%d, 198.51.100.7, 10.1.2.3", i))
		})
		// Another client behind the same proxies is not held up.
		if code := attempt("10.0.0.1:4000", "198.51.100.8, 10.1.2.3"); code != http.StatusSeeOther {
			t.Fatalf("another client through the proxy: %d, want an attempt", code)
		}
		// Each proxy may write its own header line.
		if code := attempt("10.0.0.1:4000", "198.51.100.7", "10.1.2.3"); code != http.StatusTooManyRequests {
			t.Fatalf("the client again, the header in two lines: %d, want 429", code)
		}
	})

	t.Run("a peer that is no trusted proxy", func(t *testing.T) {
		exhaust(t, func(i int) int {
			return attempt("192.0.2.50:4000", fmt.Sprintf("198.51.100.%d", 100+i))
		})
		if code := attempt("192.0.2.254:4000", "198.51.100.120"); code != http.StatusSeeOther {
			t.Fatalf("the same header from a trusted proxy: %d, want an attempt", code)
		}
	})

	t.Run("IPv6", func(t *testing.T) {
		// Clients of one /64, addresses written with and without a port.
		exhaust(t, func(i int) int {
			hop := fmt.Sprintf("2001:db8:1:2::%x", i+1)
			if i%2 == 1 {
				hop = "[" + hop + "]:5555"
			}
			return attempt("[2001:db8:ffff::1]:443", hop+", 2001:db8:ffff:1::9")
		})
		if code := attempt("[2001:db8:ffff::1]:443", "2001:db8:1:3::1"); code != http.StatusSeeOther {
			t.Fatalf("another /64 through the proxy: %d, want an attempt", code)
		}
		// An IPv4 peer written as IPv4-mapped IPv6 is the IPv4 proxy.
		if code := attempt("[::ffff:10.0.0.1]:4000", "2001:db8:1:2::99"); code != http.StatusTooManyRequests {
			t.Fatalf("the /64 through a mapped IPv4 proxy: %d, want 429", code)
		}
	})

	t.Run("an unreadable hop", func(t *testing.T) {
		// What cannot be read is no client: the proxy that wrote it is.
		exhaust(t, func(i int) int {
			return attempt("10.9.9.9:4000", fmt.Sprintf("198.51.100.%d, unknown", 200+i))
		})
	})

	if !strings.Contains(logs.String(), "remote=198.51.100.7 proxy=10.0.0.1:4000") {
		t.Errorf("the log does not name the client and its proxy:\n%s", logs.String())
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tp, err := web.ParseTrustedProxies(" 10.0.0.0/8,192.0.2.7 ,, 2001:db8::/32, ::ffff:172.16.0.0/108, 10.1.2.3/16")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tp.String(), "10.0.0.0/8,192.0.2.7,2001:db8::/32,172.16.0.0/12,10.1.0.0/16"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if tp, err := web.ParseTrustedProxies(""); err != nil || len(tp) != 0 {
		t.Errorf("empty: %v, %v; want no proxies", tp, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.internal", "10.0.0", "fe80::1%eth0", "10.0.0.1:80"} {
		if _, err := web.ParseTrustedProxies("10.0.0.1," + bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%q: %v, want an error naming it", bad, err)
		}
	}
}
