package nudges

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

const settingsHelp = "`nudges time 08:45` · `nudges days mon-fri` · `nudges cap 2` · `nudges quiet 2026-12-21 2027-01-04` · " +
	"`nudges quiet off` · `nudges snooze 1d|1w` · `nudges pause` · `nudges resume` · `nudges stop` · `nudges timezone Europe/Paris`"

// settings shows or changes a learner's delivery preferences.
func (s *Service) settings(ctx context.Context, l store.Learner, args string) (bot.Reply, error) {
	p, err := s.preferences(ctx, l)
	if err != nil {
		return bot.Reply{}, err
	}
	sub, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	var msg string
	switch strings.ToLower(sub) {
	case "", "show", "settings":
		return bot.Reply{Text: s.describe(ctx, p) + "\n\n" + settingsHelp}, nil
	case "time":
		m, err := parseClock(rest)
		if err != nil {
			return bot.Reply{}, err
		}
		p.DeliveryMinute = m
		msg = "Nudges now come at " + clock(m) + "."
	case "days":
		d, err := parseDays(rest)
		if err != nil {
			return bot.Reply{}, err
		}
		p.Weekdays = d
		msg = "Nudges now come on " + days(d) + "."
	case "cap":
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > MaxDailyCap {
			return bot.Reply{}, userError(fmt.Sprintf("The cap is a number of cards a day, from 1 to %d: `nudges cap 2`.", MaxDailyCap))
		}
		p.DailyCap = n
		msg = fmt.Sprintf("At most %s a day from now on.", cardCount(n))
	case "quiet":
		if strings.EqualFold(rest, "off") {
			p.QuietFrom, p.QuietUntil = time.Time{}, time.Time{}
			msg = "No quiet period."
			break
		}
		loc := s.shownLocation(ctx, p)
		from, until, err := parseQuiet(rest, loc)
		if err != nil {
			return bot.Reply{}, err
		}
		p.QuietFrom, p.QuietUntil = from, until
		msg = fmt.Sprintf("No nudges from %s to %s inclusive.", from.In(loc).Format("Mon 2 Jan 2006"), lastQuietDay(until, loc).Format("Mon 2 Jan 2006"))
	case "snooze":
		var d time.Duration
		switch strings.ToLower(rest) {
		case "1d", "day", "1 day", "":
			d = 24 * time.Hour
		case "1w", "week", "1 week", "7d":
			d = 7 * 24 * time.Hour
		default:
			return bot.Reply{}, userError("Snooze for a day or a week: `nudges snooze 1d` or `nudges snooze 1w`.")
		}
		p.SnoozedUntil = s.now().Add(d)
		s.event(ctx, l, store.EventSnoozed, "", int(d/(24*time.Hour)), l.Platform, l.Workspace, l.User, s.now().String())
		msg = "Snoozed until " + p.SnoozedUntil.In(s.shownLocation(ctx, p)).Format("Mon 2 Jan 15:04") + "."
	case "pause":
		p.Paused = true
		msg = "Paused. `nudges resume` brings the nudges back, with your progress."
	case "resume":
		p.Paused, p.Stopped, p.StopReason, p.SnoozedUntil = false, false, "", time.Time{}
		msg = "Welcome back: nudges resume at your next delivery time."
	case "stop":
		p.Stopped, p.StopReason = true, "asked to stop"
		msg = "Stopped: no more nudges. Your progress is kept; `nudges resume` starts them again."
	case "timezone", "tz", "zone":
		if rest == "" || strings.EqualFold(rest, "auto") {
			p.TimeZone = ""
			msg = "Using the time zone of your profile (" + s.shownLocation(ctx, p).String() + ")."
			break
		}
		loc, err := time.LoadLocation(rest)
		if err != nil || rest == "Local" {
			return bot.Reply{}, userError(fmt.Sprintf("I don't know the time zone %q. Use a name like Europe/Paris or America/New_York.", clip(rest)))
		}
		p.TimeZone = loc.String()
		msg = "Your time zone is now " + p.TimeZone + "."
	default:
		return bot.Reply{Text: "I don't know `nudges " + clip(sub) + "`. " + settingsHelp}, nil
	}
	if err := s.st.SavePreferences(ctx, p); err != nil {
		return bot.Reply{}, err
	}
	return bot.Reply{Text: msg}, nil
}

func (s *Service) describe(ctx context.Context, p store.Preferences) string {
	loc := s.shownLocation(ctx, p)
	var b strings.Builder
	fmt.Fprintf(&b, "**Your nudges**: at %s on %s (%s), at most %s a day.", clock(p.DeliveryMinute), days(p.Weekdays), loc, cardCount(p.DailyCap))
	if !p.QuietUntil.IsZero() {
		fmt.Fprintf(&b, "\nQuiet from %s to %s inclusive.", p.QuietFrom.In(loc).Format("2 Jan 2006"), lastQuietDay(p.QuietUntil, loc).Format("2 Jan 2006"))
	}
	if p.SnoozedUntil.After(s.now()) {
		fmt.Fprintf(&b, "\nSnoozed until %s.", p.SnoozedUntil.In(loc).Format("Mon 2 Jan 15:04"))
	}
	switch {
	case p.Stopped:
		b.WriteString("\nStopped (" + p.StopReason + ").")
	case p.Paused:
		b.WriteString("\nPaused.")
	}
	if next, ok := NextSlot(p, loc, s.now()); ok {
		fmt.Fprintf(&b, "\nNext: %s.", next.In(loc).Format("Mon 2 Jan 15:04"))
	}
	return b.String()
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, userError("Give a time as HH:MM on the 24-hour clock: `nudges time 08:45`.")
	}
	return t.Hour()*60 + t.Minute(), nil
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// cardCount writes n cards: "1 card", "3 cards".
func cardCount(n int) string {
	if n == 1 {
		return "1 card"
	}
	return fmt.Sprintf("%d cards", n)
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseDays reads "mon-fri", "mon,wed,fri" or "weekdays"/"every day".
func parseDays(s string) (int, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "weekdays", "workdays":
		return DefaultWeekdays, nil
	case "every day", "daily", "all":
		return 0x7f, nil
	}
	day := func(x string) (int, bool) {
		for i, n := range dayNames {
			if strings.HasPrefix(strings.TrimSpace(x), n) {
				return i, true
			}
		}
		return 0, false
	}
	mask := 0
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok1 := day(a)
		to, ok2 := from, true
		if isRange {
			to, ok2 = day(b)
		}
		if !ok1 || !ok2 {
			return 0, userError("Give days as `mon-fri` or `mon,wed,fri`.")
		}
		for d := from; ; d = (d + 1) % 7 {
			mask |= 1 << d
			if d == to {
				break
			}
		}
	}
	return mask, nil
}

func days(mask int) string {
	switch mask & 0x7f {
	case DefaultWeekdays:
		return "Monday to Friday"
	case 0x7f:
		return "every day"
	}
	var out []string
	for i := 1; i <= 7; i++ {
		if mask&(1<<(i%7)) != 0 {
			out = append(out, time.Weekday(i%7).String())
		}
	}
	return strings.Join(out, ", ")
}

// parseQuiet reads "FROM UNTIL" (dates, both included) in the learner's
// zone: the period runs from the start of the first day to the start of
// the day after the last, each where the clocks show it (01:00 in a zone
// whose clocks jump from midnight to 01:00, rather than 23:00 the day
// before, which time.Date gives west of UTC).
func parseQuiet(s string, loc *time.Location) (time.Time, time.Time, error) {
	f := strings.Fields(s)
	bad := userError("Give the first and last quiet day: `nudges quiet 2026-12-21 2027-01-04`, or `nudges quiet off`.")
	if len(f) != 2 {
		return time.Time{}, time.Time{}, bad
	}
	first, err1 := time.Parse("2006-01-02", f[0])
	last, err2 := time.Parse("2006-01-02", f[1])
	if err1 != nil || err2 != nil || last.Before(first) {
		return time.Time{}, time.Time{}, bad
	}
	from := wallClock(first.Year(), first.Month(), first.Day(), 0, loc)
	until := wallClock(last.Year(), last.Month(), last.Day()+1, 0, loc)
	return from, until, nil
}

// lastQuietDay is the last day of a quiet period ending at until, in loc.
func lastQuietDay(until time.Time, loc *time.Location) time.Time {
	return until.Add(-time.Minute).In(loc)
}
