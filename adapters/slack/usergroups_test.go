package slack

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/slacktest"

	"github.com/lorehq/lore/knowledge/audience"
)

// groupsSlack is a fake Slack workspace with user groups.
type groupsSlack struct {
	srv   *slacktest.Server
	mu    sync.Mutex
	group map[string][]string
	calls []url.Values
}

func newGroupsSlack(t *testing.T) *groupsSlack {
	t.Helper()
	f := &groupsSlack{group: map[string][]string{}}
	f.srv = slacktest.NewTestServer(
		func(c slacktest.Customize) {
			c.Handle("/auth.test", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "lore"})
			})
		},
		func(c slacktest.Customize) {
			c.Handle("/usergroups.users.list", func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				form, _ := url.ParseQuery(string(body))
				f.mu.Lock()
				f.calls = append(f.calls, form)
				members, ok := f.group[form.Get("usergroup")]
				f.mu.Unlock()
				var resp any = map[string]any{"ok": true, "users": members}
				if !ok {
					resp = map[string]any{"ok": false, "error": "missing_scope", "needed": "usergroups:read"}
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(resp)
			})
		},
	)
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *groupsSlack) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// Roles follow Slack user groups: the members of each mapped group are
// read once and cached; a failed lookup grants nothing and is logged
// without the token.
func TestUserGroupsGiveMappedRoles(t *testing.T) {
	f := newGroupsSlack(t)
	f.group["SCUR"] = []string{"U1", "U2"}
	f.group["SLEAD"] = []string{"U2"}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	a, err := New(Config{
		Mode: ModeSocket, AppToken: testAppToken, BotToken: testBotToken, APIURL: f.srv.GetAPIURL(),
		Clock: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}, &fakeCore{}, Deps{Claims: openStore(t), People: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Identify(t.Context()); err != nil {
		t.Fatal(err)
	}
	dir, err := audience.NewRoleDirectory(audience.DirectoryConfig{
		RoleMap: "curator=slack/T1/SCUR,leader=slack/T1/SLEAD,admin=slack/T1/SGONE",
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir.SetPlatform("slack", a)
	roles := func(user string) []string {
		t.Helper()
		m, err := dir.Membership(t.Context(), "slack", "T1", user)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(m.Roles)
		return m.Roles
	}
	// SGONE cannot be listed (no usergroups:read): nobody gets admin from
	// it, and nobody gets any mapped role while it fails.
	if got := roles("U1"); !slices.Equal(got, []string{"learner"}) {
		t.Errorf("roles while a group cannot be read = %v", got)
	}
	if !strings.Contains(logs.String(), "missing_scope") || strings.Contains(logs.String(), testBotToken) {
		t.Errorf("the failure is not logged, or logged with the token:\n%s", logs.String())
	}
	f.mu.Lock()
	f.group["SGONE"] = nil
	f.mu.Unlock()
	if got := roles("U1"); !slices.Equal(got, []string{"curator", "learner"}) {
		t.Errorf("U1 = %v, want curator", got)
	}
	if got := roles("U2"); !slices.Equal(got, []string{"curator", "leader", "learner"}) {
		t.Errorf("U2 = %v, want curator and leader", got)
	}
	calls := f.callCount()
	roles("U3")
	if f.callCount() != calls {
		t.Errorf("a second lookup within the cache's time called Slack %d times", f.callCount()-calls)
	}
	now = now.Add(groupCacheTTL + time.Second)
	f.mu.Lock()
	f.group["SCUR"] = []string{"U2"}
	f.mu.Unlock()
	if got := roles("U1"); !slices.Equal(got, []string{"learner"}) {
		t.Errorf("after U1 left the group and the cache expired: %v", got)
	}
	if _, err := a.HeldGroups(t.Context(), "T9", "U1", []string{"SCUR"}); err == nil {
		t.Error("asked about another workspace")
	}
	if _, err := a.HeldGroups(t.Context(), "T1", "U1", []string{"C123"}); err == nil {
		t.Error("took a channel id for a user group")
	}
}
