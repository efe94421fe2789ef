package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

// deliveryBeingSent returns store.ErrDeliveryBeingSent while an attempt
// holds a delivery to user under a lease running by the store's clock:
// forgetting them then would let the attempt's message reach them after
// the forget.
// The caller holds the person's lock (lockLearner).
func (s *Store) deliveryBeingSent(ctx context.Context, tx pgx.Tx, user string) error {
	var busy bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM deliveries WHERE user_id = $1 AND status = $2 AND lease_until > $3)`,
		user, store.DeliverySending, ms(s.opts.Clock())).Scan(&busy)
	if err == nil && busy {
		return store.ErrDeliveryBeingSent
	}
	return err
}

// forgetPerson deletes, on every platform and workspace, what people,
// peers and nudges keep about user, and the background jobs that name
// them, as the SQLite store does (see there).
func (s *Store) forgetPerson(ctx context.Context, tx pgx.Tx, user string) error {
	for _, q := range []string{
		`DELETE FROM people WHERE user_id = $1`,
		`DELETE FROM peer_profiles WHERE user_id = $1`,
		`DELETE FROM peer_requests WHERE asker = $1 OR expert = $1`,
		`DELETE FROM enrolments WHERE user_id = $1`,
		`DELETE FROM nudge_preferences WHERE user_id = $1`,
		`DELETE FROM card_states WHERE user_id = $1`,
		`DELETE FROM deliveries WHERE user_id = $1`,
		`DELETE FROM answers WHERE user_id = $1`,
	} {
		if _, err := tx.Exec(ctx, q, user); err != nil {
			return err
		}
	}
	if err := forgetInRounds(ctx, tx, user, "true"); err != nil {
		return err
	}
	return s.forgetJobs(ctx, tx, user)
}

// forgetJobs removes user from River's job table in the store's schema,
// where store/queue puts it ('lore migrate'), as the SQLite store does
// (see there); without one there is nothing to do. The containment test
// uses River's index on args.
func (s *Store) forgetJobs(ctx context.Context, tx pgx.Tx, user string) error {
	table := pgx.Identifier{s.schema, "river_job"}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, table).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return nil
	}
	named := `args @> jsonb_build_object('user', $1::text)`
	if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+named+` AND state <> 'running'`, user); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE `+table+` SET args = jsonb_set(args, '{user}', '""') WHERE `+named+` AND state = 'running'`, user)
	return err
}
