package nudges

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// discordDM is a direct message to Lore on Discord: it names no server.
func discordDM(user, text string) bot.Message {
	return bot.Message{Platform: "discord", Channel: "dm-" + user, User: user, Text: text, Direct: true}
}

func discordLearner(guild, user string) store.Learner {
	return store.Learner{Platform: "discord", Workspace: guild, User: user}
}

// learningBot is the core with the fixture's nudges as its learning
// capability, as Lore runs it.
func learningBot(t *testing.T, f *fixture) *bot.Bot {
	t.Helper()
	b, err := bot.New(bot.Config{Knowledge: noKnowledge{}, Events: f.st, Learning: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliverCard sends l one card of a track at slot, as a scheduled nudge,
// at the learner's first slot from slot, and returns the id of the message
// it went out as.
func (f *fixture) deliverCard(t *testing.T, l store.Learner, trackID, cardID string, slot time.Time) string {
	t.Helper()
	v, err := f.st.TrackVersion(t.Context(), trackID, 0)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := decode(v)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := ver.Card(cardID)
	if !ok {
		t.Fatalf("no card %s in %s", cardID, trackID)
	}
	slot = f.slotFrom(t, l, slot)
	f.clock.Set(slot)
	args := DeliverArgs{Platform: l.Platform, Workspace: l.Workspace, User: l.User, Slot: slot,
		Cards: []store.DeliveryCard{{TrackID: trackID, CardID: cardID, Version: v.Version, Fingerprint: c.Fingerprint()}}}
	if err := f.svc.Deliver(t.Context(), args); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(slot.Add(time.Minute))
	return fmt.Sprintf("msg-%s-%d", l.User, f.sender.count(l.User))
}

func (f *fixture) workspacesOf(t *testing.T, platform, user string) []string {
	t.Helper()
	places, err := f.st.PersonWorkspaces(t.Context(), platform, user)
	if err != nil {
		t.Fatal(err)
	}
	var ws []string
	for _, p := range places {
		ws = append(ws, p.Workspace)
	}
	return ws
}

// A learner who joined a track in a Discord server gets its nudges by
// direct message, and the commands typed there act on that enrolment:
// learn, answer, nudges and reflect. Nothing is kept without the server.
func TestDiscordDirectMessageActsInTheLearnersServer(t *testing.T) {
	f := setup(t)
	b := learningBot(t, f)
	ctx := t.Context()
	inGuild := bot.Message{Platform: "discord", Workspace: "G1", Channel: "C1", User: "111", Text: "learn join security-basics"}
	if r := b.HandleMessage(ctx, inGuild); !strings.Contains(r.Text, "You're following") {
		t.Fatalf("joining in the server = %q", r.Text)
	}
	ann := discordLearner("G1", "111")
	f.deliverCard(t, ann, "security-basics", "report-phish", monday.Add(24*time.Hour))

	if r := b.HandleMessage(ctx, discordDM("111", "learn")); !strings.Contains(r.Text, "· active, 2/6 seen") {
		t.Errorf("learn in a DM = %q, want the server's enrolment", r.Text)
	}
	if r := b.HandleMessage(ctx, discordDM("111", "answer 2")); !strings.Contains(r.Text, "Right") || !r.Private {
		t.Fatalf("answer 2 in a DM = %+v", r)
	}
	states, err := f.st.CardStates(ctx, ann, "security-basics")
	if err != nil {
		t.Fatal(err)
	}
	if i := indexOfCard(states, "report-phish"); i < 0 || states[i].Reps != 1 {
		t.Errorf("the server's report-phish = %+v, want one review", states)
	}
	if r := b.HandleMessage(ctx, discordDM("111", "nudges time 08:45")); !strings.Contains(r.Text, "08:45") {
		t.Errorf("nudges time in a DM = %q", r.Text)
	}
	if p, err := f.st.Preferences(ctx, ann); err != nil || p.DeliveryMinute != 8*60+45 {
		t.Errorf("the server's preferences = %+v, %v; want deliveries at 08:45", p, err)
	}

	f.deliverCard(t, ann, "security-basics", "last-odd-message", monday.Add(48*time.Hour))
	if r := b.HandleMessage(ctx, discordDM("111", "reflect A fake invoice")); !strings.Contains(r.Text, "for your eyes only") {
		t.Fatalf("reflect in a DM = %q", r.Text)
	}
	if ev := f.events(t, store.EventReflection); len(ev) != 1 || ev[0].Workspace != "G1" {
		t.Errorf("reflection events = %+v, want one in G1", ev)
	}
	if ws := f.workspacesOf(t, "discord", "111"); !reflect.DeepEqual(ws, []string{"G1"}) {
		t.Errorf("the learner's workspaces = %q, want G1 alone", ws)
	}
}

// A learner in two Discord servers: a command in a direct message goes to
// the server of the nudge it replies to, else of the newest nudge (the
// reply says so); before any nudge, the reply names both servers and
// their tracks, and nothing changes. A thread that is no nudge's is left
// to the rest of Lore.
func TestDiscordDirectMessageInTwoServers(t *testing.T) {
	f := setup(t)
	b := learningBot(t, f)
	ctx := t.Context()
	g1, g2 := discordLearner("G1", "111"), discordLearner("G2", "111")
	if _, err := f.svc.Enrol(ctx, "security-basics", "curator", g1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Enrol(ctx, "leave-and-time-off", "curator", g2); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"answer 2", "nudges pause", "learn"} {
		r := b.HandleMessage(ctx, discordDM("111", text))
		for _, want := range []string{"more than one place", "server `G1`: **Security basics at Quillfeather**", "server `G2`: **Leave and time off**", "Reply to a nudge"} {
			if !strings.Contains(r.Text, want) {
				t.Errorf("%s before any nudge = %q, want %q", text, r.Text, want)
			}
		}
	}
	for _, l := range []store.Learner{g1, g2, discordLearner("", "111")} {
		if _, err := f.st.Preferences(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("preferences of %+v: %v; an unsure command changed them", l, err)
		}
	}

	quiz := f.deliverCard(t, g1, "security-basics", "report-phish", monday.Add(24*time.Hour))
	reflection := f.deliverCard(t, g2, "leave-and-time-off", "planning-rest", monday.Add(48*time.Hour))

	// Unsaid, the newest nudge's server: G2's, which asked no quiz.
	r := b.HandleMessage(ctx, discordDM("111", "answer 2"))
	if !strings.Contains(r.Text, "no unanswered quiz") || !strings.Contains(r.Text, "For server `G2`, where your latest nudge came from") {
		t.Errorf("answer 2 = %q, want G2's (no quiz there) and a note naming it", r.Text)
	}
	// A reply to G1's quiz answers it.
	m := discordDM("111", "answer 2")
	m.Thread = quiz
	if r := b.HandleMessage(ctx, m); !strings.Contains(r.Text, "Right") || strings.Contains(r.Text, "latest nudge") {
		t.Errorf("answer 2 replying to G1's quiz = %q", r.Text)
	}
	if states, _ := f.st.CardStates(ctx, g1, "security-basics"); indexOfCard(states, "report-phish") < 0 || states[indexOfCard(states, "report-phish")].Reps != 1 {
		t.Errorf("G1's report-phish = %+v, want one review", states)
	}
	// A reply in the thread of G2's reflection answers it.
	m = discordDM("111", "Book the summer early")
	m.Thread = reflection
	if r := b.HandleMessage(ctx, m); !strings.Contains(r.Text, "for your eyes only") {
		t.Errorf("reply to G2's reflection = %q", r.Text)
	}
	if ev := f.events(t, store.EventReflection); len(ev) != 1 || ev[0].Workspace != "G2" {
		t.Errorf("reflection events = %+v, want one in G2", ev)
	}
	m.Thread = "some-other-message"
	if _, ok := f.svc.HandleThreadReply(ctx, m); ok {
		t.Error("a reply to a message that is no nudge was taken")
	}
	if ws := f.workspacesOf(t, "discord", "111"); !reflect.DeepEqual(ws, []string{"G2", "G1"}) {
		t.Errorf("the learner's workspaces = %q, want G2 and G1 only", ws)
	}
}

// Learning commands find the server as peer and privacy commands do,
// from all of the person's records: someone who has only a peer profile
// in one server and asked a question in another follows a track from a
// direct message in neither, and is told both; once the question no
// longer names them (an analytics opt-out), in the server of their
// profile.
func TestDiscordDirectMessageFindsTheServerOfAnyRecord(t *testing.T) {
	f := setup(t)
	b := learningBot(t, f)
	ctx := t.Context()
	if err := f.st.PutProfile(ctx, store.Profile{PersonKey: store.PersonKey{Platform: "discord", Workspace: "G1", User: "111"}, UpdatedAt: monday}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordEvent(ctx, store.Event{ID: "q1", Time: monday, Kind: store.EventQuestion, Platform: "discord", Workspace: "G2", User: "111"}); err != nil {
		t.Fatal(err)
	}
	r := b.HandleMessage(ctx, discordDM("111", "learn join security-basics"))
	for _, want := range []string{"more than one place", "server `G1`: no track followed now", "server `G2`: no track followed now"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("learn join with records in two servers = %q, want %q", r.Text, want)
		}
	}
	if es, err := f.st.Enrolments(ctx, store.EnrolmentFilter{}); err != nil || len(es) != 0 {
		t.Errorf("enrolments = %+v, %v; an unsure command made one", es, err)
	}
	// Opted out of analytics, the question no longer names them.
	if _, err := f.st.Forget(ctx, "111", true); err != nil {
		t.Fatal(err)
	}
	if r := b.HandleMessage(ctx, discordDM("111", "learn join security-basics")); !strings.Contains(r.Text, "You're following") {
		t.Fatalf("learn join = %q", r.Text)
	}
	if ws := f.workspacesOf(t, "discord", "111"); !reflect.DeepEqual(ws, []string{"G1"}) {
		t.Errorf("the learner's workspaces = %q, want G1 alone", ws)
	}
	if es, err := f.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &store.Learner{Platform: "discord", Workspace: "G1", User: "111"}}); err != nil || len(es) != 1 {
		t.Errorf("G1's enrolments = %+v, %v; want security-basics", es, err)
	}
}

// Someone Lore knows nowhere gets the usual replies in a direct message,
// and what they start there is kept without a server.
func TestDirectMessageFromAStranger(t *testing.T) {
	f := setup(t)
	b := learningBot(t, f)
	if r := b.HandleMessage(t.Context(), discordDM("999", "answer 2")); r.Text != "You have no unanswered quiz from me. `nudge` sends your next card." {
		t.Errorf("answer 2 = %q", r.Text)
	}
	if r := b.HandleMessage(t.Context(), discordDM("999", "nudges")); !strings.Contains(r.Text, "**Your nudges**: at 09:30") {
		t.Errorf("nudges = %q", r.Text)
	}
	if r := b.HandleMessage(t.Context(), discordDM("999", "learn join security-basics")); !strings.Contains(r.Text, "You're following") {
		t.Errorf("learn join = %q", r.Text)
	}
	if ws := f.workspacesOf(t, "discord", "999"); !reflect.DeepEqual(ws, []string{""}) {
		t.Errorf("the stranger's workspaces = %q, want none named", ws)
	}
}

// A Slack direct message names its workspace: it acts there, whatever the
// person's records elsewhere.
func TestSlackDirectMessageKeepsItsWorkspace(t *testing.T) {
	f := setup(t)
	b := learningBot(t, f)
	t1 := store.Learner{Platform: "slack", Workspace: "T1", User: "U1"}
	t2 := store.Learner{Platform: "slack", Workspace: "T2", User: "U1"}
	for _, l := range []store.Learner{t1, t2} {
		if _, err := f.svc.Enrol(t.Context(), "security-basics", "curator", l); err != nil {
			t.Fatal(err)
		}
	}
	f.deliverCard(t, t1, "security-basics", "report-phish", monday.Add(24*time.Hour))
	dm := bot.Message{Platform: "slack", Workspace: "T2", Channel: "D1", User: "U1", Text: "nudges pause", Direct: true}
	if r := b.HandleMessage(t.Context(), dm); !strings.HasPrefix(r.Text, "Paused.") || strings.Contains(r.Text, "latest nudge") {
		t.Errorf("nudges pause = %q", r.Text)
	}
	if p, err := f.st.Preferences(t.Context(), t2); err != nil || !p.Paused {
		t.Errorf("T2's preferences = %+v, %v; want paused", p, err)
	}
	if _, err := f.st.Preferences(t.Context(), t1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("T1's preferences: %v; want none", err)
	}
}

func indexOfCard(states []store.CardState, cardID string) int {
	for i, s := range states {
		if s.CardID == cardID {
			return i
		}
	}
	return -1
}

// A direct message from an id too long for any store to keep reads as one
// from a person who learns nowhere yet: the tracks are listed and the
// settings shown, as in a channel, rather than the command failing on
// the search for their workspaces.
func TestDirectMessageFromAnOverlongIDIsAnswered(t *testing.T) {
	f := setup(t)
	b := learningBot(t, f)
	long := strings.Repeat("u", store.MaxID+1)
	for _, text := range []string{"learn", "nudges"} {
		r := b.HandleMessage(t.Context(), discordDM(long, text))
		if strings.Contains(r.Text, "Something went wrong") || r.Text == "" {
			t.Errorf("%s in a direct message from an overlong id: %q", text, r.Text)
		}
	}
	if r := b.HandleMessage(t.Context(), discordDM(long, "learn")); !strings.Contains(r.Text, "security-basics") {
		t.Errorf("learn lists no track: %q", r.Text)
	}
}

// slotFrom is the learner's first delivery slot at or after t.
func (f *fixture) slotFrom(t *testing.T, l store.Learner, from time.Time) time.Time {
	t.Helper()
	p, err := f.svc.preferences(t.Context(), l)
	if err != nil {
		t.Fatal(err)
	}
	slot, ok := NextSlot(p, f.svc.shownLocation(t.Context(), p), from)
	if !ok {
		t.Fatalf("%s has no slot after %v", l.User, from)
	}
	return slot
}
