package cli_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	pgvector "github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"

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
// in a minute.
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
		if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE INDEX chunks_embedding_hnsw ON chunks
			USING hnsw ((l2_normalize(embedding::vector(256))::halfvec(256)) halfvec_cosine_ops)
			WITH (m = %d, ef_construction = %d) WHERE vector_dims(embedding) = 256`, bld[0], bld[1])); err != nil {
			b.Fatal(err)
		}
		b.Logf("m %d, ef_construction %d: build %.1f s", bld[0], bld[1], time.Since(start).Seconds())
		for _, ef := range efs {
			if _, err := conn.Exec(ctx, fmt.Sprintf("SET hnsw.ef_search = %d", ef)); err != nil {
				b.Fatal(err)
			}
			var found int
			latency := make([]time.Duration, 0, len(vectors))
			for i, v := range vectors {
				t := time.Now()
				rows, _ := conn.Query(ctx, `SELECT id FROM chunks WHERE vector_dims(embedding) = 256
					ORDER BY (l2_normalize(embedding::vector(256))::halfvec(256)) <=> l2_normalize($1::vector(256))::halfvec(256) LIMIT 10`,
					pgvector.NewVector(v))
				ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
				if err != nil {
					b.Fatal(err)
				}
				latency = append(latency, time.Since(t))
				for _, id := range ids {
					if slices.Contains(exact[i], id) {
						found++
					}
				}
			}
			slices.Sort(latency)
			b.Logf("  ef_search %d: recall@10 %.3f, p50 %.1f ms, p99 %.1f ms", ef,
				float64(found)/float64(10*len(vectors)),
				float64(latency[len(latency)/2].Microseconds())/1000, float64(latency[len(latency)*99/100].Microseconds())/1000)
		}
	}
}
