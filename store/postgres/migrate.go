package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

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

// queryer is what both a pool and a transaction offer for reads.
type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// schemaVersion returns the highest applied migration of the current
// schema, 0 when it holds no Lore schema, and whether it then holds tables
// of some other program.
func schemaVersion(ctx context.Context, q queryer) (version int, foreign bool, err error) {
	var tables int
	var hasMigrations bool
	err = q.QueryRow(ctx, `SELECT count(*), coalesce(bool_or(relname = 'schema_migrations'), false)
		FROM pg_class
		WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
		  AND relkind IN ('r', 'p', 'v', 'm', 'f')`).Scan(&tables, &hasMigrations)
	if err != nil {
		return 0, false, fmt.Errorf("read schema version: %w", err)
	}
	if !hasMigrations {
		return 0, tables > 0, nil
	}
	if err := q.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version); err != nil {
		return 0, false, fmt.Errorf("read schema version: %w", err)
	}
	return version, false, nil
}

// checkVersion refuses schemas this build must not write to.
func (s *Store) checkVersion(schema string, v int, foreign bool, latest int) error {
	switch {
	case foreign:
		// Adding Lore's tables next to another program's would entangle
		// the two; a wrong URL or schema is the likelier story.
		return fmt.Errorf("%s schema %q: %w and no Lore schema; choose another schema (Options.Schema)",
			s.where, schema, ErrForeignSchema)
	case v > latest:
		return fmt.Errorf("%s schema %q: %w (database version %d, this build knows up to %d); upgrade Lore",
			s.where, schema, ErrSchemaTooNew, v, latest)
	}
	return nil
}

// checkSchema is what Open does instead of migrating: anything but the
// current version is an error.
func (s *Store) checkSchema(ctx context.Context) error {
	const op = "open store"
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	latest := ms.Latest()
	v, foreign, err := schemaVersion(ctx, s.pool)
	if err != nil {
		return s.fail(op, err)
	}
	if err := s.checkVersion(s.schema, v, foreign, latest); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if v < latest {
		return fmt.Errorf("%s: %s schema %q has version %d, this build needs %d: %w",
			op, s.where, s.schema, v, latest, ErrNeedsMigration)
	}
	return nil
}

// Migrate brings the schema up to this build's version, creating the
// schema named by Options.Schema if it does not exist. It is safe to run
// from several processes at once: they queue on an advisory lock held for
// the migration's transaction, and each re-reads the version under it, so
// every migration is applied exactly once. All pending migrations apply in
// one transaction, so a failure leaves the schema as it was. It returns
// the migrations it applied and the version it left.
//
// It runs on a connection of its own, outside the pool, because the pool's
// connections need the vector type, which a first migration may be the one
// to make available.
func (s *Store) Migrate(ctx context.Context) (store.Migrated, error) {
	const op = "migrate store"
	if err := s.usable(op); err != nil {
		return store.Migrated{}, err
	}
	ms, err := migrations()
	if err != nil {
		return store.Migrated{}, fmt.Errorf("%s: %w", op, err)
	}
	latest := ms.Latest()

	conn, err := pgx.ConnectConfig(ctx, s.cfg.ConnConfig.Copy())
	if err != nil {
		return store.Migrated{}, s.fail(op, err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()

	var done store.Migrated
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		schema := s.opts.Schema
		if schema == "" {
			var cur *string
			if err := tx.QueryRow(ctx, "SELECT current_schema()").Scan(&cur); err != nil {
				return err
			}
			if cur == nil {
				return fmt.Errorf("%s: no schema on the search path exists", s.where)
			}
			schema = *cur
		}
		// Keyed by the schema's name, not its oid, so that two processes
		// creating the same new schema queue too.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("migrate", schema)); err != nil {
			return err
		}
		if s.opts.Schema != "" {
			// Created only when missing: CREATE SCHEMA IF NOT EXISTS
			// needs the CREATE privilege on the database even when the
			// schema exists, which a role given a schema may lack.
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
					return fmt.Errorf("create schema %q: %w", schema, err)
				}
			}
		}
		if err := s.ensureVector(ctx, tx); err != nil {
			return err
		}
		v, foreign, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		done.Version = v
		if err := s.checkVersion(schema, v, foreign, latest); err != nil || v == latest {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			applied_at timestamptz NOT NULL
		)`); err != nil {
			return err
		}
		for _, m := range ms {
			if m.Version <= v {
				continue
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
				m.Version, s.opts.Clock()); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
			done.Applied = append(done.Applied, m.Version)
			done.Version = m.Version
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrSchemaTooNew) || errors.Is(err, ErrForeignSchema) || errors.Is(err, ErrNoVectorExtension) {
			return store.Migrated{}, fmt.Errorf("%s: %w", op, err)
		}
		return store.Migrated{}, s.fail(op, err)
	}
	return done, nil
}

// ensureVector makes sure the vector type resolves on the search path. A
// database without the extension gets it if this role may create it and
// no tenant schema is in use (the extension would land in that schema,
// out of other tenants' sight).
func (s *Store) ensureVector(ctx context.Context, tx pgx.Tx) error {
	var visible, installed bool
	if err := tx.QueryRow(ctx, `SELECT to_regtype('vector') IS NOT NULL,
		EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')`).Scan(&visible, &installed); err != nil {
		return err
	}
	switch {
	case visible:
		return nil
	case installed:
		return fmt.Errorf("%w: the extension is installed in a schema that is not on the search path; add that schema to search_path in the database URL",
			ErrNoVectorExtension)
	case s.opts.Schema != "":
		return fmt.Errorf("%w in %s: run CREATE EXTENSION vector in the database as its owner (see deploy/postgres/README.md)",
			ErrNoVectorExtension, s.where)
	}
	// A savepoint, so that a refusal leaves the transaction usable for
	// reporting.
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := sp.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector"); err != nil {
		_ = sp.Rollback(ctx)
		return fmt.Errorf("%w in %s and this role cannot create it (%v): run CREATE EXTENSION vector as the database owner (see deploy/postgres/README.md)",
			ErrNoVectorExtension, s.where, err)
	}
	return sp.Commit(ctx)
}
