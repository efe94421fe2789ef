package bot_test

import (
	"context"
	"strings"
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

// HandleThreadReply takes replies in thread "nudge-1" only.
func (l *fakeLearning) HandleThreadReply(_ context.Context, m bot.Message) (bot.Reply, bool) {
	if m.Thread != "nudge-1" {
		return bot.Reply{}, false
	}
	l.got = append(l.got, "reply|"+m.Text)
	return bot.Reply{Text: "noted"}, true
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

// A direct reply in a nudge's thread goes to learning whatever its words;
// replies in other threads, and in channels, are questions.
func TestLearningTakesRepliesInItsThreads(t *testing.T) {
	k, lrn := &fakeKnowledge{}, &fakeLearning{}
	b, err := bot.New(bot.Config{Knowledge: k, Events: openStore(t), Learning: lrn})
	if err != nil {
		t.Fatal(err)
	}
	if r := b.HandleMessage(t.Context(), bot.Message{User: "u", Direct: true, Thread: "nudge-1", Text: "help others more"}); r.Text != "noted" {
		t.Errorf("reply in the nudge's thread = %q", r.Text)
	}
	b.HandleMessage(t.Context(), bot.Message{User: "u", Direct: true, Thread: "answer-7", Text: "what about part-time staff?"})
	b.HandleMessage(t.Context(), bot.Message{User: "u", Channel: "C1", Thread: "nudge-1", Text: "is this a reflection?"})
	if qs := k.questions(); len(qs) != 2 {
		t.Errorf("questions = %q, want the two replies outside a nudge's direct thread", qs)
	}
	if len(lrn.got) != 1 || lrn.got[0] != "reply|help others more" {
		t.Errorf("learning saw %q", lrn.got)
	}
}

// help tells learners about the learning commands when the capability is
// there, and says nothing of them when it is not.
func TestHelpListsLearningCommands(t *testing.T) {
	with, err := bot.New(bot.Config{Knowledge: &fakeKnowledge{}, Events: openStore(t), Learning: &fakeLearning{}})
	if err != nil {
		t.Fatal(err)
	}
	help := with.HandleMessage(t.Context(), bot.Message{User: "u", Text: "help"}).Text
	for _, word := range []string{"`learn`", "`learn join TRACK`", "`learn leave TRACK`", "`nudge`", "`nudges`", "`answer 2`", "`reflect TEXT`", "`nudges timezone Europe/Paris`"} {
		if !strings.Contains(help, word) {
			t.Errorf("help does not mention %s: %q", word, help)
		}
	}
	without, err := bot.New(bot.Config{Knowledge: &fakeKnowledge{}, Events: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	if help := without.HandleMessage(t.Context(), bot.Message{User: "u", Text: "help"}).Text; strings.Contains(help, "learn join") {
		t.Errorf("help without learning mentions its commands: %q", help)
	}
}
