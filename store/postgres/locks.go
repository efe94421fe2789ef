package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

// TryLock takes the named lease for owner if it is free, expired or
// already owner's (which extends it). One conditional upsert decides, so
// two processes cannot both see the lease free; when it does not take the
// lease, it has locked the holder's row, so the holder read next is the
// one that refused it. The error then wraps store.ErrLocked and names the
// holder and when the lease ends. Expiry is judged by the store's clock,
// not the database server's, as in the SQLite store.
//
// The release func deletes the lease only while it is still this one (same
// owner and expiry), so a holder that outlived its ttl cannot release a
// lease someone else has since taken. Releasing twice is harmless.
func (s *Store) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (func(context.Context) error, error) {
	op := fmt.Sprintf("take lock %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := rules.ValidateLock(name, owner, ttl); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	now := millis(s.opts.Clock())
	expires := millis(now.Add(ttl))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var taken string
		err := tx.QueryRow(ctx, `INSERT INTO locks AS l (name, owner, expires_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
			WHERE l.expires_at <= $4 OR l.owner = excluded.owner
			RETURNING owner`, name, owner, expires, now).Scan(&taken)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var (
			holder string
			until  time.Time
		)
		if err := tx.QueryRow(ctx, "SELECT owner, expires_at FROM locks WHERE name = $1", name).Scan(&holder, &until); err != nil {
			return err
		}
		return store.LockHeld(name, holder, until)
	})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, err
		}
		return nil, s.fail(op, err)
	}

	release := func(ctx context.Context) error {
		op := fmt.Sprintf("release lock %s", store.QuoteID(name))
		if err := s.usable(op); err != nil {
			return err
		}
		_, err := s.pool.Exec(ctx, "DELETE FROM locks WHERE name = $1 AND owner = $2 AND expires_at = $3",
			name, owner, expires)
		if err != nil {
			return s.fail(op, err)
		}
		return nil
	}
	return release, nil
}

// BreakLock removes the named lease if holder still has it.
func (s *Store) BreakLock(ctx context.Context, name, holder string) error {
	op := fmt.Sprintf("break lock %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM locks WHERE name = $1 AND owner = $2", name, holder); err != nil {
		return s.fail(op, err)
	}
	return nil
}
