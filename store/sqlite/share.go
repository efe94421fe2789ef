package sqlite

import (
	"context"
	"database/sql"
)

type stmtKey struct {
	db *sql.DB
	q  string
}

// prepared returns q prepared on db, preparing it once per store. SQLite
// compiles every statement it is given, and for the short statements of
// nudge delivery compiling costs more than running; database/sql keeps a
// prepared statement per connection and closes it with the pool.
func (s *Store) prepared(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	k := stmtKey{db, q}
	if st, ok := s.stmts.Load(k); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(k, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}
