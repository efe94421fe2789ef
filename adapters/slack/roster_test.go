package slack

import (
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
)

// rosterSlack is a fake Slack workspace for pairing rounds: channels with
// members (conversations.members, two per page to exercise the cursor),
// users with bot and deactivated flags (users.info, users.list), and
// group DMs (conversations.open, chat.postMessage).
type rosterSlack struct {
	srv *slacktest.Server

	mu       sync.Mutex
	channels map[string][]string
	users    map[string]map[string]any // users.info / users.list objects
	calls    map[string][]url.Values
}

func newRosterSlack(t *testing.T) *rosterSlack {
	t.Helper()
	f := &rosterSlack{channels: map[string][]string{}, users: map[string]map[string]any{}, calls: map[string][]url.Values{}}
	handle := func(method string, reply func(form url.Values) any) slacktest.Binder {
		return func(c slacktest.Customize) {
			c.Handle("/"+method, func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				form, _ := url.ParseQuery(string(body))
				f.mu.Lock()
				f.calls[method] = append(f.calls[method], form)
				resp := reply(form)
				f.mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(resp)
			})
		}
	}
	f.srv = slacktest.NewTestServer(
		handle("auth.test", func(url.Values) any {
			return map[string]any{"ok": true, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "lore"}
		}),
		handle("conversations.members", func(form url.Values) any {
			members, ok := f.channels[form.Get("channel")]
			if !ok {
				return map[string]any{"ok": false, "error": "channel_not_found"}
			}
			start := 0
			if c := form.Get("cursor"); c != "" {
				fmt.Sscanf(c, "page-%d", &start)
			}
			end := min(start+2, len(members))
			next := ""
			if end < len(members) {
				next = fmt.Sprintf("page-%d", end)
			}
			return map[string]any{"ok": true, "members": members[start:end], "response_metadata": map[string]any{"next_cursor": next}}
		}),
		handle("users.info", func(form url.Values) any {
			u, ok := f.users[form.Get("user")]
			if !ok {
				return map[string]any{"ok": false, "error": "user_not_found"}
			}
			return map[string]any{"ok": true, "user": u}
		}),
		handle("users.list", func(form url.Values) any {
			var ids []string
			for id := range f.users {
				if id != "UGUEST" { // a guest from another workspace is not listed
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			start := 0
			if c := form.Get("cursor"); c != "" {
				fmt.Sscanf(c, "users-%d", &start)
			}
			end := min(start+50, len(ids))
			next := ""
			if end < len(ids) {
				next = fmt.Sprintf("users-%d", end)
			}
			var page []any
			for _, id := range ids[start:end] {
				page = append(page, f.users[id])
			}
			return map[string]any{"ok": true, "members": page, "response_metadata": map[string]any{"next_cursor": next}}
		}),
		handle("conversations.open", func(form url.Values) any {
			return map[string]any{"ok": true, "channel": map[string]any{"id": "G" + strings.ReplaceAll(form.Get("users"), ",", "")}}
		}),
		handle("chat.postMessage", func(form url.Values) any {
			return map[string]any{"ok": true, "channel": form.Get("channel"), "ts": "1700000000.000100"}
		}),
	)
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *rosterSlack) addUser(id string, flags map[string]any) {
	u := map[string]any{"id": id, "name": strings.ToLower(id), "tz": "Europe/London"}
	for k, v := range flags {
		u[k] = v
	}
	f.mu.Lock()
	f.users[id] = u
	f.mu.Unlock()
}

func (f *rosterSlack) callsOf(method string) []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls[method])
}

// adapter returns an adapter on the fake, identified (auth.test done).
func (f *rosterSlack) adapter(t *testing.T, clock func() time.Time) *Adapter {
	t.Helper()
	st := openStore(t)
	a, err := New(Config{
		Mode: ModeSocket, AppToken: testAppToken, BotToken: testBotToken, APIURL: f.srv.GetAPIURL(),
		Clock:  clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, &fakeCore{}, Deps{Claims: st, People: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Identify(t.Context()); err != nil {
		t.Fatal(err)
	}
	return a
}

// A channel's roster is its human members: bots, app users, deactivated
// accounts, Slackbot and Lore itself are left out, every page of
// conversations.members is read, and a second round asks about nobody
// again.
func TestChannelMembersKeepsPeople(t *testing.T) {
	f := newRosterSlack(t)
	f.addUser("U1", nil)
	f.addUser("U2", nil)
	f.addUser("U3", nil)
	f.addUser("UBOT", map[string]any{"is_bot": true})
	f.addUser("UB2", map[string]any{"is_bot": true})
	f.addUser("UAPP", map[string]any{"is_app_user": true})
	f.addUser("UGONE", map[string]any{"deleted": true})
	f.addUser("USLACKBOT", nil)
	f.channels["C1"] = []string{"U1", "UBOT", "U2", "UB2", "UAPP", "UGONE", "USLACKBOT", "U3", "U1", "UNOBODY"}
	a := f.adapter(t, time.Now)

	got, err := a.ChannelMembers(t.Context(), "T1", "C1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"U1", "U2", "U3"}; !slices.Equal(got, want) {
		t.Fatalf("members %v, want %v", got, want)
	}
	if pages := len(f.callsOf("conversations.members")); pages != 5 {
		t.Errorf("%d conversations.members calls for 10 members two a page, want 5", pages)
	}
	if n := len(f.callsOf("users.list")); n != 0 {
		t.Errorf("users.list called %d times for a few unknown members", n)
	}
	infos := len(f.callsOf("users.info"))
	if _, err := a.ChannelMembers(t.Context(), "T1", "C1"); err != nil {
		t.Fatal(err)
	}
	if again := len(f.callsOf("users.info")); again != infos {
		t.Errorf("the second roster asked users.info %d more times; the cache should answer", again-infos)
	}
}

// Many unknown members are learnt from users.list, a page per 50 here,
// rather than one users.info each; someone users.list does not hold (a
// guest of a shared channel) is still asked about.
func TestChannelMembersListsLargeWorkspaces(t *testing.T) {
	f := newRosterSlack(t)
	var members []string
	for i := range 120 {
		id := fmt.Sprintf("U%03d", i)
		var flags map[string]any
		if i%10 == 0 {
			flags = map[string]any{"is_bot": true}
		}
		f.addUser(id, flags)
		members = append(members, id)
	}
	f.addUser("UGUEST", nil)
	f.channels["C2"] = append(members, "UGUEST")
	a := f.adapter(t, time.Now)

	got, err := a.ChannelMembers(t.Context(), "T1", "C2")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 109 || !slices.Contains(got, "UGUEST") || slices.Contains(got, "U010") {
		t.Fatalf("%d members (%v...), want 108 people and the guest, no bots", len(got), got[:min(5, len(got))])
	}
	if n := len(f.callsOf("users.list")); n != 3 {
		t.Errorf("users.list called %d times for 121 users at 50 a page, want 3", n)
	}
	if infos := f.callsOf("users.info"); len(infos) != 1 || infos[0].Get("user") != "UGUEST" {
		t.Errorf("users.info calls %v, want only the guest", infos)
	}
}

// Bad input is refused before any call; a channel Slack does not know is
// an error that names it.
func TestChannelMembersErrors(t *testing.T) {
	f := newRosterSlack(t)
	a := f.adapter(t, time.Now)
	for _, tc := range []struct{ workspace, channel, want string }{
		{"T1", "general", "not a Slack channel id"},
		{"T1", "", "not a Slack channel id"},
		{"T9", "C1", "not this app's"},
		{"T1", "C404", "channel_not_found"},
	} {
		_, err := a.ChannelMembers(t.Context(), tc.workspace, tc.channel)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ChannelMembers(%q, %q) = %v, want an error saying %q", tc.workspace, tc.channel, err, tc.want)
		}
	}
}

// slackPeers adapts one Slack adapter to the peer capability's Messenger
// and Roster, as lore serve's platform routers do.
type slackPeers struct{ a *Adapter }

func (p slackPeers) SendDirect(ctx context.Context, _, _ string, users []string, r bot.Reply) error {
	return p.a.SendDirect(ctx, users, r)
}

func (p slackPeers) ChannelMembers(ctx context.Context, _, workspace, channel string) ([]string, error) {
	return p.a.ChannelMembers(ctx, workspace, channel)
}

// A pairing round enabled for a Slack channel introduces the channel's
// human members to each other by group DM, in pairs, with nobody left out
// and no bot or deactivated account included.
func TestPairingRoundOnSlack(t *testing.T) {
	f := newRosterSlack(t)
	for _, id := range []string{"U1", "U2", "U3", "U4"} {
		f.addUser(id, nil)
	}
	f.addUser("UB2", map[string]any{"is_bot": true})
	f.addUser("UGONE", map[string]any{"deleted": true})
	f.channels["C1"] = []string{"U1", "UBOT", "U2", "UB2", "U3", "UGONE", "U4"}
	// Monday 09:00 UTC: the introductions of people without a time zone
	// (UTC) are due at once.
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := f.adapter(t, clock)
	st := openStore(t)
	svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: slackPeers{a}, Roster: slackPeers{a}, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.RoundConfig{Platform: "slack", Workspace: "T1", Channel: "C1", Enabled: true,
		Frequency: "weekly", GroupSize: 2, IntroHour: 9, AvoidRounds: 6}
	if err := st.PutRoundConfig(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	opens := f.callsOf("conversations.open")
	if len(opens) != 2 {
		t.Fatalf("%d conversations.open calls, want 2 group DMs: %v", len(opens), opens)
	}
	var introduced []string
	for _, o := range opens {
		users := strings.Split(o.Get("users"), ",")
		if len(users) != 2 {
			t.Errorf("group DM with %v, want a pair", users)
		}
		introduced = append(introduced, users...)
	}
	slices.Sort(introduced)
	if want := []string{"U1", "U2", "U3", "U4"}; !slices.Equal(introduced, want) {
		t.Fatalf("introduced %v, want every human member once: %v", introduced, want)
	}
	posts := f.callsOf("chat.postMessage")
	if len(posts) != 2 || !strings.HasPrefix(posts[0].Get("channel"), "G") || !strings.Contains(posts[0].Get("blocks")+posts[0].Get("text"), "pairing") {
		t.Fatalf("introductions %v", posts)
	}
	// Another tick in the same week sends nothing again.
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.callsOf("conversations.open")); n != 2 {
		t.Errorf("a second tick opened %d more conversations", n-2)
	}
}
