package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lorehq/lore/store"
)

// SetCollection creates or replaces the settings of a collection.
func (s *Store) SetCollection(ctx context.Context, c store.Collection) error {
	op := fmt.Sprintf("set collection %s", store.QuoteID(c.Name))
	if err := s.writable(op); err != nil {
		return err
	}
	if err := store.ValidateCollection(c); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	updated := c.UpdatedAt
	if updated.IsZero() {
		updated = s.opts.Clock()
	}
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO collections (name, audience, approval, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET audience = excluded.audience, approval = excluded.approval,
			updated_at = excluded.updated_at`, c.Name, c.Audience, c.Approval, updated.UnixMilli())
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// ListCollections returns the collections with settings, by name.
func (s *Store) ListCollections(ctx context.Context) ([]store.Collection, error) {
	const op = "list collections"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT name, audience, approval, updated_at FROM collections ORDER BY name")
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Collection
	for rows.Next() {
		var (
			c       store.Collection
			updated int64
		)
		if err := rows.Scan(&c.Name, &c.Audience, &c.Approval, &updated); err != nil {
			return nil, s.fail(op, err)
		}
		c.UpdatedAt = time.UnixMilli(updated).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// Drafts lists the documents waiting for approval, by id.
func (s *Store) Drafts(ctx context.Context) ([]store.Document, error) {
	const op = "list drafts"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	return s.listDocuments(ctx, op, `WHERE status = 'draft' ORDER BY id`)
}

// PublishDocument publishes a draft. Its chunks are written again under
// new ids, in the same transaction, because in-memory indexes (this
// process's and every other's) follow the chunks table by id and would
// not see a change of status alone.
func (s *Store) PublishDocument(ctx context.Context, id string) error {
	op := fmt.Sprintf("publish document %s", store.QuoteID(id))
	if err := s.writable(op); err != nil {
		return err
	}
	errNotFound := fmt.Errorf("%s: %w", op, store.ErrNotFound)
	err := s.writeIndexed(ctx, func(tx *sql.Tx) ([]indexedChunk, error) {
		var status string
		err := tx.QueryRowContext(ctx, "SELECT status FROM documents WHERE id = ?", id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		if err != nil || status == store.StatusPublished {
			return nil, err
		}
		var last int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM chunks WHERE doc_id = ?", id).Scan(&last); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE documents SET status = 'published' WHERE id = ?", id); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (doc_id, ordinal, heading, text, terms, vector, dim, embedder)
			SELECT doc_id, ordinal, heading, text, terms, vector, dim, embedder FROM chunks
			WHERE doc_id = ? ORDER BY id`, id); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM chunks WHERE doc_id = ? AND id <= ?", id, last); err != nil {
			return nil, err
		}
		// The index reads the new chunks back at the next search.
		return nil, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// listDocuments reads the documents a WHERE and ORDER BY clause select.
func (s *Store) listDocuments(ctx context.Context, op, clauses string, args ...any) ([]store.Document, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+documentColumns+` FROM documents `+clauses, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []store.Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
