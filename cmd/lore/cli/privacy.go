package cli

import (
	"context"
	"strings"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/bot"
)

// privacyWords are the chat privacy commands (engagement.PrivacyCommands)
// offered as /lore subcommands too, with a one-line summary each.
var privacyWords = []struct{ name, summary, option string }{
	{"privacy", "what Lore keeps about you", ""},
	{"optout", "optout analytics: keep your activity only as anonymous counts", "what"},
	{"optin", "optin analytics: count your activity as yours again", "what"},
	{"forget", "forget me: delete everything Lore keeps about you", "who"},
}

// slackPrivacyCommands makes `/lore privacy`, `/lore optout analytics`,
// `/lore optin analytics` and `/lore forget me` the same messages typed to
// Lore: the core routes them.
func slackPrivacyCommands(core interface {
	HandleMessage(ctx context.Context, msg bot.Message) bot.Reply
}) map[string]slack.Command {
	cmds := map[string]slack.Command{}
	for _, w := range privacyWords {
		cmds[w.name] = slack.Command{Summary: w.summary, Run: func(ctx context.Context, msg bot.Message) bot.Reply {
			msg.Text = strings.TrimSpace(w.name + " " + strings.TrimSpace(msg.Text))
			r := core.HandleMessage(ctx, msg)
			r.Private = true
			return r
		}}
	}
	return cmds
}

// discordPrivacySubcommands are the same as /lore subcommands in Discord,
// which send the core "name option".
func discordPrivacySubcommands() []discord.Subcommand {
	subs := make([]discord.Subcommand, 0, len(privacyWords))
	for _, w := range privacyWords {
		s := discord.Subcommand{Name: w.name, Description: strings.ToUpper(w.summary[:1]) + w.summary[1:]}
		if w.option != "" {
			s.Option, s.Required = w.option, true
			s.OptionDescription = map[string]string{"what": "analytics", "who": "me"}[w.option]
		}
		subs = append(subs, s)
	}
	return subs
}
