package cli

// privacyWords are the chat privacy commands (engagement.PrivacyCommands)
// offered as /lore subcommands too.
var privacyWords = []chatWord{
	{name: "privacy", summary: "what Lore keeps about you"},
	{name: "optout", summary: "optout analytics: keep your activity only as anonymous counts", option: "what", optionDoc: "analytics", required: true},
	{name: "optin", summary: "optin analytics: count your activity as yours again", option: "what", optionDoc: "analytics", required: true},
	{name: "forget", summary: "forget me: delete everything Lore keeps about you", option: "who", optionDoc: "me", required: true},
}
