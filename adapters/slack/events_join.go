package slack

import (
	"context"
	"encoding/json"

	"github.com/lorehq/lore/bot"
)

// Join events: someone new in the workspace (team_join) or in a channel
// (member_joined_channel). Lore passes people, not bots, to the core's
// HandleJoin, which enrols them in onboarding tracks.
const (
	eventTeamJoin            = "team_join"
	eventMemberJoinedChannel = "member_joined_channel"
)

// JoinHandler hears of people joining; *bot.Bot satisfies it.
type JoinHandler interface {
	HandleJoin(ctx context.Context, j bot.Join) error
}

var _ JoinHandler = (*bot.Bot)(nil)

// joinedUser is the user object of a team_join event.
type joinedUser struct {
	ID        string `json:"id"`
	IsBot     bool   `json:"is_bot"`
	IsAppUser bool   `json:"is_app_user"`
	Deleted   bool   `json:"deleted"`
}

// UnmarshalJSON reads an event whose "user" is an id (most events) or a
// user object (team_join): the id goes to User either way, the object to
// Joined.
func (e *innerEvent) UnmarshalJSON(b []byte) error {
	type plain innerEvent
	aux := struct {
		*plain
		User json.RawMessage `json:"user"`
	}{plain: (*plain)(e)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	e.User, e.Joined = "", nil
	switch {
	case len(aux.User) == 0 || string(aux.User) == "null":
	case aux.User[0] == '{':
		var u joinedUser
		if err := json.Unmarshal(aux.User, &u); err != nil {
			return err
		}
		e.User, e.Joined = u.ID, &u
	default:
		if err := json.Unmarshal(aux.User, &e.User); err != nil {
			return err
		}
	}
	return nil
}

// onJoin passes a join to the core when the person is a person.
func (a *Adapter) onJoin(ctx context.Context, team string, ev innerEvent) {
	if a.deps.Joins == nil || ev.User == "" || !userIDPattern.MatchString(ev.User) {
		return
	}
	j := bot.Join{Platform: Platform, Workspace: team, User: ev.User}
	switch ev.Type {
	case eventTeamJoin:
		if u := ev.Joined; u == nil || u.IsBot || u.IsAppUser || u.Deleted {
			return
		}
		a.roster.put(ev.User, true, a.cfg.Clock())
	case eventMemberJoinedChannel:
		if ev.User == a.identity().UserID || ev.Channel == "" {
			return
		}
		// The event does not say whether the member is a bot.
		people, err := a.humans(ctx, []string{ev.User})
		if err != nil {
			a.log.WarnContext(ctx, "checking a new channel member failed", "user", ev.User, "channel", ev.Channel, "err", err)
			return
		}
		if len(people) == 0 {
			return
		}
		j.Channel = ev.Channel
	default:
		return
	}
	if err := a.deps.Joins.HandleJoin(ctx, j); err != nil {
		a.log.WarnContext(ctx, "welcoming a new member failed", "user", j.User, "channel", j.Channel, "err", err)
	}
}
