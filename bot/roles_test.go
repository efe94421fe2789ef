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
		"role grant no/such/who/x admin": "lore roles grant",
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
	discordDM := bot.Message{Platform: "discord"}
	shell := bot.Message{Platform: "shell"}
	for _, c := range []struct {
		msg  bot.Message
		in   string
		want string
	}{
		{slack, "<@U012AB3CD>", "slack/T1/U012AB3CD"},
		{slack, "<@U012AB3CD|ann>", "slack/T1/U012AB3CD"},
		{slack, "<@W012AB3CD>", "slack/T1/W012AB3CD"},
		{discord, "<@!80351110224678912>", "discord/80351110224678912"},
		{discord, "<@80351110224678912>", "discord/80351110224678912"},
		{discordDM, "<@80351110224678912>", "discord/80351110224678912"},
		{shell, "@ann", "shell/ann"},
		{shell, "ann", "shell/ann"},
		// The terminal chat's user can run lore roles grant anyway.
		{shell, "slack/T2/U9", "slack/T2/U9"},
	} {
		got, err := bot.MentionedPerson(c.msg, c.in)
		if err != nil || got.String() != c.want {
			t.Errorf("MentionedPerson(%+v, %q) = %v, %v; want %s", c.msg, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct {
		msg  bot.Message
		in   string
		want string // in the refusal
	}{
		// Names typed as text, upper-case ones too, and bare ids are not
		// mentions.
		{slack, "@ann", "pick them from the list"},
		{slack, "@WALTER", "pick them from the list"},
		{slack, "WALTER", "pick them from the list"},
		{slack, "U012AB3CD", "pick them from the list"},
		{discord, "@ann", "pick them from the list"},
		{discord, "80351110224678912", "pick them from the list"},
		{slack, "<@>", "is not a mention of a Slack user"},
		{slack, "<@U1 x>", "is not a mention of a Slack user"},
		// A mention of the other platform's shape.
		{slack, "<@80351110224678912>", "is not a mention of a Slack user"},
		{discord, "<@U012AB3CD>", "is not a mention of a Discord user"},
		// Platform-wide and cross-platform people: the command line only.
		{slack, "slack/U9", "lore roles grant"},
		{slack, "slack/T2/U9", "lore roles grant"},
		{slack, "discord/80351110224678912", "lore roles grant"},
		{discord, "discord/80351110224678912", "lore roles grant"},
		{discord, "slack/T1/U9", "lore roles grant"},
		{discord, "discord/G1/80351110224678912", "lore roles grant"},
		// A Slack message without its workspace would grant in every one.
		{bot.Message{Platform: "slack"}, "<@U012AB3CD>", "which Slack workspace"},
		{shell, "a b", "I can't tell who"},
		{shell, "slack/a/b/c", "I can't tell who"},
		{bot.Message{}, "@ann", "I can't tell who"},
	} {
		got, err := bot.MentionedPerson(c.msg, c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("MentionedPerson(%+v, %q) = %v, %v; want a refusal with %q", c.msg, c.in, got, err, c.want)
		}
	}
}

// TestRoleGrantsFromChatAreScoped: an admin in one Slack workspace grants
// roles in that workspace only; a platform-wide or other-platform grant,
// or a typed name, is refused with the reason, and nothing is granted.
func TestRoleGrantsFromChatAreScoped(t *testing.T) {
	b, st := roleBot(t)
	ctx := t.Context()
	say := func(m bot.Message, text string) string {
		t.Helper()
		m.Text = text
		return b.HandleMessage(ctx, m).Text
	}
	admin := bot.Message{Platform: "slack", Workspace: "T1", Channel: "C1", User: "UADM"}
	for text, want := range map[string]string{
		"role grant slack/U9 admin":                  "lore roles grant",
		"role grant slack/T2/U9 admin":               "lore roles grant",
		"role grant discord/80351110224678912 admin": "lore roles grant",
		"role grant @WALTER curator":                 "pick them from the list",
		"role grant U9ABC curator":                   "pick them from the list",
		"role revoke slack/T1/UCUR curator":          "lore roles grant",
	} {
		if got := say(admin, text); !strings.Contains(got, want) {
			t.Errorf("%q: %q, want %q in it", text, got, want)
		}
	}
	if gs, err := st.RoleGrants(ctx, store.RoleGrantFilter{}); err != nil || len(gs) != 0 {
		t.Errorf("grants after refusals = %+v, %v", gs, err)
	}
	if log, _ := st.AuditLog(ctx, store.AuditFilter{}); len(log) != 0 {
		t.Errorf("a refused command was audited: %+v", log)
	}

	// A mention is granted in the sender's workspace, and holds there only.
	if got := say(admin, "role grant <@U9ABC> curator"); !strings.Contains(got, "slack/T1/U9ABC is now a curator") {
		t.Fatalf("grant: %q", got)
	}
	if got := say(admin, "role grant <@W9ABD|dee> admin"); !strings.Contains(got, "slack/T1/W9ABD is now an admin") {
		t.Errorf("grant: %q", got)
	}
	for workspace, want := range map[string]bool{"T1": true, "T2": false} {
		ok, err := b.HasRole(ctx, bot.Message{Platform: "slack", Workspace: workspace, User: "U9ABC"}, audience.RoleCurator)
		if err != nil || ok != want {
			t.Errorf("curator in %s = %v, %v; want %v", workspace, ok, err, want)
		}
	}

	// Discord grants are stored without a server, as documented.
	discordAdmin := bot.Message{Platform: "discord", Workspace: "G1", Channel: "C1", User: "80351110224678900"}
	if _, err := st.GrantRole(ctx, store.RoleGrant{Platform: "discord", User: "80351110224678900", Role: audience.RoleAdmin, GrantedBy: "cli:test"}); err != nil {
		t.Fatal(err)
	}
	if got := say(discordAdmin, "role grant <@!80351110224678912> leader"); !strings.Contains(got, "discord/80351110224678912 is now a leader") {
		t.Errorf("Discord grant: %q", got)
	}
	gs, err := st.RoleGrants(ctx, store.RoleGrantFilter{Platform: "discord", User: "80351110224678912"})
	if err != nil || len(gs) != 1 || gs[0].Workspace != "" || gs[0].Role != audience.RoleLeader {
		t.Errorf("Discord grant stored as %+v, %v; want one leader grant without a server", gs, err)
	}
	if got := say(discordAdmin, "role grant slack/T1/U9ABC admin"); !strings.Contains(got, "lore roles grant") {
		t.Errorf("cross-platform grant from Discord: %q", got)
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
	r := b.HandleMessage(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", User: "UADM", Direct: true, Text: "role grant <@U0002> curator"})
	if !strings.Contains(r.Text, "slack/T1/U0002 is now a curator, but recording it in the audit log failed") {
		t.Errorf("reply = %q", r.Text)
	}
	if ok, _ := b.HasRole(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", User: "U0002"}, audience.RoleCurator); !ok {
		t.Error("the grant did not stand")
	}
}
