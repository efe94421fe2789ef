package peers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// sent is one message the fake messenger was asked to send.
type sent struct {
	users []string
	reply bot.Reply
}

// fakeMessenger records what it sends; fail makes it refuse.
type fakeMessenger struct {
	mu   sync.Mutex
	sent []sent
	fail error
}

func (m *fakeMessenger) SendDirect(_ context.Context, _, _ string, users []string, r bot.Reply) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, sent{slices.Clone(users), r})
	return nil
}

func (m *fakeMessenger) take() []sent {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.sent
	m.sent = nil
	return out
}

type fakeRoster map[string][]string

func (r fakeRoster) ChannelMembers(_ context.Context, _, _, channel string) ([]string, error) {
	m, ok := r[channel]
	if !ok {
		return nil, errors.New("no such channel")
	}
	return m, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time                  { return c.t }
func (c *clock) add(d time.Duration)             { c.t = c.t.Add(d) }
func (c *clock) set(t time.Time)                 { c.t = t }
func (c *clock) since(d time.Duration) time.Time { return c.t.Add(-d) }

type fixture struct {
	st    *sqlite.Store
	svc   *peers.Service
	msgr  *fakeMessenger
	clock *clock
	logs  *bytes.Buffer
	ids   int
}

// Monday 2 November 2026, 08:00 UTC.
var start = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func setup(t *testing.T, roster peers.Roster) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, msgr: &fakeMessenger{}, clock: &clock{start}, logs: &bytes.Buffer{}}
	svc, err := peers.New(peers.Config{
		Store: st, Events: st, Messenger: f.msgr, Roster: roster,
		Admins: []string{"slack/admin"}, WeeklyCap: 2, Audit: st,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil)), Clock: f.clock.now,
		NewID: func() string { f.ids++; return fmt.Sprintf("id%03d", f.ids) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func msg(user, text string) bot.Message {
	return bot.Message{Platform: "slack", Workspace: "T1", Channel: "C1", User: user, Text: text}
}

// say sends "profile ..." or "connect ..." as the bot routes it.
func (f *fixture) say(t *testing.T, user, text string) bot.Reply {
	t.Helper()
	cmd, rest, _ := strings.Cut(text, " ")
	return f.svc.Command(t.Context(), msg(user, text), cmd, rest)
}

func (f *fixture) press(t *testing.T, user string, b bot.Button) bot.Reply {
	t.Helper()
	r, ok := f.svc.Action(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", Channel: "C1", User: user, ID: b.ID, Value: b.Value})
	if !ok {
		t.Fatalf("button %s not handled", b.ID)
	}
	return r
}

func (f *fixture) profile(t *testing.T, user string) store.Profile {
	t.Helper()
	p, err := f.st.Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: user})
	if err != nil {
		t.Fatalf("profile of %s: %v", user, err)
	}
	return p
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}

func TestProfileDeclareShowAndChange(t *testing.T) {
	f := setup(t, nil)
	r := f.say(t, "ana", "profile can-help: Go, negotiation and K8s")
	contains(t, "reply", r.Text, "golang, negotiation, kubernetes", "profile available on")
	if !r.Private {
		t.Error("profile replies should be private")
	}
	f.say(t, "ana", "profile learning: public speaking")
	f.say(t, "ana", "profile available on")
	f.say(t, "ana", "profile team Payments")
	f.say(t, "ana", "profile hours 08:00-16:00")
	f.say(t, "ana", "profile timezone Europe/Lisbon")
	p := f.profile(t, "ana")
	if !slices.Equal(p.CanHelp, []string{"golang", "negotiation", "kubernetes"}) || !slices.Equal(p.Learning, []string{"public speaking"}) ||
		!p.Available || p.Team != "Payments" || p.WorkStart != 480 || p.WorkEnd != 960 || p.TimeZone != "Europe/Lisbon" {
		t.Fatalf("profile = %+v", p)
	}
	show := f.say(t, "ana", "profile")
	contains(t, "show", show.Text, "golang, negotiation, kubernetes", "public speaking", "Help requests: on", "08:00-16:00 Europe/Lisbon", "Inferred skills: off")

	f.say(t, "ana", "profile can help:")
	if p := f.profile(t, "ana"); len(p.CanHelp) != 0 {
		t.Errorf("empty can-help kept %v", p.CanHelp)
	}
	f.say(t, "ana", "profile snooze 2w")
	if p := f.profile(t, "ana"); !p.SnoozedUntil.Equal(start.AddDate(0, 0, 14)) {
		t.Errorf("snoozed until %v", p.SnoozedUntil)
	}
	f.say(t, "ana", "profile skip-rounds 3d")
	if p := f.profile(t, "ana"); !p.SkipRoundsUntil.Equal(start.AddDate(0, 0, 3)) {
		t.Errorf("skip rounds until %v", p.SkipRoundsUntil)
	}
	f.say(t, "ana", "profile block ben")
	if p := f.profile(t, "ana"); !slices.Equal(p.Blocked, []string{"ben"}) {
		t.Errorf("blocked = %v", p.Blocked)
	}
	f.say(t, "ana", "profile unblock ben")
	if p := f.profile(t, "ana"); len(p.Blocked) != 0 {
		t.Errorf("blocked after unblock = %v", p.Blocked)
	}
}

func TestProfileBadInputChangesNothing(t *testing.T) {
	f := setup(t, nil)
	f.say(t, "ana", "profile can-help: go")
	for _, tc := range []struct{ text, want string }{
		{"profile frobnicate", "I don't know `profile frobnicate`"},
		{"profile available maybe", "Usage"},
		{"profile snooze forever", "Usage"},
		{"profile snooze 900d", "Usage"},
		{"profile hours 9-5", "Usage"},
		{"profile timezone Mars/Olympus", "time zone"},
		{"profile timezone Local", "time zone"},
		{"profile can-help: " + strings.Repeat("x", 80), "at most 60"},
		{"profile learning: " + manySkills(40), "at most 30"},
		{"profile block ana", "yourself"},
		{"profile remove cooking", "not in your profile"},
		{"profile name " + strings.Repeat("n", 200), "too long"},
	} {
		r := f.say(t, "ana", tc.text)
		contains(t, tc.text, r.Text, tc.want)
	}
	if p := f.profile(t, "ana"); !slices.Equal(p.CanHelp, []string{"golang"}) || p.Name != "" || p.TimeZone != "" || p.WorkEnd != 0 {
		t.Errorf("bad input changed the profile: %+v", p)
	}
	// Invalid UTF-8 is dropped by the normaliser, never stored.
	f.say(t, "ana", "profile learning: sq\xffl")
	if p := f.profile(t, "ana"); !slices.Equal(p.Learning, []string{"sql"}) {
		t.Errorf("learning = %q", p.Learning)
	}
}

// A usage hint quotes only the command as code, and clearing a name or a
// team says so.
func TestProfileUsageAndClearingRead(t *testing.T) {
	f := setup(t, nil)
	for _, c := range []string{"snooze", "skip-rounds"} {
		r := f.say(t, "ana", "profile "+c+" forever")
		contains(t, c, r.Text, "`off`", "at most a year")
		if strings.Contains(r.Text, "(a number") || strings.Contains(r.Text, "or off)`") {
			t.Errorf("%s: %q puts the explanation inside the command", c, r.Text)
		}
	}
	f.say(t, "ana", "profile team Payments")
	contains(t, "team cleared", f.say(t, "ana", "profile team").Text, "Your team is cleared.")
	contains(t, "name set", f.say(t, "ana", "profile name Ana Lima").Text, "Your name is now Ana Lima.")
	contains(t, "name cleared", f.say(t, "ana", "profile name ").Text, "Your name is cleared.")
}

func TestProfileDeleteNeedsConfirmation(t *testing.T) {
	f := setup(t, nil)
	f.say(t, "ana", "profile can-help: go")
	r := f.say(t, "ana", "profile delete")
	if len(r.Buttons) != 1 {
		t.Fatalf("delete reply = %+v, want one confirmation button", r)
	}
	f.profile(t, "ana") // still there
	if r := f.press(t, "ben", r.Buttons[0]); !strings.Contains(r.Text, "someone else") {
		t.Errorf("ben pressing ana's delete: %q", r.Text)
	}
	f.profile(t, "ana")
	contains(t, "confirmed delete", f.press(t, "ana", r.Buttons[0]).Text, "deleted")
	if _, err := f.st.Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: "ana"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("profile after delete: %v", err)
	}
}

func TestInferredSkillsNeedConsentAndCanBeRemoved(t *testing.T) {
	f := setup(t, nil)
	doc := store.Document{ID: "d1", Collection: "c", Source: "/vpn.md", Title: "VPN", Tags: []string{"vpn", "networking"}, Owner: "ana", ContentHash: "h"}
	if err := f.st.ReplaceDocument(t.Context(), doc, nil); err != nil {
		t.Fatal(err)
	}
	f.say(t, "ana", "profile can-help: go")
	if p := f.profile(t, "ana"); len(p.Inferred) != 0 {
		t.Fatalf("inferred without consent: %v", p.Inferred)
	}
	r := f.say(t, "ana", "profile infer on")
	contains(t, "infer on", r.Text, "vpn, networking")
	f.say(t, "ana", "profile remove vpn")
	p := f.profile(t, "ana")
	if !slices.Equal(p.Inferred, []string{"networking"}) || !slices.Equal(p.Dismissed, []string{"vpn"}) {
		t.Fatalf("after remove: inferred %v dismissed %v", p.Inferred, p.Dismissed)
	}
	// A refresh (show) does not bring a dismissed skill back.
	contains(t, "show", f.say(t, "ana", "profile").Text, "Inferred from your engagement: networking")
	if p := f.profile(t, "ana"); slices.Contains(p.Inferred, "vpn") {
		t.Errorf("dismissed skill inferred again: %v", p.Inferred)
	}
	// A completed track with a high score adds its skills; a low one not.
	who := store.PersonKey{Platform: "slack", Workspace: "T1", User: "ana"}
	if changed, err := f.svc.InferFromTrack(t.Context(), who, []string{"SQL"}, 0.5); err != nil || changed {
		t.Errorf("low score: changed %v err %v", changed, err)
	}
	if changed, err := f.svc.InferFromTrack(t.Context(), who, []string{"SQL", "vpn"}, 0.9); err != nil || !changed {
		t.Errorf("high score: changed %v err %v", changed, err)
	}
	if p := f.profile(t, "ana"); !slices.Equal(p.Inferred, []string{"networking", "sql"}) {
		t.Errorf("inferred after track = %v", p.Inferred)
	}
	f.say(t, "ana", "profile infer off")
	if p := f.profile(t, "ana"); len(p.Inferred) != 0 || p.InferConsent {
		t.Errorf("consent withdrawn but inferred kept: %+v", p)
	}
	if changed, _ := f.svc.InferFromTrack(t.Context(), who, []string{"rust"}, 1); changed {
		t.Error("track inferred without consent")
	}
}

// putProfile stores a profile of workspace T1.
func (f *fixture) putProfile(t *testing.T, p store.Profile) {
	t.Helper()
	p.Platform, p.Workspace = "slack", "T1"
	if err := f.st.PutProfile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
}

func TestRankBySkillHelpfulnessHoursAndLoad(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "asker"}, TimeZone: "Europe/Paris"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "declared"}, Name: "Dee", CanHelp: []string{"kubernetes"}, Available: true, TimeZone: "Europe/Berlin"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "farzone"}, CanHelp: []string{"kubernetes"}, Available: true, TimeZone: "Pacific/Auckland"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "inferred"}, Inferred: []string{"kubernetes"}, InferConsent: true, Available: true, TimeZone: "Europe/Paris"})
	// The inferred skill comes from a document the person owns; it is
	// inferred again before it is shown.
	if err := f.st.ReplaceDocument(t.Context(), store.Document{ID: "k8s", Collection: "handbook", Source: "k8s.md", Tags: []string{"kubernetes"}, Owner: "inferred", ContentHash: "h"}, nil); err != nil {
		t.Fatal(err)
	}
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "noconsent"}, Inferred: []string{"kubernetes"}, Available: true})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "optout"}, CanHelp: []string{"kubernetes"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "snoozed"}, CanHelp: []string{"kubernetes"}, Available: true, SnoozedUntil: start.Add(time.Hour)})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "blocker"}, CanHelp: []string{"kubernetes"}, Available: true, Blocked: []string{"asker"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "busy"}, CanHelp: []string{"kubernetes"}, Available: true, TimeZone: "Europe/Paris"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "other"}, CanHelp: []string{"sql"}, Available: true})
	// busy was asked twice this week: the cap (2) is reached.
	for i := range 2 {
		f.st.PutRequest(t.Context(), store.PeerRequest{ID: fmt.Sprint("busy", i), Platform: "slack", Workspace: "T1", Asker: "x", Expert: "busy", Topic: "k8s", Status: store.RequestAccepted, CreatedAt: start.Add(-time.Hour)})
	}
	// farzone helped three people last month: helpfulness, not load.
	for i := range 3 {
		f.st.PutRequest(t.Context(), store.PeerRequest{ID: fmt.Sprint("far", i), Platform: "slack", Workspace: "T1", Asker: "x", Expert: "farzone", Topic: "k8s", Status: store.RequestAccepted, CreatedAt: start.AddDate(0, 0, -20)})
	}
	cands, err := f.svc.Rank(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: "asker"}, "How do I debug k8s networking?", 5)
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, c := range cands {
		users = append(users, c.Profile.User)
	}
	// declared: full skill + hours; farzone: full skill + helpful, no
	// shared hours; inferred: 0.8 skill + hours.
	if want := []string{"declared", "farzone", "inferred"}; !slices.Equal(users, want) {
		t.Fatalf("ranked %v, want %v", users, want)
	}
	contains(t, "reasons of farzone", strings.Join(cands[1].Reasons, "; "), "says they can help with kubernetes", "helped 3 colleagues recently")
	contains(t, "reasons of declared", strings.Join(cands[0].Reasons, "; "), "works hours like yours", "not asked this week")
	contains(t, "reasons of inferred", strings.Join(cands[2].Reasons, "; "), "from their work here")
}

func TestConnectAskAcceptIntroduces(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ana"}, Name: "Ana"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "cy"}, Name: "Cy", CanHelp: []string{"golang"}, Available: true})
	r := f.say(t, "ana", "connect go generics")
	if len(r.Buttons) != 2 {
		t.Fatalf("connect reply = %+v, want two suggestions", r)
	}
	contains(t, "suggestions", r.Text, "Ben", "Cy", "says they can help with golang")
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Fatalf("nobody is messaged before the asker picks: %+v", sends)
	}
	if got := f.press(t, "cy", r.Buttons[0]); !strings.Contains(got.Text, "someone else") {
		t.Errorf("another user pressing Ask: %q", got.Text)
	}
	ask := f.press(t, "ana", r.Buttons[0])
	contains(t, "ask", ask.Text, "I've asked Ben")
	sends := f.msgr.take()
	if len(sends) != 1 || !slices.Equal(sends[0].users, []string{"ben"}) || len(sends[0].reply.Buttons) != 2 {
		t.Fatalf("expert DM = %+v", sends)
	}
	contains(t, "expert DM", sends[0].reply.Text, "Ana would like help with *go generics*")
	accept := sends[0].reply.Buttons[0]
	if accept.ID != peers.ActionAccept {
		t.Fatalf("first button %s", accept.ID)
	}
	if got := f.press(t, "ana", accept); !strings.Contains(got.Text, "someone else") {
		t.Errorf("asker accepting for the expert: %q", got.Text)
	}
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Fatalf("introduced before the expert accepted: %+v", sends)
	}
	contains(t, "accept", f.press(t, "ben", accept).Text, "started a conversation")
	sends = f.msgr.take()
	if len(sends) != 1 || !slices.Equal(sends[0].users, []string{"ana", "ben"}) {
		t.Fatalf("introduction = %+v", sends)
	}
	contains(t, "intro", sends[0].reply.Text, "Ana, meet Ben", "go generics")
	contains(t, "second accept", f.press(t, "ben", accept).Text, "already accepted")
	if sends := f.msgr.take(); len(sends) != 0 {
		t.Errorf("a second press introduced again: %+v", sends)
	}
	req, err := f.st.Request(t.Context(), accept.Value)
	if err != nil || req.Status != store.RequestAccepted {
		t.Errorf("request = %+v, %v", req, err)
	}
	evs, _ := f.st.Events(t.Context(), store.EventFilter{})
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, store.EventExpertAsked) || !slices.Contains(kinds, store.EventIntroMade) {
		t.Errorf("events = %v", kinds)
	}
}

func TestDeclineTellsAskerAndCountsTowardsCap(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, CanHelp: []string{"sql"}, Available: true})
	for i, asker := range []string{"ana", "cy", "dee"} {
		r := f.say(t, asker, "connect sql")
		if i == 2 {
			// Two requests this week: ben reached the cap of 2.
			if len(r.Buttons) != 0 {
				t.Fatalf("ben suggested over the weekly cap: %+v", r)
			}
			break
		}
		f.press(t, asker, r.Buttons[0])
		dm := f.msgr.take()[0].reply
		contains(t, "decline", f.press(t, "ben", dm.Buttons[1]).Text, "let them know")
		note := f.msgr.take()
		if len(note) != 1 || !slices.Equal(note[0].users, []string{asker}) {
			t.Fatalf("asker not told of the decline: %+v", note)
		}
		contains(t, "decline note", note[0].reply.Text, "can't help with *sql*")
	}
	// A week later ben can be asked again.
	f.clock.add(8 * 24 * time.Hour)
	if r := f.say(t, "dee", "connect sql"); len(r.Buttons) != 1 {
		t.Errorf("a week later: %+v", r)
	}
}

func TestFailedDirectMessageLosesNothing(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, CanHelp: []string{"sql"}, Available: true})
	r := f.say(t, "ana", "connect sql")
	f.msgr.fail = errors.New("slack: rate limited")
	contains(t, "ask while down", f.press(t, "ana", r.Buttons[0]).Text, "couldn't reach")
	if req, _ := f.st.Request(t.Context(), r.Buttons[0].Value); req.Status != store.RequestSuggested {
		t.Fatalf("failed ask left status %q", req.Status)
	}
	f.msgr.fail = nil
	contains(t, "retry", f.press(t, "ana", r.Buttons[0]).Text, "I've asked")
	accept := f.msgr.take()[0].reply.Buttons[0]
	f.msgr.fail = errors.New("down")
	contains(t, "accept while down", f.press(t, "ben", accept).Text, "couldn't start")
	f.msgr.fail = nil
	contains(t, "accept retried", f.press(t, "ben", accept).Text, "started a conversation")
}

func TestConnectUsageAndUnknownButtons(t *testing.T) {
	f := setup(t, nil)
	contains(t, "empty connect", f.say(t, "ana", "connect").Text, "Usage")
	contains(t, "nobody", f.say(t, "ana", "connect quantum knitting").Text, "don't know anyone")
	for _, id := range []string{peers.ActionAsk, peers.ActionAccept, peers.ActionMetYes} {
		contains(t, id, f.press(t, "ana", bot.Button{ID: id, Value: "nope"}).Text, "can't find")
	}
	if _, ok := f.svc.Action(t.Context(), bot.Action{ID: bot.ActionHelpful}); ok {
		t.Error("peers claimed a button it does not own")
	}
	// A topic with a mention is kept as text; escaping is the adapter's.
	r := f.say(t, "ana", "connect "+strings.Repeat("go ", 400))
	contains(t, "long topic", r.Text, "don't know anyone")
}

func TestAskPersonRoutesTheAnswersQuestion(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"vpn"}, Available: true})
	if err := f.st.RecordEvent(t.Context(), store.Event{ID: "a1", Time: start.Add(-time.Minute), Kind: store.EventAnswer, Platform: "slack", Workspace: "T1", Channel: "C1", User: "ana", Question: "Why does the VPN drop at night?"}); err != nil {
		t.Fatal(err)
	}
	r := f.svc.AskPerson(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", Channel: "C1", User: "ana", ID: bot.ActionAskPerson, Value: "a1"})
	contains(t, "ask a person", r.Text, "Ben", "Why does the VPN drop at night?")
	if len(r.Buttons) != 1 {
		t.Fatalf("buttons = %+v", r.Buttons)
	}
	r = f.svc.AskPerson(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", Channel: "C1", User: "ana", ID: bot.ActionAskPerson, Value: "missing"})
	contains(t, "unknown answer", r.Text, "connect TOPIC")
	if got := f.svc.Offer(t.Context(), msg("ana", ""), "is the vpn down?"); !strings.Contains(got, "Ask a person") {
		t.Errorf("offer = %q", got)
	}
	if got := f.svc.Offer(t.Context(), msg("ana", ""), "what is for lunch?"); got != "" {
		t.Errorf("offer with nobody = %q", got)
	}
}

func TestStoreFailureIsReportedNotHidden(t *testing.T) {
	f := setup(t, nil)
	f.st.Close()
	r := f.say(t, "ana", "profile can-help: go")
	contains(t, "closed store", r.Text, "nothing was changed")
	if !strings.Contains(f.logs.String(), "peers: loading a profile failed") {
		t.Errorf("log = %q", f.logs.String())
	}
}

func manySkills(n int) string {
	var l []string
	for i := range n {
		l = append(l, fmt.Sprintf("skill%d", i))
	}
	return strings.Join(l, ", ")
}

func TestUserTextCannotMentionEveryone(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ana"}, Name: "Ana <!channel>"})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "@here Ben", CanHelp: []string{"sql"}, Available: true})
	r := f.say(t, "ana", "connect sql for @everyone <@U999>")
	f.press(t, "ana", r.Buttons[0])
	sends := f.msgr.take()
	for _, text := range []string{r.Text, r.Buttons[0].Label, sends[0].reply.Text} {
		for _, bad := range []string{"@everyone", "@here", "<!channel>", "<@U999>"} {
			if strings.Contains(text, bad) {
				t.Errorf("%q reaches a chat platform in %q", bad, text)
			}
		}
	}
	contains(t, "expert DM", sends[0].reply.Text, "Ana ‹!channel>", "sql for @\u200deveryone")
}

func TestProfileHistoryShowsAndDeleteForgets(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"ana", "ben"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, CanHelp: []string{"sql"}, Available: true})
	r := f.say(t, "ana", "connect sql joins")
	f.press(t, "ana", r.Buttons[0])
	if err := f.st.PutRoundConfig(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RunRound(t.Context(), weekly("C1")); err != nil {
		t.Fatal(err)
	}
	contains(t, "ana's history", f.say(t, "ana", "profile history").Text, "you asked ben about *sql joins* (pending)", "2 Nov 2026 in C1, with ben")
	contains(t, "ben's history", f.say(t, "ben", "profile history").Text, "ana asked you about *sql joins* (pending)")
	f.say(t, "ana", "profile delete yes")
	h := f.say(t, "ana", "profile history").Text
	if strings.Count(h, "none") != 2 {
		t.Errorf("history after delete:\n%s", h)
	}
}

// pressIn presses b as user in workspace ("" as in a Discord direct
// message, which names no server).
func (f *fixture) pressIn(t *testing.T, workspace, user string, b bot.Button) bot.Reply {
	t.Helper()
	r, ok := f.svc.Action(t.Context(), bot.Action{Platform: "slack", Workspace: workspace, Channel: "D1", User: user, ID: b.ID, Value: b.Value})
	if !ok {
		t.Fatalf("button %s not handled", b.ID)
	}
	return r
}

// A press in a direct message that names no workspace (Discord's) acts on
// the presser's own request, round or profile of the workspace where it
// began; someone else's, or another workspace's when the press names one,
// stays refused.
func TestPressesWithoutWorkspace(t *testing.T) {
	f := setup(t, fakeRoster{"C1": {"ana", "ben"}})
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"vpn"}, Available: true})
	r := f.say(t, "ana", "connect vpn")
	if len(r.Buttons) != 1 {
		t.Fatalf("connect = %+v", r)
	}
	contains(t, "ask from a DM", f.pressIn(t, "", "ana", r.Buttons[0]).Text, "I've asked")
	accept := f.msgr.take()[0].reply.Buttons[0]
	contains(t, "someone else's accept", f.pressIn(t, "", "cy", accept).Text, "someone else")
	contains(t, "accept in another workspace", f.pressIn(t, "T2", "ben", accept).Text, "can't find")
	contains(t, "accept from a DM", f.pressIn(t, "", "ben", accept).Text, "started a conversation")
	if sends := f.msgr.take(); len(sends) != 1 || len(sends[0].users) != 2 {
		t.Fatalf("introductions = %+v", sends)
	}

	sends := f.startRound(t)
	if len(sends) != 1 {
		t.Fatalf("check-ins = %+v", sends)
	}
	f.pressIn(t, "", "ana", sends[0].reply.Buttons[0])
	contains(t, "someone else's check-in", f.pressIn(t, "", "cy", sends[0].reply.Buttons[0]).Text, "weren't in a group")
	if met, _ := f.st.Events(t.Context(), store.EventFilter{Kind: store.EventMet}); len(met) != 1 || met[0].User != "ana" || met[0].Workspace != "T1" {
		t.Errorf("met events = %+v, want ana's in T1", met)
	}

	del := f.say(t, "ben", "profile delete").Buttons[0]
	contains(t, "someone else's delete", f.pressIn(t, "", "ana", del).Text, "someone else")
	contains(t, "delete from another workspace", f.pressIn(t, "T2", "ben", del).Text, "someone else")
	f.profile(t, "ben")
	contains(t, "delete from a DM", f.pressIn(t, "", "ben", del).Text, "deleted")
	if _, err := f.st.Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: "ben"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ben's profile after a delete pressed in a DM: %v", err)
	}
}
