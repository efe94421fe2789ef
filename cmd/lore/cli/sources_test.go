package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// intranet serves a sitemap of two pages on 127.0.0.1.
func intranet(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sitemap.xml":
			fmt.Fprintf(w, `<urlset><url><loc>%[1]s/remote-work</loc></url><url><loc>%[1]s/parking</loc></url></urlset>`, srv.URL)
		case "/remote-work":
			fmt.Fprint(w, `<html><head><title>Remote work</title></head><body><article><h1>Remote work</h1>
				<p>Employees may work remotely up to three days a week, agreed with their manager.</p>
				<p>The company pays a one-off home office allowance of 300 euros for a chair or a lamp.</p></article></body></html>`)
		case "/parking":
			fmt.Fprint(w, `<html><head><title>Parking</title></head><body><article><h1>Parking</h1>
				<p>Staff parking is in the basement garage; register your number plate at reception.</p></article></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSourcesLifecycle(t *testing.T) {
	db := newDB(t)
	srv := intranet(t)

	r := db.run(t, "sources")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "No sources yet") {
		t.Errorf("empty list: %q", r.out)
	}

	docs := t.TempDir()
	pdf, err := os.ReadFile("../../../knowledge/ingest/testdata/sources/handbook.pdf")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(docs, "handbook.pdf"), pdf)

	r = db.run(t, "sources", "add", "intranet", srv.URL+"/sitemap.xml", "--owner", "people-ops", "--audience", "everyone")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "re-synced by 'lore serve' every day.") {
		t.Errorf("add does not say the schedule as people write it: %q", r.out)
	}
	r = db.run(t, "sources", "add", "pdfs", docs, "--collection", "handbook", "--every", "0", "--review-every", "26w")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "due for review 182d after each change") {
		t.Errorf("add does not say the review interval: %q", r.out)
	}

	// Without the allow-list, 127.0.0.1 is an internal address.
	r = db.run(t, "sources", "sync", "intranet")
	r.wantCode(t, cli.ExitFailure)
	if !strings.Contains(r.err, "internal or reserved") {
		t.Errorf("refusal not explained: %q", r.err)
	}
	r = db.run(t, "sources")
	if !strings.Contains(r.out, "failed: ") {
		t.Errorf("the table does not show the failure:\n%s", r.out)
	}

	r = db.run(t, "sources", "sync", "intranet", "--allow", "127.0.0.1")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.err, "added     "+srv.URL+"/remote-work") || !strings.Contains(r.out, "2 added") {
		t.Errorf("sync output:\nstdout %s\nstderr %s", r.out, r.err)
	}
	db.run(t, "sources", "sync", "pdfs").wantCode(t, cli.ExitOK)

	r = db.run(t, "sources")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"intranet", "sitemap", "people-ops", "  day  ", "pdfs", "files", "manual", "ok", "REVIEW", "182d"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("table lacks %q:\n%s", want, r.out)
		}
	}

	r = db.run(t, "ask", "--json", "how much is the home office allowance?")
	var ans struct {
		Citations []struct{ Source, Heading string } `json:"citations"`
	}
	if err := json.Unmarshal([]byte(r.out), &ans); err != nil || len(ans.Citations) == 0 || ans.Citations[0].Source != srv.URL+"/remote-work" {
		t.Errorf("answer not cited from the synced page (%v):\n%s", err, r.out)
	}
	r = db.run(t, "ask", "--json", "within how many days must expenses be claimed?")
	if err := json.Unmarshal([]byte(r.out), &ans); err != nil || len(ans.Citations) == 0 || ans.Citations[0].Heading != "p. 2" {
		t.Errorf("the PDF's page is not in the citation (%v):\n%s", err, r.out)
	}

	r = db.run(t, "sources", "--json")
	var list []struct {
		Name        string
		Every       string `json:"every"`
		ReviewEvery string `json:"review_every"`
		Status      struct{ Documents int }
	}
	if err := json.Unmarshal([]byte(r.out), &list); err != nil || len(list) != 2 || list[0].Name != "intranet" || list[0].Status.Documents != 2 ||
		list[0].Every != "24h0m0s" || list[1].Every != "manual" || list[0].ReviewEvery != "" || list[1].ReviewEvery != "182d" {
		t.Errorf("JSON list (%v):\n%s", err, r.out)
	}

	r = db.run(t, "sources", "remove", "intranet")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "2 documents") {
		t.Errorf("remove: %q", r.out)
	}
	r = db.run(t, "ask", "--json", "how much is the home office allowance?")
	if strings.Contains(r.out, "/remote-work") {
		t.Errorf("a removed source's page is still cited:\n%s", r.out)
	}
}

// Removing a source waits for its sync: while a sync holds the source,
// remove says so and changes nothing. A page another source lists too
// keeps its document for that one.
func TestSourcesRemoveWaitsForSyncAndKeepsSharedPages(t *testing.T) {
	db := newDB(t)
	srv := intranet(t)
	db.run(t, "sources", "add", "intranet", srv.URL+"/sitemap.xml").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "add", "parking", srv.URL+"/parking").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "sync", "intranet", "--allow", "127.0.0.1").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "sync", "parking", "--allow", "127.0.0.1").wantCode(t, cli.ExitOK)
	before := db.counts(t)

	st := db.open(t)
	release, err := st.TryLock(t.Context(), "source:intranet", "replica-2:4242/sync", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := db.run(t, "sources", "remove", "intranet")
	r.wantCode(t, cli.ExitFailure)
	if !strings.Contains(r.err, "being synced") || !strings.Contains(r.err, "replica-2:4242") {
		t.Errorf("the refusal does not say a sync holds the source:\n%s", r.err)
	}
	if after := db.counts(t); after != before || !strings.Contains(db.run(t, "sources").out, "intranet") {
		t.Errorf("a refused removal changed the database: %+v, then %+v", before, after)
	}
	if err := release(t.Context()); err != nil {
		t.Fatal(err)
	}

	r = db.run(t, "sources", "remove", "intranet")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "its 1 document; 1 more stays") {
		t.Errorf("remove: %q", r.out)
	}
	r = db.run(t, "ask", "--json", "where do staff park?")
	if !strings.Contains(r.out, srv.URL+"/parking") {
		t.Errorf("the page the other source lists was removed with the first:\n%s", r.out)
	}
	if strings.Contains(r.out, "/remote-work") {
		t.Errorf("a removed source's own page is still cited:\n%s", r.out)
	}
}

func TestSourcesBadInput(t *testing.T) {
	db := newDB(t)
	db.run(t, "sources", "add", "site", "https://example.com/sitemap.xml").wantCode(t, cli.ExitOK)
	for name, args := range map[string][]string{
		"taken name":     {"add", "site", "https://example.com/other"},
		"bad scheme":     {"add", "ftp", "ftp://example.com/x"},
		"missing path":   {"add", "files", filepath.Join(t.TempDir(), "nope")},
		"bad name":       {"add", "my site", "https://example.com/"},
		"bad kind":       {"add", "k", "https://example.com/", "--kind", "gopher"},
		"short schedule": {"add", "fast", "https://example.com/", "--every", "1s"},
		"bad review":     {"add", "rev", "https://example.com/", "--review-every", "often"},
		"short review":   {"add", "rev", "https://example.com/", "--review-every", "2h"},
		"unknown sync":   {"sync", "nope"},
		"unknown remove": {"remove", "nope"},
		"no args":        {"add"},
	} {
		t.Run(name, func(t *testing.T) {
			r := db.run(t, append([]string{"sources"}, args...)...)
			r.wantCode(t, cli.ExitUsage)
			if r.err == "" {
				t.Error("no message")
			}
		})
	}
	// A single file Lore cannot read, and a web source given a path, are
	// refused with what to do instead rather than syncing to nothing.
	feed := filepath.Join(t.TempDir(), "news.atom")
	if err := os.WriteFile(feed, []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><title>News</title></feed>`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "news", feed}, `cannot read ".atom" files`},
		{[]string{"add", "news", feed, "--kind", "feed"}, "give its http or https URL"},
		{[]string{"add", "news", "example.com/feed.xml"}, "no such file"},
		{[]string{"add", "news", "example.com/feed.xml", "--kind", "feed"}, "give its http or https URL"},
	} {
		r := db.run(t, append([]string{"sources"}, c.args...)...)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, c.want) {
			t.Errorf("sources %q: stderr %q, want it to say %q", c.args, r.err, c.want)
		}
	}
	r := db.run(t, "sources", "add", "creds", "https://alice:hunter2@example.com/")
	r.wantCode(t, cli.ExitUsage)
	if strings.Contains(r.err+r.out, "hunter2") {
		t.Errorf("the password was echoed: %q", r.err)
	}
	r = db.run(t, "sources")
	if !strings.Contains(r.out, "not synced yet") || strings.Count(r.out, "\n") != 2 {
		t.Errorf("refused sources were stored:\n%s", r.out)
	}
}

// A replica running lore serve syncs every scheduled source at start.
func TestServeSyncsScheduledSources(t *testing.T) {
	db := newDB(t)
	corpus := copyCorpus(t)
	db.run(t, "sources", "add", "corpus", corpus, "--every", "1h").wantCode(t, cli.ExitOK)
	srv := startServe(t, db.flag())
	waitFor(t, "the scheduled source is synced", 30*time.Second, func() bool { return db.counts(t).documents > 0 })
	waitFor(t, "its status is recorded", 10*time.Second, func() bool {
		return strings.Contains(db.run(t, "sources").out, "ok")
	})
	db.run(t, "ask", leaveQuestion).wantCode(t, cli.ExitOK)
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("lore serve exited with %d:\n%s", code, srv.stderr)
	}
}

// lore serve --sync-every reads days and weeks as lore sources set does.
func TestServeSyncEveryReadsDays(t *testing.T) {
	db := newDB(t)
	corpus := copyCorpus(t)
	srv := startServe(t, db.flag(), "--sync", corpus, "--sync-every", "7d")
	waitFor(t, "the folder is synced at start", 30*time.Second, func() bool { return db.counts(t).documents > 0 })
	if code := srv.stop(); code != cli.ExitOK {
		t.Fatalf("lore serve exited with %d:\n%s", code, srv.stderr)
	}
	r := db.run(t, "serve", "--sync", corpus, "--sync-every", "often")
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, "--sync-every") {
		t.Errorf("stderr does not name the flag: %q", r.err)
	}
}

// A source of one document says so in the singular when synced and
// removed.
func TestSourcesSayOneDocument(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "parking.md"), []byte("# Parking\n\nThe car park closes at 21:00.\n"))
	db.run(t, "sources", "add", "notes", dir).wantCode(t, cli.ExitOK)
	r := db.run(t, "sources", "sync", "notes")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "it holds 1 document, 1 chunk (") {
		t.Errorf("sync of one document:\n%s", r.out)
	}
	r = db.run(t, "sources", "remove", "notes")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, `Removed source "notes" and its 1 document.`) {
		t.Errorf("removal of one document:\n%s", r.out)
	}
}
