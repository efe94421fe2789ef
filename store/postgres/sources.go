package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

var _ store.Sources = (*Store)(nil)

const sourceColumns = `name, kind, location, collection, owner, audience, every_ms, created_at,
	documents, chunks, last_sync, last_success, last_error, approval, review_every_ms, landed`

// AddSource registers src; CreatedAt defaults to the store's clock.
func (s *Store) AddSource(ctx context.Context, src store.Source) error {
	op := fmt.Sprintf("add source %s", store.QuoteID(src.Name))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := store.ValidateSource(src); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if src.CreatedAt.IsZero() {
		src.CreatedAt = s.opts.Clock()
	}
	st := src.Status
	tag, err := s.pool.Exec(ctx, `INSERT INTO sources (`+sourceColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (name) DO NOTHING`,
		src.Name, src.Kind, src.Location, src.Collection, src.Owner, src.Audience, src.Every.Milliseconds(),
		millis(src.CreatedAt), st.Documents, st.Chunks, nullTime(st.LastSync), nullTime(st.LastSuccess), st.LastError, src.Approval, src.ReviewEvery.Milliseconds(),
		st.Landed)
	if err != nil {
		return s.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrSourceExists)
	}
	return nil
}

// Source returns one source by name.
func (s *Store) Source(ctx context.Context, name string) (store.Source, error) {
	op := fmt.Sprintf("load source %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return store.Source{}, err
	}
	if rules.CheckText("name", name) != nil {
		return store.Source{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	src, err := scanSource(s.pool.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Source{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.Source{}, s.fail(op, err)
	}
	return src, nil
}

// ListSources returns every source, by name.
func (s *Store) ListSources(ctx context.Context) ([]store.Source, error) {
	const op = "list sources"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+sourceColumns+` FROM sources ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

func scanSource(r pgx.Row) (store.Source, error) {
	var (
		src            store.Source
		everyMS        int64
		reviewMS       int64
		created        time.Time
		last, lastSucc *time.Time
	)
	err := r.Scan(&src.Name, &src.Kind, &src.Location, &src.Collection, &src.Owner, &src.Audience, &everyMS, &created,
		&src.Status.Documents, &src.Status.Chunks, &last, &lastSucc, &src.Status.LastError, &src.Approval, &reviewMS, &src.Status.Landed)
	if err != nil {
		return store.Source{}, err
	}
	src.Every = time.Duration(everyMS) * time.Millisecond
	src.ReviewEvery = time.Duration(reviewMS) * time.Millisecond
	src.CreatedAt = created.UTC()
	if last != nil {
		src.Status.LastSync = last.UTC()
	}
	if lastSucc != nil {
		src.Status.LastSuccess = lastSucc.UTC()
	}
	return src, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	m := millis(t)
	return &m
}

// RemoveSource forgets a source and, by cascade, its pages.
func (s *Store) RemoveSource(ctx context.Context, name string) error {
	op := fmt.Sprintf("remove source %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return err
	}
	if rules.CheckText("name", name) != nil {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM sources WHERE name = $1`, name)
	if err != nil {
		return s.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// RecordSync stores a sync's status and, when asked, its pages, in one
// transaction.
func (s *Store) RecordSync(ctx context.Context, name string, rec store.SyncRecord) error {
	op := fmt.Sprintf("record sync of source %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := store.ValidateSyncRecord(rec); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if rules.CheckText("name", name) != nil {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	st := rec.Status
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sources SET documents = $1, chunks = $2, last_sync = $3,
			last_success = $4, last_error = $5, landed = $6 WHERE name = $7`,
			st.Documents, st.Chunks, nullTime(st.LastSync), nullTime(st.LastSuccess), st.LastError, st.Landed, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		if !rec.ReplacePages {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM source_pages WHERE source = $1`, name); err != nil {
			return err
		}
		rows := make([][]any, 0, len(rec.Pages))
		seen := make(map[string]int, len(rec.Pages))
		for _, p := range rec.Pages {
			row := []any{name, p.DocID, p.Location, p.ContentHash, p.ETag, p.LastModified, p.Chunks}
			// The last page of a repeated id wins, as in the SQLite store.
			if i, dup := seen[p.DocID]; dup {
				rows[i] = row
				continue
			}
			seen[p.DocID] = len(rows)
			rows = append(rows, row)
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"source_pages"},
			[]string{"source", "doc_id", "location", "content_hash", "etag", "last_modified", "chunks"},
			pgx.CopyFromRows(rows))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// SourcePages lists the pages a source has indexed, by location.
func (s *Store) SourcePages(ctx context.Context, name string) ([]store.SourcePage, error) {
	op := fmt.Sprintf("list pages of source %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if rules.CheckText("name", name) != nil {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT doc_id, location, content_hash, etag, last_modified, chunks
		FROM source_pages WHERE source = $1 ORDER BY location COLLATE "C", doc_id COLLATE "C"`, name)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.SourcePage
	for rows.Next() {
		var p store.SourcePage
		if err := rows.Scan(&p.DocID, &p.Location, &p.ContentHash, &p.ETag, &p.LastModified, &p.Chunks); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// ListedByOthers returns those of ids that a source other than name
// lists among its pages, ordered.
func (s *Store) ListedByOthers(ctx context.Context, name string, ids []string) ([]string, error) {
	op := fmt.Sprintf("find pages of source %s listed by others", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if rules.CheckText("name", name) != nil {
		// No source can have such a name: every other one counts.
		name = ""
	}
	if rules.CheckTexts("document ids", ids) != nil {
		// No page can have such an id; keep those that can.
		ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return rules.CheckText("id", id) != nil })
	}
	rows, err := s.pool.Query(ctx, `SELECT doc_id FROM source_pages
		WHERE source <> $1 AND doc_id = ANY($2) GROUP BY doc_id ORDER BY doc_id COLLATE "C"`, name, ids)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// UpdateSource changes a source's settings in one transaction, the row
// locked from read to write so that two updates never interleave.
func (s *Store) UpdateSource(ctx context.Context, name string, u store.SourceUpdate) (before, after store.Source, err error) {
	op := fmt.Sprintf("update source %s", store.QuoteID(name))
	if err := s.usable(op); err != nil {
		return store.Source{}, store.Source{}, err
	}
	if rules.CheckText("name", name) != nil {
		return store.Source{}, store.Source{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		before, err = scanSource(tx.QueryRow(ctx, `SELECT `+sourceColumns+` FROM sources WHERE name = $1 FOR UPDATE`, name))
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		after = u.Apply(before)
		if err := store.ValidateSource(after); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE sources SET owner = $1, audience = $2, approval = $3, every_ms = $4,
			review_every_ms = $5 WHERE name = $6`,
			after.Owner, after.Audience, after.Approval, after.Every.Milliseconds(), after.ReviewEvery.Milliseconds(), name)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalidInput) {
		return store.Source{}, store.Source{}, fmt.Errorf("%s: %w", op, err)
	}
	if err != nil {
		return store.Source{}, store.Source{}, s.fail(op, err)
	}
	return before, after, nil
}
