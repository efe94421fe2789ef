package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

func TestBenchReportsSpeed(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := db.run(t, "bench", "--chunks", "300", "--queries", "20", "--json")
	r.wantCode(t, cli.ExitOK)
	obj := decodeObject(t, r.out)
	for _, k := range []string{"ingest_chunks_per_s", "p50_ms", "p99_ms", "rss_mb"} {
		var v float64
		if err := json.Unmarshal(obj[k], &v); err != nil {
			t.Errorf("%s is missing or not a number: %s", k, obj[k])
			continue
		}
		if v <= 0 {
			t.Errorf("%s = %v, want > 0", k, v)
		}
	}
	var chunks int
	if err := json.Unmarshal(obj["chunks"], &chunks); err != nil || chunks != 300 {
		t.Errorf("chunks = %s, want 300", obj["chunks"])
	}
}

func TestBenchText(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := db.run(t, "bench", "--chunks", "50", "--queries", "5")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"chunks/s", "p50", "p99", "peak RSS"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("bench output lacks %q:\n%s", want, r.out)
		}
	}
}

func TestBenchBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"zero chunks", []string{"--chunks", "0"}, "--chunks must be positive"},
		{"negative chunks", []string{"--chunks", "-5"}, "--chunks must be positive"},
		{"zero queries", []string{"--chunks", "10", "--queries", "0"}, "--queries must be positive"},
		{"not a number", []string{"--chunks", "lots"}, "invalid argument"},
		{"argument", []string{"--chunks", "10", "extra"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			r := db.run(t, append([]string{"bench"}, c.args...)...)
			r.wantCode(t, cli.ExitUsage)
			if !strings.Contains(r.err, c.msg) {
				t.Errorf("stderr does not say %q:\n%s", c.msg, r.err)
			}
		})
	}
}
