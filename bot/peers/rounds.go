package peers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Defaults of a channel's pairing schedule, when "connect rounds on" names
// none.
const (
	DefaultFrequency   = "weekly"
	DefaultGroupSize   = 2
	DefaultIntroHour   = 9
	DefaultAvoidRounds = 6
)

const roundsUsage = "Usage, in the channel: `connect rounds on [weekly|biweekly|monthly] [size 2|3-4] [time HH:00] [avoid K]` " +
	"(also `every week`, `every 2 weeks`, `every month`) " +
	"enables pairing rounds (defaults: weekly, pairs, 09:00 in each group's shared morning, no repeat of the last 6 rounds); " +
	"`connect rounds off` stops them; `connect rounds` shows the schedule. Only admins can change it."

// roundsCommand shows or changes the pairing schedule of the channel the
// message was sent in.
func (s *Service) roundsCommand(ctx context.Context, msg bot.Message, args string) bot.Reply {
	key, rest := splitKey(args)
	var current *store.RoundConfig
	configs, err := s.store.RoundConfigs(ctx)
	if err != nil {
		return s.storeTrouble(ctx, "loading schedules", err)
	}
	for i, c := range configs {
		if c.Platform == msg.Platform && c.Workspace == msg.Workspace && c.Channel == msg.Channel {
			current = &configs[i]
		}
	}
	switch key {
	case "", "show", "status":
		if current == nil || !current.Enabled {
			return bot.Reply{Text: "Pairing rounds are off in this channel. " + roundsUsage, Private: true}
		}
		return bot.Reply{Text: "Pairing rounds in this channel: " + describeRounds(*current) + ".", Private: true}
	case "help":
		return bot.Reply{Text: roundsUsage, Private: true}
	case "on", "off":
	default:
		return bot.Reply{Text: roundsUsage, Private: true}
	}
	if !s.admins.IsAdmin(ctx, msg.Platform, msg.Workspace, msg.User) {
		return bot.Reply{Text: "Only an admin can change pairing rounds. Ask one of Lore's admins to do it; whoever runs Lore can list them with `lore roles`.", Private: true}
	}
	if msg.Direct || msg.Channel == "" {
		return bot.Reply{Text: "Type this in the channel whose members should be paired.", Private: true}
	}
	cfg := store.RoundConfig{Platform: msg.Platform, Workspace: msg.Workspace, Channel: msg.Channel,
		Frequency: DefaultFrequency, GroupSize: DefaultGroupSize, IntroHour: DefaultIntroHour, AvoidRounds: DefaultAvoidRounds}
	if current != nil {
		cfg = *current
	}
	cfg.Enabled = key == "on"
	if cfg.Enabled {
		if err := ParseRoundOptions(&cfg, rest); err != nil {
			return bot.Reply{Text: err.Error() + "\n" + roundsUsage, Private: true}
		}
	}
	if err := (store.Rules{}).ValidateRoundConfig(cfg); err != nil {
		return bot.Reply{Text: "That schedule can't run: " + err.Error(), Private: true}
	}
	if err := s.store.PutRoundConfig(ctx, cfg); err != nil {
		return s.storeTrouble(ctx, "saving a schedule", err)
	}
	if s.audit != nil {
		detail := "off"
		if cfg.Enabled {
			detail = "on: " + describeRounds(cfg)
		}
		channel := audience.Ref{Platform: msg.Platform, Workspace: msg.Workspace, ID: msg.Channel}.String()
		if err := s.audit.RecordAudit(ctx, store.AuditEntry{Time: s.now(), Actor: bot.Actor(msg), Action: store.AuditRoundsSet,
			Target: channel, Detail: detail}); err != nil {
			// The schedule changed; the admin is told so, and the log says
			// what failed.
			s.log.ErrorContext(ctx, "recording a change of pairing rounds in the audit log failed", "err", err)
		}
	}
	if !cfg.Enabled {
		return bot.Reply{Text: "Pairing rounds are off in this channel."}
	}
	return bot.Reply{Text: "Pairing rounds are on in this channel: " + describeRounds(cfg) + ". Members can skip rounds with `profile skip-rounds 2w`."}
}

// ParseRoundOptions reads "biweekly size 3-4 time 10:00 avoid 4" into c.
func ParseRoundOptions(c *store.RoundConfig, text string) error {
	words := strings.Fields(strings.ToLower(text))
	for i := 0; i < len(words); i++ {
		w := words[i]
		next := func() (string, error) {
			if i+1 >= len(words) {
				return "", &InputError{Msg: "`" + w + "` needs a value"}
			}
			i++
			return words[i], nil
		}
		switch w {
		case "weekly", "biweekly", "monthly":
			c.Frequency = w
		case "fortnightly":
			c.Frequency = "biweekly"
		case "every":
			// "every week", "every 2 weeks", "every month", as people say it.
			v, err := next()
			if err != nil {
				return err
			}
			if v == "2" || v == "two" {
				if i+1 < len(words) && strings.HasPrefix(words[i+1], "week") {
					i++
					c.Frequency = "biweekly"
					continue
				}
				return &InputError{Msg: "every 2 what? `every week`, `every 2 weeks` or `every month`"}
			}
			switch v {
			case "week":
				c.Frequency = "weekly"
			case "month":
				c.Frequency = "monthly"
			default:
				return &InputError{Msg: "`every week`, `every 2 weeks` or `every month`"}
			}
		case "size":
			v, err := next()
			if err != nil {
				return err
			}
			switch v {
			case "2":
				c.GroupSize = 2
			case "3-4", "3", "4", "3to4":
				c.GroupSize = 4
			default:
				return &InputError{Msg: "group size is 2 or 3-4"}
			}
		case "time", "at":
			v, err := next()
			if err != nil {
				return err
			}
			h, m, ok := strings.Cut(v, ":")
			hour, err := strconv.Atoi(h)
			if err != nil || hour < 0 || hour > 23 || (ok && m != "00") {
				return &InputError{Msg: "time is an hour such as 09:00 (on the hour)"}
			}
			c.IntroHour = hour
		case "avoid":
			v, err := next()
			if err != nil {
				return err
			}
			k, err := strconv.Atoi(v)
			if err != nil || k < 0 || k > 52 {
				return &InputError{Msg: "avoid takes a number of rounds from 0 to 52"}
			}
			c.AvoidRounds = k
		default:
			return &InputError{Msg: fmt.Sprintf("I don't understand %q", firstWord(w))}
		}
	}
	return nil
}

func describeRounds(c store.RoundConfig) string {
	size := "pairs"
	if c.GroupSize > 2 {
		size = "groups of 3-4"
	}
	return fmt.Sprintf("%s, %s, introductions at %02d:00 in each group's shared morning, no repeat of the last %d rounds", c.Frequency, size, c.IntroHour, c.AvoidRounds)
}

// period is the length of a schedule's rounds.
func period(freq string) time.Duration {
	switch freq {
	case "biweekly":
		return 14 * 24 * time.Hour
	case "monthly":
		return 30 * 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// fortnightEpoch is the Monday that two-week periods are counted from:
// the first day of ISO week 1 of 2026.
var fortnightEpoch = time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC)

// RoundID names the round of c's schedule that t falls in: one id per
// channel and period, so that every replica and every retry agrees on it.
//
// Two-week periods run fourteen days at a time from fortnightEpoch, across
// years: numbered within ISO years, as they were first, a 53-week year
// such as 2026 ended with a one-week period (2026-F27), and rounds ran a
// week apart. A period is named after its first week, ISO year and
// (week+1)/2, which is the name the earlier numbering gave the same two
// weeks wherever the two agree: in 2026, up to its last week, they are the
// same periods, so no round runs twice when this version replaces the
// previous one. (Where they differ, as from 2027, each fortnight is named
// like an older period it overlaps, so a switch then would make one
// period three weeks long, never a round a week after another.)
func RoundID(c store.RoundConfig, t time.Time) string {
	t = t.UTC()
	y, w := t.ISOWeek()
	var p string
	switch c.Frequency {
	case "biweekly":
		const fortnight = 14 * 24 * 60 * 60 // seconds
		secs := t.Unix() - fortnightEpoch.Unix()
		k := secs / fortnight
		if secs < 0 && secs%fortnight != 0 {
			k-- // rounded down before the epoch too
		}
		fy, fw := fortnightEpoch.AddDate(0, 0, 14*int(k)).ISOWeek()
		p = fmt.Sprintf("%d-F%02d", fy, (fw+1)/2)
	case "monthly":
		p = t.Format("2006-01")
	default:
		p = fmt.Sprintf("%d-W%02d", y, w)
	}
	return c.Platform + "/" + c.Workspace + "/" + c.Channel + "/" + p
}

// ErrNoRoster means rounds cannot run: no Roster was configured.
var ErrNoRoster = errors.New("peers: pairing rounds need a Roster to list channel members")

// RunRound makes the current period's round of c, once: it lists the
// channel's members, leaves out those who skip rounds, groups the rest
// (avoiding blocks and the pairs of the last c.AvoidRounds rounds), stores
// the round and sends the introductions that are due. Run again in the
// same period, it only sends introductions still due, so it is safe to
// repeat and to run on several replicas.
func (s *Service) RunRound(ctx context.Context, c store.RoundConfig) (store.Round, error) {
	now := s.now()
	id := RoundID(c, now)
	r, err := s.store.Round(ctx, id)
	if err == nil {
		return r, s.sendDue(ctx, &r)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return r, err
	}
	if s.roster == nil {
		return r, ErrNoRoster
	}
	users, err := s.roster.ChannelMembers(ctx, c.Platform, c.Workspace, c.Channel)
	if err != nil {
		return r, fmt.Errorf("members of %s: %w", c.Channel, err)
	}
	profiles, err := s.store.Profiles(ctx, c.Platform, c.Workspace)
	if err != nil {
		return r, err
	}
	byUser := map[string]store.Profile{}
	for _, p := range profiles {
		byUser[p.User] = p
	}
	var members []store.Profile
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u] || u == "" {
			continue
		}
		seen[u] = true
		p, ok := byUser[u]
		if !ok {
			p = store.Profile{PersonKey: store.PersonKey{Platform: c.Platform, Workspace: c.Workspace, User: u}}
		}
		if p.SkipRoundsUntil.After(now) {
			continue
		}
		members = append(members, p)
	}
	var past []store.Round
	if c.AvoidRounds > 0 {
		if past, err = s.store.Rounds(ctx, c.Platform, c.Workspace, c.Channel, c.AvoidRounds); err != nil {
			return r, err
		}
	}
	plan := Solve(s.problem(members, past, c, id, now))
	r = store.Round{ID: id, Platform: c.Platform, Workspace: c.Workspace, Channel: c.Channel,
		StartedAt: now, CheckInAt: now.Add(period(c.Frequency) / 2)}
	for _, g := range plan.Groups {
		group := make([]store.Profile, len(g))
		for i, x := range g {
			group[i] = members[x]
		}
		rg := store.RoundGroup{Reason: s.matchReason(group), Starter: starter(group, id), SendAt: sharedMorning(group, c.IntroHour, now)}
		for _, p := range group {
			rg.Members = append(rg.Members, p.User)
		}
		r.Groups = append(r.Groups, rg)
	}
	for _, x := range plan.Unplaced {
		r.Unplaced = append(r.Unplaced, members[x].User)
	}
	created, err := s.store.CreateRound(ctx, r)
	if err != nil {
		return r, err
	}
	if !created {
		// Another replica made this round first; its plan is the one.
		if r, err = s.store.Round(ctx, id); err != nil {
			return r, err
		}
		return r, s.sendDue(ctx, &r)
	}
	for _, u := range r.Unplaced {
		note := bot.Reply{Text: "I couldn't place you in a group in this pairing round: everyone left is someone you blocked or who blocked you, or you were the only one. You'll be in the next round."}
		if err := s.messenger.SendDirect(ctx, c.Platform, c.Workspace, []string{u}, note); err != nil {
			s.log.WarnContext(ctx, "peers: telling an unplaced member failed", "round", id, "err", err)
		}
	}
	return r, s.sendDue(ctx, &r)
}

// problem turns a round's members into a matching problem.
func (s *Service) problem(members []store.Profile, past []store.Round, c store.RoundConfig, id string, now time.Time) Problem {
	index := map[string]int{}
	p := Problem{GroupSize: c.GroupSize, Seed: hashSeed(id), Blocked: map[Pair]bool{}, Recent: map[Pair]bool{}}
	for i, m := range members {
		index[m.User] = i
		start, end := utcHours(m, now)
		can := slices.Clone(m.CanHelp)
		if m.InferConsent {
			can = append(can, m.Inferred...)
		}
		p.Members = append(p.Members, Member{ID: m.User, Team: m.Team, Can: SkillKeys(can), Learn: SkillKeys(m.Learning), WorkStart: start, WorkEnd: end})
	}
	for i, m := range members {
		for _, b := range blockedUsers(m) {
			if j, ok := index[b]; ok && j != i {
				p.Blocked[PairOf(i, j)] = true
			}
		}
	}
	for _, r := range past {
		for _, g := range r.Groups {
			for a := range g.Members {
				for b := a + 1; b < len(g.Members); b++ {
					i, ok1 := index[g.Members[a]]
					j, ok2 := index[g.Members[b]]
					if ok1 && ok2 {
						p.Recent[PairOf(i, j)] = true
					}
				}
			}
		}
	}
	return p
}

// matchReason says why a group was formed, from what its members declared.
func (s *Service) matchReason(group []store.Profile) string {
	var parts []string
	for _, a := range group {
		for _, b := range group {
			if a.User == b.User {
				continue
			}
			for _, l := range b.Learning {
				if slices.ContainsFunc(a.CanHelp, func(c string) bool { return Key(c) == Key(l) }) {
					parts = append(parts, fmt.Sprintf("%s can help %s with %s", displayName(a), displayName(b), l))
					break
				}
			}
		}
	}
	if len(parts) == 0 && len(group) >= 2 {
		for _, l := range group[0].Learning {
			if slices.ContainsFunc(group[1].Learning, func(c string) bool { return Key(c) == Key(l) }) {
				parts = append(parts, "you are all learning "+l)
				break
			}
		}
	}
	teams := map[string]bool{}
	for _, p := range group {
		if p.Team != "" {
			teams[p.Team] = true
		}
	}
	if len(teams) > 1 {
		parts = append(parts, "you work in different teams")
	}
	if len(parts) == 0 {
		return neutralReason
	}
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, "; ")
}

// neutralReason is the reason of a group whose members declared nothing in
// common, and of one that lost its reason with a forgotten member
// (store.ForgetInRound).
const neutralReason = "you haven't met in a recent round"

var starters = []string{
	"What's something you learned recently that surprised you?",
	"What are you working on this week, and what's hard about it?",
	"What's a skill you'd like to pick up this year?",
	"Who or what helped you most when you joined?",
	"What's a tool or habit you couldn't work without?",
}

// starter proposes a conversation starter, about a skill the group shares
// when there is one.
func starter(group []store.Profile, seed string) string {
	for _, a := range group {
		for _, b := range group {
			if a.User != b.User && len(b.Learning) > 0 && len(a.CanHelp) > 0 {
				for _, l := range b.Learning {
					if slices.ContainsFunc(a.CanHelp, func(c string) bool { return Key(c) == Key(l) }) {
						return fmt.Sprintf("%s, how did you get started with %s?", displayName(a), l)
					}
				}
			}
		}
	}
	return starters[hashSeed(seed+groupKey(group))%uint64(len(starters))]
}

func groupKey(group []store.Profile) string {
	var b strings.Builder
	for _, p := range group {
		b.WriteString(p.User + "\x00")
	}
	return b.String()
}

// sharedMorning is when a group's introduction goes out: the first full
// hour within two days of from at which the most members are between
// introHour and noon in their own time zone (or in the three hours from
// introHour, when that is after noon).
func sharedMorning(group []store.Profile, introHour int, from time.Time) time.Time {
	locs := make([]*time.Location, len(group))
	for i, p := range group {
		locs[i] = time.UTC
		if l, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
			locs[i] = l
		}
	}
	last := max(12, introHour+3)
	t := from.UTC().Truncate(time.Hour)
	if t.Before(from) {
		t = t.Add(time.Hour)
	}
	best, bestN := t, -1
	for range 48 {
		n := 0
		for _, l := range locs {
			if h := t.In(l).Hour(); h >= introHour && h < last {
				n++
			}
		}
		if n > bestN {
			best, bestN = t, n
		}
		if n == len(locs) {
			break
		}
		t = t.Add(time.Hour)
	}
	return best
}

// sendDue sends the introductions of r whose time has come, marking each
// as sent; a failure leaves the group for the next run.
func (s *Service) sendDue(ctx context.Context, r *store.Round) error {
	now := s.now()
	var errs []error
	for i := range r.Groups {
		g := &r.Groups[i]
		if !g.SentAt.IsZero() || g.SendAt.After(now) || len(g.Members) < 2 {
			continue
		}
		names := make([]string, len(g.Members))
		for j, u := range g.Members {
			p, err := s.loadProfile(ctx, store.PersonKey{Platform: r.Platform, Workspace: r.Workspace, User: u})
			if err != nil {
				p = store.Profile{PersonKey: store.PersonKey{User: u}}
			}
			names[j] = displayName(p)
		}
		// A forgotten member takes the reason and starter that may have
		// named them; the others are introduced in neutral words.
		reason, start := cmp.Or(g.Reason, neutralReason), cmp.Or(g.Starter, starters[0])
		intro := bot.Reply{Text: fmt.Sprintf("Hello %s! You're meeting in this round of the pairing in %s.\nWhy you: %s.\nTo start: %s\nFind a time that suits you all; I'll check in halfway through the round.",
			joinNames(names), r.Channel, reason, start)}
		if err := s.messenger.SendDirect(ctx, r.Platform, r.Workspace, g.Members, intro); err != nil {
			errs = append(errs, fmt.Errorf("introduce group %d of %s: %w", i, r.ID, err))
			continue
		}
		g.SentAt = now
		if err := s.store.UpdateRound(ctx, *r); err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, u := range g.Members {
			s.record(ctx, store.Event{Kind: store.EventIntroMade, Platform: r.Platform, Workspace: r.Workspace, Channel: r.Channel, User: u, Ref: r.ID})
		}
	}
	return errors.Join(errs...)
}

func joinNames(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// CheckIn asks each introduced group of a round whether they met, once.
// Each group is marked when its message went out; a group whose message
// failed is asked again by the next call, and the round is marked checked
// in only when none is left.
func (s *Service) CheckIn(ctx context.Context, roundID string) error {
	r, err := s.store.Round(ctx, roundID)
	if err != nil {
		return err
	}
	if r.CheckedIn {
		return nil
	}
	var errs []error
	for i := range r.Groups {
		g := &r.Groups[i]
		if g.SentAt.IsZero() || !g.CheckedInAt.IsZero() || len(g.Members) < 2 {
			continue
		}
		ask := bot.Reply{
			Text: "Halfway through this pairing round: did you meet?",
			Buttons: []bot.Button{
				{ID: ActionMetYes, Label: "Yes, we met", Value: r.ID},
				{ID: ActionMetNo, Label: "Not yet", Value: r.ID},
			},
		}
		if err := s.messenger.SendDirect(ctx, r.Platform, r.Workspace, g.Members, ask); err != nil {
			errs = append(errs, fmt.Errorf("check in with group %d of %s: %w", i, r.ID, err))
			continue
		}
		g.CheckedInAt = s.now()
		if err := s.store.UpdateRound(ctx, r); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	r.CheckedIn = true
	return s.store.UpdateRound(ctx, r)
}

// recordMet records a check-in answer as an EventMet.
func (s *Service) recordMet(ctx context.Context, a bot.Action, value int) bot.Reply {
	r, err := s.store.Round(ctx, a.Value)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (r.Platform != a.Platform || !bot.InWorkspace(a.Workspace, r.Workspace))) {
		return bot.Reply{Text: "I can't find that round any more.", Private: true}
	}
	if err != nil {
		return s.storeTrouble(ctx, "loading a round", err)
	}
	member := slices.ContainsFunc(r.Groups, func(g store.RoundGroup) bool { return slices.Contains(g.Members, a.User) })
	if !member {
		return bot.Reply{Text: "You weren't in a group in that round.", Private: true}
	}
	// One answer per member and round, the latest: the event's id names
	// both, and a new answer replaces the one before.
	met := store.Event{ID: "met/" + r.ID + "/" + a.User, Time: s.now(), Kind: store.EventMet,
		Platform: r.Platform, Workspace: r.Workspace, Channel: r.Channel, User: a.User, Value: value, Ref: r.ID}
	if err := s.store.ReplaceEvent(ctx, met); err != nil {
		s.log.WarnContext(ctx, "peers: recording a check-in answer failed", "round", r.ID, "err", err)
	}
	if value > 0 {
		return bot.Reply{Text: "Great, thanks for telling me!", Private: true}
	}
	return bot.Reply{Text: "Thanks. There's still time: a short call counts.", Private: true}
}

// tickLock is the store lock a tick holds while it runs, and tickLease
// its lease: longer than a tick may run (the job's timeout), so that it
// outlives the tick that holds it, and lets a dead replica's lock go soon
// after.
const (
	tickLock  = "peers-tick"
	tickLease = tickTimeout + time.Minute
)

// Tick does the scheduled work of every enabled channel: it makes the
// current period's round when there is none, sends the introductions that
// are due and, halfway through, the check-in. Everything it does is
// idempotent, so a periodic job can call it on any replica. Two ticks do
// not run at once (a retry of one period's tick and the next period's, on
// two replicas), since both would send the introductions neither has
// marked sent yet: while another tick runs, Tick returns an error
// wrapping store.ErrLocked.
func (s *Service) Tick(ctx context.Context) error {
	if s.locks != nil {
		// An owner of its own, so that a second tick in this process is
		// refused too rather than renewing the first one's lease.
		release, err := s.locks.TryLock(ctx, tickLock, "tick-"+s.newID(), tickLease)
		if err != nil {
			return fmt.Errorf("pairing tick: %w", err)
		}
		defer func() { _ = release(context.WithoutCancel(ctx)) }()
	}
	configs, err := s.store.RoundConfigs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range configs {
		if !c.Enabled {
			continue
		}
		r, err := s.RunRound(ctx, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("round of %s: %w", c.Channel, err))
		}
		if err == nil && !r.CheckedIn && !s.now().Before(r.CheckInAt) {
			if err := s.CheckIn(ctx, r.ID); err != nil {
				errs = append(errs, err)
			}
		}
		// The previous round's check-in may still be due when a new period
		// started before it ran.
		rounds, err := s.store.Rounds(ctx, c.Platform, c.Workspace, c.Channel, 2)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, old := range rounds {
			if old.ID != r.ID && !old.CheckedIn && !s.now().Before(old.CheckInAt) {
				if err := s.CheckIn(ctx, old.ID); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}
