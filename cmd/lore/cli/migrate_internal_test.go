package cli

import (
	"testing"

	"github.com/lorehq/lore/store"
)

// One migration reads in the singular, and a range is given only when this
// process applied every migration in it.
func TestMigratedText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m    store.Migrated
		want string
	}{
		{store.Migrated{Version: 25}, "The database schema is up to date (version 25)."},
		{store.Migrated{Applied: []int{25}, Version: 25}, "Applied 1 migration (0025); the schema is now at version 25."},
		{store.Migrated{Applied: []int{24, 25}, Version: 25}, "Applied 2 migrations (0024 to 0025); the schema is now at version 25."},
		{store.Migrated{Applied: []int{3, 5}, Version: 5}, "Applied 2 migrations; the schema is now at version 5."},
	} {
		if got := migratedText(tc.m); got != tc.want {
			t.Errorf("migratedText(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}
