package postgres

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/lorehq/lore/store"
)

// BM25 and phrase parameters are the store package's, shared with the
// SQLite store's index so that both backends rank alike
// (TestLexicalMatchesSQLite compares the two).
const (
	bm25K1 = store.BM25K1
	bm25B  = store.BM25B
	// A query with phrases re-scores this many of the best word matches
	// per result asked for, and at least minPhraseCandidates.
	phraseCandidates    = 10
	minPhraseCandidates = 100
)

// lexicalQuery computes what memindex.Index.SearchLexical does, in one
// statement and so from one snapshot:
//
//   - BM25 over the query's words ($1; a word repeated counts once per
//     repetition): idf is ln(1 + (N - df + 0.5) / (df + 0.5)), lengths
//     count words only, words no chunk holds are ignored;
//   - the best $3 chunks by that score (ties to the older chunk) are
//     re-scored with the query's phrases ($2, "a_b"): a phrase whose two
//     words are known adds $4 (store.PhraseWeight) times the smaller idf
//     of its words, in BM25's saturation by the phrase's frequency in the
//     chunk;
//   - the best $5 of those are returned.
//
// Word scores read only the postings of the query's words, through the
// primary key of chunk_terms (an index-only scan per word); chunks are read
// for the candidates alone, to count their phrases. memindex matches
// phrases by a 16-bit hash, so it may, rarely, credit a phrase a chunk
// lacks; here the match is exact.
//
// The CTEs computed once per query are MATERIALIZED: inlined, PostgreSQL
// would evaluate the idf of a word for every posting and look the phrase
// words up again for every candidate. The totals are read through scalar
// subqueries, which the planner knows yield one row, so that a
// search_totals not yet analysed cannot make it expect thousands of query
// words and scan all postings. The length normalisation
// k1 * (1 - b + b * len / avglen) is split into norm_base + norm_len * len
// so that each posting costs one multiply-add.
const lexicalQuery = `
WITH totals AS MATERIALIZED (
    SELECT chunks::float8 AS n,
           $6::float8 * (1 - $7::float8) AS norm_base,
           $6::float8 * $7::float8 / CASE WHEN terms = 0 THEN 1 ELSE terms::float8 / chunks END AS norm_len
    FROM search_totals
), weights AS MATERIALIZED (
    SELECT q.term, q.qtf * ln(1 + ((SELECT n FROM totals) - s.df + 0.5::float8) / (s.df + 0.5::float8)) * ($6::float8 + 1) AS w
    FROM (SELECT term, count(*) AS qtf FROM unnest($1::text[]) AS term GROUP BY term) q
    JOIN term_stats s USING (term)
), scores AS (
    SELECT p.chunk_id, max(p.len) AS len,
           sum(w.w * p.tf / (p.tf + (SELECT norm_base FROM totals) + (SELECT norm_len FROM totals) * p.len)) AS score
    FROM weights w JOIN chunk_terms p USING (term)
    GROUP BY p.chunk_id
    ORDER BY score DESC, p.chunk_id
    LIMIT $3
), phrases AS MATERIALIZED (
    SELECT ph.term,
           $4::float8 * ($6::float8 + 1) * least(
               ln(1 + ((SELECT n FROM totals) - a.df + 0.5::float8) / (a.df + 0.5::float8)),
               ln(1 + ((SELECT n FROM totals) - b.df + 0.5::float8) / (b.df + 0.5::float8))) AS w
    FROM unnest($2::text[]) AS ph (term)
    JOIN term_stats a ON a.term = split_part(ph.term, '_', 1)
    JOIN term_stats b ON b.term = substr(ph.term, strpos(ph.term, '_') + 1)
), rescored AS (
    SELECT sc.chunk_id, c.doc_id, sc.score + coalesce((
               SELECT sum(ph.w * f.tf / (f.tf + (SELECT norm_base FROM totals) + (SELECT norm_len FROM totals) * sc.len))
               FROM phrases ph
               CROSS JOIN LATERAL (SELECT cardinality(array_positions(c.terms, ph.term))::float8 AS tf) f
               WHERE f.tf > 0), 0) AS score
    FROM scores sc JOIN chunks c ON c.id = sc.chunk_id
)
SELECT chunk_id, doc_id, score FROM rescored ORDER BY score DESC, chunk_id LIMIT $5`

// SearchLexical ranks chunks by BM25 over the words of q.Terms, re-scoring
// the best with its phrases, as the SQLite store does. A query with neither
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
	words, phrases := splitTerms(storable(q.Terms))
	if len(words) == 0 || k == 0 {
		return nil, nil
	}
	cands := k
	if len(phrases) > 0 {
		cands = max(k*phraseCandidates, minPhraseCandidates)
	}
	rows, err := s.pool.Query(ctx, lexicalQuery, words, phrases, cands, store.PhraseWeight, k, bm25K1, bm25B)
	if err != nil {
		return nil, s.fail(op, err)
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Hit, error) {
		var h store.Hit
		err := row.Scan(&h.ChunkID, &h.DocID, &h.Score)
		return h, err
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return hits, nil
}

// isPhrase reports whether an analysed term is a phrase of two words
// ("minimum_wage"); words never hold "_".
func isPhrase(term string) bool { return strings.IndexByte(term, '_') >= 0 }

// splitTerms separates words from phrases, keeping repeats.
func splitTerms(terms []string) (words, phrases []string) {
	words = make([]string, 0, len(terms))
	phrases = []string{}
	for _, t := range terms {
		if isPhrase(t) {
			phrases = append(phrases, t)
		} else {
			words = append(words, t)
		}
	}
	return words, phrases
}

// storable drops terms no chunk can hold (invalid UTF-8, NUL bytes, which
// PostgreSQL would refuse as a parameter): they match nothing, as in the
// SQLite store, rather than failing the search.
func storable(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if rules.CheckText("term", t) == nil {
			out = append(out, t)
		}
	}
	return out
}

// TermStats reports the document frequency of each term, from the
// statistics the triggers on chunks maintain. Phrases are not counted
// (their frequency is 0), as in the SQLite store.
func (s *Store) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	const op = "term statistics"
	if err := s.usable(op); err != nil {
		return store.TermStats{}, err
	}
	st := store.TermStats{DocFreq: make(map[string]int, len(terms))}
	for _, t := range terms {
		st.DocFreq[t] = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT t.chunks, s.term, s.df
		FROM search_totals t LEFT JOIN term_stats s ON s.term = ANY($1)`, storable(terms))
	if err != nil {
		return store.TermStats{}, s.fail(op, err)
	}
	var (
		term *string
		df   *int
	)
	_, err = pgx.ForEachRow(rows, []any{&st.Chunks, &term, &df}, func() error {
		if term != nil && df != nil {
			st.DocFreq[*term] = *df
		}
		return nil
	})
	if err != nil {
		return store.TermStats{}, s.fail(op, err)
	}
	return st, nil
}

// maxEfSearch is the largest hnsw.ef_search pgvector accepts; an HNSW scan
// returns at most that many rows.
const maxEfSearch = 1000

// SearchVector returns the k chunks whose vectors are most similar (cosine)
// to v, through the HNSW index. Scores are cosine similarities.
func (s *Store) SearchVector(ctx context.Context, v []float32, k int) ([]store.Hit, error) {
	const op = "vector search"
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
		dim = s.refreshDimension(ctx, dim)
	}
	if len(v) != dim {
		return nil, fmt.Errorf("%s: %w", op, store.Invalid("query vector has dimension %d, the store holds %d", len(v), dim))
	}
	if isZero(v) {
		return nil, nil // a zero vector has no direction to compare
	}

	// The typed cast must be spelled as in the index for the planner to
	// use it; dim is an int, so formatting it in is safe.
	q := fmt.Sprintf(`SELECT id, doc_id, embedding::vector(%[1]d) <=> $1 AS distance
		FROM chunks WHERE vector_dims(embedding) = %[1]d ORDER BY embedding::vector(%[1]d) <=> $1 LIMIT $2`, dim)
	var hits []store.Hit
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// SET LOCAL: the setting ends with the transaction, so a pooled
		// connection never carries one search's setting into another.
		// Each candidate list of the HNSW scan holds ef_search entries, so
		// twice k keeps recall high; beyond what an HNSW scan can return,
		// an exact scan is the only way to return k.
		b := &pgx.Batch{}
		ef := max(40, 2*k)
		if ef > maxEfSearch {
			b.Queue("SELECT set_config('enable_indexscan', 'off', true)")
		} else {
			b.Queue("SELECT set_config('hnsw.ef_search', $1, true)", strconv.Itoa(ef))
		}
		b.Queue(q, pgvector.NewVector(v), k)
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		var (
			h        store.Hit
			distance float64
		)
		_, err = pgx.ForEachRow(rows, []any{&h.ChunkID, &h.DocID, &distance}, func() error {
			// A stored zero vector has no cosine distance (NaN); it is
			// similar to nothing, as in the SQLite store.
			if !math.IsNaN(distance) {
				h.Score = 1 - distance
				hits = append(hits, h)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return br.Close()
	})
	if err != nil {
		return nil, s.fail(op, err)
	}
	return hits, nil
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
	_, err = pgx.ForEachRow(rows, []any{&v.ID, &v.DocID, &v.Ordinal, &v.Heading, &v.Text, &v.Terms, &vec,
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
