package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/eval"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/store"
)

// evalDepth is how many documents each query retrieves: enough for
// Recall@100. answerDepth is what the answer path retrieves, whose latency
// eval reports.
const (
	evalDepth   = 100
	answerDepth = 10
)

func (a *app) evalCommand() *cobra.Command {
	var corpus, queries, qrels string
	var k int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --corpus FILE --queries FILE --qrels FILE",
		Short: "Measure retrieval quality on a BEIR-layout benchmark",
		Long: `Ingest a BEIR-layout corpus into a fresh temporary store (unless --db is
given), run every query through the retrieval path that answers users, and
print nDCG@10, Recall@1/5/10/100, MRR@10, and the latency percentiles of
the top-10 search that answers use.
--k adds nDCG and Recall at another cut-off.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			for _, f := range []struct{ flag, path string }{{"corpus", corpus}, {"queries", queries}, {"qrels", qrels}} {
				switch info, err := os.Stat(f.path); {
				case strings.TrimSpace(f.path) == "":
					return usageErrorf("--%s is empty: name a file, such as %s", f.flag, f.flag+evalExt(f.flag))
				case err != nil:
					return evalFileError(f.flag, err)
				case info.IsDir():
					return usageErrorf("--%s %s is a folder: name the file in it, such as %s", f.flag, f.path, filepath.Join(f.path, f.flag+evalExt(f.flag)))
				}
			}
			if k <= 0 || k > evalDepth {
				return usageErrorf("--k must be between 1 and %d", evalDepth)
			}
			qs, err := eval.LoadQueries(queries)
			if err != nil {
				return evalFileError("queries", err)
			}
			judged, err := eval.LoadQrels(qrels)
			if err != nil {
				return evalFileError("qrels", err)
			}
			if err := checkJudged(qs, judged, queries, qrels); err != nil {
				return err
			}
			svc, cleanup, err := a.evalStore(ctx)
			if err != nil {
				return err
			}
			defer cleanup()
			if err := loadCorpus(ctx, svc.knowledge, corpus, a.io.Err); err != nil {
				var bad *badCorpusError
				if errors.As(err, &bad) {
					return evalFileError("corpus", bad.err)
				}
				return err
			}
			run := make(map[string][]string, len(qs))
			latencies := make([]time.Duration, 0, len(qs))
			for _, q := range qs {
				// Latency is that of the answer path (top 10); the deeper
				// search below only feeds Recall@100.
				start := time.Now()
				if _, err := svc.knowledge.Search(ctx, q.Text, answerDepth, store.Everything); err != nil {
					return fmt.Errorf("query %s: %w", q.ID, err)
				}
				latencies = append(latencies, time.Since(start))
				passages, err := svc.knowledge.Search(ctx, q.Text, evalDepth*2, store.Everything)
				if err != nil {
					return fmt.Errorf("query %s: %w", q.ID, err)
				}
				run[q.ID] = rankedSources(passages, evalDepth)
			}
			res := eval.Evaluate(run, judged)
			res.P50 = eval.Percentile(latencies, 50)
			res.P99 = eval.Percentile(latencies, 99)
			atK := eval.EvaluateAt(run, judged, k)
			if asJSON {
				out := map[string]any{}
				raw, _ := json.Marshal(res)
				_ = json.Unmarshal(raw, &out)
				out[fmt.Sprintf("ndcg@%d", k)] = atK.NDCG
				out[fmt.Sprintf("recall@%d", k)] = atK.Recall
				return a.printJSON(out)
			}
			w := a.io.Out
			fmt.Fprintf(w, "queries     %d (with relevant documents)\n", res.Queries)
			fmt.Fprintf(w, "nDCG@10     %.4f\n", res.NDCG10)
			if k != 10 {
				fmt.Fprintf(w, "nDCG@%-6d %.4f\n", k, atK.NDCG)
				fmt.Fprintf(w, "Recall@%-4d %.4f\n", k, atK.Recall)
			}
			fmt.Fprintf(w, "Recall@1    %.4f\nRecall@5    %.4f\nRecall@10   %.4f\nRecall@100  %.4f\n", res.Recall1, res.Recall5, res.Recall10, res.Recall100)
			fmt.Fprintf(w, "MRR@10      %.4f\n", res.MRR10)
			fmt.Fprintf(w, "latency     p50 %.2f ms, p99 %.2f ms\n", ms(res.P50), ms(res.P99))
			return nil
		},
	}
	cmd.Flags().StringVar(&corpus, "corpus", "", "corpus.jsonl")
	cmd.Flags().StringVar(&queries, "queries", "", "queries.jsonl")
	cmd.Flags().StringVar(&qrels, "qrels", "", "qrels.tsv")
	cmd.Flags().IntVar(&k, "k", 10, "also report nDCG and Recall at this cut-off")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the metrics as JSON")
	for _, f := range []string{"corpus", "queries", "qrels"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// evalStore opens --db when given, otherwise a fresh store in a temporary
// directory that cleanup removes.
func (a *app) evalStore(ctx context.Context) (*services, func(), error) {
	a.stopNote = func() string {
		if a.dbURL != "" {
			return "nothing was measured; what it loaded into --db is kept"
		}
		return "nothing was measured, and its temporary store is removed"
	}
	if a.dbURL != "" {
		svc, err := a.open(ctx)
		if err != nil {
			return nil, nil, err
		}
		return svc, func() { svc.Close() }, nil
	}
	dir, err := os.MkdirTemp("", "lore-eval-")
	if err != nil {
		return nil, nil, err
	}
	st, err := a.openStore(ctx, "sqlite:"+filepath.Join(dir, "eval.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	svc, err := a.wire(st)
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return svc, func() { svc.Close(); os.RemoveAll(dir) }, nil
}

// checkJudged refuses a benchmark that would measure nothing, or measure
// less than it says: no queries, no query with a relevant document, or
// judged queries that the queries file does not ask (each would count as a
// miss).
func checkJudged(qs []eval.Query, judged eval.Qrels, queriesPath, qrelsPath string) error {
	if len(qs) == 0 {
		return usageErrorf("%s holds no queries", queriesPath)
	}
	asked := make(map[string]bool, len(qs))
	for _, q := range qs {
		asked[q.ID] = true
	}
	var relevant int
	var missing []string
	for q := range judged {
		if judged.Relevant(q) == 0 {
			continue
		}
		relevant++
		if !asked[q] {
			missing = append(missing, q)
		}
	}
	if relevant == 0 {
		return usageErrorf("%s judges no document relevant to any query", qrelsPath)
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return usageErrorf("%d queries judged in %s are not in %s (%s): are the two files of the same split?",
			len(missing), qrelsPath, queriesPath, strings.Join(missing[:min(len(missing), 5)], ", "))
	}
	return nil
}

// badCorpusError is a corpus file that cannot be read as BEIR JSONL, as
// opposed to a store that fails to take its documents.
type badCorpusError struct{ err error }

func (e *badCorpusError) Error() string { return e.err.Error() }
func (e *badCorpusError) Unwrap() error { return e.err }

// loadCorpus ingests a BEIR corpus through the same parsing and chunking as
// curated Markdown files. A document's source is its corpus id, so that
// rankings map back to the qrels.
func loadCorpus(ctx context.Context, k *knowledge.Service, path string, progressOut io.Writer) error {
	progress := newIngestProgress(progressOut)
	progress.Total(-1) // unknown length: a spinner
	defer progress.finish()
	var stored error // a failure to store, not to read
	err := eval.LoadCorpus(path, func(d eval.Doc) error {
		parsed, err := ingest.Parse(d.ID+".md", []byte(d.Text), ingest.Options{})
		if err != nil {
			progress.Warn(d.ID, err)
			return nil
		}
		if d.Title != "" {
			parsed.Title = d.Title
		}
		doc := store.Document{
			ID: knowledge.DocumentID("eval", d.ID), Collection: "eval", Source: d.ID,
			Title: parsed.Title, ContentHash: d.ID, UpdatedAt: time.Now(),
		}
		if _, err := k.AddDocument(ctx, doc, parsed.Chunks); err != nil {
			stored = fmt.Errorf("corpus document %s: %w", d.ID, err)
			return stored
		}
		progress.Done(d.ID)
		return nil
	})
	if err != nil && stored == nil {
		return &badCorpusError{err: err}
	}
	return err
}

// rankedSources turns ranked passages into ranked, distinct document
// sources.
func rankedSources(passages []knowledge.Passage, n int) []string {
	seen := make(map[string]bool, n)
	out := make([]string, 0, n)
	for _, p := range passages {
		if seen[p.Source] {
			continue
		}
		seen[p.Source] = true
		out = append(out, p.Source)
		if len(out) == n {
			break
		}
	}
	return out
}

// evalFileError is the usage error of a file given to lore eval's flag:
// one that cannot be opened says so in plain words, naming the flag, not
// in the system's ("stat q.jsonl: not a directory"); others (a malformed
// line) already name the file.
func evalFileError(flag string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("--%s %w", flag, fileError(err))
	}
	return &exitError{code: ExitUsage, err: err}
}

// evalExt is the extension of a BEIR file: the judgements are TSV, the
// rest JSONL.
func evalExt(flag string) string {
	if flag == "qrels" {
		return ".tsv"
	}
	return ".jsonl"
}
