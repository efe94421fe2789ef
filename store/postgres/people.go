package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

// SavePerson creates or replaces the record of p's key.
func (s *Store) SavePerson(ctx context.Context, p store.Person) error {
	const op = "save person"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidatePerson(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.opts.Clock()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO people (platform, workspace, user_id, time_zone, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (platform, workspace, user_id) DO UPDATE SET
			time_zone = excluded.time_zone, updated_at = excluded.updated_at`,
		p.Platform, p.Workspace, p.User, p.TimeZone, millis(p.UpdatedAt))
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
	err := s.pool.QueryRow(ctx, `SELECT time_zone, updated_at FROM people
		WHERE platform = $1 AND workspace = $2 AND user_id = $3`, platform, workspace, user).Scan(&p.TimeZone, &p.UpdatedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Person{}, fmt.Errorf("%s %s/%s/%s: %w", op, platform, workspace, user, store.ErrNotFound)
	case err != nil:
		return store.Person{}, s.fail(op, err)
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, nil
}
