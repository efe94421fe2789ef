package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store"
)

// SetCollection creates or replaces the settings of a collection.
func (s *Store) SetCollection(ctx context.Context, c store.Collection) error {
	op := fmt.Sprintf("set collection %s", store.QuoteID(c.Name))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := errors.Join(store.ValidateCollection(c), rules.CheckText("collection name", c.Name),
		rules.CheckText("audience", c.Audience)); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	updated := c.UpdatedAt
	if updated.IsZero() {
		updated = s.opts.Clock()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO collections (name, audience, approval, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET audience = excluded.audience, approval = excluded.approval,
			updated_at = excluded.updated_at`, c.Name, c.Audience, c.Approval, updated)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// ListCollections returns the collections with settings, by name byte by
// byte (as SQLite orders them).
func (s *Store) ListCollections(ctx context.Context) ([]store.Collection, error) {
	const op = "list collections"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, audience, approval, updated_at FROM collections ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Collection, error) {
		var c store.Collection
		err := row.Scan(&c.Name, &c.Audience, &c.Approval, &c.UpdatedAt)
		c.UpdatedAt = c.UpdatedAt.UTC()
		return c, err
	})
	if err != nil {
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
	return s.listDocuments(ctx, op, `WHERE status = 'draft' ORDER BY id COLLATE "C"`)
}

// PublishDocument publishes a draft. Its chunks are written again under
// new ids, in the same transaction and under the writer lock, because the
// lexical indexes of every process follow the chunks table by id and
// would not see a change of status alone.
func (s *Store) PublishDocument(ctx context.Context, id string) error {
	op := fmt.Sprintf("publish document %s", store.QuoteID(id))
	if err := s.usable(op); err != nil {
		return err
	}
	if rules.CheckText("document id", id) != nil {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var (
		w      written
		status string
		last   int64 // the document's last chunk id before
	)
	// Every writer of documents and chunks holds the writer lock, so the
	// status read here stays true until the commit.
	err := s.writeTx(ctx, &w, func(b *pgx.Batch) {
		b.Queue(`SELECT coalesce((SELECT status FROM documents WHERE id = $1), ''),
			(SELECT coalesce(max(id), 0) FROM chunks WHERE doc_id = $1)`, id).
			QueryRow(func(r pgx.Row) error { return r.Scan(&status, &last) })
	}, func(tx pgx.Tx) error {
		switch status {
		case "":
			return store.ErrNotFound
		case store.StatusPublished:
			return nil
		}
		b := &pgx.Batch{}
		b.Queue("UPDATE documents SET status = 'published' WHERE id = $1", id)
		// New ids come from the sequence, above every id loaded, so the
		// indexes read the chunks back at their next search.
		b.Queue(`INSERT INTO chunks (doc_id, ordinal, heading, text, terms, embedding, embedder)
			SELECT doc_id, ordinal, heading, text, terms, embedding, embedder FROM chunks
			WHERE doc_id = $1 ORDER BY id`, id)
		b.Queue("DELETE FROM chunks WHERE doc_id = $1 AND id <= $2", id, last)
		b.Queue("SELECT coalesce(max(seq), 0) FROM chunk_deletions").QueryRow(func(r pgx.Row) error { return r.Scan(&w.end.seq) })
		return tx.SendBatch(ctx, b).Close()
	})
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// listDocuments reads the documents a WHERE and ORDER BY clause select.
func (s *Store) listDocuments(ctx context.Context, op, clauses string, args ...any) ([]store.Document, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+documentColumns+` FROM documents `+clauses, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Document, error) { return scanDocument(row) })
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
