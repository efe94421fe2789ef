package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// dmMessenger takes the peer capability's direct messages.
type dmMessenger struct{ sent []string }

func (m *dmMessenger) SendDirect(_ context.Context, _, workspace string, users []string, r bot.Reply) error {
	m.sent = append(m.sent, workspace+"→"+strings.Join(users, ",")+": "+r.Text)
	return nil
}

// placesBot is the core with the real peer and privacy capabilities over
// one SQLite store, as Lore runs them; questions get no answer, so that
// a colleague is offered.
func placesBot(t *testing.T) (*bot.Bot, *sqlite.Store) {
	t.Helper()
	st := openStore(t)
	clock := func() time.Time { return epoch }
	gen := &ids{}
	ps, err := peers.New(peers.Config{Store: st, Events: st, Messenger: &dmMessenger{}, Clock: clock, NewID: gen.next})
	if err != nil {
		t.Fatal(err)
	}
	k := &fakeKnowledge{answer: func(q string) (knowledge.Answer, error) { return noAnswer(q), nil }}
	b, err := bot.New(bot.Config{Knowledge: k, Events: st, Peers: ps, Privacy: &engagement.PrivacyCommands{Store: st, Clock: clock},
		Clock: clock, NewID: gen.next})
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

func inServer(guild, user, text string) bot.Message {
	return bot.Message{Platform: "discord", Workspace: guild, Channel: "C-" + guild, User: user, Text: text}
}

// discordDM is a direct message to Lore on Discord: it names no server.
func discordDM(user, text string) bot.Message {
	return bot.Message{Platform: "discord", Channel: "dm-" + user, User: user, Text: text, Direct: true}
}

func say(t *testing.T, b *bot.Bot, msg bot.Message, want ...string) bot.Reply {
	t.Helper()
	r := b.HandleMessage(t.Context(), msg)
	for _, w := range want {
		if !strings.Contains(r.Text, w) {
			t.Errorf("%q in %q = %q, want %q", msg.Text, msg.Workspace, r.Text, w)
		}
	}
	return r
}

func profileOf(t *testing.T, st *sqlite.Store, guild, user string) (store.Profile, bool) {
	t.Helper()
	p, err := st.Profile(t.Context(), store.PersonKey{Platform: "discord", Workspace: guild, User: user})
	if errors.Is(err, store.ErrNotFound) {
		return p, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return p, true
}

func requestsIn(t *testing.T, st *sqlite.Store, guild string) []store.PeerRequest {
	t.Helper()
	rs, err := st.Requests(t.Context(), store.RequestFilter{Platform: "discord"})
	if err != nil {
		t.Fatal(err)
	}
	var in []store.PeerRequest
	for _, r := range rs {
		if r.Workspace == guild {
			in = append(in, r)
		}
	}
	return in
}

func eventsOf(t *testing.T, st *sqlite.Store, guild, user string) int {
	t.Helper()
	es, err := st.Events(t.Context(), store.EventFilter{Platform: "discord", User: user})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Workspace == guild {
			n++
		}
	}
	return n
}

// forgetButton is the confirming button of a forget me reply.
func forgetButton(t *testing.T, r bot.Reply) bot.Button {
	t.Helper()
	for _, btn := range r.Buttons {
		if btn.ID == engagement.ActionForgetConfirm {
			return btn
		}
	}
	t.Fatalf("no Forget me button on %q", r.Text)
	return bot.Button{}
}

// A Discord direct message names no server. Someone who uses Lore in one
// server (a profile and questions there) types peer and privacy commands
// in a direct message, and each acts on that server's records: nothing is
// kept outside it.
func TestDiscordDirectMessageActsInThePersonsServer(t *testing.T) {
	b, st := placesBot(t)
	ctx := t.Context()
	say(t, b, inServer("G1", "111", "profile can-help: kubernetes"))
	say(t, b, inServer("G1", "222", "profile can-help: terraform"))
	say(t, b, inServer("G1", "222", "profile available on"))
	say(t, b, inServer("G1", "111", "How do I rotate the VPN key?"))

	say(t, b, discordDM("111", "profile"), "Can help with: kubernetes")
	say(t, b, discordDM("111", "profile team Platform"), "Your team is now Platform.")
	if p, ok := profileOf(t, st, "G1", "111"); !ok || p.Team != "Platform" {
		t.Errorf("G1's profile = %+v, %v; want the team set from the DM", p, ok)
	}
	say(t, b, discordDM("111", "connect terraform"), "These colleagues may help with *terraform*", "1. 222")
	say(t, b, discordDM("111", "who knows terraform?"), "These colleagues may help with *terraform*")
	if rs := requestsIn(t, st, "G1"); len(rs) != 2 || rs[0].Asker != "111" || rs[0].Expert != "222" {
		t.Errorf("G1's requests = %+v, want two suggestions of 222 to 111", rs)
	}
	// A question the knowledge base cannot answer offers a colleague of
	// the server, and "Ask a person" under it finds them.
	r := say(t, b, discordDM("111", "Any tips on terraform modules?"), "A colleague may know")
	var ask bot.Button
	for _, btn := range r.Buttons {
		if btn.ID == bot.ActionAskPerson {
			ask = btn
		}
	}
	press := bot.Action{Platform: "discord", Channel: "dm-111", User: "111", ID: ask.ID, Value: ask.Value}
	if r := b.HandleAction(ctx, press); !strings.Contains(r.Text, "These colleagues may help with") {
		t.Errorf("Ask a person in a DM = %q, want G1's colleague", r.Text)
	}
	if rs := requestsIn(t, st, ""); len(rs) != 0 {
		t.Errorf("requests outside any server = %+v", rs)
	}
	if _, ok := profileOf(t, st, "", "111"); ok {
		t.Error("a profile was kept outside any server")
	}

	say(t, b, discordDM("111", "privacy"), "All of this, wherever I know you: server `G1`.")
	say(t, b, discordDM("111", "optout analytics"), "You are out of analytics.")
	if n := eventsOf(t, st, "G1", "111"); n != 0 {
		t.Errorf("G1 keeps %d events naming 111 after an opt-out from a DM", n)
	}
	say(t, b, discordDM("111", "optin analytics"), "You are back in analytics")

	r = say(t, b, discordDM("111", "forget me"), "This deletes everything I keep about you (in server `G1`, where I know you):")
	btn := forgetButton(t, r)
	done := b.HandleAction(ctx, bot.Action{Platform: "discord", Channel: "dm-111", User: "111", ID: btn.ID, Value: btn.Value})
	if !strings.Contains(done.Text, "Done: I deleted everything I kept about you in server `G1`:") {
		t.Errorf("confirming = %q", done.Text)
	}
	if _, ok := profileOf(t, st, "G1", "111"); ok {
		t.Error("G1's profile of 111 outlived forget me")
	}
	if _, ok := profileOf(t, st, "G1", "222"); !ok {
		t.Error("forget me took 222's profile too")
	}
	if ws, err := st.PersonWorkspaces(ctx, "discord", "111"); err != nil || len(ws) != 0 {
		t.Errorf("111's records after forget me = %+v, %v; want none", ws, err)
	}
}

// sendNudge records a nudge sent to user from guild at sent, as the
// message thread.
func sendNudge(t *testing.T, st *sqlite.Store, guild, user, thread string, sent time.Time) {
	t.Helper()
	d := store.Delivery{ID: "d-" + thread, Learner: store.Learner{Platform: "discord", Workspace: guild, User: user}, Slot: sent}
	// A nudge goes only to someone enrolled in its server.
	if err := st.SaveEnrolment(t.Context(), store.Enrolment{Learner: d.Learner, TrackID: "tips", Status: store.EnrolmentActive, JoinedAt: sent}); err != nil {
		t.Fatal(err)
	}
	claim := store.DeliveryClaim{Token: "a", At: sent, Until: sent.Add(time.Hour)}
	if h, err := st.ClaimDelivery(t.Context(), d, claim); err != nil || !h.Held {
		t.Fatalf("claim %s = %+v, %v", d.ID, h, err)
	}
	if err := st.CompleteDelivery(t.Context(), store.DeliveryDone{ID: d.ID, Claim: "a", Status: store.DeliverySent, At: sent, Thread: thread}); err != nil {
		t.Fatal(err)
	}
}

// Someone with profiles in two Discord servers: a peer command in a
// direct message lists both and changes nothing, until a nudge says
// which (the one replied to, else the newest, which the reply names).
// Help needs no server. Forget me names both servers and forgets both.
func TestDiscordDirectMessageInTwoServers(t *testing.T) {
	b, st := placesBot(t)
	ctx := t.Context()
	say(t, b, inServer("G1", "111", "profile can-help: kubernetes"))
	say(t, b, inServer("G2", "111", "profile can-help: accounting"))
	say(t, b, inServer("G1", "222", "profile can-help: terraform"))
	say(t, b, inServer("G1", "222", "profile available on"))

	for _, text := range []string{"profile", "profile team Platform", "connect terraform", "who knows terraform?"} {
		r := say(t, b, discordDM("111", text), "more than one place", "- server `G1`\n- server `G2`\n", "send the command from that server")
		if !r.Private {
			t.Errorf("%q: the list of servers is not private", text)
		}
	}
	for _, g := range []string{"G1", "G2", ""} {
		if p, ok := profileOf(t, st, g, "111"); ok && p.Team != "" {
			t.Errorf("%q's profile = %+v; an unsure command changed it", g, p)
		}
		if rs := requestsIn(t, st, g); len(rs) != 0 {
			t.Errorf("%q's requests = %+v; an unsure command made them", g, rs)
		}
	}
	say(t, b, discordDM("111", "profile help"), "`profile` shows your profile.")
	say(t, b, discordDM("111", "connect"), "Usage: `connect TOPIC`")

	// A nudge from each; G2's is the newest.
	sendNudge(t, st, "G1", "111", "m-g1", epoch.Add(-2*time.Hour))
	sendNudge(t, st, "G2", "111", "m-g2", epoch.Add(-time.Hour))
	say(t, b, discordDM("111", "profile"), "Can help with: accounting", "_For server `G2`, where your latest nudge came from.")
	reply := discordDM("111", "connect terraform")
	reply.Thread = "m-g1"
	if r := say(t, b, reply, "These colleagues may help with *terraform*"); strings.Contains(r.Text, "latest nudge") {
		t.Errorf("a reply to G1's nudge = %q, want no note", r.Text)
	}
	if rs := requestsIn(t, st, "G1"); len(rs) != 1 || rs[0].Asker != "111" {
		t.Errorf("G1's requests = %+v, want the suggestion to 111", rs)
	}

	r := say(t, b, discordDM("111", "forget me"),
		"This deletes everything I keep about you, in every place where I know you (server `G2` and server `G1`):")
	btn := forgetButton(t, r)
	b.HandleAction(ctx, bot.Action{Platform: "discord", Channel: "dm-111", User: "111", ID: btn.ID, Value: btn.Value})
	for _, g := range []string{"G1", "G2"} {
		if _, ok := profileOf(t, st, g, "111"); ok {
			t.Errorf("%s's profile of 111 outlived forget me", g)
		}
	}
}

// A Slack direct message names its workspace: peer commands act there,
// whatever the person's records elsewhere, without a note, and a forget
// in the only workspace they use reads as it always did.
func TestSlackDirectMessageKeepsItsWorkspace(t *testing.T) {
	b, st := placesBot(t)
	slack := func(team, text string, direct bool) bot.Message {
		return bot.Message{Platform: "slack", Workspace: team, Channel: "D-" + team, User: "U1", Text: text, Direct: direct}
	}
	say(t, b, slack("T1", "profile can-help: kubernetes", false))
	say(t, b, slack("T2", "profile can-help: accounting", false))
	if r := say(t, b, slack("T2", "profile", true), "Can help with: accounting"); strings.Contains(r.Text, "nudge") || strings.Contains(r.Text, "more than one place") {
		t.Errorf("profile in T2's DM = %q", r.Text)
	}
	say(t, b, slack("T2", "profile team Finance", true), "Your team is now Finance.")
	p1, _ := st.Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: "U1"})
	p2, _ := st.Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T2", User: "U1"})
	if p1.Team != "" || p2.Team != "Finance" {
		t.Errorf("teams: T1 %q, T2 %q; want T2's alone set", p1.Team, p2.Team)
	}
	forget := bot.Message{Platform: "slack", Workspace: "T9", Channel: "D9", User: "U9", Text: "forget me", Direct: true}
	say(t, b, bot.Message{Platform: "slack", Workspace: "T9", Channel: "C9", User: "U9", Text: "profile can-help: go"})
	say(t, b, forget, "This deletes everything I keep about you: your questions")
}
