package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	_, err := a.sendDirect(ctx, userIDs, reply)
	return err
}

// SendDirectThread sends reply to one person, as SendDirect does, and
// returns the ts of its first message: a reply in that message's thread
// arrives with it as thread_ts, which is how a learner's answer to a nudge
// finds the nudge.
func (a *Adapter) SendDirectThread(ctx context.Context, userID string, reply bot.Reply) (string, error) {
	if !userIDPattern.MatchString(userID) {
		return "", fmt.Errorf("send direct: %q is not a Slack user id", userID)
	}
	return a.sendDirect(ctx, []string{userID}, reply)
}

func (a *Adapter) sendDirect(ctx context.Context, userIDs []string, reply bot.Reply) (string, error) {
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
		return "", fmt.Errorf("send direct: %w", err)
	}
	msgs := render(reply, renderOptions{})
	if len(msgs) == 0 {
		return "", nil
	}
	first, err := a.post(ctx, channel, "", messageOptions(msgs[0])...)
	if err != nil {
		return "", fmt.Errorf("send direct: %w", err)
	}
	if err := a.deliver(ctx, channel, "", "", msgs[1:]); err != nil {
		return first, fmt.Errorf("send direct: %w", err)
	}
	return first, nil
}

// ownDM reports whether channel is Lore's own direct-message conversation
// with user, the one place where an answer is read by the asker alone. A
// direct message between two people also has an id starting with D, and
// /lore and its Share button work there too; an answer shared there is
// read by the other person, so it must not be scoped as a direct message.
// When Slack cannot say, the answer is no.
func (a *Adapter) ownDM(ctx context.Context, team, channel, user string) bool {
	if !strings.HasPrefix(channel, "D") || !userIDPattern.MatchString(user) {
		return false
	}
	key := team + "/" + user
	a.dmMu.Lock()
	id, known := a.dms[key]
	a.dmMu.Unlock()
	if !known {
		err := a.call(ctx, "conversations.open", func(ctx context.Context) error {
			ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
			if err != nil {
				return err
			}
			id = ch.ID
			return nil
		})
		if err != nil || id == "" {
			return false
		}
		a.dmMu.Lock()
		if a.dms == nil {
			a.dms = map[string]string{}
		}
		a.dms[key] = id
		a.dmMu.Unlock()
	}
	return id == channel
}
