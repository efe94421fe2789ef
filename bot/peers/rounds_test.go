package peers_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

func weekly(channel string) store.RoundConfig {
	return store.RoundConfig{Platform: "slack", Workspace: "T1", Channel: channel, Frequency: "weekly", GroupSize: 2, IntroHour: 9, AvoidRounds: 6, Enabled: true}
}

func TestRoundID(t *testing.T) {
	c := weekly("C1")
	if got := peers.RoundID(c, start); got != "slack/T1/C1/2026-W45" {
		t.Errorf("weekly id = %q", got)
	}
	if peers.RoundID(c, start) != peers.RoundID(c, start.Add(6*24*time.Hour)) || peers.RoundID(c, start) == peers.RoundID(c, start.Add(7*24*time.Hour)) {
		t.Error("a weekly id must hold for the week and change with it")
	}
	c.Frequency = "biweekly"
	if peers.RoundID(c, start) != peers.RoundID(c, start.Add(7*24*time.Hour)) || peers.RoundID(c, start) == peers.RoundID(c, start.Add(14*24*time.Hour)) {
		t.Error("a biweekly id must hold for two weeks")
	}
	c.Frequency = "monthly"
	if got := peers.RoundID(c, start); got != "slack/T1/C1/2026-11" {
		t.Errorf("monthly id = %q", got)
	}
}

func TestRunRoundGroupsIntroducesOnceAndChecksIn(t *testing.T) {
	roster := fakeRoster{"C1": {"ana", "ben", "cy", "dee", "eve", "fay", "fay"}}
	f := setup(t, roster)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ana"}, Name: "Ana", CanHelp: []string{"golang"}, Blocked: []string{"ben"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", Learning: []string{"golang"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "fay"}, SkipRoundsUntil: start.AddDate(0, 0, 14)})
	r, err := f.svc.RunRound(t.Context(), weekly("C1"))
	if err != nil {
		t.Fatal(err)
	}
	// Five take part (fay skips, and is listed once in the roster): a
	// pair and a group of three.
	var sizes []int
	placed := map[string]bool{}
	for _, g := range r.Groups {
		sizes = append(sizes, len(g.Members))
		for _, u := range g.Members {
			placed[u] = true
		}
		if slices.Contains(g.Members, "ana") && slices.Contains(g.Members, "ben") {
			t.Errorf("blocked pair grouped: %v", g.Members)
		}
		if g.Reason == "" || g.Starter == "" {
			t.Errorf("group %v without reason or starter", g.Members)
		}
		if !g.SendAt.Equal(start.Add(time.Hour)) {
			t.Errorf("group %v goes out at %v, want 09:00 UTC", g.Members, g.SendAt)
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{2, 3}) || len(placed) != 5 || placed["fay"] || len(r.Unplaced) != 0 {
		t.Fatalf("groups %+v unplaced %v", r.Groups, r.Unplaced)
	}
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Fatalf("introductions before 09:00: %+v", sends)
	}

	f.clock.add(90 * time.Minute)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatalf("tick without a schedule: %v", err)
	}
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Fatalf("a tick without an enabled schedule sent %+v", sends)
	}
	if err := f.st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	sends := f.msgr.take()
	if len(sends) != 2 {
		t.Fatalf("introductions = %+v, want one per group", sends)
	}
	for _, s := range sends {
		contains(t, "introduction", s.reply.Text, "Why you:", "To start:")
	}
	// A second replica, and a second tick, send nothing more.
	other, err := peers.New(peers.Config{Store: f.st, Events: f.st, Messenger: f.msgr, Roster: roster, Clock: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	again, err := other.RunRound(t.Context(), weekly("C1"))
	if err != nil || again.ID != r.ID || len(again.Groups) != len(r.Groups) {
		t.Fatalf("second run: %+v, %v", again, err)
	}
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Fatalf("introduced twice: %+v", sends)
	}
	intros, _ := f.st.Events(t.Context(), store.EventFilter{Kind: store.EventIntroMade})
	if len(intros) != 5 {
		t.Errorf("intro_made events = %d, want one per member", len(intros))
	}

	// Halfway through the week the groups are asked whether they met.
	f.clock.add(4 * 24 * time.Hour)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	sends = f.msgr.take()
	if len(sends) != 2 || len(sends[0].reply.Buttons) != 2 {
		t.Fatalf("check-ins = %+v", sends)
	}
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if again := f.msgr.take(); len(again) != 0 {
		t.Fatalf("checked in twice: %+v", again)
	}
	yes := sends[0].reply.Buttons[0]
	member := sends[0].users[0]
	contains(t, "met", f.press(t, member, yes).Text, "Great")
	contains(t, "outsider", f.press(t, "fay", yes).Text, "weren't in a group")
	met, _ := f.st.Events(t.Context(), store.EventFilter{Kind: store.EventMet})
	if len(met) != 1 || met[0].User != member || met[0].Value != 1 || met[0].Ref != r.ID {
		t.Errorf("met events = %+v", met)
	}
}

func TestRoundsAvoidRecentPairs(t *testing.T) {
	roster := fakeRoster{"C1": {"a", "b", "c", "d"}}
	f := setup(t, roster)
	seen := map[string]bool{}
	for week := range 3 {
		r, err := f.svc.RunRound(t.Context(), weekly("C1"))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range r.Groups {
			key := strings.Join(g.Members, "+")
			if seen[key] {
				t.Errorf("week %d repeats %s although a new pairing exists", week, key)
			}
			seen[key] = true
		}
		f.clock.add(7 * 24 * time.Hour)
	}
	if len(seen) != 6 {
		t.Errorf("pairs over three weeks = %d, want all 6", len(seen))
	}
}

func TestUnplacedMemberIsTold(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"a", "b"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "a"}, Blocked: []string{"b"}})
	r, err := f.svc.RunRound(t.Context(), weekly("C1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 0 || len(r.Unplaced) != 2 {
		t.Fatalf("round = %+v", r)
	}
	sends := f.msgr.take()
	if len(sends) != 2 || !strings.Contains(sends[0].reply.Text, "couldn't place you") {
		t.Errorf("unplaced members told: %+v", sends)
	}
}

func TestIntroductionsGoOutInTheGroupsSharedMorning(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"paris", "london"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "paris"}, TimeZone: "Europe/Paris"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "london"}, TimeZone: "Europe/London"})
	r, err := f.svc.RunRound(t.Context(), weekly("C1"))
	if err != nil {
		t.Fatal(err)
	}
	// 08:00 UTC is 09:00 in Paris but 08:00 in London; 09:00 UTC suits both.
	if len(r.Groups) != 1 || !r.Groups[0].SendAt.Equal(start.Add(time.Hour)) {
		t.Errorf("groups = %+v", r.Groups)
	}
}

func TestRoundFailuresAreReported(t *testing.T) {
	f := setup(t, nil)
	if _, err := f.svc.RunRound(t.Context(), weekly("C1")); err == nil {
		t.Error("a round without a roster ran")
	}
	f = setup(t, fakeRoster{"C1": {"a", "b"}})
	if _, err := f.svc.RunRound(t.Context(), weekly("C9")); err == nil || !strings.Contains(err.Error(), "C9") {
		t.Errorf("unknown channel: %v", err)
	}
	f.msgr.fail = errorString("slack down")
	f.clock.add(2 * time.Hour)
	if _, err := f.svc.RunRound(t.Context(), weekly("C1")); err == nil {
		t.Error("a failed introduction was not reported")
	}
	f.msgr.fail = nil
	if _, err := f.svc.RunRound(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	if sends := f.msgr.take(); len(sends) != 1 {
		t.Errorf("the failed introduction was not retried: %+v", sends)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestRoundsCommand(t *testing.T) {
	f := setup(t, nil)
	contains(t, "status", f.say(t, "ana", "connect rounds").Text, "off")
	refusal := f.say(t, "ana", "connect rounds on").Text
	contains(t, "non-admin", refusal, "Only an admin", "`lore roles`")
	// Only admins may use the chat's roles command: a learner is not sent there.
	if strings.Contains(refusal, "`roles`") {
		t.Errorf("non-admin refusal %q points to the admins' roles command", refusal)
	}
	contains(t, "bad option", f.say(t, "admin", "connect rounds on hourly").Text, `don't understand "hourly"`)
	contains(t, "bad size", f.say(t, "admin", "connect rounds on size 5").Text, "2 or 3-4")
	contains(t, "bad time", f.say(t, "admin", "connect rounds on time 9:30").Text, "on the hour")
	if cs, _ := f.st.RoundConfigs(t.Context()); len(cs) != 0 {
		t.Fatalf("bad commands saved %+v", cs)
	}
	r := f.say(t, "admin", "connect rounds on biweekly size 3-4 time 10:00 avoid 4")
	contains(t, "on", r.Text, "biweekly, groups of 3-4, introductions at 10:00", "last 4 rounds")
	cs, _ := f.st.RoundConfigs(t.Context())
	want := store.RoundConfig{Platform: "slack", Workspace: "T1", Channel: "C1", Frequency: "biweekly", GroupSize: 4, IntroHour: 10, AvoidRounds: 4, Enabled: true}
	if len(cs) != 1 || cs[0] != want {
		t.Fatalf("configs = %+v", cs)
	}
	f.say(t, "admin", "connect rounds off")
	cs, _ = f.st.RoundConfigs(t.Context())
	if len(cs) != 1 || cs[0].Enabled || cs[0].GroupSize != 4 {
		t.Errorf("after off = %+v", cs)
	}
	// Both changes are audited with the admin as actor; refusals are not.
	log, err := f.st.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Detail != "off" || !strings.HasPrefix(log[1].Detail, "on: biweekly") ||
		log[1].Actor != "slack/T1/admin" || log[1].Action != store.AuditRoundsSet || log[1].Target != "slack/T1/C1" {
		t.Errorf("audit log = %+v", log)
	}
	dm := f.svc.Command(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", User: "admin", Direct: true}, "connect", "rounds on")
	contains(t, "in a DM", dm.Text, "in the channel")
}

// A member who opted out of analytics takes part in rounds as anyone does,
// and the round's events count them without their id.
func TestRoundEventsOfOptedOutMemberAreAnonymous(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"ana", "ben", "cy", "dee"}})
	if err := f.st.SetOptOut(t.Context(), "ana", true); err != nil {
		t.Fatal(err)
	}
	if err := f.st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RunRound(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	f.clock.add(90 * time.Minute)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sends := f.msgr.take(); len(sends) != 2 {
		t.Fatalf("introductions = %+v, want two pairs", sends)
	}
	f.clock.add(4 * 24 * time.Hour)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.msgr.take() {
		if slices.Contains(s.users, "ana") {
			contains(t, "met", f.press(t, "ana", s.reply.Buttons[0]).Text, "Great")
		}
	}
	if es, _ := f.st.Events(t.Context(), store.EventFilter{User: "ana"}); len(es) != 0 {
		t.Errorf("events under the id of ana, who opted out: %+v", es)
	}
	for kind, want := range map[string]int{store.EventIntroMade: 4, store.EventMet: 1} {
		es, _ := f.st.Events(t.Context(), store.EventFilter{Kind: kind})
		anonymous := 0
		for _, e := range es {
			if e.User == "" {
				anonymous++
			}
		}
		if len(es) != want || anonymous != 1 {
			t.Errorf("%s events = %+v, want %d with ana's anonymous", kind, es, want)
		}
	}
}

// A member forgotten between the plan and the introduction is not named
// in it: the others are introduced without the reason and starter that
// named them.
func TestForgottenMemberIsNotNamedInTheIntroduction(t *testing.T) {
	roster := fakeRoster{"C1": {"ana", "ben", "cy"}}
	f := setup(t, roster)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ana"}, Name: "Ana Example", CanHelp: []string{"golang"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", Learning: []string{"golang"}})
	r, err := f.svc.RunRound(t.Context(), weekly("C1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 1 || !strings.Contains(r.Groups[0].Reason+r.Groups[0].Starter, "Ana Example") {
		t.Fatalf("groups = %+v, want one naming Ana Example", r.Groups)
	}
	if _, err := f.st.Forget(t.Context(), "ana", false); err != nil {
		t.Fatal(err)
	}
	if err := f.st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	f.clock.add(90 * time.Minute)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	sends := f.msgr.take()
	if len(sends) != 1 || !slices.Equal(sends[0].users, []string{"ben", "cy"}) {
		t.Fatalf("introductions = %+v, want one to ben and cy", sends)
	}
	if text := sends[0].reply.Text; strings.Contains(text, "Ana") || strings.Contains(text, "ana") {
		t.Errorf("the introduction names the forgotten member:\n%s", text)
	}
	contains(t, "introduction", sends[0].reply.Text, "Why you: you haven't met in a recent round.", "To start: ")
}

// startRound enables weekly rounds in C1 and runs the ticks that make the
// round, introduce its groups and, halfway, check in; it returns the
// check-in messages.
func (f *fixture) startRound(t *testing.T) []sent {
	t.Helper()
	if err := f.st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	f.clock.add(2 * time.Hour)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.msgr.take()
	f.clock.add(4 * 24 * time.Hour)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	return f.msgr.take()
}

// TestCheckInAnswersKeepTheLatest: each member's answer to a check-in is
// one event, the latest answer.
func TestCheckInAnswersKeepTheLatest(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"ana", "ben"}})
	sends := f.startRound(t)
	if len(sends) != 1 {
		t.Fatalf("check-ins = %+v", sends)
	}
	yes, no := sends[0].reply.Buttons[0], sends[0].reply.Buttons[1]
	f.press(t, "ana", yes)
	f.press(t, "ana", yes)
	f.press(t, "ana", no)
	f.press(t, "ben", yes)
	met, _ := f.st.Events(t.Context(), store.EventFilter{Kind: store.EventMet})
	answers := map[string]int{}
	for _, e := range met {
		answers[e.User] += e.Value
	}
	if len(met) != 2 || answers["ana"] != -1 || answers["ben"] != 1 {
		t.Errorf("met events = %+v; want ana's latest answer (-1) and ben's (+1), one each", met)
	}
}

// TestFailedCheckInIsRetried: a group whose check-in could not be sent is
// asked by the next tick, and only that group.
func TestFailedCheckInIsRetried(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"ana", "ben", "cy", "dee"}})
	if err := f.st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	f.clock.add(2 * time.Hour)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.msgr.take()
	f.clock.add(4 * 24 * time.Hour)
	f.msgr.fail = errorString("slack down")
	if err := f.svc.Tick(t.Context()); err == nil {
		t.Error("a failed check-in was not reported")
	}
	f.msgr.fail = nil
	f.clock.add(15 * time.Minute)
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sends := f.msgr.take(); len(sends) != 2 {
		t.Fatalf("check-ins after the failure = %+v, want one per group", sends)
	}
	if err := f.svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Errorf("checked in twice: %+v", sends)
	}
}

// TestBiweeklyRoundsAcrossA53WeekYear: 2026 has 53 ISO weeks; its last
// week and the first of 2027 are one period, so rounds stay two weeks
// apart.
func TestBiweeklyRoundsAcrossA53WeekYear(t *testing.T) {
	c := weekly("C1")
	c.Frequency = "biweekly"
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	for _, w := range []struct {
		a, b time.Time
		same bool
	}{
		{day(2026, 12, 14), day(2026, 12, 21), true},
		{day(2026, 12, 21), day(2026, 12, 28), false},
		{day(2026, 12, 28), day(2027, 1, 4), true},
		{day(2027, 1, 4), day(2027, 1, 10), true},
		{day(2027, 1, 10), day(2027, 1, 11), false},
		{day(2027, 1, 11), day(2027, 1, 18), true},
	} {
		if a, b := peers.RoundID(c, w.a), peers.RoundID(c, w.b); (a == b) != w.same {
			t.Errorf("%s is %s and %s is %s; want the same period: %v", w.a.Format("2006-01-02"), a, w.b.Format("2006-01-02"), b, w.same)
		}
	}
	// Every fortnight has its own id, over years with 52 and 53 weeks.
	seen := map[string]time.Time{}
	for d := day(2024, 1, 1); d.Year() < 2034; d = d.AddDate(0, 0, 14) {
		id := peers.RoundID(c, d)
		if prev, ok := seen[id]; ok {
			t.Fatalf("%s and %s share the id %s", prev.Format("2006-01-02"), d.Format("2006-01-02"), id)
		}
		seen[id] = d
	}
}

// TestBiweeklyIDsUnchangedIn2026: through 2026, up to its 53rd week, a
// two-week period has the id the ISO-week numbering gave it, so a round
// stored by the previous version is found and not made again.
func TestBiweeklyIDsUnchangedIn2026(t *testing.T) {
	c := weekly("C1")
	c.Frequency = "biweekly"
	for d := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC); d.Before(time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC)); d = d.AddDate(0, 0, 1) {
		y, w := d.ISOWeek()
		if got, want := peers.RoundID(c, d), fmt.Sprintf("slack/T1/C1/%d-F%02d", y, (w+1)/2); got != want {
			t.Fatalf("%s: id %s, want %s as before", d.Format("2006-01-02"), got, want)
		}
	}
}

// TestBiweeklyTicksAtTheTurnOf2027 runs the schedule week by week over
// the turn of the year: a round every other week.
func TestBiweeklyTicksAtTheTurnOf2027(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"ana", "ben"}})
	c := weekly("C1")
	c.Frequency = "biweekly"
	if err := f.st.PutRoundConfig(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	f.clock.set(time.Date(2026, 12, 14, 10, 0, 0, 0, time.UTC))
	var made []string
	for range 6 {
		if err := f.svc.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		f.clock.add(7 * 24 * time.Hour)
	}
	rounds, err := f.st.Rounds(t.Context(), "slack", "T1", "C1", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rounds {
		made = append(made, r.StartedAt.Format("2006-01-02"))
	}
	if want := []string{"2027-01-11", "2026-12-28", "2026-12-14"}; !slices.Equal(made, want) {
		t.Errorf("rounds started %v, want %v", made, want)
	}
}

// blockingMessenger holds its first send until released, and records every
// send.
type blockingMessenger struct {
	fakeMessenger
	calls            atomic.Int32
	entered, release chan struct{}
}

func (m *blockingMessenger) SendDirect(ctx context.Context, platform, workspace string, users []string, r bot.Reply) error {
	if m.calls.Add(1) == 1 {
		close(m.entered)
		<-m.release
	}
	return m.fakeMessenger.SendDirect(ctx, platform, workspace, users, r)
}

// Two ticks at once (one period's tick retried on one replica while the
// next period's runs on another) introduce each group once: the second
// is refused while the first runs, and the worker snoozes its job.
func TestOverlappingTicksIntroduceEachGroupOnce(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	msgr := &blockingMessenger{entered: make(chan struct{}), release: make(chan struct{})}
	now := func() time.Time { return start.Add(2 * time.Hour) } // introductions due
	svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: msgr,
		Roster: fakeRoster{"C1": {"ana", "ben", "cy", "dee"}}, Clock: now})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() { first <- svc.Tick(context.Background()) }()
	select {
	case <-msgr.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first tick sent nothing")
	}
	second := svc.Tick(t.Context())
	close(msgr.release)
	if err := <-first; err != nil {
		t.Fatalf("first tick: %v", err)
	}
	if !errors.Is(second, store.ErrLocked) {
		t.Errorf("second tick = %v, want it refused while the first runs", second)
	}
	if sends := msgr.take(); len(sends) != 2 {
		t.Errorf("introductions = %d, want one per group (2)", len(sends))
	}
	// The job of a tick refused so is snoozed, without using an attempt.
	release, err := st.TryLock(t.Context(), "peers-tick", "another-replica", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var snooze *river.JobSnoozeError
	if err := (&peers.TickWorker{Service: svc}).Work(t.Context(), &river.Job[peers.TickArgs]{}); !errors.As(err, &snooze) {
		t.Errorf("tick job while another runs = %v, want snoozed", err)
	}
	if err := release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := (&peers.TickWorker{Service: svc}).Work(t.Context(), &river.Job[peers.TickArgs]{}); err != nil {
		t.Fatalf("a tick after the first: %v", err)
	}
	if sends := msgr.take(); len(sends) != 0 {
		t.Errorf("a later tick sent %d introductions again", len(sends))
	}
}
