package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/discord"
)

func (a *app) discordCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "discord",
		Short: "Set up Lore's Discord bot",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErrorf("missing subcommand\nRun 'lore discord --help' for usage.")
		},
	}
	cmd.AddCommand(a.discordInviteCommand())
	return cmd
}

func (a *app) discordInviteCommand() *cobra.Command {
	var appID, guildID string
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Print the OAuth2 URL that adds Lore to a Discord server",
		Long: `Print the OAuth2 URL that adds Lore to a Discord server, with the bot and
applications.commands scopes and the permissions Lore needs, and the gateway
intents to enable in the developer portal. The application id comes from
--app-id or $` + discord.EnvAppID + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if appID == "" {
				appID = strings.TrimSpace(a.getenv(discord.EnvAppID))
			}
			if appID == "" {
				return usageErrorf("the application id is required: pass --app-id or set %s", discord.EnvAppID)
			}
			if !isDigits(appID) || (guildID != "" && !isDigits(guildID)) {
				return usageErrorf("Discord ids are digits only, as the developer portal shows them")
			}
			fmt.Fprintf(a.io.Out, `Open this URL to add Lore to a server:

  %s

Permissions integer: %d (View Channels, Read Message History, Send Messages,
Send Messages in Threads, Create Public Threads, Create Private Threads,
Embed Links).

In the developer portal, under Bot, Lore needs no privileged intent for
direct messages, mentions and slash commands. Enable Message Content Intent
(and set %s=true) for follow-ups in Lore's threads without a new mention
and for channels where Lore answers every message. Enable Server Members
Intent for pairing rounds (they list a server's members) and, with
%s=true, for onboarding new members.
`, discord.InviteURL(appID, guildID), discord.Permissions, discord.EnvMessageContent, discord.EnvGuildMembers)
			return nil
		},
	}
	cmd.Flags().StringVar(&appID, "app-id", "", "the application id (default $"+discord.EnvAppID+")")
	cmd.Flags().StringVar(&guildID, "guild", "", "preselect this server in the invite")
	return cmd
}

func isDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}
