// Package eval measures retrieval quality the way published results are
// measured, so that Lore's numbers can be set beside them.
//
// It reads benchmark data in the BEIR layout (a JSONL corpus, JSONL
// queries and a TSV of relevance judgements, "qrels") and scores ranked
// results with the metrics BEIR reports through pytrec_eval: nDCG@10,
// Recall@k and MRR@10. Matching those definitions exactly matters more
// than any particular choice among them: a metric that differs in a
// detail (gain function, handling of unjudged queries) makes comparisons
// with the BEIR paper and MTEB meaningless.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// Doc is one corpus document.
type Doc struct {
	ID, Title, Text string
}

// Query is one benchmark question.
type Query struct {
	ID, Text string
}

// Qrels holds relevance judgements: query id, then document id, then
// relevance grade. A grade above zero means relevant; zero means judged
// not relevant.
type Qrels map[string]map[string]int

// maxLine bounds one JSONL line. Real corpora have abstracts of a few
// kilobytes; the bound only stops a file without newlines from being
// read into memory whole.
const maxLine = 64 << 20

// beirID accepts an id written as a JSON string or as a number: BEIR's
// own files use strings, but hand-made or converted files often do not,
// and both mean the same id.
type beirID string

func (id *beirID) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = beirID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("id must be a string or a number, got %s", b)
	}
	*id = beirID(n.String())
	return nil
}

// beirLine is the union of the corpus and query line formats; fields a
// format does not have stay empty, and unknown fields (BEIR's "metadata")
// are ignored.
type beirLine struct {
	ID    *beirID `json:"_id"`
	Title string  `json:"title"`
	Text  string  `json:"text"`
}

// LoadCorpus streams the documents of a BEIR corpus.jsonl to fn, in file
// order, so that corpora larger than memory can be indexed. A missing
// title reads as empty. Blank lines are skipped. A malformed line stops
// the load with an error naming the file and line; an error from fn stops
// it too and is returned as is.
func LoadCorpus(path string, fn func(Doc) error) error {
	return readJSONL(path, func(_ int, l beirLine) error {
		return fn(Doc{ID: string(*l.ID), Title: l.Title, Text: l.Text})
	})
}

// LoadQueries reads a BEIR queries.jsonl. Queries are few, so they are
// returned whole, in file order.
func LoadQueries(path string) ([]Query, error) {
	var qs []Query
	seen := make(map[string]int)
	err := readJSONL(path, func(line int, l beirLine) error {
		id := string(*l.ID)
		// A repeated id would silently drop one of the two questions
		// from any run keyed by id, so it is refused.
		if first, ok := seen[id]; ok {
			return fmt.Errorf("%s:%d: query %q already read at line %d", path, line, id, first)
		}
		seen[id] = line
		if strings.TrimSpace(l.Text) == "" {
			return fmt.Errorf("%s:%d: query %q has no text", path, line, id)
		}
		qs = append(qs, Query{ID: id, Text: l.Text})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return qs, nil
}

// readJSONL decodes each non-blank line of path into a beirLine with an
// id and hands it to fn with its line number.
func readJSONL(path string, fn func(line int, l beirLine) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		b := sc.Bytes()
		if n == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var l beirLine
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("%s:%d: malformed JSON: %w", path, n, err)
		}
		if l.ID == nil || *l.ID == "" {
			return fmt.Errorf("%s:%d: missing \"_id\"", path, n)
		}
		if err := fn(n, l); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than %d bytes", path, n+1, maxLine)
		}
		return fmt.Errorf("%s: after line %d: %w", path, n, err)
	}
	return nil
}

// LoadQrels reads a BEIR qrels TSV: a header line "query-id corpus-id
// score", then one judgement per line. Fields are tab-separated; lines
// without tabs are split on spaces, as TREC-style files are. CRLF line
// ends and blank lines are tolerated. Judging the same pair twice with
// different grades is an error, since either choice would change scores.
func LoadQrels(path string) (Qrels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readQrels(f, path)
}

func readQrels(r io.Reader, path string) (Qrels, error) {
	qrels := make(Qrels)
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		var fields []string
		if strings.Contains(line, "\t") {
			fields = strings.Split(line, "\t")
			for i := range fields {
				fields[i] = strings.TrimSpace(fields[i])
			}
		} else {
			fields = strings.Fields(line)
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%s:%d: want 3 fields (query-id, corpus-id, score), got %d", path, n, len(fields))
		}
		score, err := strconv.Atoi(fields[2])
		if err != nil {
			if n == 1 {
				continue // the header
			}
			return nil, fmt.Errorf("%s:%d: score %q is not an integer", path, n, fields[2])
		}
		q, d := fields[0], fields[1]
		if q == "" || d == "" {
			return nil, fmt.Errorf("%s:%d: empty query or corpus id", path, n)
		}
		judged := qrels[q]
		if judged == nil {
			judged = make(map[string]int)
			qrels[q] = judged
		}
		if prev, ok := judged[d]; ok && prev != score {
			return nil, fmt.Errorf("%s:%d: query %q, document %q judged %d here and %d earlier", path, n, q, d, score, prev)
		}
		judged[d] = score
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: after line %d: %w", path, n, err)
	}
	return qrels, nil
}

// Relevant reports how many documents are judged relevant (grade > 0)
// to query q.
func (qr Qrels) Relevant(q string) int {
	n := 0
	for _, rel := range qr[q] {
		if rel > 0 {
			n++
		}
	}
	return n
}
