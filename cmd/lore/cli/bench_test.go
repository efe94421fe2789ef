package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
	var recall float64
	if err := json.Unmarshal(obj["recall_at_10"], &recall); err != nil || recall <= 0 || recall > 1 {
		t.Errorf("recall_at_10 = %s, want a share above 0", obj["recall_at_10"])
	}
	// Counting ties can only find more of the exact ten.
	var byDistance float64
	if err := json.Unmarshal(obj["recall_at_10_by_distance"], &byDistance); err != nil || byDistance < recall || byDistance > 1 {
		t.Errorf("recall_at_10_by_distance = %s, want between recall_at_10 (%v) and 1", obj["recall_at_10_by_distance"], recall)
	}
	if got := string(obj["corpus"]); got != `"topical"` {
		t.Errorf("corpus = %s, want \"topical\"", got)
	}
}

// --flat runs the corpus of the first recorded benchmarks, and says so.
func TestBenchFlat(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := db.run(t, "bench", "--flat", "--chunks", "200", "--queries", "10", "--json")
	r.wantCode(t, cli.ExitOK)
	obj := decodeObject(t, r.out)
	if got := string(obj["corpus"]); got != `"flat"` {
		t.Errorf("corpus = %s, want \"flat\"", got)
	}
	var chunks int
	if err := json.Unmarshal(obj["chunks"], &chunks); err != nil || chunks != 200 {
		t.Errorf("chunks = %s, want 200", obj["chunks"])
	}
}

// On PostgreSQL the bench goes through the bulk path: the chunks are
// stored, the vector index exists at the end, and the HNSW search agrees
// with the exact scan on a corpus this small.
func TestBenchPostgres(t *testing.T) {
	t.Parallel()
	db := "--db=" + postgresURL(t)
	run(t, "migrate", db).wantCode(t, cli.ExitOK)
	r := run(t, "bench", "--chunks", "3000", "--queries", "20", "--json", db)
	r.wantCode(t, cli.ExitOK)
	obj := decodeObject(t, r.out)
	var recall float64
	if err := json.Unmarshal(obj["recall_at_10"], &recall); err != nil || recall < 0.9 || recall > 1 {
		t.Errorf("recall_at_10 = %s, want between 0.9 and 1", obj["recall_at_10"])
	}
	conn, err := pgx.Connect(t.Context(), strings.TrimPrefix(db, "--db="))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var chunks, indexes int
	if err := conn.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM chunks),
		(SELECT count(*) FROM `+hnswIndexesHere+`)`).
		Scan(&chunks, &indexes); err != nil {
		t.Fatal(err)
	}
	if chunks != 3000 || indexes != 2 {
		t.Errorf("after the bench: %d chunks and %d vector indexes, want 3000 and 2 (LORE_PG_HNSW_PARTITIONS's default)", chunks, indexes)
	}
}

func TestBenchText(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	r := db.run(t, "bench", "--chunks", "50", "--queries", "5")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"chunks/s", "p50", "p99", "peak RSS", "recall@10"} {
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

// Every size of lore bench and its subcommands has a ceiling, refused as
// a usage error that names the flag, the value and the limit. The --db is
// a folder, so that a size let through fails at once rather than running
// for hours.
func TestBenchSizesHaveCeilings(t *testing.T) {
	t.Parallel()
	folder := "--db=sqlite:" + t.TempDir()
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "--chunks", "99999999999"}, "--chunks 99999999999 is over the limit of 10,000,000"},
		{[]string{"bench", "--chunks", "10", "--queries", "100001"}, "--queries 100001 is over the limit of 100,000"},
		{[]string{"bench", "serve", "--replicas", "100000"}, "--replicas 100000 is over the limit of 16"},
		{[]string{"bench", "serve", "--rate", "1001"}, "--rate 1001 is over the limit of 1,000"},
		{[]string{"bench", "serve", "--seconds", "3601"}, "--seconds 3601 is over the limit of 3,600"},
		{[]string{"bench", "insights", "--events", "100000001"}, "--events 100000001 is over the limit of 100,000,000"},
		{[]string{"bench", "insights", "--people", "1000001"}, "--people 1000001 is over the limit of 1,000,000"},
		{[]string{"bench", "insights", "--views", "10001"}, "--views 10001 is over the limit of 10,000"},
		{[]string{"bench", "nudges", "--learners", "1000001"}, "--learners 1000001 is over the limit of 1,000,000"},
		{[]string{"bench", "nudges", "--workers", "10001"}, "--workers 10001 is over the limit of 10,000"},
		// --exact refuses more than 3,000 people at once, were the
		// ceiling missing; two people's rounds take no time.
		{[]string{"bench", "pairing", "--people", "100001", "--exact"}, "--people 100001 is over the limit of 100,000"},
		{[]string{"bench", "pairing", "--people", "2", "--rounds", "101"}, "--rounds 101 is over the limit of 100"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args[1:], " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, append(c.args, folder)...)
			r.wantCode(t, cli.ExitUsage)
			if !strings.Contains(r.err, c.msg) {
				t.Errorf("stderr does not say %q:\n%s", c.msg, r.err)
			}
		})
	}
}

// --rate of lore bench nudges is a number of nudges a second: NaN and
// infinity are refused before anything runs, not reported as a JSON error
// after the run.
func TestBenchNudgesRateIsFinite(t *testing.T) {
	t.Parallel()
	for _, rate := range []string{"NaN", "+Inf"} {
		r := run(t, "bench", "nudges", "--rate", rate, "--db=sqlite:"+t.TempDir())
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, "--rate "+rate+" is not a number of nudges a second") {
			t.Errorf("--rate %s: stderr %q", rate, r.err)
		}
	}
}
