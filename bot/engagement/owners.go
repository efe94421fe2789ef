package engagement

import (
	"context"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Searcher finds the passages closest to a question within a scope;
// knowledge.Service is one.
type Searcher interface {
	Search(ctx context.Context, query string, k int, scope store.Scope) ([]knowledge.Passage, error)
}

// OwnerDocuments is what suggesting an owner reads of the store: the
// documents' owners and the collections' audiences. Both stores are.
type OwnerDocuments interface {
	Document(ctx context.Context, id string) (store.Document, error)
	collectionSettings
}

// suggestFrom is how many passages are looked at for an owner.
const suggestFrom = 3

// OwnerSuggester returns an Options.SuggestOwner that names the owner of
// the closest document to a gap's question among the published documents
// of collections open to everyone. Reports are read by leaders who need
// not be in a collection's audience: the owner of a restricted document
// close to the question would tell them that the collection holds
// something on it, and whose it is. Any failure suggests nobody.
func OwnerSuggester(search Searcher, docs OwnerDocuments) func(ctx context.Context, question string) string {
	return func(ctx context.Context, question string) string {
		scope, err := openScope(ctx, docs)
		if err != nil {
			return ""
		}
		passages, err := search.Search(ctx, question, suggestFrom, scope)
		if err != nil {
			return ""
		}
		for _, p := range passages {
			d, err := docs.Document(ctx, p.DocID)
			// Checked again: the document may have moved since it was
			// indexed.
			if err != nil || d.Owner == "" || d.Status == store.StatusDraft || !scope.Admits(d.Collection) {
				continue
			}
			return d.Owner
		}
		return ""
	}
}

// openScope is every collection whose audience is everyone: a
// collection's settings restrict it, and one whose audience no longer
// parses is closed, as in retrieval.
func openScope(ctx context.Context, cs collectionSettings) (store.Scope, error) {
	list, err := cs.ListCollections(ctx)
	if err != nil {
		return store.Scope{}, err
	}
	scope := store.Scope{All: true}
	for _, c := range list {
		if a, err := audience.Parse(c.Audience); err != nil || !a.Everyone {
			scope.Except = append(scope.Except, c.Name)
		}
	}
	return scope, nil
}
