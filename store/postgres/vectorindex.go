package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// The vector index is one HNSW graph, or several (Options.IndexPartitions)
// each over the chunks whose id leaves the same remainder: partial indexes
// on "id % P = r". A search walks every partition at once, each on a
// connection of its own, and merges their nearest k. On vectors as hard to
// index as the offline embedder's, graphs of half the size reach a given
// recall with a shorter candidate list: at 200,000 chunks, two partitions
// at ef_search 200 found 0.86 of the exact ten against 0.75 to 0.78 for one
// graph, for the same build time, at the cost of a second walk (query p99
// 17 ms against 11; docs/benchmarks.md). Each walk reads its own snapshot:
// a document replaced during a search may show both its old and new chunks
// there, or neither, as a search just before or after the write would.
//
// The partition count is a property of the database, recorded in meta when
// the indexes are built; searches follow it, whatever their own Options
// say, so that replicas configured differently still agree.

const (
	// hnswIndex names the vector index when there is one graph; partition
	// r of P is hnswIndex_r_of_P.
	hnswIndex = "chunks_embedding_hnsw"
	// partitionsKey is the meta row recording how many graphs the vector
	// index has; a database without it has one (built before partitions).
	partitionsKey          = "vector_index_partitions"
	defaultIndexPartitions = 2
	maxIndexPartitions     = 8
	// layoutTTL is how long a process trusts the partition count it last
	// read. A rebuild with another count by another process is seen within
	// it; until then that process's searches filter by partitions the
	// indexes no longer have: a scan where no index applies, or one graph
	// filtered, slower or with fewer candidates, never a wrong chunk.
	layoutTTL = 5 * time.Second
)

// partitionIndex is the name of partition r of parts.
func partitionIndex(parts, r int) string {
	if parts == 1 {
		return hnswIndex
	}
	return fmt.Sprintf("%s_%d_of_%d", hnswIndex, r, parts)
}

// partitionFilter is the condition on the chunk id column id that
// selects partition r of parts: the predicate of its index, spelled so
// that the planner proves a query's condition implies it. Empty for one
// partition.
func partitionFilter(parts, r int, id string) string {
	if parts == 1 {
		return ""
	}
	return fmt.Sprintf(" AND %s %% %d = %d", id, parts, r)
}

// indexedVector is the expression the vector index is built on: the
// embedding at unit length in half precision. Cosine distance ignores
// length, so normalising first changes no result and keeps every element
// within half precision's range; half precision halves the index, which
// then fits memory twice as far and builds about 1.5 times faster, for the
// same recall (docs/benchmarks.md). The cast to vector(dim) also refuses
// rows of another dimension.
func indexedVector(dim int) string {
	return fmt.Sprintf("(l2_normalize(embedding::vector(%[1]d))::halfvec(%[1]d))", dim)
}

// createVectorIndexes creates the vector index for vectors of dim
// dimensions, in Options.IndexPartitions graphs, and records their count.
// With chunks > 0 (a build over existing rows) each build is given the
// maintenance_work_mem its graph needs, bounded by IndexBuildMemoryMB.
// The caller holds the writer lock.
//
// dim is an int, validated by checkDocument before it is ever recorded,
// and m, ef_construction and the partition count are validated options,
// so formatting them in is safe; DDL takes no parameters.
//
// Each index is partial on the dimension: a reindex to another dimension
// rebuilds it in the transaction that swaps the vectors, and CREATE INDEX
// also reads the row versions that transaction replaced, whose vectors of
// the old dimension would fail the cast.
func (s *Store) createVectorIndexes(ctx context.Context, tx pgx.Tx, dim int, chunks int64) error {
	parts := s.opts.IndexPartitions
	if chunks > 0 {
		perGraph := (chunks + int64(parts) - 1) / int64(parts)
		mb := min(max(indexBuildBytes(dim, s.opts.IndexM, perGraph)>>20, minIndexBuildMemoryMB), int64(s.opts.IndexBuildMemoryMB))
		if _, err := tx.Exec(ctx, "SELECT set_config('maintenance_work_mem', $1, true)", fmt.Sprintf("%dMB", mb)); err != nil {
			return fmt.Errorf("set maintenance_work_mem: %w", err)
		}
	}
	for r := range parts {
		stmt := fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s ON chunks USING hnsw (%s halfvec_cosine_ops) WITH (m = %d, ef_construction = %d) WHERE vector_dims(embedding) = %d%s",
			partitionIndex(parts, r), indexedVector(dim), s.opts.IndexM, s.opts.IndexEfConstruction, dim, partitionFilter(parts, r, "id"))
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("build vector index: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, partitionsKey, strconv.Itoa(parts)); err != nil {
		return fmt.Errorf("record vector index partitions: %w", err)
	}
	return nil
}

// vectorIndexQuery lists Lore's vector indexes on the chunks table of the
// connection's schema, whatever their partitioning; an operator's own
// indexes, under other names, are left alone.
const vectorIndexQuery = `SELECT n.nspname, c.relname
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
	WHERE i.indrelid = 'chunks'::regclass AND am.amname = 'hnsw'
	AND (c.relname = 'chunks_embedding_hnsw' OR c.relname LIKE 'chunks\_embedding\_hnsw\_%\_of\_%')`

// vectorIndexes returns the schema-qualified names of Lore's vector indexes.
func vectorIndexes(ctx context.Context, tx pgx.Tx) ([]pgx.Identifier, error) {
	rows, err := tx.Query(ctx, vectorIndexQuery)
	if err != nil {
		return nil, err
	}
	var names []pgx.Identifier
	var schema, name string
	_, err = pgx.ForEachRow(rows, []any{&schema, &name}, func() error {
		names = append(names, pgx.Identifier{schema, name})
		return nil
	})
	return names, err
}

// dropVectorIndexes drops every vector index on chunks; the caller holds
// the writer lock.
func dropVectorIndexes(ctx context.Context, tx pgx.Tx) error {
	names, err := vectorIndexes(ctx, tx)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := tx.Exec(ctx, "DROP INDEX IF EXISTS "+n.Sanitize()); err != nil {
			return fmt.Errorf("drop vector index: %w", err)
		}
	}
	return nil
}

// dropVectorIndex removes the vector index, under the writer lock so that
// no write is half way through it.
func (s *Store) dropVectorIndex(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.writeKey); err != nil {
			return err
		}
		return dropVectorIndexes(ctx, tx)
	})
}

// ensureVectorIndex builds the vector index when the store holds vectors
// but not every graph of the index recorded (one dropped by hand, or all
// of them by a bulk load), with memory enough for each graph (bounded by
// Options.IndexBuildMemoryMB) and the server's parallel workers. What
// remains of an incomplete index is dropped and the whole built again in
// this store's partitions.
func (s *Store) ensureVectorIndex(ctx context.Context) error {
	built := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", s.writeKey); err != nil {
			return err
		}
		dim, err := readDimension(ctx, tx)
		if err != nil || dim == 0 {
			return err
		}
		parts, recorded, err := readPartitions(ctx, tx)
		if err != nil {
			return err
		}
		names, err := vectorIndexes(ctx, tx)
		if err != nil {
			return err
		}
		have := map[string]bool{}
		for _, n := range names {
			have[n[len(n)-1]] = true
		}
		complete := true
		for r := range parts {
			complete = complete && have[partitionIndex(parts, r)]
		}
		if complete && !recorded {
			// An index of one graph from before the count was recorded.
			_, err := tx.Exec(ctx, "INSERT INTO meta (key, value) VALUES ($1, '1') ON CONFLICT (key) DO NOTHING", partitionsKey)
			return err
		}
		if complete {
			return nil
		}
		if err := dropVectorIndexes(ctx, tx); err != nil {
			return err
		}
		var chunks int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM chunks").Scan(&chunks); err != nil {
			return err
		}
		built = true
		return s.createVectorIndexes(ctx, tx, dim, chunks)
	})
	if built && err == nil {
		s.forgetPartitions()
	}
	return err
}

// indexBuildBytes estimates the memory pgvector needs to build the HNSW
// graph of n vectors in memory: each element holds its half-precision
// vector and, at the bottom layer, 2m neighbour entries, plus headers.
func indexBuildBytes(dim, m int, n int64) int64 {
	perElement := int64(2*dim) + int64(2*m*16) + 200
	return n * perElement * 5 / 4
}

// readPartitions reads how many graphs the vector index has; recorded is
// false for a database whose index predates the count (one graph) or that
// has none yet.
func readPartitions(ctx context.Context, q queryer) (parts int, recorded bool, err error) {
	v, found, err := readMeta(ctx, q, partitionsKey)
	if err != nil {
		return 0, false, fmt.Errorf("read vector index partitions: %w", err)
	}
	if !found {
		return 1, false, nil
	}
	parts, err = strconv.Atoi(v)
	if err != nil || parts < 1 || parts > maxIndexPartitions {
		return 0, false, fmt.Errorf("read vector index partitions: meta holds %q", v)
	}
	return parts, true, nil
}

// partitions returns the vector index's partition count, read from the
// database at most every layoutTTL. A count not recorded yet is not
// trusted for later searches: the first index may be being built.
func (s *Store) partitions(ctx context.Context) (int, error) {
	if at := s.partsAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < layoutTTL {
		return int(s.parts.Load()), nil
	}
	parts, recorded, err := readPartitions(ctx, s.pool)
	if err != nil || !recorded {
		return parts, err
	}
	s.parts.Store(int64(parts))
	s.partsAt.Store(time.Now().UnixNano())
	return parts, nil
}

// forgetPartitions makes the next search read the partition count again;
// called once a rebuild in this process has committed.
func (s *Store) forgetPartitions() { s.partsAt.Store(0) }
