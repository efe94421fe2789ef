package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/store/memindex"
)

// The lexical index is a memindex.Index per Store, loaded from chunks.terms
// on the first search and kept in step with the database through two
// marks: the highest chunk id loaded and the highest chunk_deletions seq
// applied. Chunk writers of every process hold the writer lock (writeTx)
// from before they draw chunk ids until their commit is visible, so ids and
// seqs become visible in increasing order, and anything above a mark is
// exactly what the index has not seen.
//
// The index holds no vectors: vector search stays with the HNSW index.

// marksQuery reads both marks; each is one descent to the right edge of a
// primary key.
const marksQuery = `SELECT
	(SELECT coalesce(max(id), 0) FROM chunks),
	(SELECT coalesce(max(seq), 0) FROM chunk_deletions)`

// lexicon is the Store's in-memory lexical index and its marks.
type lexicon struct {
	mu          sync.Mutex
	ix          *memindex.Index // nil until the first search loads it
	lastChunkID int64
	lastSeq     int64
}

// marks are the positions of the chunks table and the deletion log.
type marks struct{ chunkID, seq int64 }

func readMarks(ctx context.Context, q queryer) (marks, error) {
	var m marks
	if err := q.QueryRow(ctx, marksQuery).Scan(&m.chunkID, &m.seq); err != nil {
		return marks{}, fmt.Errorf("check for new chunks: %w", err)
	}
	return m, nil
}

// index returns the lexical index, up to date with every write committed
// before the call: loaded in full the first time, then caught up with what
// other processes (or connections) wrote since.
//
// The marks are read without holding the index's lock: concurrent searches
// each make that round trip in parallel instead of queueing behind one
// another's, and only a search that finds something new takes the lock
// to catch up.
func (s *Store) index(ctx context.Context) (*memindex.Index, error) {
	lx := &s.lex
	lx.mu.Lock()
	loaded := lx.ix != nil
	lx.mu.Unlock()
	if loaded {
		m, err := readMarks(ctx, s.pool)
		if err != nil {
			return nil, err
		}
		lx.mu.Lock()
		defer lx.mu.Unlock()
		if m.chunkID <= lx.lastChunkID && m.seq <= lx.lastSeq {
			return lx.ix, nil
		}
	} else {
		lx.mu.Lock()
		defer lx.mu.Unlock()
	}
	if err := s.catchUpLocked(ctx); err != nil {
		return nil, err
	}
	return lx.ix, nil
}

// catchUpLocked loads into the index what was committed since the marks,
// all from one snapshot so that deletions and additions agree. With no
// index yet it is the full load. The caller holds s.lex.mu.
//
// If it fails part way the marks stay where they were and the next call
// repeats the work; memindex's Add and Remove are idempotent, so that is
// safe.
func (s *Store) catchUpLocked(ctx context.Context) error {
	lx := &s.lex
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		m, err := readMarks(ctx, tx)
		if err != nil {
			return err
		}
		if lx.ix == nil {
			lx.ix, lx.lastChunkID, lx.lastSeq = memindex.New(0), 0, 0
		}
		if m.seq > lx.lastSeq && lx.lastChunkID > 0 {
			// Deletions matter only for chunks already loaded: one with a
			// higher id that was since deleted is simply not loaded below.
			var truncated bool
			rows, err := tx.Query(ctx, "SELECT chunk_id FROM chunk_deletions WHERE seq > $1 AND chunk_id <= $2 ORDER BY seq",
				lx.lastSeq, lx.lastChunkID)
			if err != nil {
				return fmt.Errorf("read chunk deletions: %w", err)
			}
			var removed []int64
			var id int64
			_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
				if id == 0 {
					truncated = true
				}
				removed = append(removed, id)
				return nil
			})
			if err != nil {
				return fmt.Errorf("read chunk deletions: %w", err)
			}
			if truncated {
				// Everything loaded so far is gone: start again.
				lx.ix, lx.lastChunkID = memindex.New(0), 0
			} else {
				for _, id := range removed {
					lx.ix.Remove(id)
				}
			}
		}
		if m.chunkID > lx.lastChunkID {
			if err := loadTerms(ctx, tx, lx.ix, lx.lastChunkID); err != nil {
				return err
			}
		}
		lx.lastChunkID = max(lx.lastChunkID, m.chunkID)
		lx.lastSeq = max(lx.lastSeq, m.seq)
		return nil
	})
}

// loadBatch is how many chunks are handed from the reader to the indexer
// at a time.
const loadBatch = 512

// termRow is one chunk to index.
type termRow struct {
	id         int64
	docID      string
	collection string
	terms      []string
	// skip marks a draft's chunk: written, but not searched.
	skip bool
}

// loadTerms streams the terms of chunks with an id above after into ix.
// Decoding rows overlaps with indexing them, the larger cost.
func loadTerms(ctx context.Context, tx pgx.Tx, ix *memindex.Index, after int64) error {
	// Drafts are left out: nothing searches them, and publishing one
	// writes its chunks again under new ids (PublishDocument).
	rows, err := tx.Query(ctx, `SELECT c.id, c.doc_id, d.collection, c.terms
		FROM chunks c JOIN documents d ON d.id = c.doc_id
		WHERE c.id > $1 AND d.status = 'published' ORDER BY c.id`, after)
	if err != nil {
		return fmt.Errorf("load chunk terms: %w", err)
	}
	batches := make(chan []termRow, 4)
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		for b := range batches {
			for _, c := range b {
				ix.Add(c.id, c.docID, c.collection, c.terms, nil)
			}
		}
	}()
	var (
		r     termRow
		batch = make([]termRow, 0, loadBatch)
		// Chunks of one document share its id string.
		docIDs = make(map[string]string)
	)
	_, err = pgx.ForEachRow(rows, []any{&r.id, &r.docID, &r.collection, (*textArray)(&r.terms)}, func() error {
		if d, ok := docIDs[r.docID]; ok {
			r.docID = d
		} else {
			docIDs[r.docID] = r.docID
		}
		batch = append(batch, r)
		r.terms = nil // a fresh slice for the next row
		if len(batch) == loadBatch {
			batches <- batch
			batch = make([]termRow, 0, loadBatch)
		}
		return nil
	})
	if len(batch) > 0 && err == nil {
		batches <- batch
	}
	close(batches)
	<-indexed
	if err != nil {
		return fmt.Errorf("load chunk terms: %w", err)
	}
	return nil
}

// written is what one committed write changed, for the index.
type written struct {
	start, end marks
	removed    []int64
	added      []termRow
	// applyLater leaves applyWrite to the writer's caller (a bulk load,
	// which applies its writes in order while the next is written).
	applyLater bool
}

// applyWrite brings the index up to date after a committed write. If the
// index had seen everything before the write began, the write's own
// changes are applied without reading them back; otherwise another process
// wrote in between and the next search catches up from the tables, which
// also covers this write.
//
// An index not loaded yet is left for the first search to load, unless
// the chunks table was empty when the write began: then the empty index
// is exact, and starting it here spares the first search after a load
// into a new store from reading every chunk back (seconds at 200,000).
func (s *Store) applyWrite(w written) {
	lx := &s.lex
	lx.mu.Lock()
	defer lx.mu.Unlock()
	if lx.ix == nil && w.start.chunkID == 0 {
		// Chunk ids start at 1, so the highest being 0 means no chunk
		// was visible; deletions up to w.start.seq concern none of the
		// chunks to come.
		lx.ix, lx.lastChunkID, lx.lastSeq = memindex.New(0), 0, w.start.seq
	}
	if lx.ix == nil || w.start.chunkID > lx.lastChunkID || w.start.seq > lx.lastSeq {
		return
	}
	for _, id := range w.removed {
		lx.ix.Remove(id)
	}
	for _, c := range w.added {
		if !c.skip {
			lx.ix.Add(c.id, c.docID, c.collection, c.terms, nil)
		}
	}
	lx.lastChunkID = max(lx.lastChunkID, w.end.chunkID)
	lx.lastSeq = max(lx.lastSeq, w.end.seq)
}
