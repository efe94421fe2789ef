package postgres

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"

	"github.com/lorehq/lore/knowledge/analyze"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
	"github.com/lorehq/lore/store/storetest"
)

// clustered returns n vectors of dimension dim around 100 random centres,
// as embeddings of a knowledge base cluster by topic, plus a function that
// draws queries from the same distribution. The spread around a centre is
// larger than that of the centres, so clusters overlap and the nearest
// neighbours are not simply a query's own cluster (with tight clusters
// recall is a trivial 1.0).
func clustered(n, dim int, seed uint64) ([][]float32, func() []float32) {
	r := rand.New(rand.NewPCG(seed, 2))
	centres := make([][]float32, 100)
	for i := range centres {
		centres[i] = make([]float32, dim)
		for j := range centres[i] {
			centres[i][j] = float32(r.NormFloat64())
		}
	}
	draw := func() []float32 {
		c := centres[r.IntN(len(centres))]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(1.5*r.NormFloat64())
		}
		return v
	}
	vs := make([][]float32, n)
	for i := range vs {
		vs[i] = draw()
	}
	return vs, draw
}

// The HNSW search must find nearly what an exact scan finds, with the
// vectors in one graph or split among several.
func TestVectorRecall(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 5,000 vectors")
	}
	for _, parts := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("%d partitions", parts), func(t *testing.T) {
			t.Parallel()
			testVectorRecall(t, parts)
		})
	}
}

func testVectorRecall(t *testing.T, parts int) {
	const (
		n, dim, perDoc = 5000, 64, 250
		queries, k     = 100, 10
		minRecall      = 0.95
	)
	s := openTest(t, Options{IndexPartitions: parts})
	vs, draw := clustered(n, dim, 1)
	for d := 0; d*perDoc < n; d++ {
		chunks := make([]store.Chunk, perDoc)
		for i := range chunks {
			chunks[i] = store.Chunk{Ordinal: i, Text: "x", Terms: []string{"x"}, Vector: vs[d*perDoc+i]}
		}
		storetest.MustReplace(t, s, store.Document{ID: fmt.Sprintf("doc-%d", d), Collection: "c"}, chunks)
	}
	if _, err := s.pool.Exec(t.Context(), "ANALYZE chunks"); err != nil {
		t.Fatal(err)
	}

	exactQuery := fmt.Sprintf("SELECT id FROM chunks ORDER BY embedding::vector(%d) <=> $1 LIMIT %d", dim, k)
	var found int
	for range queries {
		q := draw()
		hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: q, Scope: store.Everything}, k)
		if err != nil {
			t.Fatal(err)
		}
		var exact []int64
		err = pgx.BeginFunc(t.Context(), s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(t.Context(), "SET LOCAL enable_indexscan = off"); err != nil {
				return err
			}
			rows, err := tx.Query(t.Context(), exactQuery, pgvector.NewVector(q))
			if err != nil {
				return err
			}
			exact, err = pgx.CollectRows(rows, pgx.RowTo[int64])
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]bool{}
		for _, id := range exact {
			want[id] = true
		}
		for _, h := range hits {
			if want[h.ChunkID] {
				found++
			}
		}
	}
	recall := float64(found) / float64(queries*k)
	t.Logf("recall@%d over %d queries on %d vectors of dimension %d: %.3f", k, queries, n, dim, recall)
	if recall < minRecall {
		t.Errorf("recall@%d = %.3f, want at least %.2f", k, recall, minRecall)
	}

	// ef_search follows k: an HNSW scan returns at most ef_search rows,
	// Options.SearchEf by default, and beyond what any HNSW scan returns the search
	// falls back to an exact scan.
	for _, k := range []int{150, 300, 600} {
		hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: draw(), Scope: store.Everything}, k)
		if err != nil || len(hits) != k {
			t.Errorf("vector search for %d: %d hits, %v", k, len(hits), err)
		}
	}

	// And it is each partition's index that answered, not a scan.
	if defs := hnswIndexes(t, s); len(defs) != parts {
		t.Errorf("vector indexes %v, want %d", defs, parts)
	}
	for r := range parts {
		plan := explain(t, s, fmt.Sprintf("SELECT c.id FROM chunks c WHERE vector_dims(embedding) = %[2]d%[4]s ORDER BY %[1]s <=> l2_normalize($1::vector(%[2]d))::halfvec(%[2]d) LIMIT %[3]d",
			indexedVector(dim), dim, k, partitionFilter(parts, r, "c.id")), pgvector.NewVector(draw()))
		if !strings.Contains(plan, partitionIndex(parts, r)+" ") {
			t.Errorf("vector search plan does not use %s:\n%s", partitionIndex(parts, r), plan)
		}
	}
}

func explain(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.pool.Query(t.Context(), "EXPLAIN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// A handbook whose passages share vocabulary, so that document
// frequencies, lengths and phrases all decide the ranking.
var handbook = []struct{ doc, heading, text string }{
	{"leave", "Annual leave", "Full-time employees receive 25 days of annual leave per year. Unused annual leave of up to five days may be carried over to the next year."},
	{"leave", "Parental leave", "Parents may take up to 26 weeks of parental leave on full pay, and a further 26 weeks unpaid. Tell your manager eight weeks before leave starts."},
	{"leave", "Sick leave", "Report sick leave to your manager before 10am on the first day. From the fourth day of sick leave a doctor's note is required."},
	{"leave", "Leave requests", "Request leave in the HR portal at least two weeks ahead. Your manager approves or declines leave requests within three working days."},
	{"expenses", "Claiming expenses", "Claim expenses in the finance portal within 30 days, with a receipt for every item over 10 euros."},
	{"expenses", "Travel", "Book travel through the travel desk. Economy class for flights under six hours; the company pays for business class on longer flights."},
	{"expenses", "Mileage", "Mileage for business travel by private car is paid at 0.30 euros per kilometre, claimed monthly with the route."},
	{"it", "Laptops", "Request a laptop from the IT desk. Laptops are replaced every three years or when repair costs exceed half their value."},
	{"it", "Passwords", "Reset your password on the self-service page. Passwords must be changed every 90 days and never shared, not even with the IT desk."},
	{"it", "Remote work", "Working remotely requires the VPN. The IT desk can help set up the VPN on a private computer only in exceptional cases."},
	{"pay", "Salary", "Salary is paid on the 25th of each month. The minimum wage applies to interns and working students as well."},
	{"pay", "Pension", "The company adds 5% of salary to your pension, and matches your own pension contributions up to a further 3% of salary."},
	{"pay", "Overtime", "Overtime is paid at 125% of the hourly wage or taken as time off in lieu, agreed with your manager in advance."},
}

var handbookQuestions = []string{
	"How many days of annual leave do I get?",
	"parental leave pay",
	"How do I request leave?",
	"what happens when I'm sick",
	"claim expenses receipt",
	"Can I fly business class?",
	"mileage private car",
	"When will my laptop be replaced?",
	"reset password",
	"VPN on my own computer",
	"minimum wage for interns",
	"pension contributions",
	"overtime hourly wage",
	"manager approval",
	"IT desk",
}

// loadHandbook stores the handbook in s with Lore's own analysis, one
// document per topic, in a fixed order so ids agree across stores.
func loadHandbook(t *testing.T, s store.Store) {
	t.Helper()
	byDoc := map[string][]store.Chunk{}
	var order []string
	for i, p := range handbook {
		if _, ok := byDoc[p.doc]; !ok {
			order = append(order, p.doc)
		}
		v := make([]float32, 8)
		v[i%8] = 1
		byDoc[p.doc] = append(byDoc[p.doc], store.Chunk{
			Ordinal: len(byDoc[p.doc]),
			Heading: p.heading,
			Text:    p.text,
			Terms:   analyze.Terms(p.heading + "\n" + p.text),
			Vector:  v,
		})
	}
	for _, id := range order {
		doc := store.Document{ID: id, Collection: "handbook", Source: id + ".md", Title: id}
		if err := s.ReplaceDocument(t.Context(), doc, byDoc[id]); err != nil {
			t.Fatal(err)
		}
	}
}

// Lexical search must rank as the SQLite store does: same BM25, same
// statistics, so the same passages in the same order with the same scores
// (to float32 precision, which the in-memory index computes in).
func TestLexicalMatchesSQLite(t *testing.T) {
	pg := openTest(t, Options{})
	lite, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	loadHandbook(t, pg)
	loadHandbook(t, lite)
	// A replacement and a deletion, so that the statistics have been
	// decremented as well as incremented.
	drop := store.Document{ID: "scratch", Collection: "handbook"}
	for _, s := range []store.Store{pg, lite} {
		chunk := store.Chunk{Text: "leave leave leave", Terms: analyze.Terms("leave leave leave manager"), Vector: []float32{1, 0, 0, 0, 0, 0, 0, 0}}
		if err := s.ReplaceDocument(t.Context(), drop, []store.Chunk{chunk}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteDocuments(t.Context(), []string{drop.ID}); err != nil {
			t.Fatal(err)
		}
	}

	label := func(s store.Store, hits []store.Hit) []string {
		ids := make([]int64, len(hits))
		for i, h := range hits {
			ids[i] = h.ChunkID
		}
		views, err := s.Chunks(t.Context(), ids)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]string, len(views))
		for i, v := range views {
			out[i] = fmt.Sprintf("%s/%d", v.DocID, v.Ordinal)
		}
		return out
	}
	for _, question := range handbookQuestions {
		q := store.LexicalQuery{Scope: store.Everything, Text: question, Terms: analyze.QueryTerms(question)}
		want, err := lite.SearchLexical(t.Context(), q, 5)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.SearchLexical(t.Context(), q, 5)
		if err != nil {
			t.Fatal(err)
		}
		gotLabels, wantLabels := label(pg, got), label(lite, want)
		if len(got) == 0 || len(want) == 0 || gotLabels[0] != wantLabels[0] {
			t.Errorf("%q: top hits %v, SQLite's %v", question, gotLabels, wantLabels)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%q: %d hits, SQLite %d", question, len(got), len(want))
			continue
		}
		for i := range got {
			if math.Abs(got[i].Score-want[i].Score) > 1e-5*math.Max(1, math.Abs(want[i].Score)) {
				t.Errorf("%q: hit %d (%s) scores %.6f, SQLite's (%s) %.6f", question, i, gotLabels[i], got[i].Score, wantLabels[i], want[i].Score)
			}
		}

		var terms []string
		terms = append(terms, q.Terms...)
		gotStats, err := pg.TermStats(t.Context(), terms)
		if err != nil {
			t.Fatal(err)
		}
		wantStats, err := lite.TermStats(t.Context(), terms)
		if err != nil {
			t.Fatal(err)
		}
		if gotStats.Chunks != wantStats.Chunks || fmt.Sprint(gotStats.DocFreq) != fmt.Sprint(wantStats.DocFreq) {
			t.Errorf("%q: term stats %+v, SQLite's %+v", question, gotStats, wantStats)
		}
	}
}

// A phrase lifts the chunk where its words stand together above one with
// the same words apart; phrases themselves have no document frequency, as
// in the SQLite store.
func TestPhraseBoostsAdjacentWords(t *testing.T) {
	s := openTest(t, Options{})
	apart := store.Chunk{Text: "wage minimum", Terms: []string{"wage", "minimum", "wage_minimum"}, Vector: storetest.UnitVector(8, 0)}
	together := store.Chunk{Ordinal: 1, Text: "minimum wage", Terms: []string{"minimum", "wage", "minimum_wage"}, Vector: storetest.UnitVector(8, 1)}
	other := store.Chunk{Ordinal: 2, Text: "other", Terms: []string{"other"}, Vector: storetest.UnitVector(8, 2)}
	storetest.MustReplace(t, s, store.Document{ID: "pay", Collection: "c"}, []store.Chunk{apart, together, other})

	search := func(terms ...string) []int64 {
		hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: terms}, 5)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, h := range hits {
			ids = append(ids, h.ChunkID)
		}
		return ids
	}
	if got := search("minimum", "wage"); fmt.Sprint(got) != "[1 2]" {
		t.Errorf("words alone rank %v, want a tie broken by age: [1 2]", got)
	}
	if got := search("minimum", "wage", "minimum_wage"); fmt.Sprint(got) != "[2 1]" {
		t.Errorf("words and phrase rank %v, want the adjacent words first: [2 1]", got)
	}
	if got := search("minimum_wage"); len(got) != 0 {
		t.Errorf("a phrase alone matched %v, want nothing (phrases only re-score word matches)", got)
	}
	st, err := s.TermStats(t.Context(), []string{"minimum_wage", "minimum"})
	if err != nil || st.DocFreq["minimum_wage"] != 0 || st.DocFreq["minimum"] != 2 {
		t.Errorf("term stats = %+v, %v; want minimum 2 and the phrase 0", st, err)
	}
}
