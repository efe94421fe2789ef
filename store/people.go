package store

import (
	"context"
	"time"
)

// Person holds what Lore knows about one person on one chat platform, as
// the platform reports it. Nudges read the time zone to send at a sensible
// local hour.
type Person struct {
	Platform  string // "slack", "discord"
	Workspace string // Slack team, Discord guild
	User      string // the platform's user id
	// TimeZone is an IANA name such as "Europe/Berlin"; empty when the
	// platform did not say.
	TimeZone  string
	UpdatedAt time.Time
}

// PersonWorkspace is a workspace in which a person has records.
type PersonWorkspace struct {
	Workspace string
	// LastSent is when the newest nudge sent to them there went out;
	// zero when none was.
	LastSent time.Time
}

// People keeps platform facts about people, keyed by platform, workspace
// and user, and finds where a person has records.
type People interface {
	// SavePerson creates or replaces the record of p's key. A zero
	// UpdatedAt is stamped with the store's clock.
	SavePerson(ctx context.Context, p Person) error
	// Person returns the record of one person, or an error wrapping
	// ErrNotFound.
	Person(ctx context.Context, platform, workspace, user string) (Person, error)
	// PersonWorkspaces returns the workspaces of platform in which the
	// person user has records: an enrolment (left ones too), nudge
	// preferences or a sent nudge; a peer profile or a request for help
	// they made or were asked; or an event of theirs. The workspace of
	// the newest nudge comes first, then the others by workspace. A
	// direct message on a platform whose direct messages name no
	// workspace (Discord's) finds, through it, where its sender's records
	// are.
	//
	// Learning records kept without a workspace count as a place of
	// their own (their nudges are sent by direct message from there);
	// peer records and events without one do not: a direct message is no
	// place to find colleagues in, and events of direct messages name
	// none.
	PersonWorkspaces(ctx context.Context, platform, user string) ([]PersonWorkspace, error)
}

// MaxTimeZone bounds a stored time zone name; the longest IANA name is
// about 30 bytes.
const MaxTimeZone = 64

// ValidatePerson refuses a record without a platform or user, with an
// overlong id, with text the rules refuse, or with an overlong time zone
// name.
func (r Rules) ValidatePerson(p Person) error {
	if err := r.ValidatePersonKey(p.Platform, p.Workspace, p.User); err != nil {
		return err
	}
	if err := r.checkIDFields(field{"person platform", p.Platform}, field{"person workspace", p.Workspace}, field{"person user", p.User}); err != nil {
		return err
	}
	if len(p.TimeZone) > MaxTimeZone {
		return Invalid("time zone is %d bytes, more than %d", len(p.TimeZone), MaxTimeZone)
	}
	return r.CheckText("time zone", p.TimeZone)
}

// ValidatePersonKey refuses a key no person can have. It leaves ids of
// any length to reads, which find nothing under one too long to store.
func (r Rules) ValidatePersonKey(platform, workspace, user string) error {
	switch {
	case platform == "":
		return Invalid("person platform is empty")
	case user == "":
		return Invalid("person user is empty")
	}
	for _, f := range []struct{ name, v string }{{"platform", platform}, {"workspace", workspace}, {"user", user}} {
		if err := r.CheckText("person "+f.name, f.v); err != nil {
			return err
		}
	}
	return nil
}
