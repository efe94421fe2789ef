package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lorehq/lore/store"
)

var _ store.Peers = (*Store)(nil)

// PutProfile creates or replaces a profile. A zero UpdatedAt is stamped
// with the store's clock.
func (s *Store) PutProfile(ctx context.Context, p store.Profile) error {
	op := fmt.Sprintf("put profile %s", store.QuoteID(p.User))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateProfile(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.opts.Clock()
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = s.wdb.ExecContext(ctx, `INSERT INTO peer_profiles (platform, workspace, user_id, data, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (platform, workspace, user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		p.Platform, p.Workspace, p.User, string(data), p.UpdatedAt.UnixMilli())
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// Profile returns one profile.
func (s *Store) Profile(ctx context.Context, who store.PersonKey) (store.Profile, error) {
	op := fmt.Sprintf("load profile %s", store.QuoteID(who.User))
	if err := s.usable(op); err != nil {
		return store.Profile{}, err
	}
	var data string
	err := s.rdb.QueryRowContext(ctx, `SELECT data FROM peer_profiles WHERE platform = ? AND workspace = ? AND user_id = ?`,
		who.Platform, who.Workspace, who.User).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Profile{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.Profile{}, s.fail(op, err)
	}
	var p store.Profile
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return store.Profile{}, fmt.Errorf("%s: %w", op, err)
	}
	return p, nil
}

// Profiles lists the profiles of one workspace, by user.
func (s *Store) Profiles(ctx context.Context, platform, workspace string) ([]store.Profile, error) {
	const op = "list profiles"
	return queryJSON[store.Profile](ctx, s, op, `SELECT data FROM peer_profiles WHERE platform = ? AND workspace = ? ORDER BY user_id`, platform, workspace)
}

func queryJSON[T any](ctx context.Context, s *Store, op, q string, args ...any) ([]T, error) {
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, s.fail(op, err)
		}
		var v T
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// DeletePerson removes everything peers keeps about a person.
func (s *Store) DeletePerson(ctx context.Context, who store.PersonKey) error {
	op := fmt.Sprintf("delete person %s", store.QuoteID(who.User))
	if err := s.writable(op); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM peer_profiles WHERE platform = ? AND workspace = ? AND user_id = ?`,
			`DELETE FROM peer_requests WHERE platform = ? AND workspace = ? AND (asker = ?3 OR expert = ?3)`,
			`DELETE FROM events WHERE platform = ? AND workspace = ? AND user_id = ? AND kind IN ('` +
				strings.Join([]string{store.EventIntroMade, store.EventMet, store.EventExpertAsked}, "','") + `')`,
		} {
			if _, err := tx.ExecContext(ctx, q, who.Platform, who.Workspace, who.User); err != nil {
				return err
			}
		}
		return forgetInRounds(ctx, tx, who.User, `platform = ? AND workspace = ?`, who.Platform, who.Workspace)
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// forgetInRounds removes user from the rounds that where (a condition on
// peer_rounds, with args) selects, as store.ForgetInRound does. Only rounds
// whose JSON holds the id as a string, quoted as encoding/json wrote it,
// are read.
func forgetInRounds(ctx context.Context, tx *sql.Tx, user, where string, args ...any) error {
	quoted, _ := json.Marshal(user)
	args = append(args, string(quoted))
	rows, err := tx.QueryContext(ctx, `SELECT data FROM peer_rounds WHERE `+where+` AND instr(data, ?) > 0`, args...)
	if err != nil {
		return err
	}
	var rounds []store.Round
	for rows.Next() {
		var data string
		var r store.Round
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			rows.Close()
			return err
		}
		rounds = append(rounds, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range rounds {
		if !store.ForgetInRound(&r, user) {
			continue
		}
		data, _ := json.Marshal(r)
		if _, err := tx.ExecContext(ctx, `UPDATE peer_rounds SET data = ? WHERE id = ?`, string(data), r.ID); err != nil {
			return err
		}
	}
	return nil
}

// PutRequest creates or replaces a request.
func (s *Store) PutRequest(ctx context.Context, r store.PeerRequest) error {
	op := fmt.Sprintf("put request %s", store.QuoteID(r.ID))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateRequest(r); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.opts.Clock()
	}
	data, _ := json.Marshal(r)
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO peer_requests (id, platform, workspace, asker, expert, status, created_at, asked_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, asked_at = excluded.asked_at, data = excluded.data`,
		r.ID, r.Platform, r.Workspace, r.Asker, r.Expert, r.Status, r.CreatedAt.UnixMilli(), askedAt(r), string(data))
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// askedAt is the asked_at column of r: NULL until its expert was asked.
func askedAt(r store.PeerRequest) any {
	if r.AskedAt.IsZero() {
		return nil
	}
	return r.AskedAt.UnixMilli()
}

// SwapRequest replaces a request whose status is from.
func (s *Store) SwapRequest(ctx context.Context, r store.PeerRequest, from string) (bool, error) {
	op := fmt.Sprintf("swap request %s", store.QuoteID(r.ID))
	if err := s.writable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateRequest(r); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(r)
	res, err := s.wdb.ExecContext(ctx, `UPDATE peer_requests SET status = ?, asked_at = ?, data = ? WHERE id = ? AND status = ?`,
		r.Status, askedAt(r), string(data), r.ID, from)
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(op, err)
	}
	return n == 1, nil
}

// ReplaceEvent records e, replacing the same person's earlier answer.
func (s *Store) ReplaceEvent(ctx context.Context, e store.Event) error {
	op := fmt.Sprintf("replace event %s", store.QuoteID(e.ID))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateEvent(e); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Clock()
	}
	// As eventInsertSQL, a person who opted out of analytics is dropped
	// from the event; its id, which names them, becomes a random one, so
	// each answer of theirs is a new anonymous event.
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO events
		(id, time, kind, platform, workspace, channel, thread, user_id, direct,
		 question, confident, doc_ids, latency_ms, value, ref)
		SELECT CASE WHEN o.out THEN lower(hex(randomblob(16))) ELSE ?1 END, ?2, ?3, ?4, ?5, ?6,
		       CASE WHEN o.out THEN '' ELSE ?7 END, CASE WHEN o.out THEN '' ELSE ?8 END, ?9,
		       CASE WHEN o.out THEN '' ELSE ?10 END, ?11, ?12, ?13, ?14, ?15
		FROM (SELECT EXISTS (SELECT 1 FROM analytics_opt_outs WHERE user_id = ?8) AS out) o
		WHERE true -- an INSERT ... SELECT needs a WHERE before its ON CONFLICT
		ON CONFLICT (id) DO UPDATE SET time = excluded.time, value = excluded.value
		WHERE events.kind = excluded.kind AND events.user_id = excluded.user_id`,
		eventArgs(e)...)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// Request returns one request.
func (s *Store) Request(ctx context.Context, id string) (store.PeerRequest, error) {
	op := fmt.Sprintf("load request %s", store.QuoteID(id))
	got, err := queryJSON[store.PeerRequest](ctx, s, op, `SELECT data FROM peer_requests WHERE id = ?`, id)
	if err != nil {
		return store.PeerRequest{}, err
	}
	if len(got) == 0 {
		return store.PeerRequest{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return got[0], nil
}

// Requests lists matching requests, newest first.
func (s *Store) Requests(ctx context.Context, f store.RequestFilter) ([]store.PeerRequest, error) {
	var (
		where = []string{"1 = 1"}
		args  []any
	)
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.Platform != "" {
		add("platform = ?", f.Platform)
	}
	if f.Workspace != "" {
		add("workspace = ?", f.Workspace)
	}
	if f.Expert != "" {
		add("expert = ?", f.Expert)
	}
	if f.Status != "" {
		add("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", f.Since.UnixMilli())
	}
	if !f.AskedSince.IsZero() {
		add("asked_at >= ?", f.AskedSince.UnixMilli())
	}
	return queryJSON[store.PeerRequest](ctx, s, "list requests",
		`SELECT data FROM peer_requests WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, rowid DESC`, args...)
}

// PutRoundConfig creates or replaces a channel's schedule.
func (s *Store) PutRoundConfig(ctx context.Context, c store.RoundConfig) error {
	op := fmt.Sprintf("put round config for %s", store.QuoteID(c.Channel))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateRoundConfig(c); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(c)
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO peer_round_configs (platform, workspace, channel, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, workspace, channel) DO UPDATE SET data = excluded.data`,
		c.Platform, c.Workspace, c.Channel, string(data))
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// RoundConfigs lists every channel's schedule.
func (s *Store) RoundConfigs(ctx context.Context) ([]store.RoundConfig, error) {
	return queryJSON[store.RoundConfig](ctx, s, "list round configs",
		`SELECT data FROM peer_round_configs ORDER BY platform, workspace, channel`)
}

// CreateRound stores a new round unless one with its id exists.
func (s *Store) CreateRound(ctx context.Context, r store.Round) (bool, error) {
	op := fmt.Sprintf("create round %s", store.QuoteID(r.ID))
	if err := s.writable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateRound(r); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(r)
	res, err := s.wdb.ExecContext(ctx, `INSERT INTO peer_rounds (id, platform, workspace, channel, started_at, data)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Platform, r.Workspace, r.Channel, r.StartedAt.UnixMilli(), string(data))
	if err != nil {
		return false, s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.fail(op, err)
	}
	return n == 1, nil
}

// UpdateRound replaces a stored round.
func (s *Store) UpdateRound(ctx context.Context, r store.Round) error {
	op := fmt.Sprintf("update round %s", store.QuoteID(r.ID))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := rules.ValidateRound(r); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(r)
	res, err := s.wdb.ExecContext(ctx, `UPDATE peer_rounds SET data = ? WHERE id = ?`, string(data), r.ID)
	if err != nil {
		return s.fail(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// Rounds lists a channel's rounds, newest first.
func (s *Store) Rounds(ctx context.Context, platform, workspace, channel string, limit int) ([]store.Round, error) {
	q := `SELECT data FROM peer_rounds WHERE platform = ? AND workspace = ? AND channel = ? ORDER BY started_at DESC, rowid DESC`
	args := []any{platform, workspace, channel}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	return queryJSON[store.Round](ctx, s, "list rounds", q, args...)
}

// Round returns one round.
func (s *Store) Round(ctx context.Context, id string) (store.Round, error) {
	op := fmt.Sprintf("load round %s", store.QuoteID(id))
	got, err := queryJSON[store.Round](ctx, s, op, `SELECT data FROM peer_rounds WHERE id = ?`, id)
	if err != nil {
		return store.Round{}, err
	}
	if len(got) == 0 {
		return store.Round{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return got[0], nil
}

// DocumentsOwnedBy lists the published documents owned by any of owners.
func (s *Store) DocumentsOwnedBy(ctx context.Context, owners []string) ([]store.Document, error) {
	const op = "list documents by owner"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	owners = slices.DeleteFunc(slices.Clone(owners), func(o string) bool { return o == "" })
	if len(owners) == 0 {
		return nil, nil
	}
	args := make([]any, len(owners))
	for i, o := range owners {
		args[i] = o
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, collection, source, title, tags, owner, content_hash, updated_at
		FROM documents WHERE owner IN (`+placeholders(len(owners))+`) AND status = 'published' ORDER BY id`, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var docs []store.Document
	for rows.Next() {
		var d store.Document
		var tags string
		var ms int64
		if err := rows.Scan(&d.ID, &d.Collection, &d.Source, &d.Title, &tags, &d.Owner, &d.ContentHash, &ms); err != nil {
			return nil, s.fail(op, err)
		}
		d.UpdatedAt = time.UnixMilli(ms).UTC()
		d.Status = store.StatusPublished
		if d.Tags, err = decodeStrings(tags); err != nil {
			return nil, s.fail(op, err)
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return docs, nil
}
