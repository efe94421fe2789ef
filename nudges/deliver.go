package nudges

import (
	"context"
	"errors"
	"fmt"
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

// DeliverWorker works DeliverArgs jobs.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Service *Service
}

// Work implements river.Worker. An error is retried by River with backoff.
// A job without a user is one whose learner was forgotten while it ran:
// the store's Forget deletes a forgotten person's other jobs and clears
// the user of a running one, so that a retry sends nothing.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if job.Args.User == "" {
		return nil
	}
	return w.Service.Deliver(ctx, job.Args)
}

// Deliver sends one planned nudge unless it was sent already, and records
// what it sent. It is safe to run twice for the same learner and slot.
func (s *Service) Deliver(ctx context.Context, a DeliverArgs) error {
	if s.sender == nil {
		return errors.New("deliver nudge: no Sender configured")
	}
	l := a.learner()
	id := DeliveryID(l, a.Slot)
	// The claim also closes the slot of a learner who paused, stopped or
	// snoozed after the plan: nothing is sent, now or on a retry.
	claimed, err := s.st.ClaimDelivery(ctx, store.Delivery{ID: id, Learner: l, Slot: a.Slot, Cards: a.Cards})
	if err != nil || !claimed {
		return err
	}
	// Audiences and people's groups may have changed since the plan.
	planned, err := s.admittedCards(ctx, l, a.Cards)
	if err != nil {
		return err
	}
	reply, cards := s.render(ctx, id, planned)
	if len(cards) == 0 {
		return s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Status: store.DeliveryCancelled, At: s.now()})
	}
	thread, err := s.sender.SendDirect(ctx, l.Platform, l.Workspace, l.User, reply)
	if err != nil {
		if errors.Is(err, ErrRecipientGone) {
			p, perr := s.preferences(ctx, l)
			if perr != nil {
				return perr
			}
			return s.stopGone(ctx, p, id, err)
		}
		return fmt.Errorf("deliver nudge %s: %w", id, err)
	}
	return s.delivered(ctx, l, id, a.Slot, cards, thread)
}

// stopGone stops a learner the platform says is no longer there.
func (s *Service) stopGone(ctx context.Context, p store.Preferences, id string, cause error) error {
	p.Stopped, p.StopReason = true, "left the workspace: "+cause.Error()
	if err := s.st.SavePreferences(ctx, p); err != nil {
		return err
	}
	if err := s.st.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Status: store.DeliveryGone, At: s.now()}); err != nil {
		return err
	}
	s.event(ctx, p.Learner, store.EventLearnerStopped, id, 0, id)
	s.log.InfoContext(ctx, "learner left the workspace; nudges stopped", "platform", p.Platform, "user", p.User)
	return nil
}

// delivered records a sent nudge: the cards now seen, a first review date
// for new quizzes (an unanswered quiz comes back), completed tracks.
func (s *Service) delivered(ctx context.Context, l store.Learner, id string, slot time.Time, cards []sentCard, thread string) error {
	now := s.now()
	enrolments, err := s.st.Enrolments(ctx, store.EnrolmentFilter{Learner: &l})
	if err != nil {
		return err
	}
	done := store.DeliveryDone{ID: id, Status: store.DeliverySent, At: now, Thread: thread}
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
