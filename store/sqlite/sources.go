package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lorehq/lore/store"
)

var _ store.Sources = (*Store)(nil)

const sourceColumns = `name, kind, location, collection, owner, audience, every_ms, created_at,
	documents, chunks, last_sync, last_success, last_error, approval, review_every_ms, landed`

// AddSource registers src; CreatedAt defaults to the store's clock.
func (s *Store) AddSource(ctx context.Context, src store.Source) error {
	op := fmt.Sprintf("add source %s", store.QuoteID(src.Name))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := store.ValidateSource(src); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if src.CreatedAt.IsZero() {
		src.CreatedAt = s.opts.Clock()
	}
	st := src.Status
	res, err := s.wdb.ExecContext(ctx, `INSERT INTO sources (`+sourceColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		src.Name, src.Kind, src.Location, src.Collection, src.Owner, src.Audience, src.Every.Milliseconds(),
		src.CreatedAt.UnixMilli(), st.Documents, st.Chunks, msOrZero(st.LastSync), msOrZero(st.LastSuccess), st.LastError, src.Approval, src.ReviewEvery.Milliseconds(),
		st.Landed)
	if err != nil {
		return s.fail(op, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
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
	src, err := scanSource(s.rdb.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources ORDER BY name`)
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

type rowScanner interface{ Scan(dest ...any) error }

func scanSource(r rowScanner) (store.Source, error) {
	var (
		src                              store.Source
		everyMS, created, last, lastSucc int64
		reviewMS                         int64
	)
	err := r.Scan(&src.Name, &src.Kind, &src.Location, &src.Collection, &src.Owner, &src.Audience, &everyMS, &created,
		&src.Status.Documents, &src.Status.Chunks, &last, &lastSucc, &src.Status.LastError, &src.Approval, &reviewMS, &src.Status.Landed)
	if err != nil {
		return store.Source{}, err
	}
	src.Every = time.Duration(everyMS) * time.Millisecond
	src.ReviewEvery = time.Duration(reviewMS) * time.Millisecond
	src.CreatedAt = time.UnixMilli(created).UTC()
	src.Status.LastSync = timeOrZero(last)
	src.Status.LastSuccess = timeOrZero(lastSucc)
	return src, nil
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func timeOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// RemoveSource forgets a source and, by cascade, its pages.
func (s *Store) RemoveSource(ctx context.Context, name string) error {
	op := fmt.Sprintf("remove source %s", store.QuoteID(name))
	if err := s.writable(op); err != nil {
		return err
	}
	res, err := s.wdb.ExecContext(ctx, `DELETE FROM sources WHERE name = ?`, name)
	if err != nil {
		return s.fail(op, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// RecordSync stores a sync's status and, when asked, its pages, in one
// transaction.
func (s *Store) RecordSync(ctx context.Context, name string, rec store.SyncRecord) error {
	op := fmt.Sprintf("record sync of source %s", store.QuoteID(name))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := store.ValidateSyncRecord(rec); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	st := rec.Status
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sources SET documents = ?, chunks = ?, last_sync = ?,
			last_success = ?, last_error = ?, landed = ? WHERE name = ?`,
			st.Documents, st.Chunks, msOrZero(st.LastSync), msOrZero(st.LastSuccess), st.LastError, st.Landed, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return store.ErrNotFound
		}
		if !rec.ReplacePages {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM source_pages WHERE source = ?`, name); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO source_pages
			(source, doc_id, location, content_hash, etag, last_modified, chunks) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (source, doc_id) DO UPDATE SET location = excluded.location,
			content_hash = excluded.content_hash, etag = excluded.etag,
			last_modified = excluded.last_modified, chunks = excluded.chunks`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, p := range rec.Pages {
			if _, err := stmt.ExecContext(ctx, name, p.DocID, p.Location, p.ContentHash, p.ETag, p.LastModified, p.Chunks); err != nil {
				return err
			}
		}
		return nil
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
	rows, err := s.rdb.QueryContext(ctx, `SELECT doc_id, location, content_hash, etag, last_modified, chunks
		FROM source_pages WHERE source = ? ORDER BY location, doc_id`, name)
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
	var out []string
	for batch := range slices.Chunk(ids, maxParams) {
		args := make([]any, 0, len(batch)+1)
		args = append(args, name)
		for _, id := range batch {
			args = append(args, id)
		}
		rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT doc_id FROM source_pages
			WHERE source <> ? AND doc_id IN (`+placeholders(len(batch))+`)`, args...)
		if err != nil {
			return nil, s.fail(op, err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, s.fail(op, err)
			}
			out = append(out, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.fail(op, err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// UpdateSource changes a source's settings in one transaction: the row
// is read, changed and checked on the write connection, so two updates
// never interleave.
func (s *Store) UpdateSource(ctx context.Context, name string, u store.SourceUpdate) (before, after store.Source, err error) {
	op := fmt.Sprintf("update source %s", store.QuoteID(name))
	if err := s.writable(op); err != nil {
		return store.Source{}, store.Source{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		before, err = scanSource(tx.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		after = u.Apply(before)
		if err := store.ValidateSource(after); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sources SET owner = ?, audience = ?, approval = ?, every_ms = ?,
			review_every_ms = ? WHERE name = ?`,
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
