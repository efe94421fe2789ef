package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. A malformed
// file name is a build mistake, caught by the package's tests.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []migration
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
		b, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// latestVersion is the schema version this build migrates to.
func latestVersion() (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if len(ms) == 0 {
		return 0, nil
	}
	return ms[len(ms)-1].version, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// schemaVersion returns the highest applied migration, 0 for a database
// without Lore's schema, and whether such a database already holds tables
// of some other program.
func schemaVersion(ctx context.Context, q queryer) (version int, foreign bool, err error) {
	var tables, hasMigrations int
	err = q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(name = 'schema_migrations'), 0)
		FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`).Scan(&tables, &hasMigrations)
	if err != nil {
		return 0, false, err
	}
	if hasMigrations == 0 {
		return 0, tables > 0, nil
	}
	err = q.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version)
	return version, false, err
}

// migrate applies the migrations the database lacks, each in its own
// immediate transaction that re-reads the version first, so that two
// processes opening a new file at once apply each migration exactly once.
func (s *Store) migrate(ctx context.Context) error {
	const op = "open store"
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, s.path, err)
	}
	if len(ms) == 0 {
		return fmt.Errorf("%s %s: no embedded migrations", op, s.path)
	}
	latest := ms[len(ms)-1].version

	// The common case, a current schema, costs one read and no write lock.
	v, foreign, err := schemaVersion(ctx, s.wdb)
	if err != nil {
		return s.fail(op, err)
	}
	if err := s.checkVersion(v, foreign, latest); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if v == latest {
		return nil
	}

	for _, m := range ms {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			v, foreign, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if err := s.checkVersion(v, foreign, latest); err != nil || v >= m.version {
				return err
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				applied_at INTEGER NOT NULL -- unix ms
			) STRICT`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
				m.version, s.opts.Clock().UnixMilli())
			return err
		})
		if err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

// checkVersion refuses databases this build must not write to.
func (s *Store) checkVersion(v int, foreign bool, latest int) error {
	switch {
	case foreign:
		// Adding Lore's tables to another program's database would
		// entangle the two; a wrong path is the likelier story.
		return fmt.Errorf("%s is %w: it holds tables but no Lore schema", s.path, ErrCorrupt)
	case v > latest:
		return fmt.Errorf("%s: %w (database version %d, this build knows up to %d); upgrade Lore",
			s.path, ErrSchemaTooNew, v, latest)
	}
	return nil
}

// checkSchemaReadOnly is the read-only counterpart of migrate: it cannot
// migrate, so anything but the current version is an error.
func (s *Store) checkSchemaReadOnly(ctx context.Context) error {
	latest, err := latestVersion()
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	v, foreign, err := schemaVersion(ctx, s.rdb)
	if err != nil {
		return s.fail("open store", err)
	}
	if err := s.checkVersion(v, foreign, latest); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if v < latest {
		return fmt.Errorf("open store: %s has schema version %d, this build needs %d; open it once read-write to migrate it",
			s.path, v, latest)
	}
	return nil
}

// inTx runs fn in a transaction on the write connection; the DSN makes it
// BEGIN IMMEDIATE, so the write lock is taken up front.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
