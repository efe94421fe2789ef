package engagement_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/sqlite"
	"github.com/lorehq/lore/store/storetest"
)

// reportStore is what the test needs of a backend.
type reportStore interface {
	engagement.Source
	store.Documents
	store.Collections
	RecordEvent(ctx context.Context, e store.Event) error
}

var reportBackends = map[string]func(t *testing.T) reportStore{
	"sqlite": func(t *testing.T) reportStore {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"postgres": func(t *testing.T) reportStore {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "lore_engagement_test_" + hex.EncodeToString(b)
		st, err := postgres.Open(t.Context(), storetest.PostgresURL(t), postgres.Options{Schema: schema, Migrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = st.Pool().Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			st.Close()
		})
		return st
	},
}

// TestReportsNameOnlyOpenDocuments: a week in which answers cite a
// document open to everyone and one restricted to a group. The digest and
// the report it comes from count both, and name only the open one; a draft
// is named nowhere either.
func TestReportsNameOnlyOpenDocuments(t *testing.T) {
	for name, open := range reportBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ctx := t.Context()
			for _, c := range []store.Collection{{Name: "payroll", Audience: "group:hr"}, {Name: "reviewed", Approval: true}} {
				if err := s.SetCollection(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range []store.Document{
				{ID: "leave", Collection: "handbook", Source: "leave.md", Title: "Annual leave", Tags: []string{"leave"}},
				{ID: "bands", Collection: "payroll", Source: "bands.md", Title: "Secret salary bands", Tags: []string{"salaries"}},
				{ID: "proposal", Collection: "reviewed", Source: "proposal.md", Title: "Draft reorganisation"},
			} {
				if err := s.ReplaceDocument(ctx, d, []store.Chunk{{Text: d.Title, Terms: []string{"x"}, Vector: []float32{1, 0}}}); err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			add := func(e store.Event) {
				n++
				e.ID, e.Platform, e.Channel = fmt.Sprintf("e%d", n), "slack", "C-general"
				if err := s.RecordEvent(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 8 {
				u, at := fmt.Sprintf("u%d", i), weekStart.Add(time.Duration(i)*time.Hour)
				doc := "leave"
				if i%2 == 1 {
					doc = "bands"
				}
				add(store.Event{Time: at, Kind: store.EventQuestion, User: u, Question: "q"})
				add(store.Event{Time: at.Add(time.Minute), Kind: store.EventAnswer, User: u, Confident: true, DocIDs: []string{doc}})
			}
			r, err := engagement.Compute(ctx, s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Withheld {
				t.Fatal("report withheld")
			}
			if got := r.Figures; len(got) == 0 {
				t.Fatal("no figures")
			}
			if a, _ := r.Figure(engagement.FigAnswered); a.Value != 8 {
				t.Errorf("answered = %v, want all 8 answers counted", a.Value)
			}
			if len(r.MostUsed) != 1 || r.MostUsed[0].ID != "leave" {
				t.Errorf("most used = %+v, want only the open document", r.MostUsed)
			}
			js, _ := json.Marshal(r)
			text := engagement.BuildDigest(r).Text() + string(js)
			for _, secret := range []string{"Secret salary bands", "salaries", "Draft reorganisation"} {
				if strings.Contains(text, secret) {
					t.Errorf("the report names %q:\n%s", secret, text)
				}
			}
			if !strings.Contains(text, "Annual leave") {
				t.Errorf("the report does not name the open document:\n%s", text)
			}
		})
	}
}

// TestGapOwnersComeOnlyFromOpenDocuments: unanswered questions on salary
// bands and on travel expenses. The closest document to the first is in a
// collection restricted to hr, and a draft is close too: neither's owner is
// suggested to leaders; the open expenses document's owner is.
func TestGapOwnersComeOnlyFromOpenDocuments(t *testing.T) {
	for name, open := range reportBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ctx := t.Context()
			ks, ok := s.(knowledge.Store)
			if !ok {
				t.Fatalf("%T is not a knowledge.Store", s)
			}
			for _, c := range []store.Collection{{Name: "payroll", Audience: "group:hr"}, {Name: "proposals", Approval: true}} {
				if err := s.SetCollection(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			k := knowledge.New(ks, knowledge.Options{})
			for coll, files := range map[string]fstest.MapFS{
				"handbook":  {"expenses.md": {Data: []byte("---\nowner: ana\n---\n# Travel expenses\n\nClaim travel expenses within 30 days, with receipts, in the expenses tool.\n")}},
				"payroll":   {"bands.md": {Data: []byte("---\nowner: hr-lead\n---\n# Salary bands for engineers\n\nThe salary bands for engineers run from 50,000 to 110,000 euros.\n")}},
				"proposals": {"bands-2027.md": {Data: []byte("---\nowner: cfo\n---\n# New salary bands\n\nProposed salary bands for engineers from 2027.\n")}},
			} {
				if _, err := k.IngestFS(ctx, files, coll, coll); err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			for i := range 10 { // five people ask each: enough to quote
				q := "What are the salary bands for engineers?"
				if i%2 == 1 {
					q = "How do I claim travel expenses?"
				}
				n++
				e := store.Event{ID: fmt.Sprintf("e%d", n), Platform: "slack", Channel: "C-general", Time: weekStart.Add(time.Duration(i) * time.Hour),
					Kind: store.EventAnswer, User: fmt.Sprintf("u%d", i), Question: q}
				if err := s.RecordEvent(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			suggest := engagement.OwnerSuggester(k, s.(engagement.OwnerDocuments))
			r, err := engagement.Compute(ctx, s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{SuggestOwner: suggest})
			if err != nil {
				t.Fatal(err)
			}
			owners := map[string]string{}
			for _, g := range r.Gaps {
				owners[g.Question] = g.Owner
			}
			if len(owners) != 2 {
				t.Fatalf("gaps = %+v, want the two questions", r.Gaps)
			}
			if o := owners["What are the salary bands for engineers?"]; o == "hr-lead" || o == "cfo" {
				t.Errorf("the salary bands gap suggests %q, the owner of a document leaders may not see", o)
			}
			if o := owners["How do I claim travel expenses?"]; o != "ana" {
				t.Errorf("the expenses gap suggests %q, want ana", o)
			}
			js, _ := json.Marshal(r)
			var csv strings.Builder
			for _, table := range engagement.CSVTableNames() {
				if err := engagement.WriteCSV(&csv, table, r); err != nil {
					t.Fatal(err)
				}
			}
			text := engagement.BuildDigest(r).Text() + string(js) + csv.String()
			for _, secret := range []string{"hr-lead", "cfo", "Salary bands for engineers", "New salary bands"} {
				if strings.Contains(text, secret) {
					t.Errorf("the report names %q:\n%s", secret, text)
				}
			}
		})
	}
}
