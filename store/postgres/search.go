package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
	"golang.org/x/sync/errgroup"

	"github.com/lorehq/lore/store"
)

// SearchLexical ranks chunks by BM25 over the words of q.Terms, re-scoring
// the best with its phrases, through the in-memory index (index.go) that
// the SQLite store uses too, so both backends rank alike. A query with
// neither text nor terms is refused; one whose text analysed to no terms
// (only stop words, say) matches nothing.
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
	ix, err := s.index(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return ix.SearchLexical(q.Terms, k, q.Scope), nil
}

// TermStats reports the document frequency of each term, from the
// in-memory index. Phrases are not counted (their frequency is 0), as in
// the SQLite store.
func (s *Store) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	const op = "term statistics"
	if err := s.usable(op); err != nil {
		return store.TermStats{}, err
	}
	ix, err := s.index(ctx)
	if err != nil {
		return store.TermStats{}, s.fail(op, err)
	}
	df, n := ix.DocFreqs(terms)
	return store.TermStats{Chunks: n, DocFreq: df}, nil
}

// maxEfSearch is the largest hnsw.ef_search pgvector accepts; an HNSW scan
// returns at most that many rows.
const maxEfSearch = 1000

// SearchVector returns the k published chunks in q.Scope whose vectors are
// most similar (cosine) to q.Vector, through the HNSW index: the nearest k
// of each partition, searched at once, merged. Scores are cosine
// similarities.
//
// Drafts and chunks out of scope are filtered while the index is scanned:
// when the first candidates do not give k chunks that pass, the scan goes
// on (pgvector's iterative index scan) rather than returning fewer, and a
// scoped search that still finds fewer than k (a small collection among
// many) takes an exact scan of the collections in scope.
func (s *Store) SearchVector(ctx context.Context, q store.VectorQuery, k int) ([]store.Hit, error) {
	const op = "vector search"
	v := q.Vector
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := tooManyDimensions(len(v)); err != nil {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("%v", err))
	}
	if err := store.ValidateVectorQuery(v, k); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if k == 0 {
		return nil, nil
	}
	dim, err := s.dimension(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	if dim == 0 {
		return nil, nil // no vector was ever written
	}
	if len(v) != dim {
		// Another process may have committed a reindex to a new dimension.
		dim = s.refreshDimension(ctx, dim)
	}
	if len(v) != dim {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("query vector has dimension %d, the store holds %d", len(v), dim))
	}
	if isZero(v) {
		return nil, nil // a zero vector has no direction to compare
	}
	if !q.Scope.Unlimited() && !q.Scope.All && len(q.Scope.Collections) == 0 {
		return nil, nil // the scope admits nothing
	}

	parts, err := s.partitions(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	var hits []store.Hit
	if parts == 1 {
		hits, err = s.searchPartition(ctx, q, dim, 1, 0, k)
	} else {
		// Each partition's walk on a connection of its own, at once; the
		// nearest k overall are among the nearest k of each.
		found := make([][]store.Hit, parts)
		g, gctx := errgroup.WithContext(ctx)
		for r := range parts {
			g.Go(func() error {
				var err error
				found[r], err = s.searchPartition(gctx, q, dim, parts, r, k)
				return err
			})
		}
		err = g.Wait()
		hits = slices.Concat(found...)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	return hits[:min(k, len(hits))], nil
}

// searchPartition returns the k chunks of partition r of parts (see
// vectorindex.go) nearest to q.Vector, of dimension dim, in q.Scope.
func (s *Store) searchPartition(ctx context.Context, q store.VectorQuery, dim, parts, r, k int) ([]store.Hit, error) {
	// The indexed expression must be spelled as in the index for the
	// planner to use it; dim is an int, so formatting it in is safe. The
	// index orders by half-precision distance; the distance returned, and
	// the final order, are in full precision. The index is partial on the
	// dimension (see createVectorIndexes), and on the partition, and so is
	// the query. Chunks are joined to their document for its status and
	// collection: one primary-key lookup per candidate.
	//
	// The document's status and collection are tested by a scalar
	// subquery per candidate, one primary-key lookup each, rather than
	// by a join: the planner would turn a join into a hash join over
	// every chunk and sort them all (50 ms at 10,000 chunks instead of 2).
	scoped := !q.Scope.Unlimited()
	docTest := "d.status = 'published'"
	args := []any{pgvector.NewVector(q.Vector), k}
	if scoped {
		docTest += " AND ($3 OR d.collection = ANY($4)) AND NOT (d.collection = ANY($5))"
		args = append(args, q.Scope.All, orEmpty(q.Scope.Collections), orEmpty(q.Scope.Except))
	}
	part := partitionFilter(parts, r, "c.id")
	filter := fmt.Sprintf("vector_dims(embedding) = %d%s AND coalesce((SELECT %s FROM documents d WHERE d.id = c.doc_id), false)", dim, part, docTest)
	indexed := fmt.Sprintf(`SELECT c.id, c.doc_id, embedding::vector(%[1]d) <=> $1 AS distance
		FROM chunks c WHERE %[3]s
		ORDER BY %[2]s <=> l2_normalize($1::vector(%[1]d))::halfvec(%[1]d) LIMIT $2`, dim, indexedVector(dim), filter)
	// An exact scan: ordered by the full-precision distance, which no
	// index serves. A distinct statement rather than enable_indexscan,
	// since a cached plan of the indexed query would ignore the setting.
	// Here a join is what is wanted: with a scope, the documents of the
	// collections in it come first (documents_collection), then their
	// chunks (chunks_doc_id).
	exact := fmt.Sprintf(`SELECT c.id, c.doc_id, embedding::vector(%[1]d) <=> $1 AS distance
		FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE vector_dims(embedding) = %[1]d%[3]s AND %[2]s
		ORDER BY embedding::vector(%[1]d) <=> $1 LIMIT $2`, dim, docTest, part)

	var hits []store.Hit
	collect := func(rows pgx.Rows) error {
		hits = hits[:0]
		var (
			h        store.Hit
			distance float64
		)
		_, err := pgx.ForEachRow(rows, []any{&h.ChunkID, &h.DocID, &distance}, func() error {
			// A stored zero vector has no cosine distance (NaN); it is
			// similar to nothing, as in the SQLite store.
			if !math.IsNaN(distance) {
				h.Score = 1 - distance
				hits = append(hits, h)
			}
			return nil
		})
		return err
	}
	query := func(sql string) error {
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		return collect(rows)
	}
	// iterative runs the indexed query with the settings given, which
	// SET LOCAL ends with the transaction, so a pooled connection never
	// carries them into another search.
	iterative := func(ef int, iterate bool) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue("SELECT set_config('hnsw.ef_search', $1, true)", strconv.Itoa(ef))
			if iterate {
				b.Queue("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
			}
			b.Queue(indexed, args...).Query(collect)
			return tx.SendBatch(ctx, b).Close()
		})
	}
	// Each candidate list of the HNSW scan holds ef_search entries; every
	// connection starts with Options.SearchEf, and a larger k needs twice
	// k. Beyond what an HNSW scan can return, an exact scan is the only
	// way to return k.
	var err error
	ef := max(s.opts.SearchEf, 2*k)
	switch {
	case ef > maxEfSearch:
		err = query(exact)
	case scoped:
		err = iterative(ef, true)
		if err == nil && len(hits) < k {
			err = query(exact)
		}
	default:
		if ef == s.opts.SearchEf {
			err = query(indexed)
		} else {
			err = iterative(ef, false)
		}
		if err == nil && len(hits) < k {
			// Drafts among the first candidates, or simply fewer than k
			// chunks: scanning on tells them apart.
			err = iterative(ef, true)
		}
	}
	return hits, err
}

func isZero(v []float32) bool {
	for _, f := range v {
		if f != 0 {
			return false
		}
	}
	return true
}

// Chunks loads chunks with their document's title, source and tags, in the
// order of ids; unknown ids are omitted and a repeated id is returned each
// time it is asked for. One statement, so one snapshot, however many ids.
func (s *Store) Chunks(ctx context.Context, ids []int64) ([]store.ChunkView, error) {
	const op = "load chunks"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.doc_id, c.ordinal, c.heading, c.text, c.terms, c.embedding,
			d.title, d.source, d.tags
		FROM chunks c JOIN documents d ON d.id = c.doc_id
		WHERE c.id = ANY($1)`, ids)
	if err != nil {
		return nil, s.fail(op, err)
	}
	byID := make(map[int64]store.ChunkView, len(ids))
	var (
		v   store.ChunkView
		vec pgvector.Vector
	)
	_, err = pgx.ForEachRow(rows, []any{&v.ID, &v.DocID, &v.Ordinal, &v.Heading, &v.Text, (*textArray)(&v.Terms), &vec,
		&v.Title, &v.Source, &v.Tags}, func() error {
		v.Vector = vec.Slice()
		v.Tags = orNil(v.Tags)
		byID[v.ID] = v
		// Fresh slices for the next row: the scan would otherwise reuse
		// the ones just stored.
		v, vec = store.ChunkView{}, pgvector.Vector{}
		return nil
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return store.ChunksInOrder(ids, byID), nil
}

// ChunkIDs implements store.Documents.
func (s *Store) ChunkIDs(ctx context.Context, docID string) ([]int64, error) {
	const op = "list a document's chunks"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT id FROM chunks WHERE doc_id = $1 ORDER BY ordinal", docID)
	if err != nil {
		return nil, s.fail(op, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}
