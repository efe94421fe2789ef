package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/eval"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/synth"
	"github.com/lorehq/lore/store"
)

// benchResult is the --json shape of lore bench; later checks rely on its
// keys.
type benchResult struct {
	Chunks           int     `json:"chunks"`
	Queries          int     `json:"queries"`
	IngestSeconds    float64 `json:"ingest_s"`
	IngestChunksPerS float64 `json:"ingest_chunks_per_s"`
	P50ms            float64 `json:"p50_ms"`
	P99ms            float64 `json:"p99_ms"`
	RSSMB            float64 `json:"rss_mb"`
}

func (a *app) benchCommand() *cobra.Command {
	var chunks, queries int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench --chunks N",
		Short: "Benchmark ingest and hybrid search on a synthetic corpus",
		Long: `Ingest a deterministic synthetic corpus of N chunks (about 80 words each,
Zipf-distributed vocabulary) into a fresh temporary store (unless --db is
given), then time top-10 hybrid searches of chat-length queries. Prints ingest
chunks/s, query p50/p99 latency and the process's peak resident memory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if chunks <= 0 {
				return usageErrorf("--chunks must be positive")
			}
			if queries <= 0 {
				return usageErrorf("--queries must be positive")
			}
			ctx := cmd.Context()
			svc, cleanup, err := a.evalStore(ctx)
			if err != nil {
				return err
			}
			defer cleanup()
			res, err := runBench(ctx, svc.knowledge, chunks, queries, newIngestProgress(a.io.Err))
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.io.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			fmt.Fprintf(a.io.Out, "chunks      %d\ningest      %.1f s, %.0f chunks/s\nquery       p50 %.2f ms, p99 %.2f ms (%d top-10 hybrid searches)\npeak RSS    %.0f MB\n",
				res.Chunks, res.IngestSeconds, res.IngestChunksPerS, res.P50ms, res.P99ms, res.Queries, res.RSSMB)
			return nil
		},
	}
	cmd.Flags().IntVar(&chunks, "chunks", 10000, "number of synthetic chunks")
	cmd.Flags().IntVar(&queries, "queries", 1000, "number of timed queries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.AddCommand(a.benchNudgesCommand())
	return cmd
}

var errStopped = errors.New("stopped")

func runBench(ctx context.Context, k *knowledge.Service, chunks, queries int, progress *ingestProgress) (benchResult, error) {
	opts := synth.Options{Chunks: chunks, Seed: 1}
	res := benchResult{Chunks: chunks, Queries: queries}
	progress.Total(chunks)
	start := time.Now()
	var genErr error
	docs := func(yield func(knowledge.Pending) bool) {
		genErr = synth.Docs(opts, func(d synth.Doc) error {
			pieces := make([]ingest.Piece, len(d.Sections))
			for i, s := range d.Sections {
				pieces[i] = ingest.Piece{Heading: s.Heading, Text: s.Text}
			}
			doc := store.Document{
				ID: knowledge.DocumentID("bench", d.ID), Collection: "bench", Source: "bench/" + d.ID,
				Title: d.Title, ContentHash: d.ID, UpdatedAt: start,
			}
			if !yield(knowledge.Pending{Doc: doc, Pieces: pieces}) {
				return errStopped
			}
			return nil
		})
	}
	_, err := k.AddDocuments(ctx, docs, func(_ knowledge.Pending, n int) {
		if progress.bar != nil {
			_ = progress.bar.Add(n)
		}
	})
	if err == nil && genErr != nil && !errors.Is(genErr, errStopped) {
		err = genErr
	}
	progress.finish()
	if err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}
	elapsed := time.Since(start)
	res.IngestSeconds = elapsed.Seconds()
	res.IngestChunksPerS = float64(chunks) / elapsed.Seconds()

	qs := synth.Queries(opts, queries)
	// Warm up caches and the pooled search buffers before timing.
	for _, q := range qs[:min(20, len(qs))] {
		if _, err := k.Search(ctx, q, 10); err != nil {
			return res, err
		}
	}
	lat := make([]time.Duration, 0, len(qs))
	for _, q := range qs {
		t := time.Now()
		if _, err := k.Search(ctx, q, 10); err != nil {
			return res, err
		}
		lat = append(lat, time.Since(t))
	}
	res.P50ms = ms(eval.Percentile(lat, 50))
	res.P99ms = ms(eval.Percentile(lat, 99))
	res.RSSMB = peakRSSMB()
	return res, nil
}

// peakRSSMB reads the process's peak resident set size (VmHWM) on Linux;
// elsewhere it returns 0.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
