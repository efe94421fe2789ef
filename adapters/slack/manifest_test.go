package slack

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"
)

// The manifest a workspace admin installs parses as a Slack manifest,
// subscribes to exactly the events the adapter handles, and asks for
// exactly the scopes its calls need.
func TestManifest(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/slack/manifest.yml")
	if err != nil {
		t.Fatal(err)
	}
	var m slack.Manifest
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest does not parse as slack.Manifest: %v", err)
	}

	handled := []string{eventAppMention, eventMessage, eventAppHomeOpened, eventTeamJoin, eventMemberJoinedChannel}
	if m.Settings.EventSubscriptions == nil {
		t.Fatal("no event subscriptions")
	}
	seen := map[string]bool{}
	for _, e := range m.Settings.EventSubscriptions.BotEvents {
		kind, _, _ := strings.Cut(e, ".") // message.im is a message event
		if !slices.Contains(handled, kind) {
			t.Errorf("manifest subscribes to %s, which the adapter does not handle", e)
		}
		seen[kind] = true
	}
	for _, h := range handled {
		if !seen[h] {
			t.Errorf("the adapter handles %s, but the manifest does not subscribe to it", h)
		}
	}
	for _, e := range []string{"message.im", "message.channels", "message.groups"} {
		if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, e) {
			t.Errorf("manifest lacks %s (direct messages, thread follow-ups)", e)
		}
	}

	// Each scope and the calls or events that need it.
	want := map[string]string{
		"app_mentions:read": "app_mention",
		"channels:history":  "message.channels, conversations.replies (Save to knowledge)",
		"channels:read":     "conversations.members, member_joined_channel",
		"groups:read":       "conversations.members, member_joined_channel (private channels)",
		"groups:history":    "message.groups, conversations.replies in private channels",
		"chat:write":        "chat.postMessage, chat.update, chat.postEphemeral",
		"commands":          "/lore",
		"files:write":       "files.getUploadURLExternal, files.completeUploadExternal (digest chart)",
		"im:history":        "message.im",
		"im:write":          "conversations.open (DM)",
		"mpim:write":        "conversations.open (group DM)",
		"reactions:write":   "reactions.add, reactions.remove",
		"usergroups:read":   "usergroups.users.list (LORE_ROLE_MAP)",
		"users:read":        "users.info, users.list, team_join",
	}
	got := m.OAuthConfig.Scopes.Bot
	for s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("manifest lacks scope %s, needed by %s", s, want[s])
		}
	}
	for _, s := range got {
		if _, ok := want[s]; !ok {
			t.Errorf("manifest asks for scope %s, which no call needs", s)
		}
	}

	if !m.Settings.SocketModeEnabled || m.Settings.Interactivity == nil || !m.Settings.Interactivity.IsEnabled {
		t.Error("Socket Mode and interactivity must be on")
	}
	if !m.Features.AppHome.HomeTabEnabled || !m.Features.AppHome.MessagesTabEnabled || m.Features.BotUser.DisplayName == "" {
		t.Errorf("app home / bot user: %+v %+v", m.Features.AppHome, m.Features.BotUser)
	}
	// The message shortcuts are the ones the adapter handles.
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != callbackSave ||
		m.Features.Shortcuts[0].Type != slack.MessageShortcut || m.Features.Shortcuts[0].Name != "Save to knowledge" {
		t.Errorf("shortcuts %+v, want the Save to knowledge message shortcut", m.Features.Shortcuts)
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/lore" {
		t.Errorf("slash commands %+v", m.Features.SlashCommands)
	}
	for _, u := range []string{m.Settings.EventSubscriptions.RequestUrl, m.Settings.Interactivity.RequestUrl, m.Features.SlashCommands[0].Url} {
		if !strings.HasPrefix(u, "https://") || !strings.Contains(u, "/slack/") {
			t.Errorf("request URL %q does not point at a /slack/ endpoint of lore serve", u)
		}
	}
}
