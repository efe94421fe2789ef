package cli_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// Roles granted at the command line are listed with those of the
// configuration, and every change the command line makes is audited.
func TestRolesAndAudit(t *testing.T) {
	db := newDB(t)
	env := map[string]string{"LORE_ROLES": "slack/T1/UCUR=curator", "LORE_ADMINS": "slack/UADM",
		"LORE_ROLE_MAP": "leader=slack/T1/SLEADS"}
	lore := func(args ...string) result {
		t.Helper()
		return runEnv(t, env, append(args, db.flag())...)
	}
	lore("roles", "grant", "discord/G1/42", "curator").wantCode(t, cli.ExitOK)
	lore("roles", "grant", "discord/G1/42", "curator").wantCode(t, cli.ExitOK) // nothing changes
	lore("roles", "grant", "discord/G1/42", "boss").wantCode(t, cli.ExitUsage)
	lore("roles", "grant", "discord/G1/42", "learner").wantCode(t, cli.ExitUsage)
	lore("roles", "grant", "not-a-person", "admin").wantCode(t, cli.ExitUsage)
	lore("roles", "grant", "slack/T1/U9", "leader").wantCode(t, cli.ExitOK)
	lore("roles", "revoke", "slack/T1/U9", "leader").wantCode(t, cli.ExitOK)
	lore("roles", "revoke", "slack/T1/UCUR", "curator").wantCode(t, cli.ExitUsage) // configuration, not a grant

	r := lore("roles")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"slack/UADM", "admin", "configuration", "discord/G1/42", "granted by cli:",
		"members of slack/T1/SLEADS", "platform group"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("lore roles lacks %q:\n%s", want, r.out)
		}
	}
	if strings.Contains(r.out, "slack/T1/U9") {
		t.Errorf("a revoked grant is listed:\n%s", r.out)
	}

	lore("collections", "set", "payroll", "--audience", "group:hr").wantCode(t, cli.ExitOK)
	lore("sources", "add", "wiki", "https://wiki.example.com/page", "--collection", "handbook").wantCode(t, cli.ExitOK)
	lore("sources", "remove", "wiki").wantCode(t, cli.ExitOK)

	r = lore("audit")
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"TIME", "source.remove", "source.add", "https://wiki.example.com/page into collection handbook, every day,", "collection.set", "audience group:hr",
		"role.grant", "role.revoke", "discord/G1/42", "cli:"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("lore audit lacks %q:\n%s", want, r.out)
		}
	}
	if i, j := strings.Index(r.out, "source.remove"), strings.Index(r.out, "role.grant"); i < 0 || j < i {
		t.Errorf("lore audit is not newest first:\n%s", r.out)
	}

	r = lore("audit", "--action", "role", "--json")
	r.wantCode(t, cli.ExitOK)
	var entries []struct{ Actor, Action, Target, Detail string }
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatalf("lore audit --json: %v\n%s", err, r.out)
	}
	if len(entries) != 3 || entries[0].Action != "role.revoke" || entries[2].Target != "discord/G1/42" || entries[2].Detail != "curator" ||
		!strings.HasPrefix(entries[2].Actor, "cli:") {
		t.Errorf("role entries = %+v, want revoke, grant, grant", entries)
	}
	if r := lore("audit", "--action", "source", "--limit", "1"); !strings.Contains(r.out, "source.remove") || strings.Contains(r.out, "source.add") {
		t.Errorf("lore audit --limit 1 --action source:\n%s", r.out)
	}
	if r := lore("audit", "--since", "1h"); !strings.Contains(r.out, "role.grant") {
		t.Errorf("lore audit --since 1h misses recent entries:\n%s", r.out)
	}
	if r := lore("audit", "--since", "2999-01-01"); !strings.Contains(r.out, "No audit entries") {
		t.Errorf("lore audit --since a future date:\n%s", r.out)
	}
	lore("audit", "--since", "yesterday").wantCode(t, cli.ExitUsage)
	lore("audit", "--action", "Source Add").wantCode(t, cli.ExitUsage)
	lore("audit", "--limit", "-1").wantCode(t, cli.ExitUsage)
}

func TestRoleMapIsChecked(t *testing.T) {
	r := runEnv(t, map[string]string{"LORE_ROLE_MAP": "boss=slack/T1/S1"}, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, "LORE_ROLE_MAP") {
		t.Errorf("config check: %s", r.err)
	}
	runEnv(t, map[string]string{"LORE_ROLE_MAP": "curator=slack/T1/S1|discord/G1/R1"}, "config", "check").wantCode(t, cli.ExitOK)
}

// A forget request is audited without the person's id, and their earlier
// changes are pseudonymised with it.
func TestForgetIsAuditedUnderAPseudonym(t *testing.T) {
	t.Setenv("LORE_PSEUDONYM_KEY", testPseudonymKey)
	db := newDB(t)
	db.run(t, "roles", "grant", "slack/T1/U7", "leader").wantCode(t, cli.ExitOK)
	st := db.open(t)
	if err := st.RecordAudit(t.Context(), store.AuditEntry{Actor: "slack/T1/U7", Action: store.AuditCollectionSet, Target: "hr"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db.run(t, "forget", "U7").wantCode(t, cli.ExitOK)
	db.run(t, "forget", "--opt-out", "U8").wantCode(t, cli.ExitOK)
	r := db.run(t, "audit", "--json")
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.out, "U7") || strings.Contains(r.out, "U8") {
		t.Errorf("the audit log still names a forgotten person:\n%s", r.out)
	}
	var entries []struct{ Actor, Action, Target string }
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].Target != "a person" || entries[1].Action != "person.forget" ||
		!strings.HasPrefix(entries[1].Target, store.Forgotten) || entries[2].Actor != entries[1].Target || entries[3].Target != entries[1].Target {
		t.Errorf("audit log = %+v", entries)
	}
}

func TestPairingRoundsChangesAreAudited(t *testing.T) {
	db := newDB(t)
	db.run(t, "peers", "rounds", "on", "slack/T1/C1", "every", "2", "weeks").wantCode(t, cli.ExitOK)
	db.run(t, "peers", "rounds", "off", "slack/T1/C1").wantCode(t, cli.ExitOK)
	r := db.run(t, "audit", "--action", "rounds", "--json")
	r.wantCode(t, cli.ExitOK)
	var entries []struct{ Actor, Action, Target, Detail string }
	if err := json.Unmarshal([]byte(r.out), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Detail != "off" || !strings.HasPrefix(entries[1].Detail, "on: biweekly") || entries[1].Target != "slack/T1/C1" {
		t.Errorf("audit of rounds = %+v", entries)
	}
}

func TestRoleGrantSaysAnAdmin(t *testing.T) {
	db := newDB(t)
	if r := db.run(t, "roles", "grant", "slack/T1/U1", "admin"); !strings.Contains(r.out, "slack/T1/U1 is now an admin.") {
		t.Errorf("grant printed %q", r.out)
	}
	if r := db.run(t, "roles", "revoke", "slack/T1/U1", "admin"); !strings.Contains(r.out, "slack/T1/U1 is no longer an admin by grant.") {
		t.Errorf("revoke printed %q", r.out)
	}
}
