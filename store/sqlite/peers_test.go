package sqlite

import (
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

// TestAskedAtMigration: requests sent before asked_at existed are taken to
// have been asked when they were made; suggestions stay unasked.
func TestAskedAtMigration(t *testing.T) {
	s := openTest(t, tempDB(t), Options{})
	ctx := t.Context()
	made := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	for _, r := range []store.PeerRequest{
		{ID: "sent", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "ben", Status: store.RequestPending, CreatedAt: made},
		{ID: "shown", Platform: "slack", Workspace: "T1", Asker: "cy", Expert: "ben", Status: store.RequestSuggested, CreatedAt: made},
	} {
		if err := s.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// The table and records as the previous version left them.
	for _, q := range []string{
		"DROP INDEX peer_requests_expert_asked",
		"ALTER TABLE peer_requests DROP COLUMN asked_at",
		"UPDATE peer_requests SET data = json_remove(data, '$.AskedAt')",
		migrationSQL(t, "peer_asked_at"),
	} {
		if _, err := s.wdb.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	got, err := s.Requests(ctx, store.RequestFilter{AskedSince: made})
	if err != nil || len(got) != 1 || got[0].ID != "sent" || !got[0].AskedAt.Equal(made) {
		t.Errorf("asked since %v = %+v, %v; want the sent request, asked when made", made, got, err)
	}
	if r, err := s.Request(ctx, "shown"); err != nil || !r.AskedAt.IsZero() {
		t.Errorf("suggestion after the migration = %+v, %v; want it unasked", r, err)
	}
}

func migrationSQL(t *testing.T, name string) string {
	t.Helper()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.Contains(m.Name, name) {
			return m.SQL
		}
	}
	t.Fatalf("no migration named %s", name)
	return ""
}
