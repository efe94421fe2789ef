package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lorehq/lore/store"
)

// Bulk loads. Inserting into an HNSW index costs a graph search per
// vector, and once the graph outgrows shared_buffers each of those reads
// pages from the operating system: at 100,000 chunks that was about 90
// chunks/s. Building the graph once over all vectors, with enough
// maintenance_work_mem that it stays in memory, is tens of times faster.
// So a bulk load that writes enough chunks drops the vector index, writes
// on without it, and builds it again in Finish.
//
// While the index is gone, vector searches still answer, exactly, by
// scanning the chunks: slower, never wrong. A load killed part way leaves
// every document whole (each is its own transaction) and the index
// missing; the next bulk load builds it in its Finish, whatever it writes.
// Loads exclude each other through a session-level advisory lock, which
// PostgreSQL releases when the holder's connection ends, so a killed
// loader never blocks the next one.

// Defaults for Options.BulkDeferAt, IndexBuildMemoryMB, IndexM,
// IndexEfConstruction and SearchEf.
const (
	defaultBulkDeferAt        = 2000
	defaultIndexBuildMemoryMB = 1024
	minIndexBuildMemoryMB     = 64
	// m 12 with ef_construction 64 builds in about the time of m 16 with
	// 32 and finds more of the true nearest; ef_search 600 trades about
	// 8 ms of query time at 200,000 chunks for recall@10 from 0.86 to
	// about 0.955 (docs/benchmarks.md, "Defaults").
	defaultIndexM              = 12
	defaultIndexEfConstruction = 64
	defaultSearchEf            = 600
)

var _ store.BulkLoader = (*Store)(nil)

// Documents of a bulk load are written in transactions of up to
// bulkBatchChunks chunks (or bulkBatchDocs documents): five round trips
// per transaction rather than per document.
const (
	bulkBatchChunks = 1000
	bulkBatchDocs   = 200
)

// BulkLoad is a load of many documents into a Store; see store.BulkLoad.
// It is not safe for concurrent use.
type BulkLoad struct {
	s       *Store
	conn    *pgxpool.Conn // holds the load's advisory lock
	before  int64         // chunks in the store when the load began
	written int           // chunks written or buffered by the load
	dim     int           // the load's vector dimension, once known

	pending       []docWrite
	pendingChunks int
	// pendingEmbedder is what the pending documents name as the maker of
	// their vectors: a document naming another starts a new transaction.
	pendingEmbedder string
	// applies takes each committed transaction to a goroutine that adds it
	// to the lexical index, in order, while the next transaction is
	// written: the index's work and PostgreSQL's overlap. applied closes
	// when that goroutine is done.
	applies chan written
	applied chan struct{}
	// deferred is set once the load has dropped the vector index.
	deferred bool
	finished bool
}

// BeginBulkLoad starts a bulk load, waiting for any other load on the
// database to finish first.
func (s *Store) BeginBulkLoad(ctx context.Context) (store.BulkLoad, error) {
	const op = "begin bulk load"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey("bulk", s.schema)); err != nil {
		conn.Release()
		return nil, s.fail(op, err)
	}
	l := &BulkLoad{s: s, conn: conn}
	// The planner's estimate is enough to size the load against the
	// store, and unlike count(*) it costs nothing at a million chunks.
	if err := conn.QueryRow(ctx, "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'chunks'::regclass").
		Scan(&l.before); err != nil {
		l.release()
		return nil, s.fail(op, err)
	}
	return l, nil
}

// ReplaceDocument adds one document to the load. Documents are written in
// transactions of many, each document whole; a document is stored when a
// later ReplaceDocument or Finish returns without error. Invalid input is
// refused here, at once. Once the load has written Options.BulkDeferAt
// chunks, and a tenth of what the store held before, it drops the vector
// index for Finish to build.
func (l *BulkLoad) ReplaceDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	s := l.s
	op := fmt.Sprintf("replace document %s", store.QuoteID(doc.ID))
	if err := s.usable(op); err != nil {
		return err
	}
	if l.finished {
		return fmt.Errorf("%s: the bulk load has finished", op)
	}
	d, err := s.checkWrite(ctx, doc, chunks)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if d.dim != 0 {
		// Until the first write records it, the dimension is the load's
		// first vector's.
		if l.dim == 0 {
			l.dim = d.dim
		}
		if d.embedder != "" && (d.dim != l.dim || l.pendingEmbedder != "" && d.embedder != l.pendingEmbedder) {
			// The store's space changed while the load prepared its
			// documents (checkWrite found this one's current): those
			// pending are written, or refused, on their own.
			if err := l.flush(ctx); err != nil {
				return err
			}
			l.dim = d.dim
		}
		if err := store.CheckDimension(d.dim, l.dim); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	for _, p := range l.pending {
		if p.doc.ID == doc.ID {
			// A transaction writes each document once.
			if err := l.flush(ctx); err != nil {
				return err
			}
			break
		}
	}
	if d.embedder != "" {
		l.pendingEmbedder = d.embedder
	}
	l.pending = append(l.pending, d)
	l.pendingChunks += len(chunks)
	l.written += len(chunks)
	if l.pendingChunks >= bulkBatchChunks || len(l.pending) >= bulkBatchDocs {
		return l.flush(ctx)
	}
	return nil
}

// flush writes the buffered documents in one transaction.
func (l *BulkLoad) flush(ctx context.Context) error {
	const op = "bulk load"
	s := l.s
	if len(l.pending) == 0 {
		return nil
	}
	// The load's lock lives as long as its connection: were that lost
	// (a network failure, pg_terminate_backend) while the others still
	// worked, PostgreSQL would have released the lock, and another load
	// could drop and build the vector index under this one.
	if _, err := l.conn.Exec(ctx, "SELECT 1"); err != nil {
		return s.fail(op, fmt.Errorf("the load's lock was lost with its connection: %w", err))
	}
	if !l.deferred && int64(l.written) >= max(int64(s.opts.BulkDeferAt), l.before/10) {
		if err := s.dropVectorIndex(ctx); err != nil {
			return s.fail(op, err)
		}
		l.deferred = true
	}
	w, err := s.replaceAll(ctx, l.pending, true, true)
	if err != nil {
		if errors.Is(err, store.ErrEmbedderChanged) {
			// These documents' vectors can never be stored as they are:
			// they leave the load, and Finish does not try them again.
			l.pending, l.pendingChunks, l.pendingEmbedder = l.pending[:0], 0, ""
		}
		if errors.Is(err, store.ErrInvalidInput) || errors.Is(err, store.ErrEmbedderChanged) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return s.fail(op, err)
	}
	if l.applies == nil {
		l.applies, l.applied = make(chan written, 2), make(chan struct{})
		go func() {
			defer close(l.applied)
			for w := range l.applies {
				s.applyWrite(w)
			}
		}()
	}
	l.applies <- w
	l.pending, l.pendingChunks, l.pendingEmbedder = l.pending[:0], 0, ""
	return nil
}

// drainApplies waits until every committed transaction of the load is in
// the lexical index.
func (l *BulkLoad) drainApplies() {
	if l.applies != nil {
		close(l.applies)
		<-l.applied
		l.applies = nil
	}
}

// Finish writes what is buffered, builds the vector index if it is
// missing, whether this load or a killed earlier one dropped it, and ends
// the load. The index is built even when the write failed.
func (l *BulkLoad) Finish(ctx context.Context) error {
	const op = "finish bulk load"
	if l.finished {
		return nil
	}
	if err := l.s.usable(op); err != nil {
		return err
	}
	defer l.release()
	werr := l.flush(ctx)
	l.drainApplies()
	l.pending = nil
	if err := l.s.ensureVectorIndex(ctx); err != nil {
		return errors.Join(werr, l.s.fail(op, err))
	}
	return werr
}

func (l *BulkLoad) release() {
	l.drainApplies()
	l.finished = true
	// Unlocking explicitly lets the connection go back to the pool; if
	// that fails, closing the connection releases the lock instead.
	if _, err := l.conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", lockKey("bulk", l.s.schema)); err != nil {
		_ = l.conn.Conn().Close(context.Background())
	}
	l.conn.Release()
}
