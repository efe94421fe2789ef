package engagement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/lorehq/lore/store"
)

// Leader is someone who receives the weekly digest, where and when they
// chose.
type Leader struct {
	Name string      `json:"name" yaml:"name"`
	To   Destination `json:"to" yaml:"to"`
	// TimeZone is an IANA zone name; default UTC.
	TimeZone string `json:"time_zone,omitempty" yaml:"time_zone"`
	// Hour is the local hour of the morning the digest arrives; default 8.
	Hour int `json:"hour,omitempty" yaml:"hour"`
	// Weekday is the local day it arrives; default Monday.
	Weekday *time.Weekday `json:"weekday,omitempty" yaml:"weekday"`
}

// Due reports whether the leader's digest is due in the hour that
// contains now, and the end of the week it covers: the UTC midnight that
// begins the day in which the leader's hour begins. A report adds up whole
// UTC days that are over (CheckPeriod), so the week is the seven UTC days
// before that one, the same for leaders whose digests go out on the same
// UTC day, rather than seven days from a local midnight that another
// leader's week, an hour apart, could be subtracted from.
//
// The digest is due for an hour from the first instant at or after the
// leader's local time: on a clock-change day, an hour the clocks skip is
// served when they jump past it, and an hour they repeat only the first
// time, so the hourly check finds each week's digest due exactly once.
func (l Leader) Due(now time.Time) (bool, time.Time, error) {
	loc := time.UTC
	if l.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(l.TimeZone); err != nil {
			return false, time.Time{}, fmt.Errorf("leader %s: time zone: %w", l.Name, err)
		}
	}
	hour := l.Hour
	if hour == 0 {
		hour = 8
	}
	day := time.Monday
	if l.Weekday != nil {
		day = *l.Weekday
	}
	local := now.In(loc)
	// The hour of the day before can still be running after a local
	// midnight that a clock change moved it past.
	for back := range 2 {
		date := time.Date(local.Year(), local.Month(), local.Day()-back, hour, 0, 0, 0, time.UTC)
		if date.Weekday() != day {
			continue
		}
		at := firstAtOrAfter(date, loc)
		if !now.Before(at) && now.Before(at.Add(time.Hour)) {
			return true, store.Day(at), nil
		}
	}
	today := time.Date(local.Year(), local.Month(), local.Day(), hour, 0, 0, 0, time.UTC)
	return false, store.Day(firstAtOrAfter(today, loc)), nil
}

// firstAtOrAfter returns the first instant at which the clocks of loc
// show wall (a wall-clock time given in UTC) or later: wall itself when
// it occurs once, its first occurrence when clocks go back over it, and
// the moment they jump past it when they skip it. time.Date leaves the
// choice between the two offsets of a transition unspecified.
func firstAtOrAfter(wall time.Time, loc *time.Location) time.Time {
	// No instant more than 14 hours (the largest offset) before wall, as
	// UTC, shows wall there; walk the zone's periods from then on, in each
	// of which the wall clock only moves forward.
	t := wall.Add(-15 * time.Hour)
	for range 8 {
		local := t.In(loc)
		_, offset := local.Zone()
		_, end := local.ZoneBounds()
		at := wall.Add(-time.Duration(offset) * time.Second)
		if at.Before(t) {
			at = t
		}
		if end.IsZero() || at.Before(end) {
			return at
		}
		t = end
	}
	return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), 0, 0, 0, loc)
}

// Digester sends the weekly digests. Run it once an hour (a periodic job):
// each leader's digest goes out in the hour of their local morning.
type Digester struct {
	Source  Source
	Sender  Sender
	Leaders []Leader
	Options Options
	Log     *slog.Logger // default slog.Default()
}

// DueDigest is one leader's digest due now: who, and the UTC midnight
// that ends the week it covers. It is what a per-leader job carries, so
// that each (leader, week) is queued once however many replicas look.
type DueDigest struct {
	Leader string
	Until  time.Time
}

// Due lists the digests due in the hour that contains now. A leader whose
// time zone cannot be loaded is reported and skipped.
func (d *Digester) Due(now time.Time) ([]DueDigest, error) {
	var errs []error
	var due []DueDigest
	for _, l := range d.Leaders {
		ok, end, err := l.Due(now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			due = append(due, DueDigest{Leader: l.Name, Until: end})
		}
	}
	return due, errors.Join(errs...)
}

// ErrUnknownLeader is returned by Send for a leader not in Leaders (one
// removed from the configuration since the job was queued).
var ErrUnknownLeader = errors.New("no such leader")

// Send builds the digest of the week that ends at until and sends it to
// the leader named leader. A week ends at a UTC midnight; an until within
// a day (a local midnight, as jobs queued by earlier versions carry) ends
// the week at the start of that UTC day.
func (d *Digester) Send(ctx context.Context, leader string, until time.Time) error {
	i := slices.IndexFunc(d.Leaders, func(l Leader) bool { return l.Name == leader })
	if i < 0 {
		return fmt.Errorf("digest for %q: %w", leader, ErrUnknownLeader)
	}
	l := d.Leaders[i]
	until = store.Day(until)
	m, err := BuildMessage(ctx, d.Source, Filter{Since: until.AddDate(0, 0, -7), Until: until}, d.Options)
	if err != nil {
		return fmt.Errorf("digest for %s: %w", l.Name, err)
	}
	if err := d.Sender.SendDigest(ctx, l.To, m); err != nil {
		return fmt.Errorf("send digest to %s: %w", l.Name, err)
	}
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "digest sent", "leader", l.Name, "platform", l.To.Platform, "week_until", until)
	return nil
}

// RunHour sends the digests due in the hour that contains now and returns
// how many went out. One leader's failure does not stop the others; all
// failures are returned together. It sends at once, in this process: lore
// serve queues one job per due digest instead (bot/engagement/jobs), which
// several replicas run once between them.
func (d *Digester) RunHour(ctx context.Context, now time.Time) (int, error) {
	due, err := d.Due(now)
	errs := []error{err}
	sent := 0
	for _, dd := range due {
		if err := d.Send(ctx, dd.Leader, dd.Until); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// ValidateLeaders checks a leaders list as configured: every leader has a
// unique name, a loadable time zone, an hour and weekday in range, and one
// destination (a user or a channel) on a platform.
func ValidateLeaders(ls []Leader) error {
	var errs []error
	seen := map[string]bool{}
	for i, l := range ls {
		name := l.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
			errs = append(errs, fmt.Errorf("leader %s: a name is required", name))
		} else if seen[name] {
			errs = append(errs, fmt.Errorf("leader %s: the name is used twice", name))
		}
		seen[name] = true
		if l.TimeZone != "" {
			if _, err := time.LoadLocation(l.TimeZone); err != nil {
				errs = append(errs, fmt.Errorf("leader %s: time zone %q: %v", name, l.TimeZone, err))
			}
		}
		if l.Hour < 0 || l.Hour > 23 {
			errs = append(errs, fmt.Errorf("leader %s: hour %d is not between 0 and 23", name, l.Hour))
		}
		if l.Weekday != nil && (*l.Weekday < time.Sunday || *l.Weekday > time.Saturday) {
			errs = append(errs, fmt.Errorf("leader %s: weekday %d is not between 0 (Sunday) and 6", name, *l.Weekday))
		}
		if l.To.Platform == "" {
			errs = append(errs, fmt.Errorf("leader %s: to.platform is required (slack, discord)", name))
		}
		if (l.To.User == "") == (l.To.Channel == "") {
			errs = append(errs, fmt.Errorf("leader %s: give to.user (a direct message) or to.channel, not both", name))
		}
	}
	return errors.Join(errs...)
}

// BuildMessage computes the digest of f's period with its chart.
func BuildMessage(ctx context.Context, src Source, f Filter, o Options) (Message, error) {
	r, err := Compute(ctx, src, f, o)
	if err != nil {
		return Message{}, err
	}
	dg := BuildDigest(r)
	png, err := dg.PNG()
	if err != nil {
		return Message{}, err
	}
	return Message{Digest: dg, Reply: dg.Reply(), Chart: png, ChartName: "lore-digest-" + f.Until.Format("2006-01-02") + ".png"}, nil
}
