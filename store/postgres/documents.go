package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/lorehq/lore/store"
)

const dimensionKey = "vector_dimension"

// hnswIndex is the name of the vector index, created with the first vector.
const hnswIndex = "chunks_embedding_hnsw"

func readDimension(ctx context.Context, q queryer) (int, error) {
	var v string
	err := q.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", dimensionKey).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read vector dimension: %w", err)
	}
	dim, err := strconv.Atoi(v)
	if err != nil || dim <= 0 {
		return 0, fmt.Errorf("read vector dimension: meta holds %q", v)
	}
	return dim, nil
}

// dimension returns the vector dimension queries and writes must have: the
// database's once known, else the configured one, else 0. A store that
// knew none asks the database again, since another process may have
// written the first vector since.
func (s *Store) dimension(ctx context.Context) (int, error) {
	if d := s.dim.Load(); d != 0 {
		return int(d), nil
	}
	d, err := readDimension(ctx, s.pool)
	if err != nil {
		return 0, err
	}
	if d != 0 {
		s.dim.Store(int64(d))
		return d, nil
	}
	return s.opts.Dimensions, nil
}

// writeTx runs fn in a transaction that first takes the schema's writer
// lock, so that writers of chunks, in every process, run one at a time.
// fn records in w the chunks it removed and added; once the transaction
// commits, the lexical index learns them (applyWrite).
func (s *Store) writeTx(ctx context.Context, w *written, fn func(tx pgx.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.writeKey); err != nil {
			return err
		}
		var err error
		if w.start, err = readMarks(ctx, tx); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		w.end, err = readMarks(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	s.applyWrite(*w)
	return nil
}

// ReplaceDocument stores doc with exactly chunks in one transaction: the
// document row is upserted, its old chunks deleted and the new ones copied
// in, so readers see either version whole. Chunk ids are assigned here;
// the Chunk.ID and Chunk.DocID passed in are ignored (a DocID naming
// another document is refused). Every chunk needs a vector of the store's
// dimension; the first vector ever written fixes it and creates the HNSW
// index.
func (s *Store) ReplaceDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	op := fmt.Sprintf("replace document %q", doc.ID)
	if err := s.usable(op); err != nil {
		return err
	}
	if _, err := s.replace(ctx, doc, chunks, false); err != nil {
		if errors.Is(err, store.ErrInvalidInput) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return s.fail(op, err)
	}
	return nil
}

// replace is ReplaceDocument without the operation's name in errors. In a
// bulk load (bulk set) the commit does not wait for the write-ahead log to
// reach disk: a crash of the server may lose the last documents of the
// load, whole, and re-running the load stores them again. It returns the
// number of chunks the document had before.
func (s *Store) replace(ctx context.Context, doc store.Document, chunks []store.Chunk, bulk bool) (replaced int, err error) {
	dim, err := checkDocument(doc, chunks)
	if err != nil {
		return 0, err
	}
	// Fail before taking the writer lock when the answer is already
	// known; the transaction checks again against the database.
	if err := store.CheckDimension(dim, s.knownDimension()); err != nil {
		return 0, err
	}
	updated := doc.UpdatedAt
	if updated.IsZero() {
		updated = s.opts.Clock()
	}

	claimed := false
	var w written
	err = s.writeTx(ctx, &w, func(tx pgx.Tx) error {
		if bulk {
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
				return err
			}
		}
		if dim != 0 {
			var err error
			if claimed, err = claimDimension(ctx, tx, dim); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO documents
			(id, collection, source, title, tags, owner, content_hash, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (id) DO UPDATE SET
				collection = excluded.collection, source = excluded.source,
				title = excluded.title, tags = excluded.tags, owner = excluded.owner,
				content_hash = excluded.content_hash, updated_at = excluded.updated_at`,
			doc.ID, doc.Collection, doc.Source, doc.Title, orEmpty(doc.Tags),
			doc.Owner, doc.ContentHash, millis(updated))
		if err != nil {
			return fmt.Errorf("upsert document: %w", err)
		}
		rows, err := tx.Query(ctx, "DELETE FROM chunks WHERE doc_id = $1 RETURNING id", doc.ID)
		if err != nil {
			return fmt.Errorf("delete old chunks: %w", err)
		}
		if w.removed, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return fmt.Errorf("delete old chunks: %w", err)
		}
		if len(chunks) == 0 {
			return nil
		}
		// Ids are drawn as one range under the writer lock, so that the
		// lexical index learns them without reading the chunks back.
		var last int64
		if err := tx.QueryRow(ctx, "SELECT setval('chunks_id_seq', nextval('chunks_id_seq') + $1 - 1)",
			len(chunks)).Scan(&last); err != nil {
			return fmt.Errorf("allocate chunk ids: %w", err)
		}
		first := last - int64(len(chunks)) + 1
		// COPY rather than INSERTs: one round trip for the whole
		// document.
		rowsIn := make([][]any, len(chunks))
		w.added = make([]termRow, len(chunks))
		for i, c := range chunks {
			id := first + int64(i)
			terms := orEmpty(c.Terms)
			rowsIn[i] = []any{id, doc.ID, c.Ordinal, c.Heading, c.Text, terms, pgvector.NewVector(c.Vector)}
			w.added[i] = termRow{id: id, docID: doc.ID, terms: terms}
		}
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"chunks"},
			[]string{"id", "doc_id", "ordinal", "heading", "text", "terms", "embedding"}, pgx.CopyFromRows(rowsIn))
		if err != nil {
			return fmt.Errorf("copy chunks: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if claimed {
		s.dim.Store(int64(dim))
	}
	return len(w.removed), nil
}

// knownDimension is the dimension this store already knows, without
// asking the database.
func (s *Store) knownDimension() int {
	if d := s.dim.Load(); d != 0 {
		return int(d)
	}
	return s.opts.Dimensions
}

// claimDimension records dim as the store's vector dimension if none is
// recorded yet, creating the HNSW index for it, and otherwise refuses
// vectors of another dimension. The caller holds the writer lock, so no
// other process can claim a dimension meanwhile. It reports whether the
// dimension is now known to be dim.
//
// The index is created inside the writing transaction: it is empty, so
// creating it is instant, it blocks only other writers (which queue on the
// writer lock anyway) and never readers, and it exists exactly when the
// dimension is recorded.
func claimDimension(ctx context.Context, tx pgx.Tx, dim int) (bool, error) {
	have, err := readDimension(ctx, tx)
	if err != nil {
		return false, err
	}
	switch {
	case have == 0:
		if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2)", dimensionKey, strconv.Itoa(dim)); err != nil {
			return false, fmt.Errorf("record vector dimension: %w", err)
		}
		// dim is an int validated by checkDocument, so formatting it into
		// the statement is safe; DDL takes no parameters.
		if _, err := tx.Exec(ctx, createVectorIndex(dim)); err != nil {
			return false, fmt.Errorf("create vector index: %w", err)
		}
	case have != dim:
		return false, store.CheckDimension(dim, have)
	}
	return true, nil
}

// DeleteDocuments removes documents and their chunks, in one transaction.
// Unknown ids are ignored.
func (s *Store) DeleteDocuments(ctx context.Context, ids []string) error {
	const op = "delete documents"
	if err := s.usable(op); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if err := rules.CheckTexts("document ids", ids); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var w written
	err := s.writeTx(ctx, &w, func(tx pgx.Tx) error {
		// Chunks first, in one statement, so the trigger that logs the
		// deletions runs once rather than once per document as the
		// cascade would.
		rows, err := tx.Query(ctx, "DELETE FROM chunks WHERE doc_id = ANY($1) RETURNING id", ids)
		if err != nil {
			return err
		}
		if w.removed, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "DELETE FROM documents WHERE id = ANY($1)", ids)
		return err
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// DocumentRefs lists the documents of one collection, ordered by id byte
// by byte (as SQLite orders them), whatever the database's collation.
func (s *Store) DocumentRefs(ctx context.Context, collection string) ([]store.DocumentRef, error) {
	op := fmt.Sprintf("list documents of collection %q", collection)
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if rules.CheckText("collection", collection) != nil {
		return nil, nil // nothing stored can match it
	}
	rows, err := s.pool.Query(ctx,
		"SELECT id, source, content_hash FROM documents WHERE collection = $1 ORDER BY id COLLATE \"C\"", collection)
	if err != nil {
		return nil, s.fail(op, err)
	}
	refs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DocumentRef, error) {
		var r store.DocumentRef
		err := row.Scan(&r.ID, &r.Source, &r.ContentHash)
		return r, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return refs, nil
}

// Document returns one document by id, or an error wrapping
// store.ErrNotFound.
func (s *Store) Document(ctx context.Context, id string) (store.Document, error) {
	op := fmt.Sprintf("load document %q", id)
	if err := s.usable(op); err != nil {
		return store.Document{}, err
	}
	if rules.CheckText("document id", id) != nil {
		return store.Document{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var d store.Document
	err := s.pool.QueryRow(ctx, `SELECT id, collection, source, title, tags, owner, content_hash, updated_at
		FROM documents WHERE id = $1`, id).
		Scan(&d.ID, &d.Collection, &d.Source, &d.Title, &d.Tags, &d.Owner, &d.ContentHash, &d.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Document{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.Document{}, s.fail(op, err)
	}
	d.Tags = orNil(d.Tags)
	d.UpdatedAt = d.UpdatedAt.UTC()
	return d, nil
}

// Stats counts documents and chunks, from one snapshot.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	const op = "count documents"
	if err := s.usable(op); err != nil {
		return store.Stats{}, err
	}
	var st store.Stats
	err := s.pool.QueryRow(ctx,
		"SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").Scan(&st.Documents, &st.Chunks)
	if err != nil {
		return store.Stats{}, s.fail(op, err)
	}
	return st, nil
}
