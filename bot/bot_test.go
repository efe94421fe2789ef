package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// epoch is the fixed time of the test clock, at millisecond precision
// because that is what the store keeps.
var epoch = time.Date(2025, 4, 2, 10, 30, 0, 0, time.UTC)

// fakeKnowledge answers from a function and remembers every question.
type fakeKnowledge struct {
	mu     sync.Mutex
	asked  []string
	answer func(q string) (knowledge.Answer, error)
}

func (k *fakeKnowledge) Ask(_ context.Context, q string) (knowledge.Answer, error) {
	k.mu.Lock()
	k.asked = append(k.asked, q)
	k.mu.Unlock()
	if k.answer == nil {
		return confidentAnswer(q), nil
	}
	return k.answer(q)
}

func (k *fakeKnowledge) questions() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.asked)
}

var _ bot.Knowledge = (*fakeKnowledge)(nil)

// confidentAnswer is a grounded answer with two citations. A blank
// question gets knowledge.ErrEmptyQuestion from the real service; fakes
// that need that return it themselves.
func confidentAnswer(q string) knowledge.Answer {
	return knowledge.Answer{
		Question:   q,
		Text:       "Reset it in the self-service portal. [1] Passwords expire every ninety days. [2]",
		Confident:  true,
		Confidence: 0.8,
		Citations: []knowledge.Citation{
			{N: 1, DocID: "doc-vpn", Title: "VPN", Heading: "Resetting", Source: "handbook/vpn.md", Score: 1.1, Snippet: "Reset it in the self-service portal."},
			{N: 2, DocID: "doc-passwords", Title: "Passwords", Heading: "Expiry", Source: "handbook/passwords.md", Score: 0.9, Snippet: "Passwords expire every ninety days."},
		},
		Latency: 1234 * time.Millisecond,
	}
}

func noAnswer(q string) knowledge.Answer {
	return knowledge.Answer{Question: q, Text: knowledge.NoAnswerText, Confidence: 0.1, Latency: 42 * time.Millisecond}
}

// ids hands out "id-1", "id-2", ... safely from several goroutines.
type ids struct {
	mu sync.Mutex
	n  int
}

func (g *ids) next() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return fmt.Sprintf("id-%d", g.n)
}

// failingEvents is an engagement log that is down.
type failingEvents struct {
	mu       sync.Mutex
	recorded int
}

var errEventsDown = errors.New("record event: database /srv/lore/secret.db is locked by pid 4711")

func (f *failingEvents) RecordEvent(context.Context, store.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recorded++
	return errEventsDown
}

func (f *failingEvents) Events(context.Context, store.EventFilter) ([]store.Event, error) {
	return nil, errEventsDown
}

type fixture struct {
	bot       *bot.Bot
	knowledge *fakeKnowledge
	events    *sqlite.Store
	logs      *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// setup returns a bot over fake knowledge and a real SQLite event log,
// with a fixed clock and counting ids.
func setup(t *testing.T) fixture {
	t.Helper()
	f := fixture{knowledge: &fakeKnowledge{}, events: openStore(t), logs: &syncBuffer{}}
	gen := &ids{}
	b, err := bot.New(bot.Config{
		Knowledge: f.knowledge,
		Events:    f.events,
		Logger:    slog.New(slog.NewTextHandler(f.logs, nil)),
		Clock:     func() time.Time { return epoch },
		NewID:     gen.next,
	})
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	f.bot = b
	return f
}

// all returns every recorded event, oldest first.
func (f fixture) all(t *testing.T) []store.Event {
	t.Helper()
	evs, err := f.events.Events(t.Context(), store.EventFilter{})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	slices.Reverse(evs)
	return evs
}

func (f fixture) ofKind(t *testing.T, kind string) []store.Event {
	t.Helper()
	var out []store.Event
	for _, e := range f.all(t) {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func kinds(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func shellMsg(user, channel, text string) bot.Message {
	return bot.Message{Platform: "shell", Channel: channel, User: user, Text: text}
}

func TestNewRequiresKnowledgeAndEvents(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	tests := []struct {
		name    string
		cfg     bot.Config
		wantErr bool
	}{
		{"nothing", bot.Config{}, true},
		{"no events", bot.Config{Knowledge: &fakeKnowledge{}}, true},
		{"no knowledge", bot.Config{Events: st}, true},
		{"both, defaults for the rest", bot.Config{Knowledge: &fakeKnowledge{}, Events: st}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := bot.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && b == nil {
				t.Fatal("New returned no bot and no error")
			}
		})
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	help := setup(t).bot.HandleMessage(t.Context(), shellMsg("alice", "#general", "help"))
	if help.Text == "" || len(help.Buttons) != 0 || len(help.Citations) != 0 || help.Grounded {
		t.Fatalf("help reply %+v, want text only", help)
	}
	for _, word := range []string{"ask", "+1", "-1"} {
		if !strings.Contains(help.Text, word) {
			t.Errorf("help does not mention %q: %q", word, help.Text)
		}
	}

	const (
		routeHelp     = "help"
		routeQuestion = "question"
		routeFeedback = "feedback"
		routeRateHint = "rate hint" // a feedback command that names no rating
	)
	tests := []struct {
		text     string
		route    string
		question string // what knowledge is asked, for questions
		value    int    // the rating, for feedback
	}{
		{"help", routeHelp, "", 0},
		{"HELP", routeHelp, "", 0},
		{"  help  ", routeHelp, "", 0},
		{"?", routeHelp, "", 0},
		{"ask help", routeQuestion, "help", 0},
		{"ask ?", routeQuestion, "?", 0},
		{"ask +1", routeQuestion, "+1", 0},
		{"ask 👍", routeQuestion, "👍", 0},
		{"ask ask", routeQuestion, "ask", 0},
		{"ask feedback down", routeQuestion, "feedback down", 0},
		{"ASK   help me reset my VPN password  ", routeQuestion, "help me reset my VPN password", 0},
		{"ask\nhelp", routeQuestion, "help", 0},
		{"ask\thelp with expenses", routeQuestion, "help with expenses", 0},
		{"how do I reset my VPN password?", routeQuestion, "how do I reset my VPN password?", 0},
		{"  what is the parental leave policy  ", routeQuestion, "what is the parental leave policy", 0},
		{"helpdesk phone number?", routeQuestion, "helpdesk phone number?", 0},
		{"asking for a friend: VPN?", routeQuestion, "asking for a friend: VPN?", 0},
		{"+1000 euros budget?", routeQuestion, "+1000 euros budget?", 0},
		{"feedbacks on reviews", routeQuestion, "feedbacks on reviews", 0},
		{"+1", routeFeedback, "", +1},
		{"+1 thanks!", routeFeedback, "", +1},
		{"👍", routeFeedback, "", +1},
		{"-1", routeFeedback, "", -1},
		{"👎", routeFeedback, "", -1},
		{"feedback up", routeFeedback, "", +1},
		{"Feedback UP", routeFeedback, "", +1},
		{"feedback down", routeFeedback, "", -1},
		{"feedback +1", routeFeedback, "", +1},
		{"feedback garbage", routeRateHint, "", 0},
		{"feedback", routeRateHint, "", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.text), func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			// An earlier answer for feedback to rate.
			f.bot.HandleMessage(t.Context(), shellMsg("alice", "#general", "earlier question"))
			before := f.all(t)
			answerID := before[len(before)-1].ID
			f.knowledge.asked = nil

			reply := f.bot.HandleMessage(t.Context(), shellMsg("alice", "#general", tt.text))
			added := f.all(t)[len(before):]
			asked := f.knowledge.questions()

			switch tt.route {
			case routeHelp:
				if !reflect.DeepEqual(reply, help) {
					t.Errorf("reply %+v, want the help reply", reply)
				}
			case routeQuestion:
				if !slices.Equal(asked, []string{tt.question}) {
					t.Errorf("knowledge was asked %q, want %q", asked, tt.question)
				}
				if !slices.Equal(kinds(added), []string{store.EventQuestion, store.EventAnswer}) {
					t.Errorf("recorded %v, want a question and an answer", kinds(added))
				}
			case routeFeedback:
				if len(added) != 1 || added[0].Kind != store.EventFeedback {
					t.Fatalf("recorded %v, want one feedback event", kinds(added))
				}
				if added[0].Value != tt.value || added[0].Ref != answerID {
					t.Errorf("feedback value %d ref %q, want %d for %q", added[0].Value, added[0].Ref, tt.value, answerID)
				}
				if !reply.Private {
					t.Error("an acknowledgement of a rating should be private")
				}
			case routeRateHint:
				if len(added) != 0 {
					t.Errorf("recorded %v, want nothing", kinds(added))
				}
				if !strings.Contains(reply.Text, "+1") || !strings.Contains(reply.Text, "-1") {
					t.Errorf("reply %q does not say how to rate", reply.Text)
				}
			}
			if tt.route != routeQuestion && len(asked) != 0 {
				t.Errorf("knowledge was asked %q, want nothing", asked)
			}
		})
	}
}

func TestAskRecordsQuestionAndAnswer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	msg := bot.Message{
		Platform: "slack", Workspace: "T0123", Channel: "C0456", Thread: "1712.0001",
		User: "U0789", Text: "  How do I reset my VPN password?  ", Direct: true,
	}
	reply := f.bot.HandleMessage(t.Context(), msg)

	evs := f.all(t)
	if len(evs) != 2 {
		t.Fatalf("recorded %v, want a question and an answer", kinds(evs))
	}
	q, a := evs[0], evs[1]
	want := store.Event{
		Time: epoch, Platform: "slack", Workspace: "T0123", Channel: "C0456", Thread: "1712.0001",
		User: "U0789", Direct: true, Question: "How do I reset my VPN password?",
	}
	wantQ := want
	wantQ.ID, wantQ.Kind = q.ID, store.EventQuestion
	if !reflect.DeepEqual(q, wantQ) {
		t.Errorf("question event\n got %+v\nwant %+v", q, wantQ)
	}
	wantA := want
	wantA.ID, wantA.Kind = a.ID, store.EventAnswer
	wantA.Confident = true
	wantA.DocIDs = []string{"doc-vpn", "doc-passwords"}
	wantA.LatencyMS = 1234
	wantA.Ref = q.ID
	if !reflect.DeepEqual(a, wantA) {
		t.Errorf("answer event\n got %+v\nwant %+v", a, wantA)
	}
	if q.ID == "" || a.ID == "" || q.ID == a.ID {
		t.Errorf("event ids %q and %q, want two distinct ids", q.ID, a.ID)
	}

	ans := confidentAnswer("")
	if reply.Text != ans.Text || !reply.Grounded || reply.Private {
		t.Errorf("reply %+v, want the answer text, grounded, public", reply)
	}
	if len(reply.Citations) != len(ans.Citations) {
		t.Fatalf("reply has %d citations, want %d", len(reply.Citations), len(ans.Citations))
	}
	for i, c := range ans.Citations {
		want := bot.Citation{N: c.N, DocID: c.DocID, Title: c.Title, Heading: c.Heading, Source: c.Source, Score: c.Score, Snippet: c.Snippet}
		if reply.Citations[i] != want {
			t.Errorf("citation %d = %+v, want %+v", i, reply.Citations[i], want)
		}
	}
	wantButtons := []string{bot.ActionHelpful, bot.ActionNotHelpful, bot.ActionAskPerson}
	var gotButtons []string
	for _, b := range reply.Buttons {
		gotButtons = append(gotButtons, b.ID)
		if b.Value != a.ID {
			t.Errorf("button %s carries %q, want the answer event id %q", b.ID, b.Value, a.ID)
		}
		if b.Label == "" {
			t.Errorf("button %s has no label", b.ID)
		}
	}
	if !slices.Equal(gotButtons, wantButtons) {
		t.Errorf("buttons %v, want %v", gotButtons, wantButtons)
	}
	labels := map[string]bool{}
	for _, b := range reply.Buttons {
		if labels[b.Label] {
			t.Errorf("two buttons are labelled %q", b.Label)
		}
		labels[b.Label] = true
	}
}

func TestAskWithoutConfidentAnswer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.knowledge.answer = func(q string) (knowledge.Answer, error) { return noAnswer(q), nil }
	reply := f.bot.HandleMessage(t.Context(), shellMsg("alice", "#general", "What is the capital of Mongolia?"))

	if reply.Text != knowledge.NoAnswerText || reply.Grounded || len(reply.Citations) != 0 {
		t.Errorf("reply %+v, want the plain no-answer text, ungrounded, without citations", reply)
	}
	answers := f.ofKind(t, store.EventAnswer)
	if len(answers) != 1 {
		t.Fatalf("recorded %d answer events, want 1", len(answers))
	}
	a := answers[0]
	if a.Confident || len(a.DocIDs) != 0 || a.LatencyMS != 42 || a.Question != "What is the capital of Mongolia?" {
		t.Errorf("answer event %+v, want not confident, no documents, latency 42ms", a)
	}
	if len(reply.Buttons) != 1 || reply.Buttons[0].ID != bot.ActionAskPerson || reply.Buttons[0].Value != a.ID {
		t.Errorf("buttons %+v, want only Ask a person carrying %q", reply.Buttons, a.ID)
	}
	if qs := f.ofKind(t, store.EventQuestion); len(qs) != 1 || a.Ref != qs[0].ID {
		t.Errorf("answer refers to %q, want the question event %+v", a.Ref, qs)
	}
}

// Feedback by text rates the last answer this user got in this channel of
// this platform, nobody else's and nowhere else.
func TestFeedbackByTextFindsLastAnswer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	answerOf := func(msg bot.Message) string {
		t.Helper()
		reply := f.bot.HandleMessage(ctx, msg)
		if len(reply.Buttons) == 0 {
			t.Fatalf("no buttons on %+v", reply)
		}
		return reply.Buttons[0].Value
	}
	slackGeneral := bot.Message{Platform: "slack", Workspace: "T1", Channel: "#general", User: "alice", Text: "slack question"}
	aliceGeneralOld := answerOf(shellMsg("alice", "#general", "first question"))
	aliceGeneral := answerOf(shellMsg("alice", "#general", "second question"))
	bobGeneral := answerOf(shellMsg("bob", "#general", "bob's question"))
	aliceRandom := answerOf(shellMsg("alice", "#random", "random question"))
	aliceSlack := answerOf(slackGeneral)
	if aliceGeneralOld == aliceGeneral {
		t.Fatal("two answers share an id")
	}

	tests := []struct {
		name  string
		msg   bot.Message
		value int
		ref   string
	}{
		{"latest of two in the channel", shellMsg("alice", "#general", "+1"), +1, aliceGeneral},
		{"not another user's", shellMsg("bob", "#general", "-1"), -1, bobGeneral},
		{"not another channel's", shellMsg("alice", "#random", "👎"), -1, aliceRandom},
		{"not another platform's", bot.Message{Platform: "slack", Workspace: "T1", Channel: "#general", User: "alice", Text: "feedback up", Thread: "t-9", Direct: true}, +1, aliceSlack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.all(t))
			reply := f.bot.HandleMessage(ctx, tt.msg)
			added := f.all(t)[before:]
			if len(added) != 1 || added[0].Kind != store.EventFeedback {
				t.Fatalf("recorded %v, want one feedback event", kinds(added))
			}
			e := added[0]
			if e.Value != tt.value || e.Ref != tt.ref {
				t.Errorf("feedback value %d on %q, want %d on %q", e.Value, e.Ref, tt.value, tt.ref)
			}
			if e.Platform != tt.msg.Platform || e.Workspace != tt.msg.Workspace || e.Channel != tt.msg.Channel ||
				e.Thread != tt.msg.Thread || e.User != tt.msg.User || e.Direct != tt.msg.Direct || !e.Time.Equal(epoch) {
				t.Errorf("feedback event %+v does not record where and when it came from (%+v)", e, tt.msg)
			}
			if e.ID == "" || e.ID == tt.ref {
				t.Errorf("feedback event id %q", e.ID)
			}
			if !reply.Private || reply.Text == "" {
				t.Errorf("reply %+v, want a private acknowledgement", reply)
			}
		})
	}
}

func TestFeedbackWithoutAnAnswer(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	// Answers exist, but none for carol here, nor for alice on this platform.
	f.bot.HandleMessage(ctx, shellMsg("alice", "#general", "a question"))
	f.bot.HandleMessage(ctx, shellMsg("carol", "#random", "a question"))
	thanks := f.bot.HandleMessage(ctx, shellMsg("alice", "#general", "+1"))

	for _, msg := range []bot.Message{
		shellMsg("carol", "#general", "+1"),
		shellMsg("dave", "#general", "feedback down"),
		{Platform: "discord", Channel: "#general", User: "alice", Text: "👍"},
	} {
		t.Run(msg.User+"@"+msg.Platform, func(t *testing.T) {
			before := len(f.all(t))
			reply := f.bot.HandleMessage(ctx, msg)
			if n := len(f.all(t)) - before; n != 0 {
				t.Errorf("recorded %d events, want none", n)
			}
			if reply.Text == "" || reply.Text == thanks.Text || !strings.Contains(strings.ToLower(reply.Text), "answer") {
				t.Errorf("reply %q, want to be told there is no answer to rate", reply.Text)
			}
			if len(f.knowledge.questions()) != 2 {
				t.Errorf("a rating was asked as a question: %q", f.knowledge.questions())
			}
		})
	}
}

// A rating of a reply that had no answer is about the gap, not about an
// answer that missed: "-1" says the question needs an answer, "+1" is not
// taken as an answer that helped. Both are kept as feedback on that reply.
func TestFeedbackOnANoAnswerReply(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	f.knowledge.answer = func(q string) (knowledge.Answer, error) { return noAnswer(q), nil }
	f.bot.HandleMessage(ctx, shellMsg("alice", "#general", "Where do I park my bike?"))
	gap := f.ofKind(t, store.EventAnswer)[0]
	for _, tt := range []struct {
		text, want string
		value      int
	}{
		{"-1", "this question needs an answer", -1},
		{"+1", "no answer from the knowledge base", +1},
	} {
		t.Run(tt.text, func(t *testing.T) {
			before := len(f.all(t))
			reply := f.bot.HandleMessage(ctx, shellMsg("alice", "#general", tt.text))
			added := f.all(t)[before:]
			if len(added) != 1 || added[0].Kind != store.EventFeedback || added[0].Value != tt.value || added[0].Ref != gap.ID {
				t.Fatalf("recorded %+v, want one feedback event %d on the no-answer reply %q", added, tt.value, gap.ID)
			}
			if !strings.Contains(reply.Text, tt.want) || strings.Contains(reply.Text, "missed") || strings.Contains(reply.Text, "glad it helped") || !reply.Private {
				t.Errorf("reply %+v, want a private reply saying %q", reply, tt.want)
			}
		})
	}
}

func TestHandleAction(t *testing.T) {
	t.Parallel()
	const answerID = "answer-event-77"
	base := bot.Action{Platform: "slack", Workspace: "T1", Channel: "C1", Thread: "th-1", User: "U1"}
	tests := []struct {
		name    string
		id      string
		value   string
		kind    string // of the recorded event; "" for none
		rating  int
		private bool
	}{
		{"helpful", bot.ActionHelpful, answerID, store.EventFeedback, +1, true},
		{"not helpful", bot.ActionNotHelpful, answerID, store.EventFeedback, -1, true},
		{"ask a person", bot.ActionAskPerson, answerID, store.EventHelpRequest, 0, true},
		{"unknown button", "retry_answer", answerID, "", 0, true},
		{"empty button id", "", answerID, "", 0, true},
		{"helpful without an answer id", bot.ActionHelpful, "", "", 0, true},
		{"not helpful without an answer id", bot.ActionNotHelpful, "", "", 0, true},
	}
	replies := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			a := base
			a.ID, a.Value = tt.id, tt.value
			reply := f.bot.HandleAction(t.Context(), a)
			replies[tt.name] = reply.Text
			evs := f.all(t)
			if len(f.knowledge.questions()) != 0 {
				t.Errorf("a button press asked knowledge %q", f.knowledge.questions())
			}
			if reply.Text == "" || reply.Private != tt.private || len(reply.Buttons) != 0 {
				t.Errorf("reply %+v, want private text without buttons", reply)
			}
			if tt.kind == "" {
				if len(evs) != 0 {
					t.Errorf("recorded %v, want nothing", kinds(evs))
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("recorded %v, want one %s event", kinds(evs), tt.kind)
			}
			want := store.Event{
				ID: evs[0].ID, Time: epoch, Kind: tt.kind, Platform: "slack", Workspace: "T1",
				Channel: "C1", Thread: "th-1", User: "U1", Value: tt.rating, Ref: answerID,
			}
			if !reflect.DeepEqual(evs[0], want) {
				t.Errorf("event\n got %+v\nwant %+v", evs[0], want)
			}
		})
	}
	// Each outcome reads differently.
	for _, pair := range [][2]string{
		{"helpful", "not helpful"}, {"helpful", "ask a person"}, {"helpful", "unknown button"},
		{"ask a person", "unknown button"}, {"helpful", "helpful without an answer id"},
	} {
		if replies[pair[0]] == replies[pair[1]] {
			t.Errorf("%s and %s both reply %q", pair[0], pair[1], replies[pair[0]])
		}
	}
}

// The buttons of a reply, pressed, rate that very answer.
func TestButtonsRoundTrip(t *testing.T) {
	t.Parallel()
	f := setup(t)
	msg := bot.Message{Platform: "discord", Workspace: "G1", Channel: "C1", User: "U1", Text: "vpn password?"}
	reply := f.bot.HandleMessage(t.Context(), msg)
	answer := f.ofKind(t, store.EventAnswer)[0]
	for _, b := range reply.Buttons {
		f.bot.HandleAction(t.Context(), bot.Action{
			Platform: msg.Platform, Workspace: msg.Workspace, Channel: msg.Channel, User: msg.User,
			ID: b.ID, Value: b.Value,
		})
	}
	got := map[string]int{}
	for _, e := range f.all(t) {
		if e.Kind == store.EventFeedback || e.Kind == store.EventHelpRequest {
			if e.Ref != answer.ID {
				t.Errorf("%s event refers to %q, want the answer %q", e.Kind, e.Ref, answer.ID)
			}
			got[fmt.Sprintf("%s%+d", e.Kind, e.Value)]++
		}
	}
	want := map[string]int{store.EventFeedback + "+1": 1, store.EventFeedback + "-1": 1, store.EventHelpRequest + "+0": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events from pressing every button: %v, want %v", got, want)
	}
}

func TestAskErrorsAreFriendly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		err   error
		class string // replies of one class read the same, of different classes differently
	}{
		{"empty", knowledge.ErrEmptyQuestion, "empty"},
		{"too long", fmt.Errorf("%w: 100000 bytes, at most 2000", knowledge.ErrQuestionTooLong), "too long"},
		{"invalid text", knowledge.ErrInvalidText, "invalid"},
		{"store unavailable", fmt.Errorf("lexical search: term statistics: %w: store /srv/lore/secret.db is closed", store.ErrUnavailable), "unavailable"},
		{"search timed out", fmt.Errorf("vector search: %w", context.DeadlineExceeded), "unavailable"},
		{"other", errors.New("load passages: sql: Scan error on column index 3, name \"vector\": internal detail"), "other"},
	}
	byClass := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.knowledge.answer = func(string) (knowledge.Answer, error) { return knowledge.Answer{}, tt.err }
			reply := f.bot.HandleMessage(t.Context(), shellMsg("alice", "#general", "some question"))
			if reply.Text == "" {
				t.Fatal("empty reply")
			}
			for _, leak := range []string{tt.err.Error(), "secret.db", "sql:", "internal detail", "bytes, at most", "not valid UTF-8"} {
				if strings.Contains(reply.Text, leak) {
					t.Errorf("reply %q leaks %q", reply.Text, leak)
				}
			}
			if reply.Grounded || len(reply.Citations) != 0 || len(reply.Buttons) != 0 {
				t.Errorf("error reply %+v, want text only", reply)
			}
			if answers := f.ofKind(t, store.EventAnswer); len(answers) != 0 {
				t.Errorf("a failed answer was recorded as %+v; it would count as a content gap", answers)
			}
			if prev, ok := byClass[tt.class]; ok && prev != reply.Text {
				t.Errorf("%s reads %q, want %q", tt.name, reply.Text, prev)
			}
			byClass[tt.class] = reply.Text
		})
	}
	seen := map[string]string{}
	for class, text := range byClass {
		if other, ok := seen[text]; ok {
			t.Errorf("%s and %s errors get the same reply %q", class, other, text)
		}
		seen[text] = class
	}
	if len(byClass) != 5 {
		t.Errorf("%d classes of reply, want 5", len(byClass))
	}
}

// An error that is not the person's fault is logged for an admin with its
// detail, while the reply stays generic.
func TestAskErrorsAreLogged(t *testing.T) {
	t.Parallel()
	f := setup(t)
	internal := errors.New("load passages: disk I/O error at page 7731")
	f.knowledge.answer = func(string) (knowledge.Answer, error) { return knowledge.Answer{}, internal }
	reply := f.bot.HandleMessage(t.Context(), shellMsg("alice", "#general", "a question"))
	if strings.Contains(reply.Text, "7731") {
		t.Errorf("reply %q leaks the error", reply.Text)
	}
	if !strings.Contains(f.logs.String(), "page 7731") {
		t.Errorf("log %q does not record the error", f.logs.String())
	}
}

// The bot over the real knowledge service and store: errors arrive wrapped
// and still map to the right reply.
func TestBotOverKnowledgeService(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	svc := knowledge.New(st, knowledge.Options{})
	dir := t.TempDir()
	doc := "# VPN\n\n## Resetting your VPN password\n\nReset your VPN password from the self-service portal. Passwords expire every ninety days.\n"
	if err := os.WriteFile(filepath.Join(dir, "vpn.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(ctx, knowledge.IngestRequest{Paths: []string{dir}}, nil); err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	events := openStore(t)
	gen := &ids{}
	b, err := bot.New(bot.Config{Knowledge: svc, Events: events, Clock: func() time.Time { return epoch }, NewID: gen.next,
		Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(text string) bot.Reply { return b.HandleMessage(ctx, shellMsg("alice", "#general", text)) }

	answered := ask("How do I reset my VPN password?")
	if !answered.Grounded || len(answered.Citations) == 0 || !strings.Contains(answered.Text, "[1]") {
		t.Errorf("reply %+v, want a grounded answer with citations", answered)
	}
	if answered.Citations[0].Source != filepath.ToSlash(filepath.Join(dir, "vpn.md")) {
		t.Errorf("cites %q", answered.Citations[0].Source)
	}

	gap := ask("What is the capital of Mongolia?")
	if gap.Grounded || gap.Text != knowledge.NoAnswerText {
		t.Errorf("reply %+v, want the no-answer text", gap)
	}
	confident := false
	gaps, err := events.Events(ctx, store.EventFilter{Kind: store.EventAnswer, Confident: &confident})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 1 || gaps[0].Question != "What is the capital of Mongolia?" {
		t.Errorf("gaps recorded %+v, want the unanswered question", gaps)
	}
	// PostgreSQL refuses a NUL in text, and a control character has no
	// business in a digest: the question is kept without them.
	ask("zork\x00 \x1b[2J\tquux?")
	gaps, err = events.Events(ctx, store.EventFilter{Kind: store.EventAnswer, Confident: &confident})
	if err != nil {
		t.Fatal(err)
	}
	if len(gaps) != 2 || gaps[0].Question != "zork [2J\tquux?" {
		t.Errorf("gaps recorded %+v, want the question without its control characters", gaps)
	}

	empty, long, invalid := ask("?!"), ask(strings.Repeat("why ", 25_000)), ask("reset \xff password")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	down := ask("How do I reset my VPN password?")
	texts := []string{empty.Text, long.Text, invalid.Text, down.Text, answered.Text, gap.Text}
	for i := range texts {
		for j := i + 1; j < len(texts); j++ {
			if texts[i] == texts[j] {
				t.Errorf("replies %d and %d are both %q", i, j, texts[i])
			}
		}
	}
	for _, r := range []bot.Reply{empty, long, invalid, down} {
		if r.Grounded || len(r.Buttons) != 0 || strings.Contains(r.Text, "lore.db") {
			t.Errorf("error reply %+v", r)
		}
	}
}

// A broken engagement log costs the statistics, not the answer.
func TestAnswerSurvivesFailingEvents(t *testing.T) {
	t.Parallel()
	events := &failingEvents{}
	logs := &syncBuffer{}
	b, err := bot.New(bot.Config{Knowledge: &fakeKnowledge{}, Events: events, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	reply := b.HandleMessage(ctx, shellMsg("alice", "#general", "How do I reset my VPN password?"))
	want := confidentAnswer("")
	if reply.Text != want.Text || !reply.Grounded || len(reply.Citations) != 2 || len(reply.Buttons) != 3 {
		t.Errorf("reply %+v, want the full answer", reply)
	}
	if reply.Buttons[0].Value == "" {
		t.Error("buttons carry no answer id")
	}
	if events.recorded != 2 {
		t.Errorf("%d events attempted, want the question and the answer", events.recorded)
	}
	if !strings.Contains(logs.String(), "pid 4711") {
		t.Errorf("the failure is not logged: %q", logs.String())
	}
	if strings.Contains(reply.Text, "4711") {
		t.Errorf("reply %q shows the failure", reply.Text)
	}

	// Buttons still acknowledge; text ratings, which must look the answer
	// up, say they could not record it.
	if r := b.HandleAction(ctx, bot.Action{Platform: "shell", User: "alice", ID: bot.ActionHelpful, Value: reply.Buttons[0].Value}); r.Text == "" {
		t.Error("button press got no reply")
	}
	r := b.HandleMessage(ctx, shellMsg("alice", "#general", "+1"))
	if r.Text == "" || strings.Contains(r.Text, "4711") || strings.Contains(r.Text, "secret.db") {
		t.Errorf("rating with the log down: %q", r.Text)
	}
}

// Default ids are unique and the default clock is the wall clock.
func TestDefaults(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	b, err := bot.New(bot.Config{Knowledge: &fakeKnowledge{}, Events: st})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	b.HandleMessage(t.Context(), shellMsg("alice", "#general", "one"))
	b.HandleMessage(t.Context(), shellMsg("alice", "#general", "two"))
	evs, err := st.Events(t.Context(), store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Fatalf("recorded %d events, want 4", len(evs))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if e.ID == "" || seen[e.ID] {
			t.Errorf("event id %q is empty or repeated", e.ID)
		}
		seen[e.ID] = true
		if e.Time.Before(start) || e.Time.After(time.Now().Add(time.Second)) {
			t.Errorf("event time %v, want about now", e.Time)
		}
	}
}

func TestConcurrentMessages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const users = 8
	var wg sync.WaitGroup
	for i := range users {
		wg.Go(func() {
			user := fmt.Sprintf("user-%d", i)
			f.bot.HandleMessage(t.Context(), shellMsg(user, "#general", "question from "+user))
			f.bot.HandleMessage(t.Context(), shellMsg(user, "#general", "+1"))
		})
	}
	wg.Wait()
	answers := map[string]string{} // user -> answer id
	for _, e := range f.ofKind(t, store.EventAnswer) {
		answers[e.User] = e.ID
	}
	feedback := f.ofKind(t, store.EventFeedback)
	if len(answers) != users || len(feedback) != users {
		t.Fatalf("%d answers and %d ratings, want %d of each", len(answers), len(feedback), users)
	}
	for _, e := range feedback {
		if e.Ref != answers[e.User] {
			t.Errorf("%s rated %q, want their own answer %q", e.User, e.Ref, answers[e.User])
		}
	}
}

// TestFallbackReasonIsLogged: when the model could not answer (a refused
// key, say), the person gets the quoted answer and the operator's log
// says why, so that a misconfiguration does not go unnoticed.
func TestFallbackReasonIsLogged(t *testing.T) {
	f := setup(t)
	f.knowledge.answer = func(q string) (knowledge.Answer, error) {
		ans := confidentAnswer(q)
		ans.Mode = knowledge.ModeFallback
		ans.FallbackReason = "chat with m (http://x/v1): the model endpoint refused the API key"
		ans.SearchFallback = "the question could not be embedded, so passages were found by words alone: embed with e: the model endpoint is unavailable"
		return ans, nil
	}
	reply := f.bot.HandleMessage(t.Context(), shellMsg("ann", "general", "how do I reset my password?"))
	if !reply.Fallback {
		t.Fatalf("reply %+v", reply)
	}
	logs := f.logs.String()
	for _, want := range []string{"refused the API key", "found by words alone"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q:\n%s", want, logs)
		}
	}
}
