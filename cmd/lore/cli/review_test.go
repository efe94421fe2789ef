package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

func TestReviewListsWhatIsDueAndWhereItGoes(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "leave.md"), []byte("---\nowner: slack/T1/U1\nreview_by: 2020-01-31\n---\n# Annual leave\n\nEmployees get 27 days.\n"))
	writeFile(t, filepath.Join(dir, "vpn.md"), []byte("---\nowner: People Team\nreview_by: 2020-02-01\n---\n# VPN\n\nUse the VPN off site.\n"))
	writeFile(t, filepath.Join(dir, "pay.md"), []byte("---\nowner: Finance\nreview_by: 2020-03-01\n---\n# Payroll\n\nPaid monthly.\n"))
	writeFile(t, filepath.Join(dir, "later.md"), []byte("---\nowner: slack/T1/U1\nreview_by: 2999-01-01\n---\n# Later\n\nNot yet.\n"))
	writeFile(t, filepath.Join(dir, "bad.md"), []byte("---\nreview_by: someday\n---\n# Bad\n\nA bad date.\n"))
	r := db.run(t, "ingest", dir)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.err, "bad.md") || !strings.Contains(r.err, `"someday"`) {
		t.Errorf("ingest does not report the bad review date:\n%s", r.err)
	}
	env := map[string]string{"LORE_GROUPS": "people-team=slack/T1/U2|discord/D3"}
	r = runEnv(t, env, "review", db.flag())
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"due 2020-01-31", "Annual leave", "slack/T1/U1", "group people-team: slack/T1/U2 discord/D3",
		"Payroll", "no one (set LORE_REVIEWERS)", "never"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("lore review lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "Later") {
		t.Errorf("a document not yet due is listed:\n%s", r.out)
	}

	env["LORE_REVIEWERS"] = "slack/T1/U9"
	r = runEnv(t, env, "review", "--json", db.flag())
	r.wantCode(t, cli.ExitOK)
	var items []struct {
		Title      string
		Reason     string
		Route      string
		Recipients []string
	}
	if err := json.Unmarshal([]byte(r.out), &items); err != nil || len(items) != 3 {
		t.Fatalf("JSON (%v):\n%s", err, r.out)
	}
	if items[2].Title != "Payroll" || items[2].Route != "reviewers" || items[2].Recipients[0] != "slack/T1/U9" || items[0].Reason != "due" {
		t.Errorf("JSON items: %+v", items)
	}

	r = runEnv(t, map[string]string{"LORE_REVIEWERS": "not a person"}, "review", db.flag())
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, "LORE_REVIEWERS") {
		t.Errorf("a bad LORE_REVIEWERS is not named: %q", r.err)
	}

	r = db.run(t, "review", "--send")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "Queued reminders job") {
		t.Errorf("--send: %q", r.out)
	}
}
