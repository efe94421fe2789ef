package sqlite

import (
	"context"
	"fmt"

	"github.com/lorehq/lore/store"
)

var _ store.BulkLoader = (*Store)(nil)

// BeginBulkLoad starts a load that writes through ReplaceDocument: the
// in-memory index takes chunks one by one as fast as a bulk build would,
// so SQLite needs no separate path.
func (s *Store) BeginBulkLoad(context.Context) (store.BulkLoad, error) {
	return &plainLoad{s: s}, nil
}

type plainLoad struct {
	s        *Store
	finished bool
}

func (l *plainLoad) ReplaceDocument(ctx context.Context, doc store.Document, chunks []store.Chunk) error {
	if l.finished {
		return fmt.Errorf("replace document %s: the bulk load has finished", store.QuoteID(doc.ID))
	}
	return l.s.ReplaceDocument(ctx, doc, chunks)
}

func (l *plainLoad) Finish(context.Context) error {
	l.finished = true
	return nil
}
