// Package discord is Lore's Discord adapter, built on discordgo. It turns
// what Discord delivers (gateway MESSAGE_CREATE and INTERACTION_CREATE
// events, or signed HTTP interaction requests) into platform-neutral
// [bot.Message] and [bot.Action] values, and renders each [bot.Reply] the
// Discord way: Markdown content split at Discord's limits, sources as
// embeds, and Helpful / Not helpful / Ask a person buttons.
//
// # Where Lore answers
//
// A direct message is always answered. In a server channel Lore answers
// when it is mentioned, and then in a thread it starts on the question, so
// that the channel stays readable; messages in a thread Lore started are
// follow-ups that need no new mention (reading them needs the privileged
// Message Content intent, see [Config.MessageContent]). Per-guild and
// per-channel [Settings] restrict where Lore answers, whether it answers
// unmentioned messages, and which collections answers come from.
//
// # Slash commands and interactions
//
// [Adapter.Run] registers /lore ask, /lore help and any extra
// [Subcommand] with ApplicationCommandBulkOverwrite, globally or for one
// guild during development, and, given a [Saver], the Save to knowledge
// message command, which becomes a [bot.SaveRequest]. Every interaction is deferred at once (Discord
// allows three seconds) and completed by editing the original response and
// sending follow-ups, within the fifteen minutes an interaction token is
// valid; after that Lore posts in the channel instead. Interactions arrive
// on the gateway, or on [Adapter.Handler] when Discord is configured to POST
// them to Lore; every such request is verified with the application's
// Ed25519 public key.
//
// # Safety
//
// Text from documents and users cannot ping anyone: mentions are escaped and
// every message Lore sends carries allowed_mentions with nothing allowed.
// The bot token is a [Secret] that formats as "[redacted]", and errors from
// Discord are rebuilt without request URLs or headers, so neither the bot
// token nor an interaction token reaches a log or an error message.
// Proactive messages ([Adapter.SendDirect]) that meet a rate limit or a
// server error wait in a retry queue instead of being lost.
package discord
