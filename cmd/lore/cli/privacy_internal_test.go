package cli

import (
	"context"
	"testing"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/bot"
)

type echoCore struct{ got []string }

func (c *echoCore) HandleMessage(_ context.Context, msg bot.Message) bot.Reply {
	c.got = append(c.got, msg.Text)
	return bot.Reply{Text: "ok"}
}

// The /lore privacy subcommands are what Discord accepts, and in Slack
// they reach the core as the words a person would type.
func TestPrivacySlashCommands(t *testing.T) {
	cfg := discord.Config{Token: "x", AppID: "1", Subcommands: discordWordSubcommands(privacyWords)}
	if _, err := discord.New(cfg, &bot.Bot{}, discord.Deps{}); err != nil {
		t.Errorf("Discord refuses the privacy subcommands: %v", err)
	}
	core := &echoCore{}
	cmds := slackWordCommands(core, privacyWords)
	r := cmds["forget"].Run(t.Context(), bot.Message{Text: " me "})
	cmds["privacy"].Run(t.Context(), bot.Message{})
	if !r.Private || len(core.got) != 2 || core.got[0] != "forget me" || core.got[1] != "privacy" {
		t.Errorf("core got %q (private %v)", core.got, r.Private)
	}
}
