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

// People keeps platform facts about people, keyed by platform, workspace
// and user.
type People interface {
	// SavePerson creates or replaces the record of p's key. A zero
	// UpdatedAt is stamped with the store's clock.
	SavePerson(ctx context.Context, p Person) error
	// Person returns the record of one person, or an error wrapping
	// ErrNotFound.
	Person(ctx context.Context, platform, workspace, user string) (Person, error)
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
