package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

// testDailyActivityFollowsEvents checks that daily activity, which stores
// may keep as a rollup updated on write, always equals what the raw events
// say: after single and bulk writes (with ids written twice), after a
// person is anonymised and after one is deleted, with and without
// filters, and for a period that ends within a day.
func testDailyActivityFollowsEvents(t *testing.T, s store.Store) {
	day1 := base.Truncate(24 * time.Hour)
	rng := rand.New(rand.NewPCG(7, 9))
	users := []string{"ana", "ben", "cy", "dee", ""}
	channels := []string{"C1", "C2"}
	var bulk []store.Event
	for i := range 400 {
		e := store.Event{
			ID: fmt.Sprintf("act-%d", i), Time: day1.Add(time.Duration(rng.IntN(5*24*60)) * time.Minute),
			Kind:     []string{store.EventQuestion, store.EventAnswer, store.EventFeedback}[rng.IntN(3)],
			Platform: []string{"slack", "discord"}[rng.IntN(2)], Channel: channels[rng.IntN(2)], User: users[rng.IntN(len(users))],
		}
		if i%4 == 0 {
			mustRecord(t, s, e)
			mustRecord(t, s, e) // a retried delivery
		} else {
			bulk = append(bulk, e)
		}
	}
	if err := s.RecordEvents(t.Context(), bulk); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordEvents(t.Context(), bulk[:50]); err != nil { // again: ignored
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for _, f := range []store.ActivityFilter{
			{Since: day1, Until: day1.Add(5 * 24 * time.Hour)},
			{Since: day1.Add(3 * time.Hour), Until: day1.Add(2*24*time.Hour + 7*time.Hour)}, // ends within a day
			{Since: day1, Until: day1.Add(5 * 24 * time.Hour), Platform: "slack"},
			{Since: day1, Until: day1.Add(5 * 24 * time.Hour), Channel: "C2"},
			{Since: day1, Until: day1.Add(5 * 24 * time.Hour), Platform: "discord", Channel: "C1"},
		} {
			got, err := s.DailyActivity(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			want := activityFromEvents(mustEvents(t, s, store.EventFilter{
				Since: store.Day(f.Since), Until: f.Until, Platform: f.Platform, Channel: f.Channel}))
			if !sameDays(got, want) {
				t.Errorf("%s, %+v: daily activity = %+v, want %+v from the events", when, f, got, want)
			}
		}
	}
	check("after writing")
	if _, err := s.Forget(t.Context(), "ana", true); err != nil {
		t.Fatal(err)
	}
	check("after anonymising ana")
	if _, err := s.Forget(t.Context(), "ben", false); err != nil {
		t.Fatal(err)
	}
	check("after forgetting ben")
}

// activityFromEvents counts questions and distinct named people per UTC
// day, by brute force.
func activityFromEvents(events []store.Event) []store.DayActivity {
	type acc struct {
		questions int
		people    map[string]bool
	}
	byDay := map[time.Time]*acc{}
	var days []time.Time
	for _, e := range events {
		d := store.Day(e.Time)
		a := byDay[d]
		if a == nil {
			a = &acc{people: map[string]bool{}}
			byDay[d] = a
			days = append(days, d)
		}
		if e.Kind == store.EventQuestion {
			a.questions++
		}
		if e.User != "" {
			a.people[e.User] = true
		}
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	out := make([]store.DayActivity, len(days))
	for i, d := range days {
		out[i] = store.DayActivity{Day: d, Questions: byDay[d].questions, Active: len(byDay[d].people)}
	}
	return out
}

// eventScanner is what stores offer to stream events oldest first.
type eventScanner interface {
	ScanEvents(ctx context.Context, f store.EventFilter, fn func(store.Event) error) error
}

// testScanEvents checks that a store that streams events gives the same
// events as Events, oldest first, under the same filter, and stops at an
// error from the callback.
func testScanEvents(t *testing.T, s store.Store) {
	sc, ok := s.(eventScanner)
	if !ok {
		t.Skip("the store does not stream events")
	}
	for i := range 30 {
		mustRecord(t, s, store.Event{ID: fmt.Sprintf("scan-%02d", i), Time: base.Add(time.Duration(i%10) * time.Minute),
			Kind: store.EventQuestion, Platform: "slack", Channel: []string{"C1", "C2"}[i%2], User: "ana", DocIDs: []string{"d1"}})
	}
	f := store.EventFilter{Since: base.Add(time.Minute), Until: base.Add(8 * time.Minute), Channel: "C1"}
	var got []store.Event
	if err := sc.ScanEvents(t.Context(), f, func(e store.Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := mustEvents(t, s, f)
	slices.Reverse(want)
	if len(got) == 0 || len(got) != len(want) {
		t.Fatalf("scanned %d events, Events gives %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || !got[i].Time.Equal(want[i].Time) || !slices.Equal(got[i].DocIDs, want[i].DocIDs) {
			t.Errorf("event %d: scanned %+v, want %+v", i, got[i], want[i])
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := sc.ScanEvents(t.Context(), f, func(store.Event) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("ScanEvents after the callback's error: %v, %d calls", err, n)
	}
}

// testRolledUpDaysCountPeople checks that retention keeps each day's
// distinct people: a person active in several channels and platforms
// counts once on a rolled-up day, with and without filters, wherever the
// cut falls in a day and however often retention runs.
func testRolledUpDaysCountPeople(t *testing.T, s store.Store) {
	day1 := base.Truncate(24 * time.Hour)
	rng := rand.New(rand.NewPCG(3, 5))
	users := []string{"ana", "ben", "cy", ""}
	var events []store.Event
	for i := range 300 {
		events = append(events, store.Event{
			ID: fmt.Sprintf("roll-%d", i), Time: day1.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute),
			Kind:     []string{store.EventQuestion, store.EventAnswer}[rng.IntN(2)],
			Platform: []string{"slack", "discord"}[rng.IntN(2)], Channel: fmt.Sprintf("C%d", rng.IntN(5)), User: users[rng.IntN(len(users))],
		})
	}
	// One person in five channels of two platforms on one day.
	for c := range 5 {
		events = append(events, store.Event{ID: fmt.Sprintf("solo-%d", c), Time: day1.Add(4*24*time.Hour + time.Duration(c)*time.Hour),
			Kind: store.EventQuestion, Platform: []string{"slack", "discord"}[c%2], Channel: fmt.Sprintf("C%d", c), User: "solo"})
	}
	if err := s.RecordEvents(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	filters := []store.ActivityFilter{
		{Since: day1, Until: day1.Add(5 * 24 * time.Hour)},
		{Since: day1, Until: day1.Add(5 * 24 * time.Hour), Platform: "slack"},
		{Since: day1, Until: day1.Add(5 * 24 * time.Hour), Channel: "C2"},
		{Since: day1, Until: day1.Add(5 * 24 * time.Hour), Platform: "discord", Channel: "C1"},
	}
	want := make([][]store.DayActivity, len(filters))
	for i, f := range filters {
		want[i] = activityFromEvents(mustEvents(t, s, store.EventFilter{Since: f.Since, Until: f.Until, Platform: f.Platform, Channel: f.Channel}))
	}
	check := func(when string) {
		t.Helper()
		for i, f := range filters {
			got, err := s.DailyActivity(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			if !sameDays(got, want[i]) {
				t.Errorf("%s, %+v: daily activity = %+v, want %+v as the raw events said", when, f, got, want[i])
			}
		}
	}
	// Retention runs daily at some hour, and twice at the same cut when a
	// run is retried; each run may cut within a day.
	for _, cut := range []time.Duration{30 * time.Hour, 30 * time.Hour, 41 * time.Hour, 72 * time.Hour, 5 * 24 * time.Hour} {
		if _, err := s.Compact(t.Context(), day1.Add(cut)); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after retention at day1+%s", cut))
	}
}

// testLateEventsNeverInflatePeople checks the days retention has folded
// when events are recorded for them afterwards (an import, a delayed
// delivery): a person counted in the rollup is not counted again, whether
// their late event is still raw or folded by a second run, and the count
// never exceeds the day's distinct people.
func testLateEventsNeverInflatePeople(t *testing.T, s store.Store) {
	day1 := base.Truncate(24 * time.Hour)
	q := func(id, user string, h int) store.Event {
		return store.Event{ID: id, Time: day1.Add(time.Duration(h) * time.Hour), Kind: store.EventQuestion, Platform: "slack", Channel: "C1", User: user}
	}
	if err := s.RecordEvents(t.Context(), []store.Event{q("l1", "ana", 1), q("l2", "ben", 2)}); err != nil {
		t.Fatal(err)
	}
	day := func(when string) store.DayActivity {
		t.Helper()
		if _, err := s.Compact(t.Context(), day1.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if when != "" {
			mustRecord(t, s, q("late-"+when, when, 3))
		}
		days, err := s.DailyActivity(t.Context(), store.ActivityFilter{Since: day1, Until: day1.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 1 {
			t.Fatalf("daily activity = %+v, want day1", days)
		}
		return days[0]
	}
	if d := day(""); d.Active != 2 || d.Questions != 2 {
		t.Errorf("folded day = %+v, want 2 people and 2 questions", d)
	}
	// ana again, raw beside her rollup, then folded into it.
	if d := day("ana"); d.Active != 2 || d.Questions != 3 {
		t.Errorf("with a late raw event of ana = %+v, want 2 people and 3 questions", d)
	}
	if d := day(""); d.Active != 2 || d.Questions != 3 {
		t.Errorf("after folding ana's late event = %+v, want 2 people and 3 questions", d)
	}
	rollups, err := s.Rollups(t.Context(), day1, day1.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rollups {
		if r.Users > 2 {
			t.Errorf("rollup %+v counts more people than the day had", r)
		}
	}
	// A new person late: the day had 3 people; which of the folds' people
	// were the same is no longer known, so the count may stay lower, never
	// higher.
	if d := day("cy"); d.Active < 2 || d.Active > 3 || d.Questions != 4 {
		t.Errorf("with a late event of cy = %+v, want 2 or 3 people and 4 questions", d)
	}
	if d := day(""); d.Active < 2 || d.Active > 3 || d.Questions != 4 {
		t.Errorf("after folding cy's late event = %+v, want 2 or 3 people and 4 questions", d)
	}
}
