package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	sp, err := readSpace(ctx, s.rdb)
	if err != nil {
		return sp, s.fail(op, err)
	}
	return sp, nil
}

func readSpace(ctx context.Context, q queryer) (store.EmbeddingSpace, error) {
	var sp store.EmbeddingSpace
	dim, err := readDimension(ctx, q)
	if err != nil {
		return sp, err
	}
	sp.Dimensions = dim
	err = q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", embedderKey).Scan(&sp.Embedder)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return sp, fmt.Errorf("read embedder: %w", err)
	}
	return sp, nil
}

func checkSpace(sp store.EmbeddingSpace) error {
	if strings.TrimSpace(sp.Embedder) == "" || sp.Dimensions <= 0 {
		return store.Invalid("embedding space needs an embedder name and a positive dimension, got %q, %d", sp.Embedder, sp.Dimensions)
	}
	return nil
}

// ClaimEmbeddingSpace implements store.Embeddings.
func (s *Store) ClaimEmbeddingSpace(ctx context.Context, sp store.EmbeddingSpace) (store.EmbeddingSpace, error) {
	const op = "claim embedding space"
	if err := s.writable(op); err != nil {
		return store.EmbeddingSpace{}, err
	}
	if err := checkSpace(sp); err != nil {
		return store.EmbeddingSpace{}, fmt.Errorf("%s: %w", op, err)
	}
	var have store.EmbeddingSpace
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if have, err = readSpace(ctx, tx); err != nil {
			return err
		}
		if have.Embedder != "" {
			return nil
		}
		if err := store.CheckDimension(sp.Dimensions, have.Dimensions); err != nil {
			return err
		}
		if have.Dimensions == 0 {
			if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", dimensionKey, strconv.Itoa(sp.Dimensions)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO meta (key, value) VALUES (?, ?)", embedderKey, sp.Embedder); err != nil {
			return err
		}
		// Chunks written before the store recorded its embedder.
		if _, err := tx.ExecContext(ctx, "UPDATE chunks SET embedder = ? WHERE embedder = ''", sp.Embedder); err != nil {
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
	return have, nil
}

// writeTx runs fn in an immediate transaction on the write connection.
func (s *Store) writeTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// unstagedWhere selects chunks c without a staged vector of the space
// bound to the two parameters.
const unstagedWhere = `FROM chunks c LEFT JOIN chunk_vectors_next n
	ON n.chunk_id = c.id AND n.embedder = ? AND n.dim = ?
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
	if limit <= 0 || limit > maxParams {
		limit = maxParams
	}
	if cur, err := readSpace(ctx, s.rdb); err != nil {
		return nil, 0, s.fail(op, err)
	} else if cur == sp {
		return nil, 0, nil // the live vectors are of this space
	}
	var total int
	if err := s.rdb.QueryRowContext(ctx, "SELECT count(*) "+unstagedWhere, sp.Embedder, sp.Dimensions).Scan(&total); err != nil {
		return nil, 0, s.fail(op, err)
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT c.id "+unstagedWhere+" ORDER BY c.id LIMIT ?", sp.Embedder, sp.Dimensions, limit)
	if err != nil {
		return nil, 0, s.fail(op, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, s.fail(op, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
	if err := s.writable(op); err != nil {
		return err
	}
	if err := checkSpace(sp); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if len(ids) != len(vectors) {
		return fmt.Errorf("%s: %w", op, store.Invalid("%d ids and %d vectors", len(ids), len(vectors)))
	}
	for i, v := range vectors {
		if len(v) != sp.Dimensions {
			return fmt.Errorf("%s: %w", op, store.Invalid("vector %d has dimension %d, the space %d", i, len(v), sp.Dimensions))
		}
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		// INSERT ... SELECT so that a chunk deleted meanwhile stages
		// nothing instead of failing the foreign key.
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO chunk_vectors_next (chunk_id, embedder, dim, vector)
			SELECT id, ?, ?, ? FROM chunks WHERE id = ?
			ON CONFLICT (chunk_id) DO UPDATE SET embedder = excluded.embedder, dim = excluded.dim, vector = excluded.vector`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var buf []byte
		for i, id := range ids {
			buf = appendVector(buf[:0], vectors[i])
			if _, err := stmt.ExecContext(ctx, sp.Embedder, sp.Dimensions, buf, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// CommitStaged implements store.Embeddings. Every chunk is copied, with
// its staged vector, to a new row and the old row deleted: other processes
// then pick the change up through the ordinary catch-up by new ids and the
// deletion log, and rebuild their index when they see the new dimension.
func (s *Store) CommitStaged(ctx context.Context, sp store.EmbeddingSpace) error {
	const op = "commit reindex"
	if err := s.writable(op); err != nil {
		return err
	}
	if err := checkSpace(sp); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if cur, err := readSpace(ctx, tx); err != nil || cur == sp {
			return err // nothing to swap when the live vectors are of sp
		}
		var missing int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) "+unstagedWhere, sp.Embedder, sp.Dimensions).Scan(&missing); err != nil {
			return err
		}
		if missing > 0 {
			return fmt.Errorf("%w: %d chunks still need one", store.ErrIncomplete, missing)
		}
		var maxOld int64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM chunks").Scan(&maxOld); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chunks (doc_id, ordinal, heading, text, terms, vector, dim, embedder)
			SELECT c.doc_id, c.ordinal, c.heading, c.text, c.terms, n.vector, n.dim, n.embedder
			FROM chunks c JOIN chunk_vectors_next n ON n.chunk_id = c.id
			ORDER BY c.id`); err != nil {
			return fmt.Errorf("copy chunks with new vectors: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM chunks WHERE id <= ?", maxOld); err != nil {
			return fmt.Errorf("delete old chunks: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM chunk_vectors_next"); err != nil {
			return err
		}
		for k, v := range map[string]string{dimensionKey: strconv.Itoa(sp.Dimensions), embedderKey: sp.Embedder} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return fmt.Errorf("record embedding space: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, store.ErrIncomplete) {
			return fmt.Errorf("%s: %w", op, err)
		}
		return s.fail(op, err)
	}
	// Rebuild this process's index from the new rows. The lock is taken
	// only now: writeIndexed holds the write connection while it waits
	// for it.
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ix, s.dim, s.lastChunkID, s.lastDeletionSeq = nil, 0, 0, 0
	if err := s.catchUpLocked(ctx); err != nil {
		return s.fail(op+": reload search index", err)
	}
	return nil
}

// EmbedderCounts implements store.Embeddings.
func (s *Store) EmbedderCounts(ctx context.Context) (map[string]int, error) {
	const op = "count chunks by embedder"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, "SELECT embedder, count(*) FROM chunks GROUP BY embedder")
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			return nil, s.fail(op, err)
		}
		counts[name] = n
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return counts, nil
}
