package postgres

import (
	"fmt"
	"time"

	"github.com/lorehq/lore/store"
)

// rules are the input rules every backend applies, with NUL bytes refused:
// PostgreSQL's text type cannot hold them at all.
var rules = store.Rules{NoNUL: true}

// maxDimensions is the most dimensions pgvector's HNSW index takes for the
// vector type.
const maxDimensions = 2000

// tooManyDimensions refuses vectors the HNSW index cannot take; the other
// rules on vectors are store.CheckVector's.
func tooManyDimensions(dim int) error {
	if dim > maxDimensions {
		return fmt.Errorf("vector has %d dimensions, more than the %d an HNSW index takes", dim, maxDimensions)
	}
	return nil
}

// checkDocument validates a document and its chunks before any write and
// returns the chunks' common vector dimension (0 when there are no chunks).
// The rules are the SQLite store's, so that both refuse the same input,
// plus what PostgreSQL and pgvector cannot keep.
func checkDocument(doc store.Document, chunks []store.Chunk) (dim int, err error) {
	dim, err = rules.ValidateDocument(doc, chunks)
	if err != nil {
		return 0, err
	}
	if err := tooManyDimensions(dim); err != nil {
		return 0, store.Invalid("chunk 0: %v", err)
	}
	return dim, nil
}

// millis truncates t to the millisecond, the precision the SQLite store
// keeps, so that both backends compare and order times alike.
func millis(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// orNil turns an empty list read from the database into nil, so that a
// round trip of a nil slice is exact, as it is in the SQLite store.
func orNil(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

// orEmpty turns nil into an empty list: the columns are NOT NULL, and pgx
// sends a nil slice as NULL.
func orEmpty(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
