package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

// maxGroupDM is Slack's limit on the people of a group DM, Lore excluded.
const maxGroupDM = 8

// SendDirect sends reply to people by their Slack user ids: to one person
// in their direct message with Lore, to several in a group DM
// (conversations.open, then chat.postMessage). Nudges and peer
// introductions use it.
func (a *Adapter) SendDirect(ctx context.Context, userIDs []string, reply bot.Reply) error {
	switch {
	case len(userIDs) == 0:
		return errors.New("send direct: no user ids")
	case len(userIDs) > maxGroupDM:
		return fmt.Errorf("send direct: %d people, more than a group DM's %d", len(userIDs), maxGroupDM)
	}
	for _, id := range userIDs {
		if !userIDPattern.MatchString(id) {
			return fmt.Errorf("send direct: %q is not a Slack user id", id)
		}
	}
	var channel string
	err := a.call(ctx, "conversations.open", func(ctx context.Context) error {
		ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: userIDs, ReturnIM: true})
		if err != nil {
			return err
		}
		channel = ch.ID
		return nil
	})
	if err != nil {
		return fmt.Errorf("send direct: %w", err)
	}
	if err := a.deliver(ctx, channel, "", "", render(reply, renderOptions{})); err != nil {
		return fmt.Errorf("send direct: %w", err)
	}
	return nil
}
