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
	want := []string{"every day → hour", "review every - → 90d", "approval false → true", "owner a → b", "audience - → group:hr"}
	if got := sources.Changes(before, after); !slices.Equal(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	if got := sources.Changes(after, store.Source{Name: "hb", ReviewEvery: 36 * time.Hour}); !slices.Equal(got, []string{
		"every hour → manual", "review every 90d → 36h0m0s", "approval true → false", "owner b → -", "audience group:hr → -"}) {
		t.Errorf("changes back %q", got)
	}
}

// Schedules read as people say them, and exactly: a value that is not a
// whole number of a unit is written in the next smaller one.
func TestEveryReadsAsSpoken(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "manual",
		time.Minute:                     "minute",
		30 * time.Minute:                "30 minutes",
		90 * time.Minute:                "90 minutes",
		time.Hour:                       "hour",
		6 * time.Hour:                   "6 hours",
		36 * time.Hour:                  "36 hours",
		24 * time.Hour:                  "day",
		7 * 24 * time.Hour:              "7 days",
		90 * time.Second:                "1m30s",
		time.Hour + 30*time.Second:      "1h0m30s",
		24*time.Hour + time.Millisecond: "24h0m0.001s",
	} {
		if got := sources.Every(d); got != want {
			t.Errorf("Every(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestScheduleReadsInASentence(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                  "manual sync",
		-time.Hour:         "manual sync",
		time.Hour:          "every hour",
		6 * time.Hour:      "every 6 hours",
		7 * 24 * time.Hour: "every 7 days",
	} {
		if got := sources.Schedule(d); got != want {
			t.Errorf("Schedule(%v) = %q, want %q", d, got, want)
		}
	}
}
