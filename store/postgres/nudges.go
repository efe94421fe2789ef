package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"time"

	"github.com/lorehq/lore/store"
)

var _ store.Nudges = (*Store)(nil)

var ms, fromMS = store.UnixMS, store.FromUnixMS

// PublishTrack stores t as a new version unless its content is unchanged.
func (s *Store) PublishTrack(ctx context.Context, t store.TrackVersion) (store.TrackVersion, bool, error) {
	op := fmt.Sprintf("publish track %s", store.QuoteID(t.TrackID))
	if err := s.usable(op); err != nil {
		return t, false, err
	}
	if err := rules.CheckTrack(t); err != nil {
		return t, false, fmt.Errorf("%s: %w", op, err)
	}
	if t.LoadedAt.IsZero() {
		t.LoadedAt = s.opts.Clock()
	}
	created := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var version int
		var hash string
		err := tx.QueryRow(ctx, `SELECT version, hash FROM track_versions WHERE track_id = $1
			ORDER BY version DESC LIMIT 1`, t.TrackID).Scan(&version, &hash)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if hash == t.Hash {
			t.Version = version
			return nil
		}
		t.Version, created = version+1, true
		_, err = tx.Exec(ctx, `INSERT INTO track_versions (track_id, version, hash, title, draft, content, loaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.TrackID, t.Version, t.Hash, t.Title, t.Draft, t.Content, ms(t.LoadedAt))
		return err
	})
	if err != nil {
		return t, false, s.fail(op, err)
	}
	if !created {
		got, err := s.TrackVersion(ctx, t.TrackID, t.Version)
		return got, false, err
	}
	return t, true, nil
}

// ApproveTrack clears Draft on the latest version.
func (s *Store) ApproveTrack(ctx context.Context, trackID string) error {
	op := fmt.Sprintf("approve track %s", store.QuoteID(trackID))
	if err := s.usable(op); err != nil {
		return err
	}
	if rules.CheckText("track id", trackID) != nil {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound) // no track has such an id
	}
	res, err := s.pool.Exec(ctx, `UPDATE track_versions SET draft = false WHERE track_id = $1
		AND version = (SELECT max(version) FROM track_versions WHERE track_id = $2)`, trackID, trackID)
	if err != nil {
		return s.fail(op, err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

const trackCols = "track_id, version, hash, title, draft, content, loaded_at"

func scanTrack(sc interface{ Scan(...any) error }) (store.TrackVersion, error) {
	var t store.TrackVersion
	var at int64
	err := sc.Scan(&t.TrackID, &t.Version, &t.Hash, &t.Title, &t.Draft, &t.Content, &at)
	t.LoadedAt = fromMS(at)
	return t, err
}

// TrackVersion returns one version of a track, the latest for version 0.
func (s *Store) TrackVersion(ctx context.Context, trackID string, version int) (store.TrackVersion, error) {
	op := fmt.Sprintf("load track %s", store.QuoteID(trackID))
	if err := s.usable(op); err != nil {
		return store.TrackVersion{}, err
	}
	row := s.pool.QueryRow(ctx, `SELECT `+trackCols+` FROM track_versions WHERE track_id = $1
		AND (version = $2 OR $3 = 0) ORDER BY version DESC LIMIT 1`, trackID, version, version)
	t, err := scanTrack(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("%s version %d: %w", op, version, store.ErrNotFound)
	}
	if err != nil {
		return t, s.fail(op, err)
	}
	return t, nil
}

// Tracks returns the latest version of every track.
func (s *Store) Tracks(ctx context.Context) ([]store.TrackVersion, error) {
	const op = "list tracks"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+trackCols+` FROM track_versions t
		WHERE version = (SELECT max(version) FROM track_versions WHERE track_id = t.track_id) ORDER BY track_id`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.TrackVersion
	for rows.Next() {
		t, err := scanTrack(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, t)
	}
	return out, s.failIf(op, rows.Err())
}

func (s *Store) failIf(op string, err error) error {
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func saveEnrolment(ctx context.Context, db execer, e store.Enrolment) error {
	_, err := db.Exec(ctx, `INSERT INTO enrolments
		(platform, workspace, user_id, track_id, status, source, joined_at, seen, last_new_at, channel)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (platform, workspace, user_id, track_id) DO UPDATE SET status = excluded.status,
		source = excluded.source, joined_at = excluded.joined_at, seen = excluded.seen, last_new_at = excluded.last_new_at,
		channel = excluded.channel`,
		e.Platform, e.Workspace, e.User, e.TrackID, e.Status, e.Source, ms(e.JoinedAt), jsonStrings(e.Seen), ms(e.LastNewAt), e.Channel)
	return err
}

// SaveEnrolment creates or replaces an enrolment.
func (s *Store) SaveEnrolment(ctx context.Context, e store.Enrolment) error {
	op := fmt.Sprintf("save enrolment in %s", store.QuoteID(e.TrackID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.CheckEnrolment(e); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.failIf(op, saveEnrolment(ctx, s.pool, e))
}

// Enrolments lists the enrolments matching f.
func (s *Store) Enrolments(ctx context.Context, f store.EnrolmentFilter) ([]store.Enrolment, error) {
	const op = "list enrolments"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	q := `SELECT platform, workspace, user_id, track_id, status, source, joined_at, seen, last_new_at, channel FROM enrolments WHERE 1=1`
	var args []any
	if f.Learner != nil {
		q += fmt.Sprintf(" AND platform = $%d AND workspace = $%d AND user_id = $%d", len(args)+1, len(args)+2, len(args)+3)
		args = append(args, f.Learner.Platform, f.Learner.Workspace, f.Learner.User)
	}
	if f.TrackID != "" {
		q += fmt.Sprintf(" AND track_id = $%d", len(args)+1)
		args = append(args, f.TrackID)
	}
	if f.Status != "" {
		q += fmt.Sprintf(" AND status = $%d", len(args)+1)
		args = append(args, f.Status)
	}
	rows, err := s.pool.Query(ctx, q+" ORDER BY platform, workspace, user_id, track_id", args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Enrolment
	for rows.Next() {
		var e store.Enrolment
		var joined, last int64
		var seen string
		if err := rows.Scan(&e.Platform, &e.Workspace, &e.User, &e.TrackID, &e.Status, &e.Source, &joined, &seen, &last, &e.Channel); err != nil {
			return nil, s.fail(op, err)
		}
		e.JoinedAt, e.LastNewAt = fromMS(joined), fromMS(last)
		if e.Seen, err = parseJSONStrings(seen); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, e)
	}
	return out, s.failIf(op, rows.Err())
}

// SavePreferences creates or replaces a learner's preferences.
func (s *Store) SavePreferences(ctx context.Context, p store.Preferences) error {
	const op = "save preferences"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.CheckPreferences(p); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.failIf(op, savePreferences(ctx, s.pool, p))
}

func savePreferences(ctx context.Context, db execer, p store.Preferences) error {
	_, err := db.Exec(ctx, `INSERT INTO nudge_preferences
		(platform, workspace, user_id, time_zone, delivery_minute, weekdays, daily_cap, quiet_from, quiet_until,
		 snoozed_until, paused, stopped, stop_reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (platform, workspace, user_id) DO UPDATE SET time_zone = excluded.time_zone,
		delivery_minute = excluded.delivery_minute, weekdays = excluded.weekdays, daily_cap = excluded.daily_cap,
		quiet_from = excluded.quiet_from, quiet_until = excluded.quiet_until, snoozed_until = excluded.snoozed_until,
		paused = excluded.paused, stopped = excluded.stopped, stop_reason = excluded.stop_reason`,
		p.Platform, p.Workspace, p.User, p.TimeZone, p.DeliveryMinute, p.Weekdays, p.DailyCap,
		ms(p.QuietFrom), ms(p.QuietUntil), ms(p.SnoozedUntil), p.Paused, p.Stopped, p.StopReason)
	return err
}

const prefCols = `platform, workspace, user_id, time_zone, delivery_minute, weekdays, daily_cap, quiet_from, quiet_until,
	snoozed_until, paused, stopped, stop_reason`

func scanPrefs(sc interface{ Scan(...any) error }) (store.Preferences, error) {
	var p store.Preferences
	var qf, qu, sn int64
	err := sc.Scan(&p.Platform, &p.Workspace, &p.User, &p.TimeZone, &p.DeliveryMinute, &p.Weekdays, &p.DailyCap,
		&qf, &qu, &sn, &p.Paused, &p.Stopped, &p.StopReason)
	p.QuietFrom, p.QuietUntil, p.SnoozedUntil = fromMS(qf), fromMS(qu), fromMS(sn)
	return p, err
}

// Preferences returns a learner's preferences, ErrNotFound if none.
func (s *Store) Preferences(ctx context.Context, l store.Learner) (store.Preferences, error) {
	const op = "load preferences"
	if err := s.usable(op); err != nil {
		return store.Preferences{}, err
	}
	p, err := scanPrefs(s.pool.QueryRow(ctx, `SELECT `+prefCols+` FROM nudge_preferences
		WHERE platform = $1 AND workspace = $2 AND user_id = $3`, l.Platform, l.Workspace, l.User))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return p, s.failIf(op, err)
}

// AllPreferences returns every learner's preferences.
func (s *Store) AllPreferences(ctx context.Context) ([]store.Preferences, error) {
	const op = "list preferences"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+prefCols+` FROM nudge_preferences ORDER BY platform, workspace, user_id`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Preferences
	for rows.Next() {
		p, err := scanPrefs(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, p)
	}
	return out, s.failIf(op, rows.Err())
}

const cardStateUpsertSQL = `INSERT INTO card_states
		(platform, workspace, user_id, track_id, card_id, due, stability, difficulty, elapsed_days, scheduled_days,
		 reps, lapses, state, last_review, seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (platform, workspace, user_id, track_id, card_id) DO UPDATE SET due = excluded.due,
		stability = excluded.stability, difficulty = excluded.difficulty, elapsed_days = excluded.elapsed_days,
		scheduled_days = excluded.scheduled_days, reps = excluded.reps, lapses = excluded.lapses,
		state = excluded.state, last_review = excluded.last_review, seen_at = excluded.seen_at`

func cardStateArgs(c store.CardState) []any {
	return []any{c.Platform, c.Workspace, c.User, c.TrackID, c.CardID, ms(c.Due), c.Stability, c.Difficulty, c.ElapsedDays,
		c.ScheduledDays, c.Reps, c.Lapses, c.State, ms(c.LastReview), ms(c.SeenAt)}
}

func saveCardState(ctx context.Context, db execer, c store.CardState) error {
	_, err := db.Exec(ctx, cardStateUpsertSQL, cardStateArgs(c)...)
	return err
}

// SaveCardState creates or replaces a card state.
func (s *Store) SaveCardState(ctx context.Context, c store.CardState) error {
	const op = "save card state"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.CheckCardState(c); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.failIf(op, saveCardState(ctx, s.pool, c))
}

const cardCols = `platform, workspace, user_id, track_id, card_id, due, stability, difficulty, elapsed_days,
	scheduled_days, reps, lapses, state, last_review, seen_at`

func (s *Store) cardStates(ctx context.Context, op, where string, args ...any) ([]store.CardState, error) {
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+cardCols+` FROM card_states WHERE `+where, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.CardState
	for rows.Next() {
		var c store.CardState
		var due, last, seen int64
		if err := rows.Scan(&c.Platform, &c.Workspace, &c.User, &c.TrackID, &c.CardID, &due, &c.Stability,
			&c.Difficulty, &c.ElapsedDays, &c.ScheduledDays, &c.Reps, &c.Lapses, &c.State, &last, &seen); err != nil {
			return nil, s.fail(op, err)
		}
		c.Due, c.LastReview, c.SeenAt = fromMS(due), fromMS(last), fromMS(seen)
		out = append(out, c)
	}
	return out, s.failIf(op, rows.Err())
}

// CardStates returns a learner's card states in a track, by card id.
func (s *Store) CardStates(ctx context.Context, l store.Learner, trackID string) ([]store.CardState, error) {
	return s.cardStates(ctx, "list card states", `platform = $1 AND workspace = $2 AND user_id = $3 AND track_id = $4
		ORDER BY card_id`, l.Platform, l.Workspace, l.User, trackID)
}

// DueCards returns the card states due before until, earliest first.
func (s *Store) DueCards(ctx context.Context, until time.Time) ([]store.CardState, error) {
	return s.cardStates(ctx, "list due cards", `due > 0 AND due < $1 ORDER BY due, platform, workspace, user_id, card_id`, ms(until))
}

// ClaimDelivery records d as being sent by the attempt c, unless it was
// sent already, another attempt holds it or its learner was forgotten.
func (s *Store) ClaimDelivery(ctx context.Context, d store.Delivery, c store.DeliveryClaim) (store.DeliveryHold, error) {
	op := fmt.Sprintf("claim delivery %s", store.QuoteID(d.ID))
	var hold store.DeliveryHold
	if err := s.usable(op); err != nil {
		return hold, err
	}
	if err := rules.CheckDelivery(d, c); err != nil {
		return hold, fmt.Errorf("%s: %w", op, err)
	}
	cards, err := json.Marshal(d.Cards)
	if err != nil {
		return hold, fmt.Errorf("%s: %w", op, err)
	}
	var status string
	var doubt int64
	var held error
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.lockLearner(ctx, tx, d.User); err != nil {
			return err
		}
		// Another of the learner's deliveries being sent holds them all:
		// its cards are not recorded yet, so this one could repeat them.
		var other, holder string
		var until int64
		err := tx.QueryRow(ctx, `SELECT id, claim, lease_until FROM deliveries
			WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND status = $4 AND lease_until > $5 AND id <> $6
			LIMIT 1`, d.Platform, d.Workspace, d.User, store.DeliverySending, ms(c.At), d.ID).Scan(&other, &holder, &until)
		switch {
		case err == nil:
			held = store.LockHeld("delivery "+other+" to the same learner", holder, fromMS(until))
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		// A new delivery is sending, or cancelled when the learner is
		// paused, stopped or snoozed past its slot; an existing one is
		// taken over likewise when it is still being sent and its lease
		// has ended, in doubt since the claim of the attempt it is taken
		// from when that attempt neither released nor completed it. Any
		// other is left as it is, and no row comes back; so is a learner
		// with no enrolment in the workspace (forgotten since the
		// delivery was planned), for whom nothing is written.
		err = tx.QueryRow(ctx, `INSERT INTO deliveries AS d (id, platform, workspace, user_id, slot, cards, status, claim, lease_until, claimed_at)
			SELECT $1, $2, $3, $4, $5, $6, CASE WHEN EXISTS (SELECT 1 FROM nudge_preferences
				WHERE platform = $2 AND workspace = $3 AND user_id = $4 AND (paused OR stopped OR snoozed_until > $5))
				THEN $8 ELSE $7 END, $9, $10, $11
			WHERE EXISTS (SELECT 1 FROM enrolments WHERE platform = $2 AND workspace = $3 AND user_id = $4)
			ON CONFLICT (id) DO UPDATE SET status = excluded.status, claim = excluded.claim, lease_until = excluded.lease_until,
				claimed_at = excluded.claimed_at,
				in_doubt = CASE WHEN d.in_doubt = 0 AND d.lease_until > 0 THEN greatest(d.claimed_at, 1) ELSE d.in_doubt END
			WHERE d.status = $7 AND d.lease_until <= $11
			RETURNING status, in_doubt`,
			d.ID, d.Platform, d.Workspace, d.User, ms(d.Slot), string(cards), store.DeliverySending, store.DeliveryCancelled,
			c.Token, ms(c.Until), ms(c.At)).Scan(&status, &doubt)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT status, claim, lease_until FROM deliveries WHERE id = $1`, d.ID).
			Scan(&status, &holder, &until)
		switch {
		case errors.Is(err, pgx.ErrNoRows): // a forgotten learner's
			status = ""
			return nil
		case err != nil:
			return err
		}
		if status == store.DeliverySending {
			held = store.LockHeld("delivery "+d.ID, holder, fromMS(until))
		}
		status, doubt = "", 0
		return nil
	})
	if err != nil {
		return hold, s.fail(op, err)
	}
	if held != nil {
		return hold, fmt.Errorf("%s: %w", op, held)
	}
	hold.Held = status == store.DeliverySending
	if hold.Held {
		hold.InDoubt = fromMS(doubt)
	}
	return hold, nil
}

// lockLearner takes, for the rest of tx, the lock that orders a person's
// delivery claims and completions with a forget of them: with it, a
// completion either commits before the forget deletes (and so is
// deleted) or finds its delivery gone, and never writes a card state the
// forget's earlier statements could not see.
func (s *Store) lockLearner(ctx context.Context, tx pgx.Tx, user string) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("learner:"+user, s.schema))
	return err
}

// ReleaseDelivery ends the lease of the attempt token on a delivery still
// being sent, leaving it in doubt since the attempt's claim when the
// attempt may have sent it.
func (s *Store) ReleaseDelivery(ctx context.Context, id, token string, mayHaveSent bool) error {
	op := fmt.Sprintf("release delivery %s", store.QuoteID(id))
	if err := s.usable(op); err != nil {
		return err
	}
	if rules.CheckTexts("delivery", []string{id, token}) != nil {
		return nil // no delivery has such an id or claim
	}
	_, err := s.pool.Exec(ctx, `UPDATE deliveries SET lease_until = 0,
		in_doubt = CASE WHEN $1 AND in_doubt = 0 THEN greatest(claimed_at, 1) ELSE in_doubt END
		WHERE id = $2 AND claim = $3 AND status = $4`,
		mayHaveSent, id, token, store.DeliverySending)
	return s.failIf(op, err)
}

// CompleteDelivery records a delivery's outcome and progress at once.
func (s *Store) CompleteDelivery(ctx context.Context, d store.DeliveryDone) error {
	op := fmt.Sprintf("complete delivery %s", store.QuoteID(d.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := rules.CheckDeliveryDone(d); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var cards *string // NULL keeps the claimed cards
	if d.Cards != nil {
		b, err := json.Marshal(d.Cards)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		cards = new(string)
		*cards = string(b)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var user string
		err := tx.QueryRow(ctx, `SELECT user_id FROM deliveries WHERE id = $1 AND claim = $2`, d.ID, d.Claim).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		// Under the learner's lock the update sees whether a forget
		// deleted the delivery meanwhile.
		if err := s.lockLearner(ctx, tx, user); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE deliveries SET status = $1, sent_at = $2, thread = $3, cards = coalesce($4, cards),
			lease_until = 0 WHERE id = $5 AND claim = $6`, d.Status, ms(d.At), d.Thread, cards, d.ID, d.Claim)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		for _, e := range d.Enrolments {
			if err := saveEnrolment(ctx, tx, e); err != nil {
				return err
			}
		}
		for _, c := range d.States {
			if err := saveCardState(ctx, tx, c); err != nil {
				return err
			}
		}
		for _, e := range d.Events {
			if err := insertEvent(ctx, tx, e); err != nil {
				return err
			}
		}
		if d.Preferences != nil {
			return savePreferences(ctx, tx, *d.Preferences)
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return s.failIf(op, err)
}

const deliveryCols = "id, platform, workspace, user_id, slot, cards, status, sent_at, thread"

func scanDelivery(sc interface{ Scan(...any) error }) (store.Delivery, error) {
	var d store.Delivery
	var slot, sent int64
	var cards string
	if err := sc.Scan(&d.ID, &d.Platform, &d.Workspace, &d.User, &slot, &cards, &d.Status, &sent, &d.Thread); err != nil {
		return d, err
	}
	d.Slot, d.SentAt = fromMS(slot), fromMS(sent)
	return d, json.Unmarshal([]byte(cards), &d.Cards)
}

// Delivery returns one delivery.
func (s *Store) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	op := fmt.Sprintf("load delivery %s", store.QuoteID(id))
	if err := s.usable(op); err != nil {
		return store.Delivery{}, err
	}
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return d, s.failIf(op, err)
}

// RecentDeliveries returns a learner's sent deliveries, newest first.
func (s *Store) RecentDeliveries(ctx context.Context, l store.Learner, limit int) ([]store.Delivery, error) {
	const op = "list deliveries"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryCols+` FROM deliveries
		WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND status = $4 ORDER BY slot DESC LIMIT $5`,
		l.Platform, l.Workspace, l.User, store.DeliverySent, max(limit, 1))
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, d)
	}
	return out, s.failIf(op, rows.Err())
}

// RecordAnswer keeps the first answer to a card of a delivery.
func (s *Store) RecordAnswer(ctx context.Context, a store.Answer) (bool, error) {
	op := fmt.Sprintf("record answer to %s", store.QuoteID(a.DeliveryID))
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := rules.CheckAnswer(a); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if a.At.IsZero() {
		a.At = s.opts.Clock()
	}
	res, err := s.pool.Exec(ctx, `INSERT INTO answers
		(delivery_id, card_id, platform, workspace, user_id, choice, correct, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (delivery_id, card_id) DO NOTHING`,
		a.DeliveryID, a.CardID, a.Platform, a.Workspace, a.User, a.Choice, a.Correct, ms(a.At))
	if err != nil {
		return false, s.fail(op, err)
	}
	return res.RowsAffected() == 1, nil
}

// RecordQuizAnswer records a first quiz answer and its review at once.
func (s *Store) RecordQuizAnswer(ctx context.Context, r store.QuizReview) (bool, error) {
	a, c := r.Answer, r.State
	op := fmt.Sprintf("record quiz answer to %s", store.QuoteID(a.DeliveryID))
	if err := s.usable(op); err != nil {
		return false, err
	}
	if err := rules.CheckQuizReview(r); err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	if a.At.IsZero() {
		a.At = s.opts.Clock()
	}
	errStale := errors.New("answered or reviewed already")
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO answers
			(delivery_id, card_id, platform, workspace, user_id, choice, correct, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (delivery_id, card_id) DO NOTHING`,
			a.DeliveryID, a.CardID, a.Platform, a.Workspace, a.User, a.Choice, a.Correct, ms(a.At))
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return errStale
		}
		// Saved unless the stored last review is no longer the one the
		// review was computed from.
		res, err = tx.Exec(ctx, cardStateUpsertSQL+` WHERE card_states.last_review = $16`, append(cardStateArgs(c), ms(r.Prev))...)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return errStale
		}
		return nil
	})
	if errors.Is(err, errStale) {
		return false, nil
	}
	if err != nil {
		return false, s.fail(op, err)
	}
	return true, nil
}

// Answers returns the answers to a delivery's cards.
func (s *Store) Answers(ctx context.Context, deliveryID string) ([]store.Answer, error) {
	const op = "list answers"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id, card_id, platform, workspace, user_id, choice, correct, at
		FROM answers WHERE delivery_id = $1 ORDER BY card_id`, deliveryID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Answer
	for rows.Next() {
		var a store.Answer
		var at int64
		if err := rows.Scan(&a.DeliveryID, &a.CardID, &a.Platform, &a.Workspace, &a.User, &a.Choice, &a.Correct, &at); err != nil {
			return nil, s.fail(op, err)
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	return out, s.failIf(op, rows.Err())
}

// jsonStrings keeps a list as a JSON array in a text column, as the SQLite
// store does, so that both backends share one schema shape.
func jsonStrings(ss []string) string {
	if len(ss) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

func parseJSONStrings(s string) ([]string, error) {
	var ss []string
	if err := json.Unmarshal([]byte(s), &ss); err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, nil
	}
	return ss, nil
}

// DeliveryInThread implements store.Nudges.
func (s *Store) DeliveryInThread(ctx context.Context, l store.Learner, thread string) (store.Delivery, error) {
	const op = "find a delivery by its message"
	if err := s.usable(op); err != nil {
		return store.Delivery{}, err
	}
	if thread == "" {
		return store.Delivery{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryCols+` FROM deliveries
		WHERE platform = $1 AND workspace = $2 AND user_id = $3 AND thread = $4 AND status = $5`,
		l.Platform, l.Workspace, l.User, thread, store.DeliverySent))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return d, s.failIf(op, err)
}
