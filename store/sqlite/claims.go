package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"time"

	"github.com/lorehq/lore/store"
)

// Claim takes key for ttl unless an unexpired claim holds it. One upsert
// decides, on the single write connection, so concurrent callers in this
// process and others (queued on the database lock) see exactly one first.
// It also deletes a small batch of expired claims.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "claim"
	if err := s.writable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateClaim(key, ttl); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	now := s.opts.Clock().UnixMilli()
	first := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM claims WHERE key IN
			(SELECT key FROM claims WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
			now, store.ClaimPurgeBatch); err != nil {
			return err
		}
		var taken string
		err := tx.QueryRowContext(ctx, `INSERT INTO claims AS c (key, expires_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
			WHERE c.expires_at <= ?
			RETURNING key`, key, now+ttl.Milliseconds(), now).Scan(&taken)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return err
		}
		first = true
		return nil
	})
	if err != nil {
		return false, s.fail(op, err)
	}
	return first, nil
}

// Claimed reports whether an unexpired claim holds key.
func (s *Store) Claimed(ctx context.Context, key string) (bool, error) {
	const op = "check claim"
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateClaimKey(key); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	var n int
	err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM claims WHERE key = ? AND expires_at > ?",
		key, s.opts.Clock().UnixMilli()).Scan(&n)
	if err != nil {
		return false, s.fail(op, err)
	}
	return n > 0, nil
}
