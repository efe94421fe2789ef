package peers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
)

// Candidate is a person suggested for a topic, with why.
type Candidate struct {
	Profile store.Profile
	Score   float64
	Reasons []string
	// bySkill is the inferred skill the candidate was matched on, "" for
	// a declared one.
	bySkill string
}

// Ranking weights: the skill match matters most; recent helpfulness,
// shared working hours and a light load break ties between people who
// know the topic equally well.
const (
	rankSkill   = 3.0
	rankHelpful = 1.0 // reached at helpfulCap accepted requests
	rankHours   = 1.0
	rankLoad    = 0.5 // taken off at the weekly cap
	helpfulCap  = 4
	// inferredShare is what an inferred skill counts against a declared one.
	inferredShare = 0.8
	// maxTopicLen bounds a topic; a question routed from an answer is cut.
	maxTopicLen = 300
)

// Rank returns the people of asker's workspace who can help with topic,
// best first, at most limit. Only people who opted in (Available), are
// not snoozed, have not reached the weekly cap, and have not blocked the
// asker nor been blocked by them are considered.
func (s *Service) Rank(ctx context.Context, asker store.PersonKey, topic string, limit int) ([]Candidate, error) {
	terms := s.topicTerms(topic)
	if len(terms) == 0 {
		return nil, nil
	}
	profiles, err := s.store.Profiles(ctx, asker.Platform, asker.Workspace)
	if err != nil {
		return nil, err
	}
	now := s.now()
	askerProfile := store.Profile{PersonKey: asker}
	for _, p := range profiles {
		if p.User == asker.User {
			askerProfile = p
		}
	}
	recent, err := s.store.Requests(ctx, store.RequestFilter{Platform: asker.Platform, Workspace: asker.Workspace, Since: now.Add(-helpfulWindow)})
	if err != nil {
		return nil, err
	}
	helped, load := map[string]int{}, map[string]int{}
	weekAgo := now.Add(-7 * 24 * time.Hour)
	for _, r := range recent {
		if r.Status == store.RequestAccepted {
			helped[r.Expert]++
		}
		// Requests asked this week were made at most a week before, as
		// suggestions expire: all are among the requests of the last
		// helpfulWindow.
		if r.Status != store.RequestSuggested && !whenAsked(r).Before(weekAgo) {
			load[r.Expert]++
		}
	}
	var out []Candidate
	for _, p := range profiles {
		if p.User == asker.User || !p.Available || p.SnoozedUntil.After(now) || load[p.User] >= s.weeklyCap ||
			blocks(p, asker.User) || blocks(askerProfile, p.User) {
			continue
		}
		match, skill := skillMatch(terms, p.CanHelp)
		source := "says they can help with " + skill
		if !p.InferConsent {
			p.Inferred = nil
		}
		if m, sk := skillMatch(terms, p.Inferred); m*inferredShare > match {
			match, skill = m*inferredShare, sk
			source = "knows " + skill + " (from their work here)"
		}
		if match == 0 {
			continue
		}
		c := Candidate{Profile: p, Reasons: []string{source}}
		if strings.HasPrefix(source, "knows ") {
			c.bySkill = skill
		}
		c.Score = rankSkill * match
		if h := helped[p.User]; h > 0 {
			c.Score += rankHelpful * float64(min(h, helpfulCap)) / helpfulCap
			c.Reasons = append(c.Reasons, fmt.Sprintf("helped %d %s recently", h, plural(h, "colleague", "colleagues")))
		}
		if share := hoursOverlap(askerProfile, p, now); share > 0 {
			c.Score += rankHours * share
			if share >= 0.5 {
				c.Reasons = append(c.Reasons, "works hours like yours")
			}
		}
		c.Score -= rankLoad * float64(load[p.User]) / float64(s.weeklyCap)
		if load[p.User] == 0 {
			c.Reasons = append(c.Reasons, "not asked this week")
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Profile.User, b.Profile.User)
	})
	// A skill inferred from documents is inferred again before it is
	// shown: the documents' collection may have been restricted since,
	// and then the skill no longer counts (and the profile is saved
	// without it).
	shown := out[:0]
	for _, c := range out {
		if len(shown) == limit {
			break
		}
		if c.bySkill != "" {
			if err := s.refreshSaved(ctx, &c.Profile); err != nil {
				return nil, err
			}
			if !slices.Contains(c.Profile.Inferred, c.bySkill) {
				continue
			}
		}
		shown = append(shown, c)
	}
	return shown, nil
}

// topicTerms are the stemmed words of a topic, with synonyms resolved
// ("k8s" becomes the words of "kubernetes") and common words left out.
func (s *Service) topicTerms(topic string) map[string]bool {
	terms := map[string]bool{}
	words := strings.Fields(clean(topic))
	add := func(label string) {
		for w := range strings.FieldsSeq(Key(label)) {
			terms[w] = true
		}
	}
	for i, w := range words {
		if !analyze.IsStopWord(w) {
			add(s.skills.Label(w))
		}
		if i+1 < len(words) {
			// Two-word synonyms such as "go lang".
			if l := s.skills.Label(w + " " + words[i+1]); l != clean(w+" "+words[i+1]) {
				add(l)
			}
		}
	}
	return terms
}

// skillMatch is the best share of a skill's words found in the topic, and
// that skill.
func skillMatch(terms map[string]bool, skills []string) (float64, string) {
	best, bestSkill := 0.0, ""
	for _, sk := range skills {
		words := strings.Fields(Key(sk))
		if len(words) == 0 {
			continue
		}
		n := 0
		for _, w := range words {
			if terms[w] {
				n++
			}
		}
		if share := float64(n) / float64(len(words)); share > best {
			best, bestSkill = share, sk
		}
	}
	return best, bestSkill
}

// utcHours returns a profile's working hours in minutes from midnight UTC
// on the day of now.
func utcHours(p store.Profile, now time.Time) (start, end int) {
	start, end = workHours(p)
	if loc, err := time.LoadLocation(p.TimeZone); err == nil && p.TimeZone != "" {
		_, offset := now.In(loc).Zone()
		start -= offset / 60
		end -= offset / 60
	}
	for start < 0 {
		start, end = start+1440, end+1440
	}
	return start, end
}

// hoursOverlap is the share of the shorter working day two people share.
func hoursOverlap(a, b store.Profile, now time.Time) float64 {
	as, ae := utcHours(a, now)
	bs, be := utcHours(b, now)
	return overlapShare(&Member{WorkStart: as, WorkEnd: ae}, &Member{WorkStart: bs, WorkEnd: be})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// cleanTopic makes a topic safe to keep and show: valid UTF-8, one line,
// bounded, and unable to mention anyone.
func cleanTopic(t string) string {
	t = defuse(strings.Join(strings.Fields(strings.ToValidUTF8(t, "")), " "))
	if len(t) > maxTopicLen {
		cut := maxTopicLen
		for cut > 0 && t[cut]&0xC0 == 0x80 {
			cut--
		}
		t = t[:cut] + "…"
	}
	return t
}

const connectUsage = "Usage: `connect TOPIC`, for example `connect kubernetes networking`. I suggest up to three colleagues who know it and ask the one you pick. Admins: `connect rounds help` for pairing rounds."

func (s *Service) connectCommand(ctx context.Context, msg bot.Message, args string) bot.Reply {
	if key, rest := splitKey(args); key == "rounds" {
		return s.roundsCommand(ctx, msg, rest)
	}
	topic := cleanTopic(args)
	if topic == "" || strings.EqualFold(topic, "help") {
		return bot.Reply{Text: connectUsage, Private: true}
	}
	return s.suggest(ctx, msg, topic, "")
}

// Connect implements bot.Peers.
func (s *Service) Connect(ctx context.Context, msg bot.Message, topic string) bot.Reply {
	if topic = cleanTopic(topic); topic == "" {
		return bot.Reply{Text: connectUsage, Private: true}
	}
	msg, note, refusal, ok := s.home(ctx, msg)
	if !ok {
		return refusal
	}
	r := s.suggest(ctx, msg, topic, "")
	if note != "" {
		r.Text += "\n\n" + note
	}
	return r
}

// suggest ranks people for topic and shows up to three, each with a button
// that asks them. Each suggestion is stored as a suggested request, so the
// button carries a short id and not the topic.
func (s *Service) suggest(ctx context.Context, msg bot.Message, topic, intro string) bot.Reply {
	who := person(msg)
	cands, err := s.Rank(ctx, who, topic, DefaultSuggestions)
	if err != nil {
		return s.storeTrouble(ctx, "finding people", err)
	}
	if len(cands) == 0 {
		return bot.Reply{Text: intro + "I don't know anyone available who can help with that yet. People add what they know with `profile can-help: ...`.", Private: true}
	}
	var b strings.Builder
	b.WriteString(intro)
	fmt.Fprintf(&b, "These colleagues may help with *%s*:\n", topic)
	var buttons []bot.Button
	now := s.now()
	for i, c := range cands {
		req := store.PeerRequest{
			ID: s.newID(), Platform: msg.Platform, Workspace: msg.Workspace, Asker: msg.User, Expert: c.Profile.User,
			Topic: topic, Status: store.RequestSuggested, CreatedAt: now, UpdatedAt: now,
		}
		if err := s.store.PutRequest(ctx, req); err != nil {
			return s.storeTrouble(ctx, "saving a suggestion", err)
		}
		fmt.Fprintf(&b, "%d. %s: %s\n", i+1, displayName(c.Profile), strings.Join(c.Reasons, "; "))
		buttons = append(buttons, bot.Button{ID: ActionAsk, Label: "Ask " + displayName(c.Profile), Value: req.ID})
	}
	b.WriteString("I'll ask the one you pick by direct message, and introduce you when they accept.")
	return bot.Reply{Text: b.String(), Buttons: buttons, Private: true}
}

// suggestionTTL is how long a suggestion may be pressed: the weekly cap
// and availability it was made under say little after a week.
const suggestionTTL = 7 * 24 * time.Hour

// whenAsked is when r's expert was asked: AskedAt, or for a request sent
// by a version that did not record it, when it was made.
func whenAsked(r store.PeerRequest) time.Time {
	if r.AskedAt.IsZero() {
		return r.CreatedAt
	}
	return r.AskedAt
}

// askExpert sends a suggested request to its expert.
func (s *Service) askExpert(ctx context.Context, a bot.Action) bot.Reply {
	req, reply, ok := s.loadRequest(ctx, a)
	if !ok {
		return reply
	}
	if a.User != req.Asker {
		return bot.Reply{Text: "That suggestion was made for someone else.", Private: true}
	}
	if req.Status != store.RequestSuggested {
		return bot.Reply{Text: "I've already asked them; I'll tell you when they answer.", Private: true}
	}
	now := s.now()
	if now.Sub(req.CreatedAt) > suggestionTTL {
		return bot.Reply{Text: fmt.Sprintf("This suggestion has expired. Type `connect %s` to ask again, and I'll suggest who is available now.", req.Topic), Private: true}
	}
	expert, err := s.loadProfile(ctx, store.PersonKey{Platform: req.Platform, Workspace: req.Workspace, User: req.Expert})
	if err != nil {
		return s.storeTrouble(ctx, "loading a profile", err)
	}
	asker, err := s.loadProfile(ctx, store.PersonKey{Platform: req.Platform, Workspace: req.Workspace, User: req.Asker})
	if err != nil {
		return s.storeTrouble(ctx, "loading a profile", err)
	}
	// The suggestion may be days old: availability, the cap and blocks are
	// checked again. The cap counts the requests the expert was asked in
	// the last seven days, whenever they were suggested.
	asked, err := s.store.Requests(ctx, store.RequestFilter{Platform: req.Platform, Workspace: req.Workspace, Expert: req.Expert, AskedSince: now.Add(-7 * 24 * time.Hour)})
	if err != nil {
		return s.storeTrouble(ctx, "counting requests", err)
	}
	load := 0
	for _, r := range asked {
		if r.Status != store.RequestSuggested {
			load++
		}
	}
	if !expert.Available || expert.SnoozedUntil.After(now) || load >= s.weeklyCap ||
		blocks(expert, asker.User) || blocks(asker, expert.User) {
		return bot.Reply{Text: displayName(expert) + " isn't taking requests right now. Try another suggestion, or `connect` again later.", Private: true}
	}
	// The request moves on only if it is still a suggestion: of two quick
	// presses, one asks and the other is told so.
	req.Status, req.UpdatedAt, req.AskedAt = store.RequestPending, now, now
	switch moved, err := s.store.SwapRequest(ctx, req, store.RequestSuggested); {
	case err != nil:
		return s.storeTrouble(ctx, "saving a request", err)
	case !moved:
		return bot.Reply{Text: "I've already asked them; I'll tell you when they answer.", Private: true}
	}
	dm := bot.Reply{
		Text: fmt.Sprintf("%s would like help with *%s*. Can you help? If you accept, I'll start a conversation with the two of you.", displayName(asker), req.Topic),
		Buttons: []bot.Button{
			{ID: ActionAccept, Label: "Yes, I can help", Value: req.ID},
			{ID: ActionDecline, Label: "Not now", Value: req.ID},
		},
	}
	if err := s.messenger.SendDirect(ctx, req.Platform, req.Workspace, []string{req.Expert}, dm); err != nil {
		s.log.WarnContext(ctx, "peers: asking an expert failed", "request", req.ID, "err", err)
		req.Status, req.AskedAt = store.RequestSuggested, time.Time{}
		if _, err := s.store.SwapRequest(ctx, req, store.RequestPending); err != nil {
			s.log.WarnContext(ctx, "peers: restoring a suggestion failed", "request", req.ID, "err", err)
		}
		return bot.Reply{Text: "I couldn't reach " + displayName(expert) + " just now. Please press the button again in a minute.", Private: true}
	}
	s.record(ctx, store.Event{Kind: store.EventExpertAsked, Platform: req.Platform, Workspace: req.Workspace, User: req.Expert, Ref: req.ID})
	return bot.Reply{Text: "I've asked " + displayName(expert) + " by direct message. I'll introduce you when they accept.", Private: true}
}

// answerRequest records the expert's answer; on accept it introduces the
// two in a group conversation.
func (s *Service) answerRequest(ctx context.Context, a bot.Action, accept bool) bot.Reply {
	req, reply, ok := s.loadRequest(ctx, a)
	if !ok {
		return reply
	}
	if a.User != req.Expert {
		return bot.Reply{Text: "That request was sent to someone else.", Private: true}
	}
	if req.Status != store.RequestPending {
		return answered(req.Status)
	}
	asker, err := s.loadProfile(ctx, store.PersonKey{Platform: req.Platform, Workspace: req.Workspace, User: req.Asker})
	if err != nil {
		return s.storeTrouble(ctx, "loading a profile", err)
	}
	expert, err := s.loadProfile(ctx, store.PersonKey{Platform: req.Platform, Workspace: req.Workspace, User: req.Expert})
	if err != nil {
		return s.storeTrouble(ctx, "loading a profile", err)
	}
	// Each answer moves the request on only if it is still pending, so
	// two quick presses answer once. A block made since the request was
	// sent closes it without an introduction or a note.
	blocked := blocks(asker, expert.User) || blocks(expert, asker.User)
	next := store.RequestAccepted
	if !accept || blocked {
		next = store.RequestDeclined
	}
	pending := req
	req.Status, req.UpdatedAt = next, s.now()
	switch moved, err := s.store.SwapRequest(ctx, req, store.RequestPending); {
	case err != nil:
		return s.storeTrouble(ctx, "saving a request", err)
	case !moved:
		now, err := s.store.Request(ctx, req.ID)
		if err != nil {
			return s.storeTrouble(ctx, "loading a request", err)
		}
		return answered(now.Status)
	}
	if blocked {
		return bot.Reply{Text: "That request is no longer open.", Private: true}
	}
	if !accept {
		note := bot.Reply{Text: fmt.Sprintf("%s can't help with *%s* right now. Try another suggestion, or `connect %s` again later.", displayName(expert), req.Topic, req.Topic)}
		if err := s.messenger.SendDirect(ctx, req.Platform, req.Workspace, []string{req.Asker}, note); err != nil {
			s.log.WarnContext(ctx, "peers: telling the asker failed", "request", req.ID, "err", err)
		}
		return bot.Reply{Text: "No problem, I've let them know.", Private: true}
	}
	intro := bot.Reply{Text: fmt.Sprintf("%s, meet %s: %s offered to help with *%s*. %s, what would you like to know?",
		displayName(asker), displayName(expert), displayName(expert), req.Topic, displayName(asker))}
	if err := s.messenger.SendDirect(ctx, req.Platform, req.Workspace, []string{req.Asker, req.Expert}, intro); err != nil {
		// The request goes back to pending, so pressing again retries.
		s.log.WarnContext(ctx, "peers: introduction failed", "request", req.ID, "err", err)
		if _, err := s.store.SwapRequest(ctx, pending, store.RequestAccepted); err != nil {
			s.log.WarnContext(ctx, "peers: reopening a request failed", "request", req.ID, "err", err)
		}
		return bot.Reply{Text: "I couldn't start the conversation just now. Please press the button again in a minute.", Private: true}
	}
	s.record(ctx, store.Event{Kind: store.EventIntroMade, Platform: req.Platform, Workspace: req.Workspace, User: req.Expert, Ref: req.ID})
	return bot.Reply{Text: "Thank you! I've started a conversation with you and " + displayName(asker) + ".", Private: true}
}

// answered is the reply to an answer to a request no longer pending.
func answered(status string) bot.Reply {
	switch status {
	case store.RequestAccepted:
		return bot.Reply{Text: "You already accepted this one. Thank you!", Private: true}
	case store.RequestDeclined:
		return bot.Reply{Text: "You already declined this one.", Private: true}
	}
	return bot.Reply{Text: "That request is no longer open.", Private: true}
}

func (s *Service) loadRequest(ctx context.Context, a bot.Action) (store.PeerRequest, bot.Reply, bool) {
	req, err := s.store.Request(ctx, a.Value)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && (req.Platform != a.Platform || !bot.InWorkspace(a.Workspace, req.Workspace))):
		return req, bot.Reply{Text: "I can't find that request any more; it may have been deleted.", Private: true}, false
	case err != nil:
		return req, s.storeTrouble(ctx, "loading a request", err), false
	}
	return req, bot.Reply{}, true
}

// answerLookback bounds the search for the answer an "Ask a person" press
// refers to.
const (
	answerLookback = 30 * 24 * time.Hour
	answerScan     = 1000
)

// AskPerson implements bot.Peers: the question of the answer a.Value
// names is routed to people who know its topic.
func (s *Service) AskPerson(ctx context.Context, a bot.Action) bot.Reply {
	msg := bot.Message{Platform: a.Platform, Workspace: a.Workspace, Channel: a.Channel, Thread: a.Thread, User: a.User}
	events, err := s.events.Events(ctx, store.EventFilter{
		Kind: store.EventAnswer, Platform: a.Platform, Channel: a.Channel, Since: s.now().Add(-answerLookback), Limit: answerScan,
	})
	if err != nil {
		return s.storeTrouble(ctx, "finding the answer", err)
	}
	for _, e := range events {
		if e.ID == a.Value && e.Question != "" {
			return s.suggestFor(ctx, msg, e)
		}
	}
	return bot.Reply{Text: "I can't find that answer any more. Type `connect TOPIC` and I'll find someone who knows.", Private: true}
}

// suggestFor suggests colleagues for the question of the answer event e,
// pressed as msg. A press in a Discord direct message names no server:
// the colleagues are those of the answer's server when it was given in
// one, else of the server where the person is (bot.FindHome), the answer
// having been given in a direct message too.
func (s *Service) suggestFor(ctx context.Context, msg bot.Message, e store.Event) bot.Reply {
	note := ""
	if msg.Workspace == "" {
		msg.Workspace = e.Workspace
	}
	if msg.Workspace == "" && e.Direct {
		msg.Direct = true
		var refusal bot.Reply
		var ok bool
		if msg, note, refusal, ok = s.home(ctx, msg); !ok {
			return refusal
		}
	}
	r := s.suggest(ctx, msg, cleanTopic(e.Question), "")
	if note != "" {
		r.Text += "\n\n" + note
	}
	return r
}

// Offer implements bot.Peers.
func (s *Service) Offer(ctx context.Context, msg bot.Message, question string) string {
	// Offered only where it is clear whom a press of "Ask a person"
	// would find colleagues among.
	msg, _, _, ok := s.home(ctx, msg)
	if !ok {
		return ""
	}
	cands, err := s.Rank(ctx, person(msg), cleanTopic(question), 1)
	if err != nil {
		s.log.WarnContext(ctx, "peers: ranking for an offer failed", "err", err)
		return ""
	}
	if len(cands) == 0 || math.IsNaN(cands[0].Score) {
		return ""
	}
	return "A colleague may know: press *Ask a person* and I'll suggest who to ask."
}

// defuser breaks the forms that notify people on a chat platform
// (@everyone, @here, @channel, Slack's <!channel> and <@U123>) in text that
// came from users, such as a topic or a name. Adapters escape reply text
// too; peer messages quote user text into other people's direct messages,
// so it is made harmless here as well. A zero-width joiner after the @ or
// a look-alike angle bracket keeps the text readable.
var defuser = strings.NewReplacer(
	"@everyone", "@\u200deveryone", "@here", "@\u200dhere", "@channel", "@\u200dchannel",
	"<!", "‹!", "<@", "‹@", "<#", "‹#",
)

func defuse(s string) string { return defuser.Replace(s) }
