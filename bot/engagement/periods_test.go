package engagement_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// March 2026, UTC: march(15) is the midnight that starts 15 March.
func march(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

// seedFortnight records 1 to 14 March: the same six people in #general
// each ask a question a day, answered from the leave document, and on 3
// March six other people ask one each in #side, a channel of its own.
func seedFortnight(t *testing.T, s reportStore) {
	t.Helper()
	ctx := t.Context()
	for _, d := range []store.Document{
		{ID: "leave", Collection: "handbook", Source: "leave.md", Title: "Annual leave", Tags: []string{"leave"}},
		{ID: "visa", Collection: "handbook", Source: "visa.md", Title: "Work visas", Tags: []string{"visa"}},
	} {
		if err := s.ReplaceDocument(ctx, d, []store.Chunk{{Text: d.Title, Terms: []string{"x"}, Vector: []float32{1, 0}}}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	rec := func(e store.Event) {
		t.Helper()
		n++
		e.ID, e.Platform = fmt.Sprintf("base-%d", n), "slack"
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for d := 1; d <= 14; d++ {
		for i := range 6 {
			u := fmt.Sprintf("g%d", i)
			at := march(d).Add(time.Duration(9+i) * time.Hour)
			rec(store.Event{Time: at, Kind: store.EventQuestion, Channel: "general", User: u, Question: "q"})
			rec(store.Event{Time: at.Add(time.Second), Kind: store.EventAnswer, Channel: "general", User: u, Confident: true, DocIDs: []string{"leave"}})
		}
	}
	for i := range 6 {
		at := march(3).Add(time.Duration(9+i) * time.Hour)
		rec(store.Event{Time: at, Kind: store.EventQuestion, Channel: "side", User: fmt.Sprintf("s%d", i), Question: "q"})
	}
}

// soloOn15 records what one person, alone in #side, did on 15 March:
// questions questions, each answered from the visa document and rated 👎,
// and one left unanswered in their own words.
func soloOn15(t *testing.T, s reportStore, questions int) {
	t.Helper()
	ctx := t.Context()
	for i := range questions {
		at := march(15).Add(time.Duration(9+i) * time.Hour)
		for _, e := range []store.Event{
			{ID: fmt.Sprintf("solo-q%d", i), Time: at, Kind: store.EventQuestion, User: "solo", Question: "visa"},
			{ID: fmt.Sprintf("solo-a%d", i), Time: at.Add(time.Second), Kind: store.EventAnswer, User: "solo", Confident: true, DocIDs: []string{"visa"}},
			{ID: fmt.Sprintf("solo-f%d", i), Time: at.Add(time.Minute), Kind: store.EventFeedback, User: "solo", Value: -1, Ref: fmt.Sprintf("solo-a%d", i)},
		} {
			e.Platform, e.Channel = "slack", "side"
			if err := s.RecordEvent(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	e := store.Event{ID: "solo-gap", Time: march(15).Add(20 * time.Hour), Kind: store.EventAnswer, Platform: "slack", Channel: "side", User: "solo",
		Question: "can my visa sponsorship be withdrawn after my disciplinary hearing?"}
	if err := s.RecordEvent(ctx, e); err != nil {
		t.Fatal(err)
	}
}

func report(t *testing.T, s engagement.Source, since, until time.Time) engagement.Report {
	t.Helper()
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: since, Until: until}, engagement.Options{Clock: func() time.Time { return march(20) }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// group returns the row named name of a breakdown.
func group(gs []engagement.Group, name string) (engagement.Group, bool) {
	for _, g := range gs {
		if g.Name == name {
			return g, true
		}
	}
	return engagement.Group{}, false
}

// The differencing attack: 1 to 15 March minus 1 to 14 March would be 15
// March, a day on which one person alone used Lore. Every figure, row,
// topic and document count of the two reports is the same, and so is
// every table of the longer one, whatever that person did that day.
func TestOverlappingPeriodsDoNotSubtractToADayOfFewPeople(t *testing.T) {
	for name, open := range reportBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			seedFortnight(t, s)
			soloOn15(t, s, 3)
			short, long := report(t, s, march(1), march(15)), report(t, s, march(1), march(16))
			if short.Withheld || long.Withheld {
				t.Fatalf("withheld: %v, %v; want both periods shown", short.Withheld, long.Withheld)
			}
			for _, f := range short.Figures {
				if l := figure(t, long, f.Key); l.Value-f.Value != 0 {
					t.Errorf("%s: 1–15 March minus 1–14 March = %v, the lone person's figure", f.Key, l.Value-f.Value)
				}
			}
			for _, by := range []struct {
				name        string
				short, long []engagement.Group
			}{{"platform", short.ByPlatform, long.ByPlatform}, {"channel", short.ByChannel, long.ByChannel}} {
				if fmt.Sprint(by.short) != fmt.Sprint(by.long) {
					t.Errorf("by %s: %+v, then %+v", by.name, by.short, by.long)
				}
			}
			if fmt.Sprint(short.Topics, short.MostUsed, short.NeverCited) != fmt.Sprint(long.Topics, long.MostUsed, long.NeverCited) {
				t.Errorf("topics or documents differ: %+v %+v, then %+v %+v", short.Topics, short.MostUsed, long.Topics, long.MostUsed)
			}
			if long.WithheldDays != 1 || short.WithheldDays != 0 {
				t.Errorf("days left out: %d and %d, want 15 March only", short.WithheldDays, long.WithheldDays)
			}
			if text := engagement.BuildDigest(long).Text(); !strings.Contains(text, "1 day with fewer than 5 people is left out of these figures (shaded on the chart).") {
				t.Errorf("the digest does not say a day is left out:\n%s", text)
			}

			// Whatever the person did on 15 March, every way the longer
			// report reaches a leader reads the same.
			other := open(t)
			seedFortnight(t, other)
			soloOn15(t, other, 1)
			if a, b := everyTable(t, long), everyTable(t, report(t, other, march(1), march(16))); a != b {
				t.Errorf("what one person did on a day of their own shows in the report:\n%s\n\nversus\n\n%s", a, b)
			}
			if strings.Contains(everyTable(t, long), "disciplinary") {
				t.Error("the lone person's question is quoted")
			}
		})
	}
}

// When the day the periods differ by had k people, it is shown, but a
// group of fewer than k that day is not: the lone person in #side, which
// had six people on 3 March, is merged into "Other" with #general that
// day, so #side's row is the same over both periods.
func TestOverlappingPeriodsDoNotSubtractToASmallGroupOfADay(t *testing.T) {
	for name, open := range reportBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			seedFortnight(t, s)
			soloOn15(t, s, 3)
			for i := range 6 {
				at := march(15).Add(time.Duration(9+i) * time.Hour)
				if err := s.RecordEvent(t.Context(), store.Event{ID: fmt.Sprintf("g15-%d", i), Time: at, Kind: store.EventQuestion,
					Platform: "slack", Channel: "general", User: fmt.Sprintf("g%d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			short, long := report(t, s, march(1), march(15)), report(t, s, march(1), march(16))
			side, ok := group(short.ByChannel, "side")
			if !ok || side.People != 6 || side.Questions != 6 {
				t.Fatalf("#side over 1–14 March = %+v in %+v, want its 6 people of 3 March", side, short.ByChannel)
			}
			if l, _ := group(long.ByChannel, "side"); l != side {
				t.Errorf("#side: %+v over 1–14 March, %+v over 1–15 March: the difference is one person's", side, l)
			}
			other, ok := group(long.ByChannel, engagement.OtherGroup)
			if !ok || other.People != 7 || other.Questions != 9 {
				t.Errorf("Other over 1–15 March = %+v, want 15 March's 7 people and 9 questions", other)
			}
			// 15 March is shown on the chart, and the difference of the
			// two periods is that day's point.
			day := long.Daily[len(long.Daily)-1]
			if q := figure(t, long, engagement.FigQuestions).Value - figure(t, short, engagement.FigQuestions).Value; day.Withheld || float64(day.Questions) != q {
				t.Errorf("15 March on the chart = %+v; the periods differ by %v questions", day, q)
			}
		})
	}
}

// Periods of whole days of k people or more show everything they held,
// and a count is the sum of the days the chart shows.
func TestPeriodTotalsAreTheSumOfTheirDays(t *testing.T) {
	for name, open := range reportBackends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			seedFortnight(t, s)
			r := report(t, s, march(1), march(15))
			if r.WithheldDays != 0 {
				t.Errorf("%d days left out, want none", r.WithheldDays)
			}
			for key, want := range map[string]float64{
				engagement.FigActiveLearners: 12, engagement.FigQuestions: 90, engagement.FigAnswered: 84,
				engagement.FigWeeklyActive: 6, engagement.FigDailyActive: 90.0 / 14,
			} {
				if got := figure(t, r, key).Value; !near(got, want) {
					t.Errorf("%s = %v, want %v", key, got, want)
				}
			}
			charted := 0
			for _, d := range r.Daily {
				if !d.Day.Before(r.Since) && !d.Withheld {
					charted += d.Questions
				}
			}
			if charted != 90 {
				t.Errorf("the chart's days of the period hold %d questions, the figure 90", charted)
			}
			for name, want := range map[string]engagement.Group{
				"general": {Name: "general", People: 6, Questions: 84, Answered: 84},
				"side":    {Name: "side", People: 6, Questions: 6},
			} {
				if g, _ := group(r.ByChannel, name); g != want {
					t.Errorf("#%s = %+v, want %+v", name, g, want)
				}
			}
			if len(r.ByChannel) != 2 {
				t.Errorf("by channel = %+v, want #general and #side", r.ByChannel)
			}
		})
	}
}

// A report adds up whole UTC days that are over: a period cut within a
// day, or one that takes in today, differs from its neighbours by the
// hours of whoever was active in them, and is refused.
func TestReportsCoverWholeDaysThatAreOver(t *testing.T) {
	s := openStore(t)
	now := march(15).Add(10 * time.Hour)
	for _, f := range []engagement.Filter{
		{Since: march(1), Until: march(14).Add(12 * time.Hour)},
		{Since: march(1).Add(-time.Hour), Until: march(14)},
		{Since: march(8), Until: march(16)},
		{Since: march(8), Until: march(15).Add(time.Hour)},
	} {
		_, err := engagement.Compute(t.Context(), s, f, engagement.Options{Clock: func() time.Time { return now }})
		if err == nil || !strings.Contains(err.Error(), "report period") {
			t.Errorf("%s to %s: err %v, want the period refused", f.Since.Format(time.RFC3339), f.Until.Format(time.RFC3339), err)
		}
	}
	if _, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: march(8), Until: march(15)}, engagement.Options{Clock: func() time.Time { return now }}); err != nil {
		t.Errorf("the week to today: %v", err)
	}
}

type keptDigests struct{ got map[string]engagement.Message }

func (k *keptDigests) SendDigest(_ context.Context, to engagement.Destination, m engagement.Message) error {
	k.got[to.User] = m
	return nil
}

// Leaders an hour apart (Paris and London) used to get weeks from their
// own local midnights, which overlap all but an hour at each end: the two
// digests subtracted gave that hour's figures. Every digest now covers
// seven whole UTC days that are over when it goes out.
func TestDigestWeeksAreWholeUTCDays(t *testing.T) {
	s := openStore(t)
	sent := &keptDigests{got: map[string]engagement.Message{}}
	d := &engagement.Digester{Source: s, Sender: sent, Leaders: []engagement.Leader{
		{Name: "paris", TimeZone: "Europe/Paris", To: engagement.Destination{Platform: "slack", User: "paris"}},
		{Name: "london", TimeZone: "Europe/London", To: engagement.Destination{Platform: "slack", User: "london"}},
	}}
	// Monday 9 March: 08:00 in Paris is 07:00 UTC, in London 08:00 UTC.
	for _, at := range []time.Time{march(9).Add(7 * time.Hour), march(9).Add(8 * time.Hour)} {
		if n, err := d.RunHour(t.Context(), at); err != nil || n != 1 {
			t.Fatalf("RunHour(%s) = %d, %v", at.Format(time.RFC3339), n, err)
		}
	}
	for who, m := range sent.got {
		if !m.Digest.Since.Equal(march(2)) || !m.Digest.Until.Equal(march(9)) {
			t.Errorf("%s's digest covers %s to %s, want 2 to 9 March, UTC", who, m.Digest.Since.Format(time.RFC3339), m.Digest.Until.Format(time.RFC3339))
		}
	}
	for _, c := range []struct {
		zone string
		hour int
		now  time.Time
		want time.Time
	}{
		// 08:00 on Monday in Auckland (UTC+13) is 19:00 on Sunday, UTC.
		{"Pacific/Auckland", 8, march(8).Add(19 * time.Hour), march(8)},
		// 05:00 in Kolkata (UTC+5:30) is 23:30 the day before, UTC.
		{"Asia/Kolkata", 5, march(8).Add(23*time.Hour + 45*time.Minute), march(8)},
		{"America/New_York", 9, march(9).Add(13 * time.Hour), march(9)},
	} {
		due, end, err := engagement.Leader{Name: c.zone, TimeZone: c.zone, Hour: c.hour}.Due(c.now)
		if err != nil || !due || !end.Equal(c.want) || end.After(c.now) {
			t.Errorf("%s at %s: due %v, week ending %s (%v); want due, ending %s", c.zone, c.now.Format(time.RFC3339), due, end.Format(time.RFC3339), err, c.want.Format(time.RFC3339))
		}
	}
}
