package nudges

import (
	"context"
	"fmt"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// A track's audience (its front matter's audience field, in the syntax of
// package knowledge/audience) says who may follow it. Nudges are direct
// messages, read by the learner alone, so the role, group and user entries
// admit a learner as in a direct message; a channel entry admits the
// people enrolled through that channel (lore tracks enrol --channel, or
// onboarding on joining it). An audience that does not parse admits
// nobody.
//
// It is checked when someone is enrolled (a learner outside it cannot
// join, and onboarding skips them), when the track is listed, and again
// when cards are planned, sent on demand, delivered and answered, since
// audiences and people's roles and groups change: a learner who is no
// longer admitted gets no card of the track, and their enrolment is kept
// as it is, paused, until they are admitted again or leave.

// gate checks track audiences for one operation, looking each learner's
// membership up once.
type gate struct {
	dir     audience.Directory
	members map[store.Learner]audience.Membership
	parsed  map[string]parsedAudience // by text: a plan checks many learners of few tracks
}

type parsedAudience struct {
	a  audience.Audience
	ok bool
}

func (s *Service) gate() *gate {
	return &gate{dir: s.directory, members: map[store.Learner]audience.Membership{}, parsed: map[string]parsedAudience{}}
}

// admits reports whether the learner, enrolled through channel ("" for
// none), may follow a track with audience text.
func (g *gate) admits(ctx context.Context, text string, l store.Learner, channel string) (bool, error) {
	p, seen := g.parsed[text]
	if !seen {
		a, err := audience.Parse(text)
		p = parsedAudience{a, err == nil}
		g.parsed[text] = p
	}
	a := p.a
	if !p.ok {
		return false, nil
	}
	if a.Everyone {
		return true, nil
	}
	m, ok := g.members[l]
	if !ok {
		m = audience.Membership{Roles: []string{audience.RoleLearner}}
		if g.dir != nil {
			var err error
			if m, err = g.dir.Membership(ctx, l.Platform, l.Workspace, l.User); err != nil {
				return false, fmt.Errorf("look up the roles and groups of %s: %w", l.User, err)
			}
		}
		g.members[l] = m
	}
	if a.Admits(audience.Reader{Platform: l.Platform, Workspace: l.Workspace, User: l.User, Direct: true, Membership: m}) {
		return true, nil
	}
	return channel != "" && a.Admits(audience.Reader{Platform: l.Platform, Workspace: l.Workspace, User: l.User, Channel: channel}), nil
}

// admitted keeps the enrolments whose track admits their learner; latest
// gives a track's current version. A track that cannot be loaded is kept,
// for the caller to skip as before.
func (g *gate) admitted(ctx context.Context, latest func(context.Context, string) (Version, error), es []store.Enrolment) ([]store.Enrolment, error) {
	out := es[:0:0]
	for _, e := range es {
		v, err := latest(ctx, e.TrackID)
		if err != nil {
			out = append(out, e)
			continue
		}
		ok, err := g.admits(ctx, v.Audience, e.Learner, e.Channel)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// mayFollow reports whether the learner may follow the track now, by its
// latest version's audience and the channel they were enrolled through.
// A track that no longer loads is left to the caller.
func (s *Service) mayFollow(ctx context.Context, g *gate, l store.Learner, trackID string) (bool, error) {
	v, err := s.tracks.get(ctx, trackID, 0)
	if err != nil {
		return true, nil
	}
	es, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l, TrackID: trackID})
	if err != nil {
		return false, err
	}
	channel := ""
	if len(es) == 1 {
		channel = es[0].Channel
	}
	return g.admits(ctx, v.Audience, l, channel)
}
