package slack

import (
	"context"
	"errors"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

// callbackSave is the callback_id of the Save to knowledge message
// shortcut, as the app manifest declares it.
const callbackSave = "save_to_knowledge"

// handleShortcut answers a message shortcut. Save to knowledge on a reply
// in a thread sends the core the reply and the thread's first message,
// read with conversations.replies, as the answer and its question; the
// outcome is shown to the saver alone.
func (a *Adapter) handleShortcut(ctx context.Context, in interaction) {
	if in.CallbackID != callbackSave {
		a.log.WarnContext(ctx, "message shortcut not handled", "callback_id", in.CallbackID)
		a.replyToPress(ctx, in, bot.Reply{Text: "I don't know that shortcut. It may belong to an older version of the app.", Private: true})
		return
	}
	if a.deps.Saves == nil {
		a.replyToPress(ctx, in, bot.Reply{Text: "Saving to knowledge is not set up here. Ask an admin to turn curation on.", Private: true})
		return
	}
	if a.self.Load() == nil {
		if err := a.Identify(ctx); err != nil {
			a.log.ErrorContext(ctx, "cannot identify the bot; shortcut dropped", "err", err)
			return
		}
	}
	self := a.identity()
	m := in.Message
	req := bot.SaveRequest{
		Platform: Platform, Workspace: in.team(), Channel: in.channel(), Thread: m.ThreadTS, User: in.User.ID,
		Answer: plainText(m.Text), AnswerAuthor: m.User, AnswerID: m.TS,
		AnswerByLore: (m.User != "" && m.User == self.UserID) || (m.BotID != "" && m.BotID == self.BotID),
	}
	if !req.AnswerByLore && m.ThreadTS != "" && m.ThreadTS != m.TS {
		parent, err := a.threadParent(ctx, req.Channel, m.ThreadTS)
		if err != nil {
			a.replyToPress(ctx, in, bot.Reply{Text: "I couldn't read this thread's first message, so I saved nothing. If this is a private channel or a group DM, invite me to it first.", Private: true})
			return
		}
		req.Question, req.QuestionAuthor = plainText(parent.Text), parent.User
	}
	if !req.AnswerByLore && req.Question != "" {
		req.Permalink = a.permalink(ctx, req.Channel, m.TS)
		req.Public = a.channelIsPublic(ctx, req.Channel)
	}
	reply := a.deps.Saves.HandleSave(ctx, req)
	reply.Private = true
	a.replyToPress(ctx, in, reply)
}

// channelIsPublic reports whether everyone in the workspace may read the
// channel: a public channel, not an IM or group DM, and not shared with
// another organisation. When conversations.info fails the answer is no,
// which keeps a saved answer to the channel's own readers.
func (a *Adapter) channelIsPublic(ctx context.Context, channel string) bool {
	var ch *slack.Channel
	err := a.call(ctx, "conversations.info", func(ctx context.Context) (err error) {
		ch, err = a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
		return err
	})
	if err != nil || ch == nil {
		a.log.WarnContext(ctx, "could not tell whether a channel is public; treating it as private", "channel", channel, "err", err)
		return false
	}
	return ch.IsChannel && !ch.IsPrivate && !ch.IsIM && !ch.IsMpIM && !ch.IsExtShared && !ch.IsPendingExtShared
}

// threadParent reads the first message of a thread.
func (a *Adapter) threadParent(ctx context.Context, channel, threadTS string) (slack.Message, error) {
	var msgs []slack.Message
	err := a.call(ctx, "conversations.replies", func(ctx context.Context) (err error) {
		msgs, _, _, err = a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: threadTS, Limit: 1, Inclusive: true,
		})
		return err
	})
	if err != nil {
		return slack.Message{}, err
	}
	if len(msgs) == 0 || msgs[0].Timestamp != threadTS {
		return slack.Message{}, errors.New("conversations.replies did not return the thread's first message")
	}
	return msgs[0], nil
}

// permalink links to a message, or is empty when Slack does not say.
func (a *Adapter) permalink(ctx context.Context, channel, ts string) string {
	var link string
	if err := a.call(ctx, "chat.getPermalink", func(ctx context.Context) (err error) {
		link, err = a.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	}); err != nil {
		return ""
	}
	return link
}

// slackMarkup is Slack's markup in message text: <URL|label>, <URL>,
// <@U…>, <#C…|name> and <!here>.
var slackMarkup = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]*))?>`)

// plainText turns a message as Slack stores it into what its author
// typed, for a document: links as "label (URL)" or the URL, mentions as
// @U…, channels as #name, and the entities &amp; &lt; &gt; as characters.
func plainText(s string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackMarkup.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		switch {
		case strings.HasPrefix(target, "@"):
			return target
		case strings.HasPrefix(target, "#"):
			if label != "" {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(strings.SplitN(target, "^", 2)[0], "!")
		case label != "" && label != target:
			return label + " (" + target + ")"
		}
		return target
	})
	return unescapeText(s)
}
