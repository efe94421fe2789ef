package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var sourceCases = []testCase{
	{"AddAndList", testSourceAddList},
	{"NameTaken", testSourceExists},
	{"InvalidRefused", testSourceInvalid},
	{"MissingIsNotFound", testSourceMissing},
	{"SuccessfulSyncReplacesPages", testSourceSyncPages},
	{"FailedSyncKeepsPages", testSourceFailedSync},
	{"RemoveForgetsPages", testSourceRemove},
	{"ListedByOthersFindsSharedPages", testSourceListedByOthers},
	{"UpdateChangesOnlyWhatIsGiven", testSourceUpdate},
	{"UpdateToNone", testSourceUpdateToNone},
	{"UpdateInvalidChangesNothing", testSourceUpdateInvalid},
	{"UpdateMissingIsNotFound", testSourceUpdateMissing},
}

func sampleSource(name string) store.Source {
	return store.Source{
		Name: name, Kind: store.SourceSitemap, Location: "https://handbook.example.com/sitemap.xml",
		Collection: "handbook", Owner: "people-ops", Audience: "everyone", Every: 24 * time.Hour,
		CreatedAt: time.Date(2025, 3, 1, 9, 30, 0, 123e6, time.UTC),
	}
}

func mustAddSource(t *testing.T, s store.Store, src store.Source) {
	t.Helper()
	if err := s.AddSource(t.Context(), src); err != nil {
		t.Fatalf("add source %s: %v", src.Name, err)
	}
}

func testSourceAddList(t *testing.T, s store.Store) {
	b := sampleSource("b-site")
	a := sampleSource("a.feed_1")
	a.Kind, a.Location, a.Every, a.Owner, a.Audience = store.SourceFeed, "https://podcast.example.com/feed.xml", 0, "", ""
	a.Approval = true
	a.Status.Landed = "https://podcast.example.com/en/feed.xml"
	b.ReviewEvery = 180 * 24 * time.Hour
	mustAddSource(t, s, b)
	mustAddSource(t, s, a)
	list, err := s.ListSources(t.Context())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list) != 2 || !reflect.DeepEqual(list[0], a) || !reflect.DeepEqual(list[1], b) {
		t.Fatalf("list = %+v, want %+v then %+v", list, a, b)
	}
	got, err := s.Source(t.Context(), "b-site")
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("source = %+v, %v; want %+v", got, err, b)
	}
	// A source without a creation time gets the store's clock.
	c := sampleSource("c")
	c.CreatedAt = time.Time{}
	mustAddSource(t, s, c)
	if got, _ := s.Source(t.Context(), "c"); got.CreatedAt.IsZero() {
		t.Error("CreatedAt not stamped")
	}
}

func testSourceExists(t *testing.T, s store.Store) {
	mustAddSource(t, s, sampleSource("handbook"))
	other := sampleSource("handbook")
	other.Location = "https://elsewhere.example.com/"
	wantErrorIs(t, s.AddSource(t.Context(), other), store.ErrSourceExists, "second add")
	if got, _ := s.Source(t.Context(), "handbook"); got.Location != sampleSource("").Location {
		t.Errorf("the refused add changed the source: %+v", got)
	}
}

func testSourceInvalid(t *testing.T, s store.Store) {
	for name, mutate := range map[string]func(*store.Source){
		"empty name":       func(src *store.Source) { src.Name = "" },
		"name with space":  func(src *store.Source) { src.Name = "my source" },
		"long name":        func(src *store.Source) { src.Name = strings.Repeat("n", 65) },
		"unknown kind":     func(src *store.Source) { src.Kind = "ftp" },
		"no location":      func(src *store.Source) { src.Location = " " },
		"no collection":    func(src *store.Source) { src.Collection = "" },
		"NUL in owner":     func(src *store.Source) { src.Owner = "a\x00b" },
		"bad UTF-8":        func(src *store.Source) { src.Audience = "\xff" },
		"negative every":   func(src *store.Source) { src.Every = -time.Hour },
		"every too short":  func(src *store.Source) { src.Every = time.Second },
		"review too often": func(src *store.Source) { src.ReviewEvery = time.Hour },
		"negative review":  func(src *store.Source) { src.ReviewEvery = -24 * time.Hour },
		"newline location": func(src *store.Source) { src.Location = "https://a/\nb" },
	} {
		src := sampleSource("valid-name")
		mutate(&src)
		wantErrorIs(t, s.AddSource(t.Context(), src), store.ErrInvalidInput, name)
	}
	if list, _ := s.ListSources(t.Context()); len(list) != 0 {
		t.Errorf("invalid sources stored: %+v", list)
	}
}

func testSourceMissing(t *testing.T, s store.Store) {
	_, err := s.Source(t.Context(), "nope")
	wantErrorIs(t, err, store.ErrNotFound, "load")
	wantErrorIs(t, s.RemoveSource(t.Context(), "nope"), store.ErrNotFound, "remove")
	wantErrorIs(t, s.RecordSync(t.Context(), "nope", store.SyncRecord{}), store.ErrNotFound, "record")
	if pages, err := s.SourcePages(t.Context(), "nope"); err != nil || len(pages) != 0 {
		t.Errorf("pages of a missing source: %v, %v", pages, err)
	}
}

func page(id, loc string, chunks int) store.SourcePage {
	return store.SourcePage{DocID: id, Location: loc, ContentHash: "h-" + id, ETag: `"` + id + `"`,
		LastModified: "Mon, 02 Jan 2006 15:04:05 GMT", Chunks: chunks}
}

func mustPages(t *testing.T, s store.Store, name string) []store.SourcePage {
	t.Helper()
	pages, err := s.SourcePages(t.Context(), name)
	if err != nil {
		t.Fatalf("pages of %s: %v", name, err)
	}
	return pages
}

func testSourceSyncPages(t *testing.T, s store.Store) {
	mustAddSource(t, s, sampleSource("site"))
	mustAddSource(t, s, sampleSource("other"))
	at := time.Date(2025, 3, 2, 10, 0, 0, 456e6, time.UTC)
	first := store.SyncRecord{
		Status: store.SourceStatus{Documents: 2, Chunks: 7, LastSync: at, LastSuccess: at,
			Landed: "https://handbook.example.com/en/sitemap.xml"},
		ReplacePages: true,
		Pages:        []store.SourcePage{page("d2", "https://x/b", 3), page("d1", "https://x/a", 4)},
	}
	if err := s.RecordSync(t.Context(), "site", first); err != nil {
		t.Fatalf("record: %v", err)
	}
	if err := s.RecordSync(t.Context(), "other", store.SyncRecord{ReplacePages: true, Pages: []store.SourcePage{page("o1", "https://y/", 1)}}); err != nil {
		t.Fatalf("record other: %v", err)
	}
	want := []store.SourcePage{page("d1", "https://x/a", 4), page("d2", "https://x/b", 3)}
	if got := mustPages(t, s, "site"); !reflect.DeepEqual(got, want) {
		t.Fatalf("pages = %+v, want %+v", got, want)
	}
	got, _ := s.Source(t.Context(), "site")
	if got.Status != first.Status {
		t.Fatalf("status = %+v, want %+v", got.Status, first.Status)
	}

	later := at.Add(time.Hour)
	second := store.SyncRecord{
		Status:       store.SourceStatus{Documents: 1, Chunks: 2, LastSync: later, LastSuccess: later},
		ReplacePages: true,
		Pages:        []store.SourcePage{page("d3", "https://x/c", 2)},
	}
	if err := s.RecordSync(t.Context(), "site", second); err != nil {
		t.Fatalf("second record: %v", err)
	}
	if got, _ := s.Source(t.Context(), "site"); got.Status != second.Status {
		t.Fatalf("status after second sync = %+v, want %+v", got.Status, second.Status)
	}
	if got := mustPages(t, s, "site"); !reflect.DeepEqual(got, second.Pages) {
		t.Fatalf("pages after second sync = %+v, want %+v", got, second.Pages)
	}
	if got := mustPages(t, s, "other"); len(got) != 1 || got[0].DocID != "o1" {
		t.Errorf("another source's pages changed: %+v", got)
	}
	wantErrorIs(t, s.RecordSync(t.Context(), "site", store.SyncRecord{ReplacePages: true,
		Pages: []store.SourcePage{{DocID: "", Location: "x"}}}), store.ErrInvalidInput, "page without id")
}

func testSourceFailedSync(t *testing.T, s store.Store) {
	mustAddSource(t, s, sampleSource("site"))
	ok := time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
	landed := "https://x/en/sitemap.xml"
	if err := s.RecordSync(t.Context(), "site", store.SyncRecord{
		Status:       store.SourceStatus{Documents: 1, Chunks: 4, LastSync: ok, LastSuccess: ok, Landed: landed},
		ReplacePages: true, Pages: []store.SourcePage{page("d1", "https://x/a", 4)},
	}); err != nil {
		t.Fatal(err)
	}
	failed := store.SourceStatus{Documents: 1, Chunks: 4, LastSync: ok.Add(time.Hour), LastSuccess: ok,
		LastError: "fetch https://x/sitemap.xml: unexpected HTTP status 503", Landed: landed}
	if err := s.RecordSync(t.Context(), "site", store.SyncRecord{Status: failed}); err != nil {
		t.Fatalf("record failure: %v", err)
	}
	got, _ := s.Source(t.Context(), "site")
	if got.Status != failed {
		t.Errorf("status = %+v, want %+v", got.Status, failed)
	}
	if pages := mustPages(t, s, "site"); len(pages) != 1 || pages[0].DocID != "d1" {
		t.Errorf("a failed sync lost the pages: %+v", pages)
	}
	wantErrorIs(t, s.RecordSync(t.Context(), "site", store.SyncRecord{Status: store.SourceStatus{LastError: "bad \x00"}}),
		store.ErrInvalidInput, "NUL in error")
	wantErrorIs(t, s.RecordSync(t.Context(), "site", store.SyncRecord{Status: store.SourceStatus{Landed: "https://x/\xff"}}),
		store.ErrInvalidInput, "bad UTF-8 in the URL landed at")
	if got, _ := s.Source(t.Context(), "site"); got.Status != failed {
		t.Errorf("a refused record changed the status: %+v, want %+v", got.Status, failed)
	}
}

func testSourceRemove(t *testing.T, s store.Store) {
	mustAddSource(t, s, sampleSource("site"))
	if err := s.RecordSync(t.Context(), "site", store.SyncRecord{ReplacePages: true,
		Pages: []store.SourcePage{page("d1", "https://x/a", 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSource(t.Context(), "site"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	_, err := s.Source(t.Context(), "site")
	wantErrorIs(t, err, store.ErrNotFound, "load after remove")
	mustAddSource(t, s, sampleSource("site"))
	if pages := mustPages(t, s, "site"); len(pages) != 0 {
		t.Errorf("a re-added source inherited pages: %+v", pages)
	}
}

// Two sources listing the same page share its document: ListedByOthers
// names the ids another source still lists, and only those.
func testSourceListedByOthers(t *testing.T, s store.Store) {
	mustAddSource(t, s, sampleSource("site"))
	mustAddSource(t, s, sampleSource("one"))
	mustAddSource(t, s, sampleSource("other"))
	if err := s.RecordSync(t.Context(), "site", store.SyncRecord{ReplacePages: true,
		Pages: []store.SourcePage{page("d1", "https://x/a", 1), page("d2", "https://x/b", 1), page("d3", "https://x/c", 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSync(t.Context(), "one", store.SyncRecord{ReplacePages: true,
		Pages: []store.SourcePage{page("d3", "https://x/c", 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordSync(t.Context(), "other", store.SyncRecord{ReplacePages: true,
		Pages: []store.SourcePage{page("d2", "https://x/b", 1), page("d3", "https://x/c", 1), page("d9", "https://x/z", 1)}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ids  []string
		want []string
	}{
		{"site", []string{"d3", "d1", "d2", "unknown"}, []string{"d2", "d3"}},
		{"one", []string{"d3"}, []string{"d3"}},
		{"other", []string{"d9", "d2"}, []string{"d2"}},
		{"site", nil, nil},
		{"gone", []string{"d1", "d9"}, []string{"d1", "d9"}},
	} {
		got, err := s.ListedByOthers(t.Context(), tc.name, tc.ids)
		if err != nil {
			t.Fatalf("listed by others than %s: %v", tc.name, err)
		}
		if len(got) != len(tc.want) || (len(got) > 0 && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("ids of %v listed by others than %s = %v, want %v", tc.ids, tc.name, got, tc.want)
		}
	}
	// Many ids at once, past any limit on bound parameters.
	many := make([]string, 0, 1200)
	for i := range 1200 {
		many = append(many, fmt.Sprintf("x%04d", i))
	}
	many = append(many, "d9")
	if got, err := s.ListedByOthers(t.Context(), "site", many); err != nil || !reflect.DeepEqual(got, []string{"d9"}) {
		t.Errorf("1,201 ids: %v, %v; want [d9]", got, err)
	}
}

func ptr[T any](v T) *T { return &v }

func mustUpdateSource(t *testing.T, s store.Store, name string, u store.SourceUpdate) (before, after store.Source) {
	t.Helper()
	before, after, err := s.UpdateSource(t.Context(), name, u)
	if err != nil {
		t.Fatalf("update source %s: %v", name, err)
	}
	return before, after
}

// An update changes the settings it gives, keeps the others, the status
// and the pages, and leaves other sources alone.
func testSourceUpdate(t *testing.T, s store.Store) {
	src := sampleSource("site")
	mustAddSource(t, s, src)
	mustAddSource(t, s, sampleSource("other"))
	at := time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC)
	sync := store.SyncRecord{Status: store.SourceStatus{Documents: 1, Chunks: 4, LastSync: at, LastSuccess: at},
		ReplacePages: true, Pages: []store.SourcePage{page("d1", "https://x/a", 4)}}
	if err := s.RecordSync(t.Context(), "site", sync); err != nil {
		t.Fatal(err)
	}
	src.Status = sync.Status

	before, after := mustUpdateSource(t, s, "site", store.SourceUpdate{Owner: ptr("it-ops"), Every: ptr(time.Hour)})
	want := src
	want.Owner, want.Every = "it-ops", time.Hour
	if !reflect.DeepEqual(before, src) || !reflect.DeepEqual(after, want) {
		t.Fatalf("update returned\n before %+v\n after  %+v\nwant\n before %+v\n after  %+v", before, after, src, want)
	}
	if got, err := s.Source(t.Context(), "site"); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v, %v; want %+v", got, err, want)
	}

	// The other settings, one update after another.
	_, after = mustUpdateSource(t, s, "site", store.SourceUpdate{Approval: ptr(true), ReviewEvery: ptr(90 * 24 * time.Hour),
		Audience: ptr("group:hr")})
	want.Approval, want.ReviewEvery, want.Audience = true, 90*24*time.Hour, "group:hr"
	if got, _ := s.Source(t.Context(), "site"); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(after, want) {
		t.Fatalf("after the second update: stored %+v, returned %+v; want %+v", got, after, want)
	}
	if got, _ := s.ListSources(t.Context()); len(got) != 2 || !reflect.DeepEqual(got[1], want) {
		t.Fatalf("list after update = %+v", got)
	}

	// An empty update changes nothing.
	before, after = mustUpdateSource(t, s, "site", store.SourceUpdate{})
	if !reflect.DeepEqual(before, want) || !reflect.DeepEqual(after, want) {
		t.Errorf("empty update: %+v -> %+v, want %+v", before, after, want)
	}
	if pages := mustPages(t, s, "site"); !reflect.DeepEqual(pages, sync.Pages) {
		t.Errorf("pages after updates = %+v, want %+v", pages, sync.Pages)
	}
	if got, _ := s.Source(t.Context(), "other"); !reflect.DeepEqual(got, sampleSource("other")) {
		t.Errorf("another source changed: %+v", got)
	}
}

// Zero values are settings too: no schedule, no review interval, no
// owner, no approval.
func testSourceUpdateToNone(t *testing.T, s store.Store) {
	src := sampleSource("site")
	src.Approval, src.ReviewEvery = true, 180*24*time.Hour
	mustAddSource(t, s, src)
	_, after := mustUpdateSource(t, s, "site", store.SourceUpdate{Owner: ptr(""), Approval: ptr(false),
		Every: ptr(time.Duration(0)), ReviewEvery: ptr(time.Duration(0))})
	want := src
	want.Owner, want.Approval, want.Every, want.ReviewEvery = "", false, 0, 0
	if got, _ := s.Source(t.Context(), "site"); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(after, want) {
		t.Fatalf("stored %+v, returned %+v; want %+v", got, after, want)
	}
	// The shortest schedule is allowed.
	if _, after := mustUpdateSource(t, s, "site", store.SourceUpdate{Every: ptr(store.MinSourceInterval)}); after.Every != store.MinSourceInterval {
		t.Errorf("every = %s, want %s", after.Every, store.MinSourceInterval)
	}
}

// An update giving a setting no source may have is refused whole.
func testSourceUpdateInvalid(t *testing.T, s store.Store) {
	src := sampleSource("site")
	mustAddSource(t, s, src)
	for name, u := range map[string]store.SourceUpdate{
		"every too short":     {Every: ptr(time.Second)},
		"negative every":      {Every: ptr(-time.Hour)},
		"review too often":    {ReviewEvery: ptr(time.Hour)},
		"negative review":     {ReviewEvery: ptr(-24 * time.Hour)},
		"NUL in owner":        {Owner: ptr("a\x00b")},
		"newline in audience": {Audience: ptr("group:a\ngroup:b")},
		"bad UTF-8 owner":     {Owner: ptr("\xff")},
		"long owner":          {Owner: ptr(strings.Repeat("o", 2049))},
		// A valid owner does not get a bad schedule through.
		"valid and invalid": {Owner: ptr("it-ops"), Every: ptr(30 * time.Second)},
	} {
		_, _, err := s.UpdateSource(t.Context(), "site", u)
		wantErrorIs(t, err, store.ErrInvalidInput, name)
	}
	if got, _ := s.Source(t.Context(), "site"); !reflect.DeepEqual(got, src) {
		t.Errorf("a refused update changed the source: %+v, want %+v", got, src)
	}
}

func testSourceUpdateMissing(t *testing.T, s store.Store) {
	mustAddSource(t, s, sampleSource("site"))
	for _, name := range []string{"nope", "", "a\x00b", "site "} {
		_, _, err := s.UpdateSource(t.Context(), name, store.SourceUpdate{Owner: ptr("x")})
		wantErrorIs(t, err, store.ErrNotFound, fmt.Sprintf("update %q", name))
	}
	if list, _ := s.ListSources(t.Context()); len(list) != 1 || list[0].Owner != "people-ops" {
		t.Errorf("updating missing sources changed the registry: %+v", list)
	}
}
