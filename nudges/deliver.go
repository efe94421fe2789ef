package nudges

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/queue"
)

// DeliverArgs is the River job of one nudge: a learner's cards at a slot.
// Jobs are unique by learner and slot (the fields marked unique), among
// jobs in any state but cancelled and discarded, so planning a window twice,
// or from two replicas, queues each nudge once. The learner's id is the
// top-level "user" argument, which is how forgetting a person
// (store.Engagement.Forget) finds their jobs.
type DeliverArgs struct {
	Platform  string               `json:"platform" river:"unique"`
	Workspace string               `json:"workspace" river:"unique"`
	User      string               `json:"user" river:"unique"`
	Slot      time.Time            `json:"slot" river:"unique"`
	Cards     []store.DeliveryCard `json:"cards"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "nudge_deliver" }

// InsertOpts implements river.JobArgsWithInsertOpts. A delivery sends a
// direct message, so it goes to the chat queue, which only replicas with
// chat adapters work.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: queue.ChatQueue, MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func (a DeliverArgs) learner() store.Learner {
	return store.Learner{Platform: a.Platform, Workspace: a.Workspace, User: a.User}
}

// Inserter is what the planner needs of a River client.
type Inserter interface {
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// insertBatch bounds one InsertMany: large enough to amortise the round
// trip, small enough to stay under PostgreSQL's 65,535 parameters.
const insertBatch = 1000

// Enqueue inserts one Deliver job per planned delivery, scheduled at its
// slot, and returns how many were new (the others were queued before).
func Enqueue(ctx context.Context, q Inserter, planned []DeliverArgs) (inserted int, err error) {
	for start := 0; start < len(planned); start += insertBatch {
		batch := planned[start:min(start+insertBatch, len(planned))]
		params := make([]river.InsertManyParams, len(batch))
		for i, a := range batch {
			opts := a.InsertOpts()
			// A slot already due is left unscheduled, so that the job is
			// available at once rather than after River's next
			// scheduling pass.
			if a.Slot.After(time.Now()) {
				opts.ScheduledAt = a.Slot
			}
			params[i] = river.InsertManyParams{Args: a, InsertOpts: &opts}
		}
		res, err := q.InsertMany(ctx, params)
		if err != nil {
			return inserted, fmt.Errorf("enqueue nudges: %w", err)
		}
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				inserted++
			}
		}
	}
	return inserted, nil
}

// Timing of a planned nudge's delivery.
const (
	// MaxLate is how late a planned nudge may still go out. A job that
	// runs later (chat workers were down, retries ran out the clock), or
	// on a later local day than its slot, sends nothing: the delivery is
	// recorded as missed, and its cards come at the learner's next slot.
	MaxLate = time.Hour
	// deliverTimeout bounds one attempt at a delivery (the worker's
	// timeout), and deliveryLease the claim the attempt holds: an
	// attempt still holding a delivery after its lease is presumed dead,
	// and another may take the delivery over. A forget of the learner
	// waits for the attempt as long as its timeout allows it to send.
	deliverTimeout = store.DeliveryAttemptTimeout
	deliveryLease  = 5 * deliverTimeout
	// recordTimeout bounds recording a nudge once it is sent, and
	// releasing a claim, which outlive the attempt's context.
	recordTimeout = 10 * time.Second
)

// DeliverWorker works DeliverArgs jobs.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Service *Service
}

// Work implements river.Worker. An error is retried by River with backoff;
// a delivery another attempt holds is looked at again once its lease ends.
// A job without a user is one whose learner was forgotten while it ran:
// the store's Forget deletes a forgotten person's other jobs and clears
// the user of a running one, so that a retry sends nothing.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if job.Args.User == "" {
		return nil
	}
	err := w.Service.Deliver(ctx, job.Args)
	var held *store.LockHeldError
	if errors.As(err, &held) {
		return river.JobSnooze(max(held.Until.Sub(w.Service.now()), 0) + time.Second)
	}
	return err
}

// Timeout implements river.Worker: an attempt ends well within the lease
// of its claim on the delivery.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration { return deliverTimeout }

// claimToken names one attempt at a delivery.
func claimToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Deliver sends one planned nudge unless it was sent already, and records
// what it sent. It is safe to run twice for the same learner and slot,
// one run after the other or both at once: the claim in the store lets one
// attempt at a time send (see store.Nudges.ClaimDelivery). A claim held by
// another live attempt is an error, for River to retry later.
//
// A nudge is sent at most once. An attempt that cannot tell whether its
// message went out (its send's request was cut short, see cutShort, or
// recording the send failed) leaves the delivery in doubt, as does one
// that dies holding it. The next attempt sends a nudge in doubt again only where
// the platform recognises the repeat by its key (a DedupingSender, within
// its window), and otherwise records it as sent without sending it.
func (s *Service) Deliver(ctx context.Context, a DeliverArgs) error {
	if s.sender == nil {
		return errors.New("deliver nudge: no Sender configured")
	}
	l := a.learner()
	id := DeliveryID(l, a.Slot)
	now := s.now()
	token := claimToken()
	// The claim also closes the slot of a learner who paused, stopped or
	// snoozed after the plan, and of one forgotten since: nothing is
	// sent, now or on a retry.
	hold, err := s.st.ClaimDelivery(ctx, store.Delivery{ID: id, Learner: l, Slot: a.Slot, Cards: a.Cards},
		store.DeliveryClaim{Token: token, At: now, Until: now.Add(deliveryLease)})
	if err != nil || !hold.Held {
		return err
	}
	if err := s.deliverClaimed(ctx, a, id, token, now, hold.InDoubt); err != nil {
		var doubt *inDoubtError
		mayHaveSent := errors.As(err, &doubt)
		// A retry may claim the delivery at once rather than after the
		// lease, even when this attempt's context has ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		defer cancel()
		if rerr := s.st.ReleaseDelivery(rctx, id, token, mayHaveSent); rerr != nil {
			s.log.WarnContext(ctx, "releasing a nudge's claim failed; a retry waits for its lease", "delivery", id, "err", rerr)
		}
		return err
	}
	return nil
}

// inDoubtError is a failure after which an attempt cannot tell whether its
// message reached the learner.
type inDoubtError struct{ err error }

func (e *inDoubtError) Error() string { return e.err.Error() }
func (e *inDoubtError) Unwrap() error { return e.err }

// deliverClaimed sends the delivery id that the attempt token holds. An
// earlier attempt may have sent it when inDoubt is not zero.
func (s *Service) deliverClaimed(ctx context.Context, a DeliverArgs, id, token string, now, inDoubt time.Time) error {
	l := a.learner()
	p, err := s.preferences(ctx, l)
	if err != nil {
		return err
	}
	loc, err := s.location(ctx, p)
	if err != nil {
		return err
	}
	if !inDoubt.IsZero() && !s.resendable(l.Platform, now, inDoubt) {
		return s.assumeSent(ctx, a, id, token, loc, inDoubt)
	}
	// The learner may have changed their delivery time, days, quiet
	// period or time zone since the plan: a slot that is no longer theirs
	// sends nothing, and its cards come at the slot that is (planned
	// anew), rather than twice in one day or on a day they asked off.
	if slot, ok := NextSlot(p, loc, a.Slot); !ok || !slot.Equal(a.Slot) {
		s.log.InfoContext(ctx, "a planned nudge's slot is no longer the learner's; not sent",
			"platform", l.Platform, "user", l.User, "delivery", id, "slot", a.Slot)
		return s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: token, Status: store.DeliveryCancelled, At: s.now()})
	}
	if late := now.Sub(a.Slot); late > MaxLate || (late > 0 && !sameLocalDay(now, a.Slot, loc)) {
		return s.missed(ctx, l, id, token, late)
	}
	// Much may have changed since the plan: the learner left a track or
	// its audience, fetched the card with "nudge", answered a review.
	cards, err := s.stillDue(ctx, l, a.Cards, a.Slot, loc)
	if err != nil {
		return err
	}
	// The cap is the learner's for the day, whatever else they were sent
	// that day ("nudge", a slot they moved); what it leaves out stays due.
	cards, capped, err := s.withinCap(ctx, l, id, p, a.Slot, loc, cards)
	if err != nil {
		return err
	}
	if capped {
		s.log.InfoContext(ctx, "a planned nudge is trimmed to the learner's daily cap",
			"platform", l.Platform, "user", l.User, "delivery", id, "cards", len(cards))
	}
	reply, sent := s.render(ctx, id, cards)
	if len(sent) == 0 {
		return s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: token, Status: store.DeliveryCancelled, At: s.now()})
	}
	reply.IdempotencyKey = id
	thread, err := s.sender.SendDirect(ctx, l.Platform, l.Workspace, l.User, reply)
	if err != nil {
		if errors.Is(err, ErrRecipientGone) {
			return s.stopGone(ctx, p, id, token, err)
		}
		err = fmt.Errorf("deliver nudge %s: %w", id, err)
		if cutShort(ctx, err) {
			return &inDoubtError{err}
		}
		return err
	}
	// The message is out: it is recorded even if the attempt's context
	// ends now (a replica shutting down), since a retry could not tell.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.delivered(rctx, l, id, token, a.Slot, sent, thread); err != nil {
		return &inDoubtError{fmt.Errorf("record sent nudge %s: %w", id, err)}
	}
	return nil
}

// cutShort reports whether a failed send may have reached the platform
// all the same: its HTTP request was in flight (the error wraps a
// *url.Error) when the attempt's context ended or the request timed out.
// A send that failed before its request left (waiting for a rate limit,
// say) is not in doubt, and a retry sends it.
func cutShort(ctx context.Context, err error) bool {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return false
	}
	return ue.Timeout() || ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// resendable reports whether a nudge an earlier attempt claimed at
// inDoubt, and may have sent, can be sent again now: only where the
// platform recognises the repeat by its key, within its window.
func (s *Service) resendable(platform string, now, inDoubt time.Time) bool {
	d, ok := s.sender.(DedupingSender)
	return ok && now.Sub(inDoubt) < d.DedupeWindow(platform)
}

// assumeSent records a nudge an earlier attempt may have sent as sent,
// without sending it: a missed card is cheaper than a nudge twice. The
// cards recorded are those still due, as the send would have had them;
// the message's id is unknown, so a reply in its thread is a question
// like any other (its quiz buttons still work).
func (s *Service) assumeSent(ctx context.Context, a DeliverArgs, id, token string, loc *time.Location, inDoubt time.Time) error {
	l := a.learner()
	s.log.WarnContext(ctx, "a nudge an earlier attempt may have sent is recorded as sent, not sent again",
		"platform", l.Platform, "user", l.User, "delivery", id, "claimed", inDoubt)
	cards, err := s.stillDue(ctx, l, a.Cards, a.Slot, loc)
	if err != nil {
		return err
	}
	_, sent := s.render(ctx, id, cards)
	if len(sent) == 0 {
		return s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: token, Status: store.DeliveryCancelled, At: s.now()})
	}
	return s.delivered(ctx, l, id, token, a.Slot, sent, "")
}

// sameLocalDay reports whether a and b fall on the same day in loc.
func sameLocalDay(a, b time.Time, loc *time.Location) bool {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}

// missed records a delivery too late to send.
func (s *Service) missed(ctx context.Context, l store.Learner, id, token string, late time.Duration) error {
	s.log.WarnContext(ctx, "a nudge was too late to send; skipped until the learner's next slot",
		"platform", l.Platform, "user", l.User, "delivery", id, "late", late.Round(time.Second))
	ev := s.newEvent(l, store.EventNudgeMissed, id, int(late.Minutes()), id)
	return s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: token, Status: store.DeliveryMissed, At: s.now(),
		Events: []store.Event{ev}})
}

// stillDue keeps the planned cards still worth sending: those of tracks
// the learner still follows and may follow (audiences and people's groups
// change), new cards not delivered since the plan, and reviews still due
// on the slot's local day.
func (s *Service) stillDue(ctx context.Context, l store.Learner, planned []store.DeliveryCard, slot time.Time, loc *time.Location) ([]store.DeliveryCard, error) {
	es, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l})
	if err != nil {
		return nil, err
	}
	enrolment := make(map[string]store.Enrolment, len(es))
	for _, e := range es {
		enrolment[e.TrackID] = e
	}
	g := s.gate()
	admitted := map[string]bool{}
	states := map[string]map[string]store.CardState{}
	end := endOfLocalDay(slot, loc)
	out := make([]store.DeliveryCard, 0, len(planned))
	for _, c := range planned {
		e, ok := enrolment[c.TrackID]
		if !ok || e.Status == store.EnrolmentLeft {
			continue
		}
		ok, seen := admitted[c.TrackID]
		if !seen {
			// A track that no longer loads is left to render.
			ok = true
			if v, err := s.tracks.get(ctx, c.TrackID, 0); err == nil {
				if ok, err = g.admits(ctx, v.Audience, l, e.Channel); err != nil {
					return nil, err
				}
			}
			admitted[c.TrackID] = ok
		}
		if !ok {
			continue
		}
		if !c.Review {
			if !slices.Contains(e.Seen, c.CardID) {
				out = append(out, c)
			}
			continue
		}
		byCard, loaded := states[c.TrackID]
		if !loaded {
			cs, err := s.st.CardStates(ctx, l, c.TrackID)
			if err != nil {
				return nil, err
			}
			byCard = make(map[string]store.CardState, len(cs))
			for _, x := range cs {
				byCard[x.CardID] = x
			}
			states[c.TrackID] = byCard
		}
		if st, ok := byCard[c.CardID]; ok && !st.Due.IsZero() && st.Due.Before(end) {
			out = append(out, c)
		}
	}
	return out, nil
}

// stopGone stops a learner the platform says is no longer there, with
// the delivery's outcome, so that nothing is written for a learner
// forgotten meanwhile.
func (s *Service) stopGone(ctx context.Context, p store.Preferences, id, token string, cause error) error {
	p.Stopped, p.StopReason = true, "left the workspace: "+cause.Error()
	ev := s.newEvent(p.Learner, store.EventLearnerStopped, id, 0, id)
	if err := s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: token, Status: store.DeliveryGone, At: s.now(),
		Preferences: &p, Events: []store.Event{ev}}); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "learner left the workspace; nudges stopped", "platform", p.Platform, "user", p.User)
	return nil
}

// delivered records a sent nudge: the cards now seen, a first review date
// for new quizzes (an unanswered quiz comes back), completed tracks.
func (s *Service) delivered(ctx context.Context, l store.Learner, id, token string, slot time.Time, cards []sentCard, thread string) error {
	now := s.now()
	enrolments, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l})
	if err != nil {
		return err
	}
	done := store.DeliveryDone{ID: id, Claim: token, Status: store.DeliverySent, At: now, Thread: thread,
		Cards: make([]store.DeliveryCard, len(cards))}
	for i, c := range cards {
		done.Cards[i] = c.DeliveryCard
	}
	var completed []string
	for _, e := range enrolments {
		changed := false
		for _, c := range cards {
			if c.TrackID != e.TrackID || c.Review || slices.Contains(e.Seen, c.CardID) {
				continue
			}
			e.Seen = append(e.Seen, c.CardID)
			e.LastNewAt = slot
			changed = true
			st := store.CardState{Learner: l, TrackID: c.TrackID, CardID: c.CardID, SeenAt: now}
			if c.card.Kind == track.KindQuiz {
				st.Due = slot.Add(24 * time.Hour)
			}
			done.States = append(done.States, st)
		}
		if changed && e.Status == store.EnrolmentActive {
			if _, more := nextCard(trackOf(cards, e.TrackID), e.Seen); !more {
				e.Status = store.EnrolmentCompleted
				completed = append(completed, e.TrackID)
			}
		}
		if changed {
			done.Enrolments = append(done.Enrolments, e)
		}
	}
	done.Events = append(done.Events, s.newEvent(l, store.EventNudgeDelivered, id, len(cards), id))
	for _, t := range completed {
		done.Events = append(done.Events, s.newEvent(l, store.EventTrackCompleted, t, 0, t, l.Platform, l.Workspace, l.User))
	}
	return s.st.CompleteDelivery(ctx, done)
}

// trackOf is the track version a card of the delivery came from.
func trackOf(cards []sentCard, trackID string) track.Track {
	for _, c := range cards {
		if c.TrackID == trackID {
			return c.track
		}
	}
	return track.Track{}
}
