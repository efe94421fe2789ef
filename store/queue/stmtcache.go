package queue

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"sync"

	msqlite "modernc.org/sqlite"
)

// River's SQLite driver sends the same few dozen statements thousands of
// times a second (fetching, completing and rescheduling jobs), and
// database/sql with modernc.org/sqlite compiles each one afresh: a profile
// of lore bench nudges spent over a quarter of its CPU in SQLite's parser.
// stmtCacheConnector opens connections that keep their prepared
// statements by query text instead.

// maxCachedStatements bounds one connection's cache; statements beyond it
// are prepared and closed as before.
const maxCachedStatements = 256

type stmtCacheConnector struct {
	dsn string
	drv driver.Driver
}

func newStmtCacheConnector(dsn string) driver.Connector {
	return stmtCacheConnector{dsn: dsn, drv: &msqlite.Driver{}}
}

func (c stmtCacheConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	for _, need := range []any{(*driver.ConnPrepareContext)(nil), (*driver.ConnBeginTx)(nil)} {
		if !reflect.TypeOf(conn).Implements(reflect.TypeOf(need).Elem()) {
			conn.Close()
			return nil, errors.New("queue: the SQLite driver's connections lack context-aware methods")
		}
	}
	return &cachingConn{inner: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.drv }

// cachingConn is a SQLite connection that reuses prepared statements.
// database/sql uses a connection from one goroutine at a time, but a
// statement's rows may still be open when the same query runs again (a
// query inside a loop over another's rows): such a run gets a statement
// of its own.
type cachingConn struct {
	inner driver.Conn
	mu    sync.Mutex // guards stmts against Close racing a release
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	st   driver.Stmt
	busy bool
}

var (
	_ driver.Conn               = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ExecerContext      = (*cachingConn)(nil)
	_ driver.QueryerContext     = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
)

// statement returns a prepared statement for query and the function that
// gives it back when its use ends.
func (c *cachingConn) statement(ctx context.Context, query string) (driver.Stmt, func(), error) {
	c.mu.Lock()
	cs, cached := c.stmts[query]
	if cached && !cs.busy {
		cs.busy = true
		c.mu.Unlock()
		return cs.st, func() { c.release(cs) }, nil
	}
	full := len(c.stmts) >= maxCachedStatements
	c.mu.Unlock()
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if cached || full {
		return st, func() { st.Close() }, nil
	}
	cs = &cachedStmt{st: st, busy: true}
	c.mu.Lock()
	c.stmts[query] = cs
	c.mu.Unlock()
	return st, func() { c.release(cs) }, nil
}

func (c *cachingConn) release(cs *cachedStmt) {
	c.mu.Lock()
	cs.busy = false
	c.mu.Unlock()
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	defer release()
	return st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, release, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		release()
		return nil, err
	}
	return &releasingRows{Rows: rows, release: release}, nil
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext prepares a statement of the caller's own, closed by the
// caller, outside the cache.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *cachingConn) Close() error {
	c.mu.Lock()
	var errs []error
	for q, cs := range c.stmts {
		errs = append(errs, cs.st.Close())
		delete(c.stmts, q)
	}
	c.mu.Unlock()
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

// releasingRows gives its statement back to the cache when closed. It
// passes on the column type information of the driver's rows, which
// database/sql reads for Rows.ColumnTypes.
type releasingRows struct {
	driver.Rows
	release func()
	once    sync.Once
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}

func (r *releasingRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *releasingRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *releasingRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
