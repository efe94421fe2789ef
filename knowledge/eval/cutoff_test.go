package eval

import (
	"math"
	"testing"
)

func TestEvaluateAtMatchesFixedCutoffs(t *testing.T) {
	qrels := Qrels{"q1": {"a": 1, "b": 2}, "q2": {"c": 1}, "q3": {"x": 0}}
	run := map[string][]string{"q1": {"z", "b", "y", "a"}, "q2": {"y", "z", "w", "v", "u", "c"}}
	fixed := Evaluate(run, qrels)
	at10 := EvaluateAt(run, qrels, 10)
	if math.Abs(fixed.NDCG10-at10.NDCG) > 1e-12 || math.Abs(fixed.Recall10-at10.Recall) > 1e-12 {
		t.Fatalf("EvaluateAt(10) = %+v, Evaluate = ndcg %v recall %v", at10, fixed.NDCG10, fixed.Recall10)
	}
	at5 := EvaluateAt(run, qrels, 5)
	if math.Abs(at5.Recall-fixed.Recall5) > 1e-12 {
		t.Fatalf("Recall@5 = %v, want %v", at5.Recall, fixed.Recall5)
	}
	// q1: b (rel 2) at rank 2 only within @2; ideal is b then a.
	at2 := EvaluateAt(run, qrels, 2)
	want := (2/math.Log2(3))/(2+1/math.Log2(3))/2 + 0
	if math.Abs(at2.NDCG-want) > 1e-12 {
		t.Fatalf("nDCG@2 = %v, want %v", at2.NDCG, want)
	}
}
