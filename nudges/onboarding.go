package nudges

import (
	"context"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// WorkspaceOnboarding is the Config.Onboarding key of the tracks that new
// members of the workspace itself join (Slack team_join, a new member of a
// Discord server), as opposed to a channel id.
const WorkspaceOnboarding = "*"

var _ bot.Onboarding = (*Service)(nil)

// Joined implements bot.Onboarding: it enrols someone who joined the
// workspace in the WorkspaceOnboarding tracks, and someone who joined a
// channel in that channel's tracks. Their first card comes at their next
// delivery slot, like any enrolment's.
func (s *Service) Joined(ctx context.Context, j bot.Join) error {
	where := j.Channel
	if where == "" {
		where = WorkspaceOnboarding
	}
	return s.MemberJoined(ctx, store.Learner{Platform: j.Platform, Workspace: j.Workspace, User: j.User}, where)
}
