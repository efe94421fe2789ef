package cli_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgvector "github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
	"golang.org/x/sync/errgroup"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/synth"
)

// BenchmarkHNSWSettings loads the bench corpus into a fresh PostgreSQL
// schema, then, for each HNSW setting, rebuilds the vector index and
// measures the recall@10 of index searches for the bench's first 100
// queries against an exact scan, and their latency. It is how
// docs/benchmarks.md's tables of settings were measured:
//
//	LORE_HNSW_CHUNKS=200000 LORE_HNSW_BUILDS=16:32,16:64 LORE_HNSW_EF=100,200,400,800 \
//	  go test ./cmd/lore/cli -run XXX -bench HNSWSettings -benchtime 1x -timeout 1h
//
// BUILDS are m:ef_construction pairs; the defaults are small enough to run
// in a minute. LORE_HNSW_PARTS lists partition counts to build each pair
// with (default 1): P partial indexes over id % P, searched at once on a
// connection each and merged, as the store does.
func BenchmarkHNSWSettings(b *testing.B) {
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	chunks := env("LORE_HNSW_CHUNKS", "20000")
	var builds [][2]int
	for _, spec := range strings.Split(env("LORE_HNSW_BUILDS", "16:32"), ",") {
		var m, efc int
		if _, err := fmt.Sscanf(spec, "%d:%d", &m, &efc); err != nil {
			b.Fatalf("LORE_HNSW_BUILDS: %q is not m:ef_construction", spec)
		}
		builds = append(builds, [2]int{m, efc})
	}
	var efs []int
	for _, v := range strings.Split(env("LORE_HNSW_EF", "100,200,400"), ",") {
		ef, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("LORE_HNSW_EF: %q is not a number", v)
		}
		efs = append(efs, ef)
	}

	var partitions []int
	for _, v := range strings.Split(env("LORE_HNSW_PARTS", "1"), ",") {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 {
			b.Fatalf("LORE_HNSW_PARTS: %q is not a positive number", v)
		}
		partitions = append(partitions, p)
	}

	url := postgresURL(b)
	for b.Loop() {
		run(b, "migrate", "--db", url).wantCode(b, cli.ExitOK)
		run(b, "bench", "--chunks", chunks, "--queries", "100", "--db", url).wantCode(b, cli.ExitOK)
	}
	ctx := b.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := pgxvec.RegisterTypes(ctx, conn); err != nil {
		b.Fatal(err)
	}
	queries := synth.Queries(synth.Options{Seed: 1}, 100)
	vectors, _ := embed.NewHashed(0).Embed(ctx, queries)
	// Exact answers: no index serves this order.
	exact := make([][]int64, len(vectors))
	for i, v := range vectors {
		rows, _ := conn.Query(ctx, "SELECT id FROM chunks ORDER BY embedding::vector(256) <=> $1 LIMIT 10", pgvector.NewVector(v))
		if exact[i], err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			b.Fatal(err)
		}
	}
	// The bench built the store's own indexes; each setting below builds
	// its own.
	rows, _ := conn.Query(ctx, `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_am am ON am.oid = c.relam WHERE i.indrelid = 'chunks'::regclass AND am.amname = 'hnsw'`)
	built, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range built {
		if _, err := conn.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			b.Fatal(err)
		}
	}
	for _, parts := range partitions {
		for _, bld := range builds {
			for _, stmt := range []string{
				"DROP INDEX IF EXISTS chunks_embedding_hnsw",
				"SET maintenance_work_mem = '2GB'",
			} {
				if _, err := conn.Exec(ctx, stmt); err != nil {
					b.Fatal(err)
				}
			}
			start := time.Now()
			for r := range parts {
				if _, err := conn.Exec(ctx, "DROP INDEX IF EXISTS "+partIndex(parts, r)); err != nil {
					b.Fatal(err)
				}
				if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE INDEX %s ON chunks
			USING hnsw ((l2_normalize(embedding::vector(256))::halfvec(256)) halfvec_cosine_ops)
			WITH (m = %d, ef_construction = %d) WHERE %s`, partIndex(parts, r), bld[0], bld[1], partFilter(parts, r))); err != nil {
					b.Fatal(err)
				}
			}
			fmt.Fprintf(os.Stderr, "%d partitions, m %d, ef_construction %d: build %.1f s\n", parts, bld[0], bld[1], time.Since(start).Seconds())
			for _, ef := range efs {
				pool := connectPool(b, url, ef)
				// Open the pool's connections before timing.
				searchParts(b, pool, parts, vectors[0])
				var found int
				latency := make([]time.Duration, 0, len(vectors))
				for i, v := range vectors {
					t := time.Now()
					ids := searchParts(b, pool, parts, v)
					latency = append(latency, time.Since(t))
					for _, id := range ids {
						if slices.Contains(exact[i], id) {
							found++
						}
					}
				}
				pool.Close()
				slices.Sort(latency)
				fmt.Fprintf(os.Stderr, "  ef_search %d: recall@10 %.3f, p50 %.1f ms, p99 %.1f ms\n", ef,
					float64(found)/float64(10*len(vectors)),
					float64(latency[len(latency)/2].Microseconds())/1000, float64(latency[len(latency)*99/100].Microseconds())/1000)
			}
		}
		for r := range parts {
			if _, err := conn.Exec(ctx, "DROP INDEX IF EXISTS "+partIndex(parts, r)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// partIndex names the index of partition r of parts; one partition keeps
// the store's own index name.
func partIndex(parts, r int) string {
	if parts == 1 {
		return "chunks_embedding_hnsw"
	}
	return fmt.Sprintf("chunks_embedding_hnsw_%d_of_%d", r, parts)
}

func partFilter(parts, r int) string {
	if parts == 1 {
		return "vector_dims(embedding) = 256"
	}
	return fmt.Sprintf("vector_dims(embedding) = 256 AND id %% %d = %d", parts, r)
}

func connectPool(b *testing.B, url string, ef int) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["hnsw.ef_search"] = strconv.Itoa(ef)
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error { return pgxvec.RegisterTypes(ctx, c) }
	pool, err := pgxpool.NewWithConfig(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return pool
}

// searchParts searches every partition's index at once and merges their
// nearest ten.
func searchParts(b *testing.B, pool *pgxpool.Pool, parts int, v []float32) []int64 {
	type hit struct {
		id       int64
		distance float64
	}
	results := make([][]hit, parts)
	var g errgroup.Group
	for r := range parts {
		g.Go(func() error {
			rows, _ := pool.Query(b.Context(), fmt.Sprintf(`SELECT id, (l2_normalize(embedding::vector(256))::halfvec(256)) <=> l2_normalize($1::vector(256))::halfvec(256) FROM chunks WHERE %s
				ORDER BY (l2_normalize(embedding::vector(256))::halfvec(256)) <=> l2_normalize($1::vector(256))::halfvec(256) LIMIT 10`, partFilter(parts, r)),
				pgvector.NewVector(v))
			var err error
			results[r], err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (hit, error) {
				var h hit
				err := row.Scan(&h.id, &h.distance)
				return h, err
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(results...)
	slices.SortFunc(all, func(a, c hit) int { return cmp.Compare(a.distance, c.distance) })
	ids := make([]int64, 0, 10)
	for _, h := range all[:min(10, len(all))] {
		ids = append(ids, h.id)
	}
	return ids
}
