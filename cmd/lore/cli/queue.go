package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/postgres"
	"github.com/lorehq/lore/store/queue"
	"github.com/lorehq/lore/store/sqlite"
)

// jobQueue is a River client on the same database as the store, and what
// closes what it opened.
type jobQueue struct {
	queue.Client
	close func() error
	// depth counts jobs by state, for /metrics.
	depth web.QueueDepth
}

// openQueue returns a River client for st's database. With cfg.Workers
// nil it only inserts jobs. On SQLite River's tables are created in the
// database file as needed; on PostgreSQL they come with 'lore migrate' or
// --migrate, like Lore's own.
func (a *app) openQueue(ctx context.Context, st store.Store, cfg queue.Config) (*jobQueue, error) {
	if cfg.Logger == nil {
		cfg.Logger = a.log
	}
	switch s := st.(type) {
	case *postgres.Store:
		cfg.Schema = s.Schema()
		c, err := queue.New(s.Pool(), cfg)
		if err != nil {
			return nil, err
		}
		table := pgx.Identifier{s.Schema(), "river_job"}.Sanitize()
		depth := func(ctx context.Context) ([]web.JobCount, error) {
			rows, err := s.Pool().Query(ctx, "SELECT kind, state::text, count(*) FROM "+table+" GROUP BY kind, state")
			if err != nil {
				return nil, err
			}
			return collectDepth(rows.Next, rows.Scan, rows.Err, rows.Close)
		}
		return &jobQueue{Client: c, close: func() error { return nil }, depth: depth}, nil
	case *sqlite.Store:
		path, ok := sqlite.ParseURL(a.databaseURL())
		if !ok {
			return nil, errors.New("job queue: the database is not a SQLite file")
		}
		db, err := queue.OpenSQLite(path)
		if err != nil {
			return nil, err
		}
		if err := queue.MigrateSQLite(ctx, db); err != nil {
			db.Close()
			return nil, err
		}
		c, err := queue.NewSQLite(db, cfg)
		if err != nil {
			db.Close()
			return nil, err
		}
		depth := func(ctx context.Context) ([]web.JobCount, error) {
			rows, err := db.QueryContext(ctx, "SELECT kind, state, count(*) FROM river_job GROUP BY kind, state")
			if err != nil {
				return nil, err
			}
			return collectDepth(rows.Next, rows.Scan, rows.Err, func() { rows.Close() })
		}
		return &jobQueue{Client: c, close: db.Close, depth: depth}, nil
	}
	return nil, fmt.Errorf("job queue: no queue for a %T store", st)
}

// queueStartError explains the usual reason a River client does not start
// on PostgreSQL: its tables are missing.
func queueStartError(err error) error {
	if strings.Contains(err.Error(), "river_") || strings.Contains(err.Error(), "does not exist") {
		return fmt.Errorf("start job queue: %w\nRun 'lore migrate' (or pass --migrate) to create the job queue's tables.", err)
	}
	return fmt.Errorf("start job queue: %w", err)
}

// replicaID names this process in the ingest lock and River's tables.
func replicaID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%d", host, os.Getpid(), time.Now().Unix())
}

// collectDepth reads (kind, state, count) rows from either driver.
func collectDepth(next func() bool, scan func(...any) error, rowsErr func() error, closeRows func()) ([]web.JobCount, error) {
	defer closeRows()
	var out []web.JobCount
	for next() {
		var c web.JobCount
		if err := scan(&c.Kind, &c.State, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rowsErr()
}
