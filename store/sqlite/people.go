package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lorehq/lore/store"
)

// SavePerson creates or replaces the record of p's key.
func (s *Store) SavePerson(ctx context.Context, p store.Person) error {
	const op = "save person"
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidatePerson(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.opts.Clock()
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO people (platform, workspace, user_id, time_zone, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (platform, workspace, user_id) DO UPDATE SET
			time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
		p.Platform, p.Workspace, p.User, p.TimeZone, p.UpdatedAt.UnixMilli())
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// Person returns one person's record.
func (s *Store) Person(ctx context.Context, platform, workspace, user string) (store.Person, error) {
	const op = "load person"
	if err := s.usable(op); err != nil {
		return store.Person{}, err
	}
	if err := rules.ValidatePersonKey(platform, workspace, user); err != nil {
		return store.Person{}, fmt.Errorf("%s: %w", op, err)
	}
	p := store.Person{Platform: platform, Workspace: workspace, User: user}
	var updated int64
	err := s.rdb.QueryRowContext(ctx, `SELECT time_zone, updated_at FROM people
		WHERE platform = ? AND workspace = ? AND user_id = ?`, platform, workspace, user).Scan(&p.TimeZone, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Person{}, fmt.Errorf("%s %s/%s/%s: %w", op, platform, workspace, user, store.ErrNotFound)
	case err != nil:
		return store.Person{}, s.fail(op, err)
	}
	p.UpdatedAt = time.UnixMilli(updated).UTC()
	return p, nil
}
