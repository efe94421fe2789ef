package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

// fakePeers records how the core routed to it.
type fakePeers struct {
	commands []string // "cmd|args"
	actions  []string
	askedFor []string // answer ids of Ask a person
	offer    string
}

func (p *fakePeers) Command(_ context.Context, msg bot.Message, cmd, args string) bot.Reply {
	p.commands = append(p.commands, cmd+"|"+args)
	return bot.Reply{Text: "peers: " + cmd}
}

func (p *fakePeers) Connect(_ context.Context, msg bot.Message, topic string) bot.Reply {
	p.commands = append(p.commands, "find|"+topic)
	return bot.Reply{Text: "peers: find"}
}

func (p *fakePeers) Action(_ context.Context, a bot.Action) (bot.Reply, bool) {
	if !strings.HasPrefix(a.ID, "peers_") {
		return bot.Reply{}, false
	}
	p.actions = append(p.actions, a.ID)
	return bot.Reply{Text: "peers button"}, true
}

func (p *fakePeers) AskPerson(_ context.Context, a bot.Action) bot.Reply {
	p.askedFor = append(p.askedFor, a.Value)
	return bot.Reply{Text: "here are people"}
}

func (p *fakePeers) Offer(context.Context, bot.Message, string) string { return p.offer }

var _ bot.Peers = (*fakePeers)(nil)

func setupWithPeers(t *testing.T, p bot.Peers) fixture {
	t.Helper()
	f := fixture{knowledge: &fakeKnowledge{}, events: openStore(t), logs: &syncBuffer{}}
	gen := &ids{}
	b, err := bot.New(bot.Config{Knowledge: f.knowledge, Events: f.events, Peers: p, Clock: func() time.Time { return epoch }, NewID: gen.next})
	if err != nil {
		t.Fatal(err)
	}
	f.bot = b
	return f
}

func TestPeerCommandsRouteToPeers(t *testing.T) {
	p := &fakePeers{}
	f := setupWithPeers(t, p)
	for _, text := range []string{"profile can-help: go", "Connect  kubernetes networking", "profile"} {
		f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", text))
	}
	want := []string{"profile|can-help: go", "connect|kubernetes networking", "profile|"}
	if strings.Join(p.commands, ";") != strings.Join(want, ";") {
		t.Errorf("routed %q, want %q", p.commands, want)
	}
	if q := f.knowledge.questions(); len(q) != 0 {
		t.Errorf("peer commands reached knowledge: %q", q)
	}
	if r := f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "help")); !strings.Contains(r.Text, "connect TOPIC") {
		t.Errorf("help without the peer commands: %q", r.Text)
	}
}

func TestWithoutPeersProfileIsAQuestion(t *testing.T) {
	f := setup(t)
	f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "profile of the VPN"))
	if q := f.knowledge.questions(); len(q) != 1 || q[0] != "profile of the VPN" {
		t.Errorf("questions = %q", q)
	}
	r := f.bot.HandleAction(t.Context(), bot.Action{Platform: "shell", User: "ana", ID: bot.ActionAskPerson, Value: "id-2"})
	if !strings.Contains(r.Text, "content team") {
		t.Errorf("ask a person without peers = %q", r.Text)
	}
}

func TestAskPersonAndPeerButtonsRouteToPeers(t *testing.T) {
	p := &fakePeers{}
	f := setupWithPeers(t, p)
	r := f.bot.HandleAction(t.Context(), bot.Action{Platform: "shell", Channel: "general", User: "ana", ID: bot.ActionAskPerson, Value: "ans-1"})
	if r.Text != "here are people" || len(p.askedFor) != 1 || p.askedFor[0] != "ans-1" {
		t.Errorf("ask a person: reply %q, routed %v", r.Text, p.askedFor)
	}
	if n := len(f.ofKind(t, store.EventHelpRequest)); n != 1 {
		t.Errorf("help_request events = %d, want 1 (the press is still recorded)", n)
	}
	if r := f.bot.HandleAction(t.Context(), bot.Action{Platform: "shell", User: "ana", ID: "peers_accept", Value: "r1"}); r.Text != "peers button" {
		t.Errorf("peer button: %q", r.Text)
	}
	if r := f.bot.HandleAction(t.Context(), bot.Action{Platform: "shell", User: "ana", ID: bot.ActionHelpful, Value: "x"}); !strings.Contains(r.Text, "glad it helped") {
		t.Errorf("feedback button with peers set: %q", r.Text)
	}
}

func TestNoAnswerOffersAPerson(t *testing.T) {
	p := &fakePeers{offer: "A colleague may know."}
	f := setupWithPeers(t, p)
	f.knowledge.answer = func(q string) (knowledge.Answer, error) { return noAnswer(q), nil }
	r := f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "why is the sky green?"))
	if !strings.HasSuffix(r.Text, "\n\nA colleague may know.") {
		t.Errorf("no-answer reply = %q", r.Text)
	}
	f.knowledge.answer = nil
	if r := f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "vpn?")); strings.Contains(r.Text, "colleague") {
		t.Errorf("a confident answer offered a person: %q", r.Text)
	}
}

func TestWhoKnowsRoutesToConnect(t *testing.T) {
	p := &fakePeers{offer: "A colleague may know."}
	f := setupWithPeers(t, p)
	for _, text := range []string{
		"who knows Kubernetes?",
		"Who else knows about GDPR",
		"who can help me with quarterly pricing?",
		"who's an expert on Terraform modules?",
		"anyone who knows Rust?",
		"Does anyone know Kafka?",
		"anybody here know anything about SAP payroll?",
		"is anyone familiar with Figma",
		"does anyone have experience with contract law?",
		"who's good at public speaking?",
		"can someone help me with Excel macros?",
	} {
		f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", text))
	}
	want := []string{"find|Kubernetes", "find|GDPR", "find|quarterly pricing", "find|Terraform modules", "find|Rust",
		"find|Kafka", "find|SAP payroll", "find|Figma", "find|contract law", "find|public speaking", "find|Excel macros"}
	if strings.Join(p.commands, ";") != strings.Join(want, ";") {
		t.Errorf("routed %q, want %q", p.commands, want)
	}
	// Questions in their own right, and mentions of knowing in passing,
	// stay questions for the knowledge base.
	for _, text := range []string{
		"who knows how to reset the VPN?",
		"who knows",
		"how do I know who knows what?",
		"who is my manager?",
		"does anyone know if the office is open on Friday?",
		"anyone know where the spare keys are?",
		"does anyone know",
		"I know Kafka well",
	} {
		f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", text))
	}
	if len(p.commands) != len(want) {
		t.Errorf("questions routed to peers: %q", p.commands[len(want):])
	}
	if q := f.knowledge.questions(); len(q) != 8 {
		t.Errorf("questions reaching knowledge = %q, want the 8 that are questions", q)
	}
}

// When nobody is known for the topic, a request for a colleague is
// answered from the knowledge base if it answers confidently ("who knows
// the wifi password?"); otherwise it goes to the peers capability, and
// leaves no question, and so no content gap, in the log.
func TestWhoKnowsWithNobodyKnownTakesAConfidentAnswer(t *testing.T) {
	p := &fakePeers{}
	f := setupWithPeers(t, p)
	r := f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "who knows the wifi password?"))
	if !r.Grounded || len(r.Citations) == 0 || len(p.commands) != 0 {
		t.Errorf("reply %+v, peers %q: want the knowledge base's confident answer", r, p.commands)
	}
	questions, err := f.events.Events(t.Context(), store.EventFilter{Kind: store.EventQuestion})
	if err != nil || len(questions) != 1 || questions[0].Question != "who knows the wifi password?" {
		t.Errorf("questions recorded = %+v, %v; want the one answered", questions, err)
	}
	answers, err := f.events.Events(t.Context(), store.EventFilter{Kind: store.EventAnswer})
	if err != nil || len(answers) != 1 || !answers[0].Confident || answers[0].Ref != questions[0].ID {
		t.Errorf("answers recorded = %+v, %v; want one confident answer to it", answers, err)
	}

	f.knowledge.answer = func(q string) (knowledge.Answer, error) {
		return knowledge.Answer{Question: q, Text: knowledge.NoAnswerText}, nil
	}
	r = f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "who knows Kubernetes?"))
	if r.Text != "peers: find" || strings.Join(p.commands, ";") != "find|Kubernetes" {
		t.Errorf("reply %q, peers %q: want the request for a colleague", r.Text, p.commands)
	}
	if events, _ := f.events.Events(t.Context(), store.EventFilter{}); len(events) != 2 {
		t.Errorf("events = %+v, want only the first question and its answer", events)
	}
}

func TestWithoutPeersWhoKnowsIsAQuestion(t *testing.T) {
	f := setup(t)
	f.bot.HandleMessage(t.Context(), shellMsg("ana", "general", "who knows Kubernetes?"))
	if q := f.knowledge.questions(); len(q) != 1 || q[0] != "who knows Kubernetes?" {
		t.Errorf("questions = %q", q)
	}
}
