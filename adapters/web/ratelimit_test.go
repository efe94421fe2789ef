package web_test

import (
	"fmt"
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
