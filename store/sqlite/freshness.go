package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	rows, err := s.rdb.QueryContext(ctx, `WITH last AS (
			SELECT ref, value, row_number() OVER (
				PARTITION BY ref, platform, workspace, user_id ORDER BY time DESC, rowid DESC) AS n
			FROM events WHERE kind = ? AND time >= ? AND ref <> ''
		), votes AS (
			SELECT ref, sum(value > 0) AS up, sum(value < 0) AS down FROM last WHERE n = 1 GROUP BY ref
		)
		SELECT a.id, a.time, a.kind, a.platform, a.workspace, a.channel, a.thread, a.user_id, a.direct,
			a.question, a.confident, a.doc_ids, a.latency_ms, a.value, a.ref, v.up, v.down
		FROM votes v JOIN events a ON a.id = v.ref AND a.kind = ?
		ORDER BY a.time DESC, a.id`, store.EventFeedback, since.UnixMilli(), store.EventAnswer)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.RatedAnswer
	for rows.Next() {
		var (
			r      store.RatedAnswer
			e      = &r.Answer
			ms     int64
			docIDs string
		)
		if err := rows.Scan(&e.ID, &ms, &e.Kind, &e.Platform, &e.Workspace, &e.Channel, &e.Thread, &e.User,
			&e.Direct, &e.Question, &e.Confident, &docIDs, &e.LatencyMS, &e.Value, &e.Ref, &r.Helpful, &r.Unhelpful); err != nil {
			return nil, s.fail(op, err)
		}
		e.Time = time.UnixMilli(ms).UTC()
		if e.DocIDs, err = decodeStrings(docIDs); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// ClaimReviewNotices records the notices neither pending under a live
// lease nor sent within quiet, as pending for lease, in one transaction
// on the write connection.
func (s *Store) ClaimReviewNotices(ctx context.Context, notices []store.ReviewNotice, lease, quiet time.Duration) ([]store.ReviewNotice, error) {
	const op = "claim review notices"
	if err := s.writable(op); err != nil {
		return nil, err
	}
	if err := rules.ValidateReviewNotices(notices); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if lease <= 0 {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("lease %v: want a positive duration", lease))
	}
	var claimed []store.ReviewNotice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		claimed = claimed[:0]
		for _, n := range notices {
			var id string
			at := n.SentAt.UnixMilli()
			err := tx.QueryRowContext(ctx, `INSERT INTO review_notices AS r (doc_id, reason, sent_at, state, lease_until)
				VALUES (?1, ?2, ?3, 'pending', ?4)
				ON CONFLICT (doc_id, reason) DO UPDATE
				SET sent_at = excluded.sent_at, state = 'pending', lease_until = excluded.lease_until
				WHERE (r.state = 'sent' AND r.sent_at <= ?5) OR (r.state = 'pending' AND r.lease_until <= ?3)
				RETURNING doc_id`, n.DocID, n.Reason, at, n.SentAt.Add(lease).UnixMilli(), n.SentAt.Add(-quiet).UnixMilli()).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			n.SentAt = time.UnixMilli(at).UTC()
			claimed = append(claimed, n)
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return claimed, nil
}

// MarkReviewNoticesSent records delivered notices of a claim as sent.
func (s *Store) MarkReviewNoticesSent(ctx context.Context, notices []store.ReviewNotice) error {
	return s.endClaims(ctx, "mark review notices sent", notices,
		"UPDATE review_notices SET state = 'sent', lease_until = NULL WHERE doc_id = ? AND reason = ? AND sent_at = ? AND state = 'pending'")
}

// ReleaseReviewNotices forgets notices of a claim whose send failed.
func (s *Store) ReleaseReviewNotices(ctx context.Context, notices []store.ReviewNotice) error {
	return s.endClaims(ctx, "release review notices", notices,
		"DELETE FROM review_notices WHERE doc_id = ? AND reason = ? AND sent_at = ? AND state = 'pending'")
}

// endClaims runs q, which ends the pending claim of one notice, for each
// of notices in one transaction.
func (s *Store) endClaims(ctx context.Context, op string, notices []store.ReviewNotice, q string) error {
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateReviewNotices(notices); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, n := range notices {
			if _, err := tx.ExecContext(ctx, q, n.DocID, n.Reason, n.SentAt.UnixMilli()); err != nil {
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT doc_id, reason, sent_at FROM review_notices
		WHERE state = 'sent' AND sent_at >= ? ORDER BY doc_id, reason`, since.UnixMilli())
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.ReviewNotice
	for rows.Next() {
		var (
			n  store.ReviewNotice
			ms int64
		)
		if err := rows.Scan(&n.DocID, &n.Reason, &ms); err != nil {
			return nil, s.fail(op, err)
		}
		n.SentAt = time.UnixMilli(ms).UTC()
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
