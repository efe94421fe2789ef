package store

import (
	"context"
	"fmt"
	"time"
)

// Engagement event kinds of micro-learning nudges (package nudges). Ref
// carries the delivery id, or "delivery/card" for a card; Value carries
// correctness (1 right, 0 wrong) for quiz answers.
const (
	EventNudgeDelivered = "nudge_delivered"
	EventNudgeMissed    = "nudge_missed"
	EventNudgeOpened    = "nudge_opened"
	EventQuizAnswered   = "quiz_answered"
	EventReflection     = "reflection"
	EventSnoozed        = "snoozed"
	EventTrackJoined    = "track_joined"
	EventTrackLeft      = "track_left"
	EventTrackCompleted = "track_completed"
	EventLearnerStopped = "learner_stopped"
)

// Learner is a person on one chat platform.
type Learner struct {
	Platform  string
	Workspace string
	User      string
}

// TrackVersion is one published version of a learning track. Content is
// the track as its owning package encodes it; the store keeps it opaque.
type TrackVersion struct {
	TrackID  string
	Version  int // from 1, assigned by PublishTrack
	Hash     string
	Title    string
	Draft    bool // reaches nobody until approved
	Content  []byte
	LoadedAt time.Time
}

// Enrolment statuses.
const (
	EnrolmentActive    = "active"
	EnrolmentLeft      = "left"
	EnrolmentCompleted = "completed"
)

// Enrolment is a learner following a track.
type Enrolment struct {
	Learner
	TrackID string
	Status  string
	Source  string // how they joined: self, curator, onboarding
	// Channel is the id of the channel, on the learner's platform and
	// workspace, they were enrolled through (a curator enrolling a
	// channel's people, onboarding on joining a channel); "" otherwise. A
	// track whose audience names the channel admits them.
	Channel  string
	JoinedAt time.Time
	// Seen are the ids of the track's cards already delivered, in order;
	// progress is kept by card id so that a new version of the track does
	// not reset it.
	Seen []string
	// LastNewAt is when the last new card was delivered, for the cadence.
	LastNewAt time.Time
}

// EnrolmentFilter selects enrolments; zero fields match everything.
type EnrolmentFilter struct {
	Learner *Learner
	TrackID string
	Status  string
}

// Preferences are a learner's delivery settings, stored whole.
type Preferences struct {
	Learner
	TimeZone       string // IANA name; "" means the platform profile's
	DeliveryMinute int    // minutes after local midnight
	Weekdays       int    // bit i set: deliver on time.Weekday(i)
	DailyCap       int    // cards per day
	QuietFrom      time.Time
	QuietUntil     time.Time // no deliveries in [QuietFrom, QuietUntil)
	SnoozedUntil   time.Time
	Paused         bool
	Stopped        bool
	StopReason     string
}

// CardState is where one learner stands with one card: FSRS memory for a
// quiz, plus when it was first delivered.
type CardState struct {
	Learner
	TrackID       string
	CardID        string
	Due           time.Time // zero: nothing to review
	Stability     float64
	Difficulty    float64
	ElapsedDays   int
	ScheduledDays int
	Reps          int
	Lapses        int
	State         int
	LastReview    time.Time
	SeenAt        time.Time
}

// Delivery statuses.
const (
	DeliverySending   = "sending"
	DeliverySent      = "sent"
	DeliveryGone      = "gone"      // the learner left the workspace
	DeliveryCancelled = "cancelled" // paused, stopped or snoozed after planning
	DeliveryMissed    = "missed"    // too late to send when its job ran
)

// DeliveryCard is one card of a delivery, pinned to the version sent.
type DeliveryCard struct {
	TrackID     string `json:"track"`
	CardID      string `json:"card"`
	Version     int    `json:"version"`
	Fingerprint string `json:"fp"`
	Review      bool   `json:"review,omitempty"`
}

// Delivery is one nudge: the cards due for a learner at one slot.
type Delivery struct {
	ID string // derived from learner and slot
	Learner
	Slot   time.Time
	Cards  []DeliveryCard
	Status string
	SentAt time.Time
	// Thread is the platform's id of the sent message, where a reply in
	// its thread lands ("" when the platform gave none).
	Thread string
}

// DeliveryClaim is one attempt at sending a delivery.
type DeliveryClaim struct {
	// Token names the attempt: only the attempt holding a delivery
	// completes or releases it.
	Token string
	// At is when the claim is made. Until ends its lease: an attempt
	// still holding a delivery being sent after Until is presumed dead,
	// and another may take the delivery over.
	At    time.Time
	Until time.Time
}

// DeliveryHold is what ClaimDelivery did.
type DeliveryHold struct {
	// Held is true when the attempt now holds the delivery and may send
	// it.
	Held bool
	// InDoubt, when not zero, is the time an earlier attempt that may
	// have sent the delivery claimed it: it held the delivery until its
	// lease ran out (it died, or could not record what it sent), or it
	// released it saying its message may have gone out. The platform may
	// have the message; sending again may send it twice.
	InDoubt time.Time
}

// DeliveryAttemptTimeout bounds one attempt at sending a delivery, from
// its claim to recording the outcome: the attempt's context ends by then
// (package nudges gives its jobs this timeout), so a Sender that honours
// its context sends nothing later. A full Engagement.Forget waits up to
// ForgetWaitForDelivery for an attempt sending to the person to finish.
const DeliveryAttemptTimeout = time.Minute

// ForgetWaitForDelivery is how long a full Forget waits at most for
// deliveries to the person being sent (claimed, their lease running) to
// be recorded or released: an attempt's timeout, and a few seconds for a
// send cancelled in flight to land.
const ForgetWaitForDelivery = DeliveryAttemptTimeout + 5*time.Second

// DeliveryDone is what a finished delivery changes, written at once.
type DeliveryDone struct {
	ID string
	// Claim is the token of the attempt holding the delivery.
	Claim  string
	Status string // DeliverySent, DeliveryGone, DeliveryCancelled or DeliveryMissed
	At     time.Time
	Thread string // the sent message's id, for replies in its thread
	// Cards are the cards sent, when they are not all those claimed
	// (some were no longer due); nil keeps the claimed ones.
	Cards      []DeliveryCard
	Enrolments []Enrolment // progress to save
	States     []CardState // card states to save
	Events     []Event     // engagement to record; ids make them idempotent
	// Preferences, when not nil, are saved too (a learner found gone is
	// stopped).
	Preferences *Preferences
}

// QuizReview is the first answer to a quiz card of a delivery with the
// review of the card it makes.
type QuizReview struct {
	Answer Answer
	// State is the card's state after the review.
	State CardState
	// Prev is the LastReview of the state the review was computed from,
	// zero when the card had no review.
	Prev time.Time
}

// Answer is a learner's answer to a card of a delivery.
type Answer struct {
	DeliveryID string
	CardID     string
	Learner
	Choice  string // quiz: the options chosen; reflection: the text
	Correct bool
	At      time.Time
}

// Nudges keeps learning tracks and each learner's progress through them.
type Nudges interface {
	// PublishTrack stores t as the track's next version unless its Hash
	// equals the latest version's; it returns the latest version and
	// whether it is new.
	PublishTrack(ctx context.Context, t TrackVersion) (TrackVersion, bool, error)
	// ApproveTrack clears Draft on the track's latest version.
	ApproveTrack(ctx context.Context, trackID string) error
	// TrackVersion returns one version, or the latest when version is 0.
	TrackVersion(ctx context.Context, trackID string, version int) (TrackVersion, error)
	// Tracks returns the latest version of every track, by id.
	Tracks(ctx context.Context) ([]TrackVersion, error)

	// SaveEnrolment creates or replaces the learner's enrolment in a track.
	SaveEnrolment(ctx context.Context, e Enrolment) error
	Enrolments(ctx context.Context, f EnrolmentFilter) ([]Enrolment, error)

	// SavePreferences creates or replaces a learner's preferences.
	SavePreferences(ctx context.Context, p Preferences) error
	// Preferences returns ErrNotFound for a learner who never set any.
	Preferences(ctx context.Context, l Learner) (Preferences, error)
	AllPreferences(ctx context.Context) ([]Preferences, error)

	SaveCardState(ctx context.Context, c CardState) error
	CardStates(ctx context.Context, l Learner, trackID string) ([]CardState, error)
	// DueCards returns every card state with a non-zero Due before until.
	DueCards(ctx context.Context, until time.Time) ([]CardState, error)

	// ClaimDelivery records d as being sent by the attempt c, and
	// reports Held when c now holds it: d is new, or was being sent by an
	// attempt that released it or whose lease has ended (see
	// DeliveryHold.InDoubt). Held is false when d was already sent,
	// cancelled, missed or its learner found gone, so that a retried or
	// duplicated job does not send it again; when the learner is paused,
	// stopped or snoozed past d.Slot, in which case d is recorded as
	// cancelled; and when the learner has no enrolment in d's workspace
	// (they were forgotten since d was planned), in which case nothing is
	// recorded. While another attempt's lease runs, on d or on any other
	// delivery to the same learner, it returns a *LockHeldError (wrapping
	// ErrLocked) and writes nothing: two live attempts never both hold a
	// delivery, and a learner has one delivery being sent at a time, so
	// that a nudge sent on demand and a scheduled one cannot both send a
	// card neither has recorded yet.
	//
	// The claim and a full Engagement.Forget of the learner exclude each
	// other: Forget waits for a delivery being sent to them (up to
	// ForgetWaitForDelivery) and deletes it, so that no claim, completion
	// or release after Forget writes anything about them.
	ClaimDelivery(ctx context.Context, d Delivery, c DeliveryClaim) (DeliveryHold, error)
	// ReleaseDelivery ends the lease of the attempt token on a delivery
	// still being sent (its send failed), so that a retry may claim it at
	// once. mayHaveSent says that the attempt cannot tell whether its
	// message went out (its send was cut short, or recording it failed):
	// the next claim is then told the delivery is in doubt. It does
	// nothing when token does not hold the delivery.
	ReleaseDelivery(ctx context.Context, id, token string, mayHaveSent bool) error
	// CompleteDelivery records the outcome of a delivery and the progress
	// it made, in one transaction. It returns ErrNotFound when d.Claim
	// does not hold delivery d.ID (never claimed, taken over by another
	// attempt, or its learner forgotten since), and then writes nothing.
	CompleteDelivery(ctx context.Context, d DeliveryDone) error
	Delivery(ctx context.Context, id string) (Delivery, error)
	// DeliveryInThread returns the learner's sent delivery whose message
	// is thread, or ErrNotFound.
	DeliveryInThread(ctx context.Context, l Learner, thread string) (Delivery, error)
	// RecentDeliveries returns a learner's sent deliveries, newest first.
	RecentDeliveries(ctx context.Context, l Learner, limit int) ([]Delivery, error)
	// RecordAnswer keeps the first answer to a card of a delivery and
	// returns false for any later one, so a double press counts once.
	RecordAnswer(ctx context.Context, a Answer) (bool, error)
	// RecordQuizAnswer records r.Answer and saves r.State in one
	// transaction, so that an answer counts only with its review. It
	// returns false and changes nothing when the card of the delivery was
	// answered already, or when the card's stored LastReview is no longer
	// r.Prev (another answer reviewed it meanwhile).
	RecordQuizAnswer(ctx context.Context, r QuizReview) (bool, error)
	Answers(ctx context.Context, deliveryID string) ([]Answer, error)
}

// UnixMS is t in unix milliseconds, 0 for the zero time: how the nudges
// tables keep times in every backend.
func UnixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// FromUnixMS reverses UnixMS.
func FromUnixMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// CheckQuizReview refuses a quiz answer and review that cannot be stored
// together: a learner the backend cannot key records by, or an answer and
// a card state of different learners.
func (r Rules) CheckQuizReview(q QuizReview) error {
	if err := r.CheckAnswer(q.Answer); err != nil {
		return err
	}
	if err := r.CheckCardState(q.State); err != nil {
		return err
	}
	if q.State.Learner != q.Answer.Learner {
		return Invalid("the answer and the card state are of different learners")
	}
	return nil
}

// CheckLearner refuses a learner the backend cannot key records by.
func (r Rules) CheckLearner(l Learner) error {
	if l.User == "" || l.Platform == "" {
		return Invalid("a learner needs a platform and a user id")
	}
	return r.checkIDFields(field{"learner platform", l.Platform}, field{"learner workspace", l.Workspace}, field{"learner user", l.User})
}

// CheckTrack refuses a track version that cannot be stored: one without an
// id or a hash, or whose texts the backend cannot keep. Content is opaque
// bytes, kept as they are.
func (r Rules) CheckTrack(t TrackVersion) error {
	if t.TrackID == "" || t.Hash == "" {
		return Invalid("a track needs an id and a hash")
	}
	if err := r.CheckID("track id", t.TrackID); err != nil {
		return err
	}
	return r.CheckTexts("track", []string{t.Hash, t.Title})
}

// CheckEnrolment refuses an enrolment that cannot be stored.
func (r Rules) CheckEnrolment(e Enrolment) error {
	if err := r.CheckLearner(e.Learner); err != nil {
		return err
	}
	if err := r.checkIDFields(field{"enrolment track id", e.TrackID}, field{"enrolment status", e.Status}, field{"enrolment channel", e.Channel}); err != nil {
		return err
	}
	if err := r.CheckText("enrolment source", e.Source); err != nil {
		return err
	}
	return r.CheckIDs("seen cards", e.Seen)
}

// CheckPreferences refuses preferences that cannot be stored.
func (r Rules) CheckPreferences(p Preferences) error {
	if err := r.CheckLearner(p.Learner); err != nil {
		return err
	}
	return r.CheckTexts("preferences", []string{p.TimeZone, p.StopReason})
}

// CheckCardState refuses a card state that cannot be stored.
func (r Rules) CheckCardState(c CardState) error {
	if err := r.CheckLearner(c.Learner); err != nil {
		return err
	}
	return r.checkIDFields(field{"card state track id", c.TrackID}, field{"card state card id", c.CardID})
}

// CheckDeliveryCards refuses cards of a delivery that cannot be stored.
func (r Rules) CheckDeliveryCards(cards []DeliveryCard) error {
	for i, c := range cards {
		what := fmt.Sprintf("card %d", i)
		if err := r.checkIDFields(field{what + " track id", c.TrackID}, field{what + " card id", c.CardID}); err != nil {
			return err
		}
		if err := r.CheckText(what+" fingerprint", c.Fingerprint); err != nil {
			return err
		}
	}
	return nil
}

// CheckDelivery refuses a delivery, and the claim of an attempt to send
// it, that cannot be stored.
func (r Rules) CheckDelivery(d Delivery, c DeliveryClaim) error {
	if d.ID == "" || c.Token == "" {
		return Invalid("a delivery claim needs an id and a token")
	}
	if err := r.CheckLearner(d.Learner); err != nil {
		return err
	}
	if err := r.checkIDFields(field{"delivery id", d.ID}, field{"delivery status", d.Status}, field{"delivery thread", d.Thread}, field{"delivery claim", c.Token}); err != nil {
		return err
	}
	return r.CheckDeliveryCards(d.Cards)
}

// CheckDeliveryDone refuses the outcome of a delivery that cannot be
// stored, before any of it is written.
func (r Rules) CheckDeliveryDone(d DeliveryDone) error {
	if err := r.checkIDFields(field{"delivery id", d.ID}, field{"delivery claim", d.Claim}, field{"delivery status", d.Status}, field{"delivery thread", d.Thread}); err != nil {
		return err
	}
	if err := r.CheckDeliveryCards(d.Cards); err != nil {
		return err
	}
	for _, e := range d.Enrolments {
		if err := r.CheckEnrolment(e); err != nil {
			return err
		}
	}
	for _, c := range d.States {
		if err := r.CheckCardState(c); err != nil {
			return err
		}
	}
	for _, e := range d.Events {
		if err := r.ValidateEvent(e); err != nil {
			return err
		}
	}
	if d.Preferences != nil {
		return r.CheckPreferences(*d.Preferences)
	}
	return nil
}

// CheckAnswer refuses an answer that cannot be stored.
func (r Rules) CheckAnswer(a Answer) error {
	if err := r.CheckLearner(a.Learner); err != nil {
		return err
	}
	if err := r.checkIDFields(field{"answer delivery id", a.DeliveryID}, field{"answer card id", a.CardID}); err != nil {
		return err
	}
	return r.CheckText("answer choice", a.Choice)
}
