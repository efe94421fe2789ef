package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

// Claim takes key for ttl unless an unexpired claim holds it. One
// conditional upsert decides, so of concurrent callers on any replica
// exactly one sees first. Expiry is judged by the store's clock, as in the
// SQLite store. It also deletes a small batch of expired claims; rows
// another caller is deleting at the same moment are skipped, not waited on.
func (s *Store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	const op = "claim"
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateClaim(key, ttl); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	now := millis(s.opts.Clock())
	if _, err := s.pool.Exec(ctx, `DELETE FROM claims WHERE key IN
		(SELECT key FROM claims WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
		now, store.ClaimPurgeBatch); err != nil {
		return false, s.fail(op, err)
	}
	var taken string
	err := s.pool.QueryRow(ctx, `INSERT INTO claims AS c (key, expires_at) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
		WHERE c.expires_at <= $3
		RETURNING key`, key, millis(now.Add(ttl)), now).Scan(&taken)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, s.fail(op, err)
	}
	return true, nil
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
	var held bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM claims WHERE key = $1 AND expires_at > $2)",
		key, millis(s.opts.Clock())).Scan(&held)
	if err != nil {
		return false, s.fail(op, err)
	}
	return held, nil
}
