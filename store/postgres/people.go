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

// PersonWorkspaces implements store.People.
func (s *Store) PersonWorkspaces(ctx context.Context, platform, user string) ([]store.PersonWorkspace, error) {
	const op = "list a person's workspaces"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	// A read: an id too long for any record finds none.
	if err := rules.ValidatePersonKey(platform, "", user); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// The delivery status is written out, not a parameter, so that the
	// planner may use the partial index of sent deliveries. The person's
	// events are found through events_user_time: an index of their own
	// would slow every event written for a look-up that only a direct
	// message naming no workspace makes.
	rows, err := s.pool.Query(ctx, `SELECT workspace, max(sent) AS last_sent FROM (
			SELECT workspace, 0 AS sent FROM enrolments WHERE platform = $1 AND user_id = $2
			UNION ALL SELECT workspace, max(sent_at) FROM deliveries
				WHERE platform = $1 AND user_id = $2 AND status = 'sent' GROUP BY workspace
			UNION ALL SELECT workspace, 0 FROM nudge_preferences WHERE platform = $1 AND user_id = $2
			UNION ALL SELECT workspace, 0 FROM peer_profiles WHERE platform = $1 AND user_id = $2 AND workspace <> ''
			UNION ALL SELECT workspace, 0 FROM peer_requests WHERE platform = $1 AND asker = $2 AND workspace <> ''
			UNION ALL SELECT workspace, 0 FROM peer_requests WHERE platform = $1 AND expert = $2 AND workspace <> ''
			UNION ALL SELECT workspace, 0 FROM events WHERE user_id = $2 AND platform = $1 AND workspace <> '' GROUP BY workspace
		) AS records GROUP BY workspace ORDER BY last_sent DESC, workspace`,
		platform, user)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.PersonWorkspace
	for rows.Next() {
		var w store.PersonWorkspace
		var sent int64
		if err := rows.Scan(&w.Workspace, &sent); err != nil {
			return nil, s.fail(op, err)
		}
		w.LastSent = fromMS(sent)
		out = append(out, w)
	}
	return out, s.failIf(op, rows.Err())
}
