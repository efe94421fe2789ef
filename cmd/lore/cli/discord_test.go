package cli_test

import (
	"net/url"
	"strings"
	"testing"
)

func TestDiscordInvite(t *testing.T) {
	r := run(t, "discord", "invite", "--app-id", "123456789012345678", "--guild", "42")
	r.wantCode(t, 0)
	var link string
	for _, f := range strings.Fields(r.out) {
		if strings.HasPrefix(f, "https://discord.com/oauth2/authorize?") {
			link = f
		}
	}
	u, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no invite URL in:\n%s", r.out)
	}
	q := u.Query()
	if q.Get("client_id") != "123456789012345678" || q.Get("scope") != "bot applications.commands" || q.Get("permissions") != "377957239808" || q.Get("guild_id") != "42" {
		t.Errorf("invite query = %v", q)
	}
	if !strings.Contains(r.out, "377957239808") || !strings.Contains(r.out, "Message Content") {
		t.Errorf("output lacks the permissions integer or the intents:\n%s", r.out)
	}
}

func TestDiscordInviteFromEnvironment(t *testing.T) {
	t.Setenv("LORE_DISCORD_APP_ID", "987")
	r := run(t, "discord", "invite")
	r.wantCode(t, 0)
	if !strings.Contains(r.out, "client_id=987") {
		t.Errorf("output:\n%s", r.out)
	}
}

func TestDiscordInviteBadInput(t *testing.T) {
	t.Setenv("LORE_DISCORD_APP_ID", "")
	for _, args := range [][]string{
		{"discord", "invite"},
		{"discord", "invite", "--app-id", "my-app"},
		{"discord", "invite", "--app-id", "1", "--guild", "x"},
		{"discord"},
		{"discord", "nonsense"},
	} {
		r := run(t, args...)
		r.wantCode(t, 2)
		if r.err == "" {
			t.Errorf("%v: no message", args)
		}
	}
}
