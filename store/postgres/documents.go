package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/lorehq/lore/store"
)

const dimensionKey = "vector_dimension"

// readMeta reads the meta row key; found is false when there is none.
func readMeta(ctx context.Context, q queryer, key string) (value string, found bool, err error) {
	err = q.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&value)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return value, err == nil, err
}

func readDimension(ctx context.Context, q queryer) (int, error) {
	v, found, err := readMeta(ctx, q, dimensionKey)
	if err != nil {
		return 0, fmt.Errorf("read vector dimension: %w", err)
	}
	if !found {
		return 0, nil
	}
	return parseDimension(v)
}

func parseDimension(v string) (int, error) {
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

// writeTx runs a write of chunks in a transaction that first takes the
// schema's writer lock, so that writers of chunks, in every process, run
// one at a time. The statements queue adds are sent in one round trip
// with the lock, the marks before them (w.start) and the deletion log's
// mark after them (w.end.seq); then, if not nil, runs then. Once the
// transaction commits, the lexical index learns the chunks queue and then
// recorded in w.removed and w.added (applyWrite).
func (s *Store) writeTx(ctx context.Context, w *written, queue func(b *pgx.Batch), then func(tx pgx.Tx) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	// Read committed, whatever the server's default: what a write checks
	// against (the embedding space, the dimension) is read after the
	// writer lock is taken, and must see what the last holder committed.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		// The lock goes alone, before the batch: pgx parses a batch's new
		// statements before it runs the first, and parsing takes locks on
		// chunks that would deadlock with a holder of the writer lock
		// creating or dropping the vector index.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.writeKey); err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(marksQuery).QueryRow(func(r pgx.Row) error { return r.Scan(&w.start.chunkID, &w.start.seq) })
		queue(b)
		b.Queue("SELECT coalesce(max(seq), 0) FROM chunk_deletions").QueryRow(func(r pgx.Row) error { return r.Scan(&w.end.seq) })
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		if then != nil {
			return then(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.end.chunkID = w.start.chunkID
	for _, c := range w.added {
		w.end.chunkID = max(w.end.chunkID, c.id)
	}
	if !w.applyLater {
		s.applyWrite(*w)
	}
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
	op := fmt.Sprintf("replace document %s", store.QuoteID(doc.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if err := s.replace(ctx, doc, chunks, false); err != nil {
		if errors.Is(err, store.ErrInvalidInput) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return s.fail(op, err)
	}
	return nil
}

// docWrite is one document to store with exactly its chunks, validated.
type docWrite struct {
	doc    store.Document
	chunks []store.Chunk
	dim    int
	// embedder is what the chunks name as the maker of their vectors,
	// "" when they do not say (store.WriteEmbedder).
	embedder string
}

// checkWrite validates a document before it is written, against the
// store's known dimension too so that a wrong vector fails before any
// lock is taken; the transaction checks again against the database.
func (s *Store) checkWrite(ctx context.Context, doc store.Document, chunks []store.Chunk) (docWrite, error) {
	dim, err := checkDocument(doc, chunks)
	if err != nil {
		return docWrite{}, err
	}
	embedder, err := store.WriteEmbedder(chunks)
	if err != nil {
		return docWrite{}, err
	}
	if known := s.knownDimension(); store.CheckDimension(dim, known) != nil {
		// Another process may have committed a reindex to a new dimension.
		have := s.refreshDimension(ctx, known)
		if err := store.CheckDimension(dim, have); err != nil {
			if embedder != "" {
				// Vectors made for the store's space before it changed.
				return docWrite{}, fmt.Errorf("%w: the vectors have %d dimensions, the knowledge base's now %d; embed the chunks again",
					store.ErrEmbedderChanged, dim, have)
			}
			return docWrite{}, err
		}
	}
	if doc.UpdatedAt.IsZero() {
		doc.UpdatedAt = s.opts.Clock()
	}
	return docWrite{doc: doc, chunks: chunks, dim: dim, embedder: embedder}, nil
}

// replace is ReplaceDocument without the operation's name in errors.
func (s *Store) replace(ctx context.Context, doc store.Document, chunks []store.Chunk, bulk bool) error {
	d, err := s.checkWrite(ctx, doc, chunks)
	if err != nil {
		return err
	}
	_, err = s.replaceAll(ctx, []docWrite{d}, bulk, false)
	return err
}

// replaceAll stores validated documents, each with exactly its chunks, in
// one transaction of five round trips however many documents it holds.
// Document ids must be distinct. In a bulk load (bulk set) the commit does
// not wait for the write-ahead log to reach disk: a crash of the server
// may lose the load's last transactions, whole, and re-running the load
// stores them again. With applyLater set, the lexical index is not told of
// the write: the caller hands the returned write to applyWrite, in order.
func (s *Store) replaceAll(ctx context.Context, docs []docWrite, bulk, applyLater bool) (written, error) {
	dim, total := 0, 0
	ids := make([]string, len(docs))
	embedder := "" // the embedder the chunks name for their vectors
	for i, d := range docs {
		ids[i] = d.doc.ID
		total += len(d.chunks)
		if d.dim != 0 {
			if dim != 0 && d.dim != dim {
				return written{}, store.CheckDimension(d.dim, dim)
			}
			dim = d.dim
		}
		if d.embedder != "" && embedder != "" && d.embedder != embedder {
			// The store's space changed between preparing the two.
			return written{}, fmt.Errorf("%w: document %q has vectors of %s, another of %s",
				store.ErrEmbedderChanged, d.doc.ID, d.embedder, embedder)
		}
		if d.embedder != "" {
			embedder = d.embedder
		}
	}
	var have struct{ dimension, embedder string } // the store's space, read under the writer lock
	claimed := false
	var (
		w         = written{applyLater: applyLater}
		last      int64 // the last chunk id drawn
		published = make([]bool, len(docs))
	)
	queue := func(b *pgx.Batch) {
		if bulk {
			b.Queue("SET LOCAL synchronous_commit = off")
		}
		for i, d := range docs {
			doc := d.doc
			// The status: as given, else the stored one, else (a new
			// document) draft when its collection requires approval.
			b.Queue(`INSERT INTO documents
				(id, collection, source, title, tags, owner, content_hash, updated_at, review_by, status)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, CASE
					WHEN $9 <> '' THEN $9
					WHEN EXISTS (SELECT 1 FROM collections WHERE name = $2 AND approval) THEN 'draft'
					ELSE 'published' END)
				ON CONFLICT (id) DO UPDATE SET
					collection = excluded.collection, source = excluded.source,
					title = excluded.title, tags = excluded.tags, owner = excluded.owner,
					content_hash = excluded.content_hash, updated_at = excluded.updated_at,
					review_by = excluded.review_by,
					status = CASE WHEN $9 <> '' THEN $9 ELSE documents.status END
				RETURNING status = 'published'`,
				doc.ID, doc.Collection, doc.Source, doc.Title, orEmpty(doc.Tags),
				doc.Owner, doc.ContentHash, millis(doc.UpdatedAt), doc.Status, nullTime(doc.ReviewBy)).
				QueryRow(func(r pgx.Row) error { return r.Scan(&published[i]) })
		}
		b.Queue("DELETE FROM chunks WHERE doc_id = ANY($1) RETURNING id", ids).Query(func(rows pgx.Rows) error {
			var err error
			w.removed, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
		if embedder != "" {
			// Read under the writer lock, which a reindex's commit takes
			// too: the check in then is against the space this
			// transaction's chunks will be recorded in.
			b.Queue("SELECT coalesce((SELECT value FROM meta WHERE key = $1), ''), coalesce((SELECT value FROM meta WHERE key = $2), '')",
				dimensionKey, embedderKey).
				QueryRow(func(r pgx.Row) error { return r.Scan(&have.dimension, &have.embedder) })
		}
		if total > 0 {
			// Ids are drawn as one range under the writer lock, so that
			// the lexical index learns them without reading the chunks
			// back.
			b.Queue("SELECT setval('chunks_id_seq', nextval('chunks_id_seq') + $1 - 1)", total).
				QueryRow(func(r pgx.Row) error { return r.Scan(&last) })
		}
	}
	then := func(tx pgx.Tx) error {
		if embedder != "" {
			storeSpace := store.EmbeddingSpace{Embedder: have.embedder}
			if have.dimension != "" {
				var err error
				if storeSpace.Dimensions, err = parseDimension(have.dimension); err != nil {
					return err
				}
			}
			if err := store.CheckSpace(store.EmbeddingSpace{Embedder: embedder, Dimensions: dim}, storeSpace); err != nil {
				return err
			}
		}
		if dim != 0 && s.dim.Load() == 0 {
			// Until the dimension is known, each write checks it, and the
			// first one records it.
			var err error
			if claimed, err = s.claimDimension(ctx, tx, dim, !bulk); err != nil {
				return err
			}
		}
		if total == 0 {
			return nil
		}
		// COPY rather than INSERTs: one round trip for every chunk.
		id := last - int64(total)
		rowsIn := make([][]any, 0, total)
		w.added = make([]termRow, 0, total)
		for i, d := range docs {
			for _, c := range d.chunks {
				id++
				terms := orEmpty(c.Terms)
				rowsIn = append(rowsIn, []any{id, d.doc.ID, c.Ordinal, c.Heading, c.Text, textArray(terms), pgvector.NewVector(c.Vector)})
				w.added = append(w.added, termRow{id: id, docID: d.doc.ID, collection: d.doc.Collection, terms: terms, skip: !published[i]})
			}
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"chunks"},
			[]string{"id", "doc_id", "ordinal", "heading", "text", "terms", "embedding"}, pgx.CopyFromRows(rowsIn))
		if err != nil {
			return fmt.Errorf("copy chunks: %w", err)
		}
		return nil
	}
	if err := s.writeTx(ctx, &w, queue, then); err != nil {
		return written{}, err
	}
	if claimed {
		s.dim.Store(int64(dim))
	}
	return w, nil
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
// dimension is recorded, except in a bulk load (withIndex false), whose
// Finish builds it once the load is written.
func (s *Store) claimDimension(ctx context.Context, tx pgx.Tx, dim int, withIndex bool) (bool, error) {
	have, err := readDimension(ctx, tx)
	if err != nil {
		return false, err
	}
	switch {
	case have == 0:
		if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2)", dimensionKey, strconv.Itoa(dim)); err != nil {
			return false, fmt.Errorf("record vector dimension: %w", err)
		}
		if !withIndex {
			break
		}
		if err := s.createVectorIndexes(ctx, tx, dim, 0); err != nil {
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
	err := s.writeTx(ctx, &w, func(b *pgx.Batch) {
		// Chunks first, in one statement, so the trigger that logs the
		// deletions runs once rather than once per document as the
		// cascade would.
		b.Queue("DELETE FROM chunks WHERE doc_id = ANY($1) RETURNING id", ids).Query(func(rows pgx.Rows) error {
			var err error
			w.removed, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
		b.Queue("DELETE FROM documents WHERE id = ANY($1)", ids)
	}, nil)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// DocumentRefs lists the documents of one collection, ordered by id byte
// by byte (as SQLite orders them), whatever the database's collation.
func (s *Store) DocumentRefs(ctx context.Context, collection string) ([]store.DocumentRef, error) {
	op := fmt.Sprintf("list documents of collection %s", store.QuoteID(collection))
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
	op := fmt.Sprintf("load document %s", store.QuoteID(id))
	if err := s.usable(op); err != nil {
		return store.Document{}, err
	}
	if rules.CheckText("document id", id) != nil {
		return store.Document{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	d, err := scanDocument(s.pool.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Document{}, fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	if err != nil {
		return store.Document{}, s.fail(op, err)
	}
	return d, nil
}

// documentColumns are the columns scanDocument reads, in its order.
const documentColumns = `id, collection, source, title, tags, owner, content_hash, updated_at, status, review_by`

func scanDocument(r pgx.Row) (store.Document, error) {
	var (
		d        store.Document
		reviewBy *time.Time
	)
	err := r.Scan(&d.ID, &d.Collection, &d.Source, &d.Title, &d.Tags, &d.Owner, &d.ContentHash, &d.UpdatedAt, &d.Status, &reviewBy)
	if err != nil {
		return store.Document{}, err
	}
	d.Tags = orNil(d.Tags)
	d.UpdatedAt = d.UpdatedAt.UTC()
	if reviewBy != nil {
		d.ReviewBy = reviewBy.UTC()
	}
	return d, nil
}

// DueForReview lists the published documents due for review by then.
func (s *Store) DueForReview(ctx context.Context, by time.Time) ([]store.Document, error) {
	const op = "list documents due for review"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	return s.listDocuments(ctx, op, `WHERE status = 'published' AND review_by IS NOT NULL AND review_by <= $1
		ORDER BY review_by, id COLLATE "C"`, millis(by))
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
