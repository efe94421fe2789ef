package engagement

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
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
// contains now, and the local midnight that ends the week it covers.
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
	end := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	return local.Weekday() == day && local.Hour() == hour, end, nil
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

// RunHour sends the digests due in the hour that contains now and returns
// how many went out. One leader's failure does not stop the others; all
// failures are returned together.
func (d *Digester) RunHour(ctx context.Context, now time.Time) (int, error) {
	log := d.Log
	if log == nil {
		log = slog.Default()
	}
	var errs []error
	sent := 0
	for _, l := range d.Leaders {
		due, end, err := l.Due(now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !due {
			continue
		}
		m, err := BuildMessage(ctx, d.Source, Filter{Since: end.AddDate(0, 0, -7), Until: end}, d.Options)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest for %s: %w", l.Name, err))
			continue
		}
		if err := d.Sender.SendDigest(ctx, l.To, m); err != nil {
			errs = append(errs, fmt.Errorf("send digest to %s: %w", l.Name, err))
			continue
		}
		log.InfoContext(ctx, "digest sent", "leader", l.Name, "platform", l.To.Platform)
		sent++
	}
	return sent, errors.Join(errs...)
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
	return Message{Reply: dg.Reply(), Chart: png, ChartName: "lore-digest-" + f.Until.Format("2006-01-02") + ".png"}, nil
}
