package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/lorehq/lore/bot"
)

type fakeSaver struct {
	mu    sync.Mutex
	saves []bot.SaveRequest
}

func (s *fakeSaver) HandleSave(_ context.Context, req bot.SaveRequest) bot.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves = append(s.saves, req)
	return bot.Reply{Text: "Saved <@&123> @everyone as a draft."}
}

func (s *fakeSaver) got() []bot.SaveRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.SaveRequest(nil), s.saves...)
}

func newSaveAdapter(t *testing.T, f *fakeDiscord, saver Saver) *Adapter {
	t.Helper()
	var log testLog
	a, err := New(testConfig(f, &log), &fakeCore{}, Deps{Saves: saver})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.mu.Lock()
	a.botUserID = testBot
	a.mu.Unlock()
	return a
}

// saveCommand is the data of the Save to knowledge message command used
// on target.
func saveCommand(target map[string]any) map[string]any {
	return map[string]any{"id": "8888", "name": saveCommandName, "type": 3, "target_id": target["id"],
		"resolved": map[string]any{"messages": map[string]any{target["id"].(string): target}}}
}

func discordMessage(id, channel, author, content string) map[string]any {
	return map[string]any{"id": id, "channel_id": channel, "content": content, "type": 0,
		"author": map[string]any{"id": author, "username": "u" + author}}
}

// lastEdit is the content of the last edit of the original response.
func lastEdit(t *testing.T, f *fakeDiscord) map[string]any {
	t.Helper()
	edits := f.recorded(http.MethodPatch, reOriginal)
	if len(edits) == 0 {
		t.Fatalf("no edit of the response: %s", f.dump())
	}
	return edits[len(edits)-1].json(t)
}

func TestSaveCommandIsRegisteredWithASaver(t *testing.T) {
	f := newFakeDiscord(t)
	a := newSaveAdapter(t, f, &fakeSaver{})
	if err := a.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	var cmds []struct {
		Name string `json:"name"`
		Type int    `json:"type"`
	}
	reg := f.recorded(http.MethodPut, reCommands)
	if err := json.Unmarshal(reg[0].Body, &cmds); err != nil || len(cmds) != 2 || cmds[1].Name != "Save to knowledge" || cmds[1].Type != 3 {
		t.Fatalf("registered %s", reg[0].Body)
	}
}

// Saving a reply: the question is the message it replies to, and the
// saver alone sees the outcome, which mentions nobody.
func TestSaveReplyToAQuestion(t *testing.T) {
	f := newFakeDiscord(t)
	f.messages = map[string]map[string]any{"4444/100": discordMessage("100", "4444", "7001", "How do I get a parking pass?")}
	saver := &fakeSaver{}
	a := newSaveAdapter(t, f, saver)

	withQuoted := discordMessage("201", "4444", "7002", "Ask reception.")
	withQuoted["message_reference"] = map[string]any{"message_id": "100", "channel_id": "4444", "guild_id": testGuild}
	withQuoted["referenced_message"] = discordMessage("100", "4444", "7001", "How do I get a parking pass?")
	fetched := discordMessage("202", "4444", "7003", "Or ask Sam.")
	fetched["message_reference"] = map[string]any{"message_id": "100", "channel_id": "4444"}
	for i, target := range []map[string]any{withQuoted, fetched} {
		ix := gatewayInteraction(t, interactionPayload(i, 2, saveCommand(target)))
		a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	}
	got := saver.got()
	if len(got) != 2 {
		t.Fatalf("saves %+v; %s", got, f.dump())
	}
	want := bot.SaveRequest{Platform: "discord", Workspace: testGuild, Channel: "4444", User: "6666",
		Question: "How do I get a parking pass?", QuestionAuthor: "7001", Answer: "Ask reception.", AnswerAuthor: "7002",
		AnswerID: "201", Permalink: "https://discord.com/channels/2222/4444/201"}
	if got[0] != want {
		t.Errorf("save\n got %+v\nwant %+v", got[0], want)
	}
	if got[1].Question != "How do I get a parking pass?" || got[1].Answer != "Or ask Sam." {
		t.Errorf("fetched question: %+v", got[1])
	}
	if n := len(f.recorded(http.MethodGet, regexp.MustCompile(`^/api/v9/channels/4444/messages/100$`))); n != 1 {
		t.Errorf("%d reads of the replied-to message, want 1 (the first came with the payload)", n)
	}
	cb := f.recorded(http.MethodPost, reCallback)
	resp := cb[0].json(t)
	data, _ := resp["data"].(map[string]any)
	if resp["type"] != float64(5) || data["flags"] != float64(64) {
		t.Errorf("the deferral is not ephemeral: %s", cb[0].Body)
	}
	content, _ := lastEdit(t, f)["content"].(string)
	if !strings.Contains(content, "Saved") || strings.Contains(content, "@everyone") || strings.Contains(content, "<@&123>") {
		t.Errorf("reply %q is not escaped", content)
	}
	f.checkNoMentions(t)
}

// In a thread the question is the thread's starter message; Lore's own
// message and a message with no question reach the core as such.
func TestSaveInAThreadAndRefusals(t *testing.T) {
	f := newFakeDiscord(t)
	f.messages = map[string]map[string]any{"4444/8001": discordMessage("8001", "4444", "7001", "Where is the VPN guide?")}
	saver := &fakeSaver{}
	a := newSaveAdapter(t, f, saver)
	a.channels.remember("8001", channelInfo{thread: true, ownerID: "7001", parent: "4444"})
	a.channels.remember("4444", channelInfo{})

	inThread := interactionPayload(1, 2, saveCommand(discordMessage("301", "8001", "7002", "It is on the wiki.")))
	inThread["channel_id"] = "8001"
	own := interactionPayload(2, 2, saveCommand(discordMessage("302", "4444", testBot, "An answer of Lore's")))
	alone := interactionPayload(3, 2, saveCommand(discordMessage("303", "4444", "7002", "A message of its own")))
	for _, p := range []map[string]any{inThread, own, alone} {
		ix := gatewayInteraction(t, p)
		a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	}
	got := saver.got()
	if len(got) != 3 {
		t.Fatalf("saves %+v", got)
	}
	if got[0].Question != "Where is the VPN guide?" || got[0].Channel != "4444" || got[0].Thread != "8001" || got[0].QuestionAuthor != "7001" {
		t.Errorf("in a thread: %+v", got[0])
	}
	if !got[1].AnswerByLore || got[1].Question != "" {
		t.Errorf("Lore's own message: %+v", got[1])
	}
	if got[2].AnswerByLore || got[2].Question != "" {
		t.Errorf("a message without a question: %+v", got[2])
	}

	// Without a saver the command is not registered, and says so if used.
	bare := newTestAdapter(t, testConfig(f, &testLog{}), &fakeCore{})
	ix := gatewayInteraction(t, interactionPayload(4, 2, saveCommand(discordMessage("304", "4444", "7002", "x"))))
	bare.handleInteraction(context.Background(), ix, restRespond(bare, ix))
	if content, _ := lastEdit(t, f)["content"].(string); !strings.Contains(content, "not set up") {
		t.Errorf("without a saver: %q", content)
	}
}

// A save is public only where the guild's @everyone role may view the
// channel; a channel closed to it, or one that cannot be read, is not.
func TestSavePublicOnlyWhereEveryoneMayView(t *testing.T) {
	f := newFakeDiscord(t)
	const view = 1 << 10 // View Channel
	f.guilds[testGuild] = map[string]any{"id": testGuild, "owner_id": "1", "roles": []map[string]any{{"id": testGuild, "name": "@everyone", "permissions": fmt.Sprint(view)}}}
	f.setChannel("4444", map[string]any{"type": 0, "guild_id": testGuild})
	f.setChannel("5555", map[string]any{"type": 0, "guild_id": testGuild,
		"permission_overwrites": []map[string]any{{"id": testGuild, "type": 0, "allow": "0", "deny": fmt.Sprint(view)}}})
	saver := &fakeSaver{}
	a := newSaveAdapter(t, f, saver)
	for i, channel := range []string{"4444", "5555", "6666"} {
		target := discordMessage(fmt.Sprint(300+i), channel, "7002", "Ask reception.")
		target["referenced_message"] = discordMessage("100", channel, "7001", "How do I get a parking pass?")
		target["message_reference"] = map[string]any{"message_id": "100", "channel_id": channel, "guild_id": testGuild}
		payload := interactionPayload(i, 2, saveCommand(target))
		payload["channel_id"] = channel
		ix := gatewayInteraction(t, payload)
		a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	}
	got := saver.got()
	if len(got) != 3 {
		t.Fatalf("saves %+v", got)
	}
	public := map[string]bool{}
	for _, g := range got {
		public[g.Channel] = g.Public
	}
	if !public["4444"] || public["5555"] || public["6666"] {
		t.Errorf("public by channel %v, want only 4444 (5555 is closed to @everyone, 6666 cannot be read)", public)
	}
}
