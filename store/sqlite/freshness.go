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

// ClaimReviewNotices records the notices not recorded within quiet, in
// one transaction on the write connection.
func (s *Store) ClaimReviewNotices(ctx context.Context, notices []store.ReviewNotice, quiet time.Duration) ([]store.ReviewNotice, error) {
	const op = "claim review notices"
	if err := s.writable(op); err != nil {
		return nil, err
	}
	if err := rules.ValidateReviewNotices(notices); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	var claimed []store.ReviewNotice
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		claimed = claimed[:0]
		for _, n := range notices {
			var id string
			err := tx.QueryRowContext(ctx, `INSERT INTO review_notices AS r (doc_id, reason, sent_at) VALUES (?, ?, ?)
				ON CONFLICT (doc_id, reason) DO UPDATE SET sent_at = excluded.sent_at
				WHERE r.sent_at <= ?
				RETURNING doc_id`, n.DocID, n.Reason, n.SentAt.UnixMilli(), n.SentAt.Add(-quiet).UnixMilli()).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			n.SentAt = time.UnixMilli(n.SentAt.UnixMilli()).UTC()
			claimed = append(claimed, n)
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return claimed, nil
}

// ReleaseReviewNotices forgets notices of a claim whose send failed.
func (s *Store) ReleaseReviewNotices(ctx context.Context, notices []store.ReviewNotice) error {
	const op = "release review notices"
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateReviewNotices(notices); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, n := range notices {
			if _, err := tx.ExecContext(ctx, "DELETE FROM review_notices WHERE doc_id = ? AND reason = ? AND sent_at = ?",
				n.DocID, n.Reason, n.SentAt.UnixMilli()); err != nil {
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

// ReviewNotices lists the notices recorded since then.
func (s *Store) ReviewNotices(ctx context.Context, since time.Time) ([]store.ReviewNotice, error) {
	const op = "list review notices"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT doc_id, reason, sent_at FROM review_notices
		WHERE sent_at >= ? ORDER BY doc_id, reason`, since.UnixMilli())
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
