package cli_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// latestMigration is the schema version a backend's embedded migrations
// ("sqlite", "postgres") bring a database to.
func latestMigration(t *testing.T, backend string) int {
	t.Helper()
	ms, err := store.ReadMigrations(os.DirFS("../../../store/"+backend), "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return ms.Latest()
}

// wantMigrateSays runs lore migrate with args and checks what it says it
// did: every migration on a new database, then that none was pending.
func wantMigrateSays(t *testing.T, backend string, args ...string) {
	t.Helper()
	latest := latestMigration(t, backend)
	for _, want := range []string{
		fmt.Sprintf("Applied %d migrations (0001 to %04d); the schema is now at version %d.\n", latest, latest, latest),
		fmt.Sprintf("The database schema is up to date (version %d).\n", latest),
	} {
		r := run(t, append([]string{"migrate"}, args...)...)
		r.wantCode(t, cli.ExitOK)
		if r.out != want {
			t.Errorf("lore migrate said %q, want %q", r.out, want)
		}
	}
}

func TestMigrateSaysWhatItApplied(t *testing.T) {
	wantMigrateSays(t, "sqlite", newDB(t).flag())
}
