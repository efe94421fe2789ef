package cli

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/nudges/bench"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
)

var (
	_ bench.Queue = (*river.Client[pgx.Tx])(nil)
	_ bench.Queue = (*river.Client[*sql.Tx])(nil)
)

// maxNudgesLearners bounds lore bench nudges: ten times the 100,000
// learners measured (docs/benchmarks.md), whose planned nudges and
// deliveries are all kept in memory to be checked.
const maxNudgesLearners = 1_000_000

func (a *app) benchNudgesCommand() *cobra.Command {
	var (
		learners, workers int
		rate              float64
		asJSON            bool
		cpuProfile        string
	)
	cmd := &cobra.Command{
		Use:   "nudges [--learners N] [--rate N] [--json]",
		Short: "Benchmark planning and delivering one day of nudges",
		Long: `Plan one virtual day of nudges for N learners across 20 time zones and
deliver them through River jobs on the database (a fresh temporary SQLite
file, or a fresh schema, dropped afterwards, in the PostgreSQL database of
--db) into an in-process fake sender. Prints planned, delivered, duplicates,
missed, nudges/s and how late each nudge was against its slot. --rate limits
the fake sender to N nudges a second.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if learners <= 0 || workers <= 0 || rate < 0 {
				return usageErrorf("--learners and --workers must be positive, --rate not negative")
			}
			if math.IsNaN(rate) || math.IsInf(rate, 0) {
				return usageErrorf("--rate %v is not a number of nudges a second", rate)
			}
			// River works at most QueueNumWorkersMax jobs of a queue at once.
			if err := cmp.Or(overLimit("learners", learners, maxNudgesLearners), overLimit("workers", workers, river.QueueNumWorkersMax)); err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg := bench.Config{Learners: learners, Rate: rate, Progress: a.io.Err}
			cleanup, err := a.benchNudgesStore(ctx, &cfg, workers)
			if err != nil {
				return err
			}
			defer cleanup()
			if cpuProfile != "" {
				stop, err := startCPUProfile(cpuProfile)
				if err != nil {
					return err
				}
				defer stop()
			}
			res, err := bench.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.io.Out, "learners    %d in %d time zones (seeded in %.1f s)\nplanned     %d (in %.2f s)\ndelivered   %d\nduplicates  %d\nmissed      %d\nthroughput  %.0f nudges/s (%.1f s end to end)\nslot error  p50 %.2f s, p99 %.2f s, max %.2f s\n",
				res.Learners, res.Zones, res.SeedSeconds, res.Planned, res.PlanSeconds, res.Delivered, res.Duplicates, res.Missed,
				res.NudgesPerS, res.TotalSeconds, res.SlotErrorP50, res.SlotErrorP99, res.SlotErrorMax)
			if rate > 0 {
				fmt.Fprintf(a.io.Out, "rate limit  %.0f/s: bound %.1f s, took %.1f s (%+.1f%%)\n", rate, res.RateBoundSecs, res.TotalSeconds,
					100*(res.TotalSeconds-res.RateBoundSecs)/res.RateBoundSecs)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&learners, "learners", 100000, "number of learners")
	cmd.Flags().Float64Var(&rate, "rate", 0, "limit the fake sender to this many nudges a second (0: no limit)")
	cmd.Flags().IntVar(&workers, "workers", 100, "delivery jobs worked at once")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	return cmd
}

// startCPUProfile profiles the process's CPU into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile %w", writeFileError(err))
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// benchNudgesStore opens a fresh store and queue for the bench: a
// temporary SQLite file, or a new schema in the PostgreSQL database of --db.
func (a *app) benchNudgesStore(ctx context.Context, cfg *bench.Config, workers int) (func(), error) {
	qcfg := func(w *river.Workers) queue.Config {
		return queue.Config{Workers: w, Logger: a.log, FetchCooldown: time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
			Queues: queue.Queues(workers, true)}
	}
	url := a.dbURL
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		schema := fmt.Sprintf("lore_bench_nudges_%d", os.Getpid())
		if !strings.Contains(url, "pool_max_conns") {
			// pgx's default pool (4 connections on 2 cores) would make
			// the delivery workers queue for connections.
			if u, err := neturl.Parse(url); err == nil {
				q := u.Query()
				q.Set("pool_max_conns", fmt.Sprint(min(workers, 50)+4))
				u.RawQuery = q.Encode()
				url = u.String()
			}
		}
		st, err := postgres.Open(ctx, url, postgres.Options{Dimensions: embed.DefaultDimensions, Schema: schema, Migrate: true})
		if err != nil {
			return nil, err
		}
		drop := func() {
			_, _ = st.Pool().Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			st.Close()
		}
		if err := queue.Migrate(ctx, st.Pool(), schema); err != nil {
			drop()
			return nil, err
		}
		cfg.Store = st
		cfg.NewQueue = func(w *river.Workers) (bench.Queue, error) {
			c := qcfg(w)
			c.Schema = schema
			return queue.New(st.Pool(), c)
		}
		return drop, nil
	}
	var path, dir string
	if url != "" {
		p, ok := sqlite.ParseURL(url)
		if !ok {
			return nil, usageErrorf("unrecognised database URL: use sqlite:PATH, a path ending in .db, or postgres://...")
		}
		if _, err := os.Stat(p); err == nil {
			return nil, usageErrorf("%s exists: the nudges bench writes 100,000 learners, so it wants a new file", p)
		}
		path = p
	} else {
		d, err := os.MkdirTemp("", "lore-bench-nudges-")
		if err != nil {
			return nil, err
		}
		dir, path = d, filepath.Join(d, "bench.db")
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{Dimensions: embed.DefaultDimensions})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	db, err := queue.OpenSQLite(path)
	if err != nil {
		st.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	if err := queue.MigrateSQLite(ctx, db); err != nil {
		db.Close()
		st.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	cfg.Store = st
	cfg.NewQueue = func(w *river.Workers) (bench.Queue, error) { return queue.NewSQLite(db, qcfg(w)) }
	return func() {
		db.Close()
		st.Close()
		if dir != "" {
			os.RemoveAll(dir)
		}
	}, nil
}
