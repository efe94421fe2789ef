package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/trace"
)

// An interaction token lets Lore edit its response and send follow-ups for
// fifteen minutes. tokenMargin keeps a slow final edit from racing the end.
const (
	interactionWindow = 15 * time.Minute
	tokenMargin       = time.Minute
)

// errBadInteraction marks an interaction Lore cannot read.
var errBadInteraction = errors.New("malformed interaction")

// parseInteraction decodes an interaction as Discord sends it, over HTTP or
// inside INTERACTION_CREATE, and checks the fields Lore relies on.
func parseInteraction(body []byte) (*discordgo.Interaction, error) {
	var ix discordgo.Interaction
	if err := json.Unmarshal(body, &ix); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadInteraction, err)
	}
	if ix.Type == 0 {
		return nil, fmt.Errorf("%w: no type", errBadInteraction)
	}
	if ix.Type != discordgo.InteractionPing && (ix.ID == "" || ix.Token == "" || ix.AppID == "") {
		return nil, fmt.Errorf("%w: id, application_id and token are required", errBadInteraction)
	}
	return &ix, nil
}

// request is an interaction as the core sees it: a message (a slash
// command) or an action (a button).
type request struct {
	command bool
	msg     bot.Message
	action  bot.Action
	// save is Save to knowledge on target (save.go).
	save   bool
	target *discordgo.Message
	user   string
}

// userMessage is what a person sees when Lore cannot handle an
// interaction; it is shown only to them.
type userMessage string

func (u userMessage) Error() string { return string(u) }

// toRequest turns an interaction into a request for the core, or a
// userMessage saying why it cannot.
func (a *Adapter) toRequest(ix *discordgo.Interaction) (request, error) {
	var user string
	switch {
	case ix.Member != nil && ix.Member.User != nil:
		user = ix.Member.User.ID
		a.rememberMember(ix.GuildID, user, ix.Member)
	case ix.User != nil:
		user = ix.User.ID
	}
	if user == "" {
		return request{}, userMessage("I couldn't tell who sent that.")
	}
	if ix.Context == discordgo.InteractionContextPrivateChannel {
		// A group DM, or a DM between other people: not registered for,
		// and an answer there is not read by the asker alone.
		return request{}, userMessage("I only answer in servers and in direct messages with me.")
	}
	direct := ix.GuildID == ""
	// Settings are by channel; a command in a thread uses its parent's.
	// The lookup costs no request: the deferral must not wait.
	pol := a.cfg.Settings.resolve(ix.GuildID, a.channels.parent(ix.ChannelID))
	if !pol.allowed {
		return request{}, userMessage("I'm not set up to answer in this channel.")
	}
	switch ix.Type {
	case discordgo.InteractionApplicationCommand:
		data, ok := ix.Data.(discordgo.ApplicationCommandInteractionData)
		if !ok {
			return request{}, userMessage("I couldn't read that command.")
		}
		if data.CommandType == discordgo.MessageApplicationCommand && data.Name == saveCommandName {
			var target *discordgo.Message
			if data.Resolved != nil {
				target = data.Resolved.Messages[data.TargetID]
			}
			if target == nil {
				return request{}, userMessage("I couldn't read that message.")
			}
			return request{save: true, target: target, user: user}, nil
		}
		text, ok := commandText(data, a.subs)
		if !ok {
			return request{}, userMessage("I don't know that command. Try `/lore help`.")
		}
		return request{command: true, msg: bot.Message{
			Platform: Platform, Workspace: ix.GuildID, Channel: ix.ChannelID,
			User: user, Text: text, Direct: direct, Collections: pol.collections,
		}}, nil
	case discordgo.InteractionMessageComponent:
		data, ok := ix.Data.(discordgo.MessageComponentInteractionData)
		if !ok {
			return request{}, userMessage("I couldn't read that button.")
		}
		id, value, ok := decodeCustomID(data.CustomID)
		if !ok {
			return request{}, userMessage("I don't know that button. It may belong to an older version of this message.")
		}
		return request{action: bot.Action{
			Platform: Platform, Workspace: ix.GuildID, Channel: ix.ChannelID,
			User: user, ID: id, Value: value,
		}}, nil
	}
	return request{}, userMessage("I can't handle that kind of interaction.")
}

// respondFunc sends the one initial response to an interaction: a REST
// callback for the gateway, the HTTP response for the endpoint.
type respondFunc func(*discordgo.InteractionResponse) error

func (a *Adapter) onInteractionCreate(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	a.work.Add(1)
	defer a.work.Done()
	ctx, cancel := a.handlerContext()
	defer cancel()
	a.handleInteraction(ctx, ic.Interaction, func(resp *discordgo.InteractionResponse) error {
		return a.apiError("respond to interaction", s.InteractionRespond(ic.Interaction, resp, discordgo.WithContext(ctx)), ic.Token)
	})
}

// handleInteraction defers the interaction at once, asks the core, and
// completes the response with edits and follow-ups.
func (a *Adapter) handleInteraction(ctx context.Context, ix *discordgo.Interaction, respond respondFunc) {
	ctx = trace.WithRequestID(ctx, ix.ID)
	received := a.now()
	if first, err := a.claims.Claim(ctx, "discord:interaction:"+ix.ID, claimTTL); err != nil {
		a.log.WarnContext(ctx, "claiming an interaction failed; handling it anyway", "err", err)
	} else if !first {
		return
	}
	req, err := a.toRequest(ix)
	var um userMessage
	if errors.As(err, &um) {
		if err := respond(&discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: string(um), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
		}); err != nil {
			a.log.WarnContext(ctx, "answering an interaction failed", "err", err)
		}
		return
	}
	if req.save {
		a.save(ctx, ix, req, respond)
		return
	}
	if !req.command {
		// A button press: acknowledge without changing the message, then
		// answer in a follow-up.
		if err := respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); err != nil {
			a.log.WarnContext(ctx, "deferring a button press failed", "err", err)
			return
		}
		req.action.Channel, req.action.Thread = a.place(ctx, ix.GuildID, ix.ChannelID)
		reply := a.core.HandleAction(ctx, req.action)
		a.complete(ctx, ix, received, false, reply)
		return
	}
	if err := respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		a.log.WarnContext(ctx, "deferring a command failed", "err", err)
		return
	}
	req.msg.Channel, req.msg.Thread = a.place(ctx, ix.GuildID, ix.ChannelID)
	st := startStreamer(ctx, a.cfg.StreamInterval, a.log, func(ctx context.Context, text string) error {
		if a.expired(received) {
			return nil
		}
		_, err := a.session.InteractionResponseEdit(ix, &discordgo.WebhookEdit{Content: &text, AllowedMentions: noMentions()}, discordgo.WithContext(ctx))
		return a.apiError("edit interaction response", err, ix.Token)
	})
	reply := a.core.HandleMessageStream(ctx, req.msg, st.update)
	st.stop()
	a.complete(ctx, ix, received, true, reply)
}

// place is where an interaction used in channel happened, as the core
// knows places from messages: a thread is its parent channel with the
// thread as Thread, so that a button under an answer in Lore's thread, or
// /lore in that thread, refers to the answers and questions recorded
// there. It may ask Discord about the channel, so it runs after the
// deferral; when that fails the channel is taken as it is.
func (a *Adapter) place(ctx context.Context, guild, channel string) (string, string) {
	if guild == "" || channel == "" {
		return channel, ""
	}
	info, err := a.channels.lookup(ctx, channel)
	if err != nil {
		a.log.WarnContext(ctx, "looking up an interaction's channel failed", "channel", channel, "err", a.apiError("look up channel", err))
		return channel, ""
	}
	if info.thread && info.parent != "" {
		return info.parent, channel
	}
	return channel, ""
}

// expired reports whether an interaction received at t can no longer be
// answered through its token.
func (a *Adapter) expired(t time.Time) bool {
	return a.now().Sub(t) > interactionWindow-tokenMargin
}

// complete shows reply for an interaction: in the deferred original
// response (when there is one) and follow-ups, ephemeral when the reply is
// private. Once the token has expired a reply goes to the channel, or by
// direct message when it is private.
func (a *Adapter) complete(ctx context.Context, ix *discordgo.Interaction, received time.Time, original bool, reply bot.Reply) {
	msgs := render(reply)
	if a.expired(received) && reply.Private {
		// Only the token could show the reply to the person alone; the
		// channel would show it to everyone.
		user := interactionUser(ix)
		if !isSnowflake(user) {
			a.log.WarnContext(ctx, "interaction token expired; a private reply was dropped: no one to send it to", "channel", ix.ChannelID)
			return
		}
		a.log.InfoContext(ctx, "interaction token expired; sending the private reply by direct message", "channel", ix.ChannelID)
		if err := a.deliver(ctx, &delivery{what: "direct message to " + user, msgs: msgs, resolve: a.dmChannel(user)}); err != nil {
			a.log.WarnContext(ctx, "interaction token expired and a direct message failed; a private reply was dropped", "channel", ix.ChannelID, "err", err)
		}
		return
	}
	if a.expired(received) {
		a.log.InfoContext(ctx, "interaction token expired; replying in the channel", "channel", ix.ChannelID)
		for _, om := range msgs {
			if _, err := a.session.ChannelMessageSendComplex(ix.ChannelID, messageSend(om), discordgo.WithContext(ctx)); err != nil {
				a.log.ErrorContext(ctx, "sending a reply failed", "channel", ix.ChannelID, "err", a.apiError("send message", err))
				return
			}
		}
		return
	}
	if original && reply.Private {
		// The deferred response is public and cannot become ephemeral:
		// remove it and answer privately.
		if err := a.session.InteractionResponseDelete(ix, discordgo.WithContext(ctx)); err != nil {
			a.log.WarnContext(ctx, "removing a response failed", "err", a.apiError("delete interaction response", err, ix.Token))
		}
		original = false
	}
	for i, om := range msgs {
		var err error
		if i == 0 && original {
			_, err = a.session.InteractionResponseEdit(ix, webhookEdit(om), discordgo.WithContext(ctx))
			err = a.apiError("edit interaction response", err, ix.Token)
		} else {
			p := &discordgo.WebhookParams{Content: om.Content, Embeds: om.Embeds, Components: om.Components, AllowedMentions: noMentions()}
			if reply.Private {
				p.Flags = discordgo.MessageFlagsEphemeral
			}
			_, err = a.session.FollowupMessageCreate(ix, true, p, discordgo.WithContext(ctx))
			err = a.apiError("send follow-up", err, ix.Token)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "completing an interaction failed", "part", i+1, "err", err)
			return
		}
	}
}

// interactionUser is the id of the person who used an interaction: its
// member's in a server, its user's elsewhere.
func interactionUser(ix *discordgo.Interaction) string {
	if ix.Member != nil && ix.Member.User != nil {
		return ix.Member.User.ID
	}
	if ix.User != nil {
		return ix.User.ID
	}
	return ""
}

func webhookEdit(om outMessage) *discordgo.WebhookEdit {
	e := &discordgo.WebhookEdit{Content: &om.Content, AllowedMentions: noMentions()}
	if len(om.Embeds) > 0 {
		e.Embeds = &om.Embeds
	}
	if len(om.Components) > 0 {
		e.Components = &om.Components
	}
	return e
}
