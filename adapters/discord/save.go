package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

// save answers Save to knowledge on a message: the message is the answer,
// and its question is the message it replies to or, in a thread, the
// thread's starter message. The response is deferred as ephemeral, so the
// outcome is shown to the saver alone.
func (a *Adapter) save(ctx context.Context, ix *discordgo.Interaction, req request, respond respondFunc) {
	if err := respond(&discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	}); err != nil {
		a.log.WarnContext(ctx, "deferring Save to knowledge failed", "err", err)
		return
	}
	reply := bot.Reply{Text: "Saving to knowledge is not set up here. Ask an admin to turn curation on."}
	if a.saves != nil {
		reply = a.saves.HandleSave(ctx, a.saveRequest(ctx, ix, req))
	}
	msgs := render(reply)
	if _, err := a.session.InteractionResponseEdit(ix, webhookEdit(msgs[0]), discordgo.WithContext(ctx)); err != nil {
		a.log.WarnContext(ctx, "answering Save to knowledge failed", "err", a.apiError("edit interaction response", err, ix.Token))
	}
}

// saveRequest describes the saved message and finds its question.
func (a *Adapter) saveRequest(ctx context.Context, ix *discordgo.Interaction, req request) bot.SaveRequest {
	m := req.target
	channel, thread := ix.ChannelID, ""
	var info channelInfo
	if ix.GuildID != "" {
		var err error
		if info, err = a.channels.lookup(ctx, ix.ChannelID); err != nil {
			a.log.WarnContext(ctx, "looking up a channel failed", "channel", ix.ChannelID, "err", a.apiError("look up channel", err))
		}
		if info.thread {
			channel, thread = info.parent, ix.ChannelID
		}
	}
	out := bot.SaveRequest{
		Platform: Platform, Workspace: ix.GuildID, Channel: channel, Thread: thread, User: req.user,
		Answer: m.Content, AnswerID: m.ID, Permalink: messageLink(ix.GuildID, ix.ChannelID, m.ID),
	}
	if ix.GuildID != "" {
		out.Public = a.openToEveryone(ctx, ix.GuildID, ix.ChannelID)
	}
	if m.Author != nil {
		out.AnswerAuthor = m.Author.ID
		self := a.selfID()
		out.AnswerByLore = (self != "" && m.Author.ID == self) || m.Author.ID == a.cfg.AppID
	}
	if out.AnswerByLore {
		return out
	}
	if q := a.question(ctx, ix, m, info); q != nil {
		out.Question = q.Content
		if q.Author != nil {
			out.QuestionAuthor = q.Author.ID
		}
	}
	return out
}

// question is the message m answers: the one it replies to, else the
// starter of the thread it is in; nil when there is none.
func (a *Adapter) question(ctx context.Context, ix *discordgo.Interaction, m *discordgo.Message, info channelInfo) *discordgo.Message {
	if ref := m.MessageReference; ref != nil && ref.Type == discordgo.MessageReferenceTypeDefault && ref.MessageID != "" {
		if m.ReferencedMessage != nil {
			return m.ReferencedMessage
		}
		ch := ref.ChannelID
		if ch == "" {
			ch = ix.ChannelID
		}
		return a.fetchMessage(ctx, ch, ref.MessageID)
	}
	if !info.thread || m.ID == ix.ChannelID {
		return nil
	}
	// A thread's id is its starter message's: in a forum the starter is
	// the thread's first message, otherwise it is in the parent channel.
	if q := a.fetchMessage(ctx, ix.ChannelID, ix.ChannelID); q != nil && q.Content != "" {
		return q
	}
	if info.parent != "" {
		return a.fetchMessage(ctx, info.parent, ix.ChannelID)
	}
	return nil
}

func (a *Adapter) fetchMessage(ctx context.Context, channel, id string) *discordgo.Message {
	q, err := a.session.ChannelMessage(channel, id, discordgo.WithContext(ctx))
	if err != nil {
		a.log.InfoContext(ctx, "reading a message failed", "channel", channel, "message", id, "err", a.apiError("read message", err))
		return nil
	}
	return q
}

// messageLink is the address that opens a message in Discord.
func messageLink(guild, channel, id string) string {
	if guild == "" {
		guild = "@me"
	}
	return "https://discord.com/channels/" + guild + "/" + channel + "/" + id
}

// openToEveryone reports whether every member of the guild may view the
// channel (a thread: a public thread of such a channel), by the @everyone
// role's permissions and the channel's overwrites for it. Whatever cannot
// be read counts as not open, which keeps a saved answer to the channel's
// own readers.
func (a *Adapter) openToEveryone(ctx context.Context, guildID, channelID string) bool {
	opts := []discordgo.RequestOption{discordgo.WithContext(ctx)}
	ch, err := a.session.Channel(channelID, opts...)
	if err == nil && ch.IsThread() {
		if ch.Type == discordgo.ChannelTypeGuildPrivateThread {
			return false
		}
		ch, err = a.session.Channel(ch.ParentID, opts...)
	}
	var g *discordgo.Guild
	if err == nil {
		g, err = a.session.Guild(guildID, opts...)
	}
	if err != nil || ch.GuildID != guildID {
		a.log.WarnContext(ctx, "could not tell whether a channel is open to everyone; treating it as restricted", "channel", channelID, "err", a.apiError("read channel permissions", err))
		return false
	}
	everyone := &discordgo.Member{User: &discordgo.User{}} // holds the @everyone role only
	return memberChannelPermissions(g, ch, everyone)&discordgo.PermissionViewChannel != 0
}
