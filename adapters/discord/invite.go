package discord

import (
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// Permissions is the permissions integer Lore's invite asks for: see
// channels, read their history (to answer in threads), send messages in
// channels and threads, start public threads for answers and private
// threads for introductions, embed links (sources are embeds) and attach
// files (the chart of a leader's digest sent to a channel).
const Permissions int64 = discordgo.PermissionViewChannel |
	discordgo.PermissionReadMessageHistory |
	discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionCreatePublicThreads |
	discordgo.PermissionCreatePrivateThreads |
	discordgo.PermissionEmbedLinks |
	discordgo.PermissionAttachFiles

// InviteURL is the OAuth2 URL that adds Lore to a server with the bot and
// applications.commands scopes and Permissions. With guildID, Discord
// preselects that server.
func InviteURL(appID, guildID string) string {
	q := url.Values{}
	q.Set("client_id", appID)
	q.Set("scope", "bot applications.commands")
	q.Set("permissions", strconv.FormatInt(Permissions, 10))
	if guildID != "" {
		q.Set("guild_id", guildID)
		q.Set("disable_guild_select", "true")
	}
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
