package engagement

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

// Source is what metrics are computed from.
type Source interface {
	Events(ctx context.Context, f store.EventFilter) ([]store.Event, error)
	DailyActivity(ctx context.Context, f store.ActivityFilter) ([]store.DayActivity, error)
	AllDocuments(ctx context.Context) ([]store.Document, error)
}

// Filter selects what a report covers: whole UTC days, from midnight to
// midnight (CheckPeriod). Until is exclusive; the previous period is the
// one of the same length just before Since.
//
// Platform, Channel, Team, Track and Collection narrow a report, and the
// threshold then applies to the narrowed selection alone: two narrowed
// reports can be subtracted from each other or from the whole (everything
// minus the channels shown is the channels merged into "Other"). Leaders'
// reports (the dashboard, the digest, lore export csv) are never narrowed;
// their breakdowns show groups, with the threshold held across groups.
type Filter struct {
	Since      time.Time
	Until      time.Time
	Platform   string
	Channel    string
	Team       string // needs Options.TeamOf
	Track      string // needs Options.TrackOf
	Collection string // documents of this collection, and answers citing them
}

// Options configure Compute.
type Options struct {
	// K is the privacy threshold; 0 means DefaultK.
	K int
	// TeamOf names a person's team or group, for the team breakdown and
	// filter; nil: no teams. It and TrackOf are called from several
	// goroutines at once (the two periods are read concurrently).
	TeamOf func(user string) string
	// TrackOf names the track an event belongs to; nil: no track filter.
	TrackOf func(e store.Event) string
	// SuggestOwner names who should write the content a gap asks for;
	// nil: no suggestion.
	SuggestOwner func(ctx context.Context, question string) string
	// ChartDays is how many days of daily activity the report carries;
	// default 56 (eight weeks).
	ChartDays int
	// MaxGapQuestions bounds the unanswered questions clustered into gaps,
	// newest first, so that a year of them stays fast. Default 5000.
	MaxGapQuestions int
	// Clock says what time it is, so that a report covers only days that
	// are over; default time.Now.
	Clock func() time.Time
}

// Figure is one metric of a period with its previous value. Ratios are
// between 0 and 1, and their Delta is in points (0.05 is five points);
// counts have a relative Change too (nil when the previous value is 0).
type Figure struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Value    float64  `json:"value"`
	Previous float64  `json:"previous"`
	Delta    float64  `json:"delta"`
	Change   *float64 `json:"change,omitempty"`
	Ratio    bool     `json:"ratio,omitempty"`
	// PreviousWithheld is set when no day of the previous period had K
	// people: Previous, Delta and Change are then zero and mean nothing,
	// since the previous value (or the value minus the change) would be
	// those few people's figure.
	PreviousWithheld bool `json:"previous_withheld,omitempty"`
}

// DocUse is how often a document was cited.
type DocUse struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Owner     string `json:"owner,omitempty"`
	Citations int    `json:"citations"`
	// Unhelpful counts 👎 votes on answers citing the document.
	Unhelpful int `json:"unhelpful"`
}

// Gap is a cluster of unanswered questions with a suggested owner.
type Gap struct {
	knowledge.Gap
	Owner string `json:"owner,omitempty"`
}

// Topic counts questions answered from one topic (a document's first tag,
// or its collection).
type Topic struct {
	Name      string `json:"name"`
	Questions int    `json:"questions"`
}

// Report holds every metric of a period.
type Report struct {
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Filter Filter    `json:"filter"`
	K      int       `json:"k"`
	// Withheld is set when no day of the period had K people in its raw
	// events: figures, breakdowns, topics, gaps and documents are then
	// left out. Daily may still hold the chart, when a day of the period
	// that retention has folded had K people or more (each day is checked
	// on its own).
	Withheld bool `json:"withheld,omitempty"`
	// WithheldDays counts the days of the period with activity from fewer
	// than K people: their events count in no figure, breakdown, topic,
	// gap or document, so that no figure can be subtracted from another
	// to give such a day's (see periodOf).
	WithheldDays int `json:"withheld_days,omitempty"`
	// PreviousWithheld is set when no day of the previous period had K
	// people in its raw events: no figure has a previous value or a
	// change.
	PreviousWithheld bool     `json:"previous_withheld,omitempty"`
	Figures          []Figure `json:"figures"`
	Topics           []Topic  `json:"top_topics"`
	// Gaps are the content gaps at least K different people asked: a
	// gap's text is a person's own words. GapsWithheld counts the others.
	Gaps         []Gap      `json:"content_gaps"`
	GapsWithheld int        `json:"content_gaps_withheld,omitempty"`
	MostUsed     []DocUse   `json:"most_used_documents"`
	LeastUsed    []DocUse   `json:"least_used_documents"`
	NeverCited   []DocUse   `json:"never_cited_documents"`
	ToReview     []DocUse   `json:"documents_to_review"`
	ByPlatform   []Group    `json:"by_platform,omitempty"`
	ByChannel    []Group    `json:"by_channel,omitempty"`
	ByTeam       []Group    `json:"by_team,omitempty"`
	Daily        []DayPoint `json:"daily"`
}

// DayPoint is one day of the chart. A day with fewer than K active people
// and any activity (questions of people who opted out count as activity)
// is Withheld and its counts are zero.
type DayPoint struct {
	store.DayActivity
	Withheld bool `json:"withheld,omitempty"`
}

// Figure returns the figure with key, and whether there is one.
func (r Report) Figure(key string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Key == key {
			return f, true
		}
	}
	return Figure{}, false
}

// Figure keys.
const (
	FigActiveLearners = "active_learners"
	FigDailyActive    = "daily_active"
	FigWeeklyActive   = "weekly_active"
	FigQuestions      = "questions"
	FigAnswered       = "answered"
	FigUnanswered     = "unanswered"
	FigAnswerRate     = "answer_rate"
	FigHelpfulness    = "helpfulness"
	FigNudges         = "nudges_delivered"
	FigOpenRate       = "nudge_open_rate"
	FigNudgeAnswer    = "nudge_answer_rate"
	FigQuizFirst      = "quiz_accuracy_first"
	FigQuizLatest     = "quiz_accuracy_latest"
	FigTrackCompl     = "track_completion"
	FigIntros         = "intros_made"
	FigMetRate        = "intro_met_rate"
)

// periodStats are the figures of one period.
type periodStats struct {
	values       map[string]float64
	people       int
	withheldDays int
	byPlat       map[string]*groupAcc
	byChan       map[string]*groupAcc
	byTeam       map[string]*groupAcc
	cites        map[string]int
	unhelp       map[string]int
	topics       map[string]int
	missing      []knowledge.Unanswered
}

// earliestReport is the earliest time a report reads: no engagement was
// recorded before it, and the store reads a zero bound as no bound at all.
var earliestReport = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrPeriod means a report's period cannot be reported on.
var ErrPeriod = errors.New("report period")

// CheckPeriod returns an error wrapping ErrPeriod when f's period cannot
// be reported on at now:
//   - it is empty;
//   - it does not start and end at midnight UTC: a report adds up whole
//     days, each shown only when k people were active on it, so that two
//     overlapping periods differ by whole days, never by the hours of one
//     person;
//   - it ends after the start of now's day: a day is reported once it is
//     over, since today read at 10:00 and at 11:00 would differ by what
//     happened in between;
//   - it reaches before 1970, with the period before it: the store takes
//     a zero time (1 January of year 1) for no bound, so a period ending
//     there would report on everything ever recorded.
func CheckPeriod(f Filter, now time.Time) error {
	if !f.Until.After(f.Since) {
		return fmt.Errorf("%w: until %s is not after since %s", ErrPeriod, f.Until.Format(time.RFC3339), f.Since.Format(time.RFC3339))
	}
	if !f.Since.Equal(store.Day(f.Since)) || !f.Until.Equal(store.Day(f.Until)) {
		return fmt.Errorf("%w: %s to %s: a report covers whole days, from midnight to midnight UTC", ErrPeriod, f.Since.UTC().Format(time.RFC3339), f.Until.UTC().Format(time.RFC3339))
	}
	if today := store.Day(now); f.Until.After(today) {
		return fmt.Errorf("%w: the period ends %s, after today (%s, UTC) began: a day is reported once it is over", ErrPeriod, f.Until.UTC().Format("2006-01-02"), today.Format("2006-01-02"))
	}
	if f.Since.Add(-f.Until.Sub(f.Since)).Before(earliestReport) {
		return fmt.Errorf("%w: %s to %s, or the period before it, starts before 1970", ErrPeriod, f.Since.Format("2006-01-02"), f.Until.Format("2006-01-02"))
	}
	return nil
}

// Compute builds the report of f's period.
func Compute(ctx context.Context, src Source, f Filter, o Options) (Report, error) {
	k, err := CheckK(o.K)
	if err != nil {
		return Report{}, err
	}
	now := time.Now
	if o.Clock != nil {
		now = o.Clock
	}
	if err := CheckPeriod(f, now()); err != nil {
		return Report{}, err
	}
	if o.ChartDays <= 0 {
		o.ChartDays = 56
	}
	if o.MaxGapQuestions <= 0 {
		o.MaxGapQuestions = 5000
	}
	docs, err := src.AllDocuments(ctx)
	if err != nil {
		return Report{}, err
	}
	hidden, err := unnamed(ctx, src, docs)
	if err != nil {
		return Report{}, err
	}
	docByID := make(map[string]store.Document, len(docs))
	for _, d := range docs {
		docByID[d.ID] = d
	}
	length := f.Until.Sub(f.Since)
	// The two periods and the chart are independent reads: done at once,
	// they take as long as the longest rather than the sum (the database
	// and the figures each use a core).
	var (
		cur, prev                 periodStats
		daily                     []store.DayActivity
		curErr, prevErr, dailyErr error
		wg                        sync.WaitGroup
	)
	wg.Go(func() { cur, curErr = periodOf(ctx, src, f, f.Since, f.Until, docByID, o, k) })
	wg.Go(func() { prev, prevErr = periodOf(ctx, src, f, f.Since.Add(-length), f.Since, docByID, o, k) })
	wg.Go(func() {
		daily, dailyErr = src.DailyActivity(ctx, store.ActivityFilter{
			Since: f.Until.Add(-time.Duration(o.ChartDays) * 24 * time.Hour), Until: f.Until, Platform: f.Platform, Channel: f.Channel,
		})
	})
	wg.Wait()
	if err := errors.Join(curErr, prevErr, dailyErr); err != nil {
		return Report{}, err
	}
	r := Report{Since: f.Since, Until: f.Until, Filter: f, K: k, WithheldDays: cur.withheldDays}
	// Days folded into rollups by retention have no raw events left, but
	// their daily counts say how many distinct people each day had, and a
	// period had at least as many people as its busiest day: a bound that
	// can only be lower than the truth, so that the chart of a period
	// retention has folded is still shown when a day of it had k people.
	// Only whole days of the period count (a day that starts before Since
	// has people from before it), and none under a team, track or
	// collection filter, which the daily counts do not follow.
	chartPeople := cur.people
	if f.Team == "" && f.Track == "" && f.Collection == "" {
		for _, d := range daily {
			if !d.Day.Before(f.Since) {
				chartPeople = max(chartPeople, d.Active)
			}
		}
	}
	if chartPeople < k {
		// Too few people to show anything about them; the chart's days
		// are hidden the same way.
		r.Withheld = true
		return r, nil
	}
	// Every day of the chart gets a point, zero when nothing happened, so
	// that the chart's axis is time.
	byDay := make(map[time.Time]store.DayActivity, len(daily))
	for _, d := range daily {
		byDay[d.Day] = d
	}
	for day := store.Day(f.Until.Add(-time.Duration(o.ChartDays) * 24 * time.Hour)); day.Before(f.Until); day = day.Add(24 * time.Hour) {
		d, ok := byDay[day]
		if !ok {
			d = store.DayActivity{Day: day}
		}
		p := DayPoint{DayActivity: d}
		// Questions of people who opted out of analytics are counted
		// without a person, so a day with questions and no one active
		// was the work of an unknown few, perhaps one: withheld as
		// any day under k is.
		if d.Active < k && (d.Active > 0 || d.Questions > 0) {
			p.Active, p.Questions, p.Withheld = 0, 0, true
		}
		r.Daily = append(r.Daily, p)
	}
	// Every other figure comes from the raw events of the period's days
	// that had k people each, whatever the rollups say: none had, and
	// there is nothing to show.
	if cur.people < k {
		r.Withheld = true
		return r, nil
	}
	// The previous period's figures, and so the changes, describe its
	// own people: fewer than k, and they are not shown.
	r.PreviousWithheld = prev.people < k
	for _, spec := range figureSpecs {
		fig := Figure{Key: spec.key, Label: spec.label, Ratio: spec.ratio, Value: cur.values[spec.key]}
		if r.PreviousWithheld {
			fig.PreviousWithheld = true
			r.Figures = append(r.Figures, fig)
			continue
		}
		fig.Previous = prev.values[spec.key]
		fig.Delta = fig.Value - fig.Previous
		if !fig.Ratio && fig.Previous != 0 {
			c := fig.Delta / fig.Previous
			fig.Change = &c
		}
		r.Figures = append(r.Figures, fig)
	}
	r.ByPlatform = breakdown(cur.byPlat)
	r.ByChannel = breakdown(cur.byChan)
	if o.TeamOf != nil {
		r.ByTeam = breakdown(cur.byTeam)
	}
	for name, n := range cur.topics {
		r.Topics = append(r.Topics, Topic{Name: name, Questions: n})
	}
	slices.SortFunc(r.Topics, func(a, b Topic) int {
		return cmp.Or(cmp.Compare(b.Questions, a.Questions), cmp.Compare(a.Name, b.Name))
	})
	r.Topics = r.Topics[:min(10, len(r.Topics))]

	var used []DocUse
	for _, d := range docs {
		if (f.Collection != "" && d.Collection != f.Collection) || hidden[d.ID] {
			continue
		}
		u := DocUse{ID: d.ID, Title: d.Title, Owner: d.Owner, Citations: cur.cites[d.ID], Unhelpful: cur.unhelp[d.ID]}
		if u.Citations == 0 {
			r.NeverCited = append(r.NeverCited, u)
			continue
		}
		used = append(used, u)
	}
	slices.SortFunc(used, func(a, b DocUse) int { return cmp.Or(cmp.Compare(b.Citations, a.Citations), cmp.Compare(a.ID, b.ID)) })
	r.MostUsed = used[:min(10, len(used))]
	least := slices.Clone(used)
	slices.Reverse(least)
	r.LeastUsed = least[:min(10, len(least))]
	// To review: the documents behind the most 👎, then the least used.
	review := slices.Clone(used)
	slices.SortStableFunc(review, func(a, b DocUse) int { return cmp.Compare(b.Unhelpful, a.Unhelpful) })
	for _, u := range review {
		if len(r.ToReview) == 3 || u.Unhelpful == 0 {
			break
		}
		r.ToReview = append(r.ToReview, u)
	}
	for _, u := range least {
		if len(r.ToReview) == 3 {
			break
		}
		if !slices.ContainsFunc(r.ToReview, func(x DocUse) bool { return x.ID == u.ID }) {
			r.ToReview = append(r.ToReview, u)
		}
	}
	// A gap quotes a person's own words, to leaders and possibly in a
	// channel: only a gap k different people asked is quoted, and then
	// only its latest phrasing, not the other phrasings (each one
	// person's). Curators' tools (lore gaps, the gaps command) list
	// every unanswered question: they work on the content itself.
	for _, g := range knowledge.Gaps(cur.missing) {
		if g.Askers < k {
			r.GapsWithheld++
			continue
		}
		g.Examples = nil
		gap := Gap{Gap: g}
		if o.SuggestOwner != nil {
			gap.Owner = o.SuggestOwner(ctx, g.Question)
		}
		r.Gaps = append(r.Gaps, gap)
	}
	return r, nil
}

var figureSpecs = []struct {
	key, label string
	ratio      bool
}{
	{FigActiveLearners, "Active learners", false},
	{FigDailyActive, "Daily active learners (average)", false},
	{FigWeeklyActive, "Weekly active learners (last 7 days)", false},
	{FigQuestions, "Questions asked", false},
	{FigAnswered, "Questions answered", false},
	{FigUnanswered, "Questions unanswered", false},
	{FigAnswerRate, "Answer rate", true},
	{FigHelpfulness, "Helpfulness (👍 of votes)", true},
	{FigNudges, "Nudges delivered", false},
	{FigOpenRate, "Nudge open rate", true},
	{FigNudgeAnswer, "Nudge answer rate", true},
	{FigQuizFirst, "Quiz accuracy, first attempt", true},
	{FigQuizLatest, "Quiz accuracy, latest attempt", true},
	{FigTrackCompl, "Track completion", true},
	{FigIntros, "Introductions made", false},
	{FigMetRate, "Introductions that met", true},
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// periodOf reads the events of [since, until) and counts those of its
// days that had k people or more (under f), each such day its own cell:
// the events of a day of fewer people count in nothing, and a breakdown
// shows a group on a day only where it had k people that day (suppress),
// the rest of the day going to "Other". Every sum shown is so a sum of
// days that passed k, and two periods that overlap differ by whole days
// that passed it: 1 to 15 March minus 1 to 14 March is 15 March as its
// chart point shows it, or nothing when that day was withheld.
func periodOf(ctx context.Context, src Source, f Filter, since, until time.Time, docs map[string]store.Document, o Options, k int) (periodStats, error) {
	p := periodStats{
		values: map[string]float64{}, byPlat: map[string]*groupAcc{}, byChan: map[string]*groupAcc{}, byTeam: map[string]*groupAcc{},
		cites: map[string]int{}, unhelp: map[string]int{}, topics: map[string]int{},
	}
	people := map[string]struct{}{}
	weekly := map[string]struct{}{}
	answers := map[string][]string{} // answer id -> cited documents
	// Replies without a confident answer: a vote on one says whether the
	// gap matters, not whether an answer helped.
	gapReplies := map[string]bool{}
	type attempt struct {
		first, last   bool
		firstT, lastT time.Time
	}
	quiz := map[[2]string]*attempt{}
	pair := func(e store.Event) string { return e.User + "\x00" + e.Ref }
	delivered, opened, answeredN := map[string]bool{}, map[string]bool{}, map[string]bool{}
	joined, completed := map[string]bool{}, map[string]bool{}
	intros, met := map[string]bool{}, map[string]bool{}
	var questions, answered, unanswered, up, votes, dailySum int
	lastVote := map[[4]string]store.Event{}
	var anonVotes []store.Event
	weekStart := until.Add(-7 * 24 * time.Hour)
	var dayPlat, dayChan, dayTeam map[string]*groupAcc
	count := func(e store.Event) {
		if e.User != "" {
			people[e.User] = struct{}{}
			if !e.Time.Before(weekStart) {
				weekly[e.User] = struct{}{}
			}
		}
		acc := func(m map[string]*groupAcc, name string) {
			g := m[name]
			if g == nil {
				g = &groupAcc{name: name}
				m[name] = g
			}
			g.add(e)
		}
		acc(dayPlat, e.Platform)
		acc(dayChan, e.Channel)
		if o.TeamOf != nil {
			acc(dayTeam, o.TeamOf(e.User))
		}
		switch e.Kind {
		case store.EventQuestion:
			questions++
		case store.EventAnswer:
			if e.Confident {
				answered++
				for _, id := range e.DocIDs {
					p.cites[id]++
				}
				if len(e.DocIDs) > 0 {
					p.topics[topicOf(docs[e.DocIDs[0]], e.DocIDs[0])]++
				}
			} else {
				unanswered++
				if e.Question != "" {
					p.missing = append(p.missing, knowledge.Unanswered{Question: e.Question, Time: e.Time, User: e.User})
				}
			}
		case store.EventFeedback:
			// Each person's last vote on an answer counts once, as in
			// ranking: a button pressed twice is one vote. Votes kept
			// without a person (opted out) count each.
			if e.User == "" {
				anonVotes = append(anonVotes, e)
			} else {
				lastVote[[4]string{e.Platform, e.Workspace, e.User, e.Ref}] = e
			}
		case KindNudgeDelivered:
			delivered[pair(e)] = true
		case KindNudgeOpened:
			opened[pair(e)] = true
		case KindNudgeAnswered:
			answeredN[pair(e)] = true
			key := [2]string{e.User, e.Ref}
			a := quiz[key]
			ok := e.Value > 0
			if a == nil {
				quiz[key] = &attempt{first: ok, last: ok, firstT: e.Time, lastT: e.Time}
				break
			}
			if e.Time.Before(a.firstT) {
				a.first, a.firstT = ok, e.Time
			}
			if !e.Time.Before(a.lastT) {
				a.last, a.lastT = ok, e.Time
			}
		case KindTrackJoined:
			joined[pair(e)] = true
		case KindTrackCompleted:
			completed[pair(e)] = true
		case KindIntroMade:
			intros[e.Ref] = true
		case KindIntroMet:
			if e.Value >= 0 {
				met[e.Ref] = true
			}
		}
	}
	// A day's events wait until the day is over in the stream, since only
	// then is it known whether k people were active on it. Events come
	// oldest first, so one day is held at a time.
	var (
		day       []store.Event
		dayNum    int64 = math.MinInt64
		dayPeople       = map[string]struct{}{}
	)
	endDay := func() {
		if len(day) == 0 {
			return
		}
		defer func() {
			day = day[:0]
			clear(dayPeople)
		}()
		// Questions of people who opted out are counted without a
		// person: a day of theirs alone was the work of an unknown few.
		if len(dayPeople) < k {
			p.withheldDays++
			return
		}
		dailySum += len(dayPeople)
		dayPlat, dayChan, dayTeam = map[string]*groupAcc{}, map[string]*groupAcc{}, map[string]*groupAcc{}
		for _, e := range day {
			count(e)
		}
		addGroups(p.byPlat, suppressGroups(slices.Collect(maps.Values(dayPlat)), k))
		addGroups(p.byChan, suppressGroups(slices.Collect(maps.Values(dayChan)), k))
		addGroups(p.byTeam, suppressGroups(slices.Collect(maps.Values(dayTeam)), k))
	}
	// Events come oldest first, so an answer is indexed before the
	// feedback on it.
	err := eachEvent(ctx, src, store.EventFilter{Since: since, Until: until, Platform: f.Platform, Channel: f.Channel}, func(e store.Event) error {
		if e.Kind == store.EventAnswer {
			answers[e.ID] = e.DocIDs
			if !e.Confident {
				gapReplies[e.ID] = true
			}
		}
		if f.Team != "" && (o.TeamOf == nil || o.TeamOf(e.User) != f.Team) {
			return nil
		}
		if f.Track != "" && (o.TrackOf == nil || o.TrackOf(e) != f.Track) {
			return nil
		}
		if f.Collection != "" && !citesCollection(e, answers, docs, f.Collection) {
			return nil
		}
		d := e.Time.UTC().Unix() / 86400
		if d != dayNum {
			if d < dayNum {
				return fmt.Errorf("engagement events out of order: %s came after a later day", e.Time.UTC().Format(time.RFC3339))
			}
			endDay()
			dayNum = d
		}
		day = append(day, e)
		if e.User != "" {
			dayPeople[e.User] = struct{}{}
		}
		return nil
	})
	if err != nil {
		return periodStats{}, err
	}
	endDay()
	for _, e := range append(slices.Collect(maps.Values(lastVote)), anonVotes...) {
		if gapReplies[e.Ref] {
			continue
		}
		votes++
		if e.Value > 0 {
			up++
			continue
		}
		for _, id := range answers[e.Ref] {
			p.unhelp[id]++
		}
	}
	// The newest unanswered questions are the gaps clustered.
	slices.Reverse(p.missing)
	p.missing = p.missing[:min(len(p.missing), o.MaxGapQuestions)]
	var firstOK, lastOK int
	for _, a := range quiz {
		if a.first {
			firstOK++
		}
		if a.last {
			lastOK++
		}
	}
	// The daily average is over the days counted: a withheld day is not
	// a day without anyone, and days without any activity count as zero.
	days := max(1, int(until.Sub(since).Hours()/24)-p.withheldDays)
	v := p.values
	p.people = len(people)
	v[FigActiveLearners] = float64(len(people))
	v[FigDailyActive] = float64(dailySum) / float64(days)
	v[FigWeeklyActive] = float64(len(weekly))
	v[FigQuestions] = float64(questions)
	v[FigAnswered] = float64(answered)
	v[FigUnanswered] = float64(unanswered)
	v[FigAnswerRate] = ratio(answered, answered+unanswered)
	v[FigHelpfulness] = ratio(up, votes)
	v[FigNudges] = float64(len(delivered))
	v[FigOpenRate] = ratio(len(opened), len(delivered))
	v[FigNudgeAnswer] = ratio(len(answeredN), len(delivered))
	v[FigQuizFirst] = ratio(firstOK, len(quiz))
	v[FigQuizLatest] = ratio(lastOK, len(quiz))
	v[FigTrackCompl] = ratio(len(completed), len(joined))
	v[FigIntros] = float64(len(intros))
	v[FigMetRate] = ratio(len(met), len(intros))
	return p, nil
}

// EventScanner is a Source that streams events oldest first rather than
// returning them in one slice: a week at 10 million events a year is
// 200,000 events. Both stores are.
type EventScanner interface {
	ScanEvents(ctx context.Context, f store.EventFilter, fn func(store.Event) error) error
}

// eachEvent calls fn with the events of f oldest first, streamed when src
// can.
func eachEvent(ctx context.Context, src Source, f store.EventFilter, fn func(store.Event) error) error {
	if sc, ok := src.(EventScanner); ok {
		return sc.ScanEvents(ctx, f, fn)
	}
	events, err := src.Events(ctx, f)
	if err != nil {
		return err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if err := fn(events[i]); err != nil {
			return err
		}
	}
	return nil
}

// citesCollection keeps, under a collection filter, the answers (and the
// feedback on answers) citing a document of the collection, and the
// questions those answers answer.
func citesCollection(e store.Event, answers map[string][]string, docs map[string]store.Document, collection string) bool {
	ids := e.DocIDs
	switch e.Kind {
	case store.EventFeedback, store.EventHelpRequest:
		ids = answers[e.Ref]
	case store.EventQuestion:
		return true // the question's answer decides; unanswered ones count everywhere
	}
	for _, id := range ids {
		if docs[id].Collection == collection {
			return true
		}
	}
	return false
}

func topicOf(d store.Document, id string) string {
	if len(d.Tags) > 0 {
		return d.Tags[0]
	}
	if d.Collection != "" {
		return d.Collection
	}
	return id
}
