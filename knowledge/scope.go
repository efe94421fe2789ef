package knowledge

import (
	"context"
	"fmt"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// Scope is what reader may be answered from: every collection whose
// audience admits them where they ask (see package audience), further
// limited, when limit is not empty, to the collections a channel's
// settings allow. A collection without settings is open to everyone; one
// whose stored audience no longer parses is closed to everyone, since
// nobody can tell whom it was meant for.
func (s *Service) Scope(ctx context.Context, reader audience.Reader, limit []string) (store.Scope, error) {
	cs, err := s.store.ListCollections(ctx)
	if err != nil {
		return store.Scope{}, fmt.Errorf("collection audiences: %w", err)
	}
	scope := store.Scope{All: len(limit) == 0, Collections: limit}
	for _, c := range cs {
		a, err := audience.Parse(c.Audience)
		if err != nil || !a.Admits(reader) {
			scope.Except = append(scope.Except, c.Name)
		}
	}
	return scope, nil
}
