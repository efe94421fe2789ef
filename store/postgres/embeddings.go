package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/lorehq/lore/store"
)

// embedderKey is the meta row naming the embedder of the live vectors.
const embedderKey = "embedder"

var _ store.Embeddings = (*Store)(nil)

// EmbeddingSpace implements store.Embeddings.
func (s *Store) EmbeddingSpace(ctx context.Context) (store.EmbeddingSpace, error) {
	const op = "read embedding space"
	if err := s.usable(op); err != nil {
		return store.EmbeddingSpace{}, err
	}
	sp, err := readSpace(ctx, s.pool)
	if err != nil {
		return sp, s.fail(op, err)
	}
	return sp, nil
}

// readSpace reads the dimension and the embedder in one round trip:
// every document an ingest writes asks for them.
func readSpace(ctx context.Context, q queryer) (store.EmbeddingSpace, error) {
	var sp store.EmbeddingSpace
	var dim, embedder *string
	err := q.QueryRow(ctx, "SELECT (SELECT value FROM meta WHERE key = $1), (SELECT value FROM meta WHERE key = $2)",
		dimensionKey, embedderKey).Scan(&dim, &embedder)
	if err != nil {
		return sp, fmt.Errorf("read embedding space: %w", err)
	}
	if dim != nil {
		if sp.Dimensions, err = parseDimension(*dim); err != nil {
			return sp, err
		}
	}
	if embedder != nil {
		sp.Embedder = *embedder
	}
	return sp, nil
}

func checkSpace(sp store.EmbeddingSpace) error {
	if strings.TrimSpace(sp.Embedder) == "" || sp.Dimensions <= 0 {
		return store.Invalid("embedding space needs an embedder name and a positive dimension, got %q, %d", sp.Embedder, sp.Dimensions)
	}
	if err := tooManyDimensions(sp.Dimensions); err != nil {
		return store.Invalid("%v", err)
	}
	return nil
}

// ClaimEmbeddingSpace implements store.Embeddings.
func (s *Store) ClaimEmbeddingSpace(ctx context.Context, sp store.EmbeddingSpace) (store.EmbeddingSpace, error) {
	const op = "claim embedding space"
	if err := s.usable(op); err != nil {
		return store.EmbeddingSpace{}, err
	}
	if err := checkSpace(sp); err != nil {
		return store.EmbeddingSpace{}, fmt.Errorf("%s: %w", op, err)
	}
	var have store.EmbeddingSpace
	var w written
	err := s.writeTx(ctx, &w, func(*pgx.Batch) {}, func(tx pgx.Tx) error {
		var err error
		if have, err = readSpace(ctx, tx); err != nil {
			return err
		}
		if have.Embedder != "" {
			return nil
		}
		if _, err := s.claimDimension(ctx, tx, sp.Dimensions, true); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, $2)", embedderKey, sp.Embedder); err != nil {
			return err
		}
		// Chunks written before the store recorded its embedder.
		if _, err := tx.Exec(ctx, "UPDATE chunks SET embedder = $1 WHERE embedder = ''", sp.Embedder); err != nil {
			return err
		}
		have = sp
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrInvalidInput) {
			return store.EmbeddingSpace{}, fmt.Errorf("%s: %w", op, err)
		}
		return store.EmbeddingSpace{}, s.fail(op, err)
	}
	s.dim.Store(int64(have.Dimensions))
	return have, nil
}

// unstagedWhere selects chunks c without a staged vector of the embedder
// $1 and dimension $2.
const unstagedWhere = `FROM chunks c LEFT JOIN chunk_vectors_next n
	ON n.chunk_id = c.id AND n.embedder = $1 AND vector_dims(n.embedding) = $2
	WHERE n.chunk_id IS NULL`

// UnstagedChunks implements store.Embeddings.
func (s *Store) UnstagedChunks(ctx context.Context, sp store.EmbeddingSpace, limit int) ([]store.ChunkView, int, error) {
	const op = "list chunks to reindex"
	if err := s.usable(op); err != nil {
		return nil, 0, err
	}
	if err := checkSpace(sp); err != nil {
		return nil, 0, fmt.Errorf("%s: %w", op, err)
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if cur, err := readSpace(ctx, s.pool); err != nil {
		return nil, 0, s.fail(op, err)
	} else if cur == sp {
		return nil, 0, nil // the live vectors are of this space
	}
	var total int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) "+unstagedWhere, sp.Embedder, sp.Dimensions).Scan(&total); err != nil {
		return nil, 0, s.fail(op, err)
	}
	rows, err := s.pool.Query(ctx, "SELECT c.id "+unstagedWhere+" ORDER BY c.id LIMIT $3", sp.Embedder, sp.Dimensions, limit)
	if err != nil {
		return nil, 0, s.fail(op, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, 0, s.fail(op, err)
	}
	if len(ids) == 0 {
		return nil, total, nil
	}
	views, err := s.Chunks(ctx, ids)
	return views, total, err
}

// StageVectors implements store.Embeddings.
func (s *Store) StageVectors(ctx context.Context, sp store.EmbeddingSpace, ids []int64, vectors [][]float32) error {
	const op = "stage vectors"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := checkSpace(sp); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if len(ids) != len(vectors) {
		return fmt.Errorf("%s: %w", op, store.Invalid("%d ids and %d vectors", len(ids), len(vectors)))
	}
	vecs := make([]pgvector.Vector, len(vectors))
	for i, v := range vectors {
		if len(v) != sp.Dimensions {
			return fmt.Errorf("%s: %w", op, store.Invalid("vector %d has dimension %d, the space %d", i, len(v), sp.Dimensions))
		}
		vecs[i] = pgvector.NewVector(v)
	}
	// Staging does not take the writer lock: it touches only its own
	// table, and a chunk deleted meanwhile simply matches nothing.
	_, err := s.pool.Exec(ctx, `INSERT INTO chunk_vectors_next (chunk_id, embedder, embedding)
		SELECT c.id, $1, v.embedding
		FROM unnest($2::bigint[], $3::vector[]) AS v (id, embedding) JOIN chunks c ON c.id = v.id
		ON CONFLICT (chunk_id) DO UPDATE SET embedder = excluded.embedder, embedding = excluded.embedding`,
		sp.Embedder, ids, vecs)
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// CommitStaged implements store.Embeddings. The vectors are updated in
// place under the writer lock. When the dimension changes, the HNSW index
// is dropped and rebuilt for the new one inside the same transaction, so
// searches wait for the swap (about as long as building the index) and
// then see the new vectors, never a mixture.
func (s *Store) CommitStaged(ctx context.Context, sp store.EmbeddingSpace) error {
	const op = "commit reindex"
	if err := s.usable(op); err != nil {
		return err
	}
	if err := checkSpace(sp); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var w written
	err := s.writeTx(ctx, &w, func(*pgx.Batch) {}, func(tx pgx.Tx) error {
		if cur, err := readSpace(ctx, tx); err != nil || cur == sp {
			return err // nothing to swap when the live vectors are of sp
		}
		var missing int
		if err := tx.QueryRow(ctx, "SELECT count(*) "+unstagedWhere, sp.Embedder, sp.Dimensions).Scan(&missing); err != nil {
			return err
		}
		if missing > 0 {
			return fmt.Errorf("%w: %d chunks still need one", store.ErrIncomplete, missing)
		}
		have, err := readDimension(ctx, tx)
		if err != nil {
			return err
		}
		rebuild := have != sp.Dimensions
		if rebuild {
			if err := dropVectorIndexes(ctx, tx); err != nil {
				return fmt.Errorf("drop vector index: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE chunks c SET embedding = n.embedding, embedder = n.embedder
			FROM chunk_vectors_next n WHERE n.chunk_id = c.id`); err != nil {
			return fmt.Errorf("swap vectors: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM chunk_vectors_next"); err != nil {
			return err
		}
		for k, v := range map[string]string{dimensionKey: strconv.Itoa(sp.Dimensions), embedderKey: sp.Embedder} {
			if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return fmt.Errorf("record embedding space: %w", err)
			}
		}
		if rebuild {
			if err := s.createVectorIndexes(ctx, tx, sp.Dimensions, 0); err != nil {
				return fmt.Errorf("create vector index: %w", err)
			}
		}
		return nil
	})
	if err == nil {
		s.forgetPartitions() // a change of dimension rebuilt the index
	}
	if err != nil {
		if errors.Is(err, store.ErrIncomplete) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return s.fail(op, err)
	}
	s.dim.Store(int64(sp.Dimensions))
	return nil
}

// refreshDimension rereads the dimension after a vector of another one
// was met: another process may have committed a reindex.
func (s *Store) refreshDimension(ctx context.Context, cached int) int {
	d, err := readDimension(ctx, s.pool)
	if err != nil || d == 0 || d == cached {
		return cached
	}
	s.dim.Store(int64(d))
	return d
}

// EmbedderCounts implements store.Embeddings.
func (s *Store) EmbedderCounts(ctx context.Context) (map[string]int, error) {
	const op = "count chunks by embedder"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, "SELECT embedder, count(*) FROM chunks GROUP BY embedder")
	if err != nil {
		return nil, s.fail(op, err)
	}
	counts := map[string]int{}
	var name string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&name, &n}, func() error { counts[name] = n; return nil }); err != nil {
		return nil, s.fail(op, err)
	}
	return counts, nil
}
