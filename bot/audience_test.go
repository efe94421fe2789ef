package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// The bot hands knowledge both limits of a question: the asker's
// audience, from their groups, and the channel's collections.
func TestBotAnswersWithinAudienceAndChannel(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	if err := st.SetCollection(ctx, store.Collection{Name: "payroll", Audience: "group:hr"}); err != nil {
		t.Fatal(err)
	}
	svc := knowledge.New(st, knowledge.Options{})
	for coll, files := range map[string]fstest.MapFS{
		"payroll":  {"bands.md": {Data: []byte("# Salary bands\n\nThe salary band of a senior engineer is 90,000 to 110,000 euros a year.\n")}},
		"handbook": {"pay.md": {Data: []byte("# Pay day\n\nSalaries are paid on the 25th of each month; a senior engineer's salary arrives the same day.\n")}},
	} {
		if _, err := svc.IngestFS(ctx, files, coll, coll); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := audience.NewStatic("", "hr=slack/T1/U1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: svc, Events: st, Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	const q = "What is the salary band of a senior engineer?"
	for _, tc := range []struct {
		name string
		msg  bot.Message
		want bool // cites the payroll document
	}{
		{"hr member, direct message", bot.Message{Platform: "slack", Workspace: "T1", User: "U1", Channel: "D1", Direct: true}, true},
		{"outsider, direct message", bot.Message{Platform: "slack", Workspace: "T1", User: "U2", Channel: "D2", Direct: true}, false},
		{"hr member, channel", bot.Message{Platform: "slack", Workspace: "T1", User: "U1", Channel: "C1"}, false},
		{"hr member, direct message limited to the handbook", bot.Message{Platform: "slack", Workspace: "T1", User: "U1", Channel: "D1", Direct: true, Collections: []string{"handbook"}}, false},
		{"the operator", bot.Message{Platform: "cli", User: "root", Channel: "cli", Direct: true, Operator: true}, true},
	} {
		tc.msg.Text = q
		r := b.Ask(ctx, tc.msg)
		got := slices.ContainsFunc(r.Citations, func(c bot.Citation) bool { return c.Source == "payroll/bands.md" })
		if got != tc.want {
			t.Errorf("%s: cites payroll = %v, want %v (%q, %+v)", tc.name, got, tc.want, r.Text, r.Citations)
		}
		if !tc.want && strings.Contains(r.Text, "110,000") {
			t.Errorf("%s: quotes the payroll document: %q", tc.name, r.Text)
		}
	}
}

type failingDirectory struct{}

func (failingDirectory) Membership(context.Context, string, string, string) (audience.Membership, error) {
	return audience.Membership{}, errors.New("directory down")
}

// When the asker's groups cannot be looked up, nothing is answered rather
// than answering as if they had none or all.
func TestBotRefusesWhenDirectoryFails(t *testing.T) {
	st := openStore(t)
	svc := knowledge.New(st, knowledge.Options{})
	b, err := bot.New(bot.Config{Knowledge: svc, Events: st, Directory: failingDirectory{}})
	if err != nil {
		t.Fatal(err)
	}
	r := b.Ask(t.Context(), bot.Message{Platform: "slack", User: "U1", Channel: "D1", Direct: true, Text: "How long is parental leave?"})
	if r.Grounded || len(r.Citations) > 0 || !strings.Contains(r.Text, "went wrong") {
		t.Errorf("reply with a failing directory: %+v", r)
	}
}

// askOnly has the knowledge service's Ask alone, which answers from every
// document: no scoped asking.
type askOnly struct {
	svc   *knowledge.Service
	asked int
}

func (k *askOnly) Ask(ctx context.Context, q string) (knowledge.Answer, error) {
	k.asked++
	return k.svc.Ask(ctx, q)
}

// scopingAskOnly is an askOnly that also knows the collection audiences.
type scopingAskOnly struct{ *askOnly }

func (k scopingAskOnly) Scope(ctx context.Context, r audience.Reader, limit []string) (store.Scope, error) {
	return k.svc.Scope(ctx, r, limit)
}

// A knowledge capability that cannot limit an answer to the asker's scope
// answers only those who may see every document; anyone else is told
// plainly, the refusal is logged for admins, and nothing is searched.
func TestBotRefusesWhenKnowledgeCannotScope(t *testing.T) {
	st := openStore(t)
	ctx := t.Context()
	if err := st.SetCollection(ctx, store.Collection{Name: "payroll", Audience: "group:hr"}); err != nil {
		t.Fatal(err)
	}
	svc := knowledge.New(st, knowledge.Options{})
	if _, err := svc.IngestFS(ctx, fstest.MapFS{"bands.md": {Data: []byte("# Salary bands\n\nThe salary band of a senior engineer is 90,000 to 110,000 euros a year.\n")}}, "payroll", "payroll"); err != nil {
		t.Fatal(err)
	}
	open := knowledge.New(openStore(t), knowledge.Options{})
	if _, err := open.IngestFS(ctx, fstest.MapFS{"pay.md": {Data: []byte("# Pay day\n\nSalaries are paid on the 25th of each month.\n")}}, "handbook", "handbook"); err != nil {
		t.Fatal(err)
	}
	const q = "What is the salary band of a senior engineer?"
	outsider := bot.Message{Platform: "slack", Workspace: "T1", User: "U2", Channel: "D2", Direct: true, Text: q}
	for _, tc := range []struct {
		name   string
		k      *askOnly
		scopes bool // the knowledge knows the audiences
		msg    bot.Message
		answer bool
	}{
		{"restricted collection, outsider", &askOnly{svc: svc}, true, outsider, false},
		{"restricted collection, the operator", &askOnly{svc: svc}, true, bot.Message{Platform: "cli", User: "root", Channel: "cli", Direct: true, Operator: true, Text: q}, true},
		{"channel limited to some collections", &askOnly{svc: open}, false, bot.Message{Platform: "slack", Workspace: "T1", User: "U2", Channel: "C1", Collections: []string{"handbook"}, Text: "When are salaries paid?"}, false},
		{"no audience, no channel limit", &askOnly{svc: open}, true, bot.Message{Platform: "slack", Workspace: "T1", User: "U2", Channel: "C1", Text: "When are salaries paid?"}, true},
		{"no audiences known, no channel limit", &askOnly{svc: open}, false, bot.Message{Platform: "slack", Workspace: "T1", User: "U2", Channel: "C1", Text: "When are salaries paid?"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k bot.Knowledge = tc.k
			if tc.scopes {
				k = scopingAskOnly{tc.k}
			}
			logs := &syncBuffer{}
			b, err := bot.New(bot.Config{Knowledge: k, Events: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			r := b.Ask(ctx, tc.msg)
			if tc.answer {
				if tc.k.asked != 1 || !r.Grounded || len(r.Citations) == 0 {
					t.Errorf("asked %d times; reply %+v, want a grounded answer", tc.k.asked, r)
				}
				return
			}
			if tc.k.asked != 0 {
				t.Errorf("the unscoped knowledge was asked %d times", tc.k.asked)
			}
			if r.Grounded || len(r.Citations) > 0 || strings.Contains(r.Text, "110,000") || strings.Contains(r.Text, "25th") {
				t.Errorf("reply: %+v, want no answer", r)
			}
			if !strings.Contains(r.Text, "not available here") {
				t.Errorf("reply %q does not say answers are unavailable", r.Text)
			}
			if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "scoped asking") {
				t.Errorf("no error logged for admins: %s", l)
			}
		})
	}
}
