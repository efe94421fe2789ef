package sources_test

import (
	"slices"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

func TestChangesNamesEachChangedSetting(t *testing.T) {
	before := store.Source{Name: "hb", Owner: "a", Every: 24 * time.Hour}
	after := before
	if got := sources.Changes(before, after); len(got) != 0 {
		t.Errorf("no change gave %q", got)
	}
	after.Every, after.Owner, after.ReviewEvery, after.Approval, after.Audience = time.Hour, "b", 90*24*time.Hour, true, "group:hr"
	want := []string{"every 24h0m0s → 1h0m0s", "review every - → 90d", "approval false → true", "owner a → b", "audience - → group:hr"}
	if got := sources.Changes(before, after); !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	if got := sources.Changes(after, store.Source{Name: "hb", ReviewEvery: 36 * time.Hour}); !slices.Equal(got, []string{
		"every 1h0m0s → manual", "review every 90d → 36h0m0s", "approval true → false", "owner b → -", "audience group:hr → -"}) {
		t.Errorf("changes back %q", got)
	}
}
