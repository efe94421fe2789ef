package discord

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/knowledge/audience"
)

// membersTransport answers Get Guild Member for guild 2222.
type membersTransport struct {
	mu       sync.Mutex
	roles    map[string][]string // user → role ids; absent: 404
	fail     bool                // answer 403 Missing Access
	requests int
}

func (mt *membersTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.requests++
	respond := func(status int, body string) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader([]byte(body))), Request: r}, nil
	}
	if mt.fail {
		return respond(403, `{"message": "Missing Access", "code": 50001}`)
	}
	user, ok := strings.CutPrefix(r.URL.Path, "/api/v9/guilds/2222/members/")
	roles, known := mt.roles[user]
	if !ok || !known {
		return respond(404, `{"message": "Unknown Member", "code": 10007}`)
	}
	return respond(200, `{"user": {"id": "`+user+`", "username": "x"}, "roles": ["`+strings.Join(roles, `","`)+`"]}`)
}

func (mt *membersTransport) count() int {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	return mt.requests
}

func TestDiscordRolesGiveMappedRoles(t *testing.T) {
	mt := &membersTransport{roles: map[string][]string{"4001": {"9001", "9003"}, "4002": {"9002"}}}
	var log testLog
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a, err := New(Config{Token: testToken, AppID: testApp, Logger: log.logger(),
		HTTPClient: &http.Client{Timeout: 5 * time.Second, Transport: mt}}, &fakeCore{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	a.now = func() time.Time { return now }
	t.Cleanup(func() { a.Close() })
	dir, err := audience.NewRoleDirectory(audience.DirectoryConfig{RoleMap: "curator=discord/2222/9001,leader=discord/2222/9002", Logger: log.logger()})
	if err != nil {
		t.Fatal(err)
	}
	dir.SetPlatform("discord", a)
	roles := func(user string) []string {
		t.Helper()
		m, err := dir.Membership(t.Context(), "discord", "2222", user)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(m.Roles)
		return m.Roles
	}
	if got := roles("4001"); !slices.Equal(got, []string{"curator", "learner"}) {
		t.Errorf("4001 = %v, want curator", got)
	}
	if got := roles("4002"); !slices.Equal(got, []string{"leader", "learner"}) {
		t.Errorf("4002 = %v, want leader", got)
	}
	if got := roles("4999"); !slices.Equal(got, []string{"learner"}) {
		t.Errorf("an unknown member = %v", got)
	}
	n := mt.count()
	roles("4001")
	if mt.count() != n {
		t.Error("a second lookup within the cache's time asked Discord again")
	}
	// Roles carried by a message are remembered: no request.
	a.rememberMember("2222", "4003", &discordgo.Member{Roles: []string{"9002"}})
	if got := roles("4003"); !slices.Equal(got, []string{"leader", "learner"}) || mt.count() != n {
		t.Errorf("4003 from a message's roles = %v (%d requests)", got, mt.count()-n)
	}
	// Past the cache's time Discord is asked again; when it refuses,
	// nobody gets a mapped role, and the log names no token.
	now = now.Add(memberRolesTTL + time.Second)
	mt.mu.Lock()
	mt.fail = true
	mt.mu.Unlock()
	if got := roles("4001"); !slices.Equal(got, []string{"learner"}) {
		t.Errorf("a failed lookup gave %v", got)
	}
	if !strings.Contains(log.String(), "Missing Access") && !strings.Contains(log.String(), "403") {
		t.Errorf("the failure is not logged:\n%s", log.String())
	}
	checkNoToken(t, "the log", log.String())
	if _, err := a.HeldGroups(t.Context(), "not-a-guild", "4001", []string{"9001"}); err == nil {
		t.Error("accepted a bad guild id")
	}
}
