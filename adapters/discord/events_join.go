package discord

import (
	"context"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot"
)

// JoinHandler hears of people joining a guild, for onboarding; *bot.Bot
// satisfies it.
type JoinHandler interface {
	HandleJoin(ctx context.Context, j bot.Join) error
}

var _ JoinHandler = (*bot.Bot)(nil)

// onGuildMemberAdd reports a person who joined a guild to the core as a
// join of the workspace (Discord has no event for "joined a channel": a
// channel is whoever may view it). The gateway sends it only with the
// privileged Server Members intent (Config.GuildMembers). Bots, Lore
// itself and guilds outside Settings.AllowGuilds are ignored.
func (a *Adapter) onGuildMemberAdd(_ *discordgo.Session, m *discordgo.GuildMemberAdd) {
	if a.joins == nil || m == nil || m.Member == nil || m.User == nil || m.User.Bot || m.User.ID == a.selfID() {
		return
	}
	if allow := a.cfg.Settings.AllowGuilds; len(allow) > 0 && !slices.Contains(allow, m.GuildID) {
		return
	}
	if !isSnowflake(m.GuildID) || !isSnowflake(m.User.ID) {
		return
	}
	a.work.Add(1)
	defer a.work.Done()
	ctx, cancel := a.handlerContext()
	defer cancel()
	// A gateway resume can deliver the event again; the claim keeps one
	// replica and one delivery.
	if first, err := a.claims.Claim(ctx, "discord:join:"+m.GuildID+":"+m.User.ID+":"+m.JoinedAt.UTC().Format("20060102T150405"), claimTTL); err == nil && !first {
		return
	}
	j := bot.Join{Platform: Platform, Workspace: m.GuildID, User: m.User.ID}
	if err := a.joins.HandleJoin(ctx, j); err != nil {
		a.log.WarnContext(ctx, "welcoming a new member failed", "guild", m.GuildID, "user", m.User.ID, "err", err)
	}
}
