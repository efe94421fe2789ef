package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/lorehq/lore/store"
)

// SearchLexical ranks chunks by BM25 over q.Terms. A query with neither
// text nor terms is refused; one whose text analysed to no terms (only stop
// words, say) matches nothing.
func (s *Store) SearchLexical(ctx context.Context, q store.LexicalQuery, k int) ([]store.Hit, error) {
	const op = "lexical search"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := store.ValidateLexicalQuery(q, k); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(q.Terms) == 0 || k == 0 {
		return nil, nil
	}
	ix, _, err := s.syncIndex(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	if ix == nil {
		return nil, nil
	}
	return ix.SearchLexical(q.Terms, k, q.Scope), nil
}

// TermStats reports the document frequency of each term in the index.
func (s *Store) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	const op = "term statistics"
	if err := s.usable(op); err != nil {
		return store.TermStats{}, err
	}
	ix, _, err := s.syncIndex(ctx)
	if err != nil {
		return store.TermStats{}, s.fail(op, err)
	}
	if ix == nil {
		return store.TermStats{DocFreq: map[string]int{}}, nil
	}
	df, n := ix.DocFreqs(terms)
	return store.TermStats{Chunks: n, DocFreq: df}, nil
}

// SearchVector returns the k chunks in q.Scope whose vectors are most
// similar to q.Vector.
func (s *Store) SearchVector(ctx context.Context, q store.VectorQuery, k int) ([]store.Hit, error) {
	v := q.Vector
	const op = "vector search"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := store.ValidateVectorQuery(v, k); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if k == 0 {
		return nil, nil
	}
	ix, dim, err := s.syncIndex(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	if ix == nil {
		return nil, nil
	}
	if len(v) != dim {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("query vector has dimension %d, the store holds %d", len(v), dim))
	}
	return ix.SearchVector(v, k, q.Scope), nil
}

// Chunks loads chunks with their document's title, source and tags, in the
// order of ids; unknown ids are omitted and a repeated id is returned each
// time it is asked for.
func (s *Store) Chunks(ctx context.Context, ids []int64) ([]store.ChunkView, error) {
	const op = "load chunks"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	byID := make(map[int64]store.ChunkView, len(ids))
	load := func(q queryer) error {
		for batch := range slices.Chunk(ids, maxParams) {
			if err := loadViews(ctx, q, batch, byID); err != nil {
				return err
			}
		}
		return nil
	}
	// One query is one snapshot; several need a transaction to be one.
	var err error
	if len(ids) <= maxParams {
		err = load(s.rdb)
	} else {
		var tx *sql.Tx
		if tx, err = s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err == nil {
			err = load(tx)
			_ = tx.Rollback()
		}
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return store.ChunksInOrder(ids, byID), nil
}

func loadViews(ctx context.Context, q queryer, ids []int64, into map[int64]store.ChunkView) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.doc_id, c.ordinal, c.heading, c.text, c.terms, c.vector, c.dim,
			d.title, d.source, d.tags
		FROM chunks c JOIN documents d ON d.id = c.doc_id
		WHERE c.id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			v            store.ChunkView
			terms, tags  string
			vec          sql.RawBytes
			dim          int
			decodeTagErr error
		)
		if err := rows.Scan(&v.ID, &v.DocID, &v.Ordinal, &v.Heading, &v.Text, &terms, &vec, &dim,
			&v.Title, &v.Source, &tags); err != nil {
			return err
		}
		if len(vec) != 4*dim {
			return fmt.Errorf("chunk %d: vector of %d bytes for dimension %d", v.ID, len(vec), dim)
		}
		v.Terms = strings.Fields(terms)
		v.Vector = make([]float32, dim)
		decodeVector(v.Vector, vec)
		if v.Tags, decodeTagErr = decodeStrings(tags); decodeTagErr != nil {
			return fmt.Errorf("chunk %d: %w", v.ID, decodeTagErr)
		}
		into[v.ID] = v
	}
	return rows.Err()
}

// ChunkIDs implements store.Documents.
func (s *Store) ChunkIDs(ctx context.Context, docID string) ([]int64, error) {
	const op = "list a document's chunks"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT id FROM chunks WHERE doc_id = ? ORDER BY ordinal", docID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
