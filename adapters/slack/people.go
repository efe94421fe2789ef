package slack

import (
	"context"
	"errors"
	"time"
	_ "time/tzdata" // validate IANA names even where the system has no zoneinfo

	"github.com/lorehq/lore/store"
)

// personMaxAge is how long a stored time zone is trusted before Lore asks
// Slack again; people travel and change their profile.
const personMaxAge = 24 * time.Hour

// refreshPerson stores the person's time zone from users.info when it is
// unknown or older than personMaxAge (always when force is set). It runs
// in the background and only once per person at a time: answering does not
// wait for it.
func (a *Adapter) refreshPerson(ctx context.Context, team, user string, force bool) {
	key := team + "/" + user
	a.personMu.Lock()
	if a.refreshing[key] {
		a.personMu.Unlock()
		return
	}
	a.refreshing[key] = true
	a.personMu.Unlock()
	a.background(ctx, "refresh person", func(ctx context.Context) {
		defer func() {
			a.personMu.Lock()
			delete(a.refreshing, key)
			a.personMu.Unlock()
		}()
		if err := a.savePerson(ctx, team, user, force); err != nil {
			a.log.WarnContext(ctx, "storing a person's time zone failed", "user", user, "err", err)
		}
	})
}

func (a *Adapter) savePerson(ctx context.Context, team, user string, force bool) error {
	if !force {
		p, err := a.deps.People.Person(ctx, Platform, team, user)
		switch {
		case err == nil && a.cfg.Clock().Sub(p.UpdatedAt) < personMaxAge:
			return nil
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	tz, err := a.timeZone(ctx, user)
	if err != nil {
		return err
	}
	return a.deps.People.SavePerson(ctx, store.Person{
		Platform: Platform, Workspace: team, User: user, TimeZone: tz, UpdatedAt: a.cfg.Clock(),
	})
}

// timeZone asks Slack for the person's time zone; a name that is not a
// valid IANA zone is stored as unknown.
func (a *Adapter) timeZone(ctx context.Context, user string) (string, error) {
	var tz string
	err := a.call(ctx, "users.info", func(ctx context.Context) error {
		u, err := a.api.GetUserInfoContext(ctx, user)
		if err != nil {
			return err
		}
		tz = u.TZ
		return nil
	})
	if err != nil {
		return "", err
	}
	if tz == "" || len(tz) > store.MaxTimeZone {
		return "", nil
	}
	if _, err := time.LoadLocation(tz); err != nil {
		a.log.WarnContext(ctx, "Slack reported an unknown time zone", "user", user, "tz", tz)
		return "", nil
	}
	return tz, nil
}
