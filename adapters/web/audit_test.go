package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/web"
	"github.com/lorehq/lore/store"
)

func TestDashboardAuditPage(t *testing.T) {
	s := seed(t)
	for _, e := range []store.AuditEntry{
		{Time: now.Add(-2 * time.Hour), Actor: "cli:root", Action: store.AuditSourceAdd, Target: "wiki", Detail: "url https://wiki.example.com/<b>"},
		{Time: now.Add(-time.Hour), Actor: "slack/T1/U1", Action: store.AuditRoleGrant, Target: "slack/T1/<script>alert(1)</script>", Detail: "curator"},
	} {
		if err := s.RecordAudit(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(newDashboard(t, s, func(c *web.DashboardConfig) { c.Audit = s }).Handler())
	defer srv.Close()
	c := client(t)
	if code, _, h := get(t, c, srv.URL+"/dashboard/audit"); code != http.StatusSeeOther || h.Get("Location") != "/dashboard/login" {
		t.Fatalf("anonymous GET /dashboard/audit = %d to %q", code, h.Get("Location"))
	}
	signIn(t, c, srv.URL, adminToken)
	if _, page, _ := get(t, c, srv.URL+"/dashboard"); !strings.Contains(page, `id="audit-link"`) {
		t.Error("the admin's dashboard does not link to the audit log")
	}
	code, page, _ := get(t, c, srv.URL+"/dashboard/audit")
	if code != http.StatusOK {
		t.Fatalf("GET /dashboard/audit = %d\n%s", code, page)
	}
	grant, add := strings.Index(page, "<td>role.grant</td>"), strings.Index(page, "<td>source.add</td>")
	if grant < 0 || add < grant || !strings.Contains(page, "cli:root") || !strings.Contains(page, "2026-03-11 14:00:00") {
		t.Errorf("audit page is not the log, newest first:\n%s", page)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("audit text is not escaped")
	}
	if _, page, _ := get(t, c, srv.URL+"/dashboard/audit?action=source"); strings.Contains(page, "<td>role.grant</td>") || !strings.Contains(page, "<td>source.add</td>") {
		t.Errorf("filtered by action source:\n%s", page)
	}
	if _, page, _ := get(t, c, srv.URL+"/dashboard/audit?actor=nobody"); !strings.Contains(page, `id="audit-empty"`) {
		t.Error("an actor without entries shows entries")
	}
	if code, page, _ := get(t, c, srv.URL+"/dashboard/audit?action=%3Cb%3E"); code != http.StatusBadRequest || strings.Contains(page, "<b>") {
		t.Errorf("a bad action filter = %d\n%s", code, page)
	}
}
