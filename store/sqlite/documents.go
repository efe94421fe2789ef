package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/store"
)

// ReplaceDocument stores doc with exactly chunks in one transaction: the
// document row is upserted, its old chunks deleted and the new ones
// inserted, so readers see either version whole. Chunk ids are assigned
// here; the Chunk.ID and Chunk.DocID passed in are ignored (a DocID naming
// another document is refused). Every chunk needs a vector of the store's
// dimension; the first vector ever written fixes it.
func (s *Store) ReplaceDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	op := fmt.Sprintf("replace document %s", store.QuoteID(doc.ID))
	if err := s.writable(op); err != nil {
		return err
	}
	dim, err := rules.ValidateDocument(doc, chunks)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	embedder, err := store.WriteEmbedder(chunks)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	// Fail before taking the write lock when the answer is already known;
	// the transaction checks again against the database.
	s.mu.Lock()
	known := s.dim
	s.mu.Unlock()
	if err := store.CheckDimension(dim, known); err != nil && embedder == "" {
		// (A write naming its embedder is judged against the space in
		// the transaction: the store may have changed it meanwhile.)
		return fmt.Errorf("%s: %w", op, err)
	}
	updated := doc.UpdatedAt
	if updated.IsZero() {
		updated = s.opts.Clock()
	}

	err = s.writeIndexed(ctx, func(tx *sql.Tx) ([]indexedChunk, error) {
		if embedder != "" {
			// The transaction holds the write lock, as a reindex's commit
			// does: this is the space the chunks will be recorded in.
			have, err := readSpace(ctx, tx)
			if err != nil {
				return nil, err
			}
			if err := store.CheckSpace(store.EmbeddingSpace{Embedder: embedder, Dimensions: dim}, have); err != nil {
				return nil, err
			}
		}
		if dim != 0 {
			if err := claimDimension(ctx, tx, dim); err != nil {
				return nil, err
			}
		}
		// The status: as given, else the stored one, else (a new
		// document) draft when its collection requires approval.
		var status string
		err := tx.QueryRowContext(ctx, `INSERT INTO documents
			(id, collection, source, title, tags, owner, content_hash, updated_at, review_by, status)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?10, CASE
				WHEN ?9 <> '' THEN ?9
				WHEN EXISTS (SELECT 1 FROM collections WHERE name = ?2 AND approval) THEN 'draft'
				ELSE 'published' END)
			ON CONFLICT (id) DO UPDATE SET
				collection = excluded.collection, source = excluded.source,
				title = excluded.title, tags = excluded.tags, owner = excluded.owner,
				content_hash = excluded.content_hash, updated_at = excluded.updated_at,
				review_by = excluded.review_by,
				status = CASE WHEN ?9 <> '' THEN ?9 ELSE documents.status END
			RETURNING status`,
			doc.ID, doc.Collection, doc.Source, doc.Title, encodeStrings(doc.Tags),
			doc.Owner, doc.ContentHash, updated.UnixMilli(), doc.Status, nullMillis(doc.ReviewBy)).Scan(&status)
		if err != nil {
			return nil, fmt.Errorf("upsert document: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM chunks WHERE doc_id = ?", doc.ID); err != nil {
			return nil, fmt.Errorf("delete old chunks: %w", err)
		}
		if len(chunks) == 0 {
			return nil, nil
		}
		// The chunk records the store's embedder (embeddings.go).
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO chunks
			(doc_id, ordinal, heading, text, terms, vector, dim, embedder) VALUES (?, ?, ?, ?, ?, ?, ?,
			coalesce((SELECT value FROM meta WHERE key = 'embedder'), ''))`)
		if err != nil {
			return nil, fmt.Errorf("prepare chunk insert: %w", err)
		}
		defer stmt.Close()
		added := make([]indexedChunk, 0, len(chunks))
		var buf []byte
		for i, c := range chunks {
			buf = appendVector(buf[:0], c.Vector)
			res, err := stmt.ExecContext(ctx, doc.ID, c.Ordinal, c.Heading, c.Text,
				strings.Join(c.Terms, " "), buf, len(c.Vector))
			if err != nil {
				return nil, fmt.Errorf("insert chunk %d: %w", i, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return nil, fmt.Errorf("insert chunk %d: %w", i, err)
			}
			// Copies: the caller may reuse its slices once we return,
			// and Index.Add does not promise to copy what it keeps.
			added = append(added, indexedChunk{
				id: id, docID: doc.ID, collection: doc.Collection, terms: slices.Clone(c.Terms), vector: slices.Clone(c.Vector),
			})
		}
		if status != store.StatusPublished {
			// A draft's chunks are not searched. The index still learns
			// their ids were seen, so it does not read them back.
			for i := range added {
				added[i].skip = true
			}
		}
		return added, nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// claimDimension records dim as the store's vector dimension if none is
// recorded yet, and otherwise refuses vectors of another dimension.
func claimDimension(ctx context.Context, tx *sql.Tx, dim int) error {
	have, err := readDimension(ctx, tx)
	if err != nil {
		return err
	}
	switch {
	case have == 0:
		_, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", dimensionKey, strconv.Itoa(dim))
		if err != nil {
			return fmt.Errorf("record vector dimension: %w", err)
		}
	case have != dim:
		return store.CheckDimension(dim, have)
	}
	return nil
}

// maxParams bounds the ids bound into one IN (...) list, well below
// SQLite's limit on host parameters.
const maxParams = 500

// placeholders returns "?, ?, ..." for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// DeleteDocuments removes documents and, by cascade, their chunks, in one
// transaction. Unknown ids are ignored.
func (s *Store) DeleteDocuments(ctx context.Context, ids []string) error {
	const op = "delete documents"
	if err := s.writable(op); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if err := rules.CheckTexts("document ids", ids); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := s.writeIndexed(ctx, func(tx *sql.Tx) ([]indexedChunk, error) {
		for batch := range slices.Chunk(ids, maxParams) {
			args := make([]any, len(batch))
			for i, id := range batch {
				args[i] = id
			}
			q := "DELETE FROM documents WHERE id IN (" + placeholders(len(batch)) + ")"
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// DocumentRefs lists the documents of one collection, ordered by id.
func (s *Store) DocumentRefs(ctx context.Context, collection string) ([]store.DocumentRef, error) {
	op := fmt.Sprintf("list documents of collection %s", store.QuoteID(collection))
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx,
		"SELECT id, source, content_hash FROM documents WHERE collection = ? ORDER BY id", collection)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var refs []store.DocumentRef
	for rows.Next() {
		var r store.DocumentRef
		if err := rows.Scan(&r.ID, &r.Source, &r.ContentHash); err != nil {
			return nil, s.fail(op, err)
		}
		refs = append(refs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return refs, nil
}

// Document returns one document by id, or an error wrapping
// store.ErrNotFound.
func (s *Store) Document(ctx context.Context, id string) (store.Document, error) {
	op := fmt.Sprintf("load document %s", store.QuoteID(id))
	if err := s.usable(op); err != nil {
		return store.Document{}, err
	}
	d, err := scanDocument(s.rdb.QueryRowContext(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Document{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.Document{}, s.fail(op, err)
	}
	return d, nil
}

// documentColumns are the columns scanDocument reads, in its order.
const documentColumns = `id, collection, source, title, tags, owner, content_hash, updated_at, status, review_by`

func scanDocument(r rowScanner) (store.Document, error) {
	var (
		d        store.Document
		tags     string
		updated  int64
		reviewBy sql.NullInt64
	)
	err := r.Scan(&d.ID, &d.Collection, &d.Source, &d.Title, &tags, &d.Owner, &d.ContentHash, &updated, &d.Status, &reviewBy)
	if err != nil {
		return store.Document{}, err
	}
	if d.Tags, err = decodeStrings(tags); err != nil {
		return store.Document{}, err
	}
	d.UpdatedAt = time.UnixMilli(updated).UTC()
	if reviewBy.Valid {
		d.ReviewBy = time.UnixMilli(reviewBy.Int64).UTC()
	}
	return d, nil
}

// nullMillis is t in unix milliseconds, or NULL when t is zero.
func nullMillis(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// DueForReview lists the published documents due for review by then.
func (s *Store) DueForReview(ctx context.Context, by time.Time) ([]store.Document, error) {
	const op = "list documents due for review"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	return s.listDocuments(ctx, op, `WHERE status = 'published' AND review_by IS NOT NULL AND review_by <= ?
		ORDER BY review_by, id`, by.UnixMilli())
}

// Stats counts documents and chunks, from one snapshot.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	const op = "count documents"
	if err := s.usable(op); err != nil {
		return store.Stats{}, err
	}
	var st store.Stats
	err := s.rdb.QueryRowContext(ctx,
		"SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").Scan(&st.Documents, &st.Chunks)
	if err != nil {
		return store.Stats{}, s.fail(op, err)
	}
	return st, nil
}
