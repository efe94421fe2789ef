package engagement_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// weekAt is a time of the seeded week: day d (0 is Monday 2 March) at hour h.
func weekAt(d, h int) time.Time {
	return weekStart.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour)
}

// everyTable renders every way a report reaches a leader: the digest's
// text, the report's JSON and every CSV table.
func everyTable(t *testing.T, r engagement.Report) string {
	t.Helper()
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(engagement.BuildDigest(r).Text())
	b.Write(js)
	for _, table := range engagement.CSVTableNames() {
		if err := engagement.WriteCSV(&b, table, r); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// The week before had one person: their figures, and the changes they
// would give away, are not shown anywhere.
func TestPreviousPeriodOfFewPeopleIsNotCompared(t *testing.T) {
	s := openStore(t)
	sd := &seeder{t: t, s: s}
	for i := range 5 {
		sd.add(store.Event{Time: weekAt(1, 9), Kind: store.EventQuestion, User: fmt.Sprintf("g%d", i)})
	}
	for range 3 {
		sd.add(store.Event{Time: weekAt(-3, 9), Kind: store.EventQuestion, User: "solo"})
	}
	sd.add(store.Event{Time: weekAt(-3, 10), Kind: store.EventFeedback, User: "solo", Value: -1})
	r := mustCompute(t, s)
	if r.Withheld || !r.PreviousWithheld {
		t.Fatalf("withheld %v, previous withheld %v; want the week shown without its comparison", r.Withheld, r.PreviousWithheld)
	}
	for _, f := range r.Figures {
		if !f.PreviousWithheld || f.Previous != 0 || f.Delta != 0 || f.Change != nil {
			t.Errorf("%s = %+v, want no previous value, delta or change", f.Key, f)
		}
	}
	if q := figure(t, r, engagement.FigQuestions); q.Value != 5 || engagement.FormatChange(q) != "no comparison" {
		t.Errorf("questions = %+v, change %q", q, engagement.FormatChange(q))
	}
	text := engagement.BuildDigest(r).Text()
	if !strings.Contains(text, "Questions asked: *5* (no comparison)") || strings.Contains(text, "%)") {
		t.Errorf("digest compares with one person's week:\n%s", text)
	}
	var csv strings.Builder
	if err := engagement.WriteCSV(&csv, "figures", r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "questions,Questions asked,5,,,\n") {
		t.Errorf("figures CSV compares with one person's week:\n%s", csv.String())
	}

	// With five people the week before, the comparison is back.
	for i := range 4 {
		sd.add(store.Event{Time: weekAt(-3, 9), Kind: store.EventQuestion, User: fmt.Sprintf("p%d", i)})
	}
	r = mustCompute(t, s)
	if q := figure(t, r, engagement.FigQuestions); r.PreviousWithheld || q.PreviousWithheld || q.Previous != 7 {
		t.Errorf("questions with 5 people the week before = %+v", q)
	}
}

// A question asked by one person, however often, is not quoted; a gap
// that five people asked is, in its latest words only.
func TestGapsNeedKAskers(t *testing.T) {
	s := openStore(t)
	sd := &seeder{t: t, s: s}
	rooms := []string{"how do I book a meeting room?", "meeting room booking?", "how to book meeting room", "booking meeting rooms please", "where do I book a meeting room"}
	for i, q := range rooms {
		u := fmt.Sprintf("g%d", i)
		sd.add(store.Event{Time: weekAt(1, 9+i), Kind: store.EventQuestion, User: u})
		sd.add(store.Event{Time: weekAt(1, 9+i), Kind: store.EventAnswer, User: u, Question: q})
	}
	for i := range 6 {
		sd.add(store.Event{Time: weekAt(1, 15+i), Kind: store.EventAnswer, User: "solo", Question: "is Dana Smith on a performance improvement plan?"})
	}
	var asked []string
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{
		SuggestOwner: func(_ context.Context, q string) string { asked = append(asked, q); return "facilities" },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Gaps) != 1 || r.Gaps[0].Askers != 5 || r.Gaps[0].Question != rooms[4] || r.Gaps[0].Owner != "facilities" || r.GapsWithheld != 1 {
		t.Fatalf("gaps = %+v, %d withheld; want the meeting room gap, and one withheld", r.Gaps, r.GapsWithheld)
	}
	if len(r.Gaps[0].Examples) != 0 {
		t.Errorf("a quoted gap carries other people's phrasings: %q", r.Gaps[0].Examples)
	}
	if len(asked) != 1 {
		t.Errorf("owners were looked up for %q, want the quoted gap only", asked)
	}
	all := everyTable(t, r)
	for _, secret := range append([]string{"Dana Smith"}, rooms[:4]...) {
		if strings.Contains(all, secret) {
			t.Errorf("a leader's view quotes %q:\n%s", secret, all)
		}
	}
	if text := engagement.BuildDigest(r).Text(); !strings.Contains(text, "1 gap asked by too few people to quote") {
		t.Errorf("digest does not count the withheld gap:\n%s", text)
	}
}

// One person in five channels is one person on a day retention folded:
// the period is withheld, and no day of the chart shows them.
func TestRolledUpPersonInManyChannelsIsOne(t *testing.T) {
	s := openStore(t)
	sd := &seeder{t: t, s: s}
	for c := range 5 {
		sd.add(store.Event{Time: weekAt(1, 9+c), Kind: store.EventQuestion, User: "solo", Channel: fmt.Sprintf("C%d", c)})
	}
	if _, err := s.Compact(t.Context(), weekEnd); err != nil {
		t.Fatal(err)
	}
	r := mustCompute(t, s)
	if !r.Withheld {
		t.Errorf("one person's rolled-up week is shown: %+v", r)
	}
	for _, d := range r.Daily {
		if d.Active > 0 || d.Questions > 0 {
			t.Errorf("one person's day is charted: %+v", d)
		}
	}
}

// A week whose first days retention folded (six people a day) and whose
// last days are raw (one person): the figures come from the raw events, so
// they are withheld; the chart still shows the folded day of six.
func TestFiguresNeedKPeopleInTheirOwnEvents(t *testing.T) {
	s := openStore(t)
	sd := &seeder{t: t, s: s}
	for i := range 6 {
		sd.add(store.Event{Time: weekAt(1, 9), Kind: store.EventQuestion, User: fmt.Sprintf("g%d", i)})
	}
	if _, err := s.Compact(t.Context(), weekAt(2, 0)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		sd.add(store.Event{Time: weekAt(4, 9), Kind: store.EventQuestion, User: "solo"})
	}
	r := mustCompute(t, s)
	if !r.Withheld || len(r.Figures) != 0 || len(r.ByChannel) != 0 {
		t.Errorf("figures of one person's raw events are shown: %+v", r.Figures)
	}
	shown := false
	for _, d := range r.Daily {
		switch {
		case d.Day.Equal(weekAt(1, 0)):
			shown = d.Active == 6 && d.Questions == 6
		case d.Active > 0 || d.Questions > 0:
			t.Errorf("day %s of fewer than 5 people is charted: %+v", d.Day.Format("2 Jan"), d)
		}
	}
	if !shown {
		t.Errorf("the folded day of 6 people is not charted: %+v", r.Daily)
	}
}

// The daily counts do not follow a team filter: a team of one among six
// active people is still one person.
func TestTeamOfOneIsWithheld(t *testing.T) {
	s := openStore(t)
	sd := &seeder{t: t, s: s}
	for i := range 6 {
		sd.add(store.Event{Time: weekAt(1, 9), Kind: store.EventQuestion, User: fmt.Sprintf("g%d", i)})
	}
	team := func(u string) string {
		if u == "g0" {
			return "one"
		}
		return "rest"
	}
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd, Team: "one"}, engagement.Options{TeamOf: team})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Withheld || len(r.Figures) != 0 {
		t.Errorf("the team of one is shown: %+v", r.Figures)
	}
}

// A day on which only people who opted out asked questions has no one to
// count, and is withheld like any day of fewer than k people.
func TestAnonymousDayIsWithheld(t *testing.T) {
	s := openStore(t)
	sd := &seeder{t: t, s: s}
	for i := range 5 {
		sd.add(store.Event{Time: weekAt(1, 9), Kind: store.EventQuestion, User: fmt.Sprintf("g%d", i)})
	}
	for range 3 {
		sd.add(store.Event{Time: weekAt(3, 9), Kind: store.EventQuestion})
	}
	r := mustCompute(t, s)
	for _, d := range r.Daily {
		if d.Day.Equal(weekAt(3, 0)) && (!d.Withheld || d.Questions != 0) {
			t.Errorf("a day of anonymous questions only = %+v, want withheld", d)
		}
	}
}
