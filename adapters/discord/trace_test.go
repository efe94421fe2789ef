package discord

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/trace"
)

// tracingCore records the request id each call's context carried.
type tracingCore struct {
	fakeCore
	mu  sync.Mutex
	ids []string
}

func (c *tracingCore) HandleMessageStream(ctx context.Context, m bot.Message, stream bot.StreamFunc) bot.Reply {
	c.mu.Lock()
	c.ids = append(c.ids, trace.RequestID(ctx))
	c.mu.Unlock()
	return c.fakeCore.HandleMessageStream(ctx, m, stream)
}

func (c *tracingCore) HandleMessage(ctx context.Context, m bot.Message) bot.Reply {
	return c.HandleMessageStream(ctx, m, nil)
}

func (c *tracingCore) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}

// The core is called with the Discord message's or interaction's id as
// the request id, so that Lore's log lines name the platform's event.
func TestRequestIDIsThePlatformsID(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	core := &tracingCore{}
	a := newTestAdapter(t, testConfig(f, &log), core)

	a.handleMessage(t.Context(), &discordgo.Message{ID: "9001", ChannelID: "5555", Content: "how much leave do I get?",
		Author: &discordgo.User{ID: "6666", Username: "alice"}})
	body, err := json.Marshal(interactionPayload(1, 2, askCommand("how much leave do I get?")))
	if err != nil {
		t.Fatal(err)
	}
	var raw discordgo.Interaction
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	a.handleInteraction(t.Context(), &raw, func(*discordgo.InteractionResponse) error { return nil })

	got := core.seen()
	if len(got) != 2 || got[0] != "9001" || got[1] != raw.ID {
		t.Fatalf("request ids seen by the core = %q, want the message's and the interaction's ids", got)
	}
}
