package slack

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

// handleInteraction handles button presses and message shortcuts: Lore's
// answer buttons go to the core as a bot.Action; "Share in channel" and
// the App Home settings are the adapter's own; Save to knowledge goes to
// the core as a bot.SaveRequest (save.go).
func (a *Adapter) handleInteraction(ctx context.Context, in interaction) {
	ctx = requestContext(ctx, in.TriggerID)
	if in.Type == interactionMessageAction {
		a.handleShortcut(ctx, in)
		return
	}
	team, channel, thread := in.team(), in.channel(), in.thread()
	for _, act := range in.Actions {
		switch act.ActionID {
		case actionRefreshTZ:
			if err := a.savePerson(ctx, team, in.User.ID, true); err != nil {
				a.log.WarnContext(ctx, "refreshing a time zone failed", "user", in.User.ID, "err", err)
			}
			a.publishHome(ctx, team, in.User.ID)
		case actionShare:
			a.share(ctx, in, strings.TrimSpace(act.Value))
		default:
			reply := a.core.HandleAction(ctx, bot.Action{
				Platform: Platform, Workspace: team, Channel: channel, Thread: thread, User: in.User.ID,
				ID: act.ActionID, Value: act.Value,
			})
			a.replyToPress(ctx, in, reply)
		}
	}
}

// replyToPress shows the core's reply to a press: privately through the
// response_url when there is one, else as an ephemeral message.
func (a *Adapter) replyToPress(ctx context.Context, in interaction, reply bot.Reply) {
	if in.ResponseURL != "" {
		if err := a.respond(ctx, in.ResponseURL, reply, renderOptions{}, !reply.Private, false); err != nil {
			a.log.WarnContext(ctx, "answering a button press failed", "user", in.User.ID, "err", err)
		}
		return
	}
	if ch := in.channel(); ch != "" {
		a.postEphemeral(ctx, ch, in.User.ID, in.thread(), render(reply, renderOptions{}))
	}
}

// share asks the question again in the open and posts the answer for the
// channel, replacing the private answer. The answer is recomputed rather
// than carried in the button, which holds only the question.
func (a *Adapter) share(ctx context.Context, in interaction, question string) {
	if question == "" || in.ResponseURL == "" {
		return
	}
	msg := bot.Message{
		Platform: Platform, Workspace: in.team(), Channel: in.channel(), User: in.User.ID,
		Direct: a.ownDM(ctx, in.team(), in.channel(), in.User.ID), Text: "ask " + question,
	}
	settings, allowed := a.cfg.channel(msg.Channel, msg.Direct)
	if !allowed {
		a.replyToPress(ctx, in, bot.Reply{Text: "I'm not set up to answer in this channel, so I can't share the answer here.", Private: true})
		return
	}
	msg.Collections = settings.Collections
	if ts := in.Container.MessageTS; ts != "" {
		// One private answer is shared once, however often its button is
		// pressed before it is gone: a double click, two devices.
		first, err := a.deps.Claims.Claim(ctx, "slack:share:"+msg.Workspace+":"+msg.Channel+":"+ts+":"+msg.User, shareTTL)
		switch {
		case err != nil:
			a.log.WarnContext(ctx, "claiming a share failed; sharing anyway", "user", in.User.ID, "err", err)
		case !first:
			a.replyToPress(ctx, in, bot.Reply{Text: "I've shared this answer already.", Private: true})
			return
		}
	}
	reply := a.core.HandleMessage(ctx, msg)
	// One use of the response_url is kept for removing the private answer.
	opts := renderOptions{maxMessages: maxResponseURLUses - 1}
	if userIDPattern.MatchString(in.User.ID) {
		opts.preface = "<@" + in.User.ID + "> asked: " + Escape(truncate(question, 500))
	}
	shared := bot.Reply{Text: reply.Text, Citations: reply.Citations, Buttons: reply.Buttons, Grounded: reply.Grounded}
	if err := a.respond(ctx, in.ResponseURL, shared, opts, true, false); err != nil {
		a.log.WarnContext(ctx, "sharing an answer failed", "user", in.User.ID, "err", err)
		return
	}
	// The shared answer replaces the private one, and its Share button.
	if err := a.call(ctx, "response_url", func(ctx context.Context) error {
		return slack.PostWebhookCustomHTTPContext(ctx, in.ResponseURL, a.cfg.HTTPClient, &slack.WebhookMessage{DeleteOriginal: true})
	}); err != nil {
		a.log.WarnContext(ctx, "removing a shared private answer failed", "user", in.User.ID, "err", err)
	}
}

// shareTTL is how long a private answer is remembered as shared: as long
// as its response_url, which the share posts through, may be used.
const shareTTL = 30 * time.Minute

// userIDPattern is a Slack user id, safe to put in a <@…> mention.
var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{1,30}$`)
