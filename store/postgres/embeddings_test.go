package postgres

import (
	"testing"

	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/storetest"
)

func TestEmbeddingsConformance(t *testing.T) {
	storetest.RunEmbeddings(t, func(t *testing.T) (store.Store, store.Store) {
		a := openTest(t, Options{})
		return a, openTest(t, Options{Schema: a.Schema()})
	})
}
