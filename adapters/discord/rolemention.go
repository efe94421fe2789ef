package discord

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// When Lore joins a server Discord gives it a role of its own, named after
// the application and managed by the integration. Typing @Lore offers that
// role beside Lore itself, and picking it mentions the role (<@&ROLE>), not
// Lore. discordgo does not read a role's tags (which name the bot), so a
// mentioned role is taken for Lore's when it is managed and Lore's own
// member holds it: Discord lets no one else give a managed role.

// selfRolesRetry is how long a failed look-up of Lore's roles stands
// before it is tried again, so that a failing API is not asked on every
// message that mentions a role.
const selfRolesRetry = time.Minute

// selfRoles caches, per guild, the managed roles Lore's member holds, as
// read through the REST API when the gateway's state did not have them.
type selfRoles struct {
	mu     sync.Mutex
	guilds map[string]selfRolesEntry
}

type selfRolesEntry struct {
	roles []string // nil after a failed look-up
	until time.Time
}

func (c *selfRoles) get(guild string, now time.Time) (roles []string, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.guilds[guild]
	if !ok || now.After(e.until) {
		return nil, false
	}
	return e.roles, true
}

func (c *selfRoles) put(guild string, roles []string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.guilds == nil || len(c.guilds) >= maxRememberedMembers {
		c.guilds = map[string]selfRolesEntry{}
	}
	c.guilds[guild] = selfRolesEntry{roles: roles, until: until}
}

// mentionedSelfRoles returns those of the roles m mentions that are Lore's
// own. A look-up that fails counts as no mention of Lore, and is logged.
func (a *Adapter) mentionedSelfRoles(ctx context.Context, m *discordgo.Message, self string) []string {
	if m.GuildID == "" || len(m.MentionRoles) == 0 {
		return nil
	}
	var mine []string
	for _, id := range m.MentionRoles {
		held, known := a.stateSelfRole(m.GuildID, self, id)
		if !known {
			roles, ok := a.restSelfRoles(ctx, m.GuildID, self)
			if !ok {
				return nil
			}
			held = slices.Contains(roles, id)
		}
		if held && !slices.Contains(mine, id) {
			mine = append(mine, id)
		}
	}
	return mine
}

// stateSelfRole answers from the gateway's state whether role is a managed
// role held by Lore's member in guild; known is false when the state has
// not got the member or the role.
func (a *Adapter) stateSelfRole(guild, self, role string) (held, known bool) {
	st := a.session.State
	member, err := st.Member(guild, self)
	if err != nil || member == nil {
		return false, false
	}
	r, err := st.Role(guild, role)
	if err != nil || r == nil {
		return false, false
	}
	// The state's handlers update these in place.
	st.RLock()
	defer st.RUnlock()
	return r.Managed && slices.Contains(member.Roles, role), true
}

// restSelfRoles reads the managed roles of Lore's member in guild through
// the REST API, cached for memberRolesTTL (a failure for selfRolesRetry).
func (a *Adapter) restSelfRoles(ctx context.Context, guild, self string) ([]string, bool) {
	now := a.now()
	if roles, ok := a.selfRoles.get(guild, now); ok {
		return roles, roles != nil
	}
	roles, err := a.readSelfRoles(ctx, guild, self)
	if err != nil {
		a.log.WarnContext(ctx, "looking up Lore's roles failed; a role mention is not taken for a mention of Lore",
			"guild", guild, "err", err)
		a.selfRoles.put(guild, nil, now.Add(selfRolesRetry))
		return nil, false
	}
	a.selfRoles.put(guild, roles, now.Add(memberRolesTTL))
	return roles, true
}

func (a *Adapter) readSelfRoles(ctx context.Context, guild, self string) ([]string, error) {
	member, err := a.session.GuildMember(guild, self, discordgo.WithContext(ctx))
	if err != nil {
		return nil, a.apiError("read Lore's guild member", err)
	}
	all, err := a.session.GuildRoles(guild, discordgo.WithContext(ctx))
	if err != nil {
		return nil, a.apiError("read guild roles", err)
	}
	roles := []string{} // not nil: a successful look-up
	for _, r := range all {
		if r != nil && r.Managed && slices.Contains(member.Roles, r.ID) {
			roles = append(roles, r.ID)
		}
	}
	return roles, nil
}
