package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

var _ store.Engagement = (*Store)(nil)

// AddStatements stores ss and queues them in the outbox, in one
// transaction; ids already stored are ignored.
func (s *Store) AddStatements(ctx context.Context, ss []store.Statement) error {
	const op = "add statements"
	if err := s.usable(op); err != nil {
		return err
	}
	if len(ss) == 0 {
		return nil
	}
	ids := make([]string, len(ss))
	times := make([]time.Time, len(ss))
	users := make([]string, len(ss))
	voids := make([]string, len(ss))
	bodies := make([]string, len(ss))
	for i, st := range ss {
		if err := rules.ValidateStatement(st); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		t := st.Time
		if t.IsZero() {
			t = s.opts.Clock()
		}
		ids[i], times[i], users[i], voids[i], bodies[i] = st.ID, millis(t), st.User, st.Voids, string(st.JSON)
	}
	// One statement for the batch; WITH ORDINALITY keeps the caller's
	// order in seq, which is the outbox's order.
	_, err := s.pool.Exec(ctx, `WITH added AS (
			INSERT INTO statements (id, time, user_id, voids, json)
			SELECT id, time, user_id, voids, json
			FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])
			     WITH ORDINALITY AS u (id, time, user_id, voids, json, n)
			ORDER BY n
			ON CONFLICT (id) DO NOTHING
			RETURNING seq, id
		)
		INSERT INTO statement_outbox (seq, id) SELECT seq, id FROM added`,
		ids, times, users, voids, bodies)
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
	for _, v := range []string{f.User, f.After} {
		if rules.CheckText("filter", v) != nil {
			return nil, nil
		}
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if !f.Since.IsZero() {
		add("time >= $?", millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < $?", millis(f.Until))
	}
	if f.User != "" {
		add("user_id = $?", f.User)
	}
	if f.After != "" {
		add("(time, seq) > (SELECT time, seq FROM statements WHERE id = $?)", f.After)
	}
	q := "SELECT id, time, user_id, voids, json FROM statements"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY time, seq"
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	return s.queryStatements(ctx, op, q, args...)
}

func (s *Store) queryStatements(ctx context.Context, op, q string, args ...any) ([]store.Statement, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Statement, error) {
		var (
			st   store.Statement
			body string
		)
		err := row.Scan(&st.ID, &st.Time, &st.User, &st.Voids, &body)
		st.Time = st.Time.UTC()
		st.JSON = []byte(body)
		return st, err
	})
	if err != nil {
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
		FROM statement_outbox o JOIN statements s ON s.seq = o.seq ORDER BY o.seq LIMIT $1`, limit)
}

// MarkForwarded removes ids from the outbox.
func (s *Store) MarkForwarded(ctx context.Context, ids []string) error {
	const op = "mark statements forwarded"
	if err := s.usable(op); err != nil {
		return err
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM statement_outbox WHERE id = ANY ($1)`, validTexts(ids)); err != nil {
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
	if rules.CheckText("user", user) != nil || rules.CheckText("after", after) != nil {
		// Text PostgreSQL cannot hold was never stored.
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM forwarded_ids WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`, user, after, limit)
	if err != nil {
		return nil, s.fail(op, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail(op, err)
	}
	return ids, nil
}

// validTexts drops the strings PostgreSQL cannot hold; none can name a
// stored row.
func validTexts(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, v := range ss {
		if rules.CheckText("id", v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// SetOptOut records user's analytics choice.
func (s *Store) SetOptOut(ctx context.Context, user string, optOut bool) error {
	const op = "set analytics opt-out"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateOptOut(user, optOut); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var err error
	if optOut {
		_, err = s.pool.Exec(ctx, `INSERT INTO analytics_opt_outs (user_id, since) VALUES ($1, $2)
			ON CONFLICT (user_id) DO NOTHING`, user, millis(s.opts.Clock()))
	} else {
		_, err = s.pool.Exec(ctx, `DELETE FROM analytics_opt_outs WHERE user_id = $1`, user)
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
	if rules.CheckText("user", user) != nil {
		return false, nil
	}
	var out bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM analytics_opt_outs WHERE user_id = $1)`, user).Scan(&out); err != nil {
		return false, s.fail(op, err)
	}
	return out, nil
}

// Forget removes user's statements and deletes or anonymises their events;
// a full forget also deletes the rest of what Lore keeps about them
// (forgetPerson) and replaces them in the audit log. All in one
// transaction, which a full forget starts again, for up to
// store.ForgetWaitForDelivery, while a nudge is being sent to the person.
func (s *Store) Forget(ctx context.Context, user string, keepCounts bool) (store.ForgetResult, error) {
	const op = "forget user"
	var res store.ForgetResult
	if err := s.usable(op); err != nil {
		return res, err
	}
	if user == "" {
		return res, fmt.Errorf("%s: %w", op, store.Invalid("user is empty"))
	}
	if err := rules.CheckText("user", user); err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	forget := func(tx pgx.Tx) error {
		// Every statement is listed for voiding, forwarded or not: one
		// still in the outbox may be in a batch the forwarder is posting.
		// Then those retention deleted after forwarding, but for one
		// stored again since.
		for _, q := range []string{
			`SELECT id FROM statements WHERE user_id = $1 ORDER BY seq`,
			`SELECT id FROM forwarded_ids f WHERE user_id = $1
			 AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.id = f.id) ORDER BY id`,
		} {
			rows, err := tx.Query(ctx, q, user)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			res.Statements = append(res.Statements, ids...)
		}
		for _, q := range []string{
			`DELETE FROM statement_outbox WHERE seq IN (SELECT seq FROM statements WHERE user_id = $1)`,
			`DELETE FROM statements WHERE user_id = $1`,
			`DELETE FROM forwarded_ids WHERE user_id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, user); err != nil {
				return err
			}
		}
		q := `DELETE FROM events WHERE user_id = $1`
		if keepCounts {
			q = `UPDATE events SET user_id = '', thread = '', question = '' WHERE user_id = $1`
		}
		tag, err := tx.Exec(ctx, q, user)
		if err != nil {
			return err
		}
		res.Events = int(tag.RowsAffected())
		if !keepCounts {
			if _, err = tx.Exec(ctx, `DELETE FROM analytics_opt_outs WHERE user_id = $1`, user); err != nil {
				return err
			}
			res.Pseudonym = store.NewPseudonym()
			if err = forgetInAudit(ctx, tx, user, res.Pseudonym); err == nil {
				err = s.forgetPerson(ctx, tx, user)
			}
		}
		return err
	}
	err := store.RetryForget(ctx, func(check bool) error {
		res = store.ForgetResult{}
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if !keepCounts {
				// Taken first, so that no delivery to the person is
				// claimed or recorded between the check and the deletes.
				if err := s.lockLearner(ctx, tx, user); err != nil {
					return err
				}
				if check {
					if err := s.deliveryBeingSent(ctx, tx, user); err != nil {
						return err
					}
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
	if err := s.usable(op); err != nil {
		return 0, err
	}
	cut := millis(store.CeilDay(before))
	var deleted int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// A day folded again (events recorded for it since) adds its
		// events; its people may overlap those already counted, so the
		// larger count is kept rather than the sum. rollup_people keeps
		// the distinct people per day overall, per platform, per channel
		// and per both: counts of people cannot be added up later.
		for _, q := range []string{
			`INSERT INTO event_rollups AS r (day, kind, platform, channel, events, users)
			 SELECT (time AT TIME ZONE 'UTC')::date, kind, platform, channel, count(*), count(DISTINCT NULLIF(user_id, ''))
			 FROM events WHERE time < $1 GROUP BY 1, 2, 3, 4
			 ON CONFLICT (day, kind, platform, channel) DO UPDATE
			 SET events = r.events + excluded.events, users = greatest(r.users, excluded.users)`,
			`INSERT INTO event_rollups AS r (day, kind, platform, channel, events, users)
			 SELECT (time AT TIME ZONE 'UTC')::date, '', platform, channel, count(*), count(DISTINCT NULLIF(user_id, ''))
			 FROM events WHERE time < $1 GROUP BY 1, 3, 4
			 ON CONFLICT (day, kind, platform, channel) DO UPDATE
			 SET events = r.events + excluded.events, users = greatest(r.users, excluded.users)`,
			`INSERT INTO rollup_people AS r (day, by_platform, by_channel, platform, channel, users)
			 SELECT day, GROUPING(platform) = 0, GROUPING(channel) = 0,
			        CASE WHEN GROUPING(platform) = 0 THEN platform ELSE '' END,
			        CASE WHEN GROUPING(channel) = 0 THEN channel ELSE '' END,
			        count(DISTINCT NULLIF(user_id, ''))
			 FROM (SELECT (time AT TIME ZONE 'UTC')::date AS day, platform, channel, user_id FROM events WHERE time < $1) e
			 GROUP BY GROUPING SETS ((day), (day, platform), (day, channel), (day, platform, channel))
			 ON CONFLICT (day, by_platform, by_channel, platform, channel) DO UPDATE
			 SET users = greatest(r.users, excluded.users)`,
		} {
			if _, err := tx.Exec(ctx, q, cut); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM events WHERE time < $1`, cut)
		if err != nil {
			return err
		}
		deleted = tag.RowsAffected()
		// An LRS may hold a forwarded statement for good: its id stays,
		// with its person's, for forgetting them to void it there.
		// Voiding statements are about no one and need no voiding.
		_, err = tx.Exec(ctx, `WITH gone AS (
				DELETE FROM statements s WHERE s.time < $1
				AND NOT EXISTS (SELECT 1 FROM statement_outbox o WHERE o.seq = s.seq)
				RETURNING id, user_id
			)
			INSERT INTO forwarded_ids (id, user_id) SELECT id, user_id FROM gone WHERE user_id <> ''
			ON CONFLICT (id) DO NOTHING`, cut)
		return err
	})
	if err != nil {
		return 0, s.fail(op, err)
	}
	return int(deleted), nil
}

// Rollups returns the rollups of days in [since, until).
func (s *Store) Rollups(ctx context.Context, since, until time.Time) ([]store.Rollup, error) {
	const op = "list rollups"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT day::timestamp AT TIME ZONE 'UTC', kind, platform, channel, events, users
		FROM event_rollups WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day::timestamp AT TIME ZONE 'UTC' < $2
		ORDER BY day, kind, platform, channel`, since, until)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Rollup, error) {
		var r store.Rollup
		err := row.Scan(&r.Day, &r.Kind, &r.Platform, &r.Channel, &r.Events, &r.Users)
		r.Day = r.Day.UTC()
		return r, err
	})
	if err != nil {
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
	for _, v := range []string{f.Platform, f.Channel} {
		if rules.CheckText("filter", v) != nil {
			return nil, nil
		}
	}
	// JIT compilation of this aggregate costs seconds and saves
	// nothing, so it is turned off for the statement's transaction.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
		return nil, s.fail(op, err)
	}
	// Whole days come from activity_days, kept by triggers as events are
	// written; a last day cut short by until (a leader's local midnight)
	// is counted from its raw events; days that retention folded away from
	// event_rollups (questions) and rollup_people (people). A folded day
	// can also have raw events recorded since it was folded: its questions
	// add up, but its people may be the same, so the larger count is
	// taken, never the sum.
	since, full := store.Day(f.Since), store.Day(f.Until)
	if full.Before(since) {
		full = since
	}
	rows, err := tx.Query(ctx, `SELECT day::timestamp AT TIME ZONE 'UTC', sum(questions)::bigint, max(active)::bigint FROM (
			SELECT day, sum(questions) AS questions, count(DISTINCT NULLIF(user_id, '')) AS active
			FROM activity_days
			WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day < ($5::timestamptz AT TIME ZONE 'UTC')::date
			  AND ($3 = '' OR platform = $3) AND ($4 = '' OR channel = $4)
			GROUP BY 1
			UNION ALL
			SELECT (time AT TIME ZONE 'UTC')::date AS day, count(*) FILTER (WHERE kind = 'question') AS questions,
			       count(DISTINCT NULLIF(user_id, '')) AS active
			FROM events WHERE time >= $5 AND time < $2
			  AND ($3 = '' OR platform = $3) AND ($4 = '' OR channel = $4)
			GROUP BY 1
			UNION ALL
			SELECT day, sum(events), 0
			FROM event_rollups
			WHERE kind = 'question' AND day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day::timestamp AT TIME ZONE 'UTC' < $2
			  AND ($3 = '' OR platform = $3) AND ($4 = '' OR channel = $4)
			GROUP BY 1
			UNION ALL
			SELECT day, 0, users
			FROM rollup_people
			WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day::timestamp AT TIME ZONE 'UTC' < $2
			  AND by_platform = ($3 <> '') AND by_channel = ($4 <> '') AND platform = $3 AND channel = $4
		) d GROUP BY day ORDER BY day`, since, f.Until, f.Platform, f.Channel, full)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DayActivity, error) {
		var (
			d    store.DayActivity
			q, a *int64
		)
		err := row.Scan(&d.Day, &q, &a)
		d.Day = d.Day.UTC()
		if q != nil {
			d.Questions = int(*q)
		}
		if a != nil {
			d.Active = int(*a)
		}
		return d, err
	})
	if err != nil {
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

// RecordEvents appends events with COPY into a temporary table and one
// INSERT from it, which skips ids already recorded; people who opted out
// of analytics are dropped from their events in between.
func (s *Store) RecordEvents(ctx context.Context, events []store.Event) error {
	const op = "record events"
	if err := s.usable(op); err != nil {
		return err
	}
	now := millis(s.opts.Clock())
	rows := make([][]any, len(events))
	for i, e := range events {
		if err := rules.ValidateEvent(e); err != nil {
			return fmt.Errorf("%s: event %d: %w", op, i, err)
		}
		t := millis(e.Time)
		if e.Time.IsZero() {
			t = now
		}
		rows[i] = []any{e.ID, t, e.Kind, e.Platform, e.Workspace, e.Channel, e.Thread, e.User, e.Direct,
			e.Question, e.Confident, orEmpty(e.DocIDs), e.LatencyMS, int32(e.Value), e.Ref}
	}
	cols := []string{"id", "time", "kind", "platform", "workspace", "channel", "thread", "user_id", "direct",
		"question", "confident", "doc_ids", "latency_ms", "value", "ref"}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE events_load
			(LIKE events INCLUDING DEFAULTS EXCLUDING IDENTITY) ON COMMIT DROP`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE events_load DROP COLUMN seq`); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events_load"}, cols, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		// People who opted out of analytics are dropped from their
		// events, as insertEvent does one at a time.
		if _, err := tx.Exec(ctx, `UPDATE events_load l SET user_id = '', thread = '', question = ''
			FROM analytics_opt_outs o WHERE o.user_id = l.user_id`); err != nil {
			return err
		}
		list := strings.Join(cols, ", ")
		_, err := tx.Exec(ctx, `INSERT INTO events (`+list+`) SELECT `+list+` FROM events_load ON CONFLICT (id) DO NOTHING`)
		return err
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}
