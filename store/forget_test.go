package store_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/lorehq/lore/store"
)

// forgetCoverage says, for every table of both backends' migrations, what
// a full Engagement.Forget does with a person's id or the text they wrote,
// or why the table holds neither. A migration that adds a table must add
// it here: forgetting someone is then a conscious choice for it.
var forgetCoverage = map[string]string{
	// Deleted or rewritten by Forget.
	"events":             "deleted (anonymised with keepCounts)",
	"activity_days":      "follows events through triggers",
	"statements":         "deleted, each voided at the LRS",
	"statement_outbox":   "deleted with the statements",
	"forwarded_ids":      "deleted, each voided at the LRS (ids of forwarded statements retention deleted)",
	"analytics_opt_outs": "deleted",
	"people":             "deleted (the time zone)",
	"peer_profiles":      "deleted; other people's block lists keep the id, so that a block outlives the forget",
	"peer_requests":      "deleted when they asked or were asked, with the topic the asker wrote",
	"peer_rounds":        "removed from groups and the unplaced; their groups lose the reason and starter that may name them",
	"enrolments":         "deleted",
	"nudge_preferences":  "deleted",
	"card_states":        "deleted",
	"deliveries":         "deleted",
	"answers":            "deleted, reflections included",
	"audit_log":          "actor and targets replaced by a random pseudonym; old document.save details trimmed",
	"role_grants":        "grants to them deleted; granted_by replaced by the pseudonym",
	"documents":          "owner replaced by the pseudonym; the content is the organisation's knowledge",
	"sources":            "owner replaced by the pseudonym",

	// Left: no person in them, or nothing that outlives its purpose.
	"claims":             "de-duplication keys; a Discord join's key holds the user id for 20 minutes, purged once expired",
	"event_rollups":      "daily counts without people",
	"rollup_people":      "daily counts of distinct people, without ids",
	"peer_round_configs": "channel schedules",
	"track_versions":     "tracks written by curators",
	"collections":        "collection settings",
	"review_notices":     "document ids",
	"source_pages":       "document locations",
	"chunks":             "document text",
	"chunk_vectors_next": "document vectors",
	"chunk_deletions":    "chunk ids",
	"chunk_terms":        "document terms",
	"term_stats":         "document term counts",
	"search_totals":      "search statistics",
	"locks":              "replica names",
	"meta":               "store settings",
}

var createTable = regexp.MustCompile(`(?m)^CREATE TABLE (?:IF NOT EXISTS )?(\w+)`)

func TestForgetAccountsForEveryTable(t *testing.T) {
	seen := map[string]bool{}
	for _, dir := range []string{"sqlite/migrations", "postgres/migrations"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations in %s: %v %v", dir, files, err)
		}
		for _, f := range files {
			sql, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range createTable.FindAllStringSubmatch(string(sql), -1) {
				seen[m[1]] = true
				if _, ok := forgetCoverage[m[1]]; !ok {
					t.Errorf("%s creates table %s: say in forgetCoverage what forgetting a person does with it", f, m[1])
				}
			}
		}
	}
	for table := range forgetCoverage {
		if !seen[table] {
			t.Errorf("forgetCoverage names %s, which no migration creates", table)
		}
	}
	if t.Failed() {
		tables := make([]string, 0, len(seen))
		for table := range seen {
			tables = append(tables, table)
		}
		slices.Sort(tables)
		t.Logf("tables: %v", tables)
	}
}

func TestForgetPersonIn(t *testing.T) {
	const p = "forgotten-1a2b"
	for in, want := range map[string]string{
		"owner slack/T1/U9 → slack/T1/U8":         "owner " + p + " → slack/T1/U8",
		"owner user:slack/T1/U9, then discord/U9": "owner " + p + ", then " + p,
		"slack/U9":                       p,
		"slack/T1/U99 and slack/T1/U9x":  "slack/T1/U99 and slack/T1/U9x",
		"path /srv/docs/U9 and a/b/c/U9": "path /srv/docs/U9 and a/b/c/U9",
		"Slack/T1/U9":                    "Slack/T1/U9",
		"U9 alone":                       "U9 alone",
		"(slack/T1/U9)":                  "(" + p + ")",
		"":                               "",
	} {
		if got := store.ForgetPersonIn(in, "U9", p); got != want {
			t.Errorf("ForgetPersonIn(%q) = %q, want %q", in, got, want)
		}
	}
}
