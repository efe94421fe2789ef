package postgres

import (
	"strings"
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

// The space is read in one statement; a dimension the store cannot have
// written is reported, not taken as none.
func TestReadSpace(t *testing.T) {
	s := openTest(t, Options{})
	ctx := t.Context()
	sp, err := s.EmbeddingSpace(ctx)
	if err != nil || sp != (store.EmbeddingSpace{}) {
		t.Fatalf("new store: %+v, %v; want an empty space", sp, err)
	}
	want := store.EmbeddingSpace{Embedder: "model-a", Dimensions: 8}
	if _, err := s.ClaimEmbeddingSpace(ctx, want); err != nil {
		t.Fatal(err)
	}
	if sp, err = s.EmbeddingSpace(ctx); err != nil || sp != want {
		t.Fatalf("after the claim: %+v, %v; want %+v", sp, err, want)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE meta SET value = 'eight' WHERE key = $1", dimensionKey); err != nil {
		t.Fatal(err)
	}
	if _, err = s.EmbeddingSpace(ctx); err == nil || !strings.Contains(err.Error(), `meta holds "eight"`) {
		t.Fatalf("corrupt dimension: %v; want an error naming it", err)
	}
}
