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
