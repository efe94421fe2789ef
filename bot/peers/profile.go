package peers

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

const profileUsage = "" +
	"- `profile` shows your profile.\n" +
	"- `profile can-help: go, negotiation` sets what you can help with; `profile learning: kubernetes` what you want to learn (each replaces its list; nothing after the colon clears it).\n" +
	"- `profile available on|off` opts in to, or out of, being asked for help; `profile snooze 2w` pauses requests (`off` resumes).\n" +
	"- `profile infer on|off` lets me add skills from your engagement (documents you own, help you gave, tracks you completed); `profile remove SKILL` removes one.\n" +
	"- `profile skip-rounds 4w` leaves you out of pairing rounds for a while (`off` rejoins).\n" +
	"- `profile block USER` / `profile unblock USER`: never be paired with, or asked by, someone.\n" +
	"- `profile name NAME`, `profile team TEAM`, `profile hours 09:00-17:00`, `profile timezone Europe/Paris`.\n" +
	"- `profile history` lists your requests for help and pairing rounds; `profile delete` removes your profile and that history."

// maxProfileText bounds free text in a profile (a name, a team).
const maxProfileText = 100

func (s *Service) profileCommand(ctx context.Context, msg bot.Message, args string) bot.Reply {
	key, val := splitKey(args)
	who := person(msg)
	switch key {
	case "", "show":
		return s.showProfile(ctx, who)
	case "help":
		return bot.Reply{Text: profileUsage, Private: true}
	case "history":
		return s.showHistory(ctx, who)
	case "delete":
		if strings.EqualFold(val, "yes") {
			return s.deletePerson(ctx, who)
		}
		return bot.Reply{
			Text:    "This removes your profile, your requests for help, your place in past pairing rounds and your peer history. It cannot be undone.",
			Buttons: []bot.Button{{ID: ActionDeleteProfile, Label: "Delete my profile", Value: msg.Workspace + "/" + msg.User}},
			Private: true,
		}
	}
	p, err := s.loadProfile(ctx, who)
	if err != nil {
		return s.storeTrouble(ctx, "loading a profile", err)
	}
	var done string
	switch key {
	case "can-help", "canhelp", "help-with", "can":
		list, err := s.skills.Parse(val)
		if err != nil {
			return bot.Reply{Text: err.Error(), Private: true}
		}
		p.CanHelp = list
		done = "You can help with: " + listOrNone(list) + "."
		if !p.Available && len(list) > 0 {
			done += " Type `profile available on` to let colleagues ask you."
		}
	case "learning", "learn", "learning-goals":
		list, err := s.skills.Parse(val)
		if err != nil {
			return bot.Reply{Text: err.Error(), Private: true}
		}
		p.Learning = list
		done = "You want to learn: " + listOrNone(list) + "."
	case "available":
		on, ok := onOff(val)
		if !ok {
			return usage("profile available on|off")
		}
		p.Available = on
		done = "You are no longer asked for help."
		if on {
			done = "Colleagues can now ask you for help with what you listed."
		}
	case "snooze":
		until, ok := s.span(val)
		if !ok {
			return usage("profile snooze 1w", "a number of days (`10d`) or weeks (`2w`), at most a year, or `off`")
		}
		p.SnoozedUntil = until
		done = "Requests resume now."
		if !until.IsZero() {
			done = "No requests until " + until.Format("Mon 2 Jan") + "."
		}
	case "skip-rounds", "skip-round", "skip":
		until, ok := s.span(val)
		if !ok {
			return usage("profile skip-rounds 2w", "a number of days (`10d`) or weeks (`2w`), at most a year, or `off`")
		}
		p.SkipRoundsUntil = until
		done = "You are back in the pairing rounds."
		if !until.IsZero() {
			done = "You are left out of pairing rounds until " + until.Format("Mon 2 Jan") + "."
		}
	case "infer":
		on, ok := onOff(val)
		if !ok {
			return usage("profile infer on|off")
		}
		p.InferConsent = on
		if !on {
			p.Inferred, p.FromTracks = nil, nil
			done = "I no longer infer skills, and removed the ones I had inferred."
			break
		}
		if err := s.refreshInferred(ctx, &p); err != nil {
			return s.storeTrouble(ctx, "inferring skills", err)
		}
		done = "I may now add skills from your engagement. Inferred so far: " + listOrNone(p.Inferred) + ". `profile remove SKILL` removes one."
	case "remove":
		label := s.skills.Label(val)
		if label == "" {
			return usage("profile remove SKILL")
		}
		k := Key(label)
		match := func(l string) bool { return Key(l) == k }
		n := len(p.Inferred) + len(p.CanHelp) + len(p.Learning)
		if slices.ContainsFunc(p.Inferred, match) {
			p.Dismissed = append(p.Dismissed, label)
		}
		p.Inferred = slices.DeleteFunc(p.Inferred, match)
		p.CanHelp = slices.DeleteFunc(p.CanHelp, match)
		p.Learning = slices.DeleteFunc(p.Learning, match)
		if n == len(p.Inferred)+len(p.CanHelp)+len(p.Learning) {
			return bot.Reply{Text: fmt.Sprintf("%q is not in your profile.", label), Private: true}
		}
		done = fmt.Sprintf("Removed %s; I won't infer it again.", label)
	case "block", "unblock":
		user, refusal := blockedUser(msg, val)
		switch {
		case refusal != "":
			return bot.Reply{Text: refusal, Private: true}
		case user == "" || len(user) > maxProfileText || strings.IndexFunc(user, unicode.IsSpace) >= 0:
			return usage("profile " + key + " USER")
		case user == msg.User:
			return bot.Reply{Text: "You can't block yourself.", Private: true}
		}
		p.Blocked = slices.DeleteFunc(p.Blocked, func(b string) bool { return blockedID(p, b) == user })
		done = "Unblocked " + user + "."
		if key == "block" {
			p.Blocked = append(p.Blocked, user)
			done = "You won't be paired with, asked by, or suggested to " + user + "."
		}
	case "name", "team":
		v := strings.Join(strings.Fields(val), " ")
		if len(v) > maxProfileText {
			return bot.Reply{Text: fmt.Sprintf("That is too long for a %s (at most %d characters).", key, maxProfileText), Private: true}
		}
		if key == "name" {
			p.Name = v
		} else {
			p.Team = v
		}
		done = "Your " + key + " is now " + v + "."
		if v == "" {
			done = "Your " + key + " is cleared."
		}
	case "hours":
		start, end, ok := parseHours(val)
		if !ok {
			return usage("profile hours 09:00-17:00")
		}
		p.WorkStart, p.WorkEnd = start, end
		done = "Your working hours are " + hoursText(p) + "."
	case "timezone", "tz", "time-zone":
		tz := strings.TrimSpace(val)
		if _, err := time.LoadLocation(tz); err != nil || tz == "" || tz == "Local" {
			return bot.Reply{Text: "I don't know that time zone. Use a name such as Europe/Paris, America/New_York or UTC.", Private: true}
		}
		p.TimeZone = tz
		done = "Your time zone is " + tz + "."
	default:
		return bot.Reply{Text: "I don't know `profile " + firstWord(key) + "`. Here is what I understand:\n" + profileUsage, Private: true}
	}
	p.UpdatedAt = s.now()
	if err := s.store.PutProfile(ctx, p); err != nil {
		return s.storeTrouble(ctx, "saving a profile", err)
	}
	return bot.Reply{Text: done, Private: true}
}

func (s *Service) showProfile(ctx context.Context, who store.PersonKey) bot.Reply {
	p, err := s.loadProfile(ctx, who)
	if err != nil {
		return s.storeTrouble(ctx, "loading a profile", err)
	}
	if p.InferConsent {
		if err := s.refreshSaved(ctx, &p); err != nil {
			s.log.WarnContext(ctx, "peers: inferring skills failed", "err", err)
		}
	}
	var b strings.Builder
	b.WriteString("*Your profile*\n")
	if p.Name != "" || p.Team != "" {
		fmt.Fprintf(&b, "Name: %s · Team: %s\n", orNone(p.Name), orNone(p.Team))
	}
	fmt.Fprintf(&b, "Can help with: %s\n", listOrNone(p.CanHelp))
	fmt.Fprintf(&b, "Learning: %s\n", listOrNone(p.Learning))
	if p.InferConsent {
		fmt.Fprintf(&b, "Inferred from your engagement: %s (`profile remove SKILL` removes one)\n", listOrNone(p.Inferred))
	} else {
		b.WriteString("Inferred skills: off (`profile infer on` to allow)\n")
	}
	now := s.now()
	switch {
	case !p.Available:
		b.WriteString("Help requests: off (`profile available on` to allow)\n")
	case p.SnoozedUntil.After(now):
		fmt.Fprintf(&b, "Help requests: snoozed until %s\n", p.SnoozedUntil.Format("Mon 2 Jan"))
	default:
		b.WriteString("Help requests: on\n")
	}
	if p.SkipRoundsUntil.After(now) {
		fmt.Fprintf(&b, "Pairing rounds: skipped until %s\n", p.SkipRoundsUntil.Format("Mon 2 Jan"))
	} else {
		b.WriteString("Pairing rounds: in\n")
	}
	fmt.Fprintf(&b, "Working hours: %s\n", hoursText(p))
	if len(p.Blocked) > 0 {
		fmt.Fprintf(&b, "Blocked: %s\n", strings.Join(blockedUsers(p), ", "))
	}
	b.WriteString("`profile help` shows how to change it, `profile history` what Lore keeps about your connections, and `profile delete` removes it all.")
	return bot.Reply{Text: b.String(), Private: true}
}

// deleteProfile confirms "profile delete". The button names the
// workspace and the person, WORKSPACE/USER (older ones only the person),
// since it may be pressed where the workspace is not known: in Discord a
// private reply to a message in a server goes by direct message, where a
// press carries no server.
func (s *Service) deleteProfile(ctx context.Context, a bot.Action) bot.Reply {
	workspace, user, ok := strings.Cut(a.Value, "/")
	if !ok {
		workspace, user = a.Workspace, a.Value
	}
	if user == "" || user != a.User || !bot.InWorkspace(a.Workspace, workspace) {
		return bot.Reply{Text: "That button deletes someone else's profile, so I did nothing.", Private: true}
	}
	return s.deletePerson(ctx, store.PersonKey{Platform: a.Platform, Workspace: workspace, User: a.User})
}

func (s *Service) deletePerson(ctx context.Context, who store.PersonKey) bot.Reply {
	if err := s.store.DeletePerson(ctx, who); err != nil {
		return s.storeTrouble(ctx, "deleting a profile", err)
	}
	return bot.Reply{Text: "Done: your profile, requests, pairing history and peer events are deleted.", Private: true}
}

// splitKey splits "can-help: go, sql" into "can-help" and "go, sql". The
// key is lower-cased; "can help" is one key.
func splitKey(args string) (key, val string) {
	args = strings.TrimSpace(args)
	end := strings.IndexFunc(args, func(r rune) bool { return r == ':' || unicode.IsSpace(r) })
	if end < 0 {
		return strings.ToLower(args), ""
	}
	key, val = strings.ToLower(args[:end]), strings.TrimSpace(args[end:])
	if key == "can" {
		if rest, ok := cutPrefixFold(val, "help"); ok {
			key, val = "can-help", strings.TrimSpace(rest)
		}
	}
	val = strings.TrimSpace(strings.TrimPrefix(val, ":"))
	return key, val
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func onOff(v string) (on, ok bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "yes", "true":
		return true, true
	case "off", "no", "false":
		return false, true
	}
	return false, false
}

var spanRE = regexp.MustCompile(`^(\d{1,3})\s*(d|days?|w|weeks?)$`)

// span parses "2w", "10 days" or "off" into a time from now; off is zero.
func (s *Service) span(v string) (time.Time, bool) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "off" || v == "none" {
		return time.Time{}, true
	}
	m := spanRE.FindStringSubmatch(v)
	if m == nil {
		return time.Time{}, false
	}
	n, _ := strconv.Atoi(m[1])
	days := n
	if strings.HasPrefix(m[2], "w") {
		days = 7 * n
	}
	if days < 1 || days > 366 {
		return time.Time{}, false
	}
	return s.now().AddDate(0, 0, days), true
}

var hoursRE = regexp.MustCompile(`^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$`)

// parseHours parses "09:00-17:00" into minutes from midnight; an end
// before the start crosses midnight.
func parseHours(v string) (start, end int, ok bool) {
	m := hoursRE.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, 0, false
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	if n[0] > 23 || n[2] > 24 || n[1] > 59 || n[3] > 59 {
		return 0, 0, false
	}
	start, end = n[0]*60+n[1], n[2]*60+n[3]
	if end <= start {
		end += 24 * 60
	}
	if end-start > 16*60 {
		return 0, 0, false
	}
	return start, end, true
}

func workHours(p store.Profile) (start, end int) {
	if p.WorkStart == 0 && p.WorkEnd == 0 {
		return 9 * 60, 17 * 60
	}
	return p.WorkStart, p.WorkEnd
}

func hoursText(p store.Profile) string {
	start, end := workHours(p)
	tz := p.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d %s", start/60, start%60, (end/60)%24, end%60, tz)
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "nothing yet"
	}
	return strings.Join(l, ", ")
}

func orNone(v string) string {
	if v == "" {
		return "not set"
	}
	return v
}

func firstWord(s string) string {
	if len(s) > 30 {
		s = s[:30]
	}
	return strings.ToValidUTF8(s, "")
}

// usage shows the form of a command, and after it what its argument may
// be, when that needs saying.
func usage(u string, what ...string) bot.Reply {
	text := "Usage: `" + u + "`"
	if len(what) > 0 {
		text += ": " + strings.Join(what, "; ")
	}
	return bot.Reply{Text: text + ".", Private: true}
}

// historyWindow bounds the history shown; older entries are kept until
// the person deletes them, but a year is what anyone scrolls through.
const (
	historyWindow = 365 * 24 * time.Hour
	historyLines  = 20
)

// showHistory lists what Lore keeps about a person's connections: requests
// they made or were asked, and the pairing rounds they were in.
func (s *Service) showHistory(ctx context.Context, who store.PersonKey) bot.Reply {
	now := s.now()
	reqs, err := s.store.Requests(ctx, store.RequestFilter{Platform: who.Platform, Workspace: who.Workspace, Since: now.Add(-historyWindow)})
	if err != nil {
		return s.storeTrouble(ctx, "loading requests", err)
	}
	var b strings.Builder
	b.WriteString("*Your requests*\n")
	n := 0
	for _, r := range reqs {
		if n == historyLines {
			break
		}
		switch {
		case r.Asker == who.User && r.Status != store.RequestSuggested:
			fmt.Fprintf(&b, "- %s: you asked %s about *%s* (%s)\n", r.CreatedAt.Format("2 Jan 2006"), defuse(r.Expert), r.Topic, r.Status)
		case r.Expert == who.User && r.Status != store.RequestSuggested:
			fmt.Fprintf(&b, "- %s: %s asked you about *%s* (%s)\n", r.CreatedAt.Format("2 Jan 2006"), defuse(r.Asker), r.Topic, r.Status)
		default:
			continue
		}
		n++
	}
	if n == 0 {
		b.WriteString("none\n")
	}
	b.WriteString("*Your pairing rounds*\n")
	configs, err := s.store.RoundConfigs(ctx)
	if err != nil {
		return s.storeTrouble(ctx, "loading schedules", err)
	}
	n = 0
	for _, c := range configs {
		if c.Platform != who.Platform || c.Workspace != who.Workspace {
			continue
		}
		rounds, err := s.store.Rounds(ctx, c.Platform, c.Workspace, c.Channel, historyLines)
		if err != nil {
			return s.storeTrouble(ctx, "loading rounds", err)
		}
		for _, r := range rounds {
			for _, g := range r.Groups {
				if n < historyLines && slices.Contains(g.Members, who.User) {
					others := slices.DeleteFunc(slices.Clone(g.Members), func(u string) bool { return u == who.User })
					fmt.Fprintf(&b, "- %s in %s, with %s\n", r.StartedAt.Format("2 Jan 2006"), r.Channel, defuse(strings.Join(others, ", ")))
					n++
				}
			}
		}
	}
	if n == 0 {
		b.WriteString("none\n")
	}
	b.WriteString("`profile delete` removes your profile and all of this.")
	return bot.Reply{Text: b.String(), Private: true}
}

// blockedUser reads the person "profile block" names. A mention, which
// the platform delivers as an id (<@U0ANA> on Slack, <@!80351110224678912>
// on Discord), is read as role commands read it (bot.MentionedPerson); a
// name typed after @ without picking the person is refused, as it names
// no one; a bare user id is taken as it is. The refusal is for the person.
func blockedUser(msg bot.Message, text string) (user, refusal string) {
	v := strings.TrimSpace(text)
	if !strings.HasPrefix(v, "<") && !strings.HasPrefix(v, "@") {
		return v, ""
	}
	ref, err := bot.MentionedPerson(msg, v)
	switch {
	case err != nil && !strings.Contains(v, "/"):
		return "", err.Error() + "."
	case err != nil || ref.Platform != msg.Platform:
		return "", "Mention the person (pick them from the list as you type @) or give their user id."
	}
	return ref.ID, ""
}

// blockedID is the user id an entry of p.Blocked names. Blocks made by
// mention before mentions were read hold the mention as typed
// (<@U0ANA>); they are read now, so that they hold.
func blockedID(p store.Profile, entry string) string {
	if !strings.HasPrefix(entry, "<") {
		return entry
	}
	ref, err := bot.MentionedPerson(bot.Message{Platform: p.Platform, Workspace: p.Workspace}, entry)
	if err != nil {
		return entry
	}
	return ref.ID
}

// blockedUsers lists the user ids p blocked.
func blockedUsers(p store.Profile) []string {
	out := make([]string, len(p.Blocked))
	for i, b := range p.Blocked {
		out[i] = blockedID(p, b)
	}
	return out
}

// blocks reports whether p blocked user.
func blocks(p store.Profile, user string) bool {
	return slices.ContainsFunc(p.Blocked, func(b string) bool { return blockedID(p, b) == user })
}
