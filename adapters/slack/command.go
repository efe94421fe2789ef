package slack

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/lorehq/lore/bot"
)

// handleCommand answers /lore SUBCOMMAND through the command's
// response_url: privately unless a capability's command says otherwise.
func (a *Adapter) handleCommand(ctx context.Context, c command) {
	ctx = requestContext(ctx, c.TriggerID)
	if !a.cfg.responseURLAllowed(c.ResponseURL) {
		a.log.WarnContext(ctx, "slash command with a response_url outside Slack refused", "user", c.UserID)
		return
	}
	text := strings.TrimSpace(unescapeText(c.Text))
	sub, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		sub, rest = text[:i], strings.TrimSpace(text[i:])
	}
	sub = strings.ToLower(sub)
	msg := bot.Message{
		Platform: Platform, Workspace: c.TeamID, Channel: c.ChannelID, User: c.UserID,
		Direct: a.ownDM(ctx, c.TeamID, c.ChannelID, c.UserID), Text: rest,
	}
	// Retrieval keeps to the channel's collections, as for mentions.
	settings, allowed := a.cfg.channel(msg.Channel, msg.Direct)
	msg.Collections = settings.Collections
	a.refreshPerson(ctx, c.TeamID, c.UserID, false)

	var (
		reply bot.Reply
		opts  renderOptions
	)
	switch cmd, ok := a.deps.Commands[sub]; {
	case sub == "" || sub == "help":
		reply = bot.Reply{Text: a.commandHelp(c.Command), Private: true}
	case sub == "ask" && rest == "":
		reply = bot.Reply{Text: fmt.Sprintf("Tell me what to look up, for example: `%s ask how do I book leave?`", c.Command), Private: true}
	case sub == "ask":
		msg.Text = "ask " + rest // "ask" keeps a question that starts with a command word a question
		reply = a.core.HandleMessage(ctx, msg)
		reply.Private = true
		// Share posts for the whole channel: only where Lore may answer.
		opts = renderOptions{share: reply.Grounded && allowed, question: rest}
	case ok:
		reply = cmd.Run(ctx, msg)
	default:
		reply = bot.Reply{Text: fmt.Sprintf("I don't know `%s %s`.\n\n%s", c.Command, sub, a.commandHelp(c.Command)), Private: true}
	}
	if err := a.respond(ctx, c.ResponseURL, reply, opts, !reply.Private, false); err != nil {
		a.log.ErrorContext(ctx, "answering a slash command failed", "user", c.UserID, "err", err)
	}
}

// commandHelp lists the subcommands, the built-in ones first.
func (a *Adapter) commandHelp(name string) string {
	if name == "" {
		name = "/lore"
	}
	lines := []string{
		"*What you can do with " + name + "*",
		fmt.Sprintf("• `%s ask QUESTION`: an answer only you see, with a button to share it", name),
		fmt.Sprintf("• `%s help`: this list", name),
	}
	names := make([]string, 0, len(a.deps.Commands))
	for n := range a.deps.Commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		lines = append(lines, fmt.Sprintf("• `%s %s`: %s", name, n, a.deps.Commands[n].Summary))
	}
	lines = append(lines, "", "You can also mention me in a channel or send me a direct message.")
	return strings.Join(lines, "\n")
}
