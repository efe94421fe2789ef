package eval

import (
	"math"
	"slices"
)

// AtK holds the metrics at a cut-off chosen at run time.
type AtK struct {
	K      int
	NDCG   float64
	Recall float64
}

// EvaluateAt computes nDCG@k and Recall@k over the same queries as
// Evaluate, for a cut-off other than the fixed ones.
func EvaluateAt(run map[string][]string, qrels Qrels, k int) AtK {
	res := AtK{K: k}
	if k <= 0 {
		return res
	}
	n := 0
	for q, judged := range qrels {
		if qrels.Relevant(q) == 0 {
			continue
		}
		n++
		var ideal []int
		for _, rel := range judged {
			if rel > 0 {
				ideal = append(ideal, rel)
			}
		}
		slices.Sort(ideal)
		slices.Reverse(ideal)
		var idcg, dcg float64
		for i, rel := range ideal[:min(len(ideal), k)] {
			idcg += float64(rel) / math.Log2(float64(i+2))
		}
		found := 0
		seen := map[string]bool{}
		ranked := run[q]
		for i, d := range ranked[:min(len(ranked), k)] {
			if rel := judged[d]; rel > 0 && !seen[d] {
				seen[d] = true
				dcg += float64(rel) / math.Log2(float64(i+2))
				found++
			}
		}
		res.NDCG += dcg / idcg
		res.Recall += float64(found) / float64(len(ideal))
	}
	if n > 0 {
		res.NDCG /= float64(n)
		res.Recall /= float64(n)
	}
	return res
}
