package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lorehq/lore/store"
)

// RecordEvent appends e to the engagement log. The id is required and makes
// recording idempotent: a second event with the same id is ignored, so a
// retried delivery does not count twice. A zero Time is stamped with the
// store's clock.
func (s *Store) RecordEvent(ctx context.Context, e store.Event) error {
	op := fmt.Sprintf("record event %s", store.QuoteID(e.ID))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateEvent(e); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Clock()
	}
	_, err := s.wdb.ExecContext(ctx, eventInsertSQL, eventArgs(e)...)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// eventInsertSQL writes one event; every path that writes events uses it.
// A person who opted out of analytics is dropped from their event
// (user, thread and question text) by the statement itself, so that no
// capability, however it is wired, keeps such an event under their id.
const eventInsertSQL = `INSERT INTO events
	(id, time, kind, platform, workspace, channel, thread, user_id, direct,
	 question, confident, doc_ids, latency_ms, value, ref)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN o.out THEN '' ELSE ?7 END, CASE WHEN o.out THEN '' ELSE ?8 END, ?9,
	       CASE WHEN o.out THEN '' ELSE ?10 END, ?11, ?12, ?13, ?14, ?15
	FROM (SELECT EXISTS (SELECT 1 FROM analytics_opt_outs WHERE user_id = ?8) AS out) o
	WHERE true -- an INSERT ... SELECT needs a WHERE before its ON CONFLICT
	ON CONFLICT (id) DO NOTHING`

// eventArgs are the arguments of eventInsertSQL.
func eventArgs(e store.Event) []any {
	return []any{e.ID, e.Time.UnixMilli(), e.Kind, e.Platform, e.Workspace, e.Channel, e.Thread, e.User, e.Direct,
		e.Question, e.Confident, encodeStrings(e.DocIDs), e.LatencyMS, e.Value, e.Ref}
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
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.User != "" {
		add("user_id = ?", f.User)
	}
	if f.Platform != "" {
		add("platform = ?", f.Platform)
	}
	if f.Channel != "" {
		add("channel = ?", f.Channel)
	}
	if f.Thread != "" {
		add("thread = ?", f.Thread)
	}
	if !f.Since.IsZero() {
		add("time >= ?", f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		add("time < ?", f.Until.UnixMilli())
	}
	if f.Confident != nil {
		add("kind = '"+store.EventAnswer+"' AND confident = ?", *f.Confident)
	}
	q := `SELECT id, time, kind, platform, workspace, channel, thread, user_id, direct,
		question, confident, doc_ids, latency_ms, value, ref FROM events`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if oldestFirst {
		q += " ORDER BY time, rowid"
	} else {
		q += " ORDER BY time DESC, rowid DESC"
	}
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}

	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e      store.Event
			ms     int64
			docIDs string
		)
		if err := rows.Scan(&e.ID, &ms, &e.Kind, &e.Platform, &e.Workspace, &e.Channel, &e.Thread, &e.User,
			&e.Direct, &e.Question, &e.Confident, &docIDs, &e.LatencyMS, &e.Value, &e.Ref); err != nil {
			return s.fail(op, err)
		}
		e.Time = time.UnixMilli(ms).UTC()
		if e.DocIDs, err = decodeStrings(docIDs); err != nil {
			return s.fail(op, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}
