package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lorehq/lore/store/memindex"
)

// The in-memory index follows the chunks table through two marks: the
// highest chunk id loaded and the highest chunk_deletions seq applied.
// Both columns are AUTOINCREMENT and writers are serialised by the database
// lock, so ids and seqs become visible in increasing order, and anything
// above a mark is exactly what the index has not seen.

const (
	dimensionKey = "vector_dimension"

	// marksQuery is the cheap check made before every search: two lookups
	// at the right edge of two b-trees.
	marksQuery = `SELECT
		(SELECT coalesce(max(id), 0) FROM chunks),
		(SELECT coalesce(max(seq), 0) FROM chunk_deletions)`
)

func readDimension(ctx context.Context, q queryer) (int, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", dimensionKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
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

// syncIndex brings the index up to date with writes made through other
// connections and returns it; it is nil while the store holds no vectors.
func (s *Store) syncIndex(ctx context.Context) (*memindex.Index, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if s.opts.Freshness > 0 && now.Sub(s.lastCheck) < s.opts.Freshness {
		return s.ix, s.dim, nil
	}
	var maxID, maxSeq int64
	if err := s.rdb.QueryRowContext(ctx, marksQuery).Scan(&maxID, &maxSeq); err != nil {
		return nil, 0, fmt.Errorf("check for new chunks: %w", err)
	}
	s.lastCheck = now
	if maxID > s.lastChunkID || maxSeq > s.lastDeletionSeq {
		if err := s.catchUpLocked(ctx); err != nil {
			return nil, 0, err
		}
	}
	return s.ix, s.dim, nil
}

// catchUpLocked loads into the index what was committed since the marks,
// all from one read snapshot so that deletions and additions agree. With
// zero marks it is the full load done at Open. The caller holds s.mu.
//
// If it fails part way the marks stay where they were and the next call
// repeats the work; Add and Remove are idempotent, so that is safe.
func (s *Store) catchUpLocked(ctx context.Context) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin index catch-up: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	var maxID, maxSeq int64
	if err := tx.QueryRowContext(ctx, marksQuery).Scan(&maxID, &maxSeq); err != nil {
		return fmt.Errorf("check for new chunks: %w", err)
	}
	if maxID <= s.lastChunkID && maxSeq <= s.lastDeletionSeq {
		return nil
	}
	if s.ix != nil && maxID > s.lastChunkID {
		// A committed reindex (store/sqlite/embeddings.go) may have
		// replaced every vector with one of another dimension: start a
		// new index and load it whole.
		dim, err := readDimension(ctx, tx)
		if err != nil {
			return err
		}
		if dim != s.dim {
			s.ix, s.dim, s.lastChunkID = nil, 0, 0
			s.lastDeletionSeq = maxSeq
		}
	}
	if s.ix == nil && maxID > 0 {
		// Another process wrote the first vectors.
		dim, err := readDimension(ctx, tx)
		if err != nil {
			return err
		}
		if dim == 0 {
			return fmt.Errorf("the database holds chunks but no vector dimension")
		}
		s.ix, s.dim = memindex.New(dim), dim
	}

	// Deletions matter only for chunks already loaded: one with a higher
	// id that was since deleted is simply absent from the load below. On
	// the full load there is nothing to remove, however long the log.
	if maxSeq > s.lastDeletionSeq && s.lastChunkID > 0 {
		rows, err := tx.QueryContext(ctx,
			"SELECT chunk_id FROM chunk_deletions WHERE seq > ? AND chunk_id <= ?",
			s.lastDeletionSeq, s.lastChunkID)
		if err != nil {
			return fmt.Errorf("read chunk deletions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return fmt.Errorf("read chunk deletions: %w", err)
			}
			s.ix.Remove(id)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read chunk deletions: %w", err)
		}
	}
	if maxID > s.lastChunkID {
		if err := s.loadChunks(ctx, tx, s.lastChunkID); err != nil {
			return err
		}
	}
	s.lastChunkID = max(s.lastChunkID, maxID)
	s.lastDeletionSeq = max(s.lastDeletionSeq, maxSeq)
	return nil
}

// vectorSlab is how many vectors share one allocation during a load:
// fewer, larger allocations, while a slab stays small next to the index.
const vectorSlab = 1024

// loadBatch is how many decoded chunks are handed to the index at a time.
const loadBatch = 512

// loadChunks streams chunks with an id above after into the index. Reading
// and decoding rows overlaps with Index.Add, which is the larger cost, so a
// full load takes about as long as indexing alone. Columns are scanned into
// reused RawBytes so that the only allocations per chunk are its terms and
// its share of a vector slab.
func (s *Store) loadChunks(ctx context.Context, tx *sql.Tx, after int64) error {
	// Drafts are left out: nothing searches them, and publishing one
	// writes its chunks again under new ids (PublishDocument).
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.doc_id, d.collection, c.terms, c.vector, c.dim
		FROM chunks c JOIN documents d ON d.id = c.doc_id
		WHERE c.id > ? AND d.status = 'published' ORDER BY c.id`, after)
	if err != nil {
		return fmt.Errorf("load chunks: %w", err)
	}
	defer rows.Close()

	ix := s.ix
	batches := make(chan []indexedChunk, 4)
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		for b := range batches {
			for _, c := range b {
				ix.Add(c.id, c.docID, c.collection, c.terms, c.vector)
			}
		}
	}()
	err = s.decodeChunks(rows, batches)
	close(batches)
	<-indexed
	return err
}

// decodeChunks reads rows into batches of indexedChunk and sends them.
func (s *Store) decodeChunks(rows *sql.Rows, batches chan<- []indexedChunk) error {
	var (
		id              int64
		dim             int
		docRaw, termRaw sql.RawBytes
		collRaw         sql.RawBytes
		vecRaw          sql.RawBytes
		slab            []float32
		batch           = make([]indexedChunk, 0, loadBatch)
		// Chunks of one document share its id string.
		docIDs = make(map[string]string)
		colls  = make(map[string]string)
	)
	for rows.Next() {
		if err := rows.Scan(&id, &docRaw, &collRaw, &termRaw, &vecRaw, &dim); err != nil {
			return fmt.Errorf("load chunks: %w", err)
		}
		if dim != s.dim || len(vecRaw) != 4*dim {
			return fmt.Errorf("load chunk %d: vector of dimension %d (%d bytes), the store's is %d",
				id, dim, len(vecRaw), s.dim)
		}
		docID, ok := docIDs[string(docRaw)]
		if !ok {
			docID = string(docRaw)
			docIDs[docID] = docID
		}
		// memindex interns collections; the string is only read.
		coll, ok := colls[string(collRaw)]
		if !ok {
			coll = string(collRaw)
			colls[coll] = coll
		}
		if len(slab) < dim {
			slab = make([]float32, dim*vectorSlab)
		}
		// A full slice expression, so an append to one vector can never
		// overwrite its neighbour.
		vec := slab[:dim:dim]
		slab = slab[dim:]
		decodeVector(vec, vecRaw)
		batch = append(batch, indexedChunk{id: id, docID: docID, collection: coll, terms: strings.Fields(string(termRaw)), vector: vec})
		if len(batch) == loadBatch {
			batches <- batch
			batch = make([]indexedChunk, 0, loadBatch)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load chunks: %w", err)
	}
	if len(batch) > 0 {
		batches <- batch
	}
	return nil
}

// indexedChunk is a chunk written by this store, to be added to the index
// once its transaction commits.
type indexedChunk struct {
	id         int64
	docID      string
	collection string
	terms      []string
	vector     []float32
	// skip marks a draft's chunk: written, but not searched.
	skip bool
}

// writeIndexed runs fn in an immediate transaction and, after it commits,
// applies its chunk changes to the index directly, without reading them
// back. That is only correct if the index had seen everything before the
// transaction began; if another process wrote in between, the index
// catches up from the tables instead, which also covers this write.
//
// The write connection is held until the index is updated, so the next
// write of this process cannot begin against an index that lags behind.
func (s *Store) writeIndexed(ctx context.Context, fn func(tx *sql.Tx) ([]indexedChunk, error)) error {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()

	var startID, startSeq int64
	if err := tx.QueryRowContext(ctx, marksQuery).Scan(&startID, &startSeq); err != nil {
		return err
	}
	added, err := fn(tx)
	if err != nil {
		return err
	}
	// The trigger logged every chunk this transaction deleted.
	var removed []int64
	endSeq := startSeq
	rows, err := tx.QueryContext(ctx, "SELECT seq, chunk_id FROM chunk_deletions WHERE seq > ? ORDER BY seq", startSeq)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&endSeq, &id); err != nil {
			rows.Close()
			return err
		}
		removed = append(removed, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if startID > s.lastChunkID || startSeq > s.lastDeletionSeq {
		// The write is committed whatever happens here; if the catch-up
		// fails, the marks stay put and the next search retries it.
		_ = s.catchUpLocked(ctx)
		return nil
	}
	if s.ix == nil && len(added) > 0 {
		s.dim = len(added[0].vector)
		s.ix = memindex.New(s.dim)
	}
	if s.ix != nil {
		for _, id := range removed {
			s.ix.Remove(id)
		}
		for _, c := range added {
			if !c.skip {
				s.ix.Add(c.id, c.docID, c.collection, c.terms, c.vector)
			}
			s.lastChunkID = max(s.lastChunkID, c.id)
		}
	}
	s.lastDeletionSeq = max(s.lastDeletionSeq, endSeq)
	return nil
}
