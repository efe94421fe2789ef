package cli

import (
	"context"
	"strings"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/bot"
)

// chatWord is a chat command that is also a /lore subcommand in Slack and
// Discord: the subcommand sends the core the words a person would type
// ("forget me"), so the core routes and checks it as it does typed text.
type chatWord struct {
	name, summary string
	// option names the subcommand's one text option in Discord, and
	// optionDoc describes it; "" when it takes none.
	option, optionDoc string
	required          bool
}

// messageHandler is the core as the subcommands reach it.
type messageHandler interface {
	HandleMessage(ctx context.Context, msg bot.Message) bot.Reply
}

// slackWordCommands makes `/lore NAME ...` the message "NAME ..." typed to
// Lore; the reply is private.
func slackWordCommands(core messageHandler, words []chatWord) map[string]slack.Command {
	cmds := map[string]slack.Command{}
	for _, w := range words {
		cmds[w.name] = slack.Command{Summary: w.summary, Run: func(ctx context.Context, msg bot.Message) bot.Reply {
			msg.Text = strings.TrimSpace(w.name + " " + strings.TrimSpace(msg.Text))
			r := core.HandleMessage(ctx, msg)
			r.Private = true
			return r
		}}
	}
	return cmds
}

// discordWordSubcommands are the same words as /lore subcommands in
// Discord, whose descriptions start with a capital.
func discordWordSubcommands(words []chatWord) []discord.Subcommand {
	subs := make([]discord.Subcommand, 0, len(words))
	for _, w := range words {
		s := discord.Subcommand{Name: w.name, Description: strings.ToUpper(w.summary[:1]) + w.summary[1:]}
		if w.option != "" {
			s.Option, s.OptionDescription, s.Required = w.option, w.optionDoc, w.required
		}
		subs = append(subs, s)
	}
	return subs
}
