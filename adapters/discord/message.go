package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/trace"
)

// threadArchiveMinutes is how long a quiet answer thread stays open.
const threadArchiveMinutes = 1440

func (a *Adapter) onMessageCreate(_ *discordgo.Session, m *discordgo.MessageCreate) {
	if m == nil || m.Message == nil {
		return
	}
	a.work.Add(1)
	defer a.work.Done()
	ctx, cancel := a.handlerContext()
	defer cancel()
	a.handleMessage(ctx, m.Message)
}

// handleMessage answers a message when it is for Lore: a direct message, a
// mention, a follow-up in Lore's thread, or any message where the settings
// say so.
func (a *Adapter) handleMessage(ctx context.Context, m *discordgo.Message) {
	// The message's snowflake names it in Lore's logs too.
	ctx = trace.WithRequestID(ctx, m.ID)
	self := a.selfID()
	if m.Author == nil || m.Author.Bot || m.WebhookID != "" || self == "" || m.Author.ID == self {
		return
	}
	if !typedByPerson(m.Type) {
		return
	}
	direct := m.GuildID == ""
	a.rememberMember(m.GuildID, m.Author.ID, m.Member)
	// Picking Lore's role instead of Lore when typing @Lore mentions Lore
	// too.
	roles := a.mentionedSelfRoles(ctx, m, self)
	mentioned := mentionsUser(m, self) || len(roles) > 0
	if !direct && !mentioned && strings.TrimSpace(m.Content) == "" {
		// Without the Message Content intent an unmentioned message
		// arrives empty; there is nothing to answer, and no need to look
		// up its channel.
		return
	}
	var info channelInfo
	if !direct {
		var err error
		if info, err = a.channels.lookup(ctx, m.ChannelID); err != nil {
			// Not knowing whether this is a thread only matters for
			// unmentioned messages; a mention is still answered.
			a.log.WarnContext(ctx, "looking up a channel failed", "channel", m.ChannelID, "err", a.apiError("look up channel", err))
			if !mentioned {
				return
			}
		}
	}
	channel, thread := m.ChannelID, ""
	if info.thread {
		channel, thread = info.parent, m.ChannelID
	}
	if direct && m.MessageReference != nil {
		// Direct messages have no threads; a reply to one of Lore's
		// messages (a nudge, an answer) is the nearest thing.
		thread = m.MessageReference.MessageID
	}
	pol := a.cfg.Settings.resolve(m.GuildID, channel)
	if !pol.allowed {
		return
	}
	loreThread := info.thread && info.ownerID == self
	if !direct && !mentioned && !loreThread && !pol.answerAll {
		return
	}
	text := stripMention(m.Content, self, roles...)
	if first, err := a.claims.Claim(ctx, "discord:message:"+m.ID, claimTTL); err != nil {
		// Answering twice is better than not answering.
		a.log.WarnContext(ctx, "claiming a message failed; answering anyway", "err", err)
	} else if !first {
		return
	}

	target := m.ChannelID
	var ref *discordgo.MessageReference
	if !direct && !info.thread {
		th, err := a.session.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
			Name: threadName(text), AutoArchiveDuration: threadArchiveMinutes,
		}, discordgo.WithContext(ctx))
		if err != nil {
			// Without the thread permissions Lore replies in the channel.
			a.log.WarnContext(ctx, "starting a thread failed; replying in the channel", "channel", m.ChannelID, "err", a.apiError("start thread", err))
			ref = m.Reference()
		} else {
			target, thread = th.ID, th.ID
			a.channels.remember(th.ID, channelInfo{thread: true, ownerID: self, parent: m.ChannelID})
		}
	}
	msg := bot.Message{
		Platform: Platform, Workspace: m.GuildID, Channel: channel, Thread: thread,
		User: m.Author.ID, Text: text, Direct: direct, Collections: pol.collections,
	}
	a.answerInChannel(ctx, target, ref, msg)
}

// answerInChannel asks the core and posts its reply in channel, showing
// the answer while it is written when the core streams. A private reply to
// a message in a server goes by direct message instead (answerPrivately).
func (a *Adapter) answerInChannel(ctx context.Context, channel string, ref *discordgo.MessageReference, msg bot.Message) {
	var posted *discordgo.Message // owned by the streamer until stop
	st := startStreamer(ctx, a.cfg.StreamInterval, a.log, func(ctx context.Context, text string) error {
		if posted == nil {
			m, err := a.session.ChannelMessageSendComplex(channel, &discordgo.MessageSend{
				Content: text, AllowedMentions: noMentions(), Reference: ref,
			}, discordgo.WithContext(ctx))
			if err != nil {
				return a.apiError("send message", err)
			}
			posted = m
			return nil
		}
		_, err := a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: posted.ID, Channel: channel, Content: &text, AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		return a.apiError("edit message", err)
	})
	reply := a.core.HandleMessageStream(ctx, msg, st.update)
	st.stop()
	if reply.Private && !msg.Direct {
		// A channel or thread is seen by everyone in it, and a plain
		// message cannot be ephemeral: the reply goes by direct message.
		a.answerPrivately(ctx, channel, ref, posted, msg.User, reply)
		return
	}
	for i, om := range render(reply) {
		var err error
		if i == 0 && posted != nil {
			_, err = a.session.ChannelMessageEditComplex(messageEdit(channel, posted.ID, om), discordgo.WithContext(ctx))
			err = a.apiError("edit message", err)
		} else {
			send := messageSend(om)
			if i == 0 {
				send.Reference = ref
			}
			_, err = a.session.ChannelMessageSendComplex(channel, send, discordgo.WithContext(ctx))
			err = a.apiError("send message", err)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "sending a reply failed", "channel", channel, "part", i+1, "err", err)
			return
		}
	}
}

// Notes left in a channel when a private reply to a message there went
// elsewhere; they say nothing of the reply itself.
const (
	privateSentNote   = "I've sent you the answer in a direct message."
	privateFailedNote = "I couldn't send you a direct message, so I haven't answered here: the answer is only for you. " +
		"Allow direct messages from this server's members and ask again, or use the `/lore` command or a direct message to me."
)

// answerPrivately sends a private reply to a message in a guild channel or
// thread to its author by direct message, and leaves only a short note in
// channel. Text already streamed into channel (posted) is removed first.
func (a *Adapter) answerPrivately(ctx context.Context, channel string, ref *discordgo.MessageReference, posted *discordgo.Message, user string, reply bot.Reply) {
	if posted != nil {
		if err := a.session.ChannelMessageDelete(channel, posted.ID, discordgo.WithContext(ctx)); err != nil {
			a.log.ErrorContext(ctx, "removing a streamed private reply from the channel failed", "channel", channel, "err", a.apiError("delete message", err))
		}
	}
	note := privateSentNote
	var err error
	if !isSnowflake(user) {
		err = fmt.Errorf("discord: send direct: %q is not a Discord user id", user)
	} else {
		// A rate limit or a server error queues the message for a retry:
		// it is on its way.
		err = a.deliver(ctx, &delivery{what: "direct message to " + user, msgs: render(reply), resolve: a.dmChannel(user)})
	}
	if err != nil {
		a.log.WarnContext(ctx, "sending a private reply by direct message failed; it is not shown in the channel", "channel", channel, "err", err)
		note = privateFailedNote
	}
	send := &discordgo.MessageSend{Content: note, AllowedMentions: noMentions(), Reference: ref}
	if _, err := a.session.ChannelMessageSendComplex(channel, send, discordgo.WithContext(ctx)); err != nil {
		a.log.ErrorContext(ctx, "sending a note failed", "channel", channel, "err", a.apiError("send message", err))
	}
}

func messageSend(om outMessage) *discordgo.MessageSend {
	return &discordgo.MessageSend{Content: om.Content, Embeds: om.Embeds, Components: om.Components, AllowedMentions: noMentions()}
}

func messageEdit(channel, id string, om outMessage) *discordgo.MessageEdit {
	e := &discordgo.MessageEdit{ID: id, Channel: channel, Content: &om.Content, AllowedMentions: noMentions()}
	if len(om.Embeds) > 0 {
		e.Embeds = &om.Embeds
	}
	if len(om.Components) > 0 {
		e.Components = &om.Components
	}
	return e
}

// typedByPerson reports whether a message of type t is something a person
// wrote: a plain message or a reply. Discord's system messages carry the
// person who caused them as author and text that is not a question, such
// as a thread's new name (renaming Lore's thread, creating a thread in a
// channel that answers everything) or a message AutoMod blocked.
func typedByPerson(t discordgo.MessageType) bool {
	return t == discordgo.MessageTypeDefault || t == discordgo.MessageTypeReply
}

func mentionsUser(m *discordgo.Message, id string) bool {
	for _, u := range m.Mentions {
		if u != nil && u.ID == id {
			return true
		}
	}
	return false
}

// stripMention removes the mentions of Lore, and of its roles, from text:
// "<@id> question" and "<@&role> question" ask "question".
func stripMention(text, self string, roles ...string) string {
	text = strings.ReplaceAll(text, "<@"+self+">", "")
	text = strings.ReplaceAll(text, "<@!"+self+">", "")
	for _, r := range roles {
		text = strings.ReplaceAll(text, "<@&"+r+">", "")
	}
	return strings.TrimSpace(text)
}

// threadName names an answer thread after its question, on one line and
// within Discord's 100 characters.
func threadName(question string) string {
	name := escapeLine(strings.Join(strings.Fields(question), " "))
	if name == "" {
		return "Lore"
	}
	return truncate(name, 100)
}
