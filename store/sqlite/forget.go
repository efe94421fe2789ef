package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/lorehq/lore/store"
)

// deliveryBeingSent returns store.ErrDeliveryBeingSent while an attempt
// holds a delivery to user under a lease running at now: forgetting them then
// would let the attempt's message reach them after the forget. Run in the
// forget's transaction, which holds the write lock every claim and
// completion needs, so no delivery is claimed or recorded between this
// check and the deletes.
func deliveryBeingSent(ctx context.Context, tx *sql.Tx, user string, now time.Time) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE user_id = ? AND status = ? AND lease_until > ?`,
		user, store.DeliverySending, ms(now)).Scan(&n)
	if err == nil && n > 0 {
		return store.ErrDeliveryBeingSent
	}
	return err
}

// forgetPerson deletes, on every platform and workspace, what people,
// peers and nudges keep about user, and the background jobs that name
// them: the part of a full Forget beyond events, statements and the audit
// log. store.Engagement.Forget lists what it covers and what it leaves.
func forgetPerson(ctx context.Context, tx *sql.Tx, user string) error {
	for _, q := range []string{
		`DELETE FROM people WHERE user_id = ?1`,
		`DELETE FROM peer_profiles WHERE user_id = ?1`,
		`DELETE FROM peer_requests WHERE asker = ?1 OR expert = ?1`,
		`DELETE FROM enrolments WHERE user_id = ?1`,
		`DELETE FROM nudge_preferences WHERE user_id = ?1`,
		`DELETE FROM card_states WHERE user_id = ?1`,
		`DELETE FROM deliveries WHERE user_id = ?1`,
		`DELETE FROM answers WHERE user_id = ?1`,
	} {
		if _, err := tx.ExecContext(ctx, q, user); err != nil {
			return err
		}
	}
	if err := forgetInRounds(ctx, tx, user, "true"); err != nil {
		return err
	}
	return forgetJobs(ctx, tx, user)
}

// forgetJobs removes user from River's job table, which shares the
// database file (store/queue.OpenSQLite) once a job queue has run on it;
// without one there is nothing to do. A job about a person names them in
// a top-level "user" argument (nudges.DeliverArgs). Jobs in any state but
// running are deleted: a planned nudge must not reach a forgotten person,
// and a finished job must not keep their id until River's cleaner removes
// it a day or a week later. A running job is River's to finish; its
// arguments lose the id, so that a retry has no one to send to and its
// finished row names no one.
func forgetJobs(ctx context.Context, tx *sql.Tx, user string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'river_job'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM river_job WHERE args ->> '$.user' = ? AND state <> 'running'`, user); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE river_job SET args = jsonb_set(args, '$.user', '') WHERE args ->> '$.user' = ? AND state = 'running'`, user)
	return err
}
