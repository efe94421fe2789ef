package nudges

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// learnerOf is the learner a message speaks for: its platform, workspace
// and user. A direct message that names no workspace is the exception: a
// Discord direct message belongs to no server, while the person learns
// through one, and their enrolments, preferences and nudges are kept
// under it. Such a message speaks for the person in the workspace where
// their learning records are:
//
//   - the only one they have;
//   - among several, the one of the nudge the message replies to;
//   - else the one of the newest nudge sent to them, and note says so,
//     naming the others' way;
//   - else none can be chosen, and the error (a userError) names them.
//
// A person with no records anywhere stays without a workspace, as before
// they learned anything.
func (s *Service) learnerOf(ctx context.Context, msg bot.Message) (l store.Learner, note string, err error) {
	l = store.Learner{Platform: msg.Platform, Workspace: msg.Workspace, User: msg.User}
	if !msg.Direct || msg.Workspace != "" || msg.Platform == "" || msg.User == "" {
		return l, "", nil
	}
	places, err := s.st.LearnerWorkspaces(ctx, msg.Platform, msg.User)
	if err != nil || len(places) == 0 {
		return l, "", err
	}
	if len(places) == 1 {
		l.Workspace = places[0].Workspace
		return l, "", nil
	}
	if msg.Thread != "" {
		for _, p := range places {
			in := l
			in.Workspace = p.Workspace
			_, err := s.st.DeliveryInThread(ctx, in, msg.Thread)
			if err == nil {
				return in, "", nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return l, "", err
			}
		}
	}
	// LearnerWorkspaces puts the newest nudge first; a tie is no choice.
	if newest := places[0]; !newest.LastSent.IsZero() && newest.LastSent.After(places[1].LastSent) {
		l.Workspace = newest.Workspace
		return l, fmt.Sprintf("_For %s, where your latest nudge came from. For another server, reply to one of its nudges "+
			"or send the command from there._", where(newest.Workspace)), nil
	}
	return l, "", s.whichWorkspace(ctx, l, places)
}

// whichWorkspace is the reply to a direct message that could be for any of
// places: each with the tracks followed there, so that the person knows
// which is which, and how to say.
func (s *Service) whichWorkspace(ctx context.Context, l store.Learner, places []store.LearnerWorkspace) error {
	var b strings.Builder
	b.WriteString("You learn with me in more than one place, and I can't tell which this is for:\n")
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
		following := "no track followed now"
		if len(titles) > 0 {
			following = strings.Join(titles, ", ")
		}
		fmt.Fprintf(&b, "- %s: %s\n", where(p.Workspace), following)
	}
	b.WriteString("Reply to a nudge from the one you mean, or send the command from that server: I answer it privately.")
	return userError(b.String())
}

// where names a workspace to its learner. Records without one were made
// in direct messages before the person learned through a server.
func where(workspace string) string {
	if workspace == "" {
		return "our direct messages, outside any server"
	}
	return "server `" + strings.ReplaceAll(clip(workspace), "`", "") + "`"
}
