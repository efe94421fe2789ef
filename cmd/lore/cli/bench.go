package cli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/embed"
	"github.com/lorehq/lore/knowledge/eval"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/synth"
	"github.com/lorehq/lore/store"
)

// benchResult is the --json shape of lore bench; later checks rely on its
// keys.
type benchResult struct {
	// Corpus is "topical" (the default) or "flat" (--flat).
	Corpus           string  `json:"corpus"`
	Chunks           int     `json:"chunks"`
	Queries          int     `json:"queries"`
	IngestSeconds    float64 `json:"ingest_s"`
	IngestChunksPerS float64 `json:"ingest_chunks_per_s"`
	P50ms            float64 `json:"p50_ms"`
	P99ms            float64 `json:"p99_ms"`
	RSSMB            float64 `json:"rss_mb"`
	// RecallAt10 is the recall of the store's vector search (top 10)
	// against an exact scan of every stored vector, averaged over the
	// first recallQueries queries.
	RecallAt10 float64 `json:"recall_at_10"`
	// RecallAt10ByDistance is the same search judged as ann-benchmarks
	// judges one: a returned chunk counts when it is no further from the
	// query than the exact 10th nearest plus tieDistance, so that one of
	// two chunks at the same distance is not a miss.
	RecallAt10ByDistance float64 `json:"recall_at_10_by_distance"`
}

// tieDistance is the cosine distance within which two chunks count as
// equally near: ann-benchmarks' default epsilon.
const tieDistance = 1e-3

// Ceilings of lore bench's sizes (docs/benchmarks.md has what was
// measured), so that a mistyped size is refused rather than run until the
// memory or the patience runs out.
const (
	// maxBenchChunks is ten times the largest corpus measured (1,000,000
	// chunks, which took 2 GB of memory and 4 GB of PostgreSQL).
	maxBenchChunks = 10_000_000
	// maxBenchQueries is a hundred times the default that every recorded
	// figure used; each is a timed search whose latency is kept.
	maxBenchQueries = 100_000
)

// overLimit refuses a bench size above its ceiling, naming the flag, the
// value and the limit.
func overLimit(flag string, v, limit int) error {
	if v <= limit {
		return nil
	}
	return usageErrorf("--%s %d is over the limit of %s", flag, v, engagement.Thousands(int64(limit)))
}

// recallQueries is how many queries the recall measurement uses; each
// costs one exact scan share of every stored vector.
const recallQueries = 100

func (a *app) benchCommand() *cobra.Command {
	var chunks, queries int
	var asJSON, flat bool
	cmd := &cobra.Command{
		Use:   "bench --chunks N",
		Short: "Benchmark ingest and hybrid search on a synthetic corpus",
		Long: `Ingest a deterministic synthetic corpus of N chunks (about 80 words each,
Zipf-distributed vocabulary, documents about topics; --flat for the corpus of
the first benchmarks, without topics) into a fresh temporary store (unless
--db is given), then time top-10 hybrid searches of chat-length queries. Prints ingest
chunks/s (until the chunks are searchable: index builds included), query
p50/p99 latency, the process's peak resident memory, and the recall@10 of the
store's vector search against an exact scan (measured after the rest).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if chunks <= 0 {
				return usageErrorf("--chunks must be positive")
			}
			if queries <= 0 {
				return usageErrorf("--queries must be positive")
			}
			if err := cmp.Or(overLimit("chunks", chunks, maxBenchChunks), overLimit("queries", queries, maxBenchQueries)); err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, cleanup, err := a.evalStore(ctx)
			if err != nil {
				return err
			}
			defer cleanup()
			res, err := runBench(ctx, svc.knowledge, svc.store, synth.Options{Chunks: chunks, Seed: 1, Flat: flat}, queries, newIngestProgress(a.io.Err))
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.io.Out, "corpus      %s\nchunks      %d\ningest      %.1f s, %.0f chunks/s\nquery       p50 %.2f ms, p99 %.2f ms (%d top-10 hybrid searches)\npeak RSS    %.0f MB\nrecall@10   %.3f (vector search against an exact scan, %d queries; %.3f counting ties within %g)\n",
				res.Corpus, res.Chunks, res.IngestSeconds, res.IngestChunksPerS, res.P50ms, res.P99ms, res.Queries, res.RSSMB,
				res.RecallAt10, min(recallQueries, res.Queries), res.RecallAt10ByDistance, tieDistance)
			return nil
		},
	}
	cmd.Flags().IntVar(&chunks, "chunks", 10000, "number of synthetic chunks")
	cmd.Flags().IntVar(&queries, "queries", 1000, "number of timed queries")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON")
	cmd.Flags().BoolVar(&flat, "flat", false, "use the flat corpus (no topics) of the first recorded benchmarks")
	cmd.AddCommand(a.benchServeCommand())
	cmd.AddCommand(a.benchInsightsCommand())
	cmd.AddCommand(a.benchPairingCommand())
	cmd.AddCommand(a.benchNudgesCommand())
	return cmd
}

var errStopped = errors.New("stopped")

func runBench(ctx context.Context, k *knowledge.Service, st store.Search, opts synth.Options, queries int, progress *ingestProgress) (benchResult, error) {
	chunks := opts.Chunks
	res := benchResult{Corpus: "topical", Chunks: chunks, Queries: queries}
	if opts.Flat {
		res.Corpus = "flat"
	}
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
	qs := synth.Queries(opts, queries)
	// Ingest ends when the chunks can be found: a store that builds an
	// index on the first search (PostgreSQL's lexical index) does so here.
	if _, err := k.Search(ctx, qs[0], 10, store.Everything); err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	res.IngestSeconds = elapsed.Seconds()
	res.IngestChunksPerS = float64(chunks) / elapsed.Seconds()

	// Warm up caches and the pooled search buffers before timing.
	for _, q := range qs[:min(20, len(qs))] {
		if _, err := k.Search(ctx, q, 10, store.Everything); err != nil {
			return res, err
		}
	}
	lat := make([]time.Duration, 0, len(qs))
	for _, q := range qs {
		t := time.Now()
		if _, err := k.Search(ctx, q, 10, store.Everything); err != nil {
			return res, err
		}
		lat = append(lat, time.Since(t))
	}
	res.P50ms = ms(eval.Percentile(lat, 50))
	res.P99ms = ms(eval.Percentile(lat, 99))
	res.RSSMB = peakRSSMB()
	recall, err := vectorRecall(ctx, st, qs[:min(recallQueries, len(qs))], 10)
	res.RecallAt10, res.RecallAt10ByDistance = recall.ids, recall.byDistance
	if err != nil {
		return res, fmt.Errorf("measure recall: %w", err)
	}
	return res, nil
}

// recall is a vector search's recall against an exact scan, averaged
// over queries, in two ways.
type recall struct {
	// ids is the share of the exact top k's chunks that the search
	// returned.
	ids float64
	// byDistance is the share of the returned chunks no further than the
	// exact kth nearest plus tieDistance.
	byDistance float64
}

// vectorRecall measures the store's vector search against an exact
// cosine scan of every stored vector. Queries are embedded with the
// offline embedder the bench ingests with. Stored chunks are read in
// blocks of ids from 1 up, which covers a fresh store's ids.
func vectorRecall(ctx context.Context, st store.Search, texts []string, k int) (recall, error) {
	qv, err := embed.NewHashed(0).Embed(ctx, texts)
	if err != nil {
		return recall{}, err
	}
	exact := make([]topK, len(qv))
	for i := range exact {
		exact[i] = topK{k: k}
	}
	const block = 2000
	ids := make([]int64, block)
	for next, empty := int64(1), 0; empty < 10; next += block {
		for i := range ids {
			ids[i] = next + int64(i)
		}
		views, err := st.Chunks(ctx, ids)
		if err != nil {
			return recall{}, err
		}
		if len(views) == 0 {
			empty++ // ten empty blocks in a row: past the last id
			continue
		}
		empty = 0
		for _, v := range views {
			for qi, q := range qv {
				exact[qi].add(v.ID, cosine(q, v.Vector))
			}
		}
	}
	var sum recall
	for qi, q := range qv {
		hits, err := st.SearchVector(ctx, store.VectorQuery{Vector: q, Scope: store.Everything}, k)
		if err != nil {
			return recall{}, err
		}
		items := exact[qi].items
		if len(items) == 0 {
			continue
		}
		want := make(map[int64]bool, k)
		for _, e := range items {
			want[e.id] = true
		}
		// Scores are cosine similarities: 1 − distance.
		kth := items[len(items)-1].score
		found, near := 0, 0
		for _, h := range hits {
			if want[h.ChunkID] {
				found++
			}
			if h.Score >= kth-tieDistance {
				near++
			}
		}
		sum.ids += float64(found) / float64(len(items))
		sum.byDistance += float64(min(near, len(items))) / float64(len(items))
	}
	n := float64(len(qv))
	return recall{ids: sum.ids / n, byDistance: sum.byDistance / n}, nil
}

// topK keeps the k best-scoring ids seen, best first.
type topK struct {
	k     int
	items []scoredID
}

type scoredID struct {
	id    int64
	score float64
}

func (t *topK) add(id int64, score float64) {
	if len(t.items) == t.k && score <= t.items[t.k-1].score {
		return
	}
	i := len(t.items)
	if i < t.k {
		t.items = append(t.items, scoredID{})
	} else {
		i = t.k - 1
	}
	for i > 0 && t.items[i-1].score < score {
		t.items[i] = t.items[i-1]
		i--
	}
	t.items[i] = scoredID{id, score}
}

func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(-1)
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return math.Inf(-1)
	}
	return dot / math.Sqrt(na*nb)
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
