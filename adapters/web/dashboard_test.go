package web_test

import (
	"context"
	"crypto/tls"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

const adminToken = "admin-token-for-tests-0123"

var (
	sessionKey = []byte("session-key-for-tests-0123456789abcdef")
	// now is a Wednesday; the default view is the 7 days to the end of it.
	now = time.Date(2026, 3, 11, 15, 0, 0, 0, time.UTC)
)

// seed records a known week for the dashboard: 12 people in #general ask
// one question each (9 answered from "Annual leave", 3 not, about the gym),
// 2 people in #tiny ask one each, not answered, about the gym too; one of
// them also asks, unanswered, about their dog. The gym gap has 5 askers,
// the dog gap one. And 6 questions the week before.
func seed(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for _, d := range []store.Document{
		{ID: "leave", Collection: "handbook", Source: "leave.md", Title: "Annual leave", Owner: "hr@example.com", Tags: []string{"leave"}},
		{ID: "unused", Collection: "handbook", Source: "unused.md", Title: "Travel <policy>"},
	} {
		if err := s.ReplaceDocument(ctx, d, []store.Chunk{{Text: d.Title, Terms: []string{"x"}, Vector: []float32{1, 0}}}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	rec := func(e store.Event) {
		n++
		e.ID = fmt.Sprintf("e%d", n)
		if e.Platform == "" {
			e.Platform = "slack"
		}
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	const gym = "<script>alert(1)</script> where is the @channel gym?"
	for i := range 12 {
		u := fmt.Sprintf("U%02d", i)
		at := start.Add(time.Duration(i) * time.Hour)
		rec(store.Event{Time: at, Kind: store.EventQuestion, Channel: "general", User: u})
		if i < 9 {
			rec(store.Event{Time: at.Add(time.Second), Kind: store.EventAnswer, Channel: "general", User: u, Confident: true, DocIDs: []string{"leave"}})
		} else {
			rec(store.Event{Time: at.Add(time.Second), Kind: store.EventAnswer, Channel: "general", User: u, Question: gym})
		}
	}
	for i := range 2 {
		u := fmt.Sprintf("T%d", i)
		rec(store.Event{Time: start, Kind: store.EventQuestion, Channel: "tiny", User: u})
		rec(store.Event{Time: start.Add(time.Second), Kind: store.EventAnswer, Channel: "tiny", User: u, Question: gym})
	}
	rec(store.Event{Time: start.Add(time.Minute), Kind: store.EventAnswer, Channel: "tiny", User: "T0", Question: "can I bring my dog Rex?"})
	for i := range 6 {
		rec(store.Event{Time: start.AddDate(0, 0, -7), Kind: store.EventQuestion, Channel: "general", User: fmt.Sprintf("U%02d", i)})
	}
	return s
}

func newDashboard(t *testing.T, src engagement.Source, mutate ...func(*web.DashboardConfig)) *web.Dashboard {
	t.Helper()
	cfg := web.DashboardConfig{Source: src, AdminToken: adminToken, SessionKey: sessionKey, Clock: func() time.Time { return now },
		Settings: map[string]string{"privacy k": "5"}, Logger: slog.New(slog.DiscardHandler)}
	for _, m := range mutate {
		m(&cfg)
	}
	d, err := web.NewDashboard(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// client is a browser: it keeps cookies and does not follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func signIn(t *testing.T, c *http.Client, base, token string) *http.Response {
	t.Helper()
	resp, err := c.PostForm(base+"/dashboard/login", url.Values{"token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func metric(t *testing.T, page, key string) string {
	t.Helper()
	m := regexp.MustCompile(`data-metric="` + key + `"><div>[^<]*</div><div class="v">([^<]*)</div><div class="(\w+)">([^<]*)</div>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page has no metric %s", key)
	}
	return html.UnescapeString(m[1] + " " + m[3])
}

func TestDashboardAsAdmin(t *testing.T) {
	srv := httptest.NewServer(newDashboard(t, seed(t)).Handler())
	defer srv.Close()
	c := client(t)
	if code, _, h := get(t, c, srv.URL+"/dashboard"); code != http.StatusSeeOther || h.Get("Location") != "/dashboard/login" {
		t.Fatalf("anonymous GET /dashboard = %d to %q, want a redirect to sign in", code, h.Get("Location"))
	}
	if resp := signIn(t, c, srv.URL, "wrong-token-0123456789"); resp.Header.Get("Location") != "/dashboard/login?failed=1" {
		t.Fatalf("wrong token: redirect to %q", resp.Header.Get("Location"))
	}
	if code, _, _ := get(t, c, srv.URL+"/dashboard"); code != http.StatusSeeOther {
		t.Fatal("a wrong token signed in")
	}
	signIn(t, c, srv.URL, adminToken)
	code, page, h := get(t, c, srv.URL+"/dashboard")
	if code != http.StatusOK {
		t.Fatalf("GET /dashboard = %d\n%s", code, page)
	}
	for key, want := range map[string]string{
		"active_learners": "14 +133%", // 14 people; 6 the week before
		"questions":       "14 +133%",
		"answered":        "9 new",
		"answer_rate":     "60% +60 pts", // 9 of 15 answers
	} {
		if got := metric(t, page, key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if !strings.Contains(page, `<polyline class="series" data-series="active learners"`) {
		t.Error("no chart")
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(page, "Travel &lt;policy&gt;") {
		t.Error("user or document text is not escaped")
	}
	if strings.Contains(page, `<td>tiny</td>`) {
		t.Error("a channel of 2 people is shown")
	}
	for _, want := range []string{`id="gaps"`, "hr@example.com", `id="settings"`, "privacy k"} {
		if !strings.Contains(page, want) {
			t.Errorf("admin page lacks %q", want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP = %q", csp)
	}
	code, body, h := get(t, c, srv.URL+"/dashboard/export.csv?table=gaps")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(body, "where is the @channel gym?") {
		t.Errorf("gaps CSV = %d %q\n%s", code, h.Get("Content-Type"), body)
	}
	// The dog gap was asked by one person: counted, never quoted.
	if strings.Contains(page+body, "Rex") || !strings.Contains(page, `id="gaps-withheld">1 gap asked by too few people to quote`) {
		t.Errorf("a gap of one person is quoted, or not counted:\n%s\n%s", page, body)
	}
}

// lore serve mounts the dashboard on the mux it shares with /metrics and
// the health checks: its pages keep their security headers there too.
func TestDashboardHeadersOnASharedMux(t *testing.T) {
	mux := http.NewServeMux()
	newDashboard(t, seed(t)).Register(mux)
	for _, path := range []string{"/dashboard", "/dashboard/login", "/dashboard/export.csv"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		h := rec.Header()
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s (%d): headers %v", path, rec.Code, h)
		}
	}
}

// Pages and CSV downloads are private figures: no browser, proxy or shared
// machine keeps a copy after the leader signs out.
func TestDashboardIsNeverCached(t *testing.T) {
	srv := httptest.NewServer(newDashboard(t, seed(t)).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	for _, path := range []string{"/dashboard", "/dashboard?period=30d", "/dashboard/export.csv?table=figures", "/dashboard/export.csv?table=gaps", "/dashboard/audit", "/dashboard?period=1y"} {
		code, _, h := get(t, c, srv.URL+path)
		if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") || !strings.Contains(cc, "private") {
			t.Errorf("GET %s (%d): Cache-Control %q, want private, no-store", path, code, cc)
		}
	}
}

// Behind a trusted proxy that ends TLS and says so in X-Forwarded-Proto,
// the session cookie is still marked Secure. Like X-Forwarded-For, the
// header is believed only from a trusted proxy: from any other peer, and
// from every peer when no proxy is trusted, only a TLS connection to the
// dashboard itself counts. The first header ignored is logged, once.
func TestSessionCookieSecureBehindATLSProxy(t *testing.T) {
	trusted, err := web.ParseTrustedProxies("10.0.0.0/8, 2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	behindProxy := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
		c.TrustedProxies = trusted
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	}).Handler()
	noProxy := newDashboard(t, seed(t)).Handler()
	for _, c := range []struct {
		name   string
		h      http.Handler
		remote string
		proto  string
		tls    bool
		secure bool
	}{
		{"trusted proxy says https", behindProxy, "10.1.2.3:4567", "https", false, true},
		{"trusted IPv6 proxy says HTTPS", behindProxy, "[2001:db8::7]:4567", " HTTPS ", false, true},
		{"trusted proxy says http", behindProxy, "10.1.2.3:4567", "http", false, false},
		{"trusted proxy says nothing", behindProxy, "10.1.2.3:4567", "", false, false},
		{"untrusted peer says https", behindProxy, "192.0.2.1:1234", "https", false, false},
		{"another untrusted peer says https", behindProxy, "[2001:db9::1]:1234", "https", false, false},
		{"untrusted peer over TLS", behindProxy, "192.0.2.1:1234", "http", true, true},
		{"no trusted proxies, a proxy says https", noProxy, "10.1.2.3:4567", "https", false, false},
		{"no trusted proxies, over TLS", noProxy, "10.1.2.3:4567", "", true, true},
		{"no trusted proxies, plain HTTP", noProxy, "10.1.2.3:4567", "", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/dashboard/login", strings.NewReader(url.Values{"token": {adminToken}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = c.remote
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			if c.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			if len(cookies) == 0 {
				t.Fatalf("no session cookie (%d)", rec.Code)
			}
			if cookies[0].Secure != c.secure {
				t.Errorf("Secure %v, want %v", cookies[0].Secure, c.secure)
			}
		})
	}
	if n := strings.Count(logs.String(), "X-Forwarded-Proto ignored"); n != 1 || !strings.Contains(logs.String(), "remote=192.0.2.1:1234") {
		t.Errorf("%d warnings of an ignored X-Forwarded-Proto, want 1 naming the first peer:\n%s", n, logs.String())
	}
}

func TestDashboardRefusesForgedSessions(t *testing.T) {
	srv := httptest.NewServer(newDashboard(t, seed(t)).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	u, _ := url.Parse(srv.URL)
	cookie := c.Jar.Cookies(u)[0]
	payload, sig, _ := strings.Cut(cookie.Value, ".")
	for name, value := range map[string]string{
		"other signature": payload + ".AAAA" + sig[4:],
		"no signature":    payload,
		"garbage":         "%%%",
	} {
		req, _ := http.NewRequest("GET", srv.URL+"/dashboard", nil)
		req.AddCookie(&http.Cookie{Name: "lore_session", Value: value})
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: status %d, want a redirect to sign in", name, resp.StatusCode)
		}
	}
	// An expired session is refused too.
	later := newDashboard(t, seed(t), func(c *web.DashboardConfig) {
		c.Clock = func() time.Time { return now.Add(13 * time.Hour) }
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/dashboard", nil)
	req.AddCookie(cookie)
	later.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Errorf("expired session: status %d", rec.Code)
	}
}

func TestDashboardBadInput(t *testing.T) {
	s := seed(t)
	srv := httptest.NewServer(newDashboard(t, s).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	for _, q := range []string{"period=1y", "until=yesterday", "until=" + strings.Repeat("x", 300), "until=%ff", "until=2026-03-09&period=-7d",
		// Go's zero time, which the store reads as no bound, and other
		// periods before any engagement was recorded.
		"until=0001-01-01", "until=0001-01-08", "until=1970-01-03", "period=365d&until=1970-12-31"} {
		code, body, _ := get(t, c, srv.URL+"/dashboard?"+q)
		if code != http.StatusBadRequest || !strings.Contains(body, "class=\"notice\"") {
			t.Errorf("?%s = %d, want 400 with a message", q, code)
		}
	}
	if code, _, _ := get(t, c, srv.URL+"/dashboard/export.csv?table=people"); code != http.StatusForbidden {
		t.Errorf("unknown table: %d", code)
	}
	// The database goes away: a clear 503, not a crash.
	s.Close()
	code, page, _ := get(t, c, srv.URL+"/dashboard?period=30d")
	if code != http.StatusServiceUnavailable || !strings.Contains(page, "cannot be reached") {
		t.Errorf("database closed: %d\n%s", code, page)
	}
}

func TestNewDashboardRefusesWeakConfig(t *testing.T) {
	s := seed(t)
	for name, cfg := range map[string]web.DashboardConfig{
		"no source":       {AdminToken: adminToken, SessionKey: sessionKey},
		"short key":       {Source: s, AdminToken: adminToken, SessionKey: []byte("short")},
		"no sign-in":      {Source: s, SessionKey: sessionKey},
		"short token":     {Source: s, AdminToken: "abc", SessionKey: sessionKey},
		"k below the min": {Source: s, AdminToken: adminToken, SessionKey: sessionKey, Options: engagement.Options{K: 2}},
	} {
		if _, err := web.NewDashboard(t.Context(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A view narrowed to a platform or channel could be subtracted from the
// whole: everything minus the channels shown is the small channels merged
// into "Other" (here #tiny, 2 people). The dashboard refuses such views,
// pages and downloads alike, and offers no such filter.
func TestDashboardRefusesGroupFilters(t *testing.T) {
	srv := httptest.NewServer(newDashboard(t, seed(t)).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	for _, q := range []string{"channel=general", "channel=tiny", "platform=slack", "period=30d&platform=slack&channel=general"} {
		for _, path := range []string{"/dashboard?", "/dashboard/export.csv?table=figures&", "/dashboard/export.csv?table=daily&"} {
			code, body, _ := get(t, c, srv.URL+path+q)
			if code != http.StatusBadRequest || strings.Contains(body, "data-metric") || strings.Contains(body, "questions,") {
				t.Errorf("%s%s = %d, want 400 without figures\n%s", path, q, code, body)
			}
		}
	}
	// Empty values, as an older form sent them, are no filter.
	code, page, _ := get(t, c, srv.URL+"/dashboard?platform=&channel=")
	if code != http.StatusOK || !strings.Contains(page, "data-metric") {
		t.Fatalf("empty filters = %d", code)
	}
	if strings.Contains(page, `name="platform"`) || strings.Contains(page, `name="channel"`) {
		t.Error("the page offers a platform or channel filter")
	}
	if !strings.Contains(page, `<td>Other</td>`) || strings.Contains(page, `<td>tiny</td>`) {
		t.Error("the breakdown does not merge #tiny into Other")
	}
}

// A period retention has folded has no raw events to compute figures
// from: they are withheld, while the chart still shows its days of 5
// people or more, counted once each across channels.
func TestDashboardRolledUpPeriod(t *testing.T) {
	s := seed(t)
	if _, err := s.Compact(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newDashboard(t, s).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	code, page, _ := get(t, c, srv.URL+"/dashboard")
	if code != http.StatusOK || !strings.Contains(page, `id="withheld"`) || strings.Contains(page, "data-metric") {
		t.Fatalf("GET /dashboard after retention = %d, want figures withheld\n%s", code, page)
	}
	// 5 March: 12 people in #general and 2 in #tiny, 14 questions.
	if !strings.Contains(page, "<title>5 Mar: 14 active learners</title>") || !strings.Contains(page, "<title>5 Mar: 14 questions</title>") {
		t.Errorf("the chart lacks the folded day of 14 people:\n%s", page)
	}
}

// csvColumn reads a CSV download into a map from its first column to the
// column named col.
func csvColumn(t *testing.T, body, col string) map[string]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("CSV %q: %v", body, err)
	}
	i := slices.Index(rows[0], col)
	if i < 0 {
		t.Fatalf("CSV has no column %s:\n%s", col, body)
	}
	out := map[string]string{}
	for _, row := range rows[1:] {
		out[row[0]] = row[i]
	}
	return out
}

// A leader downloads the 7 days to 10 March and the 7 days to 9 March.
// They differ by 10 March, when one person alone asked 3 questions, and
// by 3 March, whose questions the chart shows: until=11 minus until=10
// plus 3 March would be that person's questions. 10 March counts in no
// figure, so the sum gives nothing.
func TestDashboardPeriodsDoNotSubtractToADayOfOnePerson(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	n := 0
	rec := func(e store.Event) {
		n++
		e.ID, e.Platform, e.Channel = fmt.Sprintf("e%d", n), "slack", "general"
		if err := s.RecordEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	for d := 2; d <= 9; d++ {
		for i := range 6 {
			rec(store.Event{Time: time.Date(2026, 3, d, 9+i, 0, 0, 0, time.UTC), Kind: store.EventQuestion, User: fmt.Sprintf("U%d", i)})
		}
	}
	for h := range 3 {
		rec(store.Event{Time: time.Date(2026, 3, 10, 9+h, 0, 0, 0, time.UTC), Kind: store.EventQuestion, User: "solo"})
	}
	srv := httptest.NewServer(newDashboard(t, s).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	download := func(q string) string {
		t.Helper()
		code, body, _ := get(t, c, srv.URL+"/dashboard/export.csv?"+q)
		if code != http.StatusOK {
			t.Fatalf("GET export.csv?%s = %d\n%s", q, code, body)
		}
		return body
	}
	questions := func(q string) int {
		t.Helper()
		v, err := strconv.Atoi(csvColumn(t, download("table=figures&"+q), "value")["questions"])
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	to11, to10 := questions("period=7d&until=2026-03-11"), questions("period=7d&until=2026-03-10")
	march3, err := strconv.Atoi(csvColumn(t, download("table=daily&period=7d&until=2026-03-10"), "questions")["2026-03-03"])
	if err != nil {
		t.Fatal(err)
	}
	if derived := to11 - to10 + march3; to11 != 36 || derived != 0 {
		t.Errorf("questions: %d to 10 March, %d to 9 March, %d on 3 March; 10 March derived as %d, want 36 and nothing derived", to11, to10, march3, derived)
	}
	if day := csvColumn(t, download("table=daily&period=7d&until=2026-03-11"), "questions")["2026-03-10"]; day != "" {
		t.Errorf("10 March on the chart: %q questions, want it withheld", day)
	}

	// The default view ends with yesterday, and says a day is left out.
	code, page, _ := get(t, c, srv.URL+"/dashboard")
	if code != http.StatusOK || !strings.Contains(page, "4 Mar 2026 to 10 Mar 2026") ||
		!strings.Contains(page, `id="days-left-out">1 day with fewer than 5 people is left out of these figures`) {
		t.Errorf("GET /dashboard = %d, want 4 to 10 March with a day left out:\n%s", code, page)
	}
	// Today is reported once it is over: until tomorrow would count today
	// so far, which read again an hour later gives that hour.
	for _, path := range []string{"/dashboard?until=2026-03-12", "/dashboard/export.csv?table=figures&until=2026-03-12"} {
		if code, body, _ := get(t, c, srv.URL+path); code != http.StatusBadRequest || !strings.Contains(body, "today, 2026-03-11, at the latest") {
			t.Errorf("GET %s = %d, want 400 saying why:\n%s", path, code, body)
		}
	}
}

// The download links of a page give the tables of the period the page
// shows, not of the default one.
func TestDashboardDownloadsFollowTheViewedPeriod(t *testing.T) {
	srv := httptest.NewServer(newDashboard(t, seed(t)).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	code, page, _ := get(t, c, srv.URL+"/dashboard?period=30d&until=2026-03-10")
	if code != http.StatusOK {
		t.Fatalf("GET /dashboard = %d\n%s", code, page)
	}
	if got := metric(t, page, "questions"); !strings.HasPrefix(got, "20 ") {
		t.Fatalf("the page shows %q questions, want the 20 of the 30 days to 9 March", got)
	}
	links := regexp.MustCompile(`href="(/dashboard/export\.csv\?[^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(links) != 5 {
		t.Fatalf("%d download links, want 5:\n%s", len(links), page)
	}
	for _, l := range links {
		u := html.UnescapeString(l[1])
		code, body, _ := get(t, c, srv.URL+u)
		if code != http.StatusOK {
			t.Fatalf("GET %s = %d\n%s", u, code, body)
		}
		switch {
		case strings.Contains(u, "table=figures"):
			if q := csvColumn(t, body, "value")["questions"]; q != "20" {
				t.Errorf("%s: %s questions, want the page's 20", u, q)
			}
		case strings.Contains(u, "table=daily"):
			// The chart's eight weeks end with the page's last day, 9 March.
			if days := csvColumn(t, body, "questions"); len(days) != 56 || days["2026-03-09"] != "0" {
				t.Errorf("%s: %d days, 9 March %q; want the 56 days to 9 March", u, len(days), days["2026-03-09"])
			}
		}
	}
}

// A session given by the admin token ends when the token changes or is
// removed: rotating a leaked token must lock out whoever used it, on
// every replica that shares the session key.
func TestDashboardSessionEndsWithItsAdminToken(t *testing.T) {
	s := seed(t)
	srv := httptest.NewServer(newDashboard(t, s).Handler())
	defer srv.Close()
	c := client(t)
	signIn(t, c, srv.URL, adminToken)
	u, _ := url.Parse(srv.URL)
	cookie := c.Jar.Cookies(u)[0]
	status := func(d *web.Dashboard, path string) int {
		t.Helper()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cookie)
		d.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	if code := status(newDashboard(t, s), "/dashboard/audit"); code != http.StatusOK {
		t.Fatalf("the same token after a restart: %d, want the session kept", code)
	}
	rotated := newDashboard(t, s, func(c *web.DashboardConfig) { c.AdminToken = "a-new-admin-token-4567" })
	for _, path := range []string{"/dashboard", "/dashboard/audit", "/dashboard/export.csv?table=gaps"} {
		if code := status(rotated, path); code != http.StatusSeeOther && code != http.StatusUnauthorized {
			t.Errorf("GET %s with the old token's session: %d, want it refused", path, code)
		}
	}
}
