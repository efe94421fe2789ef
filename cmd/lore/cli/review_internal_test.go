package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/knowledge/review"
	"github.com/lorehq/lore/store"
)

// A reminder carries document titles and people's questions; as Slack
// shows it, none of them can mention anyone or hide a link.
func TestReviewReminderCannotMention(t *testing.T) {
	items := []review.Item{{
		Document: store.Document{ID: "d", Title: "Travel <!channel> & @here <@U999>", Collection: "<!everyone>",
			Source: "https://a.example.com/x|<!channel>", Owner: "@channel"},
		Reason: store.ReviewDownvoted, Downvotes: 4,
		Questions: []string{"who approves <!subteam^S1> expenses @channel?", "[click](https://evil.example.com) <https://evil.example.com|safe>"},
		Route:     review.RouteReviewers,
	}}
	shown := slack.Mrkdwn(review.Message(items, time.Now()).Text)
	for _, bad := range []string{"<!channel", "<!here", "<!everyone", "<!subteam", "<@U999", "<https://evil.example.com|", "@channel", "@here"} {
		if strings.Contains(shown, bad) {
			t.Errorf("the reminder as Slack shows it holds %q:\n%s", bad, shown)
		}
	}
	if !strings.Contains(shown, "(<https://evil.example.com>)") {
		t.Errorf("a Markdown link in a question does not show its address:\n%s", shown)
	}
}
