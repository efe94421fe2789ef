package engagement_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

// noKnowledge answers nothing: these tests are about commands, and a
// message that reaches it was taken for a question.
type noKnowledge struct{ asked []string }

func (k *noKnowledge) Ask(_ context.Context, q string) (knowledge.Answer, error) {
	k.asked = append(k.asked, q)
	return knowledge.Answer{}, nil
}

type privacyFixture struct {
	st  store.Store
	bot *bot.Bot
	kn  *noKnowledge
}

func newPrivacyFixture(t *testing.T) *privacyFixture {
	t.Helper()
	st := openStore(t)
	m := newMapper(t)
	kn := &noKnowledge{}
	b, err := bot.New(bot.Config{
		Knowledge: kn, Events: engagement.NewRecorder(st, m, nil),
		Privacy: &engagement.PrivacyCommands{Store: st, Mapper: m, K: 4, Audit: st},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &privacyFixture{st: st, bot: b, kn: kn}
}

func (f *privacyFixture) say(t *testing.T, user, text string) bot.Reply {
	t.Helper()
	return f.bot.HandleMessage(t.Context(), bot.Message{Platform: "slack", Workspace: "T1", Channel: "C1", User: user, Text: text})
}

// record stores an event of user through the recorder path, with its
// statement.
func (f *privacyFixture) record(t *testing.T, user string, kind string) {
	t.Helper()
	rec := engagement.NewRecorder(f.st, newMapper(t), nil)
	if err := rec.RecordEvent(t.Context(), store.Event{ID: uuid.NewString(), Time: at, Kind: kind, Platform: "slack",
		Workspace: "T1", Channel: "C1", User: user, Question: "how do I expense a taxi?"}); err != nil {
		t.Fatal(err)
	}
}

func (f *privacyFixture) eventsOf(t *testing.T, user string) []store.Event {
	t.Helper()
	es, err := f.st.Events(t.Context(), store.EventFilter{User: user})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestPrivacyShowsWhatIsKept(t *testing.T) {
	f := newPrivacyFixture(t)
	f.record(t, "U1", store.EventQuestion)
	f.record(t, "U1", store.EventAnswer)
	f.record(t, "U2", store.EventQuestion)
	r := f.say(t, "U1", "privacy")
	for _, want := range []string{"2 records", "(1 question with its text, 1 answer, 0 ratings, 0 others)", "pseudonym", "sent on to a learning record store, I keep their ids", "at least 4 people", "peer profile", "reflections", "optout analytics", "forget me"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("privacy lacks %q:\n%s", want, r.Text)
		}
	}
	if !r.Private {
		t.Error("privacy reply is not private")
	}
	if help := f.say(t, "U1", "help"); !strings.Contains(help.Text, "`forget me`") || !strings.Contains(help.Text, "`privacy`") {
		t.Errorf("help does not list the privacy commands:\n%s", help.Text)
	}
	// Questions that merely start with the words are questions.
	for _, q := range []string{"privacy policy for contractors?", "forget my password", "forget me not flowers"} {
		f.say(t, "U1", q)
	}
	if len(f.kn.asked) != 3 {
		t.Errorf("asked %q; the three questions should reach the knowledge base", f.kn.asked)
	}
}

func TestOptOutAndInFromChat(t *testing.T) {
	f := newPrivacyFixture(t)
	f.record(t, "U1", store.EventQuestion)
	r := f.say(t, "U1", "optout analytics")
	if !strings.Contains(r.Text, "out of analytics") || !strings.Contains(r.Text, "1 record") {
		t.Fatalf("opt-out reply: %s", r.Text)
	}
	if out, _ := f.st.OptedOut(t.Context(), "U1"); !out {
		t.Fatal("opt-out not recorded")
	}
	if es := f.eventsOf(t, "U1"); len(es) != 0 {
		t.Errorf("events still name the person: %+v", es)
	}
	all, _ := f.st.Events(t.Context(), store.EventFilter{})
	if len(all) != 1 || all[0].Question != "" {
		t.Errorf("the anonymous count is gone or keeps the question: %+v", all)
	}
	// Only the voiding statement of the removed one is left.
	if ss, _ := f.st.Statements(t.Context(), store.StatementFilter{}); len(ss) != 1 || ss[0].Voids == "" || ss[0].User != "" {
		t.Errorf("statements after opting out = %+v, want one voiding statement", ss)
	}
	// What the person does now is anonymous too.
	f.say(t, "U1", "what is the travel policy?")
	if es := f.eventsOf(t, "U1"); len(es) != 0 {
		t.Errorf("a new event names an opted-out person: %+v", es)
	}
	if r := f.say(t, "U1", "privacy"); !strings.Contains(r.Text, "You opted out") {
		t.Errorf("privacy after opt-out: %s", r.Text)
	}
	// A second opt-out says it changes nothing, and is no new audit entry.
	if r := f.say(t, "U1", "optout analytics"); !strings.Contains(r.Text, "already out of analytics") || strings.Contains(r.Text, "0 records") {
		t.Errorf("second opt-out reply: %s", r.Text)
	}
	if r := f.say(t, "U1", "optin analytics"); !strings.Contains(r.Text, "back in analytics") {
		t.Errorf("opt-in reply: %s", r.Text)
	}
	if r := f.say(t, "U1", "optin analytics"); !strings.Contains(r.Text, "in analytics already") || strings.Contains(r.Text, "back in") {
		t.Errorf("second opt-in reply: %s", r.Text)
	}
	if out, _ := f.st.OptedOut(t.Context(), "U1"); out {
		t.Error("still opted out after optin")
	}
	if r := f.say(t, "U1", "optout"); !strings.Contains(r.Text, "optout analytics") {
		t.Errorf("bare optout: %s", r.Text)
	}
	// Both choices are in the audit log, as `lore forget --opt-out` puts
	// an opt-out, naming "a person", never the id.
	log, err := f.st.AuditLog(t.Context(), store.AuditFilter{Action: "person"})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != store.AuditPersonOptIn || log[1].Action != store.AuditPersonForget ||
		!strings.Contains(log[1].Detail, "opted out of analytics: 1 events anonymised") || !strings.Contains(log[0].Detail, "slack") {
		t.Fatalf("audit log after opting out and in = %+v", log)
	}
	for _, e := range log {
		if e.Actor != "a person" || e.Target != "a person" || strings.Contains(e.Detail, "U1") {
			t.Errorf("the audit entry %+v names the person", e)
		}
	}
}

func TestForgetMeNeedsConfirmation(t *testing.T) {
	f := newPrivacyFixture(t)
	f.record(t, "U1", store.EventQuestion)
	f.record(t, "U1", store.EventAnswer)
	f.record(t, "U2", store.EventQuestion)
	// One statement of U1 already reached the LRS.
	pending, err := f.st.PendingStatements(t.Context(), 10)
	if err != nil || len(pending) != 3 {
		t.Fatalf("pending %d, %v", len(pending), err)
	}
	pending0 := pending[0].ID
	if err := f.st.MarkForwarded(t.Context(), []string{pending0}); err != nil {
		t.Fatal(err)
	}

	r := f.say(t, "U1", "Forget me.")
	if len(r.Buttons) != 2 || r.Buttons[0].ID != engagement.ActionForgetConfirm || !r.Private {
		t.Fatalf("forget me reply %+v, want a private confirmation", r)
	}
	if n := len(f.eventsOf(t, "U1")); n != 2 {
		t.Fatalf("%d events before confirming, want 2: nothing is deleted yet", n)
	}
	press := func(user string, b bot.Button) bot.Reply {
		return f.bot.HandleAction(t.Context(), bot.Action{Platform: "slack", Workspace: "T1", Channel: "C1", User: user, ID: b.ID, Value: b.Value})
	}
	if r := press("U1", r.Buttons[1]); !strings.Contains(r.Text, "Nothing was deleted") {
		t.Errorf("cancel: %s", r.Text)
	}
	if r := press("U2", r.Buttons[0]); !strings.Contains(r.Text, "belongs to the person") {
		t.Errorf("someone else's press: %s", r.Text)
	}
	if n := len(f.eventsOf(t, "U1")); n != 2 || len(f.eventsOf(t, "U2")) != 1 {
		t.Fatal("a cancel or someone else's press deleted events")
	}
	// U1 once granted a role: the audit log names them until forgotten.
	if err := f.st.RecordAudit(t.Context(), store.AuditEntry{Actor: "slack/T1/U1", Action: store.AuditRoleGrant, Target: "slack/T1/U2", Detail: "leader"}); err != nil {
		t.Fatal(err)
	}
	done := press("U1", r.Buttons[0])
	log, err := f.st.AuditLog(t.Context(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != store.AuditPersonForget || !strings.HasPrefix(log[0].Actor, store.Forgotten) ||
		log[0].Target != log[0].Actor || log[1].Actor != log[0].Actor {
		t.Errorf("audit log after forget me = %+v, want the request and the earlier grant under one pseudonym", log)
	}
	for _, e := range log {
		if strings.Contains(e.Actor+e.Target+e.Detail, "U1") {
			t.Errorf("the audit log still names U1: %+v", e)
		}
	}
	if !strings.Contains(done.Text, "deleted everything I kept about you: 2 records") || !strings.Contains(done.Text, "2 learning records will be withdrawn") {
		t.Errorf("confirmation: %s", done.Text)
	}
	if n := len(f.eventsOf(t, "U1")); n != 0 {
		t.Errorf("%d events of U1 remain", n)
	}
	if n := len(f.eventsOf(t, "U2")); n != 1 {
		t.Errorf("U2's events were touched: %d", n)
	}
	// Both statements get a voiding statement in the outbox: the
	// forwarded one, and the queued one, which may be on its way.
	pending, _ = f.st.PendingStatements(t.Context(), 10)
	voided := map[string]bool{}
	for _, s := range pending {
		if s.Voids != "" {
			voided[s.Voids] = true
		}
	}
	if len(voided) != 2 || !voided[pending0] {
		t.Errorf("voiding statements queued for %v, want both of U1's statements: %+v", voided, pending)
	}
}
