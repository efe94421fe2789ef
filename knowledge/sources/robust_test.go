package sources

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// urlset is a sitemap listing the paths of s.
func urlset(s *site, paths ...string) page {
	var b strings.Builder
	b.WriteString("<urlset>")
	for _, p := range paths {
		fmt.Fprintf(&b, "<url><loc>%s</loc></url>", s.url(p))
	}
	b.WriteString("</urlset>")
	return page{ctype: "application/xml", body: b.String()}
}

// sitemapIndex is a sitemap index naming the sitemaps of s at paths.
func sitemapIndex(s *site, paths ...string) page {
	var b strings.Builder
	b.WriteString("<sitemapindex>")
	for _, p := range paths {
		fmt.Fprintf(&b, "<sitemap><loc>%s</loc></sitemap>", s.url(p))
	}
	b.WriteString("</sitemapindex>")
	return page{ctype: "application/xml", body: b.String()}
}

// hookIndexer runs hook on the first document it is given, then stores
// every document as next does.
type hookIndexer struct {
	next   Indexer
	hook   func(ctx context.Context)
	called bool
}

func (h *hookIndexer) AddDocument(ctx context.Context, doc store.Document, pieces []ingest.Piece) (int, error) {
	if !h.called {
		h.called = true
		h.hook(ctx)
	}
	return h.next.AddDocument(ctx, doc, pieces)
}

// failingIndexer fails the nth document it is given, as a dropped
// database connection or a rate-limited embedder would.
type failingIndexer struct {
	next  Indexer
	n     int
	calls int
}

func (f *failingIndexer) AddDocument(ctx context.Context, doc store.Document, pieces []ingest.Piece) (int, error) {
	f.calls++
	if f.calls == f.n {
		return 0, errors.New("database: connection reset by peer")
	}
	return f.next.AddDocument(ctx, doc, pieces)
}

// A robots.txt that cannot be read says nothing about any page: every page
// of the sitemap keeps its document, not only the first one asked about.
func TestSitemapKeepsPagesWhileRobotsTxtIsUnreadable(t *testing.T) {
	s := newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nAllow: /\n"})
	for _, p := range []string{"/a", "/b", "/c"} {
		s.set(p, page{body: article("Page "+p, "Some content about topic "+p+" for the handbook.")})
	}
	s.sitemap("/a", "/b", "/c")
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "site", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
	if res := e.mustSync(t, "site"); res.Added != 3 {
		t.Fatalf("first sync %+v, want 3 added", res)
	}

	s.set("/robots.txt", page{status: 503, body: "down for maintenance"})
	res := e.mustSync(t, "site")
	if res.Failed != 3 || res.Removed != 0 || res.Documents != 3 {
		t.Fatalf("sync while robots.txt answers 503: %+v, want the 3 pages failed and kept", res)
	}
	if n := e.docs(t); n != 3 {
		t.Errorf("index holds %d documents, want the 3 kept", n)
	}
	if st := e.status(t, "site"); !strings.Contains(st.LastError, "robots.txt") {
		t.Errorf("status error %q does not say robots.txt could not be read", st.LastError)
	}
}

// A crawl's page that fails for a moment hides its links: the pages only
// it links to are kept, while a page that answers 404 is still removed.
// Once the page is back, a crawl that reaches everything removes what is
// no longer linked.
func TestCrawlKeepsPagesBehindAFailingPage(t *testing.T) {
	s := newSite(t)
	s.set("/docs/", page{body: article("Docs home", `Start here. <a href="/docs/hub">hub</a> <a href="/docs/old">old</a>`)})
	s.set("/docs/hub", page{body: article("Hub", `The hub of the guides. <a href="/docs/leaf">leaf</a> <a href="/docs/other">other</a>`)})
	s.set("/docs/leaf", page{body: article("Leaf", "The leaf page about expenses and travel.")})
	s.set("/docs/other", page{body: article("Other", "Another guide, about laptops and monitors.")})
	s.set("/docs/old", page{body: article("Old", "An old guide about fax machines.")})
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "docs", Kind: store.SourceSite, Location: s.url("/docs/")})
	if res := e.mustSync(t, "docs"); res.Added != 5 {
		t.Fatalf("first crawl %+v, want 5 added", res)
	}

	s.set("/docs/hub", page{status: 503, body: "busy"})
	s.remove("/docs/old")
	res := e.mustSync(t, "docs")
	if res.Failed != 1 || res.Removed != 1 || res.Documents != 4 {
		t.Fatalf("crawl with the hub failing %+v, want the hub failed, the old page removed and 4 kept", res)
	}
	for _, p := range []string{"/docs/hub", "/docs/leaf", "/docs/other"} {
		if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url(p))); err != nil {
			t.Errorf("%s was lost while the hub failed: %v", p, err)
		}
	}

	s.set("/docs/hub", page{body: article("Hub", `The hub of the guides. <a href="/docs/leaf">leaf</a>`)})
	res = e.mustSync(t, "docs")
	if res.Removed != 1 || res.Documents != 3 {
		t.Fatalf("complete crawl %+v, want the page no longer linked removed", res)
	}
	if _, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/docs/other"))); err == nil {
		t.Error("a page no longer linked stayed after a complete crawl")
	}
}

// loopbackResolver resolves every name under .example to 127.0.0.1.
type loopbackResolver struct{}

func (loopbackResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if strings.HasSuffix(host, ".example") {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// A start URL or sitemap on a name that redirects to the site's canonical
// one (www.intranet.example to intranet.example) reads the site there.
func TestRedirectedStartURLScopesToWhereItLeads(t *testing.T) {
	s := newSite(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, ok := strings.CutPrefix(r.Host, "www."); ok {
			http.Redirect(w, r, "http://"+host+r.URL.Path, http.StatusMovedPermanently)
			return
		}
		s.srv.Config.Handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	at := func(host, path string) string { return fmt.Sprintf("http://%s:%d%s", host, port, path) }
	s.set("/docs/", page{body: article("Docs home", `Start here. <a href="a">a</a> <a href="/docs/b">b</a>`)})
	s.set("/docs/a", page{body: article("On-call", "The on-call engineer acknowledges pages within five minutes.")})
	s.set("/docs/b", page{body: article("Deploys", "Deploys go out through the canary pipeline.")})
	s.set("/sitemap.xml", page{ctype: "application/xml", body: fmt.Sprintf(
		"<urlset><url><loc>%s</loc></url><url><loc>%s</loc></url></urlset>", at("intranet.example", "/docs/a"), at("intranet.example", "/docs/b"))})

	e := newEnv(t)
	client, err := fetch.New(fetch.Options{Allow: []string{"127.0.0.1"}, Resolver: loopbackResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	e.syncer.Fetch = client
	e.add(t, store.Source{Name: "crawl", Kind: store.SourceSite, Location: at("www.intranet.example", "/docs/")})
	if res := e.mustSync(t, "crawl"); res.Added != 3 {
		t.Errorf("crawl from a redirecting start URL %+v (events %+v), want the start page, a and b", res, e.events)
	}
	e.add(t, store.Source{Name: "map", Kind: store.SourceSitemap, Location: at("www.intranet.example", "/sitemap.xml"), Collection: "map"})
	if res := e.mustSync(t, "map"); res.Added != 2 {
		t.Errorf("sitemap behind a redirect %+v (events %+v), want a and b", res, e.events)
	}
}

// A page listed by several sitemaps of an index is read, stored and
// counted once, and counts once against the page limit.
func TestSitemapIndexReadsEachPageOnce(t *testing.T) {
	s := newSite(t)
	s.set("/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
	s.set("/b", page{body: article("Beta", "Beta page about expense claims.")})
	s.set("/s1.xml", urlset(s, "/a", "/b"))
	s.set("/s2.xml", urlset(s, "/b", "/a"))
	s.set("/s3.xml", urlset(s, "/a"))
	s.set("/sitemap.xml", sitemapIndex(s, "/s1.xml", "/s2.xml", "/s3.xml", "/s1.xml"))
	e := newEnv(t, "127.0.0.1")
	e.syncer.MaxPages = 2
	e.add(t, store.Source{Name: "sm", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
	res := e.mustSync(t, "sm")
	if res.Added != 2 || res.Documents != 2 {
		t.Fatalf("sync %+v, want the 2 pages added once each", res)
	}
	for path, n := range s.hits() {
		if n != 1 {
			t.Errorf("%s fetched %d times, want once", path, n)
		}
	}
}

// A sitemap index cannot make a sync fetch without end: it fails, keeping
// the index as it was, once it names more sitemaps than one sync reads or
// lists more pages than the limit, and fetches no more sitemaps then.
func TestSitemapIndexIsBounded(t *testing.T) {
	cases := map[string]struct {
		build     func(s *site)
		want      string
		maxHits   int
		neverRead string
	}{
		"an index of 1,000 sitemaps": {func(s *site) {
			var paths []string
			for i := range 1000 {
				paths = append(paths, fmt.Sprintf("/s%d.xml", i))
				s.set(paths[i], urlset(s, "/a"))
			}
			s.set("/sitemap.xml", sitemapIndex(s, paths...))
		}, "more than 100 sitemaps", 1, "/s0.xml"},
		"indexes of indexes": {func(s *site) {
			var indexes []string
			for i := range 10 {
				var paths []string
				for j := range 10 {
					paths = append(paths, fmt.Sprintf("/s%d-%d.xml", i, j))
					s.set(paths[j], urlset(s, "/a"))
				}
				indexes = append(indexes, fmt.Sprintf("/index%d.xml", i))
				s.set(indexes[i], sitemapIndex(s, paths...))
			}
			s.set("/sitemap.xml", sitemapIndex(s, indexes...))
		}, "more than 100 sitemaps", 100, "/index9.xml"},
		"pages over the limit": {func(s *site) {
			s.set("/s1.xml", urlset(s, "/a", "/b", "/c", "/d"))
			s.set("/s2.xml", urlset(s, "/e"))
			s.set("/sitemap.xml", sitemapIndex(s, "/s1.xml", "/s2.xml"))
		}, "more than 3 pages", 2, "/s2.xml"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSite(t)
			s.set("/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
			tc.build(s)
			e := newEnv(t, "127.0.0.1")
			e.syncer.MaxPages = 3
			e.add(t, store.Source{Name: "sm", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
			_, err := e.sync(t, "sm")
			if !errors.Is(err, ErrSourceFailed) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("sync error %v, want %v saying %q", err, ErrSourceFailed, tc.want)
			}
			hits := s.hits()
			total := 0
			for _, n := range hits {
				total += n
			}
			if total > tc.maxHits || hits[tc.neverRead] != 0 || hits["/a"] != 0 {
				t.Errorf("%d requests (%d of %s, %d of /a), want at most %d and none of either", total, hits[tc.neverRead], tc.neverRead, hits["/a"], tc.maxHits)
			}
		})
	}
}

// Every request of a sync but the first waits Delay, sitemaps included,
// whatever kind of source.
func TestSyncWaitsBetweenRequests(t *testing.T) {
	s := newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /private\n"})
	s.set("/docs/", page{body: article("Docs home", `Start here. <a href="a">a</a> <a href="b">b</a>`)})
	s.set("/docs/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
	s.set("/docs/b", page{body: article("Beta", "Beta page about expense claims.")})
	s.set("/s1.xml", urlset(s, "/docs/a"))
	s.set("/s2.xml", urlset(s, "/docs/b", "/docs/a"))
	s.set("/sitemap.xml", sitemapIndex(s, "/s1.xml", "/s2.xml"))
	for _, src := range []store.Source{
		{Name: "sitemap", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml"), Collection: "sitemap"},
		{Name: "crawl", Kind: store.SourceSite, Location: s.url("/docs/"), Collection: "crawl"},
	} {
		t.Run(src.Kind, func(t *testing.T) {
			e := newEnv(t, "127.0.0.1")
			e.syncer.Delay = 50 * time.Millisecond
			var waits []time.Duration
			e.syncer.sleep = func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}
			e.add(t, src)
			s.hits()
			e.mustSync(t, src.Name)
			requests := 0
			for path, n := range s.hits() {
				if path != "/robots.txt" {
					requests += n
				}
			}
			if len(waits) != requests-1 {
				t.Errorf("%d waits for %d requests, want one before each request but the first", len(waits), requests)
			}
			for _, d := range waits {
				if d != 50*time.Millisecond {
					t.Errorf("waited %s, want the Delay", d)
				}
			}
		})
	}
}

// A failure to store a page (Lore's database or embedder) is not the
// source's: the error is returned for the job to retry, the pages stored
// before it are recorded as the source's, and the retry carries on.
func TestStoreFailureIsRetriedAndKeepsWhatWasStored(t *testing.T) {
	s := newSite(t)
	s.set("/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
	s.set("/b", page{body: article("Beta", "Beta page about expense claims.")})
	s.set("/c", page{body: article("Gamma", "Gamma page about parking spaces.")})
	s.sitemap("/a", "/b", "/c")
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "site", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
	e.syncer.Index = &failingIndexer{next: e.svc, n: 2}
	_, err := e.sync(t, "site")
	if err == nil || errors.Is(err, ErrSourceFailed) || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("sync error %v, want the store's error, not %v", err, ErrSourceFailed)
	}
	pages, err := e.st.SourcePages(t.Context(), "site")
	if err != nil {
		t.Fatal(err)
	}
	if n := e.docs(t); n != 1 || len(pages) != 1 || pages[0].Location != s.url("/a") {
		t.Fatalf("after the failure: %d documents, pages %+v; want /a stored and recorded", n, pages)
	}
	st := e.status(t, "site")
	if st.LastSync.IsZero() || !st.LastSuccess.IsZero() || st.Documents != 1 ||
		!strings.Contains(st.LastError, "not a problem of the source") || !strings.Contains(st.LastError, "connection reset") {
		t.Errorf("status %+v", st)
	}

	e.syncer.Index = e.svc
	if res := e.mustSync(t, "site"); res.Unchanged != 1 || res.Added != 2 || res.Documents != 3 {
		t.Fatalf("retry %+v, want /a unchanged and the others added", res)
	}
}

// A source removed while a sync of it runs, by a removal that did not wait
// for the sync lock, takes the documents that sync stored with it.
func TestSourceRemovedDuringItsSync(t *testing.T) {
	_, e := twoPageSitemap(t)
	e.syncer.Index = &hookIndexer{next: e.svc, hook: func(ctx context.Context) {
		if err := e.st.RemoveSource(ctx, "site"); err != nil {
			t.Error(err)
		}
	}}
	_, err := e.sync(t, "site")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("sync error %v, want %v", err, store.ErrNotFound)
	}
	if n := e.docs(t); n != 0 {
		t.Errorf("%d documents of the removed source stay in the index", n)
	}
}

// Removing a source waits for its sync: while one runs, Remove is refused
// and changes nothing.
func TestRemoveIsRefusedWhileTheSourceSyncs(t *testing.T) {
	_, e := twoPageSitemap(t)
	var removeErr error
	e.syncer.Index = &hookIndexer{next: e.svc, hook: func(ctx context.Context) {
		_, _, removeErr = e.syncer.Remove(ctx, "site")
	}}
	if res := e.mustSync(t, "site"); res.Added != 2 {
		t.Fatalf("sync %+v", res)
	}
	if !errors.Is(removeErr, store.ErrLocked) {
		t.Fatalf("remove during the sync: %v, want %v", removeErr, store.ErrLocked)
	}
	if _, err := e.st.Source(t.Context(), "site"); err != nil || e.docs(t) != 2 {
		t.Fatalf("a refused removal changed something: %v, %d documents", err, e.docs(t))
	}

	removed, kept, err := e.syncer.Remove(t.Context(), "site")
	if err != nil || removed != 2 || kept != 0 {
		t.Fatalf("remove after the sync: %d removed, %d kept, %v", removed, kept, err)
	}
	if _, err := e.st.Source(t.Context(), "site"); !errors.Is(err, store.ErrNotFound) || e.docs(t) != 0 {
		t.Errorf("after removal: %v, %d documents", err, e.docs(t))
	}
}

// Two sources listing one URL in a collection share its document: neither
// removing one nor one dropping the page deletes what the other lists, and
// a document gone from the index behind a source's back is stored again,
// even when the page answers 304.
func TestSourcesSharingAPageKeepItsDocument(t *testing.T) {
	s := newSite(t)
	s.set("/a", page{body: article("Alpha", "Alpha page about onboarding laptops."), etag: `"a1"`})
	s.set("/b", page{body: article("Beta", "Beta page about expense claims.")})
	s.sitemap("/a", "/b")
	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "site", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml")})
	e.add(t, store.Source{Name: "one", Kind: store.SourceURL, Location: s.url("/a")})
	e.mustSync(t, "site")
	e.mustSync(t, "one")
	idA := knowledge.DocumentID("web", s.url("/a"))
	hasA := func() bool {
		_, err := e.st.Document(t.Context(), idA)
		return err == nil
	}

	s.sitemap("/b")
	if res := e.mustSync(t, "site"); res.Removed != 1 || !hasA() {
		t.Fatalf("the sitemap dropping /a: %+v, document kept %v; want it removed from the sitemap and kept for the other source", res, hasA())
	}
	s.sitemap("/a", "/b")
	e.mustSync(t, "site")

	removed, kept, err := e.syncer.Remove(t.Context(), "one")
	if err != nil || removed != 0 || kept != 1 || !hasA() {
		t.Fatalf("removing the URL source: %d removed, %d kept, %v; document kept %v", removed, kept, err, hasA())
	}
	if res := e.mustSync(t, "site"); res.Unchanged != 2 || !hasA() {
		t.Fatalf("sync after the removal %+v", res)
	}

	if err := e.st.DeleteDocuments(t.Context(), []string{idA}); err != nil {
		t.Fatal(err)
	}
	if res := e.mustSync(t, "site"); res.Updated != 1 || res.Unchanged != 1 || !hasA() {
		t.Fatalf("sync after the document was deleted %+v, document there %v; want it stored again", res, hasA())
	}
}

// renewStore reports each renewal of a lock, with the store's time when
// the renewal began (its lease runs from then).
type renewStore struct {
	*sqlite.Store
	clock   func() time.Time
	owners  map[string]bool
	renewed chan time.Time
}

func (s *renewStore) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (func(context.Context) error, error) {
	at := s.clock()
	release, err := s.Store.TryLock(ctx, name, owner, ttl)
	if err == nil && s.owners[owner] {
		select {
		case s.renewed <- at:
		default:
		}
	}
	s.owners[owner] = true
	return release, err
}

// A sync renews its lock while it runs: a sync outliving its first lease
// still holds the source.
func TestSyncRenewsItsLock(t *testing.T) {
	s := newSite(t)
	s.set("/a", page{body: article("Alpha", "Alpha page about onboarding laptops.")})
	s.sitemap("/a")
	var offset atomic.Int64
	t0 := time.Now()
	clock := func() time.Time { return t0.Add(time.Duration(offset.Load())) }
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddSource(t.Context(), store.Source{Name: "site", Kind: store.SourceSitemap, Location: s.url("/sitemap.xml"), Collection: "web"}); err != nil {
		t.Fatal(err)
	}
	client, err := fetch.New(fetch.Options{Allow: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	const lease = 30 * time.Millisecond
	rs := &renewStore{Store: st, clock: clock, owners: map[string]bool{}, renewed: make(chan time.Time)}
	var removeErr error
	hook := func(ctx context.Context) {
		offset.Store(int64(2 * lease / 3)) // the store's time: the lease is not over yet
		// Wait for a renewal made at that time: one begun before it
		// leases from the start and ends before the removal below.
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case at := <-rs.renewed:
				if !at.Before(t0.Add(2 * lease / 3)) {
					break wait
				}
			case <-deadline:
				t.Error("the lock was not renewed")
				break wait
			}
		}
		offset.Store(int64(4 * lease / 3)) // past the lease as first taken
		_, _, removeErr = (&Syncer{Store: st}).Remove(ctx, "site")
	}
	syncer := &Syncer{Store: rs, Index: &hookIndexer{next: knowledge.New(st, knowledge.Options{}), hook: hook}, Fetch: client, Delay: -1, lease: lease}
	if _, err := syncer.Sync(t.Context(), "site", nil); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(removeErr, store.ErrLocked) {
		t.Errorf("removal while the sync ran past its first lease: %v, want %v", removeErr, store.ErrLocked)
	}
}

// stealingStore hands the lock to someone else after the first take, as if
// this process had stalled past its lease.
type stealingStore struct {
	*sqlite.Store
	takes atomic.Int32
}

func (s *stealingStore) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (func(context.Context) error, error) {
	if s.takes.Add(1) > 1 {
		return nil, store.LockHeld(name, "thief", time.Now().Add(time.Hour))
	}
	return s.Store.TryLock(ctx, name, owner, ttl)
}

// A sync whose lock is taken over stops writing instead of running on
// beside the new holder.
func TestSyncStopsWhenItsLeaseIsLost(t *testing.T) {
	_, e := twoPageSitemap(t)
	e.syncer.Store = &stealingStore{Store: e.st}
	e.syncer.lease = 30 * time.Millisecond
	e.syncer.Index = &hookIndexer{next: e.svc, hook: func(ctx context.Context) {
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Error("the sync went on after its lock was taken")
		}
	}}
	_, err := e.sync(t, "site")
	if !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("sync error %v, want %v", err, ErrLeaseLost)
	}
	if n := e.docs(t); n != 0 {
		t.Errorf("%d documents stored after the lock was lost", n)
	}
	if st := e.status(t, "site"); !st.LastSync.IsZero() {
		t.Errorf("status recorded after the lock was lost: %+v", st)
	}
}

// A crawled page that redirects stays on the site and obeys robots.txt of
// where it leads, checked before anything is fetched there; the document
// of a page that redirects within the site cites where it landed, under
// the id of the link, and one reached twice is stored once.
func TestCrawlRedirects(t *testing.T) {
	s, other := newSite(t), newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: Lore\nDisallow: /docs/private\n"})
	s.set("/docs/", page{body: article("Docs home", `Start. <a href="plain">p</a> <a href="old">o</a> <a href="away">a</a> <a href="hidden">h</a> <a href="alias">x</a> <a href="new">n</a>`)})
	s.set("/docs/plain", page{body: article("Expenses", "Expenses are filed within thirty days of purchase.")})
	s.set("/docs/old", page{location: "/docs/new"})
	s.set("/docs/alias", page{location: "/docs/new"})
	s.set("/docs/new", page{body: article("Travel", "Book travel through the travel desk two weeks ahead.")})
	s.set("/docs/away", page{location: other.url("/elsewhere")})
	s.set("/docs/hidden", page{location: "/docs/private/x"})
	s.set("/docs/private/x", page{body: article("Secret", "Nothing to see.")})
	other.set("/elsewhere", page{body: article("Elsewhere", "A page on another host.")})

	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "crawl", Kind: store.SourceSite, Location: s.url("/docs/")})
	res := e.mustSync(t, "crawl")
	if res.Added != 3 {
		t.Errorf("crawl %+v (events %+v), want the start page, plain and the moved page", res, e.events)
	}
	if h := other.hits(); len(h) != 0 {
		t.Errorf("the crawl fetched from another host through a redirect: %v", h)
	}
	if n := s.hits()["/docs/private/x"]; n != 0 {
		t.Errorf("a page robots.txt disallows was fetched %d times through a redirect", n)
	}
	if st := e.status(t, "crawl"); !strings.Contains(st.LastError, other.url("/elsewhere")) {
		t.Errorf("status %q does not warn of the redirect off the site", st.LastError)
	}
	cited := func(location string) string {
		t.Helper()
		d, err := e.st.Document(t.Context(), knowledge.DocumentID("web", location))
		if err != nil {
			t.Fatalf("document of %s: %v", location, err)
		}
		return d.Source
	}
	if got := cited(s.url("/docs/old")); got != s.url("/docs/new") {
		t.Errorf("a redirected page is cited as %q, want where it landed", got)
	}
	if got := cited(s.url("/docs/plain")); got != s.url("/docs/plain") {
		t.Errorf("a page that does not redirect is cited as %q", got)
	}
	if res := e.mustSync(t, "crawl"); res.Unchanged != 3 || res.Added+res.Updated+res.Removed != 0 {
		t.Errorf("second crawl %+v, want the 3 documents unchanged", res)
	}
}

// A URL source that redirects to another host obeys that host's
// robots.txt, and is cited where it landed under the id of its URL.
func TestURLSourceRedirectedToAnotherHost(t *testing.T) {
	s, other := newSite(t), newSite(t)
	other.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /closed\n"})
	other.set("/open", page{body: article("Handbook", "The handbook moved to the new host.")})
	other.set("/closed", page{body: article("Closed", "Not for crawlers.")})
	s.set("/moved", page{location: other.url("/open")})
	s.set("/shut", page{location: other.url("/closed")})

	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "moved", Kind: store.SourceURL, Location: s.url("/moved")})
	if res := e.mustSync(t, "moved"); res.Added != 1 {
		t.Fatalf("sync %+v, want 1 added", res)
	}
	d, err := e.st.Document(t.Context(), knowledge.DocumentID("web", s.url("/moved")))
	if err != nil {
		t.Fatal(err)
	}
	if d.Source != other.url("/open") {
		t.Errorf("cited as %q, want the URL it landed at", d.Source)
	}

	e.add(t, store.Source{Name: "shut", Kind: store.SourceURL, Location: s.url("/shut"), Collection: "shut"})
	if _, err := e.sync(t, "shut"); !errors.Is(err, fetch.ErrDisallowed) {
		t.Errorf("sync of a URL redirecting where robots.txt disallows: %v, want %v", err, fetch.ErrDisallowed)
	}
	if n := other.hits()["/closed"]; n != 0 {
		t.Errorf("the disallowed page was fetched %d times", n)
	}
}

// A sitemap an index names may redirect within the sitemap's site, as
// robots.txt allows there, but not to another host: the listing fails
// and nothing is fetched there, as it would for a page the index listed
// on another host.
func TestSitemapIndexChildRedirects(t *testing.T) {
	s, other := newSite(t), newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: Lore\nDisallow: /private\n"})
	s.set("/index.xml", sitemapIndex(s, "/moved.xml"))
	s.set("/moved.xml", page{location: "/maps/a.xml"})
	s.set("/maps/a.xml", urlset(s, "/a"))
	s.set("/a", page{body: article("Expenses", "Expenses are filed within thirty days of purchase.")})

	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "map", Kind: store.SourceSitemap, Location: s.url("/index.xml")})
	if res := e.mustSync(t, "map"); res.Added != 1 {
		t.Fatalf("sync %+v, want the page of the moved sitemap", res)
	}

	// Off the site: nothing is fetched there, the sync fails, the
	// document is kept.
	other.set("/b.xml", urlset(other, "/b"))
	other.set("/b", page{body: article("Elsewhere", "A page on another host.")})
	s.set("/moved.xml", page{location: other.url("/b.xml")})
	if _, err := e.sync(t, "map"); !errors.Is(err, errOffSite) {
		t.Errorf("sync of an index whose sitemap redirects to another host: %v, want %v", err, errOffSite)
	}
	if h := other.hits(); len(h) != 0 {
		t.Errorf("a sitemap named by the index was fetched from another host: %v", h)
	}
	if e.docs(t) != 1 {
		t.Errorf("%d documents after the failed sync, want the page kept", e.docs(t))
	}

	// Within the site, into a path robots.txt disallows.
	s.set("/moved.xml", page{location: "/private/a.xml"})
	s.set("/private/a.xml", urlset(s, "/a"))
	if _, err := e.sync(t, "map"); !errors.Is(err, fetch.ErrDisallowed) {
		t.Errorf("sync of an index whose sitemap redirects where robots.txt disallows: %v, want %v", err, fetch.ErrDisallowed)
	}
	if n := s.hits()["/private/a.xml"]; n != 0 {
		t.Errorf("a sitemap robots.txt disallows was fetched %d times through a redirect", n)
	}
}

// The sitemap and the feed a curator registered redirect as a url source
// does: anywhere on their own site, and to another host only as its
// robots.txt allows, asked before anything is fetched there.
func TestRegisteredSitemapAndFeedRedirectedToAnotherHost(t *testing.T) {
	s, other := newSite(t), newSite(t)
	other.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /closed\n"})
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /\n"})
	rss := `<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><item><title>Launch</title><link>` +
		other.url("/post/1") + `</link><description>The launch moved to Tuesday.</description></item></channel></rss>`
	other.set("/open/feed.xml", page{ctype: "application/rss+xml", body: rss})
	other.set("/closed/feed.xml", page{ctype: "application/rss+xml", body: rss})
	other.set("/closed/sitemap.xml", urlset(other, "/closed/a"))
	other.set("/closed/a", page{body: article("Closed", "Not for crawlers.")})
	// On its own site, where robots.txt disallows everything, a redirect
	// is still the curator's choice.
	s.set("/feed", page{location: "/feed.xml"})
	s.set("/feed.xml", page{ctype: "application/rss+xml", body: rss})
	s.set("/news", page{location: other.url("/open/feed.xml")})
	s.set("/shut", page{location: other.url("/closed/feed.xml")})
	s.set("/map.xml", page{location: other.url("/closed/sitemap.xml")})

	e := newEnv(t, "127.0.0.1")
	e.add(t, store.Source{Name: "feed", Kind: store.SourceFeed, Location: s.url("/feed")})
	if res := e.mustSync(t, "feed"); res.Added != 1 {
		t.Errorf("feed redirected on its own site: %+v, want 1 added", res)
	}
	e.add(t, store.Source{Name: "news", Kind: store.SourceFeed, Location: s.url("/news"), Collection: "news"})
	if res := e.mustSync(t, "news"); res.Added != 1 {
		t.Errorf("feed redirected where robots.txt allows: %+v, want 1 added", res)
	}
	e.add(t, store.Source{Name: "shut", Kind: store.SourceFeed, Location: s.url("/shut"), Collection: "shut"})
	if _, err := e.sync(t, "shut"); !errors.Is(err, fetch.ErrDisallowed) {
		t.Errorf("sync of a feed redirecting where robots.txt disallows: %v, want %v", err, fetch.ErrDisallowed)
	}
	e.add(t, store.Source{Name: "map", Kind: store.SourceSitemap, Location: s.url("/map.xml"), Collection: "map"})
	if _, err := e.sync(t, "map"); !errors.Is(err, fetch.ErrDisallowed) {
		t.Errorf("sync of a sitemap redirecting where robots.txt disallows: %v, want %v", err, fetch.ErrDisallowed)
	}
	h := other.hits()
	for _, p := range []string{"/closed/feed.xml", "/closed/sitemap.xml", "/closed/a"} {
		if h[p] != 0 {
			t.Errorf("%s, disallowed, was fetched %d times", p, h[p])
		}
	}
}

// A page read once (a suggestion in chat) redirects as a url source does:
// anywhere on its own site, whose robots.txt is not asked since someone
// chose that page, and to another host only as that host's robots.txt
// allows, asked before anything is fetched there. It is cited where it
// landed.
func TestReadURLRedirects(t *testing.T) {
	s, other := newSite(t), newSite(t)
	s.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /\n"})
	other.set("/robots.txt", page{ctype: "text/plain", body: "User-agent: *\nDisallow: /closed\n"})
	s.set("/old", page{location: "/new#top"})
	s.set("/new", page{body: article("Travel", "Book travel through the travel desk two weeks ahead.")})
	s.set("/moved", page{location: other.url("/open")})
	s.set("/shut", page{location: other.url("/closed")})
	other.set("/open", page{body: article("Handbook", "The handbook moved to the new host.")})
	other.set("/closed", page{body: article("Closed", "Not for crawlers.")})
	c, err := fetch.New(fetch.Options{Allow: []string{"127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	for from, want := range map[string]string{s.url("/old"): s.url("/new"), s.url("/moved"): other.url("/open")} {
		parsed, final, err := ReadURL(t.Context(), c, from, ingest.Options{})
		if err != nil || final != want || len(parsed.Chunks) == 0 {
			t.Errorf("ReadURL(%s): %q, %d chunks, %v; want it read at %s", from, final, len(parsed.Chunks), err, want)
		}
	}
	if _, _, err := ReadURL(t.Context(), c, s.url("/shut"), ingest.Options{}); !errors.Is(err, fetch.ErrDisallowed) {
		t.Errorf("ReadURL of a page redirecting where robots.txt disallows: %v, want %v", err, fetch.ErrDisallowed)
	}
	if n := other.hits()["/closed"]; n != 0 {
		t.Errorf("the disallowed page was fetched %d times", n)
	}
}

// The URL a person chose may redirect from http to https on its own host
// without robots.txt being asked, as on its own site: an upgrade to https
// is no other host. Another host is asked (here robots.txt cannot be
// read, since no name resolves, so the redirect is refused).
func TestChosenURLMayMoveToHTTPS(t *testing.T) {
	c, err := fetch.New(fetch.Options{Resolver: noResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	check, err := curatorsChoice(c.NewRobots(), "http://wiki.example/handbook")
	if err != nil {
		t.Fatal(err)
	}
	for to, allowed := range map[string]bool{
		"https://wiki.example/handbook/": true,
		"http://WIKI.example/handbook/":  true,
		"https://wiki.example:8443/x":    false,
		"https://www.wiki.example/x":     false,
	} {
		u, _ := url.Parse(to)
		if err := check(t.Context(), u); (err == nil) != allowed {
			t.Errorf("redirect to %s: %v, want allowed %v", to, err, allowed)
		}
	}
}

// noResolver resolves no name.
type noResolver struct{}

func (noResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}
