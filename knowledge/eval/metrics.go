package eval

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Result is the mean of each metric over the evaluated queries, with the
// latency percentiles of the run that produced them.
type Result struct {
	NDCG10    float64
	Recall1   float64
	Recall5   float64
	Recall10  float64
	Recall100 float64
	MRR10     float64

	// Queries is how many queries the means are over: those with at
	// least one relevant document in the qrels.
	Queries int

	// P50 and P99 are search latencies. Evaluate sees only rankings, so
	// it leaves them zero; whoever timed the searches fills them in,
	// usually with Percentile.
	P50, P99 time.Duration
}

// resultJSON fixes the key names that reports and stored baselines use;
// they follow BEIR's "ndcg@10" spelling so numbers can be compared by eye.
type resultJSON struct {
	NDCG10    float64 `json:"ndcg@10"`
	Recall1   float64 `json:"recall@1"`
	Recall5   float64 `json:"recall@5"`
	Recall10  float64 `json:"recall@10"`
	Recall100 float64 `json:"recall@100"`
	MRR10     float64 `json:"mrr@10"`
	Queries   int     `json:"queries"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
}

// MarshalJSON writes latencies as fractional milliseconds, the unit
// people read latency in, rather than as integer nanoseconds.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{
		NDCG10:    r.NDCG10,
		Recall1:   r.Recall1,
		Recall5:   r.Recall5,
		Recall10:  r.Recall10,
		Recall100: r.Recall100,
		MRR10:     r.MRR10,
		Queries:   r.Queries,
		P50ms:     durationMS(r.P50),
		P99ms:     durationMS(r.P99),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, so that a stored baseline
// can be loaded and compared with a new run.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j resultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result{
		NDCG10:    j.NDCG10,
		Recall1:   j.Recall1,
		Recall5:   j.Recall5,
		Recall10:  j.Recall10,
		Recall100: j.Recall100,
		MRR10:     j.MRR10,
		Queries:   j.Queries,
		P50:       time.Duration(math.Round(j.P50ms * float64(time.Millisecond))),
		P99:       time.Duration(math.Round(j.P99ms * float64(time.Millisecond))),
	}
	return nil
}

func durationMS(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

// Evaluate scores a run, the ranked document ids for each query (best
// first), against qrels, with BEIR's definitions:
//
//   - nDCG@10 uses the relevance grade itself as the gain (trec_eval's
//     ndcg_cut, which BEIR calls through pytrec_eval, does not use
//     2^rel-1) and a log2(rank+1) discount; the ideal ranking is built
//     from all relevant documents in the qrels, retrieved or not.
//   - Recall@k is the share of the query's relevant documents found in
//     the top k.
//   - MRR@10 is 1/rank of the first relevant document in the top 10, or
//     zero.
//
// Queries with no relevant document in the qrels are skipped, as BEIR
// does, since no ranking can score on them. Queries that have relevant
// documents but no entry in the run count as zero on every metric: a
// system that fails to answer must not look better for it. Run entries
// for queries absent from the qrels are ignored.
//
// A document repeated within a ranking keeps its rank but earns nothing
// the second time, so a retriever that returns duplicates cannot inflate
// its recall.
func Evaluate(run map[string][]string, qrels Qrels) Result {
	// Summing in a fixed order keeps results bit-for-bit reproducible,
	// which map iteration would not.
	ids := make([]string, 0, len(qrels))
	for q := range qrels {
		if qrels.Relevant(q) > 0 {
			ids = append(ids, q)
		}
	}
	slices.Sort(ids)

	var sum Result
	for _, q := range ids {
		s := scoreQuery(run[q], qrels[q])
		sum.NDCG10 += s.NDCG10
		sum.Recall1 += s.Recall1
		sum.Recall5 += s.Recall5
		sum.Recall10 += s.Recall10
		sum.Recall100 += s.Recall100
		sum.MRR10 += s.MRR10
	}
	n := len(ids)
	if n == 0 {
		return Result{}
	}
	f := float64(n)
	return Result{
		NDCG10:    sum.NDCG10 / f,
		Recall1:   sum.Recall1 / f,
		Recall5:   sum.Recall5 / f,
		Recall10:  sum.Recall10 / f,
		Recall100: sum.Recall100 / f,
		MRR10:     sum.MRR10 / f,
		Queries:   n,
	}
}

// scoreQuery computes every metric for one query that has at least one
// relevant document.
func scoreQuery(ranked []string, judged map[string]int) Result {
	var ideal []int
	for _, rel := range judged {
		if rel > 0 {
			ideal = append(ideal, rel)
		}
	}
	slices.Sort(ideal)
	slices.Reverse(ideal)
	var idcg float64
	for i, rel := range ideal[:min(len(ideal), 10)] {
		idcg += float64(rel) / math.Log2(float64(i+2))
	}

	var (
		dcg   float64
		mrr   float64
		found [4]int // relevant documents within the top 1, 5, 10, 100
		seen  = make(map[string]bool, min(len(ranked), 100))
	)
	for i, d := range ranked[:min(len(ranked), 100)] {
		rel := judged[d]
		if rel <= 0 || seen[d] {
			continue
		}
		seen[d] = true
		rank := i + 1
		if rank <= 10 {
			dcg += float64(rel) / math.Log2(float64(rank+1))
			if mrr == 0 {
				mrr = 1 / float64(rank)
			}
		}
		for j, k := range [4]int{1, 5, 10, 100} {
			if rank <= k {
				found[j]++
			}
		}
	}

	total := float64(len(ideal))
	return Result{
		NDCG10:    dcg / idcg,
		Recall1:   float64(found[0]) / total,
		Recall5:   float64(found[1]) / total,
		Recall10:  float64(found[2]) / total,
		Recall100: float64(found[3]) / total,
		MRR10:     mrr,
	}
}

// Percentile returns the nearest-rank p-th percentile of durations, p in
// percent (50 for the median): the smallest value at least p% of the
// samples do not exceed. Nearest-rank always returns an observed latency,
// never an interpolated one no search took. durations is not modified.
// It returns zero for no samples; p at or below 0 gives the minimum and
// p at or above 100 the maximum.
func Percentile(durations []time.Duration, p float64) time.Duration {
	if len(durations) == 0 {
		return 0
	}
	sorted := slices.Clone(durations)
	slices.Sort(sorted)
	// The small tolerance keeps p*n/100 from rounding up past an exact
	// rank (99.9% of 1000 samples is rank 999, not 1000).
	rank := int(math.Ceil(p*float64(len(sorted))/100 - 1e-9))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}
