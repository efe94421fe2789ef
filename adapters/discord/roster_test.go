package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// rosterTransport answers Discord REST requests from recorded payloads in
// testdata/roster: channels, the guild, and guild members, paginated by
// ?after= as Discord does. extraMembers are appended to the recorded ones.
type rosterTransport struct {
	t            *testing.T
	extraMembers []map[string]any
	membersFail  int // status for the members list, 0 for none

	mu       sync.Mutex
	requests []string
}

func (rt *rosterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.requests = append(rt.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	rt.mu.Unlock()
	respond := func(status int, body []byte) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	}
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "roster", name))
		if err != nil {
			rt.t.Errorf("no recorded payload %s", name)
		}
		return b
	}
	p := strings.TrimPrefix(r.URL.Path, "/api/v9")
	switch {
	case strings.HasPrefix(p, "/channels/"):
		name := "channel-" + strings.TrimPrefix(p, "/channels/") + ".json"
		if _, err := os.Stat(filepath.Join("testdata", "roster", name)); err != nil {
			return respond(404, []byte(`{"message": "Unknown Channel", "code": 10003}`))
		}
		return respond(200, file(name))
	case p == "/guilds/2222":
		return respond(200, file("guild.json"))
	case p == "/guilds/2222/members":
		if rt.membersFail != 0 {
			return respond(rt.membersFail, []byte(`{"message": "Missing Access", "code": 50001}`))
		}
		var all []map[string]any
		if err := json.Unmarshal(file("members.json"), &all); err != nil {
			rt.t.Fatal(err)
		}
		all = append(all, rt.extraMembers...)
		after := r.URL.Query().Get("after")
		limit := 1
		fmt.Sscan(r.URL.Query().Get("limit"), &limit)
		var page []map[string]any
		for _, m := range all {
			id := m["user"].(map[string]any)["id"].(string)
			if (after == "" || len(id) > len(after) || (len(id) == len(after) && id > after)) && len(page) < limit {
				page = append(page, m)
			}
		}
		b, _ := json.Marshal(page)
		return respond(200, b)
	}
	return respond(404, []byte(`{"message": "404: Not Found", "code": 0}`))
}

func (rt *rosterTransport) count(prefix string) int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	n := 0
	for _, r := range rt.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func rosterAdapter(t *testing.T, rt *rosterTransport) *Adapter {
	t.Helper()
	var log testLog
	a, err := New(Config{Token: testToken, AppID: testApp, Logger: log.logger(),
		HTTPClient: &http.Client{Timeout: 5 * time.Second, Transport: rt}}, &fakeCore{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		checkNoToken(t, "the log", log.String())
	})
	return a
}

// A channel's roster is the guild's members who may view it, by roles and
// the channel's overwrites: the owner, a role allowed in, an
// administrator, a member allowed by name, and a member with one role
// allowed and one denied (allows win among roles). Left out: @everyone
// denied, a member denied by name, a bot, a member pending screening. A
// thread's roster is its channel's.
func TestDiscordChannelMembersByPermissions(t *testing.T) {
	rt := &rosterTransport{t: t}
	a := rosterAdapter(t, rt)
	want := []string{"4001", "4002", "4004", "4005", "4009"}
	for _, channel := range []string{"7001", "7002"} {
		got, err := a.ChannelMembers(t.Context(), "2222", channel)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("members of %s: %v, want %v", channel, got, want)
		}
	}
}

// Guild members are read a thousand at a time until a short page.
func TestDiscordChannelMembersPaginates(t *testing.T) {
	rt := &rosterTransport{t: t}
	for i := range 1500 {
		rt.extraMembers = append(rt.extraMembers, map[string]any{
			"user":  map[string]any{"id": fmt.Sprint(600000 + i), "username": fmt.Sprintf("p%d", i)},
			"roles": []string{"5001"}, "joined_at": "2025-01-01T00:00:00+00:00",
		})
	}
	a := rosterAdapter(t, rt)
	got, err := a.ChannelMembers(t.Context(), "2222", "7001")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1505 {
		t.Fatalf("%d members, want 1505", len(got))
	}
	if n := rt.count("GET /api/v9/guilds/2222/members"); n != 2 {
		t.Errorf("%d member pages read for 1509 members, want 2", n)
	}
}

// Bad ids are refused before any request; a channel of another guild, an
// unknown channel and a missing Server Members intent are errors that say
// so, without the token.
func TestDiscordChannelMembersErrors(t *testing.T) {
	for _, tc := range []struct {
		guild, channel string
		fail           int
		want           string
	}{
		{"2222", "general", 0, "must be Discord ids"},
		{"", "7001", 0, "must be Discord ids"},
		{"2222", "8001", 0, "not in guild 2222"},
		{"2222", "7404", 0, "Unknown Channel"},
		{"2222", "7001", 403, "Missing Access"},
	} {
		rt := &rosterTransport{t: t, membersFail: tc.fail}
		a := rosterAdapter(t, rt)
		_, err := a.ChannelMembers(t.Context(), tc.guild, tc.channel)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), testToken) {
			t.Errorf("ChannelMembers(%q, %q) = %v, want an error saying %q", tc.guild, tc.channel, err, tc.want)
		}
	}
}

// joinRecorder is a JoinHandler that records joins.
type joinRecorder struct {
	mu    sync.Mutex
	joins []bot.Join
	seen  chan struct{}
}

func (r *joinRecorder) HandleJoin(_ context.Context, j bot.Join) error {
	r.mu.Lock()
	r.joins = append(r.joins, j)
	r.mu.Unlock()
	r.seen <- struct{}{}
	return nil
}

// With the Server Members intent configured, Lore asks for it when it
// identifies, and a recorded GUILD_MEMBER_ADD of a person reaches the core
// as a join of the guild, once even when redelivered; a bot's does not.
func TestDiscordGuildMemberAddIsAJoin(t *testing.T) {
	f := newFakeDiscord(t)
	var log testLog
	cfg := testConfig(f, &log)
	cfg.GuildMembers = true
	rec := &joinRecorder{seen: make(chan struct{}, 4)}
	a, err := New(cfg, &fakeCore{}, Deps{Joins: rec})
	if err != nil {
		t.Fatal(err)
	}
	// Events are handled in order, one at a time, so that once the last
	// join is seen the earlier events have all been handled.
	a.session.SyncEvents = true
	runAdapter(t, f, a)
	var ident struct {
		D struct {
			Intents int `json:"intents"`
		} `json:"d"`
	}
	if err := json.Unmarshal(f.identified(), &ident); err != nil || ident.D.Intents&(1<<1) == 0 {
		t.Fatalf("identify intents %b lack GUILD_MEMBERS although configured (%v)", ident.D.Intents, err)
	}
	read := func(name string) []byte {
		raw, err := os.ReadFile(filepath.Join("testdata", "roster", name))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	later := bytes.Replace(read("guild_member_add.json"), []byte(`"4100"`), []byte(`"4102"`), 1)
	for _, raw := range [][]byte{read("guild_member_add_bot.json"), read("guild_member_add.json"), read("guild_member_add.json"), later} {
		f.dispatch(t, "GUILD_MEMBER_ADD", json.RawMessage(raw))
	}
	for range 2 {
		select {
		case <-rec.seen:
		case <-time.After(10 * time.Second):
			t.Fatal("the joins did not reach the core")
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := []bot.Join{{Platform: "discord", Workspace: "2222", User: "4100"}, {Platform: "discord", Workspace: "2222", User: "4102"}}
	if !slices.Equal(rec.joins, want) {
		t.Fatalf("joins %+v, want %+v", rec.joins, want)
	}
}

// splitTransport sends guild requests to the recorded roster and the rest
// to the fake Discord.
type splitTransport struct {
	guild *rosterTransport
	rest  http.RoundTripper
}

func (s splitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/api/v9/guilds/") {
		return s.guild.RoundTrip(r)
	}
	return s.rest.RoundTrip(r)
}

// discordPeers adapts the adapter to the peer capability, as lore serve's
// platform routers do.
type discordPeers struct{ a *Adapter }

func (p discordPeers) SendDirect(ctx context.Context, _, _ string, users []string, r bot.Reply) error {
	return p.a.SendDirect(ctx, users, r)
}

func (p discordPeers) ChannelMembers(ctx context.Context, _, guild, channel string) ([]string, error) {
	return p.a.ChannelMembers(ctx, guild, channel)
}

// A pairing round enabled for a Discord channel groups the people who can
// view it and introduces each group in a private thread of the group
// channel, everyone added to their group's thread, nobody else.
func TestPairingRoundOnDiscord(t *testing.T) {
	f := newFakeDiscord(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "roster", "channel-7001.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ch map[string]any
	if err := json.Unmarshal(raw, &ch); err != nil {
		t.Fatal(err)
	}
	f.setChannel("7001", ch)
	var log testLog
	cfg := testConfig(f, &log)
	cfg.GroupChannelID = "7500"
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second, Transport: splitTransport{guild: &rosterTransport{t: t}, rest: f.client().Transport}}
	a := newTestAdapter(t, cfg, &fakeCore{})

	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // people without a zone: UTC, due at once
	svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: discordPeers{a}, Roster: discordPeers{a}, Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutRoundConfig(t.Context(), store.RoundConfig{Platform: "discord", Workspace: "2222", Channel: "7001", Enabled: true,
		Frequency: "weekly", GroupSize: 2, IntroHour: 9, AvoidRounds: 6}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	threads := f.recorded(http.MethodPost, regexp.MustCompile(`^/api/v9/channels/7500/threads$`))
	if len(threads) != 2 {
		t.Fatalf("%d private threads for 5 people, want 2 (a pair and a group of three): %s", len(threads), f.dump())
	}
	var added []string
	for _, r := range f.recorded(http.MethodPut, reMember) {
		added = append(added, reMember.FindStringSubmatch(r.Path)[2])
	}
	slices.Sort(added)
	if want := []string{"4001", "4002", "4004", "4005", "4009"}; !slices.Equal(added, want) {
		t.Fatalf("added to threads %v, want %v", added, want)
	}
	if posts := f.recorded(http.MethodPost, reMessages); len(posts) < 2 || !strings.Contains(string(posts[0].Body), "pairing") {
		t.Fatalf("introductions %v", posts)
	}
}
