package sources

import (
	"fmt"
	"time"

	"github.com/lorehq/lore/store"
)

// Changes lists the settings that differ between two versions of a
// source, each as "SETTING OLD → NEW" ("every day → hour"): what
// 'lore sources set' and the chat's "sources set" print and record in the
// audit log, worded the same whichever made the change.
func Changes(before, after store.Source) []string {
	var out []string
	change := func(what, from, to string) {
		if from != to {
			out = append(out, fmt.Sprintf("%s %s → %s", what, from, to))
		}
	}
	change("every", Every(before.Every), Every(after.Every))
	change("review every", ReviewEvery(before.ReviewEvery), ReviewEvery(after.ReviewEvery))
	change("approval", fmt.Sprint(before.Approval), fmt.Sprint(after.Approval))
	change("owner", orDash(before.Owner), orDash(after.Owner))
	change("audience", orDash(before.Audience), orDash(after.Audience))
	return out
}

// Every writes a re-sync schedule as it reads after "every": "manual" for
// none, else whole days ("day", "7 days"), else whole hours ("hour",
// "6 hours"), else whole minutes ("30 minutes", "90 minutes"), else a Go
// duration ("1m30s"). It is exact: no value is rounded to another. It is
// store.Every, which words the limits of a schedule alike.
func Every(d time.Duration) string { return store.Every(d) }

// Schedule writes a sync schedule as a phrase for a sentence or a list:
// "every 6 hours", or "manual sync" for a source synced only on demand.
func Schedule(d time.Duration) string {
	if d <= 0 {
		return "manual sync"
	}
	return "every " + Every(d)
}

// ReviewEvery writes a review interval: "-" for none, whole days as "180d",
// else a Go duration.
func ReviewEvery(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
