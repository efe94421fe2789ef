package bot_test

import (
	"context"
	"testing"

	"github.com/lorehq/lore/bot"
)

// fakeLearning owns the "learn" command and the "quiz" button.
type fakeLearning struct{ got []string }

func (l *fakeLearning) HandleCommand(_ context.Context, _ bot.Message, cmd, args string) (bot.Reply, bool) {
	if cmd != "learn" {
		return bot.Reply{}, false
	}
	l.got = append(l.got, cmd+"|"+args)
	return bot.Reply{Text: "tracks"}, true
}

func (l *fakeLearning) HandleAction(_ context.Context, a bot.Action) (bot.Reply, bool) {
	if a.ID != "quiz" {
		return bot.Reply{}, false
	}
	l.got = append(l.got, "press|"+a.Value)
	return bot.Reply{Text: "right"}, true
}

func TestLearningRoutesItsCommandsAndButtons(t *testing.T) {
	k, lrn := &fakeKnowledge{}, &fakeLearning{}
	b, err := bot.New(bot.Config{Knowledge: k, Events: openStore(t), Learning: lrn})
	if err != nil {
		t.Fatal(err)
	}
	if r := b.HandleMessage(t.Context(), bot.Message{User: "u", Text: "LEARN join security"}); r.Text != "tracks" {
		t.Errorf("learn = %q", r.Text)
	}
	if r := b.HandleAction(t.Context(), bot.Action{User: "u", ID: "quiz", Value: "d|t|c|1"}); r.Text != "right" {
		t.Errorf("quiz press = %q", r.Text)
	}
	// Everything else still reaches the knowledge base.
	b.HandleMessage(t.Context(), bot.Message{User: "u", Text: "how do I learn French?"})
	if qs := k.questions(); len(qs) != 1 || qs[0] != "how do I learn French?" {
		t.Errorf("questions = %q", qs)
	}
	if r := b.HandleAction(t.Context(), bot.Action{User: "u", ID: "other"}); r.Text == "right" {
		t.Error("an unknown button reached learning's reply")
	}
	if len(lrn.got) != 2 || lrn.got[0] != "learn| join security" {
		t.Errorf("learning saw %q", lrn.got)
	}
}
