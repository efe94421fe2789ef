package nudges

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// slotSearchDays bounds the search for a learner's next slot: a learner
// with no slot in this many days (all days off, a long quiet period) is
// looked at again by a later plan.
const slotSearchDays = 60

// NextSlot returns the first delivery slot of p at or after t: the
// learner's delivery time, in loc, on a working day, outside the quiet
// period and the snooze. ok is false for a paused or stopped learner, or
// when no slot falls within slotSearchDays.
func NextSlot(p store.Preferences, loc *time.Location, t time.Time) (slot time.Time, ok bool) {
	if p.Paused || p.Stopped || p.Weekdays&0x7f == 0 {
		return time.Time{}, false
	}
	local := t.In(loc)
	y, m, d := local.Date()
	for i := range slotSearchDays {
		c := wallClock(y, m, d+i, p.DeliveryMinute, loc)
		switch {
		case c.Before(t):
		case p.Weekdays&(1<<c.Weekday()) == 0:
		case !p.QuietUntil.IsZero() && !c.Before(p.QuietFrom) && c.Before(p.QuietUntil):
		case c.Before(p.SnoozedUntil):
		default:
			return c, true
		}
	}
	return time.Time{}, false
}

// endOfLocalDay is the first instant of the day after t's, in loc: in a
// zone whose clocks jump at midnight, the instant they show 01:00.
func endOfLocalDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return wallClock(y, m, d+1, 0, loc)
}

// wallClock is the instant loc shows as minute (after midnight) on the
// day y-m-d; days past the month's end are normalised as time.Date does.
// A time that occurs twice (clocks going back) is its first occurrence;
// a time inside a daylight-saving gap moves forward by the gap's length
// (02:30 on the night clocks go from 02:00 to 03:00 is 03:30), in every
// zone: time.Date alone resolves it forward in zones east of UTC and
// backward in zones west of it.
func wallClock(y int, m time.Month, d, minute int, loc *time.Location) time.Time {
	want := time.Date(y, m, d, minute/60, minute%60, 0, 0, time.UTC)
	// The offsets in force a day either side: a day holds at most one
	// transition, so these are the offsets before and after it.
	_, before := want.Add(-24 * time.Hour).In(loc).Zone()
	_, after := want.Add(24 * time.Hour).In(loc).Zone()
	first := want.Add(-time.Duration(before) * time.Second)
	if shows(first, loc, want) {
		return first.In(loc) // the earlier instant when the time occurs twice
	}
	if second := want.Add(-time.Duration(after) * time.Second); shows(second, loc, want) {
		return second.In(loc)
	}
	// In a gap: the time read with the offset before the gap, which is
	// after it, later by the gap's length.
	return first.In(loc)
}

// shows reports whether loc's clocks read wall (a time in UTC standing for
// a wall clock) at instant t.
func shows(t time.Time, loc *time.Location, wall time.Time) bool {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC).Equal(wall)
}

// Plan returns the deliveries of every learner whose next slot falls in
// [from, to), each with the cards due then. It reads the whole learner
// base in four queries, so one plan of a window costs the same for one
// learner as for a few hundred thousand, give or take the arithmetic.
func (s *Service) Plan(ctx context.Context, from, to time.Time) ([]DeliverArgs, error) {
	enrolments, err := s.st.Enrolments(ctx, store.EnrolmentFilter{})
	if err != nil {
		return nil, fmt.Errorf("plan nudges: %w", err)
	}
	prefs, err := s.st.AllPreferences(ctx)
	if err != nil {
		return nil, fmt.Errorf("plan nudges: %w", err)
	}
	// Reviews due on the slot's local day are sent then; a day beyond the
	// window covers every zone.
	due, err := s.st.DueCards(ctx, to.Add(26*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("plan nudges: %w", err)
	}
	prefOf := make(map[store.Learner]store.Preferences, len(prefs))
	for _, p := range prefs {
		prefOf[p.Learner] = p
	}
	dueOf := map[store.Learner][]store.CardState{}
	for _, c := range due {
		dueOf[c.Learner] = append(dueOf[c.Learner], c)
	}
	byLearner := map[store.Learner][]store.Enrolment{}
	var learners []store.Learner
	for _, e := range enrolments {
		if e.Status == store.EnrolmentLeft {
			continue
		}
		if _, seen := byLearner[e.Learner]; !seen {
			learners = append(learners, e.Learner)
		}
		byLearner[e.Learner] = append(byLearner[e.Learner], e)
	}

	latest := latestTracks{s: s, m: map[string]latestTrack{}}
	g := s.gate()
	var out []DeliverArgs
	for _, l := range learners {
		p, ok := prefOf[l]
		if !ok {
			p = DefaultPreferences(l)
		}
		loc, err := s.location(ctx, p)
		if err != nil {
			// A later plan, whose window overlaps this one, tries again.
			s.log.WarnContext(ctx, "a learner's time zone cannot be read; nothing planned for them", "platform", l.Platform, "user", l.User, "err", err)
			continue
		}
		slot, ok := NextSlot(p, loc, from)
		if !ok || !slot.Before(to) {
			continue
		}
		// Tracks the learner is no longer in the audience of send nothing.
		es, err := g.admitted(ctx, latest.get, byLearner[l])
		if err != nil {
			s.log.WarnContext(ctx, "a learner's track audiences cannot be checked; nothing planned for them", "platform", l.Platform, "user", l.User, "err", err)
			continue
		}
		cards, err := s.pick(ctx, latest.get, es, dueOf[l], p, slot, loc)
		if err != nil {
			return nil, err
		}
		if len(cards) == 0 {
			continue
		}
		out = append(out, DeliverArgs{Platform: l.Platform, Workspace: l.Workspace, User: l.User, Slot: slot.UTC(), Cards: cards})
	}
	return out, nil
}

// pick chooses a learner's cards for one slot: the next new card of each
// track whose cadence allows one, then the reviews due that day, longest
// overdue first, up to the daily cap. Reviews beyond the cap wait for the
// next slot rather than piling up after a holiday.
func (s *Service) pick(ctx context.Context, latest func(context.Context, string) (Version, error), enrolments []store.Enrolment, due []store.CardState, p store.Preferences, slot time.Time, loc *time.Location) ([]store.DeliveryCard, error) {
	limit := dailyCap(p)
	var cards []store.DeliveryCard
	active := map[string]Version{}
	sort.Slice(enrolments, func(i, j int) bool { return enrolments[i].TrackID < enrolments[j].TrackID })
	for _, e := range enrolments {
		v, err := latest(ctx, e.TrackID)
		if err != nil {
			s.log.WarnContext(ctx, "a learner's track cannot be loaded", "track", e.TrackID, "err", err)
			continue
		}
		if v.Draft {
			continue
		}
		active[e.TrackID] = v
		if e.Status != store.EnrolmentActive || len(cards) >= limit {
			continue
		}
		if !e.LastNewAt.IsZero() && localDays(e.LastNewAt, slot, loc) < v.Cadence.Days {
			continue
		}
		if c, ok := nextCard(v.Track, e.Seen); ok {
			cards = append(cards, store.DeliveryCard{TrackID: v.ID, CardID: c.ID, Version: v.Version, Fingerprint: c.Fingerprint()})
		}
	}
	end := endOfLocalDay(slot, loc)
	sort.Slice(due, func(i, j int) bool { return due[i].Due.Before(due[j].Due) })
	for _, c := range due {
		if len(cards) >= limit {
			break
		}
		v, ok := active[c.TrackID]
		if !ok || !c.Due.Before(end) {
			continue
		}
		card, ok := v.Card(c.CardID)
		if !ok || card.Kind != track.KindQuiz {
			continue // removed from the track since
		}
		cards = append(cards, store.DeliveryCard{TrackID: v.ID, CardID: card.ID, Version: v.Version, Fingerprint: card.Fingerprint(), Review: true})
	}
	return cards, nil
}

// dailyCap is how many cards a day the learner gets.
func dailyCap(p store.Preferences) int {
	if p.DailyCap <= 0 {
		return DefaultDailyCap
	}
	return p.DailyCap
}

// capScan bounds the deliveries read to count a day's cards: with the cap
// holding, a day has at most MaxDailyCap sent deliveries (each has a
// card), and the newest come first.
const capScan = 4 * MaxDailyCap

// withinCap keeps of cards, in order, what the learner's daily cap leaves
// for the local day of slot, after the cards of their other sent
// deliveries (all but id) whose slots fall on that day: a scheduled nudge,
// "nudge", a slot moved during the day. The day is the learner's
// calendar day, 23 or 25 hours long when the clocks change. capped is
// true when cards were left out; they stay due and come at the next slot.
// Callers hold a claim on id, which keeps the learner's other deliveries
// from being sent meanwhile.
func (s *Service) withinCap(ctx context.Context, l store.Learner, id string, p store.Preferences, slot time.Time, loc *time.Location, cards []store.DeliveryCard) (kept []store.DeliveryCard, capped bool, err error) {
	y, m, d := slot.In(loc).Date()
	start, end := wallClock(y, m, d, 0, loc), endOfLocalDay(slot, loc)
	recent, err := s.st.RecentDeliveries(ctx, l, capScan)
	if err != nil {
		return nil, false, err
	}
	left := dailyCap(p)
	for _, r := range recent { // newest slot first
		if r.Slot.Before(start) {
			break
		}
		if r.ID != id && r.Slot.Before(end) {
			left -= len(r.Cards)
		}
	}
	left = max(left, 0)
	if len(cards) <= left {
		return cards, false, nil
	}
	return cards[:left], true, nil
}

// nextCard is the first card of t not yet seen.
func nextCard(t track.Track, seen []string) (track.Card, bool) {
	done := make(map[string]bool, len(seen))
	for _, id := range seen {
		done[id] = true
	}
	for _, c := range t.Cards {
		if !done[c.ID] {
			return c, true
		}
	}
	return track.Card{}, false
}

// localDays counts calendar days from a to b in loc.
func localDays(a, b time.Time, loc *time.Location) int {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	da := time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours()/24 + 0.5)
}

// latestTracks remembers the latest version of each track for one plan,
// which reads it once per track rather than once per learner.
type latestTracks struct {
	s *Service
	m map[string]latestTrack
}

type latestTrack struct {
	v   Version
	err error
}

func (c latestTracks) get(ctx context.Context, id string) (Version, error) {
	if t, ok := c.m[id]; ok {
		return t.v, t.err
	}
	v, err := c.s.tracks.get(ctx, id, 0)
	c.m[id] = latestTrack{v, err}
	return v, err
}
