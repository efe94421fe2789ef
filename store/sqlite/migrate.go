package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/lorehq/lore/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in version order. A malformed
// name or a gap in the versions is a build mistake, caught by the
// package's tests.
func migrations() (store.Migrations, error) {
	return store.ReadMigrations(migrationFiles, "migrations")
}

// latestVersion is the schema version this build migrates to.
func latestVersion() (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	return ms.Latest(), nil
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
// It returns the migrations it applied and the version it left.
func (s *Store) migrate(ctx context.Context) (store.Migrated, error) {
	const op = "open store"
	ms, err := migrations()
	if err != nil {
		return store.Migrated{}, fmt.Errorf("%s %s: %w", op, s.path, err)
	}
	latest := ms.Latest()

	// The common case, a current schema, costs one read and no write lock.
	v, foreign, err := schemaVersion(ctx, s.wdb)
	if err != nil {
		return store.Migrated{}, s.fail(op, err)
	}
	if err := s.checkVersion(v, foreign, latest); err != nil {
		return store.Migrated{}, fmt.Errorf("%s: %w", op, err)
	}
	if v == latest {
		return store.Migrated{Version: v}, nil
	}

	var done store.Migrated
	for _, m := range ms {
		applied := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			v, foreign, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if err := s.checkVersion(v, foreign, latest); err != nil || v >= m.Version {
				return err
			}
			applied = true
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    INTEGER PRIMARY KEY,
				applied_at INTEGER NOT NULL -- unix ms
			) STRICT`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
				m.Version, s.opts.Clock().UnixMilli())
			return err
		})
		if err != nil {
			return store.Migrated{}, s.fail(op, err)
		}
		if applied {
			done.Applied = append(done.Applied, m.Version)
		}
	}
	done.Version = latest
	return done, nil
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
