package sqlite

import "database/sql"

// WriteDB is the store's single write connection, for components that keep
// their tables in the same file, such as the job queue (store/queue). Two
// connections of one process writing the same file contend through
// SQLite's busy handler, which sleeps for milliseconds at a time; sharing
// this one makes writers queue in Go instead. It is nil for a read-only
// store.
func (s *Store) WriteDB() *sql.DB { return s.wdb }
