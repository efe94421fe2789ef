package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

func writeCorpus(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestAskAsChecksAudiences: curators check who is told what with lore ask
// --as, on both stores; restricted and draft documents are cited exactly
// where they may be.
func TestAskAsChecksAudiences(t *testing.T) {
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return newDB(t).flag() },
		"postgres": func(t *testing.T) string { return "--db=" + postgresURL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			dbFlag := db(t)
			env := map[string]string{
				"LORE_GROUPS":         "hr=slack/T1/U1",
				"LORE_ROLES":          "slack/T1/U3=curator",
				"LORE_SLACK_CHANNELS": "CHR:mentioned,CGEN:all:handbook+payroll,CPUB:all:handbook",
			}
			lore := func(args ...string) result {
				t.Helper()
				return runEnv(t, env, append(args, dbFlag, "--migrate")...)
			}
			handbook := writeCorpus(t, map[string]string{
				"pay-day.md": "# Pay day\n\nSalaries are paid on the 25th of each month, by bank transfer.\n",
			})
			payroll := writeCorpus(t, map[string]string{
				"salary-bands.md": "# Salary bands\n\nThe salary band of a senior engineer is 90,000 to 110,000 euros a year.\n",
			})
			reviewed := writeCorpus(t, map[string]string{
				"bonus.md": "# Annual bonus\n\nThe annual bonus is ten percent of the salary, paid in December.\n",
			})
			lore("collections", "set", "payroll", "--audience", "group:hr channel:slack/T1/CHR").wantCode(t, cli.ExitOK)
			lore("collections", "set", "reviewed", "--approval").wantCode(t, cli.ExitOK)
			lore("collections", "set", "curated", "--audience", "role:curator").wantCode(t, cli.ExitOK)
			lore("ingest", handbook, "--collection", "handbook").wantCode(t, cli.ExitOK)
			lore("ingest", payroll, "--collection", "payroll").wantCode(t, cli.ExitOK)
			lore("ingest", reviewed, "--collection", "reviewed").wantCode(t, cli.ExitOK)

			r := lore("collections")
			r.wantCode(t, cli.ExitOK)
			for _, want := range []string{"payroll", "group:hr channel:slack/T1/CHR", "reviewed", "required", "handbook", "everyone"} {
				if !strings.Contains(r.out, want) {
					t.Errorf("lore collections does not show %q:\n%s", want, r.out)
				}
			}

			const salary = "What is the salary band of a senior engineer?"
			for _, tc := range []struct {
				who   []string
				cites bool
			}{
				{nil, true},                                                            // the operator
				{[]string{"--as", "slack/T1/U1"}, true},                                // hr, direct message
				{[]string{"--as", "slack/T1/U2"}, false},                               // not hr
				{[]string{"--as", "slack/T1/U3"}, false},                               // a curator, not hr
				{[]string{"--as", "slack/T1/U2", "--channel", "slack/T1/CHR"}, true},   // the hr channel
				{[]string{"--as", "slack/T1/U1", "--channel", "slack/T1/CGEN"}, false}, // read by others
				{[]string{"--as", "slack/T1/U1", "--channel", "slack/T1/CPUB"}, false}, // handbook only
			} {
				r := lore(append([]string{"ask", "--json", salary}, tc.who...)...)
				if r.code != cli.ExitOK && r.code != cli.ExitNoAnswer {
					t.Fatalf("ask %v: exit %d: %s", tc.who, r.code, r.err)
				}
				if got := strings.Contains(r.out, "salary-bands.md"); got != tc.cites {
					t.Errorf("ask %v cites the salary bands: %v, want %v\n%s", tc.who, got, tc.cites, r.out)
				}
				if !tc.cites && strings.Contains(r.out, "110,000") {
					t.Errorf("ask %v quotes the restricted document:\n%s", tc.who, r.out)
				}
			}
			// Nothing asked --as is recorded in the person's name.
			if r := lore("gaps"); strings.Contains(r.out, "salary band") {
				t.Errorf("questions asked --as became gaps:\n%s", r.out)
			}

			// A draft is answered from by nobody until approved.
			const bonus = "How much is the annual bonus?"
			r = lore("drafts")
			r.wantCode(t, cli.ExitOK)
			if !strings.Contains(r.out, "bonus.md") {
				t.Fatalf("lore drafts does not list the bonus document:\n%s", r.out)
			}
			if r := lore("ask", "--json", bonus); strings.Contains(r.out, "bonus.md") {
				t.Fatalf("a draft was cited:\n%s", r.out)
			}
			lore("approve", filepath.Join(reviewed, "bonus.md")).wantCode(t, cli.ExitOK)
			if r := lore("ask", "--json", bonus, "--as", "slack/T1/U2"); !strings.Contains(r.out, "bonus.md") {
				t.Fatalf("the approved document is not cited:\n%s", r.out)
			}
			if r := lore("drafts"); !strings.Contains(r.out, "No drafts") {
				t.Errorf("drafts after approval:\n%s", r.out)
			}
			if r := lore("audit", "--action", "document.approve"); !strings.Contains(r.out, "bonus") || !strings.Contains(r.out, "cli:") {
				t.Errorf("the approval is not in the audit log:\n%s", r.out)
			}

			// Bad input is refused with a reason.
			for _, args := range [][]string{
				{"ask", salary, "--as", "U1"},
				{"ask", salary, "--channel", "slack/T1/CHR"},
				{"ask", salary, "--as", "slack/T1/U1", "--channel", "discord/1/2"},
				{"ask", salary, "--as", "slack/T1/U1", "--channel", "slack/T1/CNOTLISTED"},
				{"collections", "set", "payroll", "--audience", "role:boss"},
				{"collections", "set", "payroll"},
				{"collections", "set", "bad name", "--approval"},
				{"approve", "no-such-document"},
			} {
				r := lore(args...)
				if r.code != cli.ExitUsage || strings.TrimSpace(r.err) == "" {
					t.Errorf("lore %v: exit %d, stderr %q; want a usage error with a reason", args, r.code, r.err)
				}
			}
		})
	}
}
