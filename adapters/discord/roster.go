package discord

import (
	"context"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Pairing rounds ask the adapter who is in a channel (peers.Roster).
// Discord has no member list per channel: whoever can view a guild channel
// is in it. So the roster is the guild's members (List Guild Members, 1,000
// a page), less bots and members still pending membership screening, kept
// when their permissions in the channel (roles, then the channel's
// permission overwrites) include View Channel.
//
// Listing guild members needs the privileged Server Members intent
// (GUILD_MEMBERS) enabled for the application in the developer portal;
// without it Discord answers 403 "Missing Access". The gateway intent
// itself is only needed for join events (Config.GuildMembers).

// guildMembersPage is List Guild Members' largest page.
const guildMembersPage = 1000

// maxRosterMembers bounds the members read for one round.
const maxRosterMembers = 250_000

// ChannelMembers lists the people who can see a guild channel (a thread
// counts as its parent channel), for pairing rounds: every member of the
// guild except bots and pending members, whose permissions in the channel
// include View Channel.
func (a *Adapter) ChannelMembers(ctx context.Context, guildID, channelID string) ([]string, error) {
	if !isSnowflake(guildID) || !isSnowflake(channelID) {
		return nil, fmt.Errorf("discord: channel members: guild %q and channel %q must be Discord ids", guildID, channelID)
	}
	opts := []discordgo.RequestOption{discordgo.WithContext(ctx)}
	ch, err := a.session.Channel(channelID, opts...)
	if err != nil {
		return nil, a.apiError("read channel", err)
	}
	if ch.IsThread() && ch.ParentID != "" {
		if ch, err = a.session.Channel(ch.ParentID, opts...); err != nil {
			return nil, a.apiError("read the thread's channel", err)
		}
	}
	if ch.GuildID != guildID {
		return nil, fmt.Errorf("discord: channel members: channel %s is not in guild %s", channelID, guildID)
	}
	g, err := a.session.Guild(guildID, opts...)
	if err != nil {
		return nil, a.apiError("read guild", err)
	}
	var out []string
	after, read := "", 0
	for {
		page, err := a.session.GuildMembers(guildID, after, guildMembersPage, opts...)
		if err != nil {
			return nil, a.apiError("list guild members", err)
		}
		for _, m := range page {
			if m.User == nil {
				continue
			}
			after = m.User.ID
			if m.User.Bot || m.Pending {
				continue
			}
			if canView(g, ch, m) {
				out = append(out, m.User.ID)
			}
		}
		read += len(page)
		if len(page) < guildMembersPage {
			return out, nil
		}
		if read >= maxRosterMembers {
			return nil, fmt.Errorf("discord: channel members: guild %s has more than %d members", guildID, maxRosterMembers)
		}
	}
}

// canView reports whether member m may view channel ch of guild g, by
// Discord's permission hierarchy: the owner and administrators see every
// channel; otherwise the @everyone role and the member's roles give base
// permissions, then the channel's overwrites apply, @everyone's first,
// then the member's roles' together, then the member's own.
func canView(g *discordgo.Guild, ch *discordgo.Channel, m *discordgo.Member) bool {
	return memberChannelPermissions(g, ch, m)&discordgo.PermissionViewChannel != 0
}

func memberChannelPermissions(g *discordgo.Guild, ch *discordgo.Channel, m *discordgo.Member) int64 {
	if m.User.ID == g.OwnerID {
		return discordgo.PermissionAll
	}
	has := map[string]bool{g.ID: true} // everyone has the @everyone role, whose id is the guild's
	for _, r := range m.Roles {
		has[r] = true
	}
	var perms int64
	for _, r := range g.Roles {
		if has[r.ID] {
			perms |= r.Permissions
		}
	}
	if perms&discordgo.PermissionAdministrator != 0 {
		return discordgo.PermissionAll
	}
	for _, o := range ch.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeRole && o.ID == g.ID {
			perms = perms&^o.Deny | o.Allow
		}
	}
	var allow, deny int64
	for _, o := range ch.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeRole && o.ID != g.ID && has[o.ID] {
			allow |= o.Allow
			deny |= o.Deny
		}
	}
	perms = perms&^deny | allow
	for _, o := range ch.PermissionOverwrites {
		if o.Type == discordgo.PermissionOverwriteTypeMember && o.ID == m.User.ID {
			perms = perms&^o.Deny | o.Allow
		}
	}
	return perms
}
