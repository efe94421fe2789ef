package engagement_test

import (
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// A leader's hour may not exist on a clock-change day (02:00 when clocks
// go from 02:00 to 03:00) or occur twice (when they go back). The digest
// is due in the hour from the first instant at or after the leader's local
// time, so the hourly check, one minute past every UTC hour, finds it due
// exactly once that week.
func TestDigestDueOnceAcrossClockChanges(t *testing.T) {
	t.Parallel()
	sunday := time.Sunday
	for _, c := range []struct {
		name string
		zone string
		hour int
		// first is the first instant at or after the leader's local time,
		// in UTC; the digest is due at the first check from then on.
		first time.Time
	}{
		// 29 March 2026: clocks go from 02:00 CET to 03:00 CEST, at 01:00 UTC.
		{"Paris spring forward", "Europe/Paris", 2, time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		// 8 March 2026: 02:00 EST becomes 03:00 EDT, at 07:00 UTC.
		{"New York spring forward", "America/New_York", 2, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		// 25 October 2026: 03:00 CEST goes back to 02:00 CET; the first
		// 02:00 is 00:00 UTC, the second 01:00 UTC.
		{"Paris fall back", "Europe/Paris", 2, time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)},
		// 1 November 2026: 02:00 EDT goes back to 01:00 EST; 01:00 is
		// 05:00 UTC, then 06:00 UTC.
		{"New York fall back", "America/New_York", 1, time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)},
		// 4 October 2026: Lord Howe Island moves from 02:00 to 02:30
		// (UTC+10:30 to +11), at 15:30 UTC the day before.
		{"Lord Howe half-hour spring forward", "Australia/Lord_Howe", 2, time.Date(2026, 10, 3, 15, 30, 0, 0, time.UTC)},
		// 5 April 2026: 02:00 (UTC+11) goes back to 01:30 (UTC+10:30);
		// 02:00 then comes once, at 15:30 UTC the day before.
		{"Lord Howe half-hour fall back", "Australia/Lord_Howe", 2, time.Date(2026, 4, 4, 15, 30, 0, 0, time.UTC)},
		{"no change, half-hour zone", "Asia/Kolkata", 5, time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l := engagement.Leader{Name: c.name, TimeZone: c.zone, Hour: c.hour, Weekday: &sunday}
			var due []time.Time
			start := c.first.Truncate(time.Hour).Add(-72 * time.Hour)
			for at := start.Add(time.Minute); at.Before(start.Add(144 * time.Hour)); at = at.Add(time.Hour) {
				ok, end, err := l.Due(at)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					due = append(due, at)
					if want := store.Day(c.first); !end.Equal(want) {
						t.Errorf("due at %s for the week ending %s, want %s", at.Format(time.RFC3339), end.Format(time.RFC3339), want.Format(time.RFC3339))
					}
				}
			}
			want := c.first.Add(-time.Minute).Truncate(time.Hour).Add(time.Hour + time.Minute)
			if len(due) != 1 || !due[0].Equal(want) {
				t.Errorf("due at %v; want once, at %s", due, want.Format(time.RFC3339))
			}
		})
	}
}
