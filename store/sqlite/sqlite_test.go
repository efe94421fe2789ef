package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, tempDB(t), Options{}) })
}

func TestClockConformance(t *testing.T) {
	storetest.RunClock(t, func(t *testing.T, clock func() time.Time) store.Store {
		return openTest(t, tempDB(t), Options{Clock: clock})
	})
}

func tempDB(t *testing.T) string { return filepath.Join(t.TempDir(), "lore.db") }

func openTest(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// rawDB opens the file directly, as another program or an older process
// would, bypassing everything Store does.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// marks returns how far s's index has loaded.
func marks(s *Store) (lastID, lastSeq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastChunkID, s.lastDeletionSeq
}

func dbMarks(t *testing.T, s *Store) (maxID, maxSeq int64) {
	t.Helper()
	if err := s.rdb.QueryRowContext(t.Context(), marksQuery).Scan(&maxID, &maxSeq); err != nil {
		t.Fatal(err)
	}
	return maxID, maxSeq
}

func TestParseURL(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"sqlite:lore.db", "lore.db", true},
		{"sqlite:/var/lib/lore/lore.db", "/var/lib/lore/lore.db", true},
		{"sqlite:///var/lib/lore/lore.db", "/var/lib/lore/lore.db", true},
		{"sqlite://data/lore.db", "data/lore.db", true},
		{"file:lore.db", "lore.db", true},
		{"file:///tmp/lore.db", "/tmp/lore.db", true},
		{"lore.db", "lore.db", true},
		{"./data/knowledge.sqlite", "./data/knowledge.sqlite", true},
		{"/abs/LORE.DB", "/abs/LORE.DB", true},
		{"sqlite:", "", false},
		{"postgres://lore@localhost/lore", "", false},
		{"postgres://host/lore.db", "", false},
		{"lore.txt", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := ParseURL(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseURL(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// The embedded migrations must read: store.ReadMigrations refuses a
// malformed name and versions that do not run 1, 2, 3...
func TestMigrationsAreNumberedInOrder(t *testing.T) {
	if _, err := migrations(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesOnce(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path, Options{})
	latest, _ := latestVersion()
	if m := s.Migrated(); len(m.Applied) != latest || m.Applied[0] != 1 || m.Applied[latest-1] != latest || m.Version != latest {
		t.Errorf("first open migrated %+v, want 1 to %d applied", m, latest)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, Options{})
	if m := s.Migrated(); len(m.Applied) != 0 || m.Version != latest {
		t.Errorf("second open migrated %+v, want none applied at version %d", m, latest)
	}
	var n, v int
	if err := s.rdb.QueryRow("SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if n != latest || v != latest {
		t.Errorf("schema_migrations holds %d rows up to version %d, want %d once each", n, v, latest)
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	s := openTest(t, tempDB(t), Options{BusyTimeout: 1234 * time.Millisecond})
	for name, db := range map[string]*sql.DB{"write": s.wdb, "read": s.rdb} {
		// Several connections at once, so the pool must open new ones.
		var conns []*sql.Conn
		for range 3 {
			if name == "write" && len(conns) == 1 {
				break
			}
			c, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			got := map[string]string{}
			for _, p := range []string{"journal_mode", "foreign_keys", "synchronous", "busy_timeout"} {
				var v string
				if err := c.QueryRowContext(t.Context(), "PRAGMA "+p).Scan(&v); err != nil {
					t.Fatal(err)
				}
				got[p] = v
			}
			want := map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "1234"}
			if !maps.Equal(got, want) {
				t.Errorf("%s connection %d: pragmas %v, want %v", name, i, got, want)
			}
			_ = c.Close()
		}
	}
}

func TestReadPoolRefusesWrites(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	if _, err := s.rdb.Exec("INSERT INTO meta (key, value) VALUES ('x', 'y')"); err == nil {
		t.Error("write through the read pool succeeded")
	}
}

// SQLite's "attempt to write a readonly database" and "unable to open
// database file" name neither the file nor what to check; a database, or
// a folder, this user may not write is the usual cause. (The tests run as
// root, whom file permissions do not stop: the read pool's query_only
// and a file in a folder that does not exist give the same codes.)
func TestPermissionErrorsSayWhatToCheck(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path, Options{})
	_, err := s.rdb.Exec("INSERT INTO meta (key, value) VALUES ('x', 'y')")
	if err == nil {
		t.Fatal("write through the read pool succeeded")
	}
	err = s.fail("record event", err)
	if msg := err.Error(); !strings.Contains(msg, "database "+path+" cannot be written") ||
		!strings.Contains(msg, "lore.db-wal") || !strings.Contains(msg, "write permission on the file and on its folder") {
		t.Errorf("read-only error %q does not name the file and what to check", msg)
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("read-only error %v is not store.ErrUnavailable", err)
	}

	missing := filepath.Join(t.TempDir(), "gone", "lore.db")
	db, err := sql.Open("sqlite", "file://"+missing)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Ping()
	if err == nil {
		t.Fatal("opened a file in a folder that does not exist")
	}
	err = (&Store{path: missing}).fail("open store", err)
	if msg := err.Error(); !strings.Contains(msg, "database "+missing+" cannot be opened") || !strings.Contains(msg, "create files in its folder") {
		t.Errorf("cannot-open error %q does not name the file and what to check", msg)
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("cannot-open error %v is not store.ErrUnavailable", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path, Options{})
	_ = s.Close()
	if _, err := rawDB(t, path).Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path, Options{})
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "9999") {
		t.Errorf("open of newer schema: %v, want ErrSchemaTooNew naming the file and version", err)
	}
	_, err = Open(t.Context(), path, Options{ReadOnly: true})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("read-only open of newer schema: %v, want ErrSchemaTooNew", err)
	}
}

func TestOpenRefusesAnotherProgramsDatabase(t *testing.T) {
	path := tempDB(t)
	raw := rawDB(t, path)
	if _, err := raw.Exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), path, Options{})
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open of a foreign database: %v, want ErrCorrupt", err)
	}
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM sqlite_master WHERE name = 'documents'").Scan(&n); err != nil || n != 0 {
		t.Errorf("Lore tables were added to a foreign database (%d, %v)", n, err)
	}
}

func TestDimensions(t *testing.T) {
	path := tempDB(t)
	s := openTest(t, path, Options{Dimensions: 8})
	doc, chunks := storetest.Doc("a", 2, 4)
	if err := s.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("dimension 4 into a store opened for 8: %v, want ErrInvalidInput", err)
	}
	doc, chunks = storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, s, doc, chunks)
	_ = s.Close()

	if _, err := Open(t.Context(), path, Options{Dimensions: 16}); !errors.Is(err, store.ErrInvalidInput) ||
		!strings.Contains(err.Error(), "16") {
		t.Errorf("open for 16 of a database of 8: %v, want ErrInvalidInput", err)
	}
	s = openTest(t, path, Options{})
	if s.dim != 8 {
		t.Errorf("dimension taken from the database = %d, want 8", s.dim)
	}
}

// Another process may write the first vector of a new database; a store
// that had no dimension yet must adopt it and refuse others.
func TestDimensionFixedByAnotherStore(t *testing.T) {
	path := tempDB(t)
	a := openTest(t, path, Options{})
	b := openTest(t, path, Options{})
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, a, doc, chunks)

	doc, chunks = storetest.Doc("b", 2, 4)
	if err := b.ReplaceDocument(t.Context(), doc, chunks); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("dimension 4 after another store wrote 8: %v, want ErrInvalidInput", err)
	}
	if _, err := b.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(4, 0), Scope: store.Everything}, 3); !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("query of dimension 4: %v, want ErrInvalidInput", err)
	}
	if b.dim != 8 {
		t.Errorf("b's dimension = %d, want 8 adopted from the database", b.dim)
	}
}

func TestInvalidLockArguments(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	for _, c := range []struct {
		name, owner string
		ttl         time.Duration
	}{{"", "a", time.Minute}, {"x", "", time.Minute}, {"x", "a", 0}, {"x", "\xff", time.Minute}} {
		if _, err := s.TryLock(t.Context(), c.name, c.owner, c.ttl); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("TryLock(%q, %q, %s) = %v, want ErrInvalidInput", c.name, c.owner, c.ttl, err)
		}
	}
}

func TestDeletesAreLoggedForOtherProcesses(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	doc, chunks := storetest.Doc("a", 3, 8)
	storetest.MustReplace(t, s, doc, chunks)
	storetest.MustReplace(t, s, doc, chunks[:1]) // replacing deletes 3
	if err := s.DeleteDocuments(t.Context(), []string{"a"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.rdb.QueryRow("SELECT count(*) FROM chunk_deletions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("chunk_deletions holds %d rows, want 4 (3 replaced, 1 cascaded)", n)
	}
	maxID, maxSeq := dbMarks(t, s)
	if lastID, lastSeq := marks(s); lastSeq != maxSeq || lastID < maxID || lastID != 4 {
		t.Errorf("index marks = %d, %d; want chunk 4 and deletion %d", lastID, lastSeq, maxSeq)
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	_ = s.Close()
	ctx := t.Context()
	doc, chunks := storetest.Doc("a", 1, 8)
	errs := map[string]error{
		"replace": s.ReplaceDocument(ctx, doc, chunks),
		"ping":    s.Ping(ctx),
		"events":  func() error { _, err := s.Events(ctx, store.EventFilter{}); return err }(),
		"search": func() error {
			_, err := s.SearchLexical(ctx, store.LexicalQuery{Scope: store.Everything, Terms: []string{"a"}}, 1)
			return err
		}(),
	}
	for name, err := range errs {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s after close: %v, want ErrUnavailable", name, err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	path := tempDB(t)
	if _, err := Open(t.Context(), path, Options{ReadOnly: true}); err == nil {
		t.Error("read-only open of a missing file succeeded")
	}
	w := openTest(t, path, Options{})
	doc, chunks := storetest.Doc("a", 2, 8)
	storetest.MustReplace(t, w, doc, chunks)

	r := openTest(t, path, Options{ReadOnly: true})
	if st, err := r.Stats(t.Context()); err != nil || st != (store.Stats{Documents: 1, Chunks: 2}) {
		t.Errorf("stats = %+v, %v", st, err)
	}
	for name, err := range map[string]error{
		"replace": r.ReplaceDocument(t.Context(), doc, chunks),
		"delete":  r.DeleteDocuments(t.Context(), []string{"a"}),
		"event":   r.RecordEvent(t.Context(), store.Event{ID: "e", Kind: store.EventQuestion}),
		"lock":    func() error { _, err := r.TryLock(t.Context(), "x", "y", time.Minute); return err }(),
	} {
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("%s on a read-only store: %v, want ErrReadOnly", name, err)
		}
	}
	// A read-only store still follows what writers do.
	doc, chunks = storetest.Doc("b", 3, 8)
	storetest.MustReplace(t, w, doc, chunks)
	if _, err := r.SearchVector(t.Context(), store.VectorQuery{Vector: storetest.UnitVector(8, 0), Scope: store.Everything}, 3); err != nil {
		t.Fatal(err)
	}
	if maxID, _ := dbMarks(t, r); func() int64 { id, _ := marks(r); return id }() != maxID {
		t.Errorf("read-only store did not catch up to chunk %d", maxID)
	}
}

func TestPingChecksTheFile(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Error("ping with a cancelled context succeeded")
	}
}

func TestChunksAcrossBatches(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	doc, chunks := storetest.Doc("big", maxParams+30, 8)
	storetest.MustReplace(t, s, doc, chunks)
	ids := make([]int64, len(chunks))
	for i := range ids {
		ids[i] = int64(len(chunks) - i) // reversed, across two batches
	}
	views, err := s.Chunks(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]int64, len(views))
	for i, v := range views {
		got[i] = v.ID
	}
	if !slices.Equal(got, ids) {
		t.Errorf("chunk order across batches differs from the ids asked")
	}
}
