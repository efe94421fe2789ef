package engagement

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// forgetHook runs before just before the store forgets.
type forgetHook struct {
	*sqlite.Store
	before func() error
}

func (f *forgetHook) Forget(ctx context.Context, user string, keepCounts bool) (store.ForgetResult, error) {
	if err := f.before(); err != nil {
		return store.ForgetResult{}, err
	}
	return f.Store.Forget(ctx, user, keepCounts)
}

// Voids are queued once each, for more statements than a page, and for a
// statement stored between the listing and the forget.
func TestForgetVoidsEveryPageOnce(t *testing.T) {
	defer func(n int) { forgetPage = n }(forgetPage)
	forgetPage = 2
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m, err := NewMapper("https://lore.example.com/xapi", []byte("0123456789abcdef-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	statement := func(i int) store.Statement {
		st, err := m.Statement(store.Event{ID: fmt.Sprintf("q%d", i), Time: at.Add(time.Duration(i) * time.Second), Kind: store.EventQuestion, User: "ana"})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := Stored(st, "ana")
		if err != nil {
			t.Fatal(err)
		}
		return stored
	}
	var ids []string
	for i := range 5 {
		st := statement(i)
		ids = append(ids, st.ID)
		if err := s.AddStatements(ctx, []store.Statement{st}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkForwarded(ctx, ids); err != nil {
		t.Fatal(err)
	}
	// One more is stored after the statements were listed, as the
	// person's question answered at that moment would be.
	late := statement(5)
	ids = append(ids, late.ID)
	racing := &forgetHook{Store: s, before: func() error { return s.AddStatements(ctx, []store.Statement{late}) }}
	res, err := Forget(ctx, racing, m, "ana", false, at.Add(time.Hour))
	if err != nil || len(res.Statements) != len(ids) {
		t.Fatalf("forget = %v, %v; want %d statements removed", res.Statements, err, len(ids))
	}
	pending, err := s.PendingStatements(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	voided := map[string]int{}
	for _, p := range pending {
		if p.Voids == "" {
			t.Errorf("the outbox holds %s, which voids nothing", p.ID)
		}
		voided[p.Voids]++
	}
	for _, id := range ids {
		if voided[id] != 1 {
			t.Errorf("statement %s voided %d times, want once", id, voided[id])
		}
	}
	if len(voided) != len(ids) {
		t.Errorf("%d statements voided, want %d", len(voided), len(ids))
	}
}
