package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Roles of the fake guild: Lore's own (managed, held by Lore), another
// bot's (managed, not held), and a plain role Lore was given.
const (
	loreRole  = "7001"
	otherBot  = "7002"
	plainRole = "7003"
)

func guildRoles() []map[string]any {
	return []map[string]any{
		{"id": testGuild, "name": "@everyone"},
		{"id": loreRole, "name": "Lore", "managed": true},
		{"id": otherBot, "name": "Helper", "managed": true},
		{"id": plainRole, "name": "Bots", "managed": false},
	}
}

func loreMember() map[string]any {
	return map[string]any{"user": map[string]any{"id": testBot, "username": "Lore", "bot": true}, "roles": []string{loreRole, plainRole}}
}

// setGuildRoles makes the fake answer for the guild's roles and, with
// member, for Lore's member.
func setGuildRoles(f *fakeDiscord, member bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roles = map[string][]map[string]any{testGuild: guildRoles()}
	f.members = map[string]map[string]any{}
	if member {
		f.members[testGuild+"/"+testBot] = loreMember()
	}
}

// roleMessage is a MESSAGE_CREATE payload as Discord sends it when someone
// picks a role from the @ list: the role in mention_roles, no user mention.
func roleMessage(t *testing.T, id, content string, roles ...string) *discordgo.Message {
	t.Helper()
	payload, err := json.Marshal(map[string]any{
		"id": id, "type": 0, "channel_id": "4444", "guild_id": testGuild, "content": content,
		"author": map[string]any{"id": "6666", "username": "alice"}, "mentions": []any{}, "mention_roles": roles,
		"member": map[string]any{"roles": []string{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var m discordgo.Message
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestLoreRoleMentionIsAMention: a mention of Lore's managed role is
// answered like a mention of Lore, without the role in the question; other
// roles are not. Lore's roles are read once through the REST API.
func TestLoreRoleMentionIsAMention(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	setGuildRoles(f, true)
	var log testLog
	core := &fakeCore{}
	a := newTestAdapter(t, testConfig(f, &log), core)
	ctx := context.Background()

	for _, c := range []struct {
		name string
		msg  *discordgo.Message
		want string // the question the core gets; "" for none
	}{
		{"Lore's role", roleMessage(t, "1", "<@&"+loreRole+"> vpn?", loreRole), "vpn?"},
		{"another bot's managed role", roleMessage(t, "2", "<@&"+otherBot+"> vpn?", otherBot), ""},
		{"a plain role Lore holds", roleMessage(t, "3", "<@&"+plainRole+"> vpn?", plainRole), ""},
		{"Lore's role among others", roleMessage(t, "4", "<@&"+otherBot+"> and <@&"+loreRole+"> how do I reset my password?", otherBot, loreRole), "<@&" + otherBot + "> and  how do I reset my password?"},
		{"Lore and its role", func() *discordgo.Message {
			m := roleMessage(t, "5", "<@"+testBot+"> <@&"+loreRole+"> expenses?", loreRole)
			m.Mentions = []*discordgo.User{{ID: testBot}}
			return m
		}(), "expenses?"},
	} {
		before := len(core.gotMessages())
		a.handleMessage(ctx, c.msg)
		got := core.gotMessages()
		switch {
		case c.want == "" && len(got) > before:
			t.Errorf("%s: answered %q, want no answer", c.name, got[len(got)-1].Text)
		case c.want != "" && len(got) == before:
			t.Errorf("%s: not answered", c.name)
		case c.want != "" && got[len(got)-1].Text != c.want:
			t.Errorf("%s: the core got %q, want %q", c.name, got[len(got)-1].Text, c.want)
		}
	}
	if n, m := len(f.recorded(http.MethodGet, reGuildRoles)), len(f.recorded(http.MethodGet, reGuildMemb)); n != 1 || m != 1 {
		t.Errorf("Lore's roles read %d and its member %d times, want once each (cached): %s", n, m, f.dump())
	}
	f.checkNoMentions(t)
}

// TestLoreRoleLookupFailureIsNoMention: when Lore's roles cannot be read,
// a role mention is not taken for Lore, the failure is logged without the
// token, and the API is not asked again at once.
func TestLoreRoleLookupFailureIsNoMention(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0})
	setGuildRoles(f, false)
	f.setFail(func(r recorded) (int, string, bool) {
		if reGuildMemb.MatchString(r.Path) {
			return http.StatusForbidden, `{"message":"Missing Access","code":50001}`, true
		}
		return 0, "", false
	})
	var log testLog
	core := &fakeCore{}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := newTestAdapter(t, testConfig(f, &log), core)
	a.now = func() time.Time { return now }
	a.handleMessage(context.Background(), roleMessage(t, "1", "<@&"+loreRole+"> vpn?", loreRole))
	a.handleMessage(context.Background(), roleMessage(t, "2", "<@&"+loreRole+"> vpn?", loreRole))
	if got := core.gotMessages(); len(got) != 0 {
		t.Errorf("answered %+v although Lore's roles could not be read", got)
	}
	if n := len(f.recorded(http.MethodGet, reGuildMemb)); n != 1 {
		t.Errorf("Lore's member asked for %d times, want 1 within a minute", n)
	}
	if l := log.String(); !strings.Contains(l, "Missing Access") || !strings.Contains(l, "role mention") {
		t.Errorf("the failure is not logged: %s", l)
	}
	checkNoToken(t, "log", log.String())

	// Once the retry delay is over, a working API is asked again.
	f.setFail(nil)
	setGuildRoles(f, true)
	now = now.Add(2 * selfRolesRetry)
	a.handleMessage(context.Background(), roleMessage(t, "3", "<@&"+loreRole+"> vpn?", loreRole))
	if got := core.gotMessages(); len(got) != 1 || got[0].Text != "vpn?" {
		t.Errorf("after the retry delay: core got %+v", got)
	}
}

// TestLoreRoleFromGatewayState: with the guild's roles and Lore's member
// known from GUILD_CREATE, a mention of Lore's role costs no REST look-up.
func TestLoreRoleFromGatewayState(t *testing.T) {
	f := newFakeDiscord(t)
	f.setChannel("4444", map[string]any{"type": 0, "guild_id": testGuild})
	var log testLog
	core := &fakeCore{}
	a := newTestAdapter(t, testConfig(f, &log), core)
	runAdapter(t, f, a)
	f.dispatch(t, "GUILD_CREATE", map[string]any{
		"id": testGuild, "name": "Acme", "roles": guildRoles(), "members": []any{loreMember()}, "channels": []any{},
	})
	f.dispatch(t, "MESSAGE_CREATE", map[string]any{
		"id": "8001", "type": 0, "channel_id": "4444", "guild_id": testGuild, "content": "<@&" + otherBot + "> vpn?",
		"author": map[string]any{"id": "6666", "username": "alice"}, "mention_roles": []string{otherBot},
	})
	f.dispatch(t, "MESSAGE_CREATE", map[string]any{
		"id": "8002", "type": 0, "channel_id": "4444", "guild_id": testGuild, "content": "<@&" + loreRole + "> how much leave do I get?",
		"author": map[string]any{"id": "6666", "username": "alice"}, "mention_roles": []string{loreRole},
	})
	f.waitFor(t, 1, http.MethodPost, regexp.MustCompile(`^/api/v9/channels/8002/messages$`))
	got := core.gotMessages()
	if len(got) != 1 || got[0].Text != "how much leave do I get?" {
		t.Errorf("core got %+v, want only the question to Lore's role", got)
	}
	if n := len(f.recorded("", reGuildRoles)) + len(f.recorded("", reGuildMemb)); n != 0 {
		t.Errorf("%d REST look-ups although the state knew Lore's roles: %s", n, f.dump())
	}
}
