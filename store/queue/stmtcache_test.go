package queue

import (
	"path/filepath"
	"testing"
)

// The caching connection gives the same answers as a plain one, including
// a query run again while its own rows are still being read, and inside
// transactions.
func TestStatementCache(t *testing.T) {
	db, err := OpenSQLite(filepath.Join(t.TempDir(), "queue.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"ada", "bo", "cy"} {
		if _, err := db.ExecContext(ctx, "INSERT INTO t (id, name) VALUES (?, ?)", i+1, name); err != nil {
			t.Fatal(err)
		}
	}
	const byID = "SELECT name FROM t WHERE id >= ? ORDER BY id"
	// In one transaction, so on one connection: the queue's database has
	// a single connection, and a second query outside the transaction
	// would wait for the first's rows.
	read, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := read.QueryContext(ctx, byID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var name string
		if err := outer.Scan(&name); err != nil {
			t.Fatal(err)
		}
		var last string
		if err := read.QueryRowContext(ctx, "SELECT name FROM t WHERE id >= ? ORDER BY id DESC LIMIT 1", 1).Scan(&last); err != nil {
			t.Fatal(err)
		}
		// The same statement again while the outer rows are open.
		inner, err := read.QueryContext(ctx, byID, 3)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		inner.Close()
		got = append(got, name+"/"+last)
		if n != 1 {
			t.Fatalf("inner query saw %d rows, want 1", n)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if err := read.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "ada/cy" || got[2] != "cy/cy" {
		t.Fatalf("rows = %q", got)
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO t (id, name) VALUES (?, ?)", 4, "dee"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count after a rolled back insert = %d, %v", n, err)
	}
	// A statement that fails to prepare is reported, and the connection
	// stays usable.
	if _, err := db.ExecContext(ctx, "INSERT INTO nope VALUES (1)"); err == nil {
		t.Fatal("a statement on a missing table succeeded")
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 3 {
		t.Fatalf("count after an error = %d, %v", n, err)
	}
}
