package store

import (
	"context"
	"time"
)

// Statement is one xAPI statement as the store keeps it: the statement's
// JSON, immutable once stored, and the few columns queries need. Package
// bot/engagement builds statements from events; the store does not look
// inside the JSON.
type Statement struct {
	ID   string    // the statement's UUID
	Time time.Time // the statement's timestamp
	// User is the platform user the statement is about, kept so that the
	// person can be forgotten; "" for a statement about no one, such as a
	// voiding statement. It never appears in the JSON, whose actor is a
	// pseudonym.
	User string
	// Voids is, for a voiding statement, the id of the statement it voids.
	Voids string
	JSON  []byte
}

// StatementFilter selects statements; zero fields match everything.
type StatementFilter struct {
	Since time.Time // inclusive
	Until time.Time // exclusive
	User  string
	// After continues a listing after the statement with this id, in the
	// order of Statements, so that an export can page through millions.
	After string
	Limit int // 0: no limit
}

// ForgetResult says what Forget removed.
type ForgetResult struct {
	Events int // events deleted, or anonymised when counts are kept
	// Statements lists the removed statements, each of which needs a
	// voiding statement: one that had left the outbox is held by a
	// Learning Record Store, and one still in it may be on its way there,
	// in a batch the forwarder read before Forget ran and posts after.
	// Nothing tells the two apart, so every one is voided; an LRS accepts
	// a voiding statement for a statement it never received. The ids
	// retention kept of forwarded statements it deleted (see Compact)
	// follow, in id order.
	Statements []string
	// Pseudonym replaced the person in the audit log (as the actor of
	// their changes, and as the target of role changes and forget
	// requests) and as the owner of documents and sources, so that the
	// log keeps what was done without naming them. Set by a full forget
	// only: an analytics opt-out leaves the audit log alone, which is not
	// analytics.
	Pseudonym string
}

// Rollup counts the events of one day, kind, platform and channel. Retention
// (Engagement.Compact) replaces old raw events by rollups, so that long-term
// trends survive without any personal data.
type Rollup struct {
	Day      time.Time // UTC midnight
	Kind     string
	Platform string
	Channel  string
	Events   int
	// Users counts the distinct people of the group that day. A day folded
	// again (events recorded for it after retention folded it) keeps the
	// larger of the two counts: who was in both is no longer known, and
	// the larger is never more than the day's true count.
	Users int
}

// ActivityFilter selects the events DailyActivity counts.
type ActivityFilter struct {
	Since    time.Time // inclusive; rounded down to a UTC day
	Until    time.Time // exclusive
	Platform string
	Channel  string
}

// DayActivity is one UTC day of the engagement log, in raw events and
// rollups together.
type DayActivity struct {
	Day       time.Time // UTC midnight
	Questions int
	// Active counts the distinct people with any event that day, across
	// the platforms and channels the filter selects: a person active in
	// five channels counts once. Never more than the true count: for a
	// day retention folded, it is the count kept when the day was folded
	// (the larger one if it was folded again, or if raw events were
	// recorded for it since, since who was in both is unknown); a day
	// folded before stores kept that count has none and counts 0.
	Active int
}

// Engagement keeps what analytics need beyond the event log: xAPI
// statements and their outbox towards a Learning Record Store, analytics
// opt-outs, forgetting a person, retention, and daily counts for charts.
type Engagement interface {
	// AddStatements stores statements and queues each in the outbox. A
	// statement whose id is already stored is ignored: statements are
	// immutable, and corrections are voiding statements.
	AddStatements(ctx context.Context, ss []Statement) error
	// Statements returns matching statements, oldest first (by time, then
	// by the order they were stored).
	Statements(ctx context.Context, f StatementFilter) ([]Statement, error)
	// PendingStatements returns up to limit statements of the outbox,
	// oldest first.
	PendingStatements(ctx context.Context, limit int) ([]Statement, error)
	// MarkForwarded removes statements from the outbox; unknown ids are
	// ignored.
	MarkForwarded(ctx context.Context, ids []string) error
	// ForwardedIDs returns, in id order and after the id after ("" from
	// the start), up to limit ids of user's statements that Compact
	// deleted after they had left the outbox: statements an LRS may hold,
	// which forgetting user must still void there.
	ForwardedIDs(ctx context.Context, user, after string, limit int) ([]string, error)

	// SetOptOut records whether user has opted out of analytics. From
	// then on every event of theirs is written without user, thread and
	// question text (RecordEvent, RecordEvents and the events of
	// Nudges.CompleteDelivery alike); their past events are Forget's.
	SetOptOut(ctx context.Context, user string, optOut bool) error
	// OptedOut reports whether user has opted out of analytics.
	OptedOut(ctx context.Context, user string) (bool, error)
	// Forget removes user's statements (and their outbox entries) and
	// the ids Compact kept of their forwarded ones (ForwardedIDs), and
	// either deletes the person's events or, with keepCounts, keeps them
	// anonymised: no user, thread or question text. That is all an
	// analytics opt-out (keepCounts) does. A full forget, on every
	// platform and workspace the id appears in, also deletes:
	//   - the opt-out record;
	//   - platform facts (People: the time zone);
	//   - the peer profile, the expert requests they made or were asked
	//     (with the topic the asker wrote), and their place in past pairing
	//     rounds, as Peers.DeletePerson does (see ForgetInRound);
	//   - enrolments, nudge preferences, card states, deliveries and
	//     answers, reflections included;
	//   - the background jobs that name them in a top-level "user" argument
	//     (a planned nudge) in River's river_job table, when the database
	//     holds one (store/queue puts it beside Lore's tables): jobs in any
	//     state but running are deleted, and a running one loses the id
	//     from its arguments, so that neither a retry nor the finished row
	//     keeps it;
	// and replaces the person in the audit log by a new random pseudonym
	// (ForgetResult.Pseudonym), which also replaces them as the owner of
	// documents and sources (an owner written PLATFORM/[WORKSPACE/]USER,
	// or that after "user:"); the roles granted to them are deleted, with
	// no audit entry, since a grant kept under their id would name the
	// pseudonym of its role.grant entry. Other people's block lists keep
	// the id: forgetting a person must not undo someone's block of them.
	// All in one transaction. A full forget first waits, up to
	// ForgetWaitForDelivery, while a nudge to the person is being sent
	// (a delivery claimed under a running lease, see
	// Nudges.ClaimDelivery), so that a nudge does not reach them after
	// Forget returns; the wait ends early with ctx.
	Forget(ctx context.Context, user string, keepCounts bool) (ForgetResult, error)
	// Compact folds the events of the UTC days that start before before
	// into rollups and deletes them, with the statements of those days
	// that have been forwarded: whole days, so that no day is split
	// between raw events and rollups and its distinct people stay known.
	// The day before falls in goes too (CeilDay), so no raw event
	// outlives the cut. Of each deleted statement about a person it keeps
	// the id and the person (ForwardedIDs), nothing else: an LRS may hold
	// the statement, and Forget must still void it there. It returns the
	// number of events deleted.
	Compact(ctx context.Context, before time.Time) (int, error)
	// Rollups returns the rollups of days in [since, until), by day.
	Rollups(ctx context.Context, since, until time.Time) ([]Rollup, error)
	// DailyActivity counts questions and active people per UTC day, from
	// raw events and rollups; days without any are omitted.
	DailyActivity(ctx context.Context, f ActivityFilter) ([]DayActivity, error)
	// AllDocuments lists every stored document, by id.
	AllDocuments(ctx context.Context) ([]Document, error)
	// RecordEvents appends many events at once, as RecordEvent does one
	// (ids already recorded are ignored, opted-out people are dropped),
	// for imports and benchmarks:
	// in one transaction, by the fastest path the database offers.
	RecordEvents(ctx context.Context, events []Event) error
}

// ValidateStatement refuses a statement without id or JSON, or with text
// the rules refuse.
func (r Rules) ValidateStatement(s Statement) error {
	if s.ID == "" {
		return Invalid("statement id is empty")
	}
	if len(s.JSON) == 0 {
		return Invalid("statement %s has no JSON", s.ID)
	}
	if err := r.checkIDFields(field{"statement id", s.ID}, field{"statement user", s.User}, field{"voids", s.Voids}); err != nil {
		return err
	}
	return r.CheckText("statement", string(s.JSON))
}

// ValidateOptOut refuses the arguments of Engagement.SetOptOut: an empty
// user, text the rules refuse and, for an opt-out, which is stored, an
// overlong user; opting back in deletes, and takes any id.
func (r Rules) ValidateOptOut(user string, optOut bool) error {
	switch {
	case user == "":
		return Invalid("user is empty")
	case optOut:
		return r.CheckID("user", user)
	}
	return r.CheckText("user", user)
}

// Day returns the UTC midnight that starts t's day.
func Day(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

// CeilDay returns the first UTC midnight at or after t: t itself at
// midnight, else the start of the next day.
func CeilDay(t time.Time) time.Time {
	d := Day(t)
	if d.Before(t) {
		d = d.Add(24 * time.Hour)
	}
	return d
}
