package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

var (
	_ store.Feedback = (*Store)(nil)
	_ store.Reviews  = (*Store)(nil)
)

// RatedAnswers lists the answers voted on since then, with each person's
// last vote of the period counted once.
func (s *Store) RatedAnswers(ctx context.Context, since time.Time) ([]store.RatedAnswer, error) {
	const op = "list rated answers"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `WITH last AS (
			SELECT ref, value, row_number() OVER (
				PARTITION BY ref, platform, workspace, user_id ORDER BY time DESC, seq DESC) AS n
			FROM events WHERE kind = $1 AND time >= $2 AND ref <> ''
		), votes AS (
			SELECT ref, count(*) FILTER (WHERE value > 0) AS up, count(*) FILTER (WHERE value < 0) AS down
			FROM last WHERE n = 1 GROUP BY ref
		)
		SELECT a.id, a.time, a.kind, a.platform, a.workspace, a.channel, a.thread, a.user_id, a.direct,
			a.question, a.confident, a.doc_ids, a.latency_ms, a.value, a.ref, v.up, v.down
		FROM votes v JOIN events a ON a.id = v.ref AND a.kind = $3
		ORDER BY a.time DESC, a.id COLLATE "C"`, store.EventFeedback, millis(since), store.EventAnswer)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.RatedAnswer, error) {
		var r store.RatedAnswer
		e := &r.Answer
		err := row.Scan(&e.ID, &e.Time, &e.Kind, &e.Platform, &e.Workspace, &e.Channel, &e.Thread, &e.User,
			&e.Direct, &e.Question, &e.Confident, &e.DocIDs, &e.LatencyMS, &e.Value, &e.Ref, &r.Helpful, &r.Unhelpful)
		e.Time = e.Time.UTC()
		e.DocIDs = orNil(e.DocIDs)
		return r, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// ClaimReviewNotices records the notices neither pending under a live
// lease nor sent within quiet, as pending for lease; each is one
// conditional upsert, so of two replicas at once one records it.
func (s *Store) ClaimReviewNotices(ctx context.Context, notices []store.ReviewNotice, lease, quiet time.Duration) ([]store.ReviewNotice, error) {
	const op = "claim review notices"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := rules.ValidateReviewNotices(notices); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if lease <= 0 {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("lease %v: want a positive duration", lease))
	}
	var claimed []store.ReviewNotice
	for _, n := range notices {
		n.SentAt = millis(n.SentAt)
		var id string
		err := s.pool.QueryRow(ctx, `INSERT INTO review_notices AS r (doc_id, reason, sent_at, state, lease_until)
			VALUES ($1, $2, $3, 'pending', $4)
			ON CONFLICT (doc_id, reason) DO UPDATE
			SET sent_at = excluded.sent_at, state = 'pending', lease_until = excluded.lease_until
			WHERE (r.state = 'sent' AND r.sent_at <= $5) OR (r.state = 'pending' AND r.lease_until <= $3)
			RETURNING doc_id`, n.DocID, n.Reason, n.SentAt, millis(n.SentAt.Add(lease)), millis(n.SentAt.Add(-quiet))).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return claimed, s.fail(op, err)
		}
		claimed = append(claimed, n)
	}
	return claimed, nil
}

// MarkReviewNoticesSent records delivered notices of a claim as sent.
func (s *Store) MarkReviewNoticesSent(ctx context.Context, notices []store.ReviewNotice) error {
	return s.endClaims(ctx, "mark review notices sent", notices,
		"UPDATE review_notices SET state = 'sent', lease_until = NULL WHERE doc_id = $1 AND reason = $2 AND sent_at = $3 AND state = 'pending'")
}

// ReleaseReviewNotices forgets notices of a claim whose send failed.
func (s *Store) ReleaseReviewNotices(ctx context.Context, notices []store.ReviewNotice) error {
	return s.endClaims(ctx, "release review notices", notices,
		"DELETE FROM review_notices WHERE doc_id = $1 AND reason = $2 AND sent_at = $3 AND state = 'pending'")
}

// endClaims runs q, which ends the pending claim of one notice, for each
// of notices in one transaction.
func (s *Store) endClaims(ctx context.Context, op string, notices []store.ReviewNotice, q string) error {
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateReviewNotices(notices); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, n := range notices {
			if _, err := tx.Exec(ctx, q, n.DocID, n.Reason, millis(n.SentAt)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// ReviewNotices lists the notices sent since then.
func (s *Store) ReviewNotices(ctx context.Context, since time.Time) ([]store.ReviewNotice, error) {
	const op = "list review notices"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT doc_id, reason, sent_at FROM review_notices
		WHERE state = 'sent' AND sent_at >= $1 ORDER BY doc_id COLLATE "C", reason`, millis(since))
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ReviewNotice, error) {
		var n store.ReviewNotice
		err := row.Scan(&n.DocID, &n.Reason, &n.SentAt)
		n.SentAt = n.SentAt.UTC()
		return n, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
