package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

var _ store.Peers = (*Store)(nil)

// PutProfile creates or replaces a profile. A zero UpdatedAt is stamped
// with the store's clock.
func (s *Store) PutProfile(ctx context.Context, p store.Profile) error {
	op := fmt.Sprintf("put profile %s", store.QuoteID(p.User))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateProfile(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.opts.Clock()
	}
	p.UpdatedAt = millis(p.UpdatedAt)
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO peer_profiles (platform, workspace, user_id, data, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (platform, workspace, user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`,
		p.Platform, p.Workspace, p.User, string(data), p.UpdatedAt)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

func queryJSON[T any](ctx context.Context, s *Store, op, q string, args ...any) ([]T, error) {
	if err := s.usable(op); err != nil {
		return nil, err
	}
	for _, a := range args {
		if v, ok := a.(string); ok && rules.CheckText("filter", v) != nil {
			return nil, nil // nothing stored can match it
		}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) {
		var data []byte
		var v T
		if err := row.Scan(&data); err != nil {
			return v, err
		}
		return v, json.Unmarshal(data, &v)
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

func one[T any](ctx context.Context, s *Store, op, q string, args ...any) (T, error) {
	got, err := queryJSON[T](ctx, s, op, q, args...)
	var zero T
	if err != nil {
		return zero, err
	}
	if len(got) == 0 {
		return zero, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return got[0], nil
}

// Profile returns one profile.
func (s *Store) Profile(ctx context.Context, who store.PersonKey) (store.Profile, error) {
	return one[store.Profile](ctx, s, fmt.Sprintf("load profile %q", who.User),
		`SELECT data FROM peer_profiles WHERE platform = $1 AND workspace = $2 AND user_id = $3`,
		who.Platform, who.Workspace, who.User)
}

// Profiles lists the profiles of one workspace, by user.
func (s *Store) Profiles(ctx context.Context, platform, workspace string) ([]store.Profile, error) {
	return queryJSON[store.Profile](ctx, s, "list profiles",
		`SELECT data FROM peer_profiles WHERE platform = $1 AND workspace = $2 ORDER BY user_id COLLATE "C"`, platform, workspace)
}

// DeletePerson removes everything peers keeps about a person.
func (s *Store) DeletePerson(ctx context.Context, who store.PersonKey) error {
	op := fmt.Sprintf("delete person %s", store.QuoteID(who.User))
	if err := s.usable(op); err != nil {
		return err
	}
	if rules.CheckTexts("person", []string{who.Platform, who.Workspace, who.User}) != nil {
		return nil // nothing stored can match it
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM peer_profiles WHERE platform = $1 AND workspace = $2 AND user_id = $3`,
			`DELETE FROM peer_requests WHERE platform = $1 AND workspace = $2 AND (asker = $3 OR expert = $3)`,
			`DELETE FROM events WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND kind IN ('` +
				strings.Join([]string{store.EventIntroMade, store.EventMet, store.EventExpertAsked}, "','") + `')`,
		} {
			if _, err := tx.Exec(ctx, q, who.Platform, who.Workspace, who.User); err != nil {
				return err
			}
		}
		return forgetInRounds(ctx, tx, who.User, `platform = $1 AND workspace = $2`, who.Platform, who.Workspace)
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// forgetInRounds removes user from the rounds that where (a condition on
// peer_rounds, with args as $1...) selects, as store.ForgetInRound does.
// Only rounds holding the id as a string somewhere are read, and locked.
func forgetInRounds(ctx context.Context, tx pgx.Tx, user, where string, args ...any) error {
	args = append(args, user)
	rows, err := tx.Query(ctx, `SELECT data FROM peer_rounds WHERE `+where+`
		AND jsonb_path_exists(data, '$.** ? (@ == $u)', jsonb_build_object('u', $`+strconv.Itoa(len(args))+`::text))
		FOR UPDATE`, args...)
	if err != nil {
		return err
	}
	rounds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Round, error) {
		var data []byte
		var r store.Round
		if err := row.Scan(&data); err != nil {
			return r, err
		}
		return r, json.Unmarshal(data, &r)
	})
	if err != nil {
		return err
	}
	for _, r := range rounds {
		if !store.ForgetInRound(&r, user) {
			continue
		}
		data, _ := json.Marshal(r)
		if _, err := tx.Exec(ctx, `UPDATE peer_rounds SET data = $1 WHERE id = $2`, string(data), r.ID); err != nil {
			return err
		}
	}
	return nil
}

// PutRequest creates or replaces a request.
func (s *Store) PutRequest(ctx context.Context, r store.PeerRequest) error {
	op := fmt.Sprintf("put request %s", store.QuoteID(r.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateRequest(r); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.opts.Clock()
	}
	r.CreatedAt, r.UpdatedAt, r.AskedAt = millis(r.CreatedAt), millis(r.UpdatedAt), millis(r.AskedAt)
	data, _ := json.Marshal(r)
	_, err := s.pool.Exec(ctx, `INSERT INTO peer_requests (id, platform, workspace, asker, expert, status, created_at, asked_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, asked_at = excluded.asked_at, data = excluded.data`,
		r.ID, r.Platform, r.Workspace, r.Asker, r.Expert, r.Status, r.CreatedAt, askedAt(r), string(data))
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
	return r.AskedAt
}

// SwapRequest replaces a request whose status is from.
func (s *Store) SwapRequest(ctx context.Context, r store.PeerRequest, from string) (bool, error) {
	op := fmt.Sprintf("swap request %s", store.QuoteID(r.ID))
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateRequest(r); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	r.CreatedAt, r.UpdatedAt, r.AskedAt = millis(r.CreatedAt), millis(r.UpdatedAt), millis(r.AskedAt)
	data, _ := json.Marshal(r)
	tag, err := s.pool.Exec(ctx, `UPDATE peer_requests SET status = $1, asked_at = $2, data = $3 WHERE id = $4 AND status = $5`,
		r.Status, askedAt(r), string(data), r.ID, from)
	if err != nil {
		return false, s.fail(op, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReplaceEvent records e, replacing the same person's earlier answer.
func (s *Store) ReplaceEvent(ctx context.Context, e store.Event) error {
	op := fmt.Sprintf("replace event %s", store.QuoteID(e.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateEvent(e); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if e.Time.IsZero() {
		e.Time = s.opts.Clock()
	}
	// As insertEvent, a person who opted out of analytics is dropped from
	// the event; its id, which names them, becomes a random one, so each
	// answer of theirs is a new anonymous event.
	_, err := s.pool.Exec(ctx, `INSERT INTO events
		(id, time, kind, platform, workspace, channel, thread, user_id, direct,
		 question, confident, doc_ids, latency_ms, value, ref)
		SELECT CASE WHEN o.out THEN gen_random_uuid()::text ELSE $1 END, $2, $3, $4, $5, $6,
		       CASE WHEN o.out THEN '' ELSE $7 END, CASE WHEN o.out THEN '' ELSE $8 END, $9,
		       CASE WHEN o.out THEN '' ELSE $10 END, $11, $12, $13, $14, $15
		FROM (SELECT EXISTS (SELECT 1 FROM analytics_opt_outs WHERE user_id = $8) AS out) o
		ON CONFLICT (id) DO UPDATE SET time = excluded.time, value = excluded.value
		WHERE events.kind = excluded.kind AND events.user_id = excluded.user_id`,
		e.ID, millis(e.Time), e.Kind, e.Platform, e.Workspace, e.Channel, e.Thread, e.User, e.Direct,
		e.Question, e.Confident, orEmpty(e.DocIDs), e.LatencyMS, e.Value, e.Ref)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// Request returns one request.
func (s *Store) Request(ctx context.Context, id string) (store.PeerRequest, error) {
	return one[store.PeerRequest](ctx, s, fmt.Sprintf("load request %q", id), `SELECT data FROM peer_requests WHERE id = $1`, id)
}

// Requests lists matching requests, newest first.
func (s *Store) Requests(ctx context.Context, f store.RequestFilter) ([]store.PeerRequest, error) {
	var (
		where = []string{"true"}
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" $"+strconv.Itoa(len(args)))
	}
	if f.Platform != "" {
		add("platform =", f.Platform)
	}
	if f.Workspace != "" {
		add("workspace =", f.Workspace)
	}
	if f.Expert != "" {
		add("expert =", f.Expert)
	}
	if f.Status != "" {
		add("status =", f.Status)
	}
	if !f.Since.IsZero() {
		add("created_at >=", millis(f.Since))
	}
	if !f.AskedSince.IsZero() {
		add("asked_at >=", millis(f.AskedSince))
	}
	return queryJSON[store.PeerRequest](ctx, s, "list requests",
		`SELECT data FROM peer_requests WHERE `+strings.Join(where, " AND ")+` ORDER BY created_at DESC, seq DESC`, args...)
}

// PutRoundConfig creates or replaces a channel's schedule.
func (s *Store) PutRoundConfig(ctx context.Context, c store.RoundConfig) error {
	op := fmt.Sprintf("put round config for %s", store.QuoteID(c.Channel))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateRoundConfig(c); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(c)
	_, err := s.pool.Exec(ctx, `INSERT INTO peer_round_configs (platform, workspace, channel, data) VALUES ($1, $2, $3, $4)
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
		`SELECT data FROM peer_round_configs ORDER BY platform COLLATE "C", workspace COLLATE "C", channel COLLATE "C"`)
}

// CreateRound stores a new round unless one with its id exists.
func (s *Store) CreateRound(ctx context.Context, r store.Round) (bool, error) {
	op := fmt.Sprintf("create round %s", store.QuoteID(r.ID))
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := rules.ValidateRound(r); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(r)
	tag, err := s.pool.Exec(ctx, `INSERT INTO peer_rounds (id, platform, workspace, channel, started_at, data)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Platform, r.Workspace, r.Channel, millis(r.StartedAt), string(data))
	if err != nil {
		return false, s.fail(op, err)
	}
	return tag.RowsAffected() == 1, nil
}

// UpdateRound replaces a stored round.
func (s *Store) UpdateRound(ctx context.Context, r store.Round) error {
	op := fmt.Sprintf("update round %s", store.QuoteID(r.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.ValidateRound(r); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	data, _ := json.Marshal(r)
	tag, err := s.pool.Exec(ctx, `UPDATE peer_rounds SET data = $1 WHERE id = $2`, string(data), r.ID)
	if err != nil {
		return s.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// Rounds lists a channel's rounds, newest first.
func (s *Store) Rounds(ctx context.Context, platform, workspace, channel string, limit int) ([]store.Round, error) {
	q := `SELECT data FROM peer_rounds WHERE platform = $1 AND workspace = $2 AND channel = $3 ORDER BY started_at DESC, seq DESC`
	args := []any{platform, workspace, channel}
	if limit > 0 {
		q += " LIMIT $4"
		args = append(args, limit)
	}
	return queryJSON[store.Round](ctx, s, "list rounds", q, args...)
}

// Round returns one round.
func (s *Store) Round(ctx context.Context, id string) (store.Round, error) {
	return one[store.Round](ctx, s, fmt.Sprintf("load round %q", id), `SELECT data FROM peer_rounds WHERE id = $1`, id)
}

// DocumentsOwnedBy lists the published documents owned by any of owners.
func (s *Store) DocumentsOwnedBy(ctx context.Context, owners []string) ([]store.Document, error) {
	const op = "list documents by owner"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	owners = slices.DeleteFunc(slices.Clone(owners), func(o string) bool { return o == "" || rules.CheckText("owner", o) != nil })
	if len(owners) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id, collection, source, title, tags, owner, content_hash, updated_at
		FROM documents WHERE owner = ANY($1) AND status = 'published' ORDER BY id COLLATE "C"`, owners)
	if err != nil {
		return nil, s.fail(op, err)
	}
	docs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Document, error) {
		var d store.Document
		err := row.Scan(&d.ID, &d.Collection, &d.Source, &d.Title, &d.Tags, &d.Owner, &d.ContentHash, &d.UpdatedAt)
		d.UpdatedAt = d.UpdatedAt.UTC()
		d.Tags = orNil(d.Tags)
		d.Status = store.StatusPublished
		return d, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return docs, nil
}
