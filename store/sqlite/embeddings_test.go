package sqlite

import (
	"testing"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

func TestEmbeddingsConformance(t *testing.T) {
	storetest.RunEmbeddings(t, func(t *testing.T) (store.Store, store.Store) {
		path := tempDB(t)
		return openTest(t, path, Options{}), openTest(t, path, Options{})
	})
}
