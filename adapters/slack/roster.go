package slack

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// Pairing rounds ask the adapter who is in a channel (peers.Roster). Slack
// lists a channel's members by id only (conversations.members), bots and
// deactivated accounts included, so each id is looked up: users.info one
// by one for a few unknown people, users.list page by page when many are
// unknown (one call per 200 people instead of one per person). What is
// learnt is cached for rosterCacheTTL, so a weekly round in a large
// channel costs a handful of calls.

const (
	// membersPageSize is conversations.members' page size; Slack allows up
	// to 1,000 and recommends no more than 200.
	membersPageSize = 200
	// usersListPageSize is users.list's page size.
	usersListPageSize = 200
	// usersListThreshold is how many unknown members make listing the
	// whole workspace cheaper than asking about each.
	usersListThreshold = 25
	// rosterCacheTTL is how long what Slack said about a person (bot,
	// deactivated) is trusted.
	rosterCacheTTL = time.Hour
	// maxChannelMembers bounds a roster: a round beyond it would be
	// unreadable anyway, and it bounds the memory a bad channel id costs.
	maxChannelMembers = 100_000
)

// conversationIDPattern is a Slack conversation id: public (C), private
// or legacy group (G), direct message (D).
var conversationIDPattern = regexp.MustCompile(`^[CGD][A-Z0-9]{1,30}$`)

// rosterCache remembers which user ids are people who can be paired.
type rosterCache struct {
	mu    sync.Mutex
	users map[string]rosterEntry
}

type rosterEntry struct {
	human bool // not a bot or app user, not deactivated
	at    time.Time
}

// pairable reports whether a Slack user is a person who can be paired:
// not a bot, not an app user, not deactivated, not Slackbot.
func pairable(u slack.User) bool {
	return !u.IsBot && !u.IsAppUser && !u.Deleted && u.ID != "USLACKBOT"
}

func (c *rosterCache) get(user string, now time.Time) (human, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.users[user]
	if !ok || now.Sub(e.at) > rosterCacheTTL {
		return false, false
	}
	return e.human, true
}

func (c *rosterCache) put(user string, human bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users == nil {
		c.users = map[string]rosterEntry{}
	}
	c.users[user] = rosterEntry{human: human, at: now}
}

// ChannelMembers lists the people in a channel for a pairing round
// (peers.Roster): every member of the conversation (conversations.members,
// paginated) except bots, app users, deactivated accounts, Slackbot and
// Lore itself. It needs channels:read (groups:read and membership for a
// private channel). The workspace is the adapter's own; another one is
// refused.
func (a *Adapter) ChannelMembers(ctx context.Context, workspace, channel string) ([]string, error) {
	if !conversationIDPattern.MatchString(channel) {
		return nil, fmt.Errorf("slack channel members: %q is not a Slack channel id", channel)
	}
	if team := a.identity().TeamID; team != "" && workspace != "" && workspace != team {
		return nil, fmt.Errorf("slack channel members: workspace %s is not this app's (%s)", workspace, team)
	}
	var ids []string
	cursor := ""
	for {
		var page []string
		var next string
		err := a.call(ctx, "conversations.members", func(ctx context.Context) (err error) {
			page, next, err = a.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{
				ChannelID: channel, Cursor: cursor, Limit: membersPageSize,
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("slack channel members of %s: %w", channel, err)
		}
		ids = append(ids, page...)
		if len(ids) > maxChannelMembers {
			return nil, fmt.Errorf("slack channel members of %s: more than %d members", channel, maxChannelMembers)
		}
		if next == "" || next == cursor {
			break
		}
		cursor = next
	}
	return a.humans(ctx, ids)
}

// humans keeps the ids of people who can be paired, in order, without
// duplicates.
func (a *Adapter) humans(ctx context.Context, ids []string) ([]string, error) {
	now := a.cfg.Clock()
	self := a.identity().UserID
	var unknown []string
	for _, id := range ids {
		if _, ok := a.roster.get(id, now); !ok && id != self {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > usersListThreshold {
		if err := a.learnAllUsers(ctx, now); err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	for _, id := range ids {
		if id == self || seen[id] || !userIDPattern.MatchString(id) {
			continue
		}
		seen[id] = true
		human, ok := a.roster.get(id, now)
		if !ok {
			// Not in users.list (a guest of a shared channel) or few
			// unknown: ask about this one.
			var u *slack.User
			err := a.call(ctx, "users.info", func(ctx context.Context) (err error) {
				u, err = a.api.GetUserInfoContext(ctx, id)
				return err
			})
			var se slack.SlackErrorResponse
			switch {
			case errors.As(err, &se) && se.Err == "user_not_found":
				human = false
			case err != nil:
				return nil, fmt.Errorf("slack user %s: %w", id, err)
			default:
				human = pairable(*u)
			}
			a.roster.put(id, human, now)
		}
		if human {
			out = append(out, id)
		}
	}
	return out, nil
}

// learnAllUsers caches every user of the workspace from users.list.
func (a *Adapter) learnAllUsers(ctx context.Context, now time.Time) error {
	p := a.api.GetUsersPaginated(slack.GetUsersOptionLimit(usersListPageSize))
	for {
		done := false
		err := a.call(ctx, "users.list", func(ctx context.Context) error {
			next, err := p.Next(ctx)
			if p.Done(err) {
				// The page before was the last; no call was made.
				done = true
				return nil
			}
			if err == nil {
				p = next
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("slack users.list: %w", err)
		}
		if done {
			return nil
		}
		for _, u := range p.Users {
			a.roster.put(u.ID, pairable(u), now)
		}
	}
}
