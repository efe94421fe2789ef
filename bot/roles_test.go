package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

func roleBot(t *testing.T) (*bot.Bot, store.Store) {
	t.Helper()
	st := openStore(t)
	dir, err := audience.NewRoleDirectory(audience.DirectoryConfig{Admins: "slack/UADM", Roles: "slack/T1/UCUR=curator", Grants: st})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: knowledge.New(st, knowledge.Options{}), Events: st, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	return b, st
}

func TestRoleCommands(t *testing.T) {
	b, st := roleBot(t)
	ctx := t.Context()
	admin := bot.Message{Platform: "slack", Workspace: "T1", Channel: "D1", User: "UADM", Direct: true}
	say := func(m bot.Message, text string) string {
		t.Helper()
		m.Text = text
		r := b.HandleMessage(ctx, m)
		if !r.Private {
			t.Errorf("%q: the reply is not private", text)
		}
		return r.Text
	}
	if got := say(admin, "role grant <@U0NEW|ann> leader"); !strings.Contains(got, "slack/T1/U0NEW is now a leader") {
		t.Fatalf("grant: %q", got)
	}
	if ok, err := b.HasRole(ctx, bot.Message{Platform: "slack", Workspace: "T1", User: "U0NEW"}, audience.RoleLeader); err != nil || !ok {
		t.Errorf("after the grant HasRole = %v, %v", ok, err)
	}
	if got := say(admin, "role grant <@U0NEW> leader"); !strings.Contains(got, "already") {
		t.Errorf("second grant: %q", got)
	}
	if got := say(admin, "roles"); !strings.Contains(got, "slack/UADM (configuration)") || !strings.Contains(got, "slack/T1/UCUR (configuration)") ||
		!strings.Contains(got, "slack/T1/U0NEW (granted by slack/T1/UADM") {
		t.Errorf("roles: %q", got)
	}
	for text, want := range map[string]string{
		"role grant <@U0NEW> boss":       `"boss" is not a role`,
		"role grant <@U0NEW> learner":    "Everyone is a learner already",
		"role grant <@U0NEW>":            "Say `role grant @person ROLE`",
		"role grant no/such/who/x admin": "I can't tell who",
		"role revoke <@UCUR> curator":    "no curator role granted here",
	} {
		if got := say(admin, text); !strings.Contains(got, want) {
			t.Errorf("%q: %q, want %q in it", text, got, want)
		}
	}
	if got := say(admin, "role revoke <@U0NEW> leader"); !strings.Contains(got, "no longer a leader") {
		t.Errorf("revoke: %q", got)
	}
	log, err := st.AuditLog(ctx, store.AuditFilter{Action: "role"})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != store.AuditRoleRevoke || log[1].Action != store.AuditRoleGrant ||
		log[1].Actor != "slack/T1/UADM" || log[1].Target != "slack/T1/U0NEW" || log[1].Detail != "leader" {
		t.Errorf("audit log = %+v", log)
	}

	// A curator is not an admin: refused plainly, with the admins named.
	curator := bot.Message{Platform: "slack", Workspace: "T1", Channel: "D2", User: "UCUR", Direct: true}
	got := say(curator, "role grant <@U0NEW> admin")
	if !strings.Contains(got, "Only admins can grant and revoke roles; ask one of: slack/UADM.") || !strings.Contains(got, "Your roles: learner, curator.") {
		t.Errorf("refusal: %q", got)
	}
	if got := say(curator, "roles"); !strings.Contains(got, "Only admins can see everyone's roles") {
		t.Errorf("roles refusal: %q", got)
	}
	if log, _ := st.AuditLog(ctx, store.AuditFilter{}); len(log) != 2 {
		t.Errorf("a refused command was audited: %+v", log)
	}
	// A question that starts with the word is still a question.
	if r := b.HandleMessage(ctx, bot.Message{Platform: "slack", Workspace: "T1", User: "UCUR", Text: "role of HR in hiring?"}); strings.Contains(r.Text, "Only admins") {
		t.Errorf("a question was taken for a command: %q", r.Text)
	}
}

func TestHasRoleAdminImpliesAll(t *testing.T) {
	b, _ := roleBot(t)
	for _, c := range []struct {
		user, role string
		want       bool
	}{
		{"UADM", audience.RoleCurator, true}, {"UADM", audience.RoleLeader, true},
		{"UCUR", audience.RoleCurator, true}, {"UCUR", audience.RoleAdmin, false},
		{"UX", audience.RoleLearner, true}, {"UX", audience.RoleCurator, false},
	} {
		ok, err := b.HasRole(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", User: c.user}, c.role)
		if err != nil || ok != c.want {
			t.Errorf("HasRole(%s, %s) = %v, %v; want %v", c.user, c.role, ok, err, c.want)
		}
	}
	if r := b.Refusal(t.Context(), audience.RoleCurator, "approve documents"); !strings.Contains(r.Text, "Only curators can approve documents; ask one of: slack/T1/UCUR, slack/UADM.") || !r.Private {
		t.Errorf("refusal = %+v", r)
	}
	// Without a directory nobody holds a role, and the refusal says whom to ask.
	if ok, err := bot.SenderHasRole(t.Context(), nil, bot.Message{Platform: "slack", User: "UADM"}, audience.RoleCurator); ok || err != nil {
		t.Errorf("no directory: HasRole = %v, %v", ok, err)
	}
	if r := bot.RoleRefusal(t.Context(), nil, audience.RoleCurator, "approve documents", nil); r.Text != "Only curators can approve documents. Ask whoever runs Lore to give you the role." {
		t.Errorf("refusal without a directory = %q", r.Text)
	}
}

func TestMentionedPerson(t *testing.T) {
	slack := bot.Message{Platform: "slack", Workspace: "T1"}
	discord := bot.Message{Platform: "discord", Workspace: "G1"}
	shell := bot.Message{Platform: "shell"}
	for _, c := range []struct {
		msg  bot.Message
		in   string
		want string
	}{
		{slack, "<@U012AB3CD>", "slack/T1/U012AB3CD"},
		{slack, "<@U012AB3CD|ann>", "slack/T1/U012AB3CD"},
		{discord, "<@!80351110224678912>", "discord/80351110224678912"},
		{discord, "<@80351110224678912>", "discord/80351110224678912"},
		{shell, "@ann", "shell/ann"},
		{slack, "discord/G2/42", "discord/G2/42"},
	} {
		got, err := bot.MentionedPerson(c.msg, c.in)
		if err != nil || got.String() != c.want {
			t.Errorf("MentionedPerson(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := bot.MentionedPerson(discord, "@ann"); err == nil {
		t.Error("a Discord name typed as text was taken for an id")
	}
	if got, err := bot.MentionedPerson(slack, "U012AB3CD"); err != nil || got.String() != "slack/T1/U012AB3CD" {
		t.Errorf("a bare Slack id = %v, %v", got, err)
	}
	for _, bad := range []string{"<@>", "@", "a b", "slack/a/b/c", "<@U1 x>", "@ann", "ann"} {
		if _, err := bot.MentionedPerson(slack, bad); err == nil {
			t.Errorf("MentionedPerson(%q) accepted it", bad)
		}
	}
}

// auditDown is a store whose audit log cannot be written.
type auditDown struct{ store.Store }

func (auditDown) RecordAudit(context.Context, store.AuditEntry) error {
	return errors.New("disk full")
}

// A role changed but not audited is reported as changed, with the gap.
func TestRoleChangeWithoutAudit(t *testing.T) {
	st := openStore(t)
	dir, err := audience.NewRoleDirectory(audience.DirectoryConfig{Admins: "slack/UADM", Grants: auditDown{st}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: knowledge.New(st, knowledge.Options{}), Events: st, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := b.HandleMessage(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", User: "UADM", Direct: true, Text: "role grant <@U2> curator"})
	if !strings.Contains(r.Text, "slack/T1/U2 is now a curator, but recording it in the audit log failed") {
		t.Errorf("reply = %q", r.Text)
	}
	if ok, _ := b.HasRole(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", User: "U2"}, audience.RoleCurator); !ok {
		t.Error("the grant did not stand")
	}
}
