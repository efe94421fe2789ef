package engagement

import (
	"context"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// collectionSettings is what a Source may also offer: the settings of
// collections, whose audiences decide which documents a report names.
type collectionSettings interface {
	ListCollections(ctx context.Context) ([]store.Collection, error)
}

// unnamed marks the documents a report may count but not name: drafts,
// and documents of collections whose audience is not everyone. Reports
// (the digest, the dashboard, CSV exports) are read by leaders who need
// not be in a collection's audience, and may be posted in a channel, so
// they list only documents that anyone may be answered from; a restricted
// document's citations still count in the totals, under its collection as
// topic, but its title and tags are blanked. A Source without collection
// settings has no restricted collections.
func unnamed(ctx context.Context, src Source, docs []store.Document) (map[string]bool, error) {
	restricted := map[string]bool{}
	if cs, ok := src.(collectionSettings); ok {
		list, err := cs.ListCollections(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if a, err := audience.Parse(c.Audience); err != nil || !a.Everyone {
				restricted[c.Name] = true
			}
		}
	}
	hidden := map[string]bool{}
	for i, d := range docs {
		if d.Status == store.StatusDraft || restricted[d.Collection] {
			hidden[d.ID] = true
			docs[i].Title, docs[i].Tags = "", nil
		}
	}
	return hidden, nil
}
