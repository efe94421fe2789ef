package eval

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"
)

const eps = 1e-12

func near(a, b float64) bool { return math.Abs(a-b) < eps }

func TestNDCGGradedByHand(t *testing.T) {
	t.Parallel()
	qrels := Qrels{"q": {"d1": 2, "d2": 1, "d3": 3, "d4": 0}}
	run := map[string][]string{"q": {"d2", "d4", "d3", "d5", "d1"}}

	// Gain is the grade itself (trec_eval ndcg_cut), discount log2(rank+1):
	//   DCG  = 1/log2(2) + 0/log2(3) + 3/log2(4) + 0/log2(5) + 2/log2(6)
	//        = 1 + 0 + 1.5 + 0 + 0.773705614469083 = 3.273705614469083
	//   IDCG = 3/log2(2) + 2/log2(3) + 1/log2(4)   (ideal order d3, d1, d2)
	//        = 3 + 1.261859507142915 + 0.5        = 4.761859507142915
	//   nDCG = 3.273705614469083 / 4.761859507142915 = 0.687484...
	// With 2^rel-1 gains it would be 5.660558421703624/9.392789260714373
	// = 0.602649..., so this case tells the two apart.
	want := 3.273705614469083 / 4.761859507142915
	got := Evaluate(run, qrels)
	if math.Abs(got.NDCG10-want) > 1e-9 {
		t.Errorf("nDCG@10 = %.15f, want %.15f", got.NDCG10, want)
	}
	if math.Abs(got.NDCG10-0.687484) > 1e-6 {
		t.Errorf("nDCG@10 = %.6f, want 0.687484", got.NDCG10)
	}
	if got.MRR10 != 1 {
		t.Errorf("MRR@10 = %v, want 1", got.MRR10)
	}
}

func TestNDCGCutsAtTen(t *testing.T) {
	t.Parallel()
	// One relevant document at rank 11 earns nothing at 10; at rank 10
	// it earns 1/log2(11) of an ideal 1/log2(2).
	qrels := Qrels{"q": {"hit": 1}}
	ranked := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "hit"}
	if got := Evaluate(map[string][]string{"q": ranked}, qrels); got.NDCG10 != 0 || got.MRR10 != 0 || got.Recall100 != 1 {
		t.Errorf("rank 11: got %+v, want nDCG 0, MRR 0, Recall@100 1", got)
	}
	ranked = slices.Delete(ranked, 0, 1)
	got := Evaluate(map[string][]string{"q": ranked}, qrels)
	if want := 1 / math.Log2(11); !near(got.NDCG10, want) {
		t.Errorf("rank 10: nDCG@10 = %v, want %v", got.NDCG10, want)
	}
	if !near(got.MRR10, 0.1) {
		t.Errorf("rank 10: MRR@10 = %v, want 0.1", got.MRR10)
	}
}

func TestIdealFromQrelsNotRun(t *testing.T) {
	t.Parallel()
	// Two relevant documents, only one retrieved, at rank 1: the ideal
	// ranking still holds both, so nDCG = 1 / (1 + 1/log2(3)).
	qrels := Qrels{"q": {"a": 1, "b": 1}}
	got := Evaluate(map[string][]string{"q": {"a"}}, qrels)
	if want := 1 / (1 + 1/math.Log2(3)); !near(got.NDCG10, want) {
		t.Errorf("nDCG@10 = %v, want %v", got.NDCG10, want)
	}
}

func TestRecallAndMRRByHand(t *testing.T) {
	t.Parallel()
	rel := map[string]int{"a": 1, "b": 1, "c": 1, "d": 1, "z": 0}
	ranked := make([]string, 120)
	for i := range ranked {
		ranked[i] = "n" + string(rune('A'+i%26)) + string(rune('A'+i/26))
	}
	// Relevant at ranks 2, 4, 7 and 50; "d" again at 60 earns nothing; the
	// judged-irrelevant "z" at 1 earns nothing either.
	ranked[0], ranked[1], ranked[3], ranked[6], ranked[49], ranked[59] = "z", "a", "b", "c", "d", "d"
	got := Evaluate(map[string][]string{"q": ranked}, Qrels{"q": rel})
	want := Result{
		Recall1:   0,       // nothing relevant at rank 1
		Recall5:   2.0 / 4, // a, b
		Recall10:  3.0 / 4, // a, b, c
		Recall100: 4.0 / 4, // all, counting d once
		MRR10:     1.0 / 2, // first relevant at rank 2
		Queries:   1,
	}
	got.NDCG10 = 0
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestRecallCountsOnlyTop100(t *testing.T) {
	t.Parallel()
	ranked := make([]string, 101)
	for i := range ranked {
		ranked[i] = string(rune(0x4e00 + i))
	}
	ranked[100] = "hit"
	got := Evaluate(map[string][]string{"q": ranked}, Qrels{"q": {"hit": 1}})
	if got.Recall100 != 0 {
		t.Errorf("Recall@100 = %v for a hit at rank 101, want 0", got.Recall100)
	}
}

func TestDuplicateInRunEarnsOnce(t *testing.T) {
	t.Parallel()
	qrels := Qrels{"q": {"a": 1, "b": 1}}
	// "a" twice occupies ranks 1 and 2; only rank 1 earns.
	got := Evaluate(map[string][]string{"q": {"a", "a", "b"}}, qrels)
	if got.Recall5 != 1 {
		t.Errorf("Recall@5 = %v, want 1", got.Recall5)
	}
	idcg := 1 + 1/math.Log2(3)
	if want := (1 + 1/math.Log2(4)) / idcg; !near(got.NDCG10, want) {
		t.Errorf("nDCG@10 = %v, want %v", got.NDCG10, want)
	}
}

func TestEvaluateSkipsAndZeros(t *testing.T) {
	t.Parallel()
	qrels := Qrels{
		"perfect":    {"a": 1},
		"unanswered": {"b": 2},          // no run entry: counts as zero
		"judged0":    {"c": 0, "d": 0},  // nothing relevant: skipped
		"empty":      {},                // skipped
		"negative":   {"e": -1, "f": 0}, // skipped
	}
	run := map[string][]string{
		"perfect":   {"a"},
		"judged0":   {"c"},
		"notjudged": {"x"}, // not in qrels: ignored
	}
	got := Evaluate(run, qrels)
	want := Result{NDCG10: 0.5, Recall1: 0.5, Recall5: 0.5, Recall10: 0.5, Recall100: 0.5, MRR10: 0.5, Queries: 2}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestEvaluateNothingToScore(t *testing.T) {
	t.Parallel()
	got := Evaluate(map[string][]string{"q": {"a"}}, Qrels{"q": {"a": 0}})
	if got != (Result{}) {
		t.Errorf("got %+v, want zero Result", got)
	}
	if got := Evaluate(nil, nil); got != (Result{}) {
		t.Errorf("nil input: got %+v, want zero Result", got)
	}
}

func TestPercentileNearestRank(t *testing.T) {
	t.Parallel()
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	ten := ms(7, 3, 10, 1, 9, 2, 8, 4, 6, 5) // 1..10 shuffled
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(1000-i) * time.Microsecond
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"median of ten", ten, 50, 5 * time.Millisecond}, // rank ceil(5)
		{"p51 of ten", ten, 51, 6 * time.Millisecond},    // rank ceil(5.1)
		{"p90 of ten", ten, 90, 9 * time.Millisecond},    // rank 9
		{"p99 of ten", ten, 99, 10 * time.Millisecond},   // rank ceil(9.9)
		{"p100", ten, 100, 10 * time.Millisecond},        // maximum
		{"p0", ten, 0, 1 * time.Millisecond},             // minimum
		{"above 100", ten, 250, 10 * time.Millisecond},   // clamped
		{"p99.9 of 1000", thousand, 99.9, 999 * time.Microsecond},
		{"p99 of 1000", thousand, 99, 990 * time.Microsecond},
		{"one sample", ms(42), 99, 42 * time.Millisecond},
		{"median of two", ms(2, 1), 50, 1 * time.Millisecond},
		{"empty", nil, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("Percentile(%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
	if ten[0] != 7*time.Millisecond {
		t.Error("Percentile reordered its input")
	}
}

func TestResultJSON(t *testing.T) {
	t.Parallel()
	r := Result{
		NDCG10: 0.5, Recall1: 0.1, Recall5: 0.25, Recall10: 0.75, Recall100: 1, MRR10: 0.6,
		Queries: 300, P50: 1500 * time.Microsecond, P99: 12 * time.Millisecond,
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ndcg@10": 0.5, "recall@1": 0.1, "recall@5": 0.25, "recall@10": 0.75, "recall@100": 1.0,
		"mrr@10": 0.6, "queries": 300.0, "p50_ms": 1.5, "p99_ms": 12.0,
	}
	if len(got) != len(want) {
		t.Errorf("keys: got %s", b)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (in %s)", k, got[k], v, b)
		}
	}

	// Pointers and values marshal alike, and the encoding reads back.
	pb, err := json.Marshal(&r)
	if err != nil || string(pb) != string(b) {
		t.Errorf("pointer marshal = %s, %v; want %s", pb, err, b)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != r {
		t.Errorf("round trip: got %+v, want %+v", back, r)
	}
}
