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

// ReviewNotice records that a document's owner was reminded of it, for
// one reason.
type ReviewNotice struct {
	DocID  string
	Reason string // ReviewDue or ReviewDownvoted
	SentAt time.Time
}

// Reviews keeps which owner reminders went out, so that each document is
// named at most once a period for each reason, however many replicas run
// the reminders.
type Reviews interface {
	// ClaimReviewNotices records each notice as sent at its SentAt unless
	// the same document and reason was recorded less than quiet before
	// it, and returns those it recorded. Each notice is decided in one
	// statement, so of two callers at once only one records it.
	ClaimReviewNotices(ctx context.Context, notices []ReviewNotice, quiet time.Duration) ([]ReviewNotice, error)
	// ReleaseReviewNotices forgets notices recorded by a claim whose
	// reminder could not be sent (same document, reason and SentAt), so
	// that the next run sends it again.
	ReleaseReviewNotices(ctx context.Context, notices []ReviewNotice) error
	// ReviewNotices lists the notices recorded at or after since, by
	// document and reason.
	ReviewNotices(ctx context.Context, since time.Time) ([]ReviewNotice, error)
}

// ValidateReviewNotices refuses notices no backend may keep.
func (r Rules) ValidateReviewNotices(notices []ReviewNotice) error {
	for _, n := range notices {
		if err := r.CheckText("document id", n.DocID); err != nil {
			return err
		}
		if n.DocID == "" || (n.Reason != ReviewDue && n.Reason != ReviewDownvoted) || n.SentAt.IsZero() {
			return Invalid("review notice %q/%q at %v: want a document, a known reason and a time", n.DocID, n.Reason, n.SentAt)
		}
	}
	return nil
}
