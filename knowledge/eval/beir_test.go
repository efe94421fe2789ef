package eval

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func collect(t *testing.T, path string) ([]Doc, error) {
	t.Helper()
	var docs []Doc
	err := LoadCorpus(path, func(d Doc) error {
		docs = append(docs, d)
		return nil
	})
	return docs, err
}

func TestLoadCorpus(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "corpus.jsonl", "\ufeff"+`{"_id": "a", "title": "Alpha", "text": "first"}`+"\n"+
		`{"_id": "b", "text": "no title", "metadata": {"x": 1}}`+"\r\n"+
		"\n"+
		`{"_id": 42, "title": "", "text": "numeric id"}`) // no final newline
	docs, err := collect(t, p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{
		{ID: "a", Title: "Alpha", Text: "first"},
		{ID: "b", Title: "", Text: "no title"},
		{ID: "42", Title: "", Text: "numeric id"},
	}
	if !slices.Equal(docs, want) {
		t.Errorf("got %+v\nwant %+v", docs, want)
	}
}

func TestLoadCorpusErrorsNameTheLine(t *testing.T) {
	t.Parallel()
	good := `{"_id": "a", "text": "x"}` + "\n"
	tests := []struct {
		name, content, want string
	}{
		{"malformed JSON", good + "\n" + `{"_id": "b", "text": "unterminated}` + "\n", "corpus.jsonl:3: malformed JSON"},
		{"not an object", good + `["a"]` + "\n", "corpus.jsonl:2: malformed JSON"},
		{"missing id", good + good + `{"title": "t", "text": "x"}` + "\n", `corpus.jsonl:3: missing "_id"`},
		{"empty id", `{"_id": "", "text": "x"}` + "\n", `corpus.jsonl:1: missing "_id"`},
		{"bad id type", `{"_id": true, "text": "x"}` + "\n", "corpus.jsonl:1: malformed JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := collect(t, writeFile(t, "corpus.jsonl", tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadCorpusStopsOnCallbackError(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "corpus.jsonl", `{"_id": "a"}`+"\n"+`{"_id": "b"}`+"\n"+`{"_id": "c"}`+"\n")
	stop := errors.New("stop")
	calls := 0
	err := LoadCorpus(p, func(d Doc) error {
		calls++
		if d.ID == "b" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Errorf("err = %v after %d calls, want %v after 2", err, calls, stop)
	}
}

func TestLoadCorpusMissingFile(t *testing.T) {
	t.Parallel()
	err := LoadCorpus(filepath.Join(t.TempDir(), "none.jsonl"), func(Doc) error { return nil })
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

func TestLoadQueries(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "queries.jsonl", `{"_id": "1", "text": "why?"}`+"\n"+`{"_id": "2", "text": "how?", "metadata": {}}`+"\n")
	qs, err := LoadQueries(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Query{{"1", "why?"}, {"2", "how?"}}; !slices.Equal(qs, want) {
		t.Errorf("got %+v, want %+v", qs, want)
	}

	p = writeFile(t, "queries.jsonl", `{"_id": "1", "text": "a"}`+"\n\n"+`{"_id": "1", "text": "b"}`+"\n")
	if _, err := LoadQueries(p); err == nil || !strings.Contains(err.Error(), `queries.jsonl:3: query "1" already read at line 1`) {
		t.Errorf("repeated id: err = %v", err)
	}
	p = writeFile(t, "queries.jsonl", `{"_id": "1", "text": "a"`+"\n")
	if _, err := LoadQueries(p); err == nil || !strings.Contains(err.Error(), "queries.jsonl:1: malformed JSON") {
		t.Errorf("malformed: err = %v", err)
	}
}

func TestLoadQrels(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "qrels.tsv", "query-id\tcorpus-id\tscore\r\n"+
		"q1\td1\t1\r\n"+
		"q1\td2\t2\r\n"+
		"\r\n"+
		"q2\td1\t0\r\n"+
		"q3 d9 1\r\n"+ // space-separated, as in TREC files
		"q1\td1\t1\r\n") // the same judgement again is harmless
	got, err := LoadQrels(p)
	if err != nil {
		t.Fatal(err)
	}
	want := Qrels{"q1": {"d1": 1, "d2": 2}, "q2": {"d1": 0}, "q3": {"d9": 1}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for q, w := range want {
		if g := got[q]; len(g) != len(w) {
			t.Errorf("%s: got %v, want %v", q, g, w)
		} else {
			for d, rel := range w {
				if g[d] != rel {
					t.Errorf("%s/%s: got %d, want %d", q, d, g[d], rel)
				}
			}
		}
	}
	if got.Relevant("q1") != 2 || got.Relevant("q2") != 0 || got.Relevant("none") != 0 {
		t.Errorf("Relevant: q1 %d, q2 %d, none %d; want 2, 0, 0", got.Relevant("q1"), got.Relevant("q2"), got.Relevant("none"))
	}

	// A file without a header is read from its first line.
	p = writeFile(t, "qrels.tsv", "q1\td1\t1\n")
	if got, err := LoadQrels(p); err != nil || got["q1"]["d1"] != 1 {
		t.Errorf("headerless: got %v, %v", got, err)
	}
}

func TestLoadQrelsErrors(t *testing.T) {
	t.Parallel()
	const header = "query-id\tcorpus-id\tscore\n"
	tests := []struct {
		name, content, want string
	}{
		{"bad score", header + "q\td\t1\nq\te\thigh\n", `qrels.tsv:3: score "high" is not an integer`},
		{"too few fields", header + "q\td\n", "qrels.tsv:2: want 3 fields"},
		{"too many fields", header + "q\t0\td\t1\n", "qrels.tsv:2: want 3 fields"},
		{"empty id", header + "\td\t1\n", "qrels.tsv:2: empty query or corpus id"},
		{"conflict", header + "q\td\t1\nq\td\t2\n", `qrels.tsv:3: query "q", document "d" judged 2 here and 1 earlier`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := LoadQrels(writeFile(t, "qrels.tsv", tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// retrievalData returns the folder of a shared BEIR data set. The data
// lives beside the repository, not in it; CI always has it, so there its
// absence is a failure rather than a reason to skip.
func retrievalData(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "retrieval", name)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("retrieval data %s missing in CI: %v", dir, err)
		}
		t.Skipf("retrieval data %s not present (%v); it is expected at ../shared from the repository root", dir, err)
	}
	return dir
}

func TestSharedDatasets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir                    string
		queries, qrels         string
		docs, nQueries         int
		qrelQueries, qrelPairs int
		titled                 bool
	}{
		{"scifact", "queries-test.jsonl", "qrels-test.tsv", 5183, 300, 300, 339, true},
		{"scifact", "queries-train.jsonl", "qrels-train.tsv", 5183, 809, 809, 919, true},
		{"or-sharc-dev", "queries.jsonl", "qrels.tsv", 651, 250, 250, 273, false},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.qrels, func(t *testing.T) {
			t.Parallel()
			dir := retrievalData(t, tt.dir)

			ids := make(map[string]bool)
			titled := 0
			err := LoadCorpus(filepath.Join(dir, "corpus.jsonl"), func(d Doc) error {
				if ids[d.ID] {
					t.Errorf("document %q repeated", d.ID)
				}
				ids[d.ID] = true
				if d.Title != "" {
					titled++
				}
				if d.Text == "" && d.Title == "" {
					t.Errorf("document %q is empty", d.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tt.docs {
				t.Errorf("%d documents, want %d", len(ids), tt.docs)
			}
			if (titled > 0) != tt.titled {
				t.Errorf("%d documents have titles; want titles: %v", titled, tt.titled)
			}

			qs, err := LoadQueries(filepath.Join(dir, tt.queries))
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) != tt.nQueries {
				t.Errorf("%d queries, want %d", len(qs), tt.nQueries)
			}
			qids := make(map[string]bool, len(qs))
			for _, q := range qs {
				qids[q.ID] = true
			}

			qrels, err := LoadQrels(filepath.Join(dir, tt.qrels))
			if err != nil {
				t.Fatal(err)
			}
			pairs := 0
			for q, judged := range qrels {
				pairs += len(judged)
				if !qids[q] {
					t.Errorf("qrels query %q not among the queries", q)
				}
				for d := range judged {
					if !ids[d] {
						t.Errorf("qrels document %q (query %q) not in the corpus", d, q)
					}
				}
			}
			if len(qrels) != tt.qrelQueries || pairs != tt.qrelPairs {
				t.Errorf("qrels: %d queries, %d judgements; want %d, %d", len(qrels), pairs, tt.qrelQueries, tt.qrelPairs)
			}

			// A run that lists each query's relevant documents, best
			// first, is ideal by definition.
			run := make(map[string][]string, len(qrels))
			for q, judged := range qrels {
				var docs []string
				for d, rel := range judged {
					if rel > 0 {
						docs = append(docs, d)
					}
				}
				slices.SortFunc(docs, func(a, b string) int {
					return cmp.Or(cmp.Compare(judged[b], judged[a]), strings.Compare(a, b))
				})
				run[q] = docs
			}
			res := Evaluate(run, qrels)
			if !near(res.NDCG10, 1) || !near(res.MRR10, 1) || !near(res.Recall100, 1) {
				t.Errorf("perfect run: got %+v, want nDCG@10, MRR@10 and Recall@100 of 1", res)
			}
			if res.Queries != tt.qrelQueries {
				t.Errorf("perfect run scored %d queries, want %d", res.Queries, tt.qrelQueries)
			}

			// An empty run scores zero on every query but still counts them.
			if res := Evaluate(nil, qrels); res.NDCG10 != 0 || res.Queries != tt.qrelQueries {
				t.Errorf("empty run: got %+v", res)
			}
		})
	}
}
