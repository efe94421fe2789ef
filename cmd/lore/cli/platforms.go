package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/shell"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/knowledge/audience"
)

// chatPlatforms are the platforms Lore has a chat adapter for: a person or
// channel that a user names at the command line on any other platform
// (mars/U1) is a typing mistake, which Lore could never meet. Stored
// audiences, roles and events may hold other names and are not checked.
var chatPlatforms = []string{slack.Platform, discord.Platform, shell.Platform}

// rosterPlatforms are the platforms whose adapter lists a channel's
// members, which a pairing round needs.
var rosterPlatforms = []string{slack.Platform, discord.Platform}

// checkPlatform refuses a reference to a platform Lore has no chat adapter
// for, listing those it has.
func checkPlatform(ref audience.Ref) error {
	if err := knownPlatform(ref.Platform); err != nil {
		return fmt.Errorf("%q: %w", ref.String(), err)
	}
	return nil
}

// knownPlatform refuses a platform Lore has no chat adapter for.
func knownPlatform(platform string) error {
	if slices.Contains(chatPlatforms, platform) {
		return nil
	}
	return fmt.Errorf("Lore has no platform %q; it chats on %s", platform, orList(chatPlatforms))
}

// orList is "a", "a or b", "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
