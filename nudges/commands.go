package nudges

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges/fsrs"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

var _ bot.Learning = (*Service)(nil)

// HandleCommand implements bot.Learning: the chat commands learn, nudge,
// nudges, answer and reflect. ok is false for any other command.
func (s *Service) HandleCommand(ctx context.Context, msg bot.Message, cmd, args string) (bot.Reply, bool) {
	cmd = strings.ToLower(cmd)
	switch cmd {
	case "learn", "nudge", "nudges", "answer", "reflect":
	default:
		return bot.Reply{}, false
	}
	l, note, err := s.learnerOf(ctx, msg)
	if err != nil {
		return s.failure(ctx, err), true
	}
	args = strings.TrimSpace(args)
	var r bot.Reply
	switch cmd {
	case "learn":
		r, err = s.learn(ctx, l, args)
	case "nudge":
		r, _, err = s.deliverNow(ctx, l)
	case "nudges":
		r, err = s.settings(ctx, l, args)
	case "answer":
		r, err = s.answerText(ctx, l, args)
	case "reflect":
		r, err = s.reflect(ctx, l, args)
	}
	if err != nil {
		r = s.failure(ctx, err)
	}
	if note != "" {
		r.Text += "\n\n" + note
	}
	r.Private = true
	return r, true
}

// HandleAction implements bot.Learning: quiz option buttons.
func (s *Service) HandleAction(ctx context.Context, a bot.Action) (bot.Reply, bool) {
	if a.ID != ActionQuizAnswer {
		return bot.Reply{}, false
	}
	l := store.Learner{Platform: a.Platform, Workspace: a.Workspace, User: a.User}
	parts := strings.Split(a.Value, "|")
	var card func(store.DeliveryCard) bool
	switch len(parts) {
	case 4: // DELIVERY|TRACK|CARD|OPTION
		card = sameCard(parts[1], parts[2])
	case 3: // DELIVERY|KEY|OPTION
		card = func(c store.DeliveryCard) bool { return cardKey(c.TrackID, c.CardID) == parts[1] }
	default:
		return bot.Reply{Text: "That button doesn't belong to a quiz I know.", Private: true}, true
	}
	i, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil {
		return bot.Reply{Text: "That button doesn't belong to a quiz I know.", Private: true}, true
	}
	r, err := s.answer(ctx, l, parts[0], card, []int{i}, fsrs.ConfidenceUnknown)
	if err != nil {
		return s.failure(ctx, err), true
	}
	r.Private = true
	return r, true
}

// userError is a message for the learner, not a failure.
type userError string

func (e userError) Error() string { return string(e) }

func (s *Service) failure(ctx context.Context, err error) bot.Reply {
	var ue userError
	if errors.As(err, &ue) {
		return bot.Reply{Text: string(ue), Private: true}
	}
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrLocked) {
		s.log.WarnContext(ctx, "nudges command failed", "err", err)
		return bot.Reply{Text: "I can't reach my database right now; nothing was changed. Please try again in a minute.", Private: true}
	}
	s.log.ErrorContext(ctx, "nudges command failed", "err", err)
	return bot.Reply{Text: "Something went wrong; nothing was changed. Please try again, and tell an admin if it keeps happening.", Private: true}
}

const learnHelp = "`learn` lists tracks · `learn join TRACK` · `learn leave TRACK` · `nudge` sends your next card now"

func (s *Service) learn(ctx context.Context, l store.Learner, args string) (bot.Reply, error) {
	sub, rest, _ := strings.Cut(args, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(sub) {
	case "", "list", "tracks":
		return s.listTracks(ctx, l)
	case "join":
		return s.join(ctx, l, rest)
	case "leave":
		return s.leave(ctx, l, rest)
	}
	return bot.Reply{Text: "I don't know `learn " + clip(sub) + "`. " + learnHelp}, nil
}

func (s *Service) listTracks(ctx context.Context, l store.Learner) (bot.Reply, error) {
	tracks, err := s.Tracks(ctx)
	if err != nil {
		return bot.Reply{}, err
	}
	mine, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l})
	if err != nil {
		return bot.Reply{}, err
	}
	status := map[string]store.Enrolment{}
	for _, e := range mine {
		status[e.TrackID] = e
	}
	g := s.gate()
	var b strings.Builder
	b.WriteString("**Learning tracks**\n")
	n := 0
	for _, t := range tracks {
		if t.Draft {
			continue
		}
		// A track meant for others is not listed: its title and
		// description say what it is about.
		if ok, err := g.admits(ctx, t.Audience, l, status[t.ID].Channel); err != nil {
			return bot.Reply{}, err
		} else if !ok {
			continue
		}
		n++
		fmt.Fprintf(&b, "- `%s` **%s** (%s, %s)", t.ID, t.Title, cardCount(len(t.Cards)), t.Cadence)
		if e, ok := status[t.ID]; ok && e.Status != store.EnrolmentLeft {
			fmt.Fprintf(&b, " · %s, %d/%d seen", e.Status, len(e.Seen), len(t.Cards))
		}
		if t.Description != "" {
			b.WriteString("\n  " + t.Description)
		}
		b.WriteString("\n")
	}
	if n == 0 {
		return bot.Reply{Text: "There are no learning tracks yet. Curators load them with `lore tracks load PATH`."}, nil
	}
	b.WriteString("\n" + learnHelp)
	return bot.Reply{Text: b.String()}, nil
}

// EnrolRequest enrols learners in a track.
type EnrolRequest struct {
	TrackID string
	// Source says how: self, curator, onboarding.
	Source string
	// Channel is the id of the channel the learners are enrolled through
	// (store.Enrolment.Channel), "" for none.
	Channel  string
	Learners []store.Learner
}

// EnrolResult says what EnrolAll did.
type EnrolResult struct {
	Joined  int // enrolled now, or back after leaving
	Already int // following the track already
	// Refused are outside the track's audience: they were not enrolled.
	Refused []store.Learner
}

// errNoTrack is the reply to a track that does not exist, is a draft, or
// is not open to the learner: the same, so that nobody learns of a track
// meant for others by asking for it.
func errNoTrack(id string) error {
	return userError(fmt.Sprintf("There is no track `%s` open to you. Type `learn` to see the tracks.", clip(id)))
}

// EnrolAll adds learners to a track. Learners already following it are
// left as they are; one who had left rejoins with their progress. Those
// outside the track's audience are refused (see the package's audience
// rules).
func (s *Service) EnrolAll(ctx context.Context, r EnrolRequest) (EnrolResult, error) {
	var res EnrolResult
	v, err := s.tracks.get(ctx, r.TrackID, 0)
	if errors.Is(err, store.ErrNotFound) || (err == nil && v.Draft) {
		return res, errNoTrack(r.TrackID)
	}
	if err != nil {
		return res, err
	}
	g := s.gate()
	for _, l := range r.Learners {
		ok, err := g.admits(ctx, v.Audience, l, r.Channel)
		if err != nil {
			return res, err
		}
		if !ok {
			res.Refused = append(res.Refused, l)
			continue
		}
		existing, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l, TrackID: r.TrackID})
		if err != nil {
			return res, err
		}
		e := store.Enrolment{Learner: l, TrackID: r.TrackID, Status: store.EnrolmentActive, Source: r.Source, Channel: r.Channel, JoinedAt: s.now()}
		if len(existing) == 1 {
			if existing[0].Status != store.EnrolmentLeft {
				res.Already++
				// Enrolled before by name, now through a channel the
				// audience names: the channel is what admits them.
				if existing[0].Channel == "" && r.Channel != "" {
					existing[0].Channel = r.Channel
					if err := s.st.SaveEnrolment(ctx, existing[0]); err != nil {
						return res, err
					}
				}
				continue
			}
			e.Seen, e.LastNewAt = existing[0].Seen, existing[0].LastNewAt
		}
		if err := s.st.SaveEnrolment(ctx, e); err != nil {
			return res, err
		}
		res.Joined++
		s.event(ctx, l, store.EventTrackJoined, r.TrackID, 0, r.TrackID, l.Platform, l.Workspace, l.User, e.JoinedAt.String())
	}
	return res, nil
}

// Enrol adds learners to a track (source says how: self, curator,
// onboarding), as EnrolAll does. Learners outside the track's audience
// are not enrolled, and the error says so.
func (s *Service) Enrol(ctx context.Context, trackID, source string, learners ...store.Learner) (joined int, err error) {
	res, err := s.EnrolAll(ctx, EnrolRequest{TrackID: trackID, Source: source, Learners: learners})
	if err != nil {
		return res.Joined, err
	}
	switch {
	case len(res.Refused) == 0:
		return res.Joined, nil
	case len(learners) == 1:
		return 0, errNoTrack(trackID)
	}
	return res.Joined, userError(fmt.Sprintf("%d of them are outside the audience of `%s` and were not enrolled.", len(res.Refused), clip(trackID)))
}

// MemberJoined enrols a new member of a channel in the channel's onboarding
// tracks (Config.Onboarding). Adapters call it on their join events.
// Tracks whose audience does not admit the person are skipped: joining
// the channel counts for a channel entry naming it.
func (s *Service) MemberJoined(ctx context.Context, l store.Learner, channel string) error {
	through := channel
	if channel == WorkspaceOnboarding {
		through = ""
	}
	// One missing track does not keep the person out of the others.
	var errs []error
	for _, t := range s.onboarding[channel] {
		res, err := s.EnrolAll(ctx, EnrolRequest{TrackID: t, Source: "onboarding", Channel: through, Learners: []store.Learner{l}})
		if err != nil {
			errs = append(errs, fmt.Errorf("onboarding %s in %s: %w", l.User, t, err))
			continue
		}
		if len(res.Refused) > 0 {
			s.log.InfoContext(ctx, "onboarding skipped a track outside the newcomer's audience", "track", t, "platform", l.Platform, "user", l.User)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) join(ctx context.Context, l store.Learner, trackID string) (bot.Reply, error) {
	if trackID == "" {
		return bot.Reply{Text: "Which track? `learn join TRACK`; `learn` lists them."}, nil
	}
	n, err := s.Enrol(ctx, trackID, "self", l)
	if err != nil {
		return bot.Reply{}, err
	}
	v, _ := s.tracks.get(ctx, trackID, 0)
	p, err := s.preferences(ctx, l)
	if err != nil {
		return bot.Reply{}, err
	}
	intro := fmt.Sprintf("You're following **%s**. ", v.Title)
	if n == 0 {
		intro = fmt.Sprintf("You already follow **%s**. ", v.Title)
	}
	intro += fmt.Sprintf("Cards come %s at %s on %s (%s).", v.Cadence, clock(p.DeliveryMinute), days(p.Weekdays), s.shownLocation(ctx, p))
	if n == 0 {
		return bot.Reply{Text: intro}, nil
	}
	// The first card comes at once, so the learner sees what to expect;
	// a learner who paused, or has seen every card, is told why not.
	first, sent, err := s.deliverNow(ctx, l)
	if err != nil {
		return bot.Reply{}, err
	}
	if sent {
		intro += " Here is your first one."
	}
	first.Text = intro + "\n\n" + first.Text
	return first, nil
}

func (s *Service) leave(ctx context.Context, l store.Learner, trackID string) (bot.Reply, error) {
	es, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l, TrackID: trackID})
	if err != nil {
		return bot.Reply{}, err
	}
	if len(es) == 0 || es[0].Status == store.EnrolmentLeft {
		return bot.Reply{Text: fmt.Sprintf("You don't follow `%s`. Type `learn` to see your tracks.", clip(trackID))}, nil
	}
	e := es[0]
	e.Status = store.EnrolmentLeft
	if err := s.st.SaveEnrolment(ctx, e); err != nil {
		return bot.Reply{}, err
	}
	s.event(ctx, l, store.EventTrackLeft, trackID, 0, trackID, l.User, s.now().String())
	return bot.Reply{Text: fmt.Sprintf("You've left `%s`; your progress is kept if you join again.", trackID)}, nil
}

// deliverNow builds and records the learner's next nudge at once, and
// returns it as the reply instead of sending it: for "nudge" and the first
// card after joining. sent is false when the reply says why no card came.
//
// The delivery is claimed in the store like a scheduled one, and a learner
// has one delivery being sent at a time: while a scheduled nudge to them
// is being sent, "nudge" says so and sends nothing, and a scheduled nudge
// claimed after it sees its cards as delivered. The cards are therefore
// picked again once the claim is held.
func (s *Service) deliverNow(ctx context.Context, l store.Learner) (reply bot.Reply, sent bool, err error) {
	p, err := s.preferences(ctx, l)
	if err != nil {
		return bot.Reply{}, false, err
	}
	now := s.now().Truncate(time.Millisecond) // what the store keeps
	loc := s.shownLocation(ctx, p)
	cards, capped, err := s.cardsNow(ctx, l, "", p, now, loc)
	if err != nil || len(cards) == 0 {
		return s.noCardNow(p, capped), false, err
	}
	var id string
	var claimed, busy bool
	token := claimToken()
	for attempt := 0; ; attempt++ {
		id = DeliveryID(l, now)
		var hold store.DeliveryHold
		hold, err = s.st.ClaimDelivery(ctx, store.Delivery{ID: id, Learner: l, Slot: now, Cards: cards},
			store.DeliveryClaim{Token: token, At: now, Until: now.Add(deliveryLease)})
		claimed = hold.Held
		if errors.Is(err, store.ErrLocked) {
			busy, err = true, nil
			break
		}
		if err != nil {
			return bot.Reply{}, false, err
		}
		if claimed || attempt == 2 {
			break
		}
		// A delivery of this very millisecond may exist (the card sent at
		// once on joining): an on-demand nudge takes the next one. A
		// learner who paused is refused every time.
		now = now.Add(time.Millisecond)
	}
	if busy {
		return bot.Reply{Text: "A nudge is being sent to you right now; type `nudge` again in a moment for more."}, false, nil
	}
	if !claimed {
		return bot.Reply{Text: "Your nudges are paused, stopped or snoozed; `nudges resume` brings them back."}, false, nil
	}
	reply, sent, err = s.deliverNowClaimed(ctx, l, p, id, token, now, loc)
	if err != nil {
		// The reply is not given, so nothing was sent: the claim is
		// released, or it would hold the learner's scheduled nudges.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		if rerr := s.st.ReleaseDelivery(rctx, id, token, false); rerr != nil {
			s.log.WarnContext(ctx, "releasing an on-demand nudge's claim failed", "delivery", id, "err", rerr)
		}
	}
	return reply, sent, err
}

// deliverNowClaimed picks the cards of the on-demand nudge id, which token
// holds, from what the store has now, and records it.
func (s *Service) deliverNowClaimed(ctx context.Context, l store.Learner, p store.Preferences, id, token string, now time.Time, loc *time.Location) (bot.Reply, bool, error) {
	cards, capped, err := s.cardsNow(ctx, l, id, p, now, loc)
	if err != nil {
		return bot.Reply{}, false, err
	}
	reply, sent := s.render(ctx, id, cards)
	if len(sent) == 0 {
		err := s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: token, Status: store.DeliveryCancelled, At: s.now()})
		return s.noCardNow(p, capped), false, err
	}
	if err := s.delivered(ctx, l, id, token, now, sent, ""); err != nil {
		return bot.Reply{}, false, err
	}
	return reply, true, nil
}

// noCardNow says why "nudge" sends nothing.
func (s *Service) noCardNow(p store.Preferences, capped bool) bot.Reply {
	if capped {
		return bot.Reply{Text: fmt.Sprintf("That's all for today: your cap is %s a day, and the next come at your next delivery. `nudges cap N` changes it.", cardCount(dailyCap(p)))}
	}
	return bot.Reply{Text: "Nothing to learn right now: you have no new cards and no reviews due. `learn` lists tracks to join."}
}

// cardsNow picks the cards of an on-demand nudge at now: a new card of
// every track, whatever its cadence, then reviews due today, within what
// is left of the day's cap once the other deliveries of the day (all but
// id) are counted. capped is true when the cap left out cards.
func (s *Service) cardsNow(ctx context.Context, l store.Learner, id string, p store.Preferences, now time.Time, loc *time.Location) (cards []store.DeliveryCard, capped bool, err error) {
	all, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l})
	if err != nil {
		return nil, false, err
	}
	// A track the learner left sends nothing, reviews included.
	enrolments := slices.DeleteFunc(all, func(e store.Enrolment) bool { return e.Status == store.EnrolmentLeft })
	latest := func(ctx context.Context, id string) (Version, error) { return s.tracks.get(ctx, id, 0) }
	if enrolments, err = s.gate().admitted(ctx, latest, enrolments); err != nil {
		return nil, false, err
	}
	var due []store.CardState
	for _, e := range enrolments {
		states, err := s.st.CardStates(ctx, l, e.TrackID)
		if err != nil {
			return nil, false, err
		}
		for _, c := range states {
			if !c.Due.IsZero() {
				due = append(due, c)
			}
		}
	}
	// On demand, a new card regardless of the cadence.
	for i := range enrolments {
		enrolments[i].LastNewAt = time.Time{}
	}
	if cards, err = s.pick(ctx, latest, enrolments, due, p, now, loc); err != nil {
		return nil, false, err
	}
	return s.withinCap(ctx, l, id, p, now, loc, cards)
}

// answerText grades "answer 1,3 [sure|unsure]" against the newest quiz
// delivered to the learner that is still unanswered.
func (s *Service) answerText(ctx context.Context, l store.Learner, args string) (bot.Reply, error) {
	conf := fsrs.ConfidenceUnknown
	var nums []int
	for _, f := range strings.FieldsFunc(strings.ToLower(args), func(r rune) bool { return r == ',' || r == ' ' }) {
		switch f {
		case "sure", "confident":
			conf = fsrs.ConfidenceHigh
		case "unsure", "guess":
			conf = fsrs.ConfidenceLow
		default:
			n, err := strconv.Atoi(f)
			if err != nil {
				return bot.Reply{Text: "Answer with option numbers, for example `answer 2` or `answer 1,3`; add `sure` or `unsure` if you like."}, nil
			}
			nums = append(nums, n-1)
		}
	}
	if len(nums) == 0 {
		return bot.Reply{Text: "Answer with option numbers, for example `answer 2` or `answer 1,3`."}, nil
	}
	d, sc, err := s.pending(ctx, l, track.KindQuiz)
	if err != nil {
		return bot.Reply{}, err
	}
	return s.answer(ctx, l, d.ID, sameCard(sc.TrackID, sc.CardID), nums, conf)
}

// sameCard matches the delivered card of a track and card id.
func sameCard(trackID, cardID string) func(store.DeliveryCard) bool {
	return func(c store.DeliveryCard) bool { return c.TrackID == trackID && c.CardID == cardID }
}

// pending finds the newest unanswered card of a kind sent to the learner.
// A card sent again in a newer delivery (an unanswered quiz comes back as
// a review) is pending there only, and a quiz reviewed since a delivery
// was sent is not pending in it.
func (s *Service) pending(ctx context.Context, l store.Learner, kind string) (store.Delivery, store.DeliveryCard, error) {
	recent, err := s.st.RecentDeliveries(ctx, l, 5)
	if err != nil {
		return store.Delivery{}, store.DeliveryCard{}, err
	}
	states := map[string][]store.CardState{}
	newer := map[string]bool{}
	for _, d := range recent {
		answers, err := s.st.Answers(ctx, d.ID)
		if err != nil {
			return d, store.DeliveryCard{}, err
		}
		for _, dc := range d.Cards {
			key := dc.TrackID + "/" + dc.CardID
			if newer[key] || slices.ContainsFunc(answers, func(a store.Answer) bool { return a.CardID == key }) {
				continue
			}
			v, err := s.tracks.get(ctx, dc.TrackID, dc.Version)
			if err != nil {
				continue
			}
			c, ok := v.Card(dc.CardID)
			if !ok || c.Kind != kind {
				continue
			}
			if kind == track.KindQuiz {
				if _, ok := states[dc.TrackID]; !ok {
					if states[dc.TrackID], err = s.st.CardStates(ctx, l, dc.TrackID); err != nil {
						return d, dc, err
					}
				}
				if reviewedSince(states[dc.TrackID], dc.CardID, d.SentAt) {
					continue
				}
			}
			return d, dc, nil
		}
		for _, dc := range d.Cards {
			newer[dc.TrackID+"/"+dc.CardID] = true
		}
	}
	return store.Delivery{}, store.DeliveryCard{}, userError(fmt.Sprintf("You have no unanswered %s from me. `nudge` sends your next card.", kind))
}

// reviewedSince reports whether the card was reviewed at or after sent, a
// delivery's time: answered in another delivery that carried it too.
func reviewedSince(states []store.CardState, cardID string, sent time.Time) bool {
	i := slices.IndexFunc(states, func(c store.CardState) bool { return c.CardID == cardID })
	return i >= 0 && !sent.IsZero() && !states[i].LastReview.IsZero() && !states[i].LastReview.Before(sent)
}

// answer grades a quiz answer to the card of a delivery that sent
// matches, against the version of the card that was sent, records it once,
// and schedules the card's next review.
func (s *Service) answer(ctx context.Context, l store.Learner, deliveryID string, sent func(store.DeliveryCard) bool, chosen []int, conf fsrs.Confidence) (bot.Reply, error) {
	d, err := s.st.Delivery(ctx, deliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Reply{}, userError("I can't find that quiz any more; nothing was recorded.")
	}
	if err != nil {
		return bot.Reply{}, err
	}
	if d.Learner.Platform != l.Platform || d.Learner.User != l.User || !bot.InWorkspace(l.Workspace, d.Learner.Workspace) {
		return bot.Reply{}, userError("That quiz was sent to someone else, so I can't take your answer to it.")
	}
	// A press in a Discord direct message names no server: the answer is
	// the learner's the nudge was sent to.
	l = d.Learner
	i := slices.IndexFunc(d.Cards, sent)
	if i < 0 {
		return bot.Reply{}, userError("That quiz isn't part of this nudge; nothing was recorded.")
	}
	dc := d.Cards[i]
	// The explanation and the answer are the track's text too.
	if ok, err := s.mayFollow(ctx, s.gate(), l, dc.TrackID); err != nil {
		return bot.Reply{}, err
	} else if !ok {
		return bot.Reply{}, userError("That track is no longer open to you, so I can't take your answer; nothing was recorded.")
	}
	v, err := s.tracks.get(ctx, dc.TrackID, dc.Version)
	if err != nil {
		return bot.Reply{}, err
	}
	card, ok := v.Card(dc.CardID)
	if !ok || card.Kind != track.KindQuiz {
		return bot.Reply{}, userError("That card isn't a quiz; nothing was recorded.")
	}
	correct, err := card.Grade(chosen)
	if err != nil {
		return bot.Reply{}, userError(err.Error() + "; nothing was recorded.")
	}
	// A card is reviewed once each time it comes due: an answer to one
	// delivery's card, or to another delivery's copy of it, counts only
	// the first time.
	key := dc.TrackID + "/" + dc.CardID
	states, err := s.st.CardStates(ctx, l, dc.TrackID)
	if err != nil {
		return bot.Reply{}, err
	}
	if r, ok, err := s.answeredAlready(ctx, d, key, states, dc.CardID); err != nil || ok {
		return r, err
	}
	now := s.now()
	st, prev, err := s.review(l, dc, states, fsrs.RatingFromAnswer(correct, conf), now)
	if err != nil {
		return bot.Reply{}, err
	}
	// The answer and the review are written together: an answer never
	// counts without its review.
	first, err := s.st.RecordQuizAnswer(ctx, store.QuizReview{Answer: store.Answer{DeliveryID: d.ID, CardID: key, Learner: l,
		Choice: choiceString(chosen), Correct: correct, At: now}, State: st, Prev: prev})
	if err != nil {
		return bot.Reply{}, err
	}
	if !first {
		// Another answer came first, an instant ago.
		if states, err = s.st.CardStates(ctx, l, dc.TrackID); err != nil {
			return bot.Reply{}, err
		}
		if r, ok, err := s.answeredAlready(ctx, d, key, states, dc.CardID); err != nil || ok {
			return r, err
		}
		return bot.Reply{Text: "You've already answered this quiz; I count only the first answer."}, nil
	}
	s.event(ctx, l, store.EventNudgeOpened, d.ID, 0, d.ID)
	value := 0
	if correct {
		value = 1
	}
	// The quiz card is the activity: first and latest attempts at it, over
	// every delivery that carried it, are what leaders' accuracy compares.
	s.event(ctx, l, store.EventQuizAnswered, key, value, d.ID, key)

	var b strings.Builder
	if correct {
		b.WriteString("✅ **Right.** ")
	} else {
		b.WriteString("❌ **Not quite.** The answer: ")
		var right []string
		for j, o := range card.Options {
			if o.Correct {
				right = append(right, fmt.Sprintf("%d. %s", j+1, o.Text))
			}
		}
		b.WriteString(strings.Join(right, "; ") + ".\n")
	}
	b.WriteString(card.Explanation)
	if cur, err := s.tracks.get(ctx, dc.TrackID, 0); err == nil {
		if c, ok := cur.Card(dc.CardID); ok && c.Fingerprint() != card.Fingerprint() {
			b.WriteString("\n_This quiz has been updated since it was sent; your answer was marked against the version you saw._")
		}
	}
	r := bot.Reply{Text: b.String()}
	if card.Source != "" {
		r.Citations = []bot.Citation{{N: 1, Title: card.Source, Source: card.Source}}
	}
	return r, nil
}

// answeredAlready is the reply to an answer that does not count: the card
// key was answered in delivery d already, or reviewed since d was sent
// (answered in another delivery that carried it too). ok is false when
// the answer counts.
func (s *Service) answeredAlready(ctx context.Context, d store.Delivery, key string, states []store.CardState, cardID string) (r bot.Reply, ok bool, err error) {
	answers, err := s.st.Answers(ctx, d.ID)
	if err != nil {
		return bot.Reply{}, false, err
	}
	for _, a := range answers {
		if a.CardID == key {
			return bot.Reply{Text: "You've already answered this one (you chose " + a.Choice + "); I count only the first answer."}, true, nil
		}
	}
	if reviewedSince(states, cardID, d.SentAt) {
		return bot.Reply{Text: "You've already answered this quiz in another nudge; I count only the first answer."}, true, nil
	}
	return bot.Reply{}, false, nil
}

// review moves a quiz card's FSRS state, among the learner's states of
// its track, on by one review at now. prev is the last review it moved on
// from.
func (s *Service) review(l store.Learner, dc store.DeliveryCard, states []store.CardState, rating fsrs.Rating, now time.Time) (st store.CardState, prev time.Time, err error) {
	st = store.CardState{Learner: l, TrackID: dc.TrackID, CardID: dc.CardID, SeenAt: now}
	var c fsrs.Card
	for _, x := range states {
		if x.CardID == dc.CardID {
			st, prev = x, x.LastReview
			if x.Reps > 0 {
				c = fsrs.Card{Due: x.Due, Stability: x.Stability, Difficulty: x.Difficulty, ElapsedDays: x.ElapsedDays,
					ScheduledDays: x.ScheduledDays, Reps: x.Reps, Lapses: x.Lapses, State: fsrs.State(x.State), LastReview: x.LastReview}
			}
		}
	}
	next, err := s.sched.Review(c, rating, now)
	if err != nil {
		return st, prev, err
	}
	st.Due, st.Stability, st.Difficulty, st.ElapsedDays, st.ScheduledDays = next.Due, next.Stability, next.Difficulty, next.ElapsedDays, next.ScheduledDays
	st.Reps, st.Lapses, st.State, st.LastReview = next.Reps, next.Lapses, int(next.State), next.LastReview
	return st, prev, nil
}

// maxReflection bounds a stored reflection.
const maxReflection = 4000

func (s *Service) reflect(ctx context.Context, l store.Learner, text string) (bot.Reply, error) {
	text, problem := cleanReflection(text)
	if problem != "" {
		return bot.Reply{Text: problem}, nil
	}
	d, dc, err := s.pending(ctx, l, track.KindReflection)
	if err != nil {
		return bot.Reply{}, err
	}
	return s.saveReflection(ctx, l, d, dc, text)
}

// cleanReflection makes text storable, or says what is wrong with it.
func cleanReflection(text string) (string, string) {
	text = strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", ""), "\uFFFD")
	if strings.TrimSpace(text) == "" {
		return "", "Write your thoughts after the word: `reflect I would…`"
	}
	if len(text) > maxReflection {
		return "", fmt.Sprintf("That's %d characters; please keep a reflection under %d.", utf8.RuneCountInString(text), maxReflection)
	}
	return text, ""
}

// HandleThreadReply implements bot.Learning: a direct message in the
// thread of a nudge that asked for a reflection is the learner's answer
// to it. A reply in any other thread is not for this capability.
func (s *Service) HandleThreadReply(ctx context.Context, msg bot.Message) (bot.Reply, bool) {
	if !msg.Direct || msg.Thread == "" {
		return bot.Reply{}, false
	}
	l, _, err := s.learnerOf(ctx, msg)
	var unsure userError
	if errors.As(err, &unsure) {
		// The thread is no nudge's in any of the person's workspaces.
		return bot.Reply{}, false
	}
	if err != nil {
		return s.failure(ctx, err), true
	}
	d, err := s.st.DeliveryInThread(ctx, l, msg.Thread)
	if errors.Is(err, store.ErrNotFound) {
		return bot.Reply{}, false
	}
	if err != nil {
		return s.failure(ctx, err), true
	}
	answers, err := s.st.Answers(ctx, d.ID)
	if err != nil {
		return s.failure(ctx, err), true
	}
	var asked, open *store.DeliveryCard
	for i, dc := range d.Cards {
		v, err := s.tracks.get(ctx, dc.TrackID, dc.Version)
		if err != nil {
			continue
		}
		if c, ok := v.Card(dc.CardID); !ok || c.Kind != track.KindReflection {
			continue
		}
		asked = &d.Cards[i]
		if !slices.ContainsFunc(answers, func(a store.Answer) bool { return a.CardID == dc.TrackID+"/"+dc.CardID }) {
			open = &d.Cards[i]
			break
		}
	}
	switch {
	case asked == nil:
		// A reply to a tip or a quiz is a question like any other.
		return bot.Reply{}, false
	case open == nil:
		return bot.Reply{Text: "You've already answered this reflection; your first answer is the one kept.", Private: true}, true
	}
	text, problem := cleanReflection(msg.Text)
	if problem != "" {
		return bot.Reply{Text: problem, Private: true}, true
	}
	r, err := s.saveReflection(ctx, l, d, *open, text)
	if err != nil {
		return s.failure(ctx, err), true
	}
	r.Private = true
	return r, true
}

// saveReflection keeps a learner's reflection on card dc of delivery d.
func (s *Service) saveReflection(ctx context.Context, l store.Learner, d store.Delivery, dc store.DeliveryCard, text string) (bot.Reply, error) {
	if _, err := s.st.RecordAnswer(ctx, store.Answer{DeliveryID: d.ID, CardID: dc.TrackID + "/" + dc.CardID, Learner: l, Choice: text, At: s.now()}); err != nil {
		return bot.Reply{}, err
	}
	s.event(ctx, l, store.EventNudgeOpened, d.ID, 0, d.ID)
	// The event says that a reflection was written, never what it says.
	s.event(ctx, l, store.EventReflection, d.ID+"/"+dc.CardID, 0, d.ID, dc.CardID)
	return bot.Reply{Text: "Thanks — noted, for your eyes only."}, nil
}

func choiceString(chosen []int) string {
	c := slices.Clone(chosen)
	sort.Ints(c)
	parts := make([]string, len(c))
	for i, n := range c {
		parts[i] = strconv.Itoa(n + 1)
	}
	return strings.Join(parts, ",")
}

// clip keeps echoed user input short.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "")
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
