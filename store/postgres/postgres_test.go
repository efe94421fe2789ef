package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

// The tests run against the PostgreSQL named by LORE_TEST_DATABASE_URL,
// each in a schema of its own that is dropped when it ends.
var (
	testURL    = storetest.PostgresURL
	withParams = storetest.WithParams
)

var (
	adminOnce sync.Once
	admin     *pgxpool.Pool
	adminErr  error
)

// adminPool is a pool outside any test schema, for creating and dropping
// schemas and for looking at what a Store did.
func adminPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	u := testURL(tb)
	adminOnce.Do(func() {
		admin, adminErr = pgxpool.New(context.Background(), withParams(u, map[string]string{"pool_max_conns": "4"}))
	})
	if adminErr != nil {
		tb.Fatalf("connect to %s: %v", storetest.PostgresURLEnv, adminErr)
	}
	return admin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if admin != nil {
		admin.Close()
	}
	os.Exit(code)
}

// openStores bounds how many test stores are open at once: the suite runs
// its cases in parallel, and each store's pool holds up to four
// connections, while a default server allows 100.
var openStores = make(chan struct{}, 8)

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newSchema names a fresh schema and drops it when the test ends; it does
// not create it, so that tests can watch Migrate do that.
func newSchema(tb testing.TB) string {
	tb.Helper()
	pool := adminPool(tb)
	name := randomName("lore_test_")
	tb.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// storeURL is the test database with settings that keep many parallel
// stores within the server's connection limit and make their connections
// easy to find.
func storeURL(tb testing.TB, appName string) string {
	return withParams(testURL(tb), map[string]string{"pool_max_conns": "4", "application_name": appName})
}

// openTest opens a migrated store in a fresh schema (or opts.Schema) and
// closes it when the test ends.
func openTest(tb testing.TB, opts Options) *Store {
	tb.Helper()
	adminPool(tb)
	openStores <- struct{}{}
	tb.Cleanup(func() { <-openStores })
	if opts.Schema == "" {
		opts.Schema = newSchema(tb)
	}
	opts.Migrate = true
	s, err := Open(tb.Context(), storeURL(tb, "lore-test"), opts)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, Options{}) })
}

func TestClockConformance(t *testing.T) {
	storetest.RunClock(t, func(t *testing.T, clock func() time.Time) store.Store {
		return openTest(t, Options{Clock: clock})
	})
}

// The embedded migrations must read: store.ReadMigrations refuses a
// malformed name and versions that do not run 1, 2, 3...
func TestMigrationsAreNumberedInOrder(t *testing.T) {
	if _, err := migrations(); err != nil {
		t.Fatal(err)
	}
}

// Two replicas starting at once on a fresh schema must both succeed, with
// each migration applied once.
func TestConcurrentMigrations(t *testing.T) {
	schema := newSchema(t)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	latest := ms.Latest()
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	stores := make([]*Store, replicas)
	for i := range replicas {
		wg.Go(func() {
			stores[i], errs[i] = Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: schema, Migrate: true})
		})
	}
	wg.Wait()
	applied := map[int]int{}
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
		m := stores[i].Migrated()
		if m.Version != latest {
			t.Errorf("replica %d left version %d, want %d", i, m.Version, latest)
		}
		for _, v := range m.Applied {
			applied[v]++
		}
	}
	// Each migration is reported by the one replica that applied it.
	for v := 1; v <= latest; v++ {
		if applied[v] != 1 {
			t.Errorf("migration %d reported applied by %d replicas, want 1", v, applied[v])
		}
	}
	var rows, maxVersion, tables int
	err = adminPool(t).QueryRow(t.Context(), fmt.Sprintf(`SELECT count(*), max(version),
		(SELECT count(*) FROM pg_tables WHERE schemaname = $1)
		FROM %s.schema_migrations`, pgx.Identifier{schema}.Sanitize()), schema).Scan(&rows, &maxVersion, &tables)
	if err != nil {
		t.Fatal(err)
	}
	if rows != latest || maxVersion != latest {
		t.Errorf("schema_migrations holds %d rows up to version %d, want %d once each", rows, maxVersion, latest)
	}
	// 0001 creates 8 tables besides schema_migrations, 0002 one more
	// (embeddings staging), 0003 two (claims, people), 0004 two
	// (sources, source pages), 0005 replaces the three lexical
	// statistics tables with the chunk deletion log, 0006 adds four
	// (statements, outbox, opt-outs, rollups), 0007 four (peer
	// profiles, requests, round configurations, rounds) and 0008 six
	// (track versions, enrolments, preferences, card states, deliveries,
	// answers), 0009 none (delivery threads), 0010 one (collections),
	// 0011 one (activity_days), 0012 none (event threads), 0013 none
	// (enrolment channels), 0014 one (review notices), 0015 two (audit
	// log, role grants), 0016 none (review leases), 0017 none (chunk
	// compression), 0018 one (rollup people), 0019 none (delivery claims),
	// 0020 none (when experts were asked), 0021 none (learners'
	// workspaces), 0022 none (a person's workspaces), 0023 none
	// (deliveries in doubt) and 0024 one (forwarded statement ids).
	if want := 33; tables != want {
		t.Errorf("schema holds %d tables, want %d", tables, want)
	}
}

// Chunks' terms and text are compressed with lz4 where the server has it,
// and stay readable: the compression is the bulk COPY's largest cost.
func TestChunkColumnsCompressWithLZ4(t *testing.T) {
	s := openTest(t, Options{})
	want := "l"
	if _, err := s.pool.Exec(t.Context(), "CREATE TEMP TABLE lz4_probe (x text COMPRESSION lz4)"); err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "0A000" {
			t.Fatalf("probe for lz4: %v", err)
		}
		want = "" // the server's default method, pglz
	}
	rows, err := s.pool.Query(t.Context(), `SELECT attname, attcompression::text FROM pg_attribute
		WHERE attrelid = 'chunks'::regclass AND attname IN ('terms', 'text') ORDER BY attname`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var name, method string
		if err := rows.Scan(&name, &method); err != nil {
			t.Fatal(err)
		}
		got[name] = method
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["terms"] != want || got["text"] != want {
		t.Fatalf("compression of chunks.terms and chunks.text: %q, want %q for both", got, want)
	}
	long := strings.Repeat("compressed words stay readable ", 200)
	doc := store.Document{ID: "lz4", Title: "Compressed", Source: "lz4.md", ContentHash: "h"}
	chunk := store.Chunk{Text: long, Terms: strings.Fields(long), Vector: []float32{1, 0, 0}}
	if err := s.ReplaceDocument(t.Context(), doc, []store.Chunk{chunk}); err != nil {
		t.Fatal(err)
	}
	var text string
	var terms int
	if err := s.pool.QueryRow(t.Context(), "SELECT text, cardinality(terms) FROM chunks WHERE doc_id = 'lz4'").Scan(&text, &terms); err != nil {
		t.Fatal(err)
	}
	if text != long || terms != len(chunk.Terms) {
		t.Fatalf("read back %d bytes and %d terms, want %d and %d", len(text), terms, len(long), len(chunk.Terms))
	}
}

func TestOpenWithoutMigrate(t *testing.T) {
	schema := newSchema(t)
	_, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: schema})
	if !errors.Is(err, ErrNeedsMigration) {
		t.Fatalf("open of a missing schema without Migrate: %v, want ErrNeedsMigration", err)
	}
	if _, err := adminPool(t).Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: schema})
	if !errors.Is(err, ErrNeedsMigration) {
		t.Fatalf("open of an empty schema without Migrate: %v, want ErrNeedsMigration", err)
	}
	s := openTest(t, Options{Schema: schema})
	_ = s.Close()
	s, err = Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: schema})
	if err != nil {
		t.Fatalf("open of a current schema without Migrate: %v", err)
	}
	_ = s.Close()
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s := openTest(t, Options{})
	if _, err := s.pool.Exec(t.Context(), "INSERT INTO schema_migrations (version, applied_at) VALUES (9999, now())"); err != nil {
		t.Fatal(err)
	}
	for _, migrate := range []bool{true, false} {
		_, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: s.schema, Migrate: migrate})
		if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
			t.Errorf("open (migrate %v) of a newer schema: %v, want ErrSchemaTooNew naming version 9999", migrate, err)
		}
	}
}

func TestOpenRefusesAnotherProgramsSchema(t *testing.T) {
	schema := newSchema(t)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := adminPool(t).Exec(t.Context(), "CREATE SCHEMA "+ident+"; CREATE TABLE "+ident+".users (id int)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: schema, Migrate: true})
	if !errors.Is(err, ErrForeignSchema) {
		t.Fatalf("open of a foreign schema: %v, want ErrForeignSchema", err)
	}
	var n int
	if err := adminPool(t).QueryRow(t.Context(), "SELECT count(*) FROM pg_tables WHERE schemaname = $1", schema).Scan(&n); err != nil || n != 1 {
		t.Errorf("schema holds %d tables (%v), want only the foreign one", n, err)
	}
}

func TestOpenRefusesBadOptions(t *testing.T) {
	u := storeURL(t, "lore-test")
	for name, opts := range map[string]Options{
		"negative dimensions": {Dimensions: -1},
		"long schema":         {Schema: strings.Repeat("s", 64)},
		"invalid schema":      {Schema: "bad\xff"},
		"negative bulk":       {BulkDeferAt: -1},
		"m too small":         {IndexM: 1},
		"ef below 2m":         {IndexM: 40, IndexEfConstruction: 60},
		"search ef too large": {SearchEf: 5000},
	} {
		if _, err := Open(t.Context(), u, opts); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", name, err)
		}
	}
	_, err := Open(t.Context(), "postgres://lore:secret-password@localhost:notaport/lore", Options{})
	if !errors.Is(err, store.ErrInvalidInput) || strings.Contains(err.Error(), "secret-password") {
		t.Errorf("open of a malformed URL: %v, want ErrInvalidInput without the password", err)
	}
}

// hnswIndexes returns the definitions of the vector indexes of s's schema.
func hnswIndexes(t *testing.T, s *Store) []string {
	t.Helper()
	// From pg_index rather than pg_indexes, which deparses every index of
	// the database before filtering, and fails on one that a test running
	// in parallel drops meanwhile.
	rows, err := adminPool(t).Query(t.Context(), `SELECT pg_get_indexdef(i.indexrelid)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_am am ON am.oid = c.relam WHERE n.nspname = $1 AND am.amname = 'hnsw' ORDER BY c.relname`, s.schema)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return defs
}

func TestHNSWIndexCreatedWithFirstVector(t *testing.T) {
	s := openTest(t, Options{})
	if defs := hnswIndexes(t, s); len(defs) != 0 {
		t.Fatalf("vector index before any vector: %v", defs)
	}
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, s, doc, chunks)
	defs := hnswIndexes(t, s)
	if len(defs) != defaultIndexPartitions {
		t.Fatalf("vector indexes after the first vector = %v, want %d partitions", defs, defaultIndexPartitions)
	}
	for r, def := range defs {
		if !strings.Contains(def, "vector(8)") || !strings.Contains(def, "halfvec_cosine_ops") ||
			!strings.Contains(def, "m='12'") || !strings.Contains(def, "ef_construction='64'") {
			t.Errorf("vector index %s, want an HNSW cosine index on vector(8) in half precision, m 12, ef_construction 64", def)
		}
		// The index covers the store's dimension only (a reindex to another
		// one rebuilds it), so the store refuses vectors of another
		// dimension before they reach the table; and one partition's ids.
		if want := fmt.Sprintf("WHERE ((vector_dims(embedding) = 8) AND ((id %% (%d)::bigint) = %d))", defaultIndexPartitions, r); !strings.Contains(def, want) {
			t.Errorf("vector index %s is not partial on the dimension and partition %d: want %s", def, r, want)
		}
	}
	other, otherChunks := storetest.Doc("b", 1, 3)
	if err := s.ReplaceDocument(t.Context(), other, otherChunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("a document with vectors of dimension 3: %v, want invalid input", err)
	}
}

func TestDimensions(t *testing.T) {
	s := openTest(t, Options{Dimensions: 8})
	doc, chunks := storetest.Doc("a", 2, 4)
	if err := s.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("dimension 4 into a store opened for 8: %v, want ErrInvalidInput", err)
	}
	doc, chunks = storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, s, doc, chunks)

	if _, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: s.schema, Dimensions: 16}); !errors.Is(err, store.ErrInvalidInput) ||
		!strings.Contains(err.Error(), "16") {
		t.Errorf("open for 16 of a database of 8: %v, want ErrInvalidInput", err)
	}
	other, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: s.schema})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if d := other.dim.Load(); d != 8 {
		t.Errorf("dimension taken from the database = %d, want 8", d)
	}
}

// Another process may write the first vector; a store that had no
// dimension yet must adopt it and refuse others.
func TestDimensionFixedByAnotherStore(t *testing.T) {
	a := openTest(t, Options{})
	b, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: a.schema})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, a, doc, chunks)

	doc, chunks = storetest.Doc("b", 2, 4)
	if err := b.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("dimension 4 after another store wrote 8: %v, want ErrInvalidInput", err)
	}
	if _, err := b.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(4, 0), Scope: store.Everything}, 3); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("query of dimension 4: %v, want ErrInvalidInput", err)
	}
	if d := b.dim.Load(); d != 8 {
		t.Errorf("b's dimension = %d, want 8 adopted from the database", d)
	}
}

// Two stores writing first vectors of different dimensions at once: one
// wins, the other is refused, and the index matches the winner.
func TestConcurrentFirstVectors(t *testing.T) {
	a := openTest(t, Options{})
	b, err := Open(t.Context(), storeURL(t, "lore-test"), Options{Schema: a.schema})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	var errA, errB error
	wg.Go(func() { d, c := storetest.Doc("a", 3, 8); errA = a.ReplaceDocument(t.Context(), d, c) })
	wg.Go(func() { d, c := storetest.Doc("b", 3, 4); errB = b.ReplaceDocument(t.Context(), d, c) })
	wg.Wait()
	if (errA == nil) == (errB == nil) {
		t.Fatalf("errors %v and %v: want exactly one write refused", errA, errB)
	}
	want := "vector(8)"
	if errA != nil {
		want = "vector(4)"
		if !errors.Is(errA, store.ErrInvalidInput) {
			t.Errorf("refused write: %v, want ErrInvalidInput", errA)
		}
	} else if !errors.Is(errB, store.ErrInvalidInput) {
		t.Errorf("refused write: %v, want ErrInvalidInput", errB)
	}
	defs := hnswIndexes(t, a)
	if len(defs) != defaultIndexPartitions {
		t.Errorf("vector indexes = %v, want %d partitions on %s", defs, defaultIndexPartitions, want)
	}
	for _, def := range defs {
		if !strings.Contains(def, want) {
			t.Errorf("vector index %s, want it on %s", def, want)
		}
	}
}

// Times keep milliseconds, like the SQLite store, and events of one
// millisecond list latest-recorded first.
func TestEventTimesAtMilliseconds(t *testing.T) {
	s := openTest(t, Options{})
	at := time.Date(2025, 6, 1, 12, 0, 0, 123_456_789, time.UTC)
	for _, id := range []string{"first", "second"} {
		if err := s.RecordEvent(t.Context(), store.Event{ID: id, Time: at, Kind: store.EventQuestion}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := s.Events(t.Context(), store.EventFilter{Since: at})
	if err != nil || len(events) != 2 {
		t.Fatalf("events since their own time = %+v, %v; want both", events, err)
	}
	if events[0].ID != "second" || !events[0].Time.Equal(at.Truncate(time.Millisecond)) {
		t.Errorf("events = %s at %v first; want second at %v", events[0].ID, events[0].Time, at.Truncate(time.Millisecond))
	}
}

// Many processes racing for one free lease: exactly one gets it.
func TestLockRace(t *testing.T) {
	s := openTest(t, Options{})
	const racers = 8
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		taken int
	)
	for i := range racers {
		wg.Go(func() {
			_, err := s.TryLock(t.Context(), "ingest", fmt.Sprintf("host-%d", i), time.Minute)
			switch {
			case err == nil:
				mu.Lock()
				taken++
				mu.Unlock()
			case !errors.Is(err, store.ErrLocked):
				t.Errorf("racer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if taken != 1 {
		t.Errorf("%d racers took the lock, want 1", taken)
	}
}

func TestInvalidInput(t *testing.T) {
	s := openTest(t, Options{})
	for _, c := range []struct {
		name, owner string
		ttl         time.Duration
	}{{"", "a", time.Minute}, {"x", "", time.Minute}, {"x", "a", 0}, {"x", "\xff", time.Minute}, {"x\x00", "a", time.Minute}} {
		if _, err := s.TryLock(t.Context(), c.name, c.owner, c.ttl); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("TryLock(%q, %q, %s) = %v, want ErrInvalidInput", c.name, c.owner, c.ttl, err)
		}
	}
	doc, chunks := storetest.Doc("a", 1, 8)
	chunks[0].Text = "nul \x00 byte"
	if err := s.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("chunk text with NUL: %v, want ErrInvalidInput", err)
	}
	if err := s.RecordEvent(t.Context(), store.Event{ID: "e", Kind: "question", Question: "\x00"}); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("event with NUL: %v, want ErrInvalidInput", err)
	}
	// Queries for what cannot be stored find nothing rather than fail.
	doc, chunks = storetest.Doc("b", 1, 8)
	storetest.MustReplace(t, s, doc, chunks)
	if hits, err := s.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"\xff", "b\x00"}}, 5); err != nil || len(hits) != 0 {
		t.Errorf("lexical search for unstorable terms = %v, %v; want nothing", hits, err)
	}
	if _, err := s.Document(t.Context(), "\xff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("document of an invalid id: %v, want ErrNotFound", err)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := openTest(t, Options{})
	_ = s.Close()
	ctx := t.Context()
	doc, chunks := storetest.Doc("a", 1, 8)
	errs := map[string]error{
		"replace": s.ReplaceDocument(ctx, doc, chunks),
		"ping":    s.Ping(ctx),
		"migrate": func() error { _, err := s.Migrate(ctx); return err }(),
		"events":  func() error { _, err := s.Events(ctx, store.EventFilter{}); return err }(),
		"lexical": func() error {
			_, err := s.SearchLexical(ctx, store.LexicalQuery{Scope: store.Everything, Terms: []string{"a"}}, 1)
			return err
		}(),
		"vector": func() error {
			_, err := s.SearchVector(ctx, store.VectorQuery{Vector: storetest.UnitVector(8, 0), Scope: store.Everything}, 1)
			return err
		}(),
		"lock": func() error { _, err := s.TryLock(ctx, "x", "y", time.Minute); return err }(),
	}
	for name, err := range errs {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s after close: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestUnreachableServerIsUnavailable(t *testing.T) {
	// Port 1 on the loopback refuses connections at once.
	_, err := Open(t.Context(), "postgres://lore@127.0.0.1:1/lore?connect_timeout=2", Options{})
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "127.0.0.1:1/lore") {
		t.Errorf("open of an unreachable server: %v, want ErrUnavailable naming it", err)
	}
}

// A server that drops the store's connections (a restart, a failover, an
// administrator) yields ErrUnavailable at worst, and the pool recovers on
// its own.
func TestTerminatedConnectionsRecover(t *testing.T) {
	app := randomName("lore-test-")
	schema := newSchema(t)
	s, err := Open(t.Context(), storeURL(t, app), Options{Schema: schema, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, s, doc, chunks)

	var killed int
	if err := adminPool(t).QueryRow(t.Context(),
		"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no connection of the store to terminate")
	}
	for attempt := 1; ; attempt++ {
		_, err := s.Stats(t.Context())
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("after the server dropped the connection: %v, want ErrUnavailable", err)
		}
		if attempt == 5 {
			t.Fatalf("still failing after %d attempts: %v", attempt, err)
		}
		t.Logf("attempt %d: %v", attempt, err)
	}
	if hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(8, 1), Scope: store.Everything}, 1); err != nil || len(hits) != 1 {
		t.Errorf("vector search after reconnecting = %v, %v", hits, err)
	}
}

// The lexical index of one store follows writes made through another (as
// by another replica), including replacements, deletions, a delete made
// outside Lore and a TRUNCATE, and counts exactly what a fresh load counts.
func TestLexicalIndexFollowsOtherWriters(t *testing.T) {
	reader := openTest(t, Options{})
	writer := openTest(t, Options{Schema: reader.schema})
	termStats := func(s *Store) store.TermStats {
		t.Helper()
		st, err := s.TermStats(t.Context(), []string{"b", "common", "part4", "gone", "b_common"})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	termStats(reader) // loads the reader's index before the writes
	for _, id := range []string{"a", "b", "c", "d"} {
		doc, chunks := storetest.Doc(id, 3, 8)
		storetest.MustReplace(t, writer, doc, chunks)
	}
	doc, chunks := storetest.Doc("b", 5, 8)
	storetest.MustReplace(t, writer, doc, chunks)
	storetest.MustReplace(t, writer, store.Document{ID: "c", Collection: "handbook"}, nil)
	if err := writer.DeleteDocuments(t.Context(), []string{"a", "a", "missing"}); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.pool.Exec(t.Context(), "DELETE FROM documents WHERE id = 'd'"); err != nil {
		t.Fatal(err)
	}
	want := store.TermStats{Chunks: 5, DocFreq: map[string]int{"b": 5, "common": 5, "part4": 1, "gone": 0, "b_common": 0}}
	fresh := openTest(t, Options{Schema: reader.schema})
	for name, s := range map[string]*Store{"caught up": reader, "written": writer, "fresh": fresh} {
		if st := termStats(s); st.Chunks != want.Chunks || fmt.Sprint(st.DocFreq) != fmt.Sprint(want.DocFreq) {
			t.Errorf("%s: term stats = %+v; want %+v", name, st, want)
		}
	}
	hits, err := reader.SearchLexical(t.Context(), store.LexicalQuery{Scope: store.Everything, Terms: []string{"part4"}}, 10)
	if err != nil || len(hits) != 1 || hits[0].DocID != "b" {
		t.Errorf("search for a chunk only the replacement has = %v, %v", hits, err)
	}

	if _, err := writer.pool.Exec(t.Context(), "TRUNCATE chunks CASCADE"); err != nil {
		t.Fatal(err)
	}
	doc, chunks = storetest.Doc("e", 2, 8)
	storetest.MustReplace(t, writer, doc, chunks)
	if st := termStats(reader); st.Chunks != 2 || st.DocFreq["common"] != 2 || st.DocFreq["b"] != 0 {
		t.Errorf("after TRUNCATE and a new document: %+v, want the new document's 2 chunks only", st)
	}
}

// A store whose first write finds the chunks table empty starts its
// lexical index with that write instead of reading everything back on the
// first search; one that finds chunks waits for a search to load them.
func TestLexicalIndexStartsWithFirstWriteToEmptyStore(t *testing.T) {
	first := openTest(t, Options{})
	loaded := func(s *Store) bool {
		s.lex.mu.Lock()
		defer s.lex.mu.Unlock()
		return s.lex.ix != nil
	}
	doc, chunks := storetest.Doc("a", 3, 8)
	storetest.MustReplace(t, first, doc, chunks)
	if !loaded(first) {
		t.Fatal("the first write to an empty store did not start the lexical index")
	}

	second := openTest(t, Options{Schema: first.schema})
	doc, chunks = storetest.Doc("b", 2, 8)
	storetest.MustReplace(t, second, doc, chunks)
	if loaded(second) {
		t.Error("a write to a store holding chunks started an index without them")
	}
	for name, s := range map[string]*Store{"first": first, "second": second} {
		st, err := s.TermStats(t.Context(), []string{"a", "b", "common"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Chunks != 5 || st.DocFreq["a"] != 3 || st.DocFreq["b"] != 2 || st.DocFreq["common"] != 5 {
			t.Errorf("%s: term stats %+v, want both documents' 5 chunks", name, st)
		}
	}
}

func TestChunksManyIDs(t *testing.T) {
	s := openTest(t, Options{})
	doc, chunks := storetest.Doc("big", 1200, 8)
	storetest.MustReplace(t, s, doc, chunks)
	views, err := s.Chunks(t.Context(), []int64{1200, 1, 600, 1, 99999})
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, v := range views {
		got = append(got, v.ID)
	}
	if fmt.Sprint(got) != "[1200 1 600 1]" {
		t.Errorf("chunk ids = %v, want [1200 1 600 1]", got)
	}
	if views[0].Ordinal != 1199 || views[0].Text != "big chunk 1199" || len(views[0].Vector) != 8 {
		t.Errorf("last chunk = %+v", views[0])
	}
}

// A database without pgvector: Open says so plainly, and Migrate enables
// the extension when the role may and no tenant schema is in use.
func TestDatabaseWithoutVector(t *testing.T) {
	pool := adminPool(t)
	db := randomName("lore_test_novec_")
	if _, err := pool.Exec(t.Context(), "CREATE DATABASE "+db+" TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := pool.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", db, err)
		}
	})
	cfg, err := pgx.ParseConfig(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable&pool_max_conns=2", cfg.User, cfg.Host, cfg.Port, db)
	if cfg.Password != "" {
		u = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable&pool_max_conns=2",
			url.PathEscape(cfg.User), url.PathEscape(cfg.Password), cfg.Host, cfg.Port, db)
	}

	for name, opts := range map[string]Options{
		"without migrate":      {},
		"with a tenant schema": {Schema: "tenant", Migrate: true},
	} {
		_, err := Open(t.Context(), u, opts)
		if !errors.Is(err, ErrNoVectorExtension) || !strings.Contains(err.Error(), "CREATE EXTENSION vector") {
			t.Errorf("open %s: %v, want ErrNoVectorExtension saying how to install it", name, err)
		}
	}
	s, err := Open(t.Context(), u, Options{Migrate: true})
	if err != nil {
		t.Fatalf("open with migrate as a role that may create the extension: %v", err)
	}
	defer s.Close()
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, s, doc, chunks)
	if hits, err := s.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(8, 1), Scope: store.Everything}, 1); err != nil || len(hits) != 1 {
		t.Errorf("vector search = %v, %v", hits, err)
	}
}

// A claim whose connection is cut while its statement waits in the
// server (a restart or a network fault between the two) fails, yet the
// server still writes it: an error from Claim does not say that the key
// is free. Here the claim's INSERT waits on a row lock another transaction
// holds; the connection is cut; the lock is released, and the claim is
// committed by a server that has not yet noticed its client is gone.
func TestCutClaimMayStillBeTaken(t *testing.T) {
	proxy := newCutProxy(t, testURL(t))
	app := randomName("lore-test-")
	schema := newSchema(t)
	u, err := url.Parse(storeURL(t, app))
	if err != nil {
		t.Fatal(err)
	}
	u.Host = proxy.addr
	s, err := Open(t.Context(), u.String(), Options{Schema: schema, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const key = "slack:event:Ev-cut-in-flight"
	claims := pgx.Identifier{schema, "claims"}.Sanitize()
	tx, err := adminPool(t).Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), "INSERT INTO "+claims+" (key, expires_at) VALUES ($1, $2)", key, time.UnixMilli(0).UTC()); err != nil {
		t.Fatal(err)
	}
	claimed := make(chan error, 1)
	go func() {
		_, err := s.Claim(t.Context(), key, time.Hour)
		claimed <- err
	}()
	// The claim's INSERT is in the server, waiting for the row lock.
	for waiting := false; !waiting; time.Sleep(10 * time.Millisecond) {
		if err := adminPool(t).QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO claims%')`, app).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	proxy.cut()
	if err := <-claimed; !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("claim whose connection was cut: %v, want ErrUnavailable", err)
	}
	if err := tx.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var held bool
		if err := adminPool(t).QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM "+claims+" WHERE key = $1)", key).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cut claim was never written: Claim's errors would then mean the key is free")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cutProxy forwards TCP connections to the test database until cut, when
// it closes them all and refuses more, as a network fault would.
type cutProxy struct {
	addr  string
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutProxy(t *testing.T, dbURL string) *cutProxy {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{addr: ln.Addr().String(), ln: ln}
	t.Cleanup(p.cut)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", u.Host)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(b, c); b.Close() }()
			go func() { _, _ = io.Copy(c, b); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
