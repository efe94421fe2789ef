package nudges

import (
	"context"
	"strings"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// learnerOf is the learner a message speaks for: its platform, workspace
// and user. A Discord direct message names no workspace, while the
// person's enrolments, preferences and nudges are kept under the server
// where they learn: bot.FindHome finds it, and note (when not empty) ends
// the reply. When it cannot tell between several, the error (a
// userError) names them with the tracks followed in each.
func (s *Service) learnerOf(ctx context.Context, msg bot.Message) (l store.Learner, note string, err error) {
	l = store.Learner{Platform: msg.Platform, Workspace: msg.Workspace, User: msg.User}
	home, err := bot.FindHome(ctx, s.st, msg)
	if err != nil {
		return l, "", err
	}
	if len(home.Unsure) > 0 {
		return l, "", s.whichWorkspace(ctx, l, home.Unsure)
	}
	l.Workspace = home.Workspace
	return l, home.Note, nil
}

// whichWorkspace is the reply to a direct message that could be for any of
// places: each with the tracks followed there, so that the person knows
// which is which.
func (s *Service) whichWorkspace(ctx context.Context, l store.Learner, places []store.PersonWorkspace) error {
	following := map[string]string{}
	for _, p := range places {
		in := l
		in.Workspace = p.Workspace
		es, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &in})
		if err != nil {
			return err
		}
		var titles []string
		for _, e := range es {
			if e.Status == store.EnrolmentLeft {
				continue
			}
			title := e.TrackID
			if v, err := s.tracks.get(ctx, e.TrackID, 0); err == nil && v.Title != "" {
				title = v.Title
			}
			titles = append(titles, "**"+title+"**")
		}
		following[p.Workspace] = "no track followed now"
		if len(titles) > 0 {
			following[p.Workspace] = strings.Join(titles, ", ")
		}
	}
	return userError(bot.WhichPlace(l.Platform, places, func(workspace string) string { return following[workspace] }))
}
