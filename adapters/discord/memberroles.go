package discord

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/knowledge/audience"
)

// Roles can follow Discord roles (LORE_ROLE_MAP): the role directory asks
// which of the mapped roles a member holds. A member's roles arrive with
// every guild message and interaction Lore receives, so they are
// remembered from there; otherwise Get Guild Member reads them (no
// privileged intent needed). Either way they are trusted for
// memberRolesTTL, so a role removed in Discord stops counting within it.

// memberRolesTTL is how long a member's roles are trusted.
const memberRolesTTL = 5 * time.Minute

// maxRememberedMembers bounds the cache; past it, it starts again.
const maxRememberedMembers = 50_000

var _ audience.PlatformGroups = (*Adapter)(nil)

type memberRoles struct {
	mu    sync.Mutex
	roles map[string]rolesEntry // guild/user
}

type rolesEntry struct {
	roles []string
	at    time.Time
}

func (c *memberRoles) get(guild, user string, now time.Time) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.roles[guild+"/"+user]
	if !ok || now.Sub(e.at) > memberRolesTTL {
		return nil, false
	}
	return e.roles, true
}

func (c *memberRoles) put(guild, user string, roles []string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.roles == nil || len(c.roles) >= maxRememberedMembers {
		c.roles = map[string]rolesEntry{}
	}
	c.roles[guild+"/"+user] = rolesEntry{roles: slices.Clone(roles), at: now}
}

// rememberMember keeps the roles a guild message or interaction carried.
func (a *Adapter) rememberMember(guild string, user string, m *discordgo.Member) {
	if guild == "" || user == "" || m == nil {
		return
	}
	a.memberRoles.put(guild, user, m.Roles, a.now())
}

// HeldGroups implements audience.PlatformGroups: those of the role ids
// that the member of guild holds.
func (a *Adapter) HeldGroups(ctx context.Context, guild, user string, ids []string) ([]string, error) {
	if !isSnowflake(guild) || !isSnowflake(user) {
		return nil, fmt.Errorf("discord: member roles: guild %q and user %q must be Discord ids", guild, user)
	}
	roles, ok := a.memberRoles.get(guild, user, a.now())
	if !ok {
		m, err := a.session.GuildMember(guild, user, discordgo.WithContext(ctx))
		if err != nil {
			// apiError keeps the token out of what it returns.
			return nil, a.apiError("read guild member", err)
		}
		roles = m.Roles
		a.memberRoles.put(guild, user, roles, a.now())
	}
	var held []string
	for _, id := range ids {
		if slices.Contains(roles, id) {
			held = append(held, id)
		}
	}
	return held, nil
}
