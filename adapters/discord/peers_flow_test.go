package discord

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// sentDirect records the direct messages the peer capability sent.
type sentDirect struct {
	mu   sync.Mutex
	sent []directSent
}

type directSent struct {
	workspace string
	users     []string
	reply     bot.Reply
}

func (s *sentDirect) SendDirect(_ context.Context, _, workspace string, users []string, reply bot.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, directSent{workspace, users, reply})
	return nil
}

func (s *sentDirect) all() []directSent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]directSent(nil), s.sent...)
}

// peersBot is the real core over the handbook with the peer capability,
// and Bea (7777) available to help with annual leave in the test guild,
// and the further profiles given.
func peersBot(t *testing.T, more ...store.Profile) (*bot.Bot, *sentDirect) {
	t.Helper()
	_, any := handbookBot(t)
	st := any.(*sqlite.Store)
	dm := &sentDirect{}
	svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: dm})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]store.Profile{{
		PersonKey: store.PersonKey{Platform: Platform, Workspace: testGuild, User: "7777"},
		Name:      "Bea", CanHelp: []string{"annual leave"}, Available: true,
	}}, more...) {
		if err := st.PutProfile(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	b, err := bot.New(bot.Config{Knowledge: knowledge.New(st, knowledge.Options{}), Events: st, Peers: svc})
	if err != nil {
		t.Fatal(err)
	}
	return b, dm
}

// lastFollowUp is the content of the newest follow-up, and the custom ids
// of its buttons.
func lastFollowUp(t *testing.T, f *fakeDiscord, n int) (string, []string) {
	t.Helper()
	fu := f.waitFor(t, n, http.MethodPost, reFollowup)
	m := fu[n-1].json(t)
	content, _ := m["content"].(string)
	return content, customIDs(fu[n-1].Body)
}

var reCustomID = regexp.MustCompile(`"custom_id":"([^"]+)"`)

func customIDs(body []byte) []string {
	var ids []string
	for _, m := range reCustomID.FindAllSubmatch(body, -1) {
		ids = append(ids, string(m[1]))
	}
	return ids
}

func buttonPress(id int, channel, customID string, guild bool, user string) map[string]any {
	p := interactionPayload(id, int(discordgo.InteractionMessageComponent), map[string]any{"custom_id": customID, "component_type": 2})
	p["channel_id"] = channel
	if !guild {
		delete(p, "guild_id")
		delete(p, "member")
		p["user"] = map[string]any{"id": user, "username": "bea"}
		p["context"] = int(discordgo.InteractionContextBotDM)
	} else {
		p["member"] = map[string]any{"user": map[string]any{"id": user, "username": "alice"}}
	}
	return p
}

// Ask a person under an answer in the thread Lore started finds the
// answer's question, and the colleague asked can accept in the direct
// message Lore sent them, which carries no server.
func TestAskAPersonFromAnswerThreadToIntroduction(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core, dm := peersBot(t)
	a := newTestAdapter(t, testConfig(f, &log), core)
	ctx := context.Background()

	a.handleMessage(ctx, guildMessage("8001", "4444", "<@"+testBot+"> how many days of annual leave do I get?", true))
	answer := f.waitFor(t, 1, http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8001/messages$`))
	var askPerson string
	for _, id := range customIDs(answer[0].Body) {
		if strings.HasPrefix(id, customIDPrefix+bot.ActionAskPerson+":") {
			askPerson = id
		}
	}
	if askPerson == "" {
		t.Fatalf("the answer in the thread has no Ask a person button: %s", answer[0].Body)
	}

	// Pressed in the thread, whose id is the interaction's channel.
	ix := gatewayInteraction(t, buttonPress(1, "8001", askPerson, true, "6666"))
	a.handleInteraction(ctx, ix, restRespond(a, ix))
	text, buttons := lastFollowUp(t, f, 1)
	if !strings.Contains(text, "Bea") || len(buttons) != 1 {
		t.Fatalf("Ask a person in the answer's thread = %q %v, want Bea suggested", text, buttons)
	}

	ix = gatewayInteraction(t, buttonPress(2, "8001", buttons[0], true, "6666"))
	a.handleInteraction(ctx, ix, restRespond(a, ix))
	if text, _ := lastFollowUp(t, f, 2); !strings.Contains(text, "asked Bea") {
		t.Fatalf("Ask Bea = %q", text)
	}
	sent := dm.all()
	if len(sent) != 1 || len(sent[0].reply.Buttons) != 2 || sent[0].users[0] != "7777" {
		t.Fatalf("direct messages = %+v, want Bea asked", sent)
	}
	accept, ok := encodeCustomID(sent[0].reply.Buttons[0].ID, sent[0].reply.Buttons[0].Value)
	if !ok || sent[0].reply.Buttons[0].ID != peers.ActionAccept {
		t.Fatalf("Bea's buttons = %+v", sent[0].reply.Buttons)
	}

	// Bea accepts in her direct message with Lore: no guild_id there.
	ix = gatewayInteraction(t, buttonPress(3, "7700", accept, false, "7777"))
	a.handleInteraction(ctx, ix, restRespond(a, ix))
	if text, _ := lastFollowUp(t, f, 3); !strings.Contains(text, "Thank you") {
		t.Fatalf("Bea's accept in her direct message = %q", text)
	}
	if sent = dm.all(); len(sent) != 2 || len(sent[1].users) != 2 || sent[1].workspace != testGuild {
		t.Fatalf("direct messages = %+v, want the introduction in the guild", sent)
	}
}

// A colleague's name is theirs to write: suggested in a reply, it can
// neither ping anyone, nor link a channel, nor hide a link behind a label.
func TestConnectShowsHostileNameAsText(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core, _ := peersBot(t, store.Profile{
		PersonKey: store.PersonKey{Platform: Platform, Workspace: testGuild, User: "7778"},
		Name:      "@everyone <#42> [HR team](https://evil.example/hr_(team))", CanHelp: []string{"annual leave"}, Available: true,
	})
	a := newTestAdapter(t, testConfig(f, &log), core)

	a.handleMessage(context.Background(), guildMessage("8002", "4444", "<@"+testBot+"> connect annual leave", true))
	// The suggestion is private: it comes by direct message.
	sent := f.waitFor(t, 1, http.MethodPost, dmMessages)
	content, _ := sent[0].json(t)["content"].(string)
	if !strings.Contains(content, "HR team") {
		t.Fatalf("the suggestion does not name the colleague: %q", content)
	}
	for _, bad := range []string{"](", "<#42", "@everyone"} {
		if strings.Contains(content, bad) {
			t.Errorf("the suggestion contains %q: %q", bad, content)
		}
	}
	if !strings.Contains(content, "https://evil.example/hr_(team)") {
		t.Errorf("the link's address is not in view: %q", content)
	}
}
