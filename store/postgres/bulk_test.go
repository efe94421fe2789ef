package postgres

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

func bulkDocs(t *testing.T, load store.BulkLoad, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		doc, chunks := storetest.Doc(fmt.Sprintf("d%04d", i), 5, 8)
		if err := load.ReplaceDocument(t.Context(), doc, chunks); err != nil {
			t.Fatal(err)
		}
	}
}

// A large bulk load drops the vector index and builds it in Finish; a
// small one into a large store keeps it. A load that ends without Finish
// (its process killed) leaves the index missing but every document whole
// and vector search answering; the next load's Finish builds it.
func TestBulkLoadDefersVectorIndex(t *testing.T) {
	s := openTest(t, Options{BulkDeferAt: 500})
	load, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, load, 0, 300) // 1,500 chunks: past BulkDeferAt
	if defs := hnswIndexes(t, s); len(defs) != 0 {
		t.Errorf("vector index during a large load: %v, want it deferred", defs)
	}
	if err := load.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if defs := hnswIndexes(t, s); len(defs) != defaultIndexPartitions {
		t.Fatalf("vector index after Finish: %v, want its %d partitions", defs, defaultIndexPartitions)
	}

	// 50 more chunks into 1,500 are less than a tenth: the index stays.
	small, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, small, 300, 310)
	if err := small.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if defs := hnswIndexes(t, s); len(defs) != defaultIndexPartitions {
		t.Fatalf("vector index after a small load: %v, want it kept", defs)
	}

	// A load abandoned part way, as by a killed process: its connection
	// goes, and with it the load's lock.
	killed := openTest(t, Options{Schema: s.schema, BulkDeferAt: 500})
	dead, err := killed.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, dead, 400, 700)
	conn := dead.(*BulkLoad).conn
	if err := conn.Conn().Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	if defs := hnswIndexes(t, s); len(defs) != 0 {
		t.Fatalf("vector index after an abandoned load: %v, want it still missing", defs)
	}
	var partial int
	if err := s.pool.QueryRow(t.Context(), `SELECT count(*) FROM (SELECT doc_id FROM chunks GROUP BY doc_id HAVING count(*) <> 5) p`).
		Scan(&partial); err != nil || partial != 0 {
		t.Fatalf("%d documents half written after an abandoned load (%v)", partial, err)
	}
	hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(8, 3), Scope: store.Everything}, 5)
	if err != nil || len(hits) != 5 || hits[0].Score < 0.99 {
		t.Errorf("vector search without the index = %v, %v; want exact answers", hits, err)
	}

	repair, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatalf("a new load after an abandoned one: %v", err)
	}
	if err := repair.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	if defs := hnswIndexes(t, s); len(defs) != defaultIndexPartitions {
		t.Fatalf("vector index after the next load: %v, want it rebuilt", defs)
	}
}

// A bulk load adds its transactions to the lexical index in the background,
// in order. Searches during the load see what is committed, a document
// written twice in one load keeps only its second version, and once Finish
// returns the index holds exactly the load.
func TestBulkLoadLexicalIndex(t *testing.T) {
	s := openTest(t, Options{})
	load, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, load, 0, 250) // 1,250 chunks: one transaction committed
	st, err := s.TermStats(t.Context(), []string{"common", "d0000"})
	if err != nil {
		t.Fatal(err)
	}
	if st.DocFreq["d0000"] != 5 || st.Chunks < 1000 {
		t.Errorf("during the load: %+v, want the first transaction's chunks", st)
	}
	doc, chunks := storetest.Doc("d0000", 2, 8) // d0000 again, shorter
	if err := load.ReplaceDocument(t.Context(), doc, chunks); err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, load, 250, 500)
	if err := load.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
	st, err = s.TermStats(t.Context(), []string{"common", "d0000", "d0499", "part4"})
	if err != nil {
		t.Fatal(err)
	}
	want := 499*5 + 2
	if st.Chunks != want || st.DocFreq["common"] != want || st.DocFreq["d0000"] != 2 || st.DocFreq["d0499"] != 5 || st.DocFreq["part4"] != 499 {
		t.Errorf("after Finish: %+v, want %d chunks, d0000's 2 newest, d0499's 5, part4 in 499", st, want)
	}
	hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"d0000"}}, 10)
	if err != nil || len(hits) != 2 {
		t.Errorf("search for the document written twice = %v, %v; want its 2 newest chunks", hits, err)
	}
}

// A load whose locking connection is killed, while the pool's others still
// work, stops at its next transaction instead of writing on without the
// lock that keeps other loads out.
func TestBulkLoadStopsWhenItsLockIsLost(t *testing.T) {
	s := openTest(t, Options{})
	load, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, load, 0, 250) // one transaction committed
	pid := load.(*BulkLoad).conn.Conn().PgConn().PID()
	var ended bool
	if err := s.pool.QueryRow(t.Context(), "SELECT pg_terminate_backend($1)", pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("terminate the load's connection: %v, %v", ended, err)
	}
	err = nil
	for i := 250; i < 500 && err == nil; i++ {
		doc, chunks := storetest.Doc(fmt.Sprintf("d%04d", i), 5, 8)
		err = load.ReplaceDocument(t.Context(), doc, chunks)
	}
	// As every caller does, the load is finished even after a failure:
	// that returns its connection.
	err = errors.Join(err, load.Finish(t.Context()))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("after losing its lock the load went on: %v, want store.ErrUnavailable", err)
	}
	var n int
	if err := s.pool.QueryRow(t.Context(), "SELECT count(*) FROM documents").Scan(&n); err != nil || n != 200 {
		t.Errorf("%d documents stored (%v), want the 200 of the transaction committed before the lock was lost", n, err)
	}
	// The lock is free: the next load runs.
	next, err := s.BeginBulkLoad(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bulkDocs(t, next, 250, 260)
	if err := next.Finish(t.Context()); err != nil {
		t.Fatal(err)
	}
}
