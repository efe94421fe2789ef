package audience

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/store"
)

// memGrants is a GrantStore in memory.
type memGrants struct {
	grants []store.RoleGrant
	audit  []store.AuditEntry
	fail   error
}

func (m *memGrants) GrantRole(_ context.Context, g store.RoleGrant) (bool, error) {
	for _, h := range m.grants {
		if h.Platform == g.Platform && h.Workspace == g.Workspace && h.User == g.User && h.Role == g.Role {
			return false, nil
		}
	}
	m.grants = append(m.grants, g)
	return true, nil
}

func (m *memGrants) RevokeRole(_ context.Context, platform, workspace, user, role string) (bool, error) {
	n := len(m.grants)
	m.grants = slices.DeleteFunc(m.grants, func(h store.RoleGrant) bool {
		return h.Platform == platform && h.Workspace == workspace && h.User == user && h.Role == role
	})
	return len(m.grants) < n, nil
}

func (m *memGrants) RoleGrants(_ context.Context, f store.RoleGrantFilter) ([]store.RoleGrant, error) {
	if m.fail != nil {
		return nil, m.fail
	}
	var out []store.RoleGrant
	for _, g := range m.grants {
		if f.User == "" || g.Platform == f.Platform && g.User == f.User && (g.Workspace == "" || g.Workspace == f.Workspace) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (m *memGrants) RecordAudit(_ context.Context, e store.AuditEntry) error {
	m.audit = append(m.audit, e)
	return nil
}

// groupsOf is a PlatformGroups answering from a map of user to groups.
type groupsOf struct {
	held  map[string][]string
	fail  error
	asked [][]string
}

func (g *groupsOf) HeldGroups(_ context.Context, _, user string, ids []string) ([]string, error) {
	g.asked = append(g.asked, ids)
	if g.fail != nil {
		return nil, g.fail
	}
	var out []string
	for _, id := range g.held[user] {
		if slices.Contains(ids, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func roles(t *testing.T, d *RoleDirectory, platform, workspace, user string) []string {
	t.Helper()
	m, err := d.Membership(t.Context(), platform, workspace, user)
	if err != nil {
		t.Fatalf("membership of %s/%s/%s: %v", platform, workspace, user, err)
	}
	slices.Sort(m.Roles)
	return m.Roles
}

func TestRoleDirectoryMergesEverySource(t *testing.T) {
	grants := &memGrants{}
	d, err := NewRoleDirectory(DirectoryConfig{
		Roles:   "slack/T1/UCUR=curator",
		Groups:  "hr=slack/UHR",
		Admins:  "slack/UADM discord/99",
		RoleMap: "leader=slack/T1/SLEAD|discord/G1/R7, curator=slack/T1/SCUR",
		Grants:  grants,
	})
	if err != nil {
		t.Fatal(err)
	}
	slackGroups := &groupsOf{held: map[string][]string{"UMAP": {"SLEAD", "SOTHER"}}}
	d.SetPlatform("slack", slackGroups)
	d.SetPlatform("discord", &groupsOf{held: map[string][]string{"55": {"R7"}}})
	if _, err := d.Grant(t.Context(), Ref{Platform: "slack", Workspace: "T1", ID: "UGR"}, RoleCurator, "cli:root"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		platform, workspace, user string
		want                      []string
	}{
		{"slack", "T1", "UCUR", []string{"curator", "learner"}},
		{"slack", "T9", "UADM", []string{"admin", "learner"}}, // LORE_ADMINS: every workspace
		{"discord", "G1", "99", []string{"admin", "learner"}},
		{"slack", "T1", "UGR", []string{"curator", "learner"}},
		{"slack", "T2", "UGR", []string{"learner"}}, // granted in T1 only
		{"slack", "T1", "UMAP", []string{"leader", "learner"}},
		{"discord", "G1", "55", []string{"leader", "learner"}},
		{"discord", "G2", "55", []string{"learner"}},         // the mapping names G1
		{"discord", "", "55", []string{"leader", "learner"}}, // a direct message: every mapped guild is asked
		{"slack", "T1", "UNONE", []string{"learner"}},
	} {
		if got := roles(t, d, c.platform, c.workspace, c.user); !slices.Equal(got, c.want) {
			t.Errorf("roles of %s/%s/%s = %v, want %v", c.platform, c.workspace, c.user, got, c.want)
		}
	}
	if got := slackGroups.asked[0]; !slices.Equal(got, []string{"SLEAD", "SCUR"}) {
		t.Errorf("asked Slack about %v, want the mapped groups of T1", got)
	}
	if m, _ := d.Membership(t.Context(), "slack", "T1", "UHR"); !slices.Equal(m.Groups, []string{"hr"}) {
		t.Errorf("groups = %v", m.Groups)
	}
	for _, c := range []struct {
		user, role string
		want       bool
	}{
		{"UADM", RoleCurator, true}, {"UADM", RoleLeader, true}, {"UCUR", RoleCurator, true},
		{"UCUR", RoleAdmin, false}, {"UCUR", RoleLeader, false}, {"UNONE", RoleLearner, true},
	} {
		if ok, err := d.HasRole(t.Context(), "slack", "T1", c.user, c.role); err != nil || ok != c.want {
			t.Errorf("HasRole(%s, %s) = %v, %v; want %v", c.user, c.role, ok, err, c.want)
		}
	}
	if !d.IsAdmin(t.Context(), "slack", "T1", "UADM") || d.IsAdmin(t.Context(), "slack", "T1", "UCUR") {
		t.Error("IsAdmin does not follow the admin role")
	}
}

func TestRoleDirectoryLookupFailures(t *testing.T) {
	var logs bytes.Buffer
	grants := &memGrants{}
	d, err := NewRoleDirectory(DirectoryConfig{RoleMap: "admin=slack/T1/SADM", Grants: grants,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	d.SetPlatform("slack", &groupsOf{fail: errors.New("slack: usergroups.users.list: missing_scope")})
	if got := roles(t, d, "slack", "T1", "U1"); !slices.Equal(got, []string{"learner"}) {
		t.Errorf("a failed platform lookup gave %v", got)
	}
	if !strings.Contains(logs.String(), "missing_scope") {
		t.Errorf("the failure was not logged: %q", logs.String())
	}
	grants.fail = errors.New("database down")
	if _, err := d.Membership(t.Context(), "slack", "T1", "U1"); err == nil {
		t.Error("a failed read of stored grants was not reported")
	}
	if d.IsAdmin(t.Context(), "slack", "T1", "U1") {
		t.Error("a failed lookup made someone an admin")
	}
}

func TestRoleDirectoryGrantAndRevokeAreAudited(t *testing.T) {
	grants := &memGrants{}
	d, err := NewRoleDirectory(DirectoryConfig{Grants: grants})
	if err != nil {
		t.Fatal(err)
	}
	who := Ref{Platform: "discord", Workspace: "G1", ID: "42"}
	if added, err := d.Grant(t.Context(), who, RoleLeader, "discord/G1/1"); err != nil || !added {
		t.Fatalf("grant = %v, %v", added, err)
	}
	if added, err := d.Grant(t.Context(), who, RoleLeader, "discord/G1/1"); err != nil || added {
		t.Fatalf("second grant = %v, %v; want nothing added", added, err)
	}
	if removed, err := d.Revoke(t.Context(), who, RoleLeader, "cli:root"); err != nil || !removed {
		t.Fatalf("revoke = %v, %v", removed, err)
	}
	if removed, _ := d.Revoke(t.Context(), who, RoleLeader, "cli:root"); removed {
		t.Error("revoked a grant twice")
	}
	want := []store.AuditEntry{
		{Actor: "discord/G1/1", Action: store.AuditRoleGrant, Target: "discord/G1/42", Detail: "leader"},
		{Actor: "cli:root", Action: store.AuditRoleRevoke, Target: "discord/G1/42", Detail: "leader"},
	}
	if len(grants.audit) != len(want) {
		t.Fatalf("audit = %+v, want %+v", grants.audit, want)
	}
	for i, w := range want {
		got := grants.audit[i]
		got.Time = w.Time
		if got != w {
			t.Errorf("audit[%d] = %+v, want %+v", i, got, w)
		}
	}
	for _, role := range []string{"learner", "boss", ""} {
		if _, err := d.Grant(t.Context(), who, role, "cli:root"); err == nil {
			t.Errorf("granted role %q", role)
		}
	}
	noStore, _ := NewRoleDirectory(DirectoryConfig{})
	if _, err := noStore.Grant(t.Context(), who, RoleAdmin, "cli:root"); !errors.Is(err, ErrNoGrants) {
		t.Errorf("grant without a store: %v", err)
	}
}

func TestParseRoleMapAndAdmins(t *testing.T) {
	m, err := ParseRoleMap("curator=slack/T024BE7LD/S0123ABCD|discord/81384788765712384/4242, admin=slack/SADM")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 3 || m[1].Group.String() != "discord/81384788765712384/4242" || m[2].Role != "admin" || m[2].Group.Workspace != "" {
		t.Errorf("role map = %+v", m)
	}
	for _, bad := range []string{"boss=slack/T1/S1", "learner=slack/T1/S1", "curator", "curator=shell/x", "curator=slack/a/b/c"} {
		if _, err := ParseRoleMap(bad); err == nil {
			t.Errorf("ParseRoleMap(%q) accepted it", bad)
		}
	}
	if _, err := ParseAdmins("slack/U1, discord/2 slack/T1/U3"); err != nil {
		t.Error(err)
	}
	if _, err := NewRoleDirectory(DirectoryConfig{Admins: "slack", Roles: "x=y", RoleMap: "boss=slack/S"}); err == nil ||
		!strings.Contains(err.Error(), "admins") || !strings.Contains(err.Error(), "roles") || !strings.Contains(err.Error(), "role map") {
		t.Errorf("every bad setting is not reported: %v", err)
	}
}
