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
	"time"

	"github.com/lorehq/lore/bot/engagement"
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
