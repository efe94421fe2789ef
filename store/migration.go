package store

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one step of a backend's schema, read from a file named
// NNNN_description.sql. Backends embed theirs and apply them in version
// order, recording each version applied.
type Migration struct {
	Version int    // the file name's number, from 1
	Name    string // the file name
	SQL     string
}

// Migrations are a backend's migrations in version order, at least one.
type Migrations []Migration

// Migrated is what bringing a schema up to date did, for telling an
// operator.
type Migrated struct {
	// Applied are the versions of the migrations this process applied,
	// in order; none when the schema was current (or another process,
	// migrating at the same time, applied them).
	Applied []int
	// Version is the schema version afterwards.
	Version int
}

// Latest is the schema version the migrations bring a database to.
func (ms Migrations) Latest() int { return ms[len(ms)-1].Version }

// ReadMigrations reads the migrations in dir of fsys. Their versions must
// run 1, 2, 3... without a gap, so that a lost file cannot pass unnoticed:
// a name that does not start with a positive number and "_", a version
// held twice or missing, and a directory without migrations are errors.
// With embedded migrations these are build mistakes, which the backends'
// tests catch.
func ReadMigrations(fsys fs.FS, dir string) (Migrations, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms Migrations
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		prefix, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(prefix)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version and '_'", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s has version %d, want %d: versions must run 1, 2, 3...", m.Name, m.Version, i+1)
		}
	}
	return ms, nil
}
