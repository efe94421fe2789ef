package peers_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// asked lists the users Lore messaged on their own (expert requests and
// notes), in order.
func asked(sends []sent) []string {
	var out []string
	for _, s := range sends {
		if len(s.users) == 1 {
			out = append(out, s.users[0])
		}
	}
	return out
}

// TestBlockByMention: a person picked from the list as one types @ arrives
// as a mention, <@U0ANA> on Slack and <@!80351110224678912> on Discord;
// the block holds their user id, so it works.
func TestBlockByMention(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "U0BEN"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true})
	contains(t, "block", f.say(t, "U0BEN", "profile block <@U0ANA>").Text, "You won't be paired with, asked by, or suggested to U0ANA")
	if got := f.profile(t, "U0BEN").Blocked; !slices.Equal(got, []string{"U0ANA"}) {
		t.Fatalf("blocked = %v, want [U0ANA]", got)
	}
	if r := f.say(t, "U0ANA", "connect golang"); strings.Contains(r.Text, "Ben") {
		t.Errorf("U0ANA is offered Ben, who blocked her: %q", r.Text)
	}
	f.say(t, "U0BEN", "profile unblock <@U0ANA|ana>")
	if got := f.profile(t, "U0BEN").Blocked; len(got) != 0 {
		t.Errorf("blocked after unblock = %v", got)
	}
	// A name typed after @ names nobody: it is refused, not stored.
	contains(t, "typed name", f.say(t, "U0BEN", "profile block @ana").Text, "pick them from the list")
	contains(t, "not a mention", f.say(t, "U0BEN", "profile block <@ana>").Text, "is not a mention of a Slack user")
	if got := f.profile(t, "U0BEN").Blocked; len(got) != 0 {
		t.Errorf("a refused block was stored: %v", got)
	}

	discord := bot.Message{Platform: "discord", Workspace: "G1", Channel: "C1", User: "80351110224678911"}
	f.svc.Command(t.Context(), discord, "profile", "block <@!80351110224678912>")
	p, err := f.st.Profile(t.Context(), store.PersonKey{Platform: "discord", Workspace: "G1", User: discord.User})
	if err != nil || !slices.Equal(p.Blocked, []string{"80351110224678912"}) {
		t.Errorf("Discord block = %+v, %v; want the user id", p.Blocked, err)
	}
}

// TestBlockStoredAsMentionHolds: blocks made by mention before mentions
// were read hold the mention as typed; they count, and unblocking by
// mention removes them.
func TestBlockStoredAsMentionHolds(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "U0BEN"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true, Blocked: []string{"<@U0ANA>"}})
	if r := f.say(t, "U0ANA", "connect golang"); strings.Contains(r.Text, "Ben") {
		t.Errorf("U0ANA is offered Ben, who blocked her: %q", r.Text)
	}
	contains(t, "show", f.say(t, "U0BEN", "profile").Text, "Blocked: U0ANA")
	f.say(t, "U0BEN", "profile unblock <@U0ANA>")
	if got := f.profile(t, "U0BEN").Blocked; len(got) != 0 {
		t.Errorf("blocked after unblock = %v", got)
	}
}

// TestBlockAfterSuggestionStopsTheRequest: a block made, either way, after
// the suggestion stops the Ask button; made after the expert was asked, it
// stops the introduction.
func TestBlockAfterSuggestionStopsTheRequest(t *testing.T) {
	for _, c := range []struct{ who, whom string }{{"ben", "ana"}, {"ana", "ben"}} {
		t.Run(c.who+" blocks "+c.whom, func(t *testing.T) {
			f := setup(t, nil)
			f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true})
			r := f.say(t, "ana", "connect golang")
			if len(r.Buttons) != 1 {
				t.Fatalf("suggestions = %+v", r)
			}
			f.say(t, c.who, "profile block "+c.whom)
			contains(t, "ask", f.press(t, "ana", r.Buttons[0]).Text, "isn't taking requests")
			if sends := f.msgr.take(); len(sends) != 0 {
				t.Errorf("ben was messaged on ana's behalf after a block: %+v", sends)
			}
		})
		t.Run(c.who+" blocks "+c.whom+" after the ask", func(t *testing.T) {
			f := setup(t, nil)
			f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true})
			r := f.say(t, "ana", "connect golang")
			f.press(t, "ana", r.Buttons[0])
			dm := f.msgr.take()
			if len(dm) != 1 {
				t.Fatalf("expert DM = %+v", dm)
			}
			f.say(t, c.who, "profile block "+c.whom)
			contains(t, "accept", f.press(t, "ben", dm[0].reply.Buttons[0]).Text, "no longer open")
			if sends := f.msgr.take(); len(sends) != 0 {
				t.Errorf("introduced after a block: %+v", sends)
			}
			if req, _ := f.st.Request(t.Context(), r.Buttons[0].Value); req.Status != store.RequestDeclined {
				t.Errorf("request after a block = %q, want declined", req.Status)
			}
		})
	}
}

// TestWeeklyCapCountsWhenAsked: the cap counts the requests an expert was
// asked in the last seven days, not the suggestions made then, and a
// suggestion older than a week has expired.
func TestWeeklyCapCountsWhenAsked(t *testing.T) {
	f := setup(t, nil) // weekly cap 2
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true})
	buttons := map[string]bot.Button{}
	for _, u := range []string{"a1", "a2", "a3", "a4"} {
		r := f.say(t, u, "connect golang")
		if len(r.Buttons) != 1 {
			t.Fatalf("%s: %+v", u, r)
		}
		buttons[u] = r.Buttons[0]
	}
	// Six days later two are pressed: ben is asked twice, the cap.
	f.clock.add(6 * 24 * time.Hour)
	for _, u := range []string{"a1", "a2"} {
		contains(t, u+" asks", f.press(t, u, buttons[u]).Text, "I've asked Ben")
	}
	contains(t, "a3 over the cap", f.press(t, "a3", buttons["a3"]).Text, "isn't taking requests")
	// Two days later the requests were made eight days ago but asked two
	// days ago: ben is still at the cap.
	f.clock.add(2 * 24 * time.Hour)
	if r := f.say(t, "a5", "connect golang"); len(r.Buttons) != 0 {
		t.Errorf("ben suggested although asked twice in two days: %+v", r)
	}
	// The eight-day-old suggestion has expired.
	contains(t, "old suggestion", f.press(t, "a4", buttons["a4"]).Text, "expired", "connect golang")
	if got := asked(f.msgr.take()); !slices.Equal(got, []string{"ben", "ben"}) {
		t.Errorf("messages to %v, want ben asked twice", got)
	}
	// A week after the asks, ben may be asked again.
	f.clock.add(6 * 24 * time.Hour)
	if r := f.say(t, "a5", "connect golang"); len(r.Buttons) != 1 {
		t.Errorf("a week after the asks: %+v", r)
	}
}

// racingStore runs during once, in the middle of the first count of
// requests, as a second press of the same button would interleave.
type racingStore struct {
	*sqlite.Store
	during func()
}

func (s *racingStore) Requests(ctx context.Context, f store.RequestFilter) ([]store.PeerRequest, error) {
	if d := s.during; d != nil {
		s.during = nil
		d()
	}
	return s.Store.Requests(ctx, f)
}

// TestTwoPressesOnAskAskOnce: a second press of "Ask" that runs while the
// first is between reading the request and moving it on does not message
// the expert a second time.
func TestTwoPressesOnAskAskOnce(t *testing.T) {
	f := setup(t, nil)
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"golang"}, Available: true})
	r := f.say(t, "ana", "connect golang")
	racing := &racingStore{Store: f.st}
	svc, err := peers.New(peers.Config{Store: racing, Events: f.st, Messenger: f.msgr, WeeklyCap: 2, Clock: f.clock.now,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil)), NewID: func() string { f.ids++; return fmt.Sprintf("id%03d", f.ids) }})
	if err != nil {
		t.Fatal(err)
	}
	press := bot.Action{Platform: "slack", Workspace: "T1", Channel: "C1", User: "ana", ID: r.Buttons[0].ID, Value: r.Buttons[0].Value}
	var second bot.Reply
	racing.during = func() { second, _ = svc.Action(t.Context(), press) }
	first, _ := svc.Action(t.Context(), press)
	if got := asked(f.msgr.take()); len(got) != 1 {
		t.Errorf("ben was messaged %d times for one request (replies %q and %q)", len(got), first.Text, second.Text)
	}
	contains(t, "replies", first.Text+" | "+second.Text, "I've asked Ben", "I've already asked them")
}

type noKnowledge struct{}

func (noKnowledge) Ask(_ context.Context, q string) (knowledge.Answer, error) {
	return knowledge.Answer{Question: q, Text: knowledge.NoAnswerText}, nil
}

// "who knows TOPIC?" takes TOPIC as a topic, whatever its first word: an
// admin asking "who can help with rounds on Monday?" is shown colleagues,
// and no command word in the topic ("rounds", "help") changes a pairing
// schedule or shows a usage text.
func TestWhoKnowsTakesItsTopicAsText(t *testing.T) {
	f := setup(t, nil)
	b, err := bot.New(bot.Config{Knowledge: noKnowledge{}, Events: f.st, Peers: f.svc})
	if err != nil {
		t.Fatal(err)
	}
	f.putProfile(t, store.Profile{PersonKey: store.PersonKey{User: "ben"}, Name: "Ben", CanHelp: []string{"funding rounds"}, Available: true})
	contains(t, "who can help with rounds on Monday?", b.HandleMessage(t.Context(), msg("admin", "who can help with rounds on Monday?")).Text,
		"These colleagues may help with *rounds on Monday*", "Ben")
	for _, text := range []string{"who knows rounds off?", "who knows help"} {
		r := b.HandleMessage(t.Context(), msg("admin", text))
		if !strings.Contains(r.Text, "These colleagues may help") && !strings.Contains(r.Text, "I don't know anyone available") {
			t.Errorf("%s = %q, want colleagues who know it, or none", text, r.Text)
		}
	}
	if cs, _ := f.st.RoundConfigs(t.Context()); len(cs) != 0 {
		t.Errorf("a question changed the pairing schedule: %+v", cs)
	}
}
