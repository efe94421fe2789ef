package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// beirFiles is a tiny benchmark in the BEIR layout.
type beirFiles struct {
	corpus, queries, qrels string
}

func (b beirFiles) flags() []string {
	return []string{"--corpus", b.corpus, "--queries", b.queries, "--qrels", b.qrels}
}

// writeBEIR writes six documents on distinct topics, three queries each
// plainly about one of them, and their judgements.
func writeBEIR(t *testing.T) beirFiles {
	t.Helper()
	dir := t.TempDir()
	b := beirFiles{
		corpus:  filepath.Join(dir, "corpus.jsonl"),
		queries: filepath.Join(dir, "queries.jsonl"),
		qrels:   filepath.Join(dir, "qrels.tsv"),
	}
	writeFile(t, b.corpus, []byte(`{"_id": "d1", "title": "Photosynthesis", "text": "Photosynthesis converts sunlight, water and carbon dioxide into glucose and oxygen inside the chloroplasts of plant leaves."}
{"_id": "d2", "title": "Volcanoes", "text": "A volcano erupts when magma from the mantle rises through the crust and escapes as lava, ash and volcanic gas."}
{"_id": "d3", "title": "Sourdough baking", "text": "Sourdough bread rises with a starter of wild yeast and lactic acid bacteria, fed daily with flour and water."}
{"_id": "d4", "title": "Tides", "text": "Ocean tides are caused by the gravitational pull of the moon and the sun on the rotating earth."}
{"_id": "d5", "title": "Chess openings", "text": "The Sicilian Defence is a chess opening in which black answers the king pawn move with the c-pawn."}
{"_id": 6, "title": "Honeybees", "text": "Honeybees communicate the direction of flowers to the hive with the waggle dance.", "metadata": {}}
`))
	writeFile(t, b.queries, []byte(`{"_id": "q1", "text": "how do plants turn sunlight into glucose"}
{"_id": "q2", "text": "what makes a volcano erupt with lava"}
{"_id": "q3", "text": "how do honeybees tell the hive where flowers are"}
`))
	writeFile(t, b.qrels, []byte("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\nq3\t6\t1\n"))
	return b
}

func TestEvalReportsMetrics(t *testing.T) {
	t.Parallel()
	b := writeBEIR(t)
	db := newDB(t)

	r := db.run(t, append([]string{"eval", "--json"}, b.flags()...)...)
	r.wantCode(t, cli.ExitOK)
	obj := decodeObject(t, r.out)
	metrics := map[string]float64{}
	for _, k := range []string{"ndcg@10", "recall@10", "recall@100", "mrr@10", "p50_ms", "p99_ms"} {
		raw, ok := obj[k]
		if !ok {
			t.Fatalf("eval --json lacks %q:\n%s", k, r.out)
		}
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s is not a number: %s", k, raw)
		}
		metrics[k] = v
	}
	for _, k := range []string{"ndcg@10", "recall@10", "recall@100", "mrr@10"} {
		if v := metrics[k]; v < 0 || v > 1 {
			t.Errorf("%s = %v, want a value in [0, 1]", k, v)
		}
	}
	if metrics["ndcg@10"] <= 0.5 {
		t.Errorf("ndcg@10 = %v on queries that each name their document's topic, want > 0.5", metrics["ndcg@10"])
	}
	if metrics["p50_ms"] < 0 || metrics["p99_ms"] < metrics["p50_ms"] {
		t.Errorf("latencies p50 %v ms, p99 %v ms, want 0 <= p50 <= p99", metrics["p50_ms"], metrics["p99_ms"])
	}

	text := db.run(t, append([]string{"eval"}, b.flags()...)...)
	text.wantCode(t, cli.ExitOK)
	for _, want := range []string{"nDCG@10", "Recall@100", "MRR@10", "latency"} {
		if !strings.Contains(text.out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, text.out)
		}
	}
}

func TestEvalAtAnotherCutoff(t *testing.T) {
	t.Parallel()
	b := writeBEIR(t)
	db := newDB(t)
	r := db.run(t, append([]string{"eval", "--json", "--k", "3"}, b.flags()...)...)
	r.wantCode(t, cli.ExitOK)
	obj := decodeObject(t, r.out)
	for _, k := range []string{"ndcg@3", "recall@3", "ndcg@10"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("eval --k 3 --json lacks %q:\n%s", k, r.out)
		}
	}
}

// Without --db, eval works in a temporary store and removes it.
func TestEvalWithoutDatabaseCleansUp(t *testing.T) {
	// t.Setenv: not parallel.
	b := writeBEIR(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("LORE_DATABASE_URL", "")
	wd, _ := os.Getwd()
	r := run(t, append([]string{"eval", "--json"}, b.flags()...)...)
	r.wantCode(t, cli.ExitOK)
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("eval left %d entries in the temporary folder, first %s", len(entries), entries[0].Name())
	}
	if _, err := os.Stat(filepath.Join(wd, "lore.db")); err == nil {
		t.Errorf("eval created lore.db in the working directory")
	}
}

func TestEvalBadInput(t *testing.T) {
	t.Parallel()
	b := writeBEIR(t)
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	malformed := filepath.Join(t.TempDir(), "queries.jsonl")
	writeFile(t, malformed, []byte("{\"_id\": \"q1\", \"text\": \"fine\"}\nnot json\n"))
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	writeFile(t, empty, nil)
	headerOnly := filepath.Join(dir, "header.tsv")
	writeFile(t, headerOnly, []byte("query-id\tcorpus-id\tscore\n"))
	twoQueries := filepath.Join(dir, "two.jsonl")
	writeFile(t, twoQueries, []byte("{\"_id\": \"q1\", \"text\": \"plants and sunlight\"}\n{\"_id\": \"q2\", \"text\": \"volcanoes\"}\n"))
	blank := filepath.Join(dir, "blank.jsonl")
	writeFile(t, blank, []byte("{\"_id\": \"q1\", \"text\": \"plants\"}\n{\"_id\": \"q2\", \"text\": \"  \"}\n"))
	underFile := filepath.Join(b.queries, "queries.jsonl") // a file's "folder"
	loop := filepath.Join(t.TempDir(), "loop.jsonl")
	if err := os.Symlink(loop, loop); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"missing corpus", []string{"--corpus", missing, "--queries", b.queries, "--qrels", b.qrels}, "--corpus " + missing + ": no such file"},
		{"missing queries", []string{"--corpus", b.corpus, "--queries", missing, "--qrels", b.qrels}, "--queries " + missing + ": no such file"},
		{"missing qrels", []string{"--corpus", b.corpus, "--queries", b.queries, "--qrels", missing}, "--qrels " + missing + ": no such file"},
		{"queries under a file", []string{"--corpus", b.corpus, "--queries", underFile, "--qrels", b.qrels}, "--queries " + underFile + ": no such file"},
		{"empty queries", []string{"--corpus", b.corpus, "--queries", "", "--qrels", b.qrels}, "--queries is empty: name a file, such as queries.jsonl"},
		{"corpus is a link to itself", []string{"--corpus", loop, "--queries", b.queries, "--qrels", b.qrels}, "--corpus " + loop + ": "},
		{"corpus is a folder", []string{"--corpus", dir, "--queries", b.queries, "--qrels", b.qrels}, "--corpus " + dir + " is a folder: name the file in it, such as " + filepath.Join(dir, "corpus.jsonl")},
		{"qrels is a folder", []string{"--corpus", b.corpus, "--queries", b.queries, "--qrels", dir}, "--qrels " + dir + " is a folder"},
		{"k zero", append(b.flags(), "--k", "0"), "--k must be between 1 and 100"},
		{"k too large", append(b.flags(), "--k", "101"), "--k must be between 1 and 100"},
		{"k not a number", append(b.flags(), "--k", "ten"), "invalid argument"},
		{"malformed queries", []string{"--corpus", b.corpus, "--queries", malformed, "--qrels", b.qrels}, "malformed JSON"},
		{"no qrels flag", []string{"--corpus", b.corpus, "--queries", b.queries}, "qrels"},
		{"no queries", []string{"--corpus", b.corpus, "--queries", empty, "--qrels", b.qrels}, "holds no queries"},
		{"no judgements", []string{"--corpus", b.corpus, "--queries", b.queries, "--qrels", headerOnly}, "judges no document relevant"},
		{"judged query not asked", []string{"--corpus", b.corpus, "--queries", twoQueries, "--qrels", b.qrels}, "1 queries judged in"},
		{"query without text", []string{"--corpus", b.corpus, "--queries", blank, "--qrels", b.qrels}, `query "q2" has no text`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := newDB(t)
			r := db.run(t, append([]string{"eval"}, c.args...)...)
			r.wantCode(t, cli.ExitUsage)
			if !strings.Contains(r.err, c.msg) {
				t.Errorf("stderr does not say %q:\n%s", c.msg, r.err)
			}
			if strings.Contains(r.err, "stat ") || strings.Contains(r.err, "open ") {
				t.Errorf("stderr speaks the system's words:\n%s", r.err)
			}
			if _, err := os.Stat(db.path); err == nil {
				t.Errorf("bad input created the database")
			}
		})
	}
}

// A corpus that is not BEIR JSONL is bad input (exit 2), like the queries
// and judgements; only a store that fails is a failure (exit 1).
func TestEvalMalformedCorpus(t *testing.T) {
	t.Parallel()
	b := writeBEIR(t)
	b.corpus = filepath.Join(t.TempDir(), "corpus.jsonl")
	writeFile(t, b.corpus, []byte("{\"_id\": \"d1\", \"text\": \"fine\"}\n{\"text\": \"no id\"\n"))
	r := newDB(t).run(t, append([]string{"eval"}, b.flags()...)...)
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, b.corpus) {
		t.Errorf("stderr does not name the corpus file:\n%s", r.err)
	}
}
