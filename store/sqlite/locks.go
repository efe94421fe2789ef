package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lorehq/lore/store"
)

// TryLock takes the named lease for owner if it is free, expired or
// already owner's (which extends it), in an immediate transaction so that
// two processes cannot both see it free.
// Otherwise it returns an error wrapping store.ErrLocked that names the
// holder and when the lease ends. Expiry is judged by the store's clock.
//
// The release func deletes the lease only while it is still this one (same
// owner and expiry), so a holder that outlived its ttl cannot release a
// lease someone else has since taken. Releasing twice is harmless.
func (s *Store) TryLock(ctx context.Context, name, owner string, ttl time.Duration) (func(context.Context) error, error) {
	op := fmt.Sprintf("take lock %s", store.QuoteID(name))
	if err := s.writable(op); err != nil {
		return nil, err
	}
	if err := rules.ValidateLock(name, owner, ttl); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	now := s.opts.Clock()
	expires := now.Add(ttl).UnixMilli()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			holder string
			until  int64
		)
		err := tx.QueryRowContext(ctx, "SELECT owner, expires_at FROM locks WHERE name = ?", name).Scan(&holder, &until)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case until > now.UnixMilli() && holder != owner:
			return store.LockHeld(name, holder, time.UnixMilli(until))
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
			name, owner, expires)
		return err
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
		_, err := s.wdb.ExecContext(ctx, "DELETE FROM locks WHERE name = ? AND owner = ? AND expires_at = ?",
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
	if err := s.writable(op); err != nil {
		return err
	}
	if _, err := s.wdb.ExecContext(ctx, "DELETE FROM locks WHERE name = ? AND owner = ?", name, holder); err != nil {
		return s.fail(op, err)
	}
	return nil
}
