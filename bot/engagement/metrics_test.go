package engagement_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// week ends on Monday 9 March 2026, UTC.
var (
	weekEnd   = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	weekStart = weekEnd.AddDate(0, 0, -7)
)

type seeder struct {
	t *testing.T
	s *sqlite.Store
	n int
}

func (sd *seeder) add(e store.Event) string {
	sd.t.Helper()
	sd.n++
	if e.ID == "" {
		e.ID = fmt.Sprintf("e%d", sd.n)
	}
	if e.Platform == "" {
		e.Platform = "slack"
	}
	if e.Channel == "" {
		e.Channel = "C-general"
	}
	if err := sd.s.RecordEvent(context.Background(), e); err != nil {
		sd.t.Fatal(err)
	}
	return e.ID
}

// seedWeek records a known week on two days, each of more than 5 people,
// since a day of fewer counts in no figure: 8 people in #general each ask
// one question (6 answered from the leave document, 2 not), 2 people in
// #tiny ask one each (answered from expenses); 3 👍 and 1 👎 on leave
// answers; nudges, quizzes, tracks and introductions with known outcomes.
// The week before, 5 people asked 5 questions on one day, 4 answered.
func seedWeek(t *testing.T) *sqlite.Store {
	t.Helper()
	s := openStore(t)
	for _, d := range []store.Document{
		{ID: "leave", Collection: "handbook", Source: "leave.md", Title: "Annual leave", Tags: []string{"leave"}, Owner: "hr@example.com"},
		{ID: "expenses", Collection: "finance", Source: "expenses.md", Title: "Expenses", Owner: "finance"},
		{ID: "unused", Collection: "handbook", Source: "unused.md", Title: "Never asked"},
	} {
		if err := s.ReplaceDocument(context.Background(), d, []store.Chunk{{Text: d.Title, Terms: []string{"x"}, Vector: []float32{1, 0}}}); err != nil {
			t.Fatal(err)
		}
	}
	sd := &seeder{t: t, s: s}
	day := func(d int, h int) time.Time {
		return weekStart.Add(time.Duration(d)*24*time.Hour + time.Duration(h)*time.Hour)
	}
	// Monday: g0, g2, g4 and g6 ask; g0 to g3 join a track (6 people).
	// Tuesday: g1, g3, g5, g7, t0 and t1 ask; g0 to g3 get nudges (8).
	var leaveAnswers []string
	for i := range 8 {
		u := fmt.Sprintf("g%d", i)
		sd.add(store.Event{Time: day(i%2, 9), Kind: store.EventQuestion, User: u, Question: "q"})
		if i < 6 {
			leaveAnswers = append(leaveAnswers, sd.add(store.Event{Time: day(i%2, 10), Kind: store.EventAnswer, User: u, Confident: true, DocIDs: []string{"leave"}}))
		} else {
			sd.add(store.Event{Time: day(i%2, 10), Kind: store.EventAnswer, User: u, Question: "how do I book a parking space?"})
		}
	}
	for i := range 2 {
		u := fmt.Sprintf("t%d", i)
		sd.add(store.Event{Time: day(1, 9), Kind: store.EventQuestion, User: u, Channel: "C-tiny"})
		sd.add(store.Event{Time: day(1, 10), Kind: store.EventAnswer, User: u, Channel: "C-tiny", Confident: true, DocIDs: []string{"expenses"}})
	}
	for i, v := range []int{1, 1, 1, -1} {
		sd.add(store.Event{Time: day(1, 11), Kind: store.EventFeedback, User: fmt.Sprintf("g%d", i), Value: v, Ref: leaveAnswers[i]})
	}
	// Nudges: 4 delivered, 3 opened, 2 answered. Quiz: g0 wrong then
	// right, g1 right first time: first-attempt accuracy 1/2, latest 2/2.
	for i := range 4 {
		u := fmt.Sprintf("g%d", i)
		sd.add(store.Event{Time: day(1, 8), Kind: store.EventNudgeDelivered, User: u, Ref: "card-1"})
		if i < 3 {
			sd.add(store.Event{Time: day(1, 9), Kind: store.EventNudgeOpened, User: u, Ref: "card-1"})
		}
	}
	sd.add(store.Event{Time: day(1, 10), Kind: store.EventQuizAnswered, User: "g0", Ref: "card-1", Value: -1})
	sd.add(store.Event{Time: day(1, 14), Kind: store.EventQuizAnswered, User: "g0", Ref: "card-1", Value: 1})
	sd.add(store.Event{Time: day(1, 10), Kind: store.EventQuizAnswered, User: "g1", Ref: "card-1", Value: 1})
	// Tracks: 4 joined, 1 completed. Intros: 2 made, 1 met.
	for i := range 4 {
		sd.add(store.Event{Time: day(0, 12), Kind: engagement.KindTrackJoined, User: fmt.Sprintf("g%d", i), Ref: "onboarding"})
	}
	sd.add(store.Event{Time: day(0, 18), Kind: engagement.KindTrackCompleted, User: "g0", Ref: "onboarding"})
	sd.add(store.Event{Time: day(1, 12), Kind: store.EventIntroMade, User: "g0", Ref: "intro-1"})
	sd.add(store.Event{Time: day(1, 12), Kind: store.EventIntroMade, User: "g2", Ref: "intro-2"})
	sd.add(store.Event{Time: day(1, 16), Kind: store.EventMet, User: "g0", Ref: "intro-1", Value: 1})
	// The previous week.
	for i := range 5 {
		u := fmt.Sprintf("g%d", i)
		sd.add(store.Event{Time: day(-3, 9), Kind: store.EventQuestion, User: u})
		sd.add(store.Event{Time: day(-3, 10), Kind: store.EventAnswer, User: u, Confident: i < 4, DocIDs: []string{"leave"}, Question: "parking?"})
	}
	return s
}

func figure(t *testing.T, r engagement.Report, key string) engagement.Figure {
	t.Helper()
	f, ok := r.Figure(key)
	if !ok {
		t.Fatalf("report has no figure %s", key)
	}
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestComputeKnownWeek(t *testing.T) {
	s := seedWeek(t)
	// Thursday, one person alone: a day that counts in no figure.
	sd := &seeder{t: t, s: s, n: 1000}
	for h := range 3 {
		sd.add(store.Event{Time: weekStart.Add(3*24*time.Hour + time.Duration(9+h)*time.Hour), Kind: store.EventQuestion, User: "solo", Channel: "C-solo"})
	}
	sd.add(store.Event{Time: weekStart.Add(3*24*time.Hour + 13*time.Hour), Kind: store.EventAnswer, User: "solo", Channel: "C-solo", Confident: true, DocIDs: []string{"leave"}})
	owners := 0
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{
		SuggestOwner: func(_ context.Context, q string) string { owners++; return "facilities" },
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Withheld {
		t.Fatal("report withheld")
	}
	want := map[string]float64{
		engagement.FigActiveLearners: 10, engagement.FigWeeklyActive: 10,
		engagement.FigQuestions: 10, engagement.FigAnswered: 8, engagement.FigUnanswered: 2,
		engagement.FigAnswerRate: 0.8, engagement.FigHelpfulness: 0.75,
		engagement.FigNudges: 4, engagement.FigOpenRate: 0.75, engagement.FigNudgeAnswer: 0.5,
		engagement.FigQuizFirst: 0.5, engagement.FigQuizLatest: 1,
		engagement.FigTrackCompl: 0.25, engagement.FigIntros: 2, engagement.FigMetRate: 0.5,
	}
	for key, v := range want {
		if got := figure(t, r, key).Value; !near(got, v) {
			t.Errorf("%s = %v, want %v", key, got, v)
		}
	}
	q := figure(t, r, engagement.FigQuestions)
	if q.Previous != 5 || q.Change == nil || !near(*q.Change, 1) {
		t.Errorf("questions = %+v, want previous 5 and change +100%%", q)
	}
	ar := figure(t, r, engagement.FigAnswerRate)
	if !near(ar.Previous, 0.8) || !near(ar.Delta, 0) {
		t.Errorf("answer rate = %+v, want previous 0.8 and delta 0", ar)
	}
	// #tiny has 2 people: merged with #general into Other would be the
	// only way to hide it; the breakdown shows no group under 5.
	for _, g := range r.ByChannel {
		if g.People < 5 || g.Name == "C-tiny" {
			t.Errorf("channel breakdown shows a small group: %+v", r.ByChannel)
		}
	}
	// The parking gap was asked by 2 people: not quoted, only counted.
	if len(r.Gaps) != 0 || r.GapsWithheld != 1 || owners != 0 {
		t.Errorf("gaps = %+v, %d withheld, %d owners asked; want the gap of 2 people withheld", r.Gaps, r.GapsWithheld, owners)
	}
	if len(r.MostUsed) != 2 || r.MostUsed[0].ID != "leave" || r.MostUsed[0].Citations != 6 || r.MostUsed[0].Unhelpful != 1 {
		t.Errorf("most used = %+v", r.MostUsed)
	}
	if len(r.NeverCited) != 1 || r.NeverCited[0].ID != "unused" {
		t.Errorf("never cited = %+v", r.NeverCited)
	}
	if len(r.Topics) == 0 || r.Topics[0].Name != "leave" || r.Topics[0].Questions != 6 {
		t.Errorf("topics = %+v", r.Topics)
	}
	// Eight weeks, a point a day; days of fewer than 5 people are withheld.
	if len(r.Daily) != 56 || !r.Daily[55].Day.Equal(weekEnd.Add(-24*time.Hour)) {
		t.Fatalf("daily = %d points ending %v", len(r.Daily), r.Daily[len(r.Daily)-1].Day)
	}
	withheld := 0
	for _, d := range r.Daily {
		if d.Withheld {
			withheld++
		}
		if d.Active > 0 && d.Active < 5 {
			t.Errorf("day %v shows %d people", d.Day, d.Active)
		}
	}
	if withheld != 1 || !r.Daily[55-3].Withheld || r.WithheldDays != 1 {
		t.Errorf("%d days withheld on the chart, %d left out of the figures; want Thursday's, of one person, in both", withheld, r.WithheldDays)
	}
	if len(r.ToReview) != 2 || r.ToReview[0].ID != "leave" {
		t.Errorf("to review = %+v, want leave (a 👎) first", r.ToReview)
	}
}

func TestComputeWithholdsSmallGroups(t *testing.T) {
	s := seedWeek(t)
	// #tiny alone has 2 people.
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd, Channel: "C-tiny"}, engagement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Withheld || len(r.Figures) != 0 || len(r.Daily) != 0 {
		t.Errorf("report of 2 people = %+v, want withheld", r)
	}
	// With k=3 the team breakdown hides the team of 2 with another.
	team := func(u string) string {
		if strings.HasPrefix(u, "t") {
			return "tiny-team"
		}
		if u < "g4" {
			return "team-a"
		}
		return "team-b"
	}
	r, err = engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{K: 3, TeamOf: team})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range r.ByTeam {
		if g.Name == "tiny-team" || g.People < 3 {
			t.Errorf("team breakdown = %+v", r.ByTeam)
		}
	}
	if _, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{K: 2}); err == nil {
		t.Error("k=2 accepted")
	}
	// A team filter narrows every figure, and the threshold holds for
	// each day of the team: team-b has 2 people a day.
	r, err = engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd, Team: "team-a"}, engagement.Options{K: 3, TeamOf: team})
	if err != nil {
		t.Fatal(err)
	}
	if got := figure(t, r, engagement.FigQuestions).Value; got != 4 {
		t.Errorf("questions of team-a = %v, want 4", got)
	}
	r, err = engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd, Team: "team-b"}, engagement.Options{K: 3, TeamOf: team})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Withheld || len(r.Figures) != 0 || r.WithheldDays != 2 {
		t.Errorf("team-b, 2 people a day: withheld %v, %d figures, %d days left out", r.Withheld, len(r.Figures), r.WithheldDays)
	}
}

// The store reads Go's zero time as no bound: a period ending on 1
// January of year 1 (or whose period before does) would count every event
// ever recorded. Such periods are refused, not reported on.
func TestComputeRefusesPeriodsBefore1970(t *testing.T) {
	s := seedWeek(t)
	zero := time.Time{}
	for _, f := range []engagement.Filter{
		{Since: zero.AddDate(0, 0, -7), Until: zero},
		{Since: zero, Until: zero.AddDate(0, 0, 7)},
		{Since: time.Date(1969, 12, 25, 0, 0, 0, 0, time.UTC), Until: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Since: weekEnd, Until: weekEnd},
	} {
		r, err := engagement.Compute(t.Context(), s, f, engagement.Options{})
		if !errors.Is(err, engagement.ErrPeriod) {
			t.Errorf("%v to %v: err %v, withheld %v, %d figures; want ErrPeriod", f.Since, f.Until, err, r.Withheld, len(r.Figures))
		}
	}
	if err := engagement.CheckPeriod(engagement.Filter{Since: weekStart, Until: weekEnd}, weekEnd); err != nil {
		t.Errorf("the seeded week: %v", err)
	}
}

// A day on which only people who opted out of analytics asked anything
// has questions but no active person; its count must not be shown.
func TestComputeWithholdsDaysOfOptedOutPeople(t *testing.T) {
	s := seedWeek(t)
	if err := s.SetOptOut(t.Context(), "solo", true); err != nil {
		t.Fatal(err)
	}
	quiet := weekStart.AddDate(0, 0, -5) // a day with no other activity
	sd := &seeder{t: t, s: s}
	for h := range 3 {
		sd.add(store.Event{ID: fmt.Sprintf("solo-%d", h), Time: quiet.Add(time.Duration(9+h) * time.Hour),
			Kind: store.EventQuestion, User: "solo", Question: "q"})
	}
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range r.Daily {
		if !d.Day.Equal(quiet) {
			continue
		}
		if !d.Withheld || d.Questions != 0 || d.Active != 0 {
			t.Errorf("day of one opted-out person = %+v, want withheld", d)
		}
		return
	}
	t.Fatalf("no chart point for %v", quiet)
}

// A count of one reads in the singular.
func TestDigestSaysOneTime(t *testing.T) {
	d := engagement.Digest{Since: weekStart, Until: weekEnd, Review: []engagement.DocUse{{ID: "d1", Title: "Parking", Citations: 1}}}
	if text := d.Text(); !strings.Contains(text, "Parking: cited 1 time, 0 👎") {
		t.Errorf("digest text:\n%s", text)
	}
}

func TestDigest(t *testing.T) {
	s := seedWeek(t)
	m, err := engagement.BuildMessage(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	text := m.Reply.Text
	for _, want := range []string{"Active learners: *10*", "Questions asked: *10* (+100%)", "Answer rate: *80%* (+0 pts)", "Helpfulness (👍 of votes): *75%*", "Nudges delivered: *4* (new)", "1 gap asked by too few people to quote", "Annual leave: cited 6 times, 1 👎"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "parking") {
		t.Errorf("digest quotes a gap of 2 people:\n%s", text)
	}
	img, err := png.Decode(bytes.NewReader(m.Chart))
	if err != nil {
		t.Fatalf("chart is not a PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() < 800 || b.Dy() < 300 {
		t.Errorf("chart is %dx%d", b.Dx(), b.Dy())
	}
	// The two series are drawn: pixels of both line colours exist.
	blue, orange := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			switch {
			case r>>8 < 0x40 && g>>8 > 0x60 && g>>8 < 0x90 && bb>>8 > 0xa0:
				blue++
			case r>>8 > 0xf0 && g>>8 > 0x70 && g>>8 < 0x90 && bb>>8 < 0x20:
				orange++
			}
		}
	}
	if blue < 50 || orange < 50 {
		t.Errorf("chart has %d blue and %d orange pixels: a series is missing", blue, orange)
	}
	dg := engagement.BuildDigest(mustCompute(t, s))
	js, err := dg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Headline []engagement.Figure `json:"headline"`
	}
	if err := json.Unmarshal(js, &back); err != nil || len(back.Headline) != 5 {
		t.Errorf("digest JSON headline = %+v (%v)", back.Headline, err)
	}
}

func TestDigestTextCannotMention(t *testing.T) {
	d := engagement.Digest{
		Headline: []engagement.Figure{{Label: "Questions asked", Value: 3}},
		Gaps:     []engagement.Gap{{Gap: knowledge.Gap{Question: "ping @channel and <!here> and <@U123> and @everyone", Count: 2}}},
		Review:   []engagement.DocUse{{ID: "x", Title: "Policy for @here <!channel>"}},
	}
	text := d.Text()
	for _, mention := range []string{"@channel", "<!here>", "<@U123>", "@everyone", "@here", "<!channel>"} {
		if strings.Contains(text, mention) {
			t.Errorf("digest text holds a live mention %q:\n%s", mention, text)
		}
	}
	if !strings.Contains(text, "channel and") || !strings.Contains(text, "asked 2 times") {
		t.Errorf("digest text lost the words:\n%s", text)
	}
}

func mustCompute(t *testing.T, s *sqlite.Store) engagement.Report {
	t.Helper()
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type fakeSender struct{ got []engagement.Destination }

func (f *fakeSender) SendDigest(_ context.Context, to engagement.Destination, m engagement.Message) error {
	if len(m.Chart) == 0 || m.Reply.Text == "" {
		return fmt.Errorf("empty digest")
	}
	f.got = append(f.got, to)
	return nil
}

func TestDigesterSendsAtLocalMorning(t *testing.T) {
	s := seedWeek(t)
	sender := &fakeSender{}
	d := &engagement.Digester{Source: s, Sender: sender, Leaders: []engagement.Leader{
		{Name: "paris", To: engagement.Destination{Platform: "slack", User: "U-paris"}, TimeZone: "Europe/Paris"},
		{Name: "nyc", To: engagement.Destination{Platform: "discord", Channel: "leaders"}, TimeZone: "America/New_York", Hour: 9},
	}}
	// 07:00 UTC on Monday 9 March is 08:00 in Paris and 03:00 in New York.
	n, err := d.RunHour(t.Context(), time.Date(2026, 3, 9, 7, 10, 0, 0, time.UTC))
	if err != nil || n != 1 || len(sender.got) != 1 || sender.got[0].User != "U-paris" {
		t.Fatalf("RunHour at 07:10 UTC = %d, %v, sent to %+v; want Paris only", n, err, sender.got)
	}
	// 13:00 UTC is 09:00 in New York (EDT from 8 March).
	if n, err := d.RunHour(t.Context(), time.Date(2026, 3, 9, 13, 0, 0, 0, time.UTC)); err != nil || n != 1 || sender.got[1].Channel != "leaders" {
		t.Fatalf("RunHour at 13:00 UTC = %d, %v; want New York", n, err)
	}
	if n, _ := d.RunHour(t.Context(), time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)); n != 0 {
		t.Errorf("a digest went out on a Tuesday")
	}
	d.Leaders = append(d.Leaders, engagement.Leader{Name: "bad", TimeZone: "Mars/Olympus"})
	if _, err := d.RunHour(t.Context(), time.Date(2026, 3, 9, 7, 0, 0, 0, time.UTC)); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("bad time zone: %v", err)
	}
}

// A rating button pressed again (a double click, the other button, a
// second device) is one vote, the person's last, as ranking counts it:
// g0's 👍 pressed twice more and g3's 👎 then 👍 leave four votes, all
// 👍, and no 👎 on the leave document.
func TestComputeCountsEachPersonsLastVote(t *testing.T) {
	s := seedWeek(t)
	sd := &seeder{t: t, s: s, n: 1000}
	answers, err := s.Events(t.Context(), store.EventFilter{Kind: store.EventFeedback})
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]string{}
	for _, e := range answers {
		ref[e.User] = e.Ref
	}
	last := weekStart.Add(24*time.Hour + 12*time.Hour)
	sd.add(store.Event{Time: last, Kind: store.EventFeedback, User: "g0", Value: 1, Ref: ref["g0"]})
	sd.add(store.Event{Time: last, Kind: store.EventFeedback, User: "g0", Value: 1, Ref: ref["g0"]})
	sd.add(store.Event{Time: last.Add(time.Minute), Kind: store.EventFeedback, User: "g3", Value: 1, Ref: ref["g3"]})
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := figure(t, r, engagement.FigHelpfulness).Value; !near(got, 1) {
		t.Errorf("helpfulness = %v, want 1: four people's last votes, all 👍", got)
	}
	for _, d := range r.MostUsed {
		if d.ID == "leave" && d.Unhelpful != 0 {
			t.Errorf("leave has %d 👎, want none: g3 changed their vote", d.Unhelpful)
		}
	}
}

// A vote on a reply without a confident answer ("-1" after "I couldn't
// find an answer") says the gap matters; it does not count in the
// helpfulness of the answers given.
func TestComputeLeavesVotesOnGapsOutOfHelpfulness(t *testing.T) {
	s := seedWeek(t)
	sd := &seeder{t: t, s: s, n: 1000}
	notConfident := false
	gaps, err := s.Events(t.Context(), store.EventFilter{Kind: store.EventAnswer, Confident: &notConfident, Since: weekStart})
	if err != nil || len(gaps) != 2 {
		t.Fatalf("unanswered = %+v, %v; want g6's and g7's", gaps, err)
	}
	for i, g := range gaps {
		sd.add(store.Event{Time: g.Time.Add(time.Minute), Kind: store.EventFeedback, User: g.User, Value: []int{-1, 1}[i], Ref: g.ID})
	}
	r, err := engagement.Compute(t.Context(), s, engagement.Filter{Since: weekStart, Until: weekEnd}, engagement.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := figure(t, r, engagement.FigHelpfulness).Value; !near(got, 0.75) {
		t.Errorf("helpfulness = %v, want 0.75: the votes on the two gaps left out", got)
	}
}
