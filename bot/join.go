package bot

import "context"

// Join is someone joining a workspace (a Slack team, a Discord server) or
// one of its channels, as an adapter reports it. Adapters leave out bots
// and Lore itself.
type Join struct {
	Platform  string
	Workspace string
	// Channel is the channel joined, or "" when the person joined the
	// workspace itself.
	Channel string
	User    string
}

// Onboarding welcomes people who join: the nudges capability enrols them
// in the onboarding tracks configured for the workspace or the channel.
type Onboarding interface {
	Joined(ctx context.Context, j Join) error
}

// HandleJoin is the entry point for adapters' join events (Slack team_join
// and member_joined_channel, Discord's member add). Without an Onboarding
// capability it does nothing. The error is for the adapter's log: the
// person asked nothing, so there is nobody to reply to.
func (b *Bot) HandleJoin(ctx context.Context, j Join) error {
	if b.onboarding == nil || j.User == "" {
		return nil
	}
	return b.onboarding.Joined(ctx, j)
}
