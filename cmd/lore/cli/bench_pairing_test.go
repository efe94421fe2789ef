package cli_test

import (
	"encoding/json"
	"github.com/lorehq/lore/cmd/lore/cli"
	"strings"
	"testing"
)

func TestBenchPairingJSON(t *testing.T) {
	r := run(t, "bench", "pairing", "--people", "120", "--rounds", "4", "--exact", "--json")
	r.wantCode(t, cli.ExitOK)
	out := r.out
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"seconds", "cpu_seconds", "weight", "greedy_weight", "repeats", "exact_weight"} {
		if _, ok := res[k]; !ok {
			t.Errorf("key %q missing from %s", k, out)
		}
	}
	w, g, e := res["weight"].(float64), res["greedy_weight"].(float64), res["exact_weight"].(float64)
	if w < g || w > e || w < 0.99*e {
		t.Errorf("weight %.1f, greedy %.1f, exact %.1f: want greedy <= weight <= exact, within 1%%", w, g, e)
	}
	if res["repeats"].(float64) != 0 {
		t.Errorf("repeats = %v, want 0", res["repeats"])
	}
}

func TestBenchPairingRefusesBadSizes(t *testing.T) {
	for _, args := range [][]string{{"--people", "1"}, {"--rounds", "0"}, {"--people", "5000", "--exact"}} {
		r := run(t, append([]string{"bench", "pairing"}, args...)...)
		if r.code != cli.ExitUsage || !strings.Contains(r.err, "--") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, r.code, r.err)
		}
	}
}
