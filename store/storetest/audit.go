package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var auditCases = []testCase{
	{"AuditLogNewestFirstAndFiltered", testAuditLog},
	{"AuditRefusesBadInput", testAuditBadInput},
	{"RoleGrants", testRoleGrants},
	{"ForgetPseudonymisesAuditLog", testForgetPseudonymisesAudit},
	{"OptOutLeavesAuditLog", testOptOutLeavesAudit},
	{"ForgetReplacesOwnersAndDropsGrants", testForgetOwnership},
}

var auditBase = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func mustAudit(t *testing.T, s store.Store, entries ...store.AuditEntry) {
	t.Helper()
	for _, e := range entries {
		if err := s.RecordAudit(t.Context(), e); err != nil {
			t.Fatalf("record audit %+v: %v", e, err)
		}
	}
}

func auditLog(t *testing.T, s store.Store, f store.AuditFilter) []store.AuditEntry {
	t.Helper()
	got, err := s.AuditLog(t.Context(), f)
	if err != nil {
		t.Fatalf("audit log %+v: %v", f, err)
	}
	return got
}

func actions(es []store.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

func testAuditLog(t *testing.T, s store.Store) {
	if got := auditLog(t, s, store.AuditFilter{}); len(got) != 0 {
		t.Fatalf("audit log of an empty store = %+v", got)
	}
	mustAudit(t, s,
		store.AuditEntry{Time: auditBase, Actor: "cli:root", Action: "source.add", Target: "https://wiki.example.com/", Detail: "collection handbook"},
		store.AuditEntry{Time: auditBase.Add(time.Hour), Actor: "slack/T1/U1", Action: "role.grant", Target: "slack/T1/U2", Detail: "curator"},
		store.AuditEntry{Time: auditBase.Add(2 * time.Hour), Actor: "cli:root", Action: "source.remove", Target: "https://wiki.example.com/"},
		// Same millisecond as the one before: recorded later, listed first.
		store.AuditEntry{Time: auditBase.Add(2 * time.Hour), Actor: "cli:root", Action: "sources.sync"},
		store.AuditEntry{Time: auditBase.Add(3 * time.Hour), Actor: "dashboard:ann@example.com", Action: "source_x.add"},
	)
	all := auditLog(t, s, store.AuditFilter{})
	if want := []string{"source_x.add", "sources.sync", "source.remove", "role.grant", "source.add"}; !slices.Equal(actions(all), want) {
		t.Fatalf("audit log = %v, want newest first %v", actions(all), want)
	}
	first := all[len(all)-1]
	if first.ID == 0 || !first.Time.Equal(auditBase) || first.Actor != "cli:root" || first.Target != "https://wiki.example.com/" || first.Detail != "collection handbook" {
		t.Errorf("oldest entry = %+v", first)
	}
	for _, c := range []struct {
		f    store.AuditFilter
		want []string
	}{
		// "source" is source.add and source.remove, not sources.* or source_x.*.
		{store.AuditFilter{Action: "source"}, []string{"source.remove", "source.add"}},
		{store.AuditFilter{Action: "source.add"}, []string{"source.add"}},
		{store.AuditFilter{Action: "source_x"}, []string{"source_x.add"}},
		{store.AuditFilter{Actor: "cli:root"}, []string{"sources.sync", "source.remove", "source.add"}},
		{store.AuditFilter{Since: auditBase.Add(time.Hour), Until: auditBase.Add(3 * time.Hour)}, []string{"sources.sync", "source.remove", "role.grant"}},
		{store.AuditFilter{Limit: 2}, []string{"source_x.add", "sources.sync"}},
		{store.AuditFilter{Actor: "nobody"}, nil},
	} {
		if got := actions(auditLog(t, s, c.f)); !slices.Equal(got, c.want) && (len(got) != 0 || len(c.want) != 0) {
			t.Errorf("audit log %+v = %v, want %v", c.f, got, c.want)
		}
	}
}

func testAuditBadInput(t *testing.T, s store.Store) {
	for _, e := range []store.AuditEntry{
		{Actor: "", Action: "source.add"},
		{Actor: "cli:root", Action: ""},
		{Actor: "cli:root", Action: "Source Add"},
		{Actor: "cli:root", Action: "source.add", Target: "bad\xff"},
		{Actor: "cli:root", Action: "source.add", Detail: "line\nbreak"},
		{Actor: "cli:\x00root", Action: "source.add"},
		{Actor: "cli:root", Action: "source.add", Detail: strings.Repeat("x", 2001)},
	} {
		if err := s.RecordAudit(t.Context(), e); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("record %+v: err = %v, want ErrInvalidInput", e, err)
		}
	}
	if got := auditLog(t, s, store.AuditFilter{}); len(got) != 0 {
		t.Errorf("refused entries were kept: %+v", got)
	}
	for _, f := range []store.AuditFilter{{Limit: -1}, {Action: "x%"}, {Actor: "\xff"}} {
		if _, err := s.AuditLog(t.Context(), f); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("audit log %+v: err = %v, want ErrInvalidInput", f, err)
		}
	}
}

func testRoleGrants(t *testing.T, s store.Store) {
	ctx := t.Context()
	grant := func(g store.RoleGrant, wantAdded bool) {
		t.Helper()
		added, err := s.GrantRole(ctx, g)
		if err != nil || added != wantAdded {
			t.Fatalf("grant %+v = %v, %v; want %v", g, added, err, wantAdded)
		}
	}
	grant(store.RoleGrant{Platform: "slack", Workspace: "T1", User: "U1", Role: "curator", GrantedBy: "cli:root", Time: auditBase}, true)
	grant(store.RoleGrant{Platform: "slack", Workspace: "T1", User: "U1", Role: "curator", GrantedBy: "slack/T1/U9"}, false)
	grant(store.RoleGrant{Platform: "slack", User: "U1", Role: "leader", GrantedBy: "cli:root"}, true)
	grant(store.RoleGrant{Platform: "slack", Workspace: "T2", User: "U1", Role: "admin", GrantedBy: "cli:root"}, true)
	grant(store.RoleGrant{Platform: "discord", Workspace: "G1", User: "42", Role: "curator", GrantedBy: "cli:root"}, true)

	all, err := s.RoleGrants(ctx, store.RoleGrantFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range all {
		got = append(got, g.Platform+"/"+g.Workspace+"/"+g.User+"="+g.Role)
	}
	if want := []string{"discord/G1/42=curator", "slack//U1=leader", "slack/T1/U1=curator", "slack/T2/U1=admin"}; !slices.Equal(got, want) {
		t.Fatalf("grants = %v, want %v", got, want)
	}
	if g := all[2]; g.GrantedBy != "cli:root" || !g.Time.Equal(auditBase) {
		t.Errorf("a second grant replaced the first: %+v", g)
	}
	// One person in one workspace: that workspace's grants and those of
	// every workspace.
	mine, err := s.RoleGrants(ctx, store.RoleGrantFilter{Platform: "slack", Workspace: "T1", User: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 2 || mine[0].Role != "leader" || mine[1].Role != "curator" {
		t.Errorf("grants of slack/T1/U1 = %+v, want leader (every workspace) and curator", mine)
	}
	removed, err := s.RevokeRole(ctx, "slack", "T1", "U1", "curator")
	if err != nil || !removed {
		t.Fatalf("revoke = %v, %v", removed, err)
	}
	if removed, err = s.RevokeRole(ctx, "slack", "T1", "U1", "curator"); err != nil || removed {
		t.Errorf("second revoke = %v, %v; want nothing removed", removed, err)
	}
	if removed, err = s.RevokeRole(ctx, "slack", "T1", "U1", "leader"); err != nil || removed {
		t.Errorf("revoke in T1 of a grant of every workspace = %v, %v; want nothing removed", removed, err)
	}
	if all, _ := s.RoleGrants(ctx, store.RoleGrantFilter{}); len(all) != 3 {
		t.Errorf("after revoking, %d grants, want 3", len(all))
	}
	for _, bad := range []store.RoleGrant{{User: "U1", Role: "admin"}, {Platform: "slack", Role: "admin"},
		{Platform: "slack", User: "U1"}, {Platform: "slack", User: "U\x001", Role: "admin"}, {Platform: "slack", User: "U1", Role: "\xff"}} {
		if _, err := s.GrantRole(ctx, bad); !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("grant %+v: err = %v, want ErrInvalidInput", bad, err)
		}
	}
}

func testForgetPseudonymisesAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustAudit(t, s,
		store.AuditEntry{Time: auditBase, Actor: "slack/T1/U1", Action: "role.grant", Target: "slack/T1/U2", Detail: "curator"},
		store.AuditEntry{Time: auditBase.Add(time.Minute), Actor: "slack/T1/U2", Action: "source.add", Target: "https://example.com/U1"},
		store.AuditEntry{Time: auditBase.Add(2 * time.Minute), Actor: "slack/T1/U2", Action: "role.revoke", Target: "slack/U1", Detail: "leader"},
		store.AuditEntry{Time: auditBase.Add(3 * time.Minute), Actor: "cli:U1", Action: "collection.set", Target: "hr"},
		store.AuditEntry{Time: auditBase.Add(4 * time.Minute), Actor: "slack/T1/XU1", Action: "collection.set", Target: "hr"},
		store.AuditEntry{Time: auditBase.Add(5 * time.Minute), Actor: "cli:root", Action: "source.update", Target: "s1",
			Detail: "owner slack/T1/U1 → slack/T1/U2, path /srv/U1"},
	)
	if _, err := s.GrantRole(ctx, store.RoleGrant{Platform: "slack", Workspace: "T1", User: "U2", Role: "curator", GrantedBy: "slack/T1/U1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GrantRole(ctx, store.RoleGrant{Platform: "slack", Workspace: "T1", User: "U1", Role: "leader", GrantedBy: "cli:root"}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Forget(ctx, "U1", false)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Pseudonym
	if !strings.HasPrefix(p, store.Forgotten) || strings.Contains(p, "U1") {
		t.Fatalf("pseudonym = %q", p)
	}
	log := auditLog(t, s, store.AuditFilter{})
	slices.Reverse(log)
	want := [][2]string{
		{p, "slack/T1/U2"},                        // their grant: the actor is replaced
		{"slack/T1/U2", "https://example.com/U1"}, // a URL is no person
		{"slack/T1/U2", p},                        // a role change naming them
		{"cli:U1", "hr"},                          // an operator's login is no chat person
		{"slack/T1/XU1", "hr"},                    // someone else whose id ends alike
	}
	for i, w := range want {
		if log[i].Actor != w[0] || log[i].Target != w[1] {
			t.Errorf("entry %d after forgetting = %s → %s, want %s → %s", i, log[i].Actor, log[i].Target, w[0], w[1])
		}
	}
	// Free text names them too: a change of a source's owner.
	if got, want := log[5].Detail, "owner "+p+" → slack/T1/U2, path /srv/U1"; got != want {
		t.Errorf("detail after forgetting = %q, want %q", got, want)
	}
	grants, err := s.RoleGrants(ctx, store.RoleGrantFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(grants) != 1 || grants[0].User != "U2" || grants[0].GrantedBy != p {
		t.Errorf("grants after forgetting = %+v, want U1's deleted and U2's granted by %s", grants, p)
	}
}

func testOptOutLeavesAudit(t *testing.T, s store.Store) {
	mustAudit(t, s, store.AuditEntry{Time: auditBase, Actor: "slack/T1/U1", Action: "collection.set", Target: "hr"})
	res, err := s.Forget(t.Context(), "U1", true)
	if err != nil {
		t.Fatal(err)
	}
	if log := auditLog(t, s, store.AuditFilter{}); res.Pseudonym != "" || len(log) != 1 || log[0].Actor != "slack/T1/U1" {
		t.Errorf("an analytics opt-out changed the audit log: %+v (pseudonym %q)", log, res.Pseudonym)
	}
}

// testForgetOwnership: a forgotten person stops owning documents and
// sources under their id (the pseudonym of the audit log owns them, so a
// reviewer sees the owner was forgotten) and loses the roles granted to
// them, which would otherwise name them next to the pseudonymised grant.
func testForgetOwnership(t *testing.T, s store.Store) {
	ctx := t.Context()
	owners := map[string]string{
		"suggested": "slack/T1/U1",        // a suggestion or a saved answer
		"explicit":  "user:discord/U1",    // front matter naming a person
		"plain":     "shell/U1",           // PLATFORM/USER
		"team":      "People Team",        // no person
		"alike":     "slack/T1/XU1",       // someone else whose id ends alike
		"login":     "cli:U1",             // a login, not a chat person
		"deep":      "hr/policies/pay/U1", // a path, not a person
		"other":     "slack/T1/U2",
	}
	for id, owner := range owners {
		doc, chunks := Doc(id, 1, 3)
		doc.Owner = owner
		MustReplace(t, s, doc, chunks)
	}
	src := sampleSource("from-chat")
	src.Owner = "slack/T1/U1"
	mustAddSource(t, s, src)
	kept := sampleSource("kept")
	kept.Owner = "slack/T1/U2"
	mustAddSource(t, s, kept)
	for _, g := range []store.RoleGrant{
		{Platform: "slack", Workspace: "T1", User: "U1", Role: "curator", GrantedBy: "slack/T1/U2"},
		{Platform: "slack", User: "U1", Role: "leader", GrantedBy: "cli:root"},
		{Platform: "slack", Workspace: "T1", User: "U2", Role: "curator", GrantedBy: "cli:root"},
	} {
		if _, err := s.GrantRole(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	// A save recorded when its detail still named people.
	oldSave := store.AuditEntry{Time: auditBase, Actor: "slack/T1/U3", Action: store.AuditDocumentSave, Target: "suggested",
		Detail: "answer by slack/T1/U1, question by slack/T1/U2, source https://t1.slack.com/archives/C1/p1"}
	otherSave := oldSave
	otherSave.Time, otherSave.Detail = auditBase.Add(time.Minute), "answer by slack/T1/XU1, question by slack/T1/U2, source chat:slack/T1/C1/1.2"
	mustAudit(t, s, oldSave, otherSave)
	// An analytics opt-out is no forget: owners and grants stay.
	if _, err := s.Forget(ctx, "U1", true); err != nil {
		t.Fatal(err)
	}
	if d, err := s.Document(ctx, "suggested"); err != nil || d.Owner != "slack/T1/U1" {
		t.Fatalf("after an opt-out the owner is %q, %v; want it kept", d.Owner, err)
	}
	res, err := s.Forget(ctx, "U1", false)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Pseudonym
	for id, owner := range owners {
		want := owner
		switch id {
		case "suggested", "explicit", "plain":
			want = p
		}
		d, err := s.Document(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Owner != want {
			t.Errorf("document %s owned by %q after forgetting U1, want %q", id, d.Owner, want)
		}
	}
	for name, want := range map[string]string{"from-chat": p, "kept": "slack/T1/U2"} {
		got, err := s.Source(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != want {
			t.Errorf("source %s owned by %q after forgetting U1, want %q", name, got.Owner, want)
		}
	}
	grants, err := s.RoleGrants(ctx, store.RoleGrantFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(grants) != 1 || grants[0].User != "U2" {
		t.Errorf("grants after forgetting U1 = %+v, want only U2's", grants)
	}
	log := auditLog(t, s, store.AuditFilter{})
	if len(log) != 2 {
		t.Fatalf("audit log after forgetting = %+v, want the two saves and nothing that links the grants", log)
	}
	if want := "source https://t1.slack.com/archives/C1/p1"; log[1].Detail != want {
		t.Errorf("a save naming U1 reads %q after forgetting, want %q", log[1].Detail, want)
	}
	if log[0].Detail != otherSave.Detail {
		t.Errorf("a save naming someone else reads %q after forgetting U1, want it unchanged", log[0].Detail)
	}
}
