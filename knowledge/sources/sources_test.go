package sources

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// site is a test web site whose pages can change between syncs.
type site struct {
	mu       sync.Mutex
	pages    map[string]page // by path
	requests map[string]int  // by path
	srv      *httptest.Server
}

type page struct {
	status int
	ctype  string
	body   string
	etag   string
	// location, when set, makes the page a redirect there.
	location string
}

func newSite(t *testing.T) *site {
	s := &site{pages: map[string]page{}, requests: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		p, ok := s.pages[r.URL.Path]
		s.requests[r.URL.Path]++
		s.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if p.location != "" {
			http.Redirect(w, r, p.location, http.StatusFound)
			return
		}
		if p.etag != "" {
			w.Header().Set("ETag", p.etag)
			if r.Header.Get("If-None-Match") == p.etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if p.ctype != "" {
			w.Header().Set("Content-Type", p.ctype)
		}
		if p.status != 0 {
			w.WriteHeader(p.status)
		}
		fmt.Fprint(w, p.body)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) set(path string, p page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ctype == "" {
		p.ctype = "text/html; charset=utf-8"
	}
	s.pages[path] = p
}

func (s *site) remove(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pages, path)
}

func (s *site) url(path string) string { return s.srv.URL + path }

// hits returns how many requests each path got, and forgets them.
func (s *site) hits() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.requests
	s.requests = map[string]int{}
	return h
}

func (s *site) sitemap(paths ...string) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
	for _, p := range paths {
		fmt.Fprintf(&b, "<url><loc>%s</loc></url>", s.url(p))
	}
	b.WriteString("</urlset>")
	s.set("/sitemap.xml", page{ctype: "application/xml", body: b.String()})
}

func article(title, text string) string {
	return fmt.Sprintf(`<html><head><title>%s</title></head><body><nav>Home | About</nav><article><h1>%s</h1>
		<p>%s</p><p>This paragraph is here so that the readability extractor sees enough prose to call this an article.</p>
		</article><footer>© Example</footer></body></html>`, title, title, text)
}

type env struct {
	st     *sqlite.Store
	svc    *knowledge.Service
	syncer *Syncer
	events []Event
}

func newEnv(t *testing.T, allow ...string) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	client, err := fetch.New(fetch.Options{Allow: allow, MaxBytes: 64 << 10, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc := knowledge.New(st, knowledge.Options{})
	return &env{st: st, svc: svc, syncer: &Syncer{Store: st, Index: svc, Fetch: client, Delay: -1}}
}

func (e *env) add(t *testing.T, src store.Source) {
	t.Helper()
	if src.Collection == "" {
		src.Collection = "web"
	}
	if err := e.st.AddSource(t.Context(), src); err != nil {
		t.Fatal(err)
	}
}

func (e *env) sync(t *testing.T, name string) (Result, error) {
	t.Helper()
	e.events = nil
	return e.syncer.Sync(t.Context(), name, func(ev Event) { e.events = append(e.events, ev) })
}

func (e *env) mustSync(t *testing.T, name string) Result {
	t.Helper()
	res, err := e.sync(t, name)
	if err != nil {
		t.Fatalf("sync %s: %v", name, err)
	}
	return res
}

func (e *env) status(t *testing.T, name string) store.SourceStatus {
	t.Helper()
	src, err := e.st.Source(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return src.Status
}

func (e *env) docs(t *testing.T) int {
	t.Helper()
	st, err := e.st.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st.Documents
}

// search returns the sources and headings of the top passages.
func (e *env) search(t *testing.T, q string) []string {
	t.Helper()
	ps, err := e.svc.Search(t.Context(), q, 3, store.Everything)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Source+" | "+p.Heading)
	}
	return out
}

// chunks returns the text of a document's chunks.
func (e *env) chunks(t *testing.T, docID string) []string {
	t.Helper()
	ids, err := e.st.ChunkIDs(t.Context(), docID)
	if err != nil {
		t.Fatal(err)
	}
	views, err := e.st.Chunks(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range views {
		out = append(out, v.Text)
	}
	return out
}

// twoPageSitemap is a site of two pages, /a and /b, on its sitemap, and
// the source "site" that syncs it (not yet synced).
func twoPageSitemap(t *testing.T) (*site, *env) {
	t.Helper()
	s := newSite(t)
	s.set("/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
	s.set("/b", page{body: article("Beta", "Beta page about expense claims.")})
	s.sitemap("/a", "/b")
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "site", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
	return s, e
}

func TestSitemapSyncAddsUpdatesRemoves(t *testing.T) {
	s := newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /private\n"})
	s.set("/leave", page{body: article("Annual leave", "Employees get 27 days of paid annual leave each year.")})
	s.set("/vpn", page{body: article("VPN", "Connect to the VPN with the WireGuard client before opening the wiki.")})
	s.set("/private/salaries", page{body: article("Salaries", "Secret salary bands.")})
	s.set("/travel.pdf", page{ctype: "application/pdf", etag: `"pdf-1"`, body: string(pdfBytes(t))})
	s.sitemap("/leave", "/vpn", "/private/salaries", "/travel.pdf")

	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "intranet", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml"), Owner: "people-ops"})
	res := e.mustSync(t, "intranet")
	if res.Added != 3 || res.Failed != 0 || res.Documents != 3 {
		t.Fatalf("first sync %+v, want 3 added (the private page left out by robots.txt)", res)
	}
	st := e.status(t, "intranet")
	if st.Documents != 3 || st.Chunks < 3 || st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("status %+v", st)
	}
	// The PDF's page number is the heading its passages are cited by.
	if hits := e.search(t, "claim expenses within 30 days"); len(hits) == 0 || hits[0] != s.url("/travel.pdf")+" | p. 2" {
		t.Errorf("search hits %v, want the PDF's page 2 first", hits)
	}
	doc, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/leave")))
	if err != nil || doc.Owner != "people-ops" || doc.Title != "Annual leave" {
		t.Errorf("leave document %+v, %v", doc, err)
	}

	// Upstream: the VPN page leaves the sitemap, the leave page changes,
	// the PDF is unchanged (answered 304).
	s.set("/leave", page{body: article("Annual leave", "Employees get 30 days of paid annual leave each year.")})
	s.sitemap("/leave", "/private/salaries", "/travel.pdf")
	res = e.mustSync(t, "intranet")
	if res.Added != 0 || res.Updated != 1 || res.Unchanged != 1 || res.Removed != 1 || res.Documents != 2 {
		t.Fatalf("second sync %+v, want 1 updated, 1 unchanged, 1 removed", res)
	}
	if n := e.docs(t); n != 2 {
		t.Errorf("index holds %d documents, want 2", n)
	}
	if hits := e.search(t, "WireGuard VPN client"); len(hits) > 0 && strings.Contains(hits[0], "/vpn") {
		t.Errorf("the removed page is still found: %v", hits)
	}
}

// A page read by an older parser version is fetched and read again, even
// though its server would answer 304 to a conditional request.
func TestSyncRereadsWhatAnOlderParserRead(t *testing.T) {
	s := newSite(t)
	body := article("Alpha", "Alpha page about onboarding laptops.")
	s.set("/a", page{body: body, etag: `"a1"`})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "one", Kind: store.SourceURL, Location: s.url("/a")})
	e.mustSync(t, "one")

	// The state an older build left: the page's and the document's hash
	// are the bare SHA-256, as before parser versions.
	const olderHash = "3f0a8e0d0f6c1d7b9a1c2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f70819"
	ctx := t.Context()
	pages, err := e.st.SourcePages(ctx, "one")
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages %+v, %v", pages, err)
	}
	pages[0].ContentHash = olderHash
	src, err := e.st.Source(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.RecordSync(ctx, "one", store.SyncRecord{Status: src.Status, ReplacePages: true, Pages: pages}); err != nil {
		t.Fatal(err)
	}
	doc, err := e.st.Document(ctx, pages[0].DocID)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ingest.ParseWebPage(s.url("/a"), []byte(body), ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc.ContentHash = olderHash
	if _, err := e.svc.AddDocument(ctx, doc, parsed.Chunks); err != nil {
		t.Fatal(err)
	}

	if res := e.mustSync(t, "one"); res.Updated != 1 {
		t.Errorf("sync after an upgrade: %+v, want the page read again (1 updated)", res)
	}
	if res := e.mustSync(t, "one"); res.Unchanged != 1 {
		t.Errorf("the sync after that: %+v, want the page unchanged (answered 304)", res)
	}
}

func TestSitemapPageGoneOrFailing(t *testing.T) {
	s, e := twoPageSitemap(t)
	e.mustSync(t, "site")

	// /a now fails with 500 (kept, reported); /b answers 404 (removed).
	s.set("/a", page{status: 500, body: "oops"})
	s.remove("/b")
	res := e.mustSync(t, "site")
	if res.Failed != 1 || res.Removed != 1 || res.Documents != 1 {
		t.Fatalf("sync %+v, want 1 failed (kept) and 1 removed", res)
	}
	st := e.status(t, "site")
	if !strings.Contains(st.LastError, "500") || !strings.Contains(st.LastError, "/a") {
		t.Errorf("status error %q does not name the failing page", st.LastError)
	}
	if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/a"))); err != nil {
		t.Errorf("the failing page's document was lost: %v", err)
	}
}

// Bad input at the source level: each gets a clear status, and what was
// indexed before stays.
func TestFailedSyncKeepsIndex(t *testing.T) {
	cases := map[string]struct {
		breakIt func(s *site)
		want    string
	}{
		"sitemap 503":     {func(s *site) { s.set("/sitemap.xml", page{status: 503}) }, "503"},
		"invalid XML":     {func(s *site) { s.set("/sitemap.xml", page{body: "<urlset><url><loc>"}) }, "malformed"},
		"empty sitemap":   {func(s *site) { s.sitemap() }, "no <url>"},
		"redirect loop":   {func(s *site) { s.set("/sitemap.xml", page{location: "/sitemap.xml"}) }, "redirect loop"},
		"huge sitemap":    {func(s *site) { s.set("/sitemap.xml", page{body: strings.Repeat("x", 100<<10)}) }, "too large"},
		"sitemap deleted": {func(s *site) { s.remove("/sitemap.xml") }, "404"},
		"foreign page URL": {func(s *site) {
			s.set("/sitemap.xml", page{body: `<urlset><url><loc>http://169.254.169.254/</loc></url></urlset>`})
		}, "no documents"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSite(t)
			s.set("/a", page{body: article("Alpha", "Alpha page about the onboarding checklist.")})
			s.sitemap("/a")
			e := newEnv(t, "127.0.0.1")
			e.add(t, store.Source{Name: "site", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
			e.mustSync(t, "site")
			before := e.status(t, "site")

			tc.breakIt(s)
			_, err := e.sync(t, "site")
			if !errors.Is(err, ErrSourceFailed) {
				t.Fatalf("sync error %v, want %v", err, ErrSourceFailed)
			}
			st := e.status(t, "site")
			if st.LastError == "" || !strings.Contains(st.LastError, tc.want) {
				t.Errorf("status error %q, want it to mention %q", st.LastError, tc.want)
			}
			if st.Documents != before.Documents || st.Chunks != before.Chunks || !st.LastSuccess.Equal(before.LastSuccess) {
				t.Errorf("status %+v after failure, was %+v", st, before)
			}
			if e.docs(t) != 1 {
				t.Error("the failed sync lost the indexed document")
			}
			pages, _ := e.st.SourcePages(t.Context(), "site")
			if len(pages) != 1 {
				t.Errorf("pages %+v, want the one indexed before", pages)
			}
		})
	}
}

func TestURLSourceRefusesInternalAddresses(t *testing.T) {
	s := newSite(t)
	s.set("/admin", page{body: article("Admin", "Internal admin console.")})
	e := newEnv(t) // no allow-list: loopback is internal
	for name, loc := range map[string]string{"loopback": s.url("/admin"), "metadata": "http://169.254.169.254/latest/meta-data/"} {
		e.add(t, store.Source{Name: name, Kind: store.SourceURL, Location: loc})
		_, err := e.sync(t, name)
		if !errors.Is(err, fetch.ErrBlockedAddress) {
			t.Errorf("%s: error %v, want %v", name, err, fetch.ErrBlockedAddress)
		}
		if st := e.status(t, name); !strings.Contains(st.LastError, "internal or reserved") {
			t.Errorf("%s: status error %q", name, st.LastError)
		}
	}
	if e.docs(t) != 0 {
		t.Error("an internal page was indexed")
	}
}

func TestURLSourceBadPages(t *testing.T) {
	s := newSite(t)
	s.set("/loop", page{location: "/loop2"})
	s.set("/loop2", page{location: "/loop"})
	s.set("/broken.pdf", page{ctype: "application/pdf", body: "%PDF-1.7\nthis is not really a PDF"})
	s.set("/huge", page{body: strings.Repeat("<p>big</p>", 20<<10)})
	s.set("/binary", page{ctype: "application/octet-stream", body: "\x00\x01\x02"})
	e := newEnv(t, "127.0.0.1")
	for path, want := range map[string]string{
		"/loop": "redirect loop", "/broken.pdf": "malformed", "/huge": "too large", "/binary": "unsupported",
	} {
		name := strings.Trim(strings.ReplaceAll(path, ".", "-"), "/")
		e.add(t, store.Source{Name: name, Kind: store.SourceURL, Location: s.url(path)})
		_, err := e.sync(t, name)
		if !errors.Is(err, ErrSourceFailed) {
			t.Errorf("%s: error %v", path, err)
		}
		if st := e.status(t, name); !strings.Contains(st.LastError, want) {
			t.Errorf("%s: status error %q, want it to mention %q", path, st.LastError, want)
		}
	}
}

// emptyPage is a web page without text to answer from.
const emptyPage = "<html><head><title>Nothing</title></head><body><script>app()</script></body></html>"

// The page of a url source without text to answer from (a page its
// scripts fill, a scanned PDF) is skipped, not a failure of the source:
// the sync succeeds and keeps the page's previous version, and since the
// source is that page alone its status warns of it.
func TestURLSourcePageWithoutText(t *testing.T) {
	s := newSite(t)
	s.set("/policy", page{body: article("Policy", "Expenses are claimed within 30 days.")})
	s.set("/scan.pdf", page{ctype: "application/pdf", body: string(scanPDF(t))})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "policy", Kind: store.SourceURL, Location: s.url("/policy")})
	e.add(t, store.Source{Name: "scan", Kind: store.SourceURL, Location: s.url("/scan.pdf")})
	e.mustSync(t, "policy")

	s.set("/policy", page{body: emptyPage})
	for name, want := range map[string]string{"policy": ": no text", "scan": "no text layer"} {
		res, err := e.sync(t, name)
		if err != nil || res.Failed != 0 {
			t.Errorf("%s: sync %+v, %v, want the page skipped", name, res, err)
		}
		if len(e.events) != 1 || e.events[0].Outcome != "skipped" || !strings.Contains(fmt.Sprint(e.events[0].Err), want) {
			t.Errorf("%s: events %+v, want the page skipped for %q", name, e.events, want)
		}
		if st := e.status(t, name); !strings.HasPrefix(st.LastError, "skipped, no text to answer from: ") || !strings.Contains(st.LastError, want) ||
			!st.LastSuccess.Equal(st.LastSync) {
			t.Errorf("%s: status %+v, want a successful sync warning of the page", name, st)
		}
	}
	if st := e.status(t, "policy"); st.Documents != 1 {
		t.Errorf("status %+v, want the page's previous version kept", st)
	}
}

// A page of a sitemap or a crawl without text to answer from is skipped
// with its reason, as a file without text is: its previous version is kept
// and the source is not marked as failing.
func TestWebPagesWithoutTextAreSkipped(t *testing.T) {
	s := newSite(t)
	s.set("/docs/", page{body: article("Docs", `Start here. <a href="a">A</a> <a href="scan.pdf">scan</a>`)})
	s.set("/docs/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
	s.set("/docs/scan.pdf", page{ctype: "application/pdf", body: string(scanPDF(t))})
	s.sitemap("/docs/a", "/docs/scan.pdf")
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "map", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml"), Collection: "map"})
	e.add(t, store.Source{Name: "crawl", Kind: store.SourceSite, Location: s.url("/docs/"), Collection: "crawl"})
	for _, name := range []string{"map", "crawl"} {
		e.mustSync(t, name)
	}

	s.set("/docs/a", page{body: emptyPage})
	for name, tc := range map[string]struct {
		docs    int // a, and the start page of the crawl; never the scan
		skipped map[string]string
	}{
		"map":   {1, map[string]string{"/docs/a": ": no text", "/docs/scan.pdf": "no text layer"}},
		"crawl": {2, map[string]string{"/docs/a": ": no text", "/docs/scan.pdf": "no text layer"}},
	} {
		res, err := e.sync(t, name)
		if err != nil || res.Failed != 0 || res.Documents != tc.docs {
			t.Errorf("%s: sync %+v, %v, want nothing failed and the documents kept", name, res, err)
		}
		skipped := map[string]string{}
		for _, ev := range e.events {
			if ev.Outcome == "skipped" {
				skipped[strings.TrimPrefix(ev.Location, s.url(""))] = fmt.Sprint(ev.Err)
			}
		}
		for path, reason := range tc.skipped {
			if !strings.Contains(skipped[path], reason) {
				t.Errorf("%s: skipped %q, want %s skipped for %q", name, skipped, path, reason)
			}
		}
		if st := e.status(t, name); st.LastError != "" {
			t.Errorf("%s: status error %q for pages without text", name, st.LastError)
		}
	}
}

// A source whose server cannot be reached says why in plain words in its
// status, which curators read in lore sources and in chat.
func TestUnreachableSourceStatusInPlainWords(t *testing.T) {
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "gone", Kind: store.SourceURL, Location: "http://127.0.0.1:1/handbook"})
	if _, err := e.sync(t, "gone"); !errors.Is(err, ErrSourceFailed) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("sync error %v, want %v caused by a refused connection", err, ErrSourceFailed)
	}
	st := e.status(t, "gone")
	if want := "fetch http://127.0.0.1:1/handbook: connection refused by 127.0.0.1:1: no server is listening there"; st.LastError != want {
		t.Errorf("status error %q, want %q", st.LastError, want)
	}
}

func TestFeedKeepsEntriesThatScrollOff(t *testing.T) {
	s := newSite(t)
	feed := func(items ...string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Eng Hour</title>`)
		for _, it := range items {
			fmt.Fprintf(&b, `<item><title>Episode %s</title><link>%s</link><description>Show notes of episode %s about canary deploys.</description>
				<enclosure url="https://cdn.example.com/%s.mp3" type="audio/mpeg"/><podcast:transcript url="https://cdn.example.com/%s.vtt" type="text/vtt"/></item>`,
				it, s.url("/ep/"+it), it, it, it)
		}
		b.WriteString("</channel></rss>")
		return b.String()
	}
	s.set("/feed.xml", page{ctype: "application/rss+xml", body: feed("2", "1")})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "podcast", Kind: store.SourceFeed, Location: s.url("/feed.xml")})
	if res := e.mustSync(t, "podcast"); res.Added != 2 {
		t.Fatalf("first sync %+v", res)
	}
	s.set("/feed.xml", page{ctype: "application/rss+xml", body: feed("3", "2")})
	res := e.mustSync(t, "podcast")
	if res.Added != 1 || res.Unchanged != 1 || res.Removed != 0 || res.Documents != 3 {
		t.Fatalf("second sync %+v, want episode 3 added and episode 1 kept", res)
	}
	s.set("/feed.xml", page{ctype: "application/rss+xml", body: "<rss><channel><item>"})
	if _, err := e.sync(t, "podcast"); !errors.Is(err, ErrSourceFailed) {
		t.Fatalf("invalid feed: %v", err)
	}
	if st := e.status(t, "podcast"); !strings.Contains(st.LastError, "malformed") || st.Documents != 3 {
		t.Errorf("status %+v", st)
	}
	if e.docs(t) != 3 {
		t.Error("an invalid feed lost episodes")
	}
}

// A fetched page or feed cannot choose who owns it: the owner decides who
// is sent review reminders and 👎 questions, and who is suggested as an
// expert, so it comes from the source a curator registered, whatever an
// author or front matter on the web says.
func TestRemoteContentCannotChooseItsOwner(t *testing.T) {
	s := newSite(t)
	s.set("/feed.xml", page{ctype: "application/rss+xml", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
		<item><title>Canary deploys</title><link>` + s.url("/news/1") + `</link><author>slack/T1/U0CEO</author><description>How canary deploys roll out.</description></item></channel></rss>`})
	s.set("/page.md", page{ctype: "text/markdown", body: "---\ntitle: Expenses\nowner: group:hr\n---\n# Expenses\n\nClaims are paid monthly.\n"})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/feed.xml"), Owner: "slack/T1/UCURATOR"})
	e.add(t, store.Source{Name: "expenses", Kind: store.SourceURL, Location: s.url("/page.md"), Owner: "slack/T1/UCURATOR"})
	e.mustSync(t, "news")
	e.mustSync(t, "expenses")
	docs, err := e.st.DocumentsOwnedBy(t.Context(), []string{"slack/T1/UCURATOR"})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Errorf("%d documents owned by the source's owner, want the feed entry and the page", len(docs))
	}
	if others, _ := e.st.DocumentsOwnedBy(t.Context(), []string{"slack/T1/U0CEO", "group:hr"}); len(others) != 0 {
		t.Errorf("remote content chose its owner: %+v", others)
	}
}

func TestFilesSource(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("leave.md", "# Leave\n\nEmployees get 27 days of annual leave.\n")
	write("travel.pdf", string(pdfBytes(t)))
	e := newEnv(t)
	e.add(t, store.Source{Name: "handbook", Kind: store.SourceFiles, Location: dir, Collection: "handbook"})
	res := e.mustSync(t, "handbook")
	if res.Added != 2 || res.Failed != 0 {
		t.Fatalf("sync %+v, want 2 added", res)
	}
	if st := e.status(t, "handbook"); st.LastError != "" {
		t.Errorf("status error %q", st.LastError)
	}
	// The same ids as lore ingest gives the files.
	abs, _ := filepath.Abs(filepath.Join(dir, "leave.md"))
	if _, err := e.st.Document(t.Context(), knowledge.DocumentID("handbook", filepath.ToSlash(abs))); err != nil {
		t.Errorf("leave.md not stored under its ingest id: %v", err)
	}

	if err := os.Remove(filepath.Join(dir, "leave.md")); err != nil {
		t.Fatal(err)
	}
	if res := e.mustSync(t, "handbook"); res.Removed != 1 || res.Unchanged != 1 {
		t.Fatalf("sync after delete %+v", res)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sync(t, "handbook"); !errors.Is(err, ErrSourceFailed) || e.docs(t) != 1 {
		t.Fatalf("a missing folder: %v, %d documents left", err, e.docs(t))
	}
}

// A file without text to answer from (an empty Markdown file, a scanned
// PDF) is skipped with its reason, as 'lore ingest' skips it, and the
// source is not marked as failing; a file that cannot be read still is.
func TestFilesSourceSkipsFilesWithoutText(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("leave.md", []byte("# Leave\n\nEmployees get 27 days of annual leave.\n"))
	write("empty.md", nil)
	write("scan.pdf", scanPDF(t))
	e := newEnv(t)
	e.add(t, store.Source{Name: "handbook", Kind: store.SourceFiles, Location: dir, Collection: "handbook"})
	skipped := map[string]string{}
	sync := func() Result {
		t.Helper()
		clear(skipped)
		res, err := e.syncer.Sync(t.Context(), "handbook", func(ev Event) {
			if ev.Outcome == "skipped" && ev.Err != nil {
				skipped[filepath.Base(ev.Location)] = ev.Err.Error()
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := sync()
	if res.Added != 1 || res.Failed != 0 || res.Documents != 1 {
		t.Fatalf("sync %+v, want leave.md added and nothing failed", res)
	}
	if !strings.HasSuffix(skipped["empty.md"], ": no text") || !strings.Contains(skipped["scan.pdf"], "no text layer") {
		t.Errorf("skipped %q, want empty.md and scan.pdf with their reasons", skipped)
	}
	if st := e.status(t, "handbook"); st.LastError != "" {
		t.Errorf("status error %q for files without text", st.LastError)
	}

	// A file emptied keeps its previous version, as a skipped file does.
	write("leave.md", nil)
	if res := sync(); res.Failed != 0 || res.Removed != 0 || res.Documents != 1 {
		t.Errorf("sync after emptying leave.md %+v, want its document kept", res)
	}

	// A broken PDF is not a file without text: it fails.
	write("broken.pdf", []byte("%PDF-1.4\nnot a PDF at all\n"))
	if res := sync(); res.Failed != 1 {
		t.Errorf("sync with a broken PDF %+v, want it failed", res)
	}
	if st := e.status(t, "handbook"); !strings.Contains(st.LastError, "broken.pdf") {
		t.Errorf("status error %q does not report the broken PDF", st.LastError)
	}
}

func TestSyncUnknownSource(t *testing.T) {
	e := newEnv(t)
	if _, err := e.sync(t, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("error %v", err)
	}
}

// pdfBytes is a two-page PDF with a text layer: "Welcome / Leave is 27
// days." on page 1, "Expenses / Claim within 30 days." on page 2.
func pdfBytes(t *testing.T) []byte { return readIngestTestdata(t, "handbook.pdf") }

// scanPDF is a PDF whose only page has no text layer.
func scanPDF(t *testing.T) []byte { return readIngestTestdata(t, "scan.pdf") }

func readIngestTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "ingest", "testdata", "sources", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSiteCrawl(t *testing.T) {
	s := newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: Lore\nDisallow: /docs/private\n"})
	links := func(paths ...string) string {
		var b strings.Builder
		for _, p := range paths {
			fmt.Fprintf(&b, `<a href="%s">link</a> `, p)
		}
		return b.String()
	}
	s.set("/docs/", page{body: article("Docs home", "Start here for the engineering handbook. "+
		links("a", "/docs/b#section", "/docs/private/x", "/other", "http://169.254.169.254/", "mailto:x@example.com", "guide.pdf"))})
	s.set("/docs/a", page{body: article("On-call", "The on-call engineer acknowledges pages within five minutes. "+links("/docs/"))})
	s.set("/docs/b", page{body: article("Deploys", "Deploys go out through the canary pipeline.")})
	s.set("/docs/guide.pdf", page{ctype: "application/pdf", body: string(pdfBytes(t))})
	s.set("/docs/private/x", page{body: article("Private", "Not for Lore.")})
	s.set("/other", page{body: article("Other", "Out of the crawl's folder.")})

	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "docs", Kind: store.SourceSite, Location: s.url("/docs/")})
	res := e.mustSync(t, "docs")
	if res.Added != 4 || res.Documents != 4 {
		t.Fatalf("crawl %+v, want the start page, a, b and the PDF", res)
	}
	for _, p := range []string{"/docs/private/x", "/other"} {
		if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url(p))); err == nil {
			t.Errorf("%s was indexed", p)
		}
	}

	// b is deleted upstream and no longer linked: it leaves the index.
	s.remove("/docs/b")
	res = e.mustSync(t, "docs")
	if res.Removed != 1 || res.Unchanged != 3 || res.Documents != 3 {
		t.Fatalf("second crawl %+v", res)
	}
	// A start page that fails keeps everything.
	s.set("/docs/", page{status: 500})
	if _, err := e.sync(t, "docs"); !errors.Is(err, ErrSourceFailed) || e.docs(t) != 3 {
		t.Fatalf("failed start page: %v, %d documents", err, e.docs(t))
	}
}

// A source that requires approval adds its pages as drafts, which are not
// answered from; an approved page stays published when it changes, and a
// page new to a later sync arrives as a draft again.
func TestSourceApprovalMakesNewPagesDrafts(t *testing.T) {
	s := newSite(t)
	s.set("/leave", page{body: article("Annual leave", "Employees get 27 days of paid annual leave each year.")})
	s.sitemap("/leave")
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "proposals", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml"), Approval: true})
	if res := e.mustSync(t, "proposals"); res.Added != 1 {
		t.Fatalf("sync %+v, want 1 added", res)
	}
	drafts, err := e.st.Drafts(t.Context())
	if err != nil || len(drafts) != 1 {
		t.Fatalf("drafts = %+v, %v; want the page", drafts, err)
	}
	if got := e.search(t, "annual leave days"); len(got) != 0 {
		t.Fatalf("a draft was searched: %v", got)
	}
	if err := e.st.PublishDocument(t.Context(), drafts[0].ID); err != nil {
		t.Fatal(err)
	}
	s.set("/leave", page{body: article("Annual leave", "Employees get 28 days of paid annual leave each year.")})
	s.set("/vpn", page{body: article("VPN", "Connect to the VPN with the WireGuard client before opening the wiki.")})
	s.sitemap("/leave", "/vpn")
	if res := e.mustSync(t, "proposals"); res.Added != 1 || res.Updated != 1 {
		t.Fatalf("second sync %+v, want 1 added and 1 updated", res)
	}
	if got := e.search(t, "annual leave days"); len(got) == 0 || !strings.Contains(got[0], "/leave") {
		t.Errorf("the approved page, updated, is not found: %v", got)
	}
	if got := e.search(t, "VPN WireGuard client"); slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "/vpn") }) {
		t.Errorf("the new page was searched before approval: %v", got)
	}
	if drafts, _ := e.st.Drafts(t.Context()); len(drafts) != 1 || !strings.HasSuffix(drafts[0].Source, "/vpn") {
		t.Errorf("drafts = %+v, want the new page only", drafts)
	}
}

// A document's own review_by wins; without one, the source's interval
// counts from the change; a bad date is reported and the document kept.
func TestFilesSourceReviewDates(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("own.md", "---\nreview_by: 2025-06-30\n---\n# Own\n\nEmployees get 27 days of annual leave.\n")
	write("none.md", "# None\n\nThe VPN client is installed on every laptop.\n")
	write("bad.md", "---\nreview_by: next spring\n---\n# Bad\n\nExpenses are paid monthly with the salary.\n")
	now := time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)
	e := newEnv(t)
	e.syncer.Clock = func() time.Time { return now }
	e.add(t, store.Source{Name: "handbook", Kind: store.SourceFiles, Location: dir, Collection: "handbook", ReviewEvery: 90 * 24 * time.Hour})
	res := e.mustSync(t, "handbook")
	if res.Added != 3 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "bad.md") || !strings.Contains(res.Warnings[0], "next spring") {
		t.Fatalf("sync %+v, want 3 added and bad.md's date reported", res)
	}
	if st := e.status(t, "handbook"); !strings.Contains(st.LastError, "next spring") {
		t.Errorf("status %q does not report the bad date", st.LastError)
	}
	reviewBy := func(name string) time.Time {
		abs, _ := filepath.Abs(filepath.Join(dir, name))
		d, err := e.st.Document(t.Context(), knowledge.DocumentID("handbook", filepath.ToSlash(abs)))
		if err != nil {
			t.Fatal(err)
		}
		return d.ReviewBy
	}
	if got, want := reviewBy("own.md"), time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("own.md review by %v, want its front matter's %v", got, want)
	}
	for _, name := range []string{"none.md", "bad.md"} {
		if got, want := reviewBy(name), now.Add(90*24*time.Hour); !got.Equal(want) {
			t.Errorf("%s review by %v, want the change plus 90 days, %v", name, got, want)
		}
	}
}

// A dangling link in a files source failed the whole sync; a file now
// skipped (oversized) lost its document although it was still there.
func TestFilesSourceSkippedFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"leave.md":  "# Leave\n\nEmployees get 27 days of annual leave.\n",
		"grows.txt": "Expenses are claimed within 30 days.\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t)
	e.add(t, store.Source{Name: "handbook", Kind: store.SourceFiles, Location: dir, Collection: "handbook"})
	if res := e.mustSync(t, "handbook"); res.Added != 2 {
		t.Fatalf("first sync %+v", res)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere.md"), filepath.Join(dir, "dangling.md")); err != nil {
		t.Skipf("symbolic links unavailable: %v", err)
	}
	if err := os.Truncate(filepath.Join(dir, "grows.txt"), 10<<20+1); err != nil {
		t.Fatal(err)
	}
	var skipped []string
	res, err := e.syncer.Sync(t.Context(), "handbook", func(ev Event) {
		if ev.Outcome == "skipped" {
			skipped = append(skipped, filepath.Base(ev.Location))
		}
	})
	if err != nil {
		t.Fatalf("sync with a dangling link: %v", err)
	}
	if res.Unchanged != 1 || res.Removed != 0 || res.Documents != 2 {
		t.Errorf("sync %+v, want the oversized file's document kept", res)
	}
	if slices.Sort(skipped); !slices.Equal(skipped, []string{"dangling.md", "grows.txt"}) {
		t.Errorf("skipped %q", skipped)
	}
}

// A page's encoding is the server's Content-Type charset: a Latin-1 page
// used to be stored with every accented letter replaced by U+FFFD.
func TestURLSourceReadsTheServersCharset(t *testing.T) {
	s := newSite(t)
	s.set("/cafe", page{ctype: "text/html; charset=ISO-8859-1", body: "<html><head><title>Caf\xe9</title></head><body><article><h1>Caf\xe9</h1>" +
		"<p>Le caf\xe9 est ferm\xe9 le lundi.</p><p>Ce paragraphe est l\xe0 pour que le texte ressemble \xe0 un article entier, assez long pour readability.</p></article></body></html>"})
	s.set("/notes.txt", page{ctype: "text/plain; charset=utf-16", body: "\xff\xfeN\x00o\x00t\x00e\x00s\x00\n\x00\n\x00\xe9\x00t\x00\xe9\x00\n\x00"})
	e := newEnv(t, "127.0.0.1")
	for name, path := range map[string]string{"cafe": "/cafe", "notes": "/notes.txt"} {
		e.add(t, store.Source{Name: name, Kind: store.SourceURL, Location: s.url(path)})
		e.mustSync(t, name)
	}
	for q, want := range map[string]string{"café fermé lundi": "/cafe", "été": "/notes.txt"} {
		ps, err := e.svc.Search(t.Context(), q, 1, store.Everything)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 || ps[0].Source != s.url(want) || strings.ContainsRune(ps[0].Text+ps[0].Title, '\uFFFD') {
			t.Errorf("search %q: %+v, want the decoded text of %s", q, ps, want)
		}
	}
}

// Entries of an RSS feed with relative links are documents of their own,
// cited by their page's address; the second of two entries titled alike
// used to be lost.
func TestFeedEntriesWithRelativeLinks(t *testing.T) {
	s := newSite(t)
	s.set("/news/feed.xml", page{ctype: "application/rss+xml", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
		<item><title>Weekly update</title><link>/news/week-1</link><description>The new VPN client is live for everyone.</description></item>
		<item><title>Weekly update</title><link>week-2</link><description>Laptops are refreshed every three years.</description></item>
	</channel></rss>`})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/news/feed.xml")})
	if res := e.mustSync(t, "news"); res.Added != 2 || res.Documents != 2 {
		t.Fatalf("sync %+v, want both entries", res)
	}
	for q, want := range map[string]string{"VPN client": "/news/week-1", "laptops refreshed": "/news/week-2"} {
		if got := e.search(t, q); len(got) == 0 || !strings.HasPrefix(got[0], s.url(want)+" |") {
			t.Errorf("search %q: %q, want %s first", q, got, s.url(want))
		}
	}
}

// A feed whose URL redirects is read where it landed, and so are its
// entries' relative links, as a feed reader reads them: resolved against
// the URL it was registered by, they named pages that are not there.
func TestRedirectedFeedResolvesLinksWhereItLanded(t *testing.T) {
	s := newSite(t)
	s.set("/feed", page{location: "/news/feed.xml"})
	s.set("/news/feed.xml", page{ctype: "application/rss+xml", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
		<item><title>VPN</title><link>vpn</link><description>The new VPN client is live for everyone.</description>
			<enclosure url="media/vpn.mp3" type="audio/mpeg"/></item>
		<item><title>Standup</title><guid isPermaLink="false">standup-1</guid><description>Standups move to ten o'clock.</description></item>
	</channel></rss>`})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/feed")})
	if res := e.mustSync(t, "news"); res.Added != 2 {
		t.Fatalf("sync %+v, want both entries", res)
	}
	if got := e.search(t, "VPN client"); len(got) == 0 || !strings.HasPrefix(got[0], s.url("/news/vpn")+" |") {
		t.Errorf("search: %q, want the entry cited as %s", got, s.url("/news/vpn"))
	}
	d, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/news/vpn")))
	if err != nil {
		t.Fatalf("the entry is not stored under its link resolved where the feed landed: %v", err)
	}
	if !slices.ContainsFunc(e.chunks(t, d.ID), func(c string) bool { return strings.Contains(c, s.url("/news/media/vpn.mp3")) }) {
		t.Errorf("the episode's audio is not named where the feed landed: %q", e.chunks(t, d.ID))
	}
	// An entry without a link keeps the registered URL in its identity.
	if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/feed")+"#standup-1")); err != nil {
		t.Errorf("the entry without a link: %v", err)
	}
}

// Entries stored under an identity they no longer have (before relative
// links were read, an entry was identified by the feed's URL and its
// title; before they were read where the feed landed, by its link
// resolved against the feed's URL) are replaced, not kept beside the new
// ones; entries that scrolled off, and an entry whose identity is that of
// another's former one, stay.
func TestFeedEntriesStoredUnderAFormerIdentityAreReplaced(t *testing.T) {
	s := newSite(t)
	rss := func(items ...string) page {
		return page{ctype: "application/rss+xml", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>` +
			strings.Join(items, "") + `</channel></rss>`}
	}
	item := func(title, link, text string) string {
		if link != "" {
			link = "<link>" + link + "</link>"
		}
		return "<item><title>" + title + "</title>" + link + "<description>" + text + "</description></item>"
	}
	vpn := "The new VPN client is live for everyone."
	standup := "Standups move to ten o'clock."
	// As an earlier version read it: the relative link was taken for no
	// link, so the entry was the feed's URL with its title as fragment.
	s.set("/feed", rss(
		item("Weekly update", "", vpn),
		item("Standup", "", standup),
		item("Canteen", s.url("/news/canteen"), "The canteen opens at eight."),
	))
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/feed")})
	if res := e.mustSync(t, "news"); res.Added != 3 {
		t.Fatalf("first sync %+v", res)
	}
	// Now read with its relative link. "Standup" is also the title of an
	// entry with a link; the entry without one is still listed, and its
	// document is its own. The canteen entry scrolled off.
	relative := rss(
		item("Weekly update", "week-1", vpn),
		item("Standup", "", standup),
		item("Standup", "standup-2", "Standups are fifteen minutes at most."),
	)
	s.set("/feed", relative)
	res := e.mustSync(t, "news")
	if res.Added != 2 || res.Removed != 1 || res.Documents != 4 {
		t.Errorf("second sync %+v, want the two linked entries added, the weekly update's former document removed, 4 documents", res)
	}
	for _, source := range []string{s.url("/feed") + "#Standup", s.url("/news/canteen"), s.url("/week-1"), s.url("/standup-2")} {
		if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", source)); err != nil {
			t.Errorf("document of %s: %v", source, err)
		}
	}
	if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/feed")+"#Weekly update")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the weekly update is still stored under its former identity: %v", err)
	}
	if got := e.search(t, "VPN client"); len(got) < 2 || !strings.HasPrefix(got[0], s.url("/week-1")+" |") || strings.Contains(got[1], "Weekly") {
		t.Errorf("search: %q, want the weekly update once", got)
	}

	// The feed moves: its relative links now lead where it landed.
	s.set("/news/feed.xml", relative)
	s.set("/feed", page{location: "/news/feed.xml"})
	res = e.mustSync(t, "news")
	if res.Added != 2 || res.Removed != 2 || res.Unchanged != 1 || res.Documents != 4 {
		t.Errorf("sync after the move %+v, want the linked entries moved, 4 documents", res)
	}
	for _, source := range []string{s.url("/news/week-1"), s.url("/news/standup-2"), s.url("/feed") + "#Standup", s.url("/news/canteen")} {
		if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", source)); err != nil {
			t.Errorf("document of %s: %v", source, err)
		}
	}
	if n := e.docs(t); n != 4 {
		t.Errorf("%d documents, want 4", n)
	}
	if st := e.status(t, "news"); st.Documents != 4 {
		t.Errorf("status %+v", st)
	}
}

// A feed that already redirected and moves again has its entries' links
// resolved where it lands now: the documents stored under them resolved
// where it landed at the last successful sync are replaced, so that each
// entry is there once, even when a sync failed in between. Entries that
// scrolled off stay.
func TestRedirectedFeedThatMovesAgainKeepsEachEntryOnce(t *testing.T) {
	s := newSite(t)
	rss := func(items ...string) page {
		return page{ctype: "application/rss+xml", body: `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>` +
			strings.Join(items, "") + `</channel></rss>`}
	}
	item := func(title, link, text string) string {
		return "<item><title>" + title + "</title><link>" + link + "</link><description>" + text + "</description></item>"
	}
	vpn := item("Weekly update", "week-1", "The new VPN client is live for everyone.")
	laptops := item("Laptops", "laptops", "Laptops are refreshed every three years.")
	canteen := item("Canteen", "canteen", "The canteen opens at eight.")
	s.set("/feed", page{location: "/a/feed.xml"})
	s.set("/a/feed.xml", rss(vpn, laptops, canteen))
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/feed")})
	if res := e.mustSync(t, "news"); res.Added != 3 {
		t.Fatalf("first sync %+v", res)
	}
	if st := e.status(t, "news"); st.Landed != s.url("/a/feed.xml") {
		t.Errorf("landed at %q, want %s", st.Landed, s.url("/a/feed.xml"))
	}

	// The feed moves, and its new address fails at first: where it
	// landed before is kept.
	s.set("/feed", page{location: "/b/feed.xml"})
	s.set("/b/feed.xml", page{status: http.StatusServiceUnavailable, body: "down"})
	if _, err := e.sync(t, "news"); !errors.Is(err, ErrSourceFailed) {
		t.Fatalf("sync of a failing feed: %v", err)
	}
	if st := e.status(t, "news"); st.Landed != s.url("/a/feed.xml") {
		t.Errorf("after a failed sync, landed at %q, want %s", st.Landed, s.url("/a/feed.xml"))
	}

	// The canteen entry scrolled off meanwhile.
	s.set("/b/feed.xml", rss(vpn, laptops))
	res := e.mustSync(t, "news")
	if res.Added != 2 || res.Removed != 2 || res.Documents != 3 {
		t.Errorf("sync after the move %+v, want the two entries moved, 3 documents", res)
	}
	for _, path := range []string{"/b/week-1", "/b/laptops", "/a/canteen"} {
		if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url(path))); err != nil {
			t.Errorf("document of %s: %v", path, err)
		}
	}
	for _, path := range []string{"/a/week-1", "/a/laptops"} {
		if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url(path))); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the entry is still stored under %s: %v", path, err)
		}
	}
	if n := e.docs(t); n != 3 {
		t.Errorf("%d documents, want 3", n)
	}
	if st := e.status(t, "news"); st.Documents != 3 || st.Landed != s.url("/b/feed.xml") {
		t.Errorf("status %+v, want 3 documents, landed at %s", st, s.url("/b/feed.xml"))
	}
}

// A feed whose server names its charset, and whose XML declaration names
// none, is read in that charset, as its pages are.
func TestFeedReadInTheServersCharset(t *testing.T) {
	s := newSite(t)
	s.set("/feed.xml", page{ctype: "application/rss+xml; charset=iso-8859-1", body: "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title>" +
		"<item><title>Cr\xe8che</title><link>/news/creche</link><description>La cr\xe8che ouvre \xe0 huit heures.</description></item></channel></rss>"})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/feed.xml")})
	if res := e.mustSync(t, "news"); res.Added != 1 {
		t.Fatalf("sync %+v, want the entry", res)
	}
	d, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/news/creche")))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "Crèche" || !slices.ContainsFunc(e.chunks(t, d.ID), func(c string) bool { return strings.Contains(c, "La crèche ouvre à huit heures.") }) {
		t.Errorf("entry %q: %q", d.Title, e.chunks(t, d.ID))
	}
}
