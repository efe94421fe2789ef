package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Event kinds of the peer capability (bot/peers).
const (
	// EventIntroMade records an introduction: a pairing group or an
	// accepted expert request. Ref holds the round or request id.
	EventIntroMade = "intro_made"
	// EventMet records a check-in answer: Value +1 met, -1 did not.
	EventMet = "met"
	// EventExpertAsked records an expert asked to help; Ref is the
	// request id.
	EventExpertAsked = "expert_asked"
)

// PersonKey names one chat user.
type PersonKey struct {
	Platform  string
	Workspace string
	User      string
}

// Profile is what a person declared about themselves, what was inferred
// with their consent, and their choices about being contacted.
type Profile struct {
	PersonKey
	Name     string
	Team     string
	TimeZone string // IANA name; "" means UTC
	// WorkStart and WorkEnd are working hours in minutes from local
	// midnight; both zero means 09:00-17:00.
	WorkStart, WorkEnd int
	CanHelp            []string // skill labels (bot/peers normalises them)
	Learning           []string
	// Inferred skills came from engagement, only with InferConsent;
	// Dismissed ones were removed by the person and are not inferred again.
	Inferred  []string
	Dismissed []string
	// FromTracks are the inferred skills that completed learning tracks
	// added: kept when the others are inferred again from scratch.
	FromTracks   []string `json:",omitempty"`
	InferConsent bool
	// Available opts in to expert requests; SnoozedUntil pauses them.
	Available    bool
	SnoozedUntil time.Time
	// SkipRoundsUntil leaves the person out of pairing rounds until then.
	SkipRoundsUntil time.Time
	Blocked         []string // users never paired with or routed to
	UpdatedAt       time.Time
}

// Request states. A suggested request was shown to the asker and not yet
// sent; only the others count towards an expert's weekly cap, from when
// the expert was asked (AskedAt).
const (
	RequestSuggested = "suggested"
	RequestPending   = "pending"
	RequestAccepted  = "accepted"
	RequestDeclined  = "declined"
)

// PeerRequest is one expert asked to help one asker.
type PeerRequest struct {
	ID        string
	Platform  string
	Workspace string
	Asker     string
	Expert    string
	Topic     string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// AskedAt is when the expert was asked; zero while the request is
	// only suggested.
	AskedAt time.Time
}

// RequestFilter selects requests; zero fields match everything.
type RequestFilter struct {
	Platform, Workspace string
	Expert              string
	Status              string
	// Since keeps requests made (CreatedAt) at or after it; AskedSince
	// those whose expert was asked (AskedAt) at or after it.
	Since      time.Time
	AskedSince time.Time
}

// RoundConfig is a channel's pairing schedule.
type RoundConfig struct {
	Platform, Workspace, Channel string
	Frequency                    string // "weekly", "biweekly", "monthly"
	GroupSize                    int    // 2, or 4 for groups of three or four
	IntroHour                    int    // local hour the introductions go out
	AvoidRounds                  int    // K: pairs of the last K rounds do not meet again
	Enabled                      bool
}

// RoundGroup is one group of a round.
type RoundGroup struct {
	Members []string
	Reason  string
	Starter string
	SendAt  time.Time
	SentAt  time.Time // zero until the introduction went out
	// CheckedInAt is when the group was asked whether they met; zero
	// until that message went out.
	CheckedInAt time.Time `json:",omitzero"`
}

// Round is one pairing round of a channel.
type Round struct {
	ID                           string // unique per channel and period
	Platform, Workspace, Channel string
	StartedAt                    time.Time
	CheckInAt                    time.Time
	// CheckedIn is set once every introduced group was asked whether
	// they met.
	CheckedIn bool
	Groups    []RoundGroup
	Unplaced  []string
}

// Peers keeps profiles, expert requests and pairing rounds.
type Peers interface {
	// PutProfile creates or replaces a profile.
	PutProfile(ctx context.Context, p Profile) error
	// Profile returns one profile or an error wrapping ErrNotFound.
	Profile(ctx context.Context, who PersonKey) (Profile, error)
	// Profiles lists the profiles of one workspace.
	Profiles(ctx context.Context, platform, workspace string) ([]Profile, error)
	// DeletePerson removes a profile, the person's requests, their place in
	// past rounds and their peer events (EventIntroMade, EventMet,
	// EventExpertAsked), in one transaction.
	DeletePerson(ctx context.Context, who PersonKey) error

	// PutRequest creates or replaces a request.
	PutRequest(ctx context.Context, r PeerRequest) error
	// Request returns one request or an error wrapping ErrNotFound.
	Request(ctx context.Context, id string) (PeerRequest, error)
	// Requests lists matching requests, newest first.
	Requests(ctx context.Context, f RequestFilter) ([]PeerRequest, error)
	// SwapRequest replaces the request r.ID with r only if its stored
	// status is from, and reports whether it did: of two presses of one
	// button, one moves the request on and the other finds it moved.
	SwapRequest(ctx context.Context, r PeerRequest, from string) (bool, error)
	// ReplaceEvent records e, an answer a person may change, such as a
	// check-in's EventMet, replacing the event with e's id when that event
	// is of the same kind and person: the engagement log keeps their latest
	// answer, once.
	ReplaceEvent(ctx context.Context, e Event) error

	// PutRoundConfig creates or replaces a channel's schedule.
	PutRoundConfig(ctx context.Context, c RoundConfig) error
	// RoundConfigs lists every channel's schedule.
	RoundConfigs(ctx context.Context) ([]RoundConfig, error)
	// CreateRound stores a new round; it returns false, storing nothing,
	// when a round with that id exists (another replica made it).
	CreateRound(ctx context.Context, r Round) (created bool, err error)
	// UpdateRound replaces a stored round.
	UpdateRound(ctx context.Context, r Round) error
	// Rounds lists a channel's rounds, newest first; limit 0 means all.
	Rounds(ctx context.Context, platform, workspace, channel string, limit int) ([]Round, error)
	// Round returns one round or an error wrapping ErrNotFound.
	Round(ctx context.Context, id string) (Round, error)
	// DocumentsOwnedBy lists the published documents whose Owner is one
	// of owners, with their collection and tags: drafts are left out, as
	// everywhere a document could be named. Collection audiences are the
	// caller's to check (the store does not interpret them).
	DocumentsOwnedBy(ctx context.Context, owners []string) ([]Document, error)
}

// ValidateProfile refuses a profile with no user, with an overlong id or
// with text a backend cannot keep.
func (r Rules) ValidateProfile(p Profile) error {
	if p.User == "" {
		return Invalid("profile has no user")
	}
	if err := r.checkIDFields(field{"profile platform", p.Platform}, field{"profile workspace", p.Workspace}, field{"profile user", p.User}); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{
		{"name", p.Name}, {"team", p.Team}, {"time zone", p.TimeZone},
	} {
		if err := r.CheckText(f.name, f.v); err != nil {
			return err
		}
	}
	for _, l := range []struct {
		name string
		vs   []string
	}{{"can help", p.CanHelp}, {"learning", p.Learning}, {"inferred", p.Inferred}, {"from tracks", p.FromTracks}, {"dismissed", p.Dismissed}, {"blocked", p.Blocked}} {
		if err := r.CheckTexts(l.name, l.vs); err != nil {
			return err
		}
	}
	return nil
}

// ValidateRequest refuses a request without id, asker or expert, with an
// overlong id, or with text a backend cannot keep.
func (r Rules) ValidateRequest(q PeerRequest) error {
	if q.ID == "" || q.Asker == "" || q.Expert == "" {
		return Invalid("request needs an id, an asker and an expert")
	}
	if err := r.checkIDFields(field{"request id", q.ID}, field{"request platform", q.Platform}, field{"request workspace", q.Workspace},
		field{"request asker", q.Asker}, field{"request expert", q.Expert}, field{"request status", q.Status}); err != nil {
		return err
	}
	return r.CheckText("request topic", q.Topic)
}

// MaxRoundID bounds a round id, which joins a channel's platform,
// workspace and channel ids and a period (bot/peers.RoundID).
const MaxRoundID = 4 * MaxID

// ValidateRound refuses a round without id, with an overlong id or with
// text a backend cannot keep.
func (r Rules) ValidateRound(x Round) error {
	if x.ID == "" {
		return Invalid("round has no id")
	}
	if len(x.ID) > MaxRoundID {
		return tooLong("round id", len(x.ID), MaxRoundID)
	}
	if err := r.CheckText("round id", x.ID); err != nil {
		return err
	}
	if err := r.checkIDFields(field{"round platform", x.Platform}, field{"round workspace", x.Workspace}, field{"round channel", x.Channel}); err != nil {
		return err
	}
	if err := r.CheckIDs("unplaced", x.Unplaced); err != nil {
		return err
	}
	for i, g := range x.Groups {
		if err := r.CheckIDs(fmt.Sprintf("group %d members", i), g.Members); err != nil {
			return err
		}
		if err := r.CheckTexts("group", []string{g.Reason, g.Starter}); err != nil {
			return Invalid("group %d: %v", i, err)
		}
	}
	return nil
}

// ValidateRoundConfig refuses a schedule Lore cannot run.
func (r Rules) ValidateRoundConfig(c RoundConfig) error {
	switch c.Frequency {
	case "weekly", "biweekly", "monthly":
	default:
		return Invalid("frequency %q is not weekly, biweekly or monthly", c.Frequency)
	}
	if c.GroupSize != 2 && c.GroupSize != 4 {
		return Invalid("group size %d is not 2 or 4 (groups of three or four)", c.GroupSize)
	}
	if c.IntroHour < 0 || c.IntroHour > 23 {
		return Invalid("introduction hour %d is not 0-23", c.IntroHour)
	}
	if c.AvoidRounds < 0 {
		return Invalid("rounds to avoid %d is negative", c.AvoidRounds)
	}
	return r.checkIDFields(field{"round platform", c.Platform}, field{"round workspace", c.Workspace}, field{"round channel", c.Channel})
}

// ForgetInRound removes user from a round's groups and unplaced list and
// reports whether anything changed; backends use it for DeletePerson and
// Forget. A group the person was in loses its reason and conversation
// starter too, which may name them ("Ana can help Ben with Go"); bot/peers
// introduces a group without them in neutral words.
//
// The others of the group keep their pairs among themselves, so the rule
// that recent pairs do not meet again still holds for them; only the pairs
// with the forgotten person are gone, and if that person is still in the
// channel they may meet someone from a recent round again: Lore no longer
// knows they met. A group left with one member is never introduced or
// checked in with.
func ForgetInRound(r *Round, user string) bool {
	changed := false
	for i := range r.Groups {
		g := &r.Groups[i]
		if j := slices.Index(g.Members, user); j >= 0 {
			g.Members = slices.Delete(g.Members, j, j+1)
			g.Reason, g.Starter = "", ""
			changed = true
		}
	}
	if j := slices.Index(r.Unplaced, user); j >= 0 {
		r.Unplaced = slices.Delete(r.Unplaced, j, j+1)
		changed = true
	}
	return changed
}
