package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/lorehq/lore/store"
)

var _ store.Engagement = (*Store)(nil)

const dayMS = int64(24 * time.Hour / time.Millisecond)

// AddStatements stores ss and queues them in the outbox, in one
// transaction; ids already stored are ignored.
func (s *Store) AddStatements(ctx context.Context, ss []store.Statement) error {
	const op = "add statements"
	if err := s.writable(op); err != nil {
		return err
	}
	for _, st := range ss {
		if err := rules.ValidateStatement(st); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, `INSERT INTO statements (id, time, user_id, voids, json)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`)
		if err != nil {
			return err
		}
		defer ins.Close()
		queue, err := tx.PrepareContext(ctx, `INSERT INTO statement_outbox (seq, id) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer queue.Close()
		for _, st := range ss {
			t := st.Time
			if t.IsZero() {
				t = s.opts.Clock()
			}
			var seq int64
			err := ins.QueryRowContext(ctx, st.ID, t.UnixMilli(), st.User, st.Voids, string(st.JSON)).Scan(&seq)
			if err == sql.ErrNoRows {
				continue // already stored: immutable
			}
			if err != nil {
				return err
			}
			if _, err := queue.ExecContext(ctx, seq, st.ID); err != nil {
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

// Statements returns the statements matching f, oldest first.
func (s *Store) Statements(ctx context.Context, f store.StatementFilter) ([]store.Statement, error) {
	const op = "list statements"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if f.Limit < 0 {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("negative limit %d", f.Limit))
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if !f.Since.IsZero() {
		add("time >= ?", f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add("time < ?", f.Until.UnixMilli())
	}
	if f.User != "" {
		add("user_id = ?", f.User)
	}
	if f.After != "" {
		add("(time, seq) > (SELECT time, seq FROM statements WHERE id = ?)", f.After)
	}
	q := "SELECT id, time, user_id, voids, json FROM statements"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY time, seq"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	return s.queryStatements(ctx, op, q, args...)
}

func (s *Store) queryStatements(ctx context.Context, op, q string, args ...any) ([]store.Statement, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Statement
	for rows.Next() {
		var (
			st   store.Statement
			ms   int64
			body string
		)
		if err := rows.Scan(&st.ID, &ms, &st.User, &st.Voids, &body); err != nil {
			return nil, s.fail(op, err)
		}
		st.Time = time.UnixMilli(ms).UTC()
		st.JSON = []byte(body)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// PendingStatements returns up to limit statements of the outbox, oldest
// first.
func (s *Store) PendingStatements(ctx context.Context, limit int) ([]store.Statement, error) {
	const op = "list pending statements"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("limit %d is not positive", limit))
	}
	return s.queryStatements(ctx, op, `SELECT s.id, s.time, s.user_id, s.voids, s.json
		FROM statement_outbox o JOIN statements s ON s.seq = o.seq ORDER BY o.seq LIMIT ?`, limit)
}

// MarkForwarded removes ids from the outbox.
func (s *Store) MarkForwarded(ctx context.Context, ids []string) error {
	const op = "mark statements forwarded"
	if err := s.writable(op); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(ids); start += 500 {
			batch := ids[start:min(start+500, len(ids))]
			args := make([]any, len(batch))
			for i, id := range batch {
				args[i] = id
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM statement_outbox WHERE id IN ("+placeholders(len(batch))+")", args...); err != nil {
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

// ForwardedIDs returns ids of user's forwarded statements that retention
// deleted, in id order.
func (s *Store) ForwardedIDs(ctx context.Context, user, after string, limit int) ([]string, error) {
	const op = "list forwarded statement ids"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := store.ValidateForwardedIDs(user, limit); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM forwarded_ids WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?`, user, after, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	ids, err := scanIDs(rows)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return ids, nil
}

// scanIDs reads a column of ids and closes rows.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SetOptOut records user's analytics choice.
func (s *Store) SetOptOut(ctx context.Context, user string, optOut bool) error {
	const op = "set analytics opt-out"
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateOptOut(user, optOut); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var err error
	if optOut {
		_, err = s.wdb.ExecContext(ctx, `INSERT INTO analytics_opt_outs (user_id, since) VALUES (?, ?)
			ON CONFLICT (user_id) DO NOTHING`, user, s.opts.Clock().UnixMilli())
	} else {
		_, err = s.wdb.ExecContext(ctx, `DELETE FROM analytics_opt_outs WHERE user_id = ?`, user)
	}
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// OptedOut reports whether user has opted out of analytics.
func (s *Store) OptedOut(ctx context.Context, user string) (bool, error) {
	const op = "read analytics opt-out"
	if err := s.usable(op); err != nil {
		return false, err
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM analytics_opt_outs WHERE user_id = ?`, user).Scan(&n); err != nil {
		return false, s.fail(op, err)
	}
	return n > 0, nil
}

// Forget removes user's statements and deletes or anonymises their events;
// a full forget also deletes the rest of what Lore keeps about them
// (forgetPerson) and replaces them in the audit log. All in one
// transaction, which a full forget starts again, for up to
// store.ForgetWaitForDelivery, while a nudge is being sent to the person.
func (s *Store) Forget(ctx context.Context, user string, keepCounts bool) (store.ForgetResult, error) {
	const op = "forget user"
	var res store.ForgetResult
	if err := s.writable(op); err != nil {
		return res, err
	}
	if user == "" {
		return res, fmt.Errorf("%s: %w", op, store.Invalid("user is empty"))
	}
	forget := func(tx *sql.Tx) error {
		// Every statement is listed for voiding, forwarded or not: one
		// still in the outbox may be in a batch the forwarder is posting.
		// Then those retention deleted after forwarding, but for one
		// stored again since.
		for _, q := range []string{
			`SELECT id FROM statements WHERE user_id = ? ORDER BY seq`,
			`SELECT id FROM forwarded_ids f WHERE user_id = ?
			 AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.id = f.id) ORDER BY id`,
		} {
			rows, err := tx.QueryContext(ctx, q, user)
			if err != nil {
				return err
			}
			ids, err := scanIDs(rows)
			if err != nil {
				return err
			}
			res.Statements = append(res.Statements, ids...)
		}
		for _, q := range []string{
			`DELETE FROM statement_outbox WHERE seq IN (SELECT seq FROM statements WHERE user_id = ?)`,
			`DELETE FROM statements WHERE user_id = ?`,
			`DELETE FROM forwarded_ids WHERE user_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, user); err != nil {
				return err
			}
		}
		var (
			r   sql.Result
			err error
		)
		if keepCounts {
			r, err = tx.ExecContext(ctx, `UPDATE events SET user_id = '', thread = '', question = '' WHERE user_id = ?`, user)
		} else {
			r, err = tx.ExecContext(ctx, `DELETE FROM events WHERE user_id = ?`, user)
			if err == nil {
				_, err = tx.ExecContext(ctx, `DELETE FROM analytics_opt_outs WHERE user_id = ?`, user)
			}
			if err == nil {
				res.Pseudonym = store.NewPseudonym()
				err = forgetInAudit(ctx, tx, user, res.Pseudonym)
			}
			if err == nil {
				err = forgetPerson(ctx, tx, user)
			}
		}
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		res.Events = int(n)
		return err
	}
	err := store.RetryForget(ctx, func(check bool) error {
		res = store.ForgetResult{}
		return s.inTx(ctx, func(tx *sql.Tx) error {
			if !keepCounts && check {
				if err := deliveryBeingSent(ctx, tx, user, s.opts.Clock()); err != nil {
					return err
				}
			}
			return forget(tx)
		})
	})
	if err != nil {
		return store.ForgetResult{}, s.fail(op, err)
	}
	return res, nil
}

// Compact folds the events of the whole UTC days before before into
// rollups and deletes them.
func (s *Store) Compact(ctx context.Context, before time.Time) (int, error) {
	const op = "compact events"
	if err := s.writable(op); err != nil {
		return 0, err
	}
	cut := store.CeilDay(before).UnixMilli()
	// Distinct people per day overall, per platform, per channel and per
	// both: counts of people cannot be added up across groups later.
	var people []string
	for _, g := range []struct{ byPlatform, byChannel bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		platform, channel := "''", "''"
		if g.byPlatform {
			platform = "platform"
		}
		if g.byChannel {
			channel = "channel"
		}
		people = append(people, fmt.Sprintf(`INSERT INTO rollup_people (day, by_platform, by_channel, platform, channel, users)
			 SELECT (time / ?) * ?, %d, %d, %s, %s, count(DISTINCT NULLIF(user_id, ''))
			 FROM events WHERE time < ? GROUP BY 1, 4, 5
			 ON CONFLICT (day, by_platform, by_channel, platform, channel) DO UPDATE
			 SET users = max(users, excluded.users)`, boolInt(g.byPlatform), boolInt(g.byChannel), platform, channel))
	}
	var deleted int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// A day folded again (events recorded for it since) adds its
		// events; its people may overlap those already counted, so the
		// larger count is kept rather than the sum.
		for _, q := range append([]string{
			`INSERT INTO event_rollups (day, kind, platform, channel, events, users)
			 SELECT (time / ?) * ?, kind, platform, channel, count(*), count(DISTINCT NULLIF(user_id, ''))
			 FROM events WHERE time < ? GROUP BY 1, 2, 3, 4
			 ON CONFLICT (day, kind, platform, channel) DO UPDATE
			 SET events = events + excluded.events, users = max(users, excluded.users)`,
			`INSERT INTO event_rollups (day, kind, platform, channel, events, users)
			 SELECT (time / ?) * ?, '', platform, channel, count(*), count(DISTINCT NULLIF(user_id, ''))
			 FROM events WHERE time < ? GROUP BY 1, 3, 4
			 ON CONFLICT (day, kind, platform, channel) DO UPDATE
			 SET events = events + excluded.events, users = max(users, excluded.users)`,
		}, people...) {
			if _, err := tx.ExecContext(ctx, q, dayMS, dayMS, cut); err != nil {
				return err
			}
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE time < ?`, cut)
		if err != nil {
			return err
		}
		if deleted, err = r.RowsAffected(); err != nil {
			return err
		}
		// An LRS may hold a forwarded statement for good: its id stays,
		// with its person's, for forgetting them to void it there.
		// Voiding statements are about no one and need no voiding.
		if _, err := tx.ExecContext(ctx, `INSERT INTO forwarded_ids (id, user_id)
			SELECT id, user_id FROM statements WHERE time < ? AND user_id <> ''
			AND NOT EXISTS (SELECT 1 FROM statement_outbox o WHERE o.seq = statements.seq)
			ON CONFLICT (id) DO NOTHING`, cut); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM statements WHERE time < ?
			AND NOT EXISTS (SELECT 1 FROM statement_outbox o WHERE o.seq = statements.seq)`, cut)
		return err
	})
	if err != nil {
		return 0, s.fail(op, err)
	}
	return int(deleted), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Rollups returns the rollups of days in [since, until).
func (s *Store) Rollups(ctx context.Context, since, until time.Time) ([]store.Rollup, error) {
	const op = "list rollups"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT day, kind, platform, channel, events, users FROM event_rollups
		WHERE day >= ? AND day < ? ORDER BY day, kind, platform, channel`, store.Day(since).UnixMilli(), until.UnixMilli())
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Rollup
	for rows.Next() {
		var (
			r   store.Rollup
			day int64
		)
		if err := rows.Scan(&day, &r.Kind, &r.Platform, &r.Channel, &r.Events, &r.Users); err != nil {
			return nil, s.fail(op, err)
		}
		r.Day = time.UnixMilli(day).UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// DailyActivity counts questions and active people per UTC day.
func (s *Store) DailyActivity(ctx context.Context, f store.ActivityFilter) ([]store.DayActivity, error) {
	const op = "count daily activity"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	since, until := store.Day(f.Since).UnixMilli(), f.Until.UnixMilli()
	cond, args := "", []any{}
	if f.Platform != "" {
		cond += " AND platform = ?"
		args = append(args, f.Platform)
	}
	if f.Channel != "" {
		cond += " AND channel = ?"
		args = append(args, f.Channel)
	}
	// Whole days come from activity_days, kept by triggers as events are
	// written; a last day cut short by until (a leader's local midnight)
	// is counted from its raw events; days that retention folded away from
	// event_rollups (questions) and rollup_people (people). A folded day
	// can also have raw events recorded since it was folded: its questions
	// add up, but its people may be the same, so the larger count is
	// taken, never the sum.
	full := store.Day(f.Until).UnixMilli()
	if full < since {
		full = since
	}
	q := `SELECT day, sum(questions), max(active) FROM (
		SELECT day, sum(questions) AS questions, count(DISTINCT NULLIF(user_id, '')) AS active
		FROM activity_days WHERE day >= ? AND day < ?` + cond + ` GROUP BY day
		UNION ALL
		SELECT (time / ?) * ? AS day, sum(kind = 'question') AS questions, count(DISTINCT NULLIF(user_id, '')) AS active
		FROM events WHERE time >= ? AND time < ?` + cond + ` GROUP BY 1
		UNION ALL
		SELECT day, sum(events), 0
		FROM event_rollups WHERE kind = 'question' AND day >= ? AND day < ?` + cond + ` GROUP BY 1
		UNION ALL
		SELECT day, 0, users
		FROM rollup_people WHERE day >= ? AND day < ?
		  AND by_platform = ? AND by_channel = ? AND platform = ? AND channel = ?
	) GROUP BY day ORDER BY day`
	all := append([]any{since, full}, args...)
	all = append(all, dayMS, dayMS, full, until)
	all = append(all, args...)
	all = append(all, since, until)
	all = append(all, args...)
	all = append(all, since, until, f.Platform != "", f.Channel != "", f.Platform, f.Channel)
	rows, err := s.rdb.QueryContext(ctx, q, all...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.DayActivity
	for rows.Next() {
		var (
			d   store.DayActivity
			day int64
		)
		if err := rows.Scan(&day, &d.Questions, &d.Active); err != nil {
			return nil, s.fail(op, err)
		}
		d.Day = time.UnixMilli(day).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// AllDocuments lists every document, by id.
func (s *Store) AllDocuments(ctx context.Context) ([]store.Document, error) {
	const op = "list documents"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	return s.listDocuments(ctx, op, `ORDER BY id`)
}

// RecordEvents appends events in one transaction through one prepared
// statement.
func (s *Store) RecordEvents(ctx context.Context, events []store.Event) error {
	const op = "record events"
	if err := s.writable(op); err != nil {
		return err
	}
	now := s.opts.Clock()
	for i := range events {
		if err := rules.ValidateEvent(events[i]); err != nil {
			return fmt.Errorf("%s: event %d: %w", op, i, err)
		}
		if events[i].Time.IsZero() {
			events[i].Time = now
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, eventInsertSQL)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, e := range events {
			if _, err := ins.ExecContext(ctx, eventArgs(e)...); err != nil {
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
