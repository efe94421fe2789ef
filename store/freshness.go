package store

import (
	"context"
	"time"
)

// RatedAnswer is an answer of the engagement log with the votes it drew.
type RatedAnswer struct {
	Answer Event
	// Helpful and Unhelpful count the people whose last vote on the
	// answer was 👍 and 👎: a person who changes their mind, or presses a
	// button twice, counts once.
	Helpful, Unhelpful int
}

// Feedback reads the votes of the engagement log by the answers they
// judge, for feedback-shaped ranking and owners' reminders.
type Feedback interface {
	// RatedAnswers lists the answers that drew votes at or after since,
	// newest answer first (then by id), each with the votes of that
	// period. A vote whose answer is no longer in the log is left out.
	RatedAnswers(ctx context.Context, since time.Time) ([]RatedAnswer, error)
}

// Reasons of a ReviewNotice.
const (
	// ReviewDue: the document's review date has come.
	ReviewDue = "due"
	// ReviewDownvoted: answers citing the document drew several 👎.
	ReviewDownvoted = "downvoted"
)

// ReviewNotice records that a document's owner is being, or was,
// reminded of it, for one reason.
type ReviewNotice struct {
	DocID  string
	Reason string // ReviewDue or ReviewDownvoted
	// SentAt is when the notice was claimed; a week of quiet counts from
	// it once the notice is marked sent.
	SentAt time.Time
}

// Reviews keeps which owner reminders went out, so that each document is
// named at most once a period for each reason, however many replicas run
// the reminders, and no reminder is lost to a replica that stops between
// claiming and sending it.
type Reviews interface {
	// ClaimReviewNotices records each notice as pending at its SentAt,
	// for lease, unless the same document and reason is pending with a
	// lease that has not run out at SentAt, or was sent less than quiet
	// before SentAt; it returns those it recorded. Each notice is
	// decided in one statement, so of two callers at once only one
	// records it. A pending notice that is never marked sent nor
	// released can be claimed again once its lease has run out.
	ClaimReviewNotices(ctx context.Context, notices []ReviewNotice, lease, quiet time.Duration) ([]ReviewNotice, error)
	// MarkReviewNoticesSent records pending notices of a claim (same
	// document, reason and SentAt) as sent once their reminder was
	// delivered: quiet for the period from then on. A notice claimed
	// again since is left alone.
	MarkReviewNoticesSent(ctx context.Context, notices []ReviewNotice) error
	// ReleaseReviewNotices forgets pending notices of a claim whose
	// reminder could not be sent (same document, reason and SentAt), so
	// that the next run sends it again.
	ReleaseReviewNotices(ctx context.Context, notices []ReviewNotice) error
	// ReviewNotices lists the notices sent at or after since, by
	// document and reason; pending claims are not listed.
	ReviewNotices(ctx context.Context, since time.Time) ([]ReviewNotice, error)
}

// ValidateReviewNotices refuses notices no backend may keep.
func (r Rules) ValidateReviewNotices(notices []ReviewNotice) error {
	for _, n := range notices {
		if err := r.CheckID("document id", n.DocID); err != nil {
			return err
		}
		if n.DocID == "" || (n.Reason != ReviewDue && n.Reason != ReviewDownvoted) || n.SentAt.IsZero() {
			return Invalid("review notice %q/%q at %v: want a document, a known reason and a time", n.DocID, n.Reason, n.SentAt)
		}
	}
	return nil
}
