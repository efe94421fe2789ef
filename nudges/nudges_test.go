package nudges

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges/fsrs"
	"github.com/lorehq/lore/nudges/samples"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// clock is a settable test clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// sender records what it sends and can be told to fail.
type sender struct {
	mu   sync.Mutex
	sent map[string][]bot.Reply // by user
	err  error
}

func (s *sender) SendDirect(_ context.Context, platform, workspace, user string, r bot.Reply) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return "", s.err
	}
	if s.sent == nil {
		s.sent = map[string][]bot.Reply{}
	}
	s.sent[user] = append(s.sent[user], r)
	// Like Slack's ts: the id a reply in the message's thread carries.
	return fmt.Sprintf("msg-%s-%d", user, len(s.sent[user])), nil
}

func (s *sender) count(user string) int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.sent[user]) }

type fixture struct {
	svc    *Service
	st     *sqlite.Store
	path   string
	clock  *testClock
	sender *sender
}

// monday is a Monday morning in Paris, before the default delivery time.
var paris, _ = time.LoadLocation("Europe/Paris")
var monday = time.Date(2026, 3, 2, 8, 0, 0, 0, paris)

func setup(t *testing.T) *fixture {
	t.Helper()
	c := &testClock{now: monday}
	path := filepath.Join(t.TempDir(), "lore.db")
	st, err := sqlite.Open(t.Context(), path, sqlite.Options{Clock: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	snd := &sender{}
	svc, err := New(Config{Store: st, Sender: snd, Clock: c.Now, DefaultTimeZone: paris,
		Onboarding: map[string][]string{"#welcome": {"security-basics"}}})
	if err != nil {
		t.Fatal(err)
	}
	tracks, err := track.LoadFS(samples.Tracks, "tracks")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(t.Context(), tracks); err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, st: st, path: path, clock: c, sender: snd}
}

func msg(user, text string) bot.Message {
	return bot.Message{Platform: "slack", Workspace: "T1", Channel: "D1", User: user, Text: text, Direct: true}
}

func learner(user string) store.Learner {
	return store.Learner{Platform: "slack", Workspace: "T1", User: user}
}

func (f *fixture) cmd(t *testing.T, user, text string) bot.Reply {
	t.Helper()
	cmd, rest, _ := strings.Cut(text, " ")
	r, ok := f.svc.HandleCommand(t.Context(), msg(user, text), cmd, rest)
	if !ok {
		t.Fatalf("%q not handled", text)
	}
	return r
}

func (f *fixture) events(t *testing.T, kind string) []store.Event {
	t.Helper()
	es, err := f.st.Events(t.Context(), store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestNextSlot(t *testing.T) {
	p := DefaultPreferences(learner("u"))
	ny, _ := time.LoadLocation("America/New_York")
	friday := time.Date(2026, 3, 6, 10, 0, 0, 0, paris) // after Friday's slot
	for _, c := range []struct {
		name string
		p    func(store.Preferences) store.Preferences
		loc  *time.Location
		at   time.Time
		want time.Time
	}{
		{"same day", nil, paris, monday, time.Date(2026, 3, 2, 9, 30, 0, 0, paris)},
		{"weekend skipped", nil, paris, friday, time.Date(2026, 3, 9, 9, 30, 0, 0, paris)},
		{"other zone", nil, ny, monday, time.Date(2026, 3, 2, 9, 30, 0, 0, ny)},
		{"dst gap", func(p store.Preferences) store.Preferences { p.DeliveryMinute = 2*60 + 30; p.Weekdays = 0x7f; return p },
			paris, time.Date(2026, 3, 29, 0, 0, 0, 0, paris), time.Date(2026, 3, 29, 3, 30, 0, 0, paris)},
		{"quiet period", func(p store.Preferences) store.Preferences {
			p.QuietFrom, p.QuietUntil = time.Date(2026, 3, 2, 0, 0, 0, 0, paris), time.Date(2026, 3, 5, 0, 0, 0, 0, paris)
			return p
		}, paris, monday, time.Date(2026, 3, 5, 9, 30, 0, 0, paris)},
		{"snoozed a day", func(p store.Preferences) store.Preferences { p.SnoozedUntil = monday.Add(24 * time.Hour); return p },
			paris, monday, time.Date(2026, 3, 3, 9, 30, 0, 0, paris)},
	} {
		t.Run(c.name, func(t *testing.T) {
			pp := p
			if c.p != nil {
				pp = c.p(p)
			}
			got, ok := NextSlot(pp, c.loc, c.at)
			if !ok || !got.Equal(c.want) {
				t.Errorf("NextSlot = %v, %v; want %v", got, ok, c.want)
			}
		})
	}
	paused := p
	paused.Paused = true
	if _, ok := NextSlot(paused, paris, monday); ok {
		t.Error("a paused learner has a slot")
	}
}

// Around daylight-saving changes a slot keeps to the learner's wall clock
// the same way in every zone: a time the clocks skip moves forward by the
// gap, a time they show twice is sent once, at its first occurrence.
func TestNextSlotAcrossClockChanges(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	santiago, _ := time.LoadLocation("America/Santiago")
	at := func(minute int, days ...time.Weekday) store.Preferences {
		p := DefaultPreferences(learner("u"))
		p.DeliveryMinute, p.Weekdays = minute, 0x7f
		if len(days) > 0 {
			p.Weekdays = 0
			for _, d := range days {
				p.Weekdays |= 1 << d
			}
		}
		return p
	}
	for _, c := range []struct {
		name string
		p    store.Preferences
		loc  *time.Location
		from time.Time
		want time.Time
	}{
		// Clocks go from 02:00 to 03:00 (west of UTC: time.Date alone
		// gives 01:30 EST, an hour early).
		{"gap west of UTC", at(2*60 + 30), ny, time.Date(2026, 3, 8, 0, 0, 0, 0, ny), time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)},
		{"gap east of UTC", at(2*60 + 30), paris, time.Date(2026, 3, 29, 0, 0, 0, 0, paris), time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)},
		// Clocks go from 00:00 to 01:00: the Sunday slot is on Sunday, at
		// 01:30, not at 23:30 on Saturday.
		{"gap at midnight", at(30, time.Sunday), santiago, time.Date(2026, 9, 5, 12, 0, 0, 0, santiago), time.Date(2026, 9, 6, 4, 30, 0, 0, time.UTC)},
		// Clocks go from 02:00 back to 01:00 (New York) and from 03:00
		// back to 02:00 (Paris): the first occurrence, and only that one.
		{"repeated hour west", at(90), ny, time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"repeated hour east", at(150), paris, time.Date(2026, 10, 25, 0, 0, 0, 0, paris), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"repeated hour, after the first", at(150), paris, time.Date(2026, 10, 25, 0, 31, 0, 0, time.UTC), time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := NextSlot(c.p, c.loc, c.from)
			if !ok || !got.Equal(c.want) {
				t.Errorf("NextSlot = %v, %v; want %v", got, ok, c.want.In(c.loc))
			}
		})
	}
}

// The local day of a zone whose clocks jump at midnight ends when they
// show 01:00, so a review due late that evening is still due that day.
func TestEndOfLocalDayWhenClocksJumpAtMidnight(t *testing.T) {
	santiago, _ := time.LoadLocation("America/Santiago")
	saturday := time.Date(2026, 9, 5, 12, 0, 0, 0, santiago)
	want := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC) // 01:00 -03
	if got := endOfLocalDay(saturday, santiago); !got.Equal(want) {
		t.Errorf("end of Saturday = %v; want %v", got, want.In(santiago))
	}
	if got := endOfLocalDay(monday, paris); !got.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, paris)) {
		t.Errorf("end of Monday in Paris = %v", got)
	}
}

func TestJoinDeliversFirstCardAndPlanFollowsCadence(t *testing.T) {
	f := setup(t)
	r := f.cmd(t, "ann", "learn")
	if !strings.Contains(r.Text, "security-basics") || !strings.Contains(r.Text, "leave-and-time-off") {
		t.Fatalf("list = %q", r.Text)
	}
	r = f.cmd(t, "ann", "learn join security-basics")
	if !strings.Contains(r.Text, "Report, don't worry") || !r.Private {
		t.Fatalf("join reply lacks the first card: %q", r.Text)
	}
	if len(f.events(t, store.EventTrackJoined)) != 1 {
		t.Error("no track_joined event")
	}
	r = f.cmd(t, "ann", "learn join nope")
	if !strings.Contains(r.Text, "There is no track `nope`") {
		t.Errorf("unknown track: %q", r.Text)
	}

	// The first card went at 08:00 on Monday; daily cadence: the next
	// new card comes at Tuesday's slot, not Monday's.
	plan, err := f.svc.Plan(t.Context(), monday, monday.Add(24*time.Hour))
	if err != nil || len(plan) != 0 {
		t.Fatalf("Monday plan = %+v, %v; want nothing (cadence)", plan, err)
	}
	tue := monday.Add(24 * time.Hour)
	plan, err = f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	if err != nil || len(plan) != 1 {
		t.Fatalf("Tuesday plan = %+v, %v", plan, err)
	}
	if got := plan[0]; got.Slot != time.Date(2026, 3, 3, 8, 30, 0, 0, time.UTC) || len(got.Cards) != 1 || got.Cards[0].CardID != "report-phish" {
		t.Fatalf("Tuesday delivery = %+v", got)
	}
}

// A track of one card is listed as such.
func TestLearnListsOneCardInTheSingular(t *testing.T) {
	f := setup(t)
	tr, err := track.Parse("office.md", []byte("---\ntitle: Office life\ncadence: weekly\n---\n\n## tip: Coffee {#coffee}\nThe machine is descaled on Fridays.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Publish(t.Context(), []track.Track{tr}); err != nil {
		t.Fatal(err)
	}
	r := f.cmd(t, "ann", "learn")
	if !strings.Contains(r.Text, "**Office life** (1 card, weekly)") || !strings.Contains(r.Text, "(4 cards, every 2 days)") {
		t.Errorf("list = %q", r.Text)
	}
}

func TestDeliverOnceAndAnswerOnce(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	tue := monday.Add(24 * time.Hour)
	plan, _ := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	f.clock.Set(plan[0].Slot)
	for range 3 { // a duplicated or retried job
		if err := f.svc.Deliver(t.Context(), plan[0]); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.sender.count("ann"); n != 1 {
		t.Fatalf("sent %d times, want once", n)
	}
	sent := f.sender.sent["ann"][0]
	if len(sent.Buttons) != 4 || sent.Buttons[1].ID != ActionQuizAnswer {
		t.Fatalf("quiz buttons = %+v", sent.Buttons)
	}
	if len(f.events(t, store.EventNudgeDelivered)) != 2 { // join's card and this one
		t.Errorf("delivered events = %d", len(f.events(t, store.EventNudgeDelivered)))
	}
	press := func(i int) bot.Reply {
		r, ok := f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "ann",
			ID: ActionQuizAnswer, Value: sent.Buttons[i].Value})
		if !ok {
			t.Fatal("quiz press not handled")
		}
		return r
	}
	answerAt := plan[0].Slot.Add(5 * time.Minute)
	f.clock.Set(answerAt)
	r := press(1)
	if !strings.Contains(r.Text, "Right") || !strings.Contains(r.Text, "Report Phish sends") || len(r.Citations) != 1 {
		t.Fatalf("answer reply = %+v", r)
	}
	r = press(0) // a second press, of another option
	if !strings.Contains(r.Text, "already answered") || !strings.Contains(r.Text, "you chose 2") {
		t.Fatalf("second press = %q", r.Text)
	}
	answers := f.events(t, store.EventQuizAnswered)
	if len(answers) != 1 || answers[0].Value != 1 {
		t.Fatalf("quiz_answered events = %+v; want one, correct", answers)
	}
	// The card is the activity, so leaders' first and latest accuracy
	// follow it across deliveries.
	if answers[0].Ref != "security-basics/report-phish" {
		t.Errorf("quiz_answered ref = %q, want the card security-basics/report-phish", answers[0].Ref)
	}
	// The card's FSRS state is one Good review.
	want, _ := mustScheduler(t).Review(fsrs.Card{}, fsrs.Good, answerAt)
	states, _ := f.st.CardStates(t.Context(), learner("ann"), "security-basics")
	var got store.CardState
	for _, s := range states {
		if s.CardID == "report-phish" {
			got = s
		}
	}
	if got.Reps != 1 || got.Stability != want.Stability || !got.Due.Equal(want.Due) || got.State != int(fsrs.StateReview) {
		t.Errorf("card state = %+v, want FSRS %+v", got, want)
	}
	// Someone else pressing ann's button.
	r, _ = f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "bob", ID: ActionQuizAnswer, Value: sent.Buttons[0].Value})
	if !strings.Contains(r.Text, "someone else") {
		t.Errorf("foreign press = %q", r.Text)
	}
	for _, v := range []string{"garbage", "a|b|c|x", "n-unknown|security-basics|report-phish|0"} {
		r, _ = f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "ann", ID: ActionQuizAnswer, Value: v})
		if r.Text == "" || strings.Contains(r.Text, "Right") {
			t.Errorf("bad value %q: %q", v, r.Text)
		}
	}
	if len(f.events(t, store.EventQuizAnswered)) != 1 {
		t.Error("bad presses were counted")
	}
}

// A learner who opted out of analytics is taught as anyone is; their
// nudges count, without their id.
func TestOptedOutLearnerCountsAnonymously(t *testing.T) {
	f := setup(t)
	if err := f.st.SetOptOut(t.Context(), "ann", true); err != nil {
		t.Fatal(err)
	}
	f.cmd(t, "ann", "learn join security-basics")
	tue := monday.Add(24 * time.Hour)
	plan, _ := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	if len(plan) != 1 {
		t.Fatalf("plan = %+v", plan)
	}
	f.clock.Set(plan[0].Slot)
	if err := f.svc.Deliver(t.Context(), plan[0]); err != nil {
		t.Fatal(err)
	}
	sent := f.sender.sent["ann"][0]
	r, _ := f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "ann",
		ID: ActionQuizAnswer, Value: sent.Buttons[1].Value})
	if !strings.Contains(r.Text, "Right") {
		t.Fatalf("answer reply = %q", r.Text)
	}
	if es, _ := f.st.Events(t.Context(), store.EventFilter{User: "ann"}); len(es) != 0 {
		t.Errorf("events under the id of ann, who opted out: %+v", es)
	}
	for kind, want := range map[string]int{store.EventTrackJoined: 1, store.EventNudgeDelivered: 2, store.EventQuizAnswered: 1} {
		es := f.events(t, kind)
		if len(es) != want {
			t.Errorf("%s events = %d, want %d: an opted-out learner still counts", kind, len(es), want)
		}
		for _, e := range es {
			if e.User != "" {
				t.Errorf("%s event under %q", kind, e.User)
			}
		}
	}
}

func mustScheduler(t *testing.T) *fsrs.Scheduler {
	s, err := fsrs.New(fsrs.DefaultParameters())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOldButtonAfterTrackChanged(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	tue := monday.Add(24 * time.Hour)
	plan, _ := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	f.clock.Set(plan[0].Slot)
	if err := f.svc.Deliver(t.Context(), plan[0]); err != nil {
		t.Fatal(err)
	}
	button := f.sender.sent["ann"][0].Buttons[1]
	// The curator reorders the options: option 2 is now wrong.
	src, _ := samples.Tracks.ReadFile("tracks/security-basics.md")
	edited := strings.Replace(string(src), "- [ ] Reply to the sender and ask whether it is genuine\n- [x] Press the Report Phish button in your mail client",
		"- [x] Press the Report Phish button in your mail client\n- [ ] Reply to the sender and ask whether it is genuine", 1)
	tr, err := track.Parse("security-basics.md", []byte(edited))
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Publish(t.Context(), []track.Track{tr})
	if err != nil || !res[0].New || res[0].Version != 2 {
		t.Fatalf("publish v2 = %+v, %v", res, err)
	}
	r, _ := f.svc.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", User: "ann", ID: ActionQuizAnswer, Value: button.Value})
	if !strings.Contains(r.Text, "Right") || !strings.Contains(r.Text, "updated since it was sent") {
		t.Errorf("answer to the old version = %q", r.Text)
	}
	// Progress survives the new version: the next new card is the third.
	es, _ := f.st.Enrolments(t.Context(), store.EnrolmentFilter{Learner: &store.Learner{Platform: "slack", Workspace: "T1", User: "ann"}})
	if len(es) != 1 || len(es[0].Seen) != 2 {
		t.Fatalf("enrolment after v2 = %+v", es)
	}
	wed := tue.Add(24 * time.Hour)
	plan, _ = f.svc.Plan(t.Context(), wed, wed.Add(24*time.Hour))
	if len(plan) != 1 || plan[0].Cards[0].CardID != "one-sign-in-page" || plan[0].Cards[0].Version != 2 {
		t.Fatalf("Wednesday plan = %+v", plan)
	}
}

func TestSenderErrors(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	tue := monday.Add(24 * time.Hour)
	plan, _ := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))

	f.sender.err = errors.New("slack: 503")
	if err := f.svc.Deliver(t.Context(), plan[0]); err == nil {
		t.Fatal("a platform error was swallowed; River must retry")
	}
	f.sender.err = nil
	if err := f.svc.Deliver(t.Context(), plan[0]); err != nil || f.sender.count("ann") != 1 {
		t.Fatalf("retry: %v, sent %d", err, f.sender.count("ann"))
	}

	f.cmd(t, "bob", "learn join security-basics")
	plan, _ = f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	var bobs DeliverArgs
	for _, p := range plan {
		if p.User == "bob" {
			bobs = p
		}
	}
	f.sender.err = fmt.Errorf("slack: user_not_found: %w", ErrRecipientGone)
	if err := f.svc.Deliver(t.Context(), bobs); err != nil {
		t.Fatalf("a gone learner is not an error to retry: %v", err)
	}
	p, err := f.st.Preferences(t.Context(), learner("bob"))
	if err != nil || !p.Stopped || !strings.Contains(p.StopReason, "left the workspace") {
		t.Errorf("bob's preferences = %+v, %v", p, err)
	}
	if len(f.events(t, store.EventLearnerStopped)) != 1 {
		t.Error("no learner_stopped event")
	}
	f.sender.err = nil
	wed := tue.Add(24 * time.Hour)
	plan, _ = f.svc.Plan(t.Context(), wed, wed.Add(24*time.Hour))
	for _, p := range plan {
		if p.User == "bob" {
			t.Error("a stopped learner is still planned")
		}
	}
}

func TestCapAndNoPileUpAfterHoliday(t *testing.T) {
	f := setup(t)
	l := learner("ann")
	f.cmd(t, "ann", "learn join security-basics")
	f.cmd(t, "ann", "nudges cap 2")
	// Five quiz reviews came due during a long holiday.
	for i := range 5 {
		st := store.CardState{Learner: l, TrackID: "security-basics", CardID: []string{"report-phish", "second-factors", "report-within", "report-phish", "second-factors"}[i],
			Due: monday.Add(-time.Duration(10-i) * 24 * time.Hour), Reps: 1, State: 2, SeenAt: monday}
		if err := f.st.SaveCardState(t.Context(), st); err != nil {
			t.Fatal(err)
		}
	}
	tue := monday.Add(24 * time.Hour)
	plan, _ := f.svc.Plan(t.Context(), tue, tue.Add(24*time.Hour))
	if len(plan) != 1 || len(plan[0].Cards) != 2 {
		t.Fatalf("plan = %+v; want one nudge of 2 cards (the cap)", plan)
	}
	if plan[0].Cards[0].Review || !plan[0].Cards[1].Review {
		t.Errorf("cards = %+v; want the new card, then the longest-overdue review", plan[0].Cards)
	}
}

func TestSettingsCommands(t *testing.T) {
	f := setup(t)
	for _, c := range []struct{ in, want string }{
		{"nudges", "at 09:30 on Monday to Friday (Europe/Paris), at most 3 cards a day"},
		{"nudges time 07:15", "07:15"},
		{"nudges time 25:00", "HH:MM"},
		{"nudges days mon,wed,fri", "Monday, Wednesday, Friday"},
		{"nudges days someday", "mon-fri"},
		{"nudges cap 0", "from 1 to 10"},
		{"nudges cap 1", "At most 1 card a day from now on."},
		{"nudges", "at most 1 card a day."},
		{"nudges cap 2", "At most 2 cards a day from now on."},
		{"nudges timezone Mars/Olympus", "I don't know the time zone"},
		{"nudges timezone Asia/Tokyo", "Asia/Tokyo"},
		{"nudges quiet 2026-12-21 2027-01-04", "to Mon 4 Jan 2027"},
		{"nudges quiet 2027-01-04 2026-12-21", "first and last quiet day"},
		{"nudges snooze 1w", "Snoozed until Mon 9 Mar"},
		{"nudges snooze 1y", "a day or a week"},
		{"nudges pause", "Paused"},
		{"nudges frobnicate", "I don't know `nudges frobnicate`"},
		{"nudges", "Paused."},
		{"nudges resume", "Welcome back"},
		{"nudges stop", "Stopped"},
	} {
		r := f.cmd(t, "ann", c.in)
		if !strings.Contains(r.Text, c.want) {
			t.Errorf("%q: %q, want %q", c.in, r.Text, c.want)
		}
	}
	p, _ := f.st.Preferences(t.Context(), learner("ann"))
	if p.DeliveryMinute != 7*60+15 || p.TimeZone != "Asia/Tokyo" || p.Weekdays != 1<<1|1<<3|1<<5 || !p.Stopped {
		t.Errorf("stored preferences = %+v", p)
	}
	if len(f.events(t, store.EventSnoozed)) != 1 {
		t.Error("snooze not recorded as an event")
	}
}

func TestReflectionAndTextAnswers(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	r := f.cmd(t, "ann", "reflect I would report it")
	if !strings.Contains(r.Text, "no unanswered reflection") {
		t.Errorf("reflect with nothing pending = %q", r.Text)
	}
	// Fetch every card on demand, within a cap that allows them all; the
	// second-factors quiz is multiple-answer, answered by text.
	f.cmd(t, "ann", "nudges cap 10")
	var got string
	for range 5 {
		f.clock.Set(f.clock.Now().Add(time.Minute))
		got = f.cmd(t, "ann", "nudge").Text
		if strings.Contains(got, "second factors") {
			break
		}
	}
	if !strings.Contains(got, "answer 1,3") {
		t.Fatalf("multiple-answer quiz = %q", got)
	}
	if r := f.cmd(t, "ann", "answer 1,2 sure"); !strings.Contains(r.Text, "Right") {
		t.Errorf("answer 1,2 = %q", r.Text)
	}
	// The earlier single-answer quiz is still open; 9 is not one of its options.
	if r := f.cmd(t, "ann", "answer 9"); !strings.Contains(r.Text, "option 9 does not exist") {
		t.Errorf("answer 9 = %q", r.Text)
	}
	if r := f.cmd(t, "ann", "answer two"); !strings.Contains(r.Text, "option numbers") {
		t.Errorf("answer two = %q", r.Text)
	}
	for range 3 {
		f.clock.Set(f.clock.Now().Add(time.Minute))
		got = f.cmd(t, "ann", "nudge").Text
		if strings.Contains(got, "reflect YOUR THOUGHTS") {
			break
		}
	}
	if r := f.cmd(t, "ann", "reflect A fake invoice \xff"); !strings.Contains(r.Text, "for your eyes only") {
		t.Fatalf("reflect = %q", r.Text)
	}
	ev := f.events(t, store.EventReflection)
	if len(ev) != 1 || strings.Contains(fmt.Sprint(ev[0]), "invoice") {
		t.Errorf("reflection events = %+v; want one, without the text", ev)
	}
	if len(f.events(t, store.EventTrackCompleted)) != 1 {
		t.Error("no track_completed event after the last card")
	}
}

func TestOnboardingChannelEnrols(t *testing.T) {
	f := setup(t)
	if err := f.svc.MemberJoined(t.Context(), learner("new"), "#welcome"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.MemberJoined(t.Context(), learner("other"), "#random"); err != nil {
		t.Fatal(err)
	}
	es, _ := f.st.Enrolments(t.Context(), store.EnrolmentFilter{})
	if len(es) != 1 || es[0].User != "new" || es[0].Source != "onboarding" {
		t.Errorf("enrolments = %+v", es)
	}
}

// A reflection is answered by replying in the thread of the nudge that
// asked it: the reply is kept for the learner once, and replies in other
// threads or to nudges without a reflection are left to the rest of Lore.
func TestReflectionAnsweredInTheNudgesThread(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "learn join security-basics")
	v, err := f.st.TrackVersion(t.Context(), "security-basics", 0)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := decode(v)
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(cardID string, slot time.Time) string {
		t.Helper()
		c, ok := ver.Card(cardID)
		if !ok {
			t.Fatalf("no card %s", cardID)
		}
		slot = f.slotFrom(t, learner("ann"), slot)
		f.clock.Set(slot)
		args := DeliverArgs{Platform: "slack", Workspace: "T1", User: "ann", Slot: slot,
			Cards: []store.DeliveryCard{{TrackID: "security-basics", CardID: cardID, Version: v.Version, Fingerprint: c.Fingerprint()}}}
		if err := f.svc.Deliver(t.Context(), args); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("msg-ann-%d", f.sender.count("ann"))
	}
	quizThread := deliver("report-within", monday.Add(24*time.Hour))
	reflThread := deliver("last-odd-message", monday.Add(48*time.Hour))
	if got := f.sender.sent["ann"][1].Text; !strings.Contains(got, "Reply in this thread") {
		t.Errorf("the reflection nudge does not say how to answer: %q", got)
	}
	reply := func(user, thread, text string) (bot.Reply, bool) {
		m := msg(user, text)
		m.Thread = thread
		return f.svc.HandleThreadReply(t.Context(), m)
	}
	if _, ok := reply("ann", quizThread, "what counts as an incident?"); ok {
		t.Error("a reply to a quiz nudge was taken as a reflection")
	}
	if _, ok := reply("ann", "some-other-thread", "hello"); ok {
		t.Error("a reply in an unknown thread was taken")
	}
	if _, ok := reply("bob", reflThread, "not my nudge"); ok {
		t.Error("another person's reply in ann's thread was taken")
	}
	r, ok := reply("ann", reflThread, "A parcel text that wanted my card details")
	if !ok || !strings.Contains(r.Text, "for your eyes only") || !r.Private {
		t.Fatalf("reflection reply = %+v, %v", r, ok)
	}
	r, ok = reply("ann", reflThread, "and another thought")
	if !ok || !strings.Contains(r.Text, "already answered") {
		t.Fatalf("second reply = %+v, %v", r, ok)
	}
	d, err := f.st.DeliveryInThread(t.Context(), learner("ann"), reflThread)
	if err != nil {
		t.Fatal(err)
	}
	answers, err := f.st.Answers(t.Context(), d.ID)
	if err != nil || len(answers) != 1 || answers[0].Choice != "A parcel text that wanted my card details" {
		t.Fatalf("answers = %+v, %v", answers, err)
	}
	if ev := f.events(t, store.EventReflection); len(ev) != 1 {
		t.Errorf("reflection events = %d, want 1", len(ev))
	}
}

// Joining while nudges are paused sends no card, and the reply says why
// instead of announcing a first card that is not there.
func TestJoinWhilePausedAnnouncesNoCard(t *testing.T) {
	f := setup(t)
	f.cmd(t, "ann", "nudges pause")
	r := f.cmd(t, "ann", "learn join security-basics")
	if strings.Contains(r.Text, "Here is your first one") || strings.Contains(r.Text, "Report, don't worry") {
		t.Errorf("join while paused = %q, want no first card announced", r.Text)
	}
	if !strings.Contains(r.Text, "You're following **Security basics") || !strings.Contains(r.Text, "`nudges resume`") {
		t.Errorf("join while paused = %q, want the enrolment and how to resume", r.Text)
	}
	f.cmd(t, "ann", "nudges resume")
	f.clock.Set(monday.Add(time.Minute))
	if r := f.cmd(t, "ann", "learn join leave-and-time-off"); !strings.Contains(r.Text, "Here is your first one.\n\n") {
		t.Errorf("join after resuming = %q, want the first card", r.Text)
	}
}

// A quiet period is the days the learner named, in their zone, even where
// the clocks jump from midnight to 01:00 (Santiago on 6 September 2026):
// it neither starts at 23:00 the evening before nor is shown starting a
// day early, and its last day is shown as the last one, not the day after.
func TestQuietPeriodDays(t *testing.T) {
	f := setup(t)
	santiago, _ := time.LoadLocation("America/Santiago")
	f.cmd(t, "ann", "nudges timezone America/Santiago")
	f.cmd(t, "ann", "nudges days every day")
	f.cmd(t, "ann", "nudges time 23:30")
	if r := f.cmd(t, "ann", "nudges quiet 2026-09-06 2026-09-07"); !strings.Contains(r.Text, "from Sun 6 Sep 2026 to Mon 7 Sep 2026 inclusive") {
		t.Errorf("quiet reply = %q", r.Text)
	}
	if r := f.cmd(t, "ann", "nudges"); !strings.Contains(r.Text, "Quiet from 6 Sep 2026 to 7 Sep 2026 inclusive.") {
		t.Errorf("settings = %q", r.Text)
	}
	p, err := f.st.Preferences(t.Context(), learner("ann"))
	if err != nil {
		t.Fatal(err)
	}
	saturday := time.Date(2026, 9, 5, 12, 0, 0, 0, santiago)
	want := time.Date(2026, 9, 5, 23, 30, 0, 0, santiago)
	if got, ok := NextSlot(p, santiago, saturday); !ok || !got.Equal(want) {
		t.Errorf("next slot = %v, %v; want Saturday's at %v, before the quiet Sunday", got, ok, want)
	}
	if got, _ := NextSlot(p, santiago, want.Add(time.Minute)); !got.Equal(time.Date(2026, 9, 8, 23, 30, 0, 0, santiago)) {
		t.Errorf("slot after Saturday's = %v; want Tuesday's", got.In(santiago))
	}

	f.cmd(t, "ann", "nudges timezone Europe/Paris")
	f.cmd(t, "ann", "nudges quiet 2026-12-21 2027-01-04")
	if r := f.cmd(t, "ann", "nudges"); !strings.Contains(r.Text, "Quiet from 21 Dec 2026 to 4 Jan 2027 inclusive.") {
		t.Errorf("settings = %q", r.Text)
	}
}
