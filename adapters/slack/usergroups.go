package slack

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/lorehq/lore/knowledge/audience"
)

// Roles can follow Slack user groups (LORE_ROLE_MAP): the role directory
// asks which of the mapped groups a person is in. Each group's members
// are read with usergroups.users.list (scope usergroups:read) and cached
// for groupCacheTTL, so a busy workspace costs one call per group every
// few minutes, not one per message; a change in Slack takes effect within
// that time.

// groupCacheTTL is how long a user group's members are trusted.
const groupCacheTTL = 5 * time.Minute

// userGroupIDPattern is a Slack user group id.
var userGroupIDPattern = regexp.MustCompile(`^S[A-Z0-9]{1,30}$`)

var _ audience.PlatformGroups = (*Adapter)(nil)

type groupCache struct {
	mu     sync.Mutex
	groups map[string]groupEntry
}

type groupEntry struct {
	members []string
	at      time.Time
}

func (c *groupCache) get(id string, now time.Time) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.groups[id]
	if !ok || now.Sub(e.at) > groupCacheTTL {
		return nil, false
	}
	return e.members, true
}

func (c *groupCache) put(id string, members []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.groups == nil {
		c.groups = map[string]groupEntry{}
	}
	c.groups[id] = groupEntry{members: members, at: now}
}

// HeldGroups implements audience.PlatformGroups: those of the user group
// ids that user belongs to. The workspace is the adapter's own; another
// one is refused. An id that is not a user group's, or a group Slack will
// not list, is an error: the directory then grants nothing.
func (a *Adapter) HeldGroups(ctx context.Context, workspace, user string, ids []string) ([]string, error) {
	if team := a.identity().TeamID; team != "" && workspace != "" && workspace != team {
		return nil, fmt.Errorf("slack user groups: workspace %s is not this app's (%s)", workspace, team)
	}
	now := a.cfg.Clock()
	var held []string
	for _, id := range ids {
		if !userGroupIDPattern.MatchString(id) {
			return nil, fmt.Errorf("slack user groups: %q is not a user group id (S...)", id)
		}
		members, ok := a.groups.get(id, now)
		if !ok {
			err := a.call(ctx, "usergroups.users.list", func(ctx context.Context) (err error) {
				members, err = a.api.GetUserGroupMembersContext(ctx, id)
				return err
			})
			if err != nil {
				// slack-go's errors carry Slack's error code, never the
				// token, which travels in the request body.
				return nil, fmt.Errorf("slack usergroups.users.list %s: %w", id, err)
			}
			a.groups.put(id, members, now)
		}
		if slices.Contains(members, user) {
			held = append(held, id)
		}
	}
	return held, nil
}
