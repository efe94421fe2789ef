package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var eventCases = []testCase{
	{"RecordAndList", testEventRoundTrip},
	{"NewestFirstWithLimit", testEventsNewestFirst},
	{"Filter", testEventsFilter},
	{"DuplicateIDIgnored", testEventDuplicateID},
	{"IDRequired", testEventIDRequired},
}

// base is a fixed time, at millisecond precision, the finest every backend
// keeps.
var base = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func mustRecord(t *testing.T, s store.Store, e store.Event) {
	t.Helper()
	if err := s.RecordEvent(t.Context(), e); err != nil {
		t.Fatalf("record event %s: %v", e.ID, err)
	}
}

func mustEvents(t *testing.T, s store.Store, f store.EventFilter) []store.Event {
	t.Helper()
	events, err := s.Events(t.Context(), f)
	if err != nil {
		t.Fatalf("events %+v: %v", f, err)
	}
	return events
}

func eventIDs(events []store.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func testEventRoundTrip(t *testing.T, s store.Store) {
	answer := store.Event{
		ID: "e-answer", Time: base.Add(1500 * time.Millisecond), Kind: store.EventAnswer,
		Platform: "slack", Workspace: "T1", Channel: "C1", Thread: "1700000000.000100", User: "U1",
		Direct: true, Question: "How long is parental leave?", Confident: true,
		DocIDs: []string{"leave", "benefits"}, LatencyMS: 420,
	}
	feedback := store.Event{
		ID: "e-feedback", Time: base.Add(time.Minute), Kind: store.EventFeedback,
		Platform: "slack", Channel: "C1", User: "U1", Value: -1, Ref: "e-answer",
	}
	mustRecord(t, s, answer)
	mustRecord(t, s, feedback)

	got := mustEvents(t, s, store.EventFilter{})
	want := []store.Event{feedback, answer}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !got[i].Time.Equal(want[i].Time) {
			t.Errorf("event %s time = %v, want %v", want[i].ID, got[i].Time, want[i].Time)
		}
		g, w := got[i], want[i]
		g.Time, w.Time = time.Time{}, time.Time{}
		if len(g.DocIDs) == 0 && len(w.DocIDs) == 0 {
			g.DocIDs, w.DocIDs = nil, nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("event = %+v, want %+v", g, w)
		}
	}
}

func testEventsNewestFirst(t *testing.T, s store.Store) {
	// Recorded out of order, to show the order comes from Time.
	for _, m := range []int{3, 1, 4, 0, 2} {
		mustRecord(t, s, store.Event{
			ID: fmt.Sprintf("e%d", m), Time: base.Add(time.Duration(m) * time.Minute), Kind: store.EventQuestion,
		})
	}
	if got, want := eventIDs(mustEvents(t, s, store.EventFilter{})), []string{"e4", "e3", "e2", "e1", "e0"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if got, want := eventIDs(mustEvents(t, s, store.EventFilter{Limit: 2})), []string{"e4", "e3"}; !slices.Equal(got, want) {
		t.Errorf("events with limit 2 = %v, want %v", got, want)
	}
}

func testEventsFilter(t *testing.T, s store.Store) {
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	events := []store.Event{
		{ID: "q1", Time: at(0), Kind: store.EventQuestion, Platform: "slack", Channel: "C1", Thread: "t1", User: "ana"},
		{ID: "a1", Time: at(1), Kind: store.EventAnswer, Platform: "slack", Channel: "C1", Thread: "t1", User: "ana", Confident: true},
		{ID: "q2", Time: at(2), Kind: store.EventQuestion, Platform: "teams", Channel: "C2", User: "ben"},
		{ID: "a2", Time: at(3), Kind: store.EventAnswer, Platform: "teams", Channel: "C2", User: "ben", Confident: false},
		{ID: "f1", Time: at(4), Kind: store.EventFeedback, Platform: "slack", Channel: "C1", User: "ana", Value: 1, Ref: "a1"},
		{ID: "a3", Time: at(5), Kind: store.EventAnswer, Platform: "slack", Channel: "C3", User: "cy", Confident: true},
	}
	for _, e := range events {
		mustRecord(t, s, e)
	}
	yes, no := true, false
	cases := []struct {
		name string
		f    store.EventFilter
		want []string
	}{
		{"kind", store.EventFilter{Kind: store.EventAnswer}, []string{"a3", "a2", "a1"}},
		{"user", store.EventFilter{User: "ana"}, []string{"f1", "a1", "q1"}},
		{"platform", store.EventFilter{Platform: "teams"}, []string{"a2", "q2"}},
		{"channel", store.EventFilter{Channel: "C1"}, []string{"f1", "a1", "q1"}},
		{"thread", store.EventFilter{Channel: "C1", Thread: "t1"}, []string{"a1", "q1"}},
		{"thread of a question", store.EventFilter{Kind: store.EventQuestion, Channel: "C1", Thread: "t1", Limit: 50}, []string{"q1"}},
		{"another thread", store.EventFilter{Channel: "C1", Thread: "t2"}, nil},
		{"since is inclusive", store.EventFilter{Since: at(3)}, []string{"a3", "f1", "a2"}},
		{"until is exclusive", store.EventFilter{Until: at(2)}, []string{"a1", "q1"}},
		{"confident", store.EventFilter{Confident: &yes}, []string{"a3", "a1"}},
		{"not confident", store.EventFilter{Confident: &no}, []string{"a2"}},
		{"combined", store.EventFilter{Kind: store.EventAnswer, User: "ana", Since: at(1), Until: at(5)}, []string{"a1"}},
		{"combined with limit", store.EventFilter{Platform: "slack", Limit: 2}, []string{"a3", "f1"}},
		{"no match", store.EventFilter{User: "nobody"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := eventIDs(mustEvents(t, s, c.f)); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("events = %v, want %v", got, c.want)
			}
		})
	}
}

// Deliveries are retried, so recording the same id twice must keep the
// first event and not fail.
func testEventDuplicateID(t *testing.T, s store.Store) {
	mustRecord(t, s, store.Event{ID: "same", Time: base, Kind: store.EventQuestion, Question: "first"})
	mustRecord(t, s, store.Event{ID: "same", Time: base.Add(time.Hour), Kind: store.EventQuestion, Question: "second"})
	got := mustEvents(t, s, store.EventFilter{})
	if len(got) != 1 || got[0].Question != "first" || !got[0].Time.Equal(base) {
		t.Errorf("events = %+v, want only the first", got)
	}
}

func testEventIDRequired(t *testing.T, s store.Store) {
	err := s.RecordEvent(t.Context(), store.Event{Time: base, Kind: store.EventQuestion})
	wantErrorIs(t, err, store.ErrInvalidInput, "event without id")
	err = s.RecordEvent(t.Context(), store.Event{ID: "bad", Time: base, Kind: store.EventQuestion, Question: "\xff"})
	wantErrorIs(t, err, store.ErrInvalidInput, "event with invalid UTF-8")
	if got := mustEvents(t, s, store.EventFilter{}); len(got) != 0 {
		t.Errorf("refused events were recorded: %v", eventIDs(got))
	}
}
