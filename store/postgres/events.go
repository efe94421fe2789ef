package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/lorehq/lore/store"
)

// RecordEvent appends e to the engagement log. The id is required and makes
// recording idempotent: a second event with the same id is ignored, so a
// retried delivery does not count twice. A zero Time is stamped with the
// store's clock; times are kept to the millisecond, like the SQLite store.
func (s *Store) RecordEvent(ctx context.Context, e store.Event) error {
	op := fmt.Sprintf("record event %s", store.QuoteID(e.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateEvent(e); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Clock()
	}
	if err := insertEvent(ctx, s.pool, e); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// insertEvent writes one event (RecordEvents, which loads many, has its
// own path). A person who opted out of analytics is dropped from their
// event (user, thread and question text) by the statement itself, so that
// no capability, however it is wired, keeps such an event under their id.
func insertEvent(ctx context.Context, db execer, e store.Event) error {
	_, err := db.Exec(ctx, `INSERT INTO events
		(id, time, kind, platform, workspace, channel, thread, user_id, direct,
		 question, confident, doc_ids, latency_ms, value, ref)
		SELECT $1, $2, $3, $4, $5, $6, CASE WHEN o.out THEN '' ELSE $7 END, CASE WHEN o.out THEN '' ELSE $8 END, $9,
		       CASE WHEN o.out THEN '' ELSE $10 END, $11, $12, $13, $14, $15
		FROM (SELECT EXISTS (SELECT 1 FROM analytics_opt_outs WHERE user_id = $8) AS out) o
		ON CONFLICT (id) DO NOTHING`,
		e.ID, millis(e.Time), e.Kind, e.Platform, e.Workspace, e.Channel, e.Thread, e.User, e.Direct,
		e.Question, e.Confident, orEmpty(e.DocIDs), e.LatencyMS, e.Value, e.Ref)
	return err
}

// Events returns the events matching f, newest first; events recorded with
// the same millisecond come latest-recorded first.
func (s *Store) Events(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	var events []store.Event
	err := s.eachEvent(ctx, "list events", f, false, func(e store.Event) error {
		events = append(events, e)
		return nil
	})
	return events, err
}

// ScanEvents calls fn with each event matching f, oldest first (by time,
// then in the order recorded), without holding them all in memory: the
// weekly figures read a week of events, 200,000 at 10 million a year. An
// error from fn stops the scan and is returned.
func (s *Store) ScanEvents(ctx context.Context, f store.EventFilter, fn func(store.Event) error) error {
	return s.eachEvent(ctx, "scan events", f, true, fn)
}

func (s *Store) eachEvent(ctx context.Context, op string, f store.EventFilter, oldestFirst bool, fn func(store.Event) error) error {
	if err := s.usable(op); err != nil {
		return err
	}
	if err := store.ValidateEventFilter(f); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	for _, v := range []string{f.Kind, f.User, f.Platform, f.Channel, f.Thread} {
		if rules.CheckText("filter", v) != nil {
			return nil // nothing stored can match it
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
	if f.Kind != "" {
		add("kind = $?", f.Kind)
	}
	if f.User != "" {
		add("user_id = $?", f.User)
	}
	if f.Platform != "" {
		add("platform = $?", f.Platform)
	}
	if f.Channel != "" {
		add("channel = $?", f.Channel)
	}
	if f.Thread != "" {
		add("thread = $?", f.Thread)
	}
	if !f.Since.IsZero() {
		add("time >= $?", millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < $?", millis(f.Until))
	}
	if f.Confident != nil {
		add("kind = '"+store.EventAnswer+"' AND confident = $?", *f.Confident)
	}
	q := `SELECT id, time, kind, platform, workspace, channel, thread, user_id, direct,
		question, confident, doc_ids, latency_ms, value, ref FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if oldestFirst {
		q += " ORDER BY time, seq"
	} else {
		q += " ORDER BY time DESC, seq DESC"
	}
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}

	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e store.Event
		if err := rows.Scan(&e.ID, &e.Time, &e.Kind, &e.Platform, &e.Workspace, &e.Channel, &e.Thread, &e.User,
			&e.Direct, &e.Question, &e.Confident, &e.DocIDs, &e.LatencyMS, &e.Value, &e.Ref); err != nil {
			return s.fail(op, err)
		}
		e.Time = e.Time.UTC()
		e.DocIDs = orNil(e.DocIDs)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}
