package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// lore sources set changes a source in place: its documents stay, what is
// not given is kept, and the change is audited with what it was before.
func TestSourcesSet(t *testing.T) {
	db := newDB(t)
	docs := t.TempDir()
	writeFile(t, filepath.Join(docs, "leave.md"), []byte("# Leave\n\nEveryone gets 25 days of paid leave a year.\n"))
	db.run(t, "sources", "add", "handbook", docs, "--owner", "people-ops", "--collection", "hr").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "sync", "handbook").wantCode(t, cli.ExitOK)
	docsBefore := db.counts(t).documents
	if docsBefore == 0 {
		t.Fatal("the sync stored no documents")
	}

	r := db.run(t, "sources", "set", "handbook", "--every", "1h", "--owner", "it-ops")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"every day → hour", "owner people-ops → it-ops", "'lore serve' every hour;", `collection "hr"`} {
		if !strings.Contains(r.out, want) {
			t.Errorf("lore sources set output lacks %q:\n%s", want, r.out)
		}
	}
	r = db.run(t, "sources", "set", "handbook", "--review-every", "90d", "--approval", "--audience", "group:hr")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"review every - → 90d", "approval false → true", "audience - → group:hr", `Collection "hr": audience group:hr`} {
		if !strings.Contains(r.out, want) {
			t.Errorf("lore sources set output lacks %q:\n%s", want, r.out)
		}
	}
	if got := db.counts(t).documents; got != docsBefore {
		t.Errorf("documents after set = %d, want %d", got, docsBefore)
	}

	st := db.open(t)
	src, err := st.Source(t.Context(), "handbook")
	if err != nil {
		t.Fatal(err)
	}
	if src.Owner != "it-ops" || src.Every != time.Hour || src.ReviewEvery != 90*24*time.Hour || !src.Approval ||
		src.Audience != "group:hr" || src.Collection != "hr" || src.Status.Documents != docsBefore {
		t.Errorf("source after set = %+v", src)
	}
	cols, err := st.ListCollections(t.Context())
	if err != nil || len(cols) != 1 || cols[0].Name != "hr" || cols[0].Audience != "group:hr" {
		t.Errorf("collections after set --audience = %+v, %v", cols, err)
	}

	// Back to no schedule and no review interval.
	db.run(t, "sources", "set", "handbook", "--every", "0", "--review-every", "0").wantCode(t, cli.ExitOK)
	if src, _ := st.Source(t.Context(), "handbook"); src.Every != 0 || src.ReviewEvery != 0 || src.Owner != "it-ops" {
		t.Errorf("source after set to none = %+v", src)
	}
	// The same settings again change nothing and are not audited.
	r = db.run(t, "sources", "set", "handbook", "--every", "0")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "already had these settings") {
		t.Errorf("an unchanged set says:\n%s", r.out)
	}

	r = db.run(t, "audit", "--action", "source.update", "--json")
	r.wantCode(t, cli.ExitOK)
	var entries []struct{ Actor, Action, Target, Detail string }
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatalf("lore audit --json: %v\n%s", err, r.out)
	}
	want := []string{
		"every hour → manual, review every 90d → -",
		"review every - → 90d, approval false → true, audience - → group:hr",
		"every day → hour, owner people-ops → it-ops",
	}
	if len(entries) != len(want) {
		t.Fatalf("source.update entries = %+v, want %d", entries, len(want))
	}
	for i, e := range entries {
		if e.Target != "handbook" || !strings.HasPrefix(e.Actor, "cli:") {
			t.Errorf("entry %d = %+v", i, e)
		}
	}
	for i, e := range entries {
		if e.Detail != want[i] {
			t.Errorf("source.update entry %d: detail %q, want %q", i, e.Detail, want[i])
		}
	}
	log, err := st.AuditLog(t.Context(), store.AuditFilter{Action: store.AuditCollectionSet})
	if err != nil || len(log) != 1 || log[0].Target != "hr" || log[0].Detail != "audience group:hr, approval false" {
		t.Errorf("collection.set entries = %+v, %v", log, err)
	}
}

// Bad input to lore sources set exits 2 with a message and changes nothing.
func TestSourcesSetBadInput(t *testing.T) {
	db := newDB(t)
	db.run(t, "sources", "add", "site", "https://example.com/sitemap.xml", "--owner", "web").wantCode(t, cli.ExitOK)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"nothing to set":   {[]string{"site"}, "nothing to set"},
		"unknown source":   {[]string{"nope", "--owner", "x"}, "no source named"},
		"short schedule":   {[]string{"site", "--every", "30s"}, "at least a minute"},
		"bad schedule":     {[]string{"site", "--every", "often"}, "--every"},
		"negative":         {[]string{"site", "--every", "-1h"}, "--every"},
		"short review":     {[]string{"site", "--review-every", "2h"}, "at least a day"},
		"bad audience":     {[]string{"site", "--audience", "team:x"}, ""},
		"kind is fixed":    {[]string{"site", "--kind", "url"}, "remove it"},
		"collection fixed": {[]string{"site", "--collection", "other"}, "remove it"},
		"bad with good":    {[]string{"site", "--owner", "new", "--every", "1s"}, "at least"},
		"no name":          {nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := db.run(t, append([]string{"sources", "set"}, tc.args...)...)
			r.wantCode(t, cli.ExitUsage)
			if r.err == "" || !strings.Contains(r.err, tc.want) {
				t.Errorf("stderr %q lacks %q", r.err, tc.want)
			}
		})
	}
	st := db.open(t)
	if src, err := st.Source(t.Context(), "site"); err != nil || src.Owner != "web" || src.Every != 24*time.Hour {
		t.Errorf("refused changes changed the source: %+v, %v", src, err)
	}
	if log, _ := st.AuditLog(t.Context(), store.AuditFilter{Action: "source.update"}); len(log) != 0 {
		t.Errorf("refused changes were audited: %+v", log)
	}
	if cols, _ := st.ListCollections(t.Context()); len(cols) != 0 {
		t.Errorf("a refused audience changed a collection: %+v", cols)
	}
}

// Adding a source with --audience sets its collection's audience only when
// the source is added, and audits it as a change of the collection;
// lore sources shows the audience the collection has now, not the one
// given when the source was added.
func TestSourcesAddAudienceIsTheCollections(t *testing.T) {
	db := newDB(t)
	db.run(t, "collections", "set", "payroll", "--audience", "group:hr").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "add", "wiki", "https://wiki.example.com/pay", "--collection", "payroll").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "add", "wiki", "https://wiki.example.com/other", "--collection", "payroll", "--audience", "everyone").wantCode(t, cli.ExitUsage)
	if r := db.run(t, "collections"); !strings.Contains(r.out, "group:hr") {
		t.Errorf("a refused add changed the collection's audience:\n%s", r.out)
	}

	db.run(t, "sources", "add", "benefits", "https://wiki.example.com/benefits", "--collection", "hr2", "--audience", "group:hr").wantCode(t, cli.ExitOK)
	if r := db.run(t, "audit", "--action", "collection.set"); !strings.Contains(r.out, "hr2") || !strings.Contains(r.out, "group:hr") {
		t.Errorf("the audience set by adding a source is not audited as a collection change:\n%s", r.out)
	}
	db.run(t, "collections", "set", "hr2", "--audience", "everyone").wantCode(t, cli.ExitOK)
	r := db.run(t, "sources", "--json")
	r.wantCode(t, cli.ExitOK)
	var list []struct{ Name, Audience string }
	if err := json.Unmarshal([]byte(r.out), &list); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	got := map[string]string{}
	for _, s := range list {
		got[s.Name] = s.Audience
	}
	if got["benefits"] != "everyone" || got["wiki"] != "group:hr" {
		t.Errorf("audiences shown %v, want the collections' current ones", got)
	}
}

// lore sources add reads --every and --review-every in the forms lore
// sources set reads: Go durations, days and weeks, and 0 for none.
func TestSourcesAddReadsIntervalsAsSetDoes(t *testing.T) {
	db := newDB(t)
	const day = 24 * time.Hour
	cases := []struct {
		name, every, review   string
		wantEvery, wantReview time.Duration
	}{
		{"weekly", "7d", "26w", 7 * day, 182 * day},
		{"fortnightly", "2w", "180d", 14 * day, 180 * day},
		{"hourly", "90m", "0", 90 * time.Minute, 0},
		{"manual", "0", "", 0, 0},
	}
	for _, c := range cases {
		args := []string{"sources", "add", c.name, "https://example.com/" + c.name, "--every", c.every}
		if c.review != "" {
			args = append(args, "--review-every", c.review)
		}
		db.run(t, args...).wantCode(t, cli.ExitOK)
	}
	st := db.open(t)
	for _, c := range cases {
		src, err := st.Source(t.Context(), c.name)
		if err != nil || src.Every != c.wantEvery || src.ReviewEvery != c.wantReview {
			t.Errorf("source %s added with --every %s --review-every %q: every %s, review every %s (%v); want %s, %s",
				c.name, c.every, c.review, src.Every, src.ReviewEvery, err, c.wantEvery, c.wantReview)
		}
	}
	for _, bad := range []string{"often", "7x", "-1h"} {
		r := db.run(t, "sources", "add", "bad", "https://example.com/bad", "--every", bad)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, "--every") {
			t.Errorf("--every %s: stderr does not name the flag: %q", bad, r.err)
		}
	}
}

// Giving a source the audience its collection already has changes nothing
// and records nothing, in either audit entry.
func TestSourcesSetSameAudienceRecordsNothing(t *testing.T) {
	db := newDB(t)
	db.run(t, "sources", "add", "s1", "https://example.com/").wantCode(t, cli.ExitOK)
	db.run(t, "sources", "set", "s1", "--audience", "role:curator").wantCode(t, cli.ExitOK)
	r := db.run(t, "sources", "set", "s1", "--audience", "role:curator")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "already had these settings") {
		t.Errorf("an unchanged audience says:\n%s", r.out)
	}
	st := db.open(t)
	for _, action := range []string{store.AuditSourceUpdate, store.AuditCollectionSet} {
		log, err := st.AuditLog(t.Context(), store.AuditFilter{Action: action})
		if err != nil || len(log) != 1 {
			t.Errorf("%s entries = %+v, %v; want the first change only", action, log, err)
		}
	}
	cols, err := st.ListCollections(t.Context())
	if err != nil || len(cols) != 1 || cols[0].Audience != "role:curator" {
		t.Errorf("collections = %+v, %v", cols, err)
	}
}
