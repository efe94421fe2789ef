package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

// gatewayInteraction decodes an interaction payload as INTERACTION_CREATE
// carries it.
func gatewayInteraction(t *testing.T, payload map[string]any) *discordgo.Interaction {
	t.Helper()
	b, _ := json.Marshal(payload)
	ix, err := parseInteraction(b)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// restRespond answers through the callback endpoint, as the gateway path
// does.
func restRespond(a *Adapter, ix *discordgo.Interaction) respondFunc {
	return func(resp *discordgo.InteractionResponse) error {
		return a.apiError("respond", a.session.InteractionRespond(ix, resp), ix.Token)
	}
}

// fakeClock is a clock a test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestExpiredInteractionTokenRepliesInChannel(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	clock := &fakeClock{t: testNow}
	core := &fakeCore{before: func() { clock.add(interactionWindow) }}
	cfg := testConfig(f, &log)
	cfg.Clock = clock.now
	a := newTestAdapter(t, cfg, core)
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("slow question")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	if n := len(f.recorded(http.MethodPatch, reOriginal)); n != 0 {
		t.Errorf("%d edits through an expired token", n)
	}
	sent := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/4444/messages$`))
	if len(sent) != 1 || !strings.Contains(string(sent[0].Body), "27 days") {
		t.Fatalf("channel reply = %s", f.dump())
	}
}

func TestPrivateCommandReplyIsEphemeral(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{reply: func(bot.Message) bot.Reply { return bot.Reply{Text: "only for you", Private: true} }}
	a := newTestAdapter(t, testConfig(f, &log), core)
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("x")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	if n := len(f.recorded(http.MethodDelete, reOriginal)); n != 1 {
		t.Errorf("the public placeholder was not removed: %s", f.dump())
	}
	fu := f.recorded(http.MethodPost, reFollowup)
	if len(fu) != 1 || fu[0].json(t)["flags"] != float64(64) || fu[0].json(t)["content"] != "only for you" {
		t.Fatalf("follow-ups = %s", f.dump())
	}
}

func TestLongCommandReplyUsesFollowUps(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	long := strings.Repeat("A sentence about leave. ", 300) // about 7,200 characters
	core := &fakeCore{reply: func(bot.Message) bot.Reply { r := sampleReply(); r.Text = long; return r }}
	a := newTestAdapter(t, testConfig(f, &log), core)
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("x")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	edits, fus := f.recorded(http.MethodPatch, reOriginal), f.recorded(http.MethodPost, reFollowup)
	if len(edits) != 1 || len(fus) != 3 {
		t.Fatalf("%d edits and %d follow-ups, want 1 and 3", len(edits), len(fus))
	}
	for _, r := range append(edits, fus...) {
		var m struct{ Content string }
		json.Unmarshal(r.Body, &m)
		if units(m.Content) > maxContent {
			t.Errorf("%d characters in one message", units(m.Content))
		}
	}
	if !strings.Contains(string(fus[2].Body), `"embeds"`) || !strings.Contains(string(fus[2].Body), "lore:feedback_up:") {
		t.Errorf("sources and buttons are not on the last message: %s", fus[2].Body)
	}
	f.checkNoMentions(t)
}

func TestCommandStreamsByEditingTheResponse(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{stream: []string{"Full-time", "Full-time employees", "Full-time employees get"}, pause: 30 * time.Millisecond}
	cfg := testConfig(f, &log)
	cfg.StreamInterval = 10 * time.Millisecond
	a := newTestAdapter(t, cfg, core)
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("leave?")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	edits := f.recorded(http.MethodPatch, reOriginal)
	if len(edits) < 3 {
		t.Fatalf("%d edits, want partial answers then the final one: %s", len(edits), f.dump())
	}
	if !strings.Contains(string(edits[0].Body), "Full-time") || !strings.Contains(string(edits[len(edits)-1].Body), "27 days") {
		t.Errorf("first edit %s, last edit %s", edits[0].Body, edits[len(edits)-1].Body)
	}
}

func TestUnusableInteractionsGetAnEphemeralExplanation(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	a := newTestAdapter(t, testConfig(f, &log), core)
	for name, c := range map[string]struct {
		payload map[string]any
		want    string
	}{
		"unknown subcommand": {interactionPayload(1, 2, map[string]any{"id": "1", "name": "lore", "type": 1, "options": []any{map[string]any{"name": "dance", "type": 1}}}), "don't know that command"},
		"other command":      {interactionPayload(2, 2, map[string]any{"id": "1", "name": "other", "type": 1}), "don't know that command"},
		"foreign button":     {interactionPayload(3, 3, map[string]any{"custom_id": "poll:yes", "component_type": 2}), "don't know that button"},
		"modal":              {interactionPayload(4, 5, map[string]any{"custom_id": "x"}), "can't handle"},
		"no user": {func() map[string]any {
			p := interactionPayload(5, 2, askCommand("x"))
			delete(p, "member")
			return p
		}(), "who sent"},
		// A user-installed app used in a group DM: others read the answer.
		"group DM": {func() map[string]any {
			p := interactionPayload(6, 2, askCommand("x"))
			delete(p, "guild_id")
			p["context"] = 2
			return p
		}(), "only answer in servers"},
	} {
		t.Run(name, func(t *testing.T) {
			ix := gatewayInteraction(t, c.payload)
			before := len(f.recorded(http.MethodPost, reCallback))
			a.handleInteraction(context.Background(), ix, restRespond(a, ix))
			cb := f.recorded(http.MethodPost, reCallback)
			if len(cb) != before+1 {
				t.Fatalf("no response")
			}
			resp := cb[len(cb)-1].json(t)
			data, _ := resp["data"].(map[string]any)
			if resp["type"] != float64(4) || data["flags"] != float64(64) || !strings.Contains(data["content"].(string), c.want) {
				t.Errorf("response = %s", cb[len(cb)-1].Body)
			}
		})
	}
	if n := len(core.gotMessages()) + len(core.gotActions()); n != 0 {
		t.Errorf("the core saw %d unusable interactions", n)
	}
}

func TestHelpAndExtraSubcommands(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	cfg := testConfig(f, &log)
	cfg.Subcommands = []Subcommand{{Name: "learn", Description: "Start a short course", Option: "topic", OptionDescription: "What to learn"}}
	a := newTestAdapter(t, cfg, core)
	if err := a.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := f.recorded(http.MethodPut, reCommands)
	if len(reg) != 1 || !strings.Contains(string(reg[0].Body), `"name":"learn"`) || !strings.Contains(string(reg[0].Body), `"name":"topic"`) {
		t.Fatalf("registration = %s", f.dump())
	}
	for i, sub := range []map[string]any{
		{"name": "help", "type": 1},
		{"name": "learn", "type": 1, "options": []any{map[string]any{"name": "topic", "type": 3, "value": " security "}}},
	} {
		ix := gatewayInteraction(t, interactionPayload(i, 2, map[string]any{"id": "1", "name": "lore", "type": 1, "options": []any{sub}}))
		a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	}
	got := core.gotMessages()
	if len(got) != 2 || got[0].Text != "help" || got[1].Text != "learn security" {
		t.Errorf("core got %+v", got)
	}
	if _, err := New(Config{Token: testToken, AppID: "1", Subcommands: []Subcommand{{Name: "Bad Name", Description: ""}}}, core, Deps{}); err == nil {
		t.Error("an invalid subcommand was accepted")
	}
}

// TestRateLimitedAnswerIsNotLost: a 429 on the edit that carries the
// answer is waited out and the edit made, not dropped.
func TestRateLimitedAnswerIsNotLost(t *testing.T) {
	f := newFakeDiscord(t)
	var mu sync.Mutex
	limited := false
	f.setFail(func(r recorded) (int, string, bool) {
		mu.Lock()
		defer mu.Unlock()
		if reOriginal.MatchString(r.Path) && !limited {
			limited = true
			return http.StatusTooManyRequests, `{"message":"You are being rate limited.","retry_after":0.02,"global":false}`, true
		}
		return 0, "", false
	})
	var log testLog
	a := newTestAdapter(t, testConfig(f, &log), &fakeCore{})
	ix := gatewayInteraction(t, interactionPayload(1, 2, askCommand("x")))
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	edits := f.recorded(http.MethodPatch, reOriginal)
	if len(edits) != 2 || !strings.Contains(string(edits[1].Body), "27 days") {
		t.Fatalf("edits: %s", f.dump())
	}
}

func TestCommandInLoreThreadUsesParentSettings(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &fakeCore{}
	cfg := testConfig(f, &log)
	cfg.Settings = Settings{AllowChannels: []string{"4444"}, Channels: map[string]Place{"4444": {Collections: []string{"it"}}}}
	a := newTestAdapter(t, cfg, core)
	a.channels.remember("8001", channelInfo{thread: true, ownerID: testBot, parent: "4444"})
	p := interactionPayload(1, 2, askCommand("vpn?"))
	p["channel_id"] = "8001"
	ix := gatewayInteraction(t, p)
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	got := core.gotMessages()
	if len(got) != 1 || len(got[0].Collections) != 1 || got[0].Collections[0] != "it" {
		t.Fatalf("core got %+v; %s", got, f.dump())
	}
	p = interactionPayload(2, 2, askCommand("vpn?"))
	p["channel_id"] = "9999"
	ix = gatewayInteraction(t, p)
	a.handleInteraction(context.Background(), ix, restRespond(a, ix))
	if len(core.gotMessages()) != 1 {
		t.Error("a command outside the allow-list reached the core")
	}
	cb := f.recorded(http.MethodPost, reCallback)
	if !strings.Contains(string(cb[len(cb)-1].Body), "not set up to answer") {
		t.Errorf("refusal = %s", cb[len(cb)-1].Body)
	}
}
