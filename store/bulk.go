package store

import "context"

// BulkLoader is implemented by stores that load many documents faster when
// they know a large load has begun and when it ends: store/postgres then
// stops maintaining its vector index during the load and builds it once at
// the end, which is much faster than inserting into it chunk by chunk.
type BulkLoader interface {
	// BeginBulkLoad starts a load. Only one load runs on a database at a
	// time; another waits for it.
	BeginBulkLoad(ctx context.Context) (BulkLoad, error)
}

// BulkLoad writes the documents of one large load.
type BulkLoad interface {
	// ReplaceDocument is Documents.ReplaceDocument within the load: each
	// document is stored whole, atomically, and is found by lexical search
	// at once; vector search may find it only after Finish.
	ReplaceDocument(ctx context.Context, doc Document, chunks []Chunk) error
	// Finish ends the load and leaves every index complete, including
	// after a load that failed part way. A load killed before Finish
	// leaves its documents whole; the store repairs its indexes when the
	// next load finishes. Calling Finish again does nothing.
	Finish(ctx context.Context) error
}
