package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/eval"
	"github.com/lorehq/lore/knowledge/handbook"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// BenchmarkThresholdSweep measures what each no-answer threshold would do
// on the two calibration sets of knowledge.DefaultThreshold, and prints
// the sweep docs/benchmarks.md records:
//
//   - SciFact: positives are the training questions whose relevant abstract
//     is among the top three passages' documents; negatives are OR-ShARC's
//     questions asked of the SciFact corpus.
//   - The handbook: positives are its example questions, negatives its
//     unanswerable ones.
//
// A third set takes no part in the mean J: the handbook's held-out
// off-topic questions (handbook.OffTopic), of which it counts those each
// threshold would answer, and lists those the default threshold answers.
//
// It needs ../shared/testdata/retrieval (LORE_RETRIEVAL_DATA overrides):
//
//	go test ./cmd/lore/cli -run XXX -bench ThresholdSweep -benchtime 1x
func BenchmarkThresholdSweep(b *testing.B) {
	data := os.Getenv("LORE_RETRIEVAL_DATA")
	if data == "" {
		data = "../../../../shared/testdata/retrieval"
	}
	if _, err := os.Stat(filepath.Join(data, "scifact")); err != nil {
		b.Fatalf("retrieval data: %v (set LORE_RETRIEVAL_DATA)", err)
	}
	ctx := b.Context()
	var sciPos, sciNeg, hbPos, hbNeg, offTopic []float64
	var offTopicQuestions, offTopicSources []string
	for b.Loop() {
		sci := thresholdService(b)
		if err := loadCorpus(ctx, sci, filepath.Join(data, "scifact/corpus.jsonl"), io.Discard); err != nil {
			b.Fatal(err)
		}
		train, err := eval.LoadQueries(filepath.Join(data, "scifact/queries-train.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		qrels, err := eval.LoadQrels(filepath.Join(data, "scifact/qrels-train.tsv"))
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range train {
			passages, conf := thresholdConfidence(b, sci, q.Text)
			top := rankedSources(passages, 3)
			if slices.ContainsFunc(top, func(src string) bool { return qrels[q.ID][src] > 0 }) {
				sciPos = append(sciPos, conf)
			}
		}
		sharc, err := eval.LoadQueries(filepath.Join(data, "or-sharc-dev/queries.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range sharc {
			_, conf := thresholdConfidence(b, sci, q.Text)
			sciNeg = append(sciNeg, conf)
		}

		hb := thresholdService(b)
		docs, _ := fs.Sub(handbook.Docs, "docs")
		if _, err := hb.IngestFS(ctx, docs, "handbook", "handbook"); err != nil {
			b.Fatal(err)
		}
		questions, err := handbook.Questions()
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range questions {
			_, conf := thresholdConfidence(b, hb, q.Question)
			hbPos = append(hbPos, conf)
		}
		unanswerable, err := handbook.Unanswerable()
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range unanswerable {
			_, conf := thresholdConfidence(b, hb, q)
			hbNeg = append(hbNeg, conf)
		}
		held, err := handbook.OffTopic()
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range held {
			passages, conf := thresholdConfidence(b, hb, q)
			offTopic = append(offTopic, conf)
			offTopicQuestions = append(offTopicQuestions, q)
			offTopicSources = append(offTopicSources, confidentSource(passages))
		}
	}
	count := func(cs []float64, t float64) int {
		n := 0
		for _, c := range cs {
			if c >= t {
				n++
			}
		}
		return n
	}
	above := func(cs []float64, t float64) float64 {
		return float64(count(cs, t)) / float64(len(cs))
	}
	fmt.Fprintf(os.Stderr, "SciFact: %d positives, %d negatives; handbook: %d and %d; off-topic (held out): %d\n", len(sciPos), len(sciNeg), len(hbPos), len(hbNeg), len(offTopic))
	fmt.Fprintln(os.Stderr, "| threshold | SciFact TPR | SciFact TNR | handbook TPR | handbook TNR | mean J | off-topic answered |")
	fmt.Fprintln(os.Stderr, "|---:|---:|---:|---:|---:|---:|---:|")
	for t := 30; t <= 50; t++ {
		th := float64(t) / 100
		sTPR, sTNR := above(sciPos, th), 1-above(sciNeg, th)
		hTPR, hTNR := above(hbPos, th), 1-above(hbNeg, th)
		fmt.Fprintf(os.Stderr, "| %.2f | %.3f | %.3f | %.3f | %.3f | %.2f | %d |\n", th, sTPR, sTNR, hTPR, hTNR, (sTPR+sTNR-1+hTPR+hTNR-1)/2, count(offTopic, th))
	}
	fmt.Fprintf(os.Stderr, "\nOff-topic questions answered at %.2f:\n", knowledge.DefaultThreshold)
	for i, q := range offTopicQuestions {
		if offTopic[i] >= knowledge.DefaultThreshold {
			fmt.Fprintf(os.Stderr, "- %.2f %s (%s)\n", offTopic[i], q, offTopicSources[i])
		}
	}
}

// confidentSource is the file name of the passage, among the three the
// confidence considers, that gives it.
func confidentSource(passages []knowledge.Passage) string {
	best, src := -1.0, ""
	for _, p := range passages[:min(3, len(passages))] {
		if c := knowledge.Confidence([]knowledge.Passage{p}); c > best {
			best, src = c, filepath.Base(p.Source)
		}
	}
	return src
}

// thresholdService is a knowledge service with the default settings over
// a fresh SQLite store.
func thresholdService(b *testing.B) *knowledge.Service {
	b.Helper()
	st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return knowledge.New(st, knowledge.Options{})
}

// thresholdConfidence returns the passages the answer path retrieves for
// question and the confidence it would be answered with.
func thresholdConfidence(b *testing.B, svc *knowledge.Service, question string) ([]knowledge.Passage, float64) {
	b.Helper()
	passages, err := svc.Search(context.Background(), question, 5, store.Everything)
	if err != nil {
		b.Fatal(err)
	}
	return passages, knowledge.Confidence(passages)
}
