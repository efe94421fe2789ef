package bot_test

import (
	"context"
	"errors"
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
