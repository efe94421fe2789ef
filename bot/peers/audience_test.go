package peers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/sqlite"
	"github.com/lorehq/lore/store/storetest"
)

// peerStore is what the test needs of a backend.
type peerStore interface {
	store.Peers
	store.Documents
	store.Collections
	peers.EventLog
}

var peerBackends = map[string]func(t *testing.T) peerStore{
	"sqlite": func(t *testing.T) peerStore {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"postgres": func(t *testing.T) peerStore {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		schema := "lore_peers_test_" + hex.EncodeToString(b)
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

// TestSkillsInferredOnlyFromOpenDocuments: ana owns a handbook document
// (open to everyone), a payroll document (group hr) and a draft. Only the
// handbook's tags become her skills, so "connect" tells nobody what the
// payroll collection or the draft is about; restricting the handbook later
// takes its skill away before it is shown again, and a track's skill stays.
func TestSkillsInferredOnlyFromOpenDocuments(t *testing.T) {
	for name, open := range peerBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := open(t)
			ctx := t.Context()
			svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: &fakeMessenger{}, Clock: func() time.Time { return start }})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []store.Collection{{Name: "payroll", Audience: "group:hr"}, {Name: "proposals", Approval: true}} {
				if err := st.SetCollection(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			for _, d := range []store.Document{
				{ID: "expenses", Collection: "handbook", Source: "expenses.md", Tags: []string{"expenses"}, Owner: "ana"},
				{ID: "bands", Collection: "payroll", Source: "bands.md", Tags: []string{"salary bands"}, Owner: "ana"},
				{ID: "reorg", Collection: "proposals", Source: "reorg.md", Tags: []string{"reorganisation"}, Owner: "ana", Status: store.StatusDraft},
			} {
				d.Title, d.ContentHash = d.ID, "h-"+d.ID
				if err := st.ReplaceDocument(ctx, d, nil); err != nil {
					t.Fatal(err)
				}
			}
			say := func(user, text string) bot.Reply {
				cmd, rest, _ := strings.Cut(text, " ")
				return svc.Command(ctx, msg(user, text), cmd, rest)
			}
			say("ana", "profile available on")
			r := say("ana", "profile infer on")
			if !strings.Contains(r.Text, "expenses") || strings.Contains(r.Text, "salary") || strings.Contains(r.Text, "reorganisation") {
				t.Fatalf("infer on: %q; want expenses only", r.Text)
			}
			if r := say("ben", "connect salary bands"); strings.Contains(r.Text, "ana") {
				t.Errorf("connect names ana for a restricted collection's tag:\n%s", r.Text)
			}
			if r := say("ben", "connect reorganisation"); strings.Contains(r.Text, "ana") {
				t.Errorf("connect names ana for a draft's tag:\n%s", r.Text)
			}
			if r := say("ben", "connect expenses"); !strings.Contains(r.Text, "ana") {
				t.Errorf("connect does not name ana for an open document's tag:\n%s", r.Text)
			}
			who := store.PersonKey{Platform: "slack", Workspace: "T1", User: "ana"}
			if _, err := svc.InferFromTrack(ctx, who, []string{"sql"}, 1); err != nil {
				t.Fatal(err)
			}
			// The handbook is restricted: its tag is no longer shown, and
			// the profile is saved without it.
			if err := st.SetCollection(ctx, store.Collection{Name: "handbook", Audience: "group:finance"}); err != nil {
				t.Fatal(err)
			}
			if r := say("ben", "connect expenses"); strings.Contains(r.Text, "ana") {
				t.Errorf("connect names ana for a tag of a collection restricted since:\n%s", r.Text)
			}
			p, err := st.Profile(ctx, who)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.Inferred, []string{"sql"}) {
				t.Errorf("inferred after the handbook was restricted = %v, want only the track's sql", p.Inferred)
			}
		})
	}
}
