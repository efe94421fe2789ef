package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func typed(m *discordgo.Message, t discordgo.MessageType) *discordgo.Message {
	m.Type = t
	return m
}

func guildMessage(id, channel, content string, mentionsLore bool) *discordgo.Message {
	m := &discordgo.Message{ID: id, ChannelID: channel, GuildID: testGuild, Content: content, Author: &discordgo.User{ID: "6666", Username: "alice"}}
	if mentionsLore {
		m.Mentions = []*discordgo.User{{ID: testBot}}
	}
	return m
}

// TestMentionStartsThreadAndFollowUpsNeedNoMention is the channel flow
// over the fake gateway: a mention is answered in a new thread, with
// sources and buttons; a later message in that thread is answered without
// a mention.
func TestMentionStartsThreadAndFollowUpsNeedNoMention(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	cfg := testConfig(f, &log)
	cfg.MessageContent = true
	cfg.ShardID, cfg.ShardCount = 0, 2
	a := newTestAdapter(t, cfg, core)
	runAdapter(t, f, a)
	var ident struct {
		D struct {
			Intents int    `json:"intents"`
			Shard   [2]int `json:"shard"`
		} `json:"d"`
	}
	json.Unmarshal(f.identified(), &ident)
	if ident.D.Intents&(1<<15) == 0 {
		t.Errorf("intents %b lack Message Content although configured", ident.D.Intents)
	}
	if ident.D.Shard != [2]int{0, 2} {
		t.Errorf("identify shard = %v, want [0 2]", ident.D.Shard)
	}
	f.setChannel("4444", map[string]any{"type": 0, "guild_id": testGuild})

	f.dispatch(t, "MESSAGE_CREATE", map[string]any{
		"id": "8001", "channel_id": "4444", "guild_id": testGuild, "content": "<@" + testBot + "> how much leave do I get?",
		"author": map[string]any{"id": "6666", "username": "alice"}, "mentions": []any{map[string]any{"id": testBot, "username": "Lore"}},
	})
	threads := f.waitFor(t, 1, http.MethodPost, reMsgThread)
	if threads[0].Path != "/api/v9/channels/4444/messages/8001/threads" || !strings.Contains(string(threads[0].Body), "how much leave do I get?") {
		t.Errorf("thread start = %s %s", threads[0].Path, threads[0].Body)
	}
	sent := f.waitFor(t, 1, http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8001/messages$`))
	var msg struct {
		Content    string
		Embeds     []struct{ Title, URL string }
		Components []any
	}
	json.Unmarshal(sent[0].Body, &msg)
	if !strings.Contains(msg.Content, "27 days") || len(msg.Embeds) != 2 || msg.Embeds[0].URL != "https://handbook.example.com/leave" || len(msg.Components) != 1 {
		t.Errorf("answer in the thread = %s", sent[0].Body)
	}
	got := core.gotMessages()
	if len(got) != 1 || got[0].Text != "how much leave do I get?" || got[0].Channel != "4444" || got[0].Thread != "8001" || got[0].Direct || got[0].Platform != "discord" {
		t.Fatalf("core got %+v", got)
	}

	// A follow-up in Lore's thread, no mention.
	f.dispatch(t, "MESSAGE_CREATE", map[string]any{
		"id": "8002", "channel_id": "8001", "guild_id": testGuild, "content": "and sick leave?",
		"author": map[string]any{"id": "6666", "username": "alice"},
	})
	f.waitFor(t, 2, http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8001/messages$`))
	got = core.gotMessages()
	if len(got) != 2 || got[1].Text != "and sick leave?" || got[1].Channel != "4444" || got[1].Thread != "8001" {
		t.Fatalf("follow-up: core got %+v", got)
	}
	if n := len(f.recorded(http.MethodPost, reMsgThread)); n != 1 {
		t.Errorf("%d threads started, want 1", n)
	}
	f.checkNoMentions(t)
}

func TestWhichMessagesAreAnswered(t *testing.T) {
	yes := true
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	f.setChannel("4445", map[string]any{"type": 0})
	f.setChannel("5555", map[string]any{"type": 11, "parent_id": "4444", "owner_id": "someone-else"})
	f.setChannel("5556", map[string]any{"type": 11, "parent_id": "4444", "owner_id": testBot})
	var log testLog
	core := &fakeCore{}
	cfg := testConfig(f, &log)
	cfg.Settings = Settings{
		AllowChannels: []string{"4444", "4445"},
		Channels:      map[string]Place{"4445": {AnswerAll: &yes, Collections: []string{"it"}}},
	}
	a := newTestAdapter(t, cfg, core)
	ctx := context.Background()

	for _, c := range []struct {
		name   string
		msg    *discordgo.Message
		answer bool
	}{
		{"unmentioned channel message", guildMessage("1", "4444", "hello all", false), false},
		{"a bot's message", func() *discordgo.Message { m := guildMessage("2", "4444", "x", true); m.Author.Bot = true; return m }(), false},
		{"Lore's own message", func() *discordgo.Message { m := guildMessage("3", "4444", "x", true); m.Author.ID = testBot; return m }(), false},
		{"channel outside the allow-list", guildMessage("4", "9999", "<@3333> hi", true), false},
		{"someone else's thread", guildMessage("5", "5555", "question", false), false},
		{"unmentioned, empty (no Message Content)", guildMessage("6", "5556", "", false), false},
		{"mention", guildMessage("7", "4444", "<@3333> vpn?", true), true},
		{"mention in someone else's thread", guildMessage("8", "5555", "<@!3333> vpn?", true), true},
		{"Lore's thread", guildMessage("9", "5556", "and then?", false), true},
		{"answer-all channel", guildMessage("10", "4445", "vpn?", false), true},
		{"direct message", &discordgo.Message{ID: "11", ChannelID: "dm1", Content: "vpn?", Author: &discordgo.User{ID: "6666"}}, true},
		{"redelivered message", guildMessage("7", "4444", "<@3333> vpn?", true), false},
		// System messages name the person who caused them as author.
		{"Lore's thread renamed", typed(guildMessage("12", "5556", "VPN on macOS?", false), discordgo.MessageTypeChannelNameChange), false},
		{"thread created in an answer-all channel", typed(guildMessage("13", "4445", "vpn?", false), discordgo.MessageTypeThreadCreated), false},
		{"AutoMod alert in an answer-all channel", typed(guildMessage("14", "4445", "vpn?", false), discordgo.MessageType(24)), false},
		{"message pinned in Lore's thread", typed(guildMessage("15", "5556", "", true), discordgo.MessageTypeChannelPinnedMessage), false},
		{"reply in Lore's thread", typed(guildMessage("16", "5556", "and on Linux?", false), discordgo.MessageTypeReply), true},
	} {
		before := len(core.gotMessages())
		a.handleMessage(ctx, c.msg)
		if answered := len(core.gotMessages()) > before; answered != c.answer {
			t.Errorf("%s: answered %v, want %v", c.name, answered, c.answer)
		}
	}
	got := core.gotMessages()
	if got[0].Text != "vpn?" || got[1].Text != "vpn?" || got[1].Thread != "5555" || got[1].Channel != "4444" {
		t.Errorf("mentions: %+v", got[:2])
	}
	if len(got[3].Collections) != 1 || got[3].Collections[0] != "it" {
		t.Errorf("answer-all channel collections = %v", got[3].Collections)
	}
	if dm := got[4]; !dm.Direct || dm.Workspace != "" || dm.Thread != "" {
		t.Errorf("direct message = %+v", dm)
	}
	if r := got[len(got)-1]; r.Text != "and on Linux?" || r.Channel != "4444" || r.Thread != "5556" {
		t.Errorf("reply in Lore's thread = %+v", r)
	}
	// The direct message is answered in place, without a thread.
	if n := len(f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/dm1/messages$`))); n != 1 {
		t.Errorf("%d replies in the DM channel", n)
	}
	f.checkNoMentions(t)
}

func TestNoThreadPermissionRepliesInChannel(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	f.setFail(func(r recorded) (int, string, bool) {
		if reMsgThread.MatchString(r.Path) {
			return http.StatusForbidden, `{"message":"Missing Permissions","code":50013}`, true
		}
		return 0, "", false
	})
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	a.handleMessage(context.Background(), guildMessage("8001", "4444", "<@3333> vpn?", true))
	sent := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/4444/messages$`))
	if len(sent) != 1 || !strings.Contains(string(sent[0].Body), `"message_id":"8001"`) {
		t.Fatalf("fallback reply = %s", f.dump())
	}
	if !strings.Contains(log.String(), "Missing Permissions") {
		t.Errorf("the failure is not logged: %s", log.String())
	}
}

// TestStreamingEditsAtABoundedRate: a core that streams many updates
// quickly costs a few edits of one message, and the final edit carries the
// whole answer with its sources.
func TestStreamingEditsAtABoundedRate(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{pause: time.Millisecond}
	var text string
	for i := 0; i < 200; i++ {
		text += "token "
		core.stream = append(core.stream, text)
	}
	cfg := testConfig(f, &log)
	cfg.StreamInterval = 50 * time.Millisecond
	a := newTestAdapter(t, cfg, core)
	start := time.Now()
	a.handleMessage(context.Background(), &discordgo.Message{ID: "1", ChannelID: "dm1", Content: "explain", Author: &discordgo.User{ID: "6666"}})
	elapsed := time.Since(start)

	posts := f.recorded(http.MethodPost, reMessages)
	edits := f.recorded(http.MethodPatch, reMessage)
	if len(posts) != 1 {
		t.Fatalf("%d messages posted, want 1 edited in place: %s", len(posts), f.dump())
	}
	if !strings.Contains(string(posts[0].Body), "token") {
		t.Errorf("the first post is not the partial answer: %s", posts[0].Body)
	}
	// One publication per interval at most, plus the final edit.
	if limit := int(elapsed/cfg.StreamInterval) + 2; len(edits) < 1 || len(edits) > limit {
		t.Errorf("%d edits in %v at one per %v", len(edits), elapsed, cfg.StreamInterval)
	}
	last := string(edits[len(edits)-1].Body)
	if !strings.Contains(last, "27 days") || !strings.Contains(last, `"embeds"`) || !strings.Contains(last, `"components"`) {
		t.Errorf("final edit = %s", last)
	}
	f.checkNoMentions(t)
}
