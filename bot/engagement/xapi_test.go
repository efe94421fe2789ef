package engagement_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

var key = []byte("0123456789abcdef-test-key")

func newMapper(t *testing.T) *engagement.Mapper {
	t.Helper()
	m, err := engagement.NewMapper("https://lore.example.com/xapi/", key)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var at = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func TestMapperRefusesBadConfig(t *testing.T) {
	for _, c := range []struct {
		base string
		key  []byte
	}{{"lore", key}, {"ftp://x/y", key}, {"https://lore.example.com", []byte("short")}} {
		if _, err := engagement.NewMapper(c.base, c.key); err == nil {
			t.Errorf("NewMapper(%q, %d-byte key) succeeded", c.base, len(c.key))
		}
	}
}

// Every kind of the table maps to a statement with its verb, a pseudonymous
// account and an activity under the IRI base.
func TestStatementPerKind(t *testing.T) {
	m := newMapper(t)
	for kind, spec := range engagement.Kinds {
		t.Run(kind, func(t *testing.T) {
			id := uuid.NewString()
			e := store.Event{ID: id, Time: at, Kind: kind, Platform: "slack", Workspace: "T1", Channel: "C1",
				User: "U123ana@example.com", Ref: "ref-1", Value: 1, Confident: true, LatencyMS: 420}
			st, err := m.Statement(e)
			if err != nil {
				t.Fatal(err)
			}
			if st.ID != id || st.Verb.ID != spec.Verb.ID || st.Version != "1.0.3" || st.Timestamp != "2026-03-02T09:30:00.000Z" {
				t.Errorf("statement = %+v", st)
			}
			if !strings.HasPrefix(st.Object.ID, "https://lore.example.com/xapi/"+spec.Activity+"/") || st.Object.Definition.Type != spec.ActivityType {
				t.Errorf("object = %+v", st.Object)
			}
			body, _ := json.Marshal(st)
			if strings.Contains(string(body), "U123ana") || strings.Contains(string(body), "example.com\"") {
				t.Errorf("statement reveals the user: %s", body)
			}
			if st.Actor.Account.HomePage != "https://lore.example.com/xapi/workspaces/slack/T1" || len(st.Actor.Account.Name) != 32 {
				t.Errorf("actor = %+v", st.Actor)
			}
			if st.Context.Platform != "slack" {
				t.Errorf("context = %+v", st.Context)
			}
		})
	}
}

// xAPI durations are ISO 8601 (PT1234.5S), to 0.01 s: never in exponent
// notation, which an LRS refuses, whatever the latency.
func TestAnswerDurationIsISO8601(t *testing.T) {
	m := newMapper(t)
	for ms, want := range map[int64]string{
		0: "PT0S", 7: "PT0.01S", 1500: "PT1.5S", 12345: "PT12.35S", 999_999: "PT1000S",
		1_234_567: "PT1234.57S", 86_400_000: "PT86400S", -40: "PT0S",
	} {
		st, err := m.Statement(store.Event{ID: "a-1", Time: at, Kind: store.EventAnswer, Platform: "slack", User: "u", LatencyMS: ms})
		if err != nil {
			t.Fatal(err)
		}
		if st.Result == nil || st.Result.Duration != want {
			t.Errorf("latency %d ms: duration %+v, want %s", ms, st.Result, want)
		}
	}
}

func TestAnswerStatement(t *testing.T) {
	m := newMapper(t)
	m.TrackOf = func(e store.Event) string { return "onboarding" }
	e := store.Event{ID: "a-1", Time: at, Kind: store.EventAnswer, Platform: "discord", User: "u", Direct: true,
		Confident: false, DocIDs: []string{"handbook/leave.md"}, LatencyMS: 1500}
	st, err := m.Statement(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(st.ID); err != nil || st.ID != engagement.StatementID("a-1") {
		t.Errorf("id %q is not the stable UUID of the event id", st.ID)
	}
	if st.Result == nil || st.Result.Success == nil || *st.Result.Success || st.Result.Duration != "PT1.5S" {
		t.Errorf("result = %+v, want success false and duration PT1.5S", st.Result)
	}
	ca := st.Context.ContextActivities
	if ca == nil || len(ca.Parent) != 1 || ca.Parent[0].ID != "https://lore.example.com/xapi/tracks/onboarding" ||
		len(ca.Other) != 1 || ca.Other[0].ID != "https://lore.example.com/xapi/documents/handbook%2Fleave.md" {
		t.Errorf("context activities = %+v", ca)
	}
	if got := st.Context.Extensions["https://lore.example.com/xapi/extensions/channel-type"]; got != "direct" {
		t.Errorf("channel type = %v", got)
	}
	fb, err := m.Statement(store.Event{ID: uuid.NewString(), Time: at, Kind: store.EventFeedback, User: "u", Value: -1, Ref: "a-1"})
	if err != nil {
		t.Fatal(err)
	}
	if fb.Context.Statement == nil || fb.Context.Statement.ID != st.ID || fb.Result.Response != "not helpful" {
		t.Errorf("feedback statement = %+v", fb)
	}
}

func TestPseudonym(t *testing.T) {
	m := newMapper(t)
	a, b := m.Pseudonym("slack", "T1", "U1"), m.Pseudonym("slack", "T1", "U1")
	if a != b {
		t.Error("pseudonym is not stable")
	}
	if a == m.Pseudonym("slack", "T2", "U1") || a == m.Pseudonym("slack", "T1", "U2") {
		t.Error("pseudonyms of different people collide")
	}
	other, _ := engagement.NewMapper("https://lore.example.com/xapi", []byte("another-key-of-16-bytes"))
	if a == other.Pseudonym("slack", "T1", "U1") {
		t.Error("pseudonym does not depend on the key")
	}
}

func TestUnmapped(t *testing.T) {
	m := newMapper(t)
	for _, e := range []store.Event{
		{ID: "x", Kind: "something_new", User: "u"},
		{ID: "x", Kind: store.EventQuestion},            // anonymous
		{ID: "x", Kind: store.EventFeedback, User: "u"}, // no answer to point at
	} {
		if _, err := m.Statement(e); !errors.Is(err, engagement.ErrUnmapped) {
			t.Errorf("statement of %+v: %v, want ErrUnmapped", e, err)
		}
	}
}

func TestVoid(t *testing.T) {
	m := newMapper(t)
	v := m.Void("1b4e28ba-2fa1-11d2-883f-0016d3cca427", at)
	if v.Verb.ID != "http://adlnet.gov/expapi/verbs/voided" || v.Object.ObjectType != "StatementRef" || v.Object.ID != "1b4e28ba-2fa1-11d2-883f-0016d3cca427" {
		t.Errorf("void = %+v", v)
	}
	stored, err := engagement.Stored(v, "")
	if err != nil || stored.Voids != v.Object.ID {
		t.Errorf("stored void = %+v, %v", stored, err)
	}
}

func TestRecorderWritesStatementsAndHonoursOptOut(t *testing.T) {
	s := openStore(t)
	r := engagement.NewRecorder(s, newMapper(t), nil)
	ctx := context.Background()
	ask := func(id, user string) {
		if err := r.RecordEvent(ctx, store.Event{ID: id, Time: at, Kind: store.EventQuestion, Platform: "slack", Channel: "C1", Thread: "t1", User: user, Question: "how do I expense a taxi?"}); err != nil {
			t.Fatal(err)
		}
	}
	ask("q1", "ana")
	if err := s.SetOptOut(ctx, "ben", true); err != nil {
		t.Fatal(err)
	}
	ask("q2", "ben")
	events, _ := s.Events(ctx, store.EventFilter{})
	if len(events) != 2 {
		t.Fatalf("events = %+v", events)
	}
	for _, e := range events {
		if e.ID == "q2" && (e.User != "" || e.Question != "" || e.Thread != "") {
			t.Errorf("opted-out event kept personal data: %+v", e)
		}
		if e.ID == "q1" && e.User != "ana" {
			t.Errorf("event of ana = %+v", e)
		}
	}
	sts, _ := s.Statements(ctx, store.StatementFilter{})
	if len(sts) != 1 || sts[0].User != "ana" || sts[0].ID != engagement.StatementID("q1") {
		t.Fatalf("statements = %+v, want only ana's", sts)
	}
	var st engagement.Statement
	if err := json.Unmarshal(sts[0].JSON, &st); err != nil || st.Verb.ID != engagement.VerbAsked.ID {
		t.Errorf("stored JSON = %s (%v)", sts[0].JSON, err)
	}
}

// Without a pseudonym key there is no mapper: events are recorded without
// statements, and opt-outs still hold.
func TestRecorderWithoutMapper(t *testing.T) {
	s := openStore(t)
	r := engagement.NewRecorder(s, nil, nil)
	ctx := t.Context()
	if err := s.SetOptOut(ctx, "ben", true); err != nil {
		t.Fatal(err)
	}
	for id, user := range map[string]string{"q1": "ana", "q2": "ben"} {
		if err := r.RecordEvent(ctx, store.Event{ID: id, Time: at, Kind: store.EventQuestion, Platform: "slack", Channel: "C1", Thread: "t1", User: user, Question: "q"}); err != nil {
			t.Fatal(err)
		}
	}
	events, _ := s.Events(ctx, store.EventFilter{})
	if len(events) != 2 {
		t.Fatalf("events = %+v, want both kept", events)
	}
	for _, e := range events {
		if (e.ID == "q1") != (e.User == "ana") || (e.ID == "q2" && (e.Question != "" || e.Thread != "")) {
			t.Errorf("event %+v: want ana's as asked, ben's anonymous", e)
		}
	}
	if sts, _ := s.Statements(ctx, store.StatementFilter{}); len(sts) != 0 {
		t.Errorf("statements without a pseudonym key: %+v", sts)
	}
}

// Every statement of a forgotten person is voided, forwarded or not: one
// still in the outbox may be in a batch the forwarder is posting.
func TestForgetVoidsEveryStatement(t *testing.T) {
	s := openStore(t)
	m := newMapper(t)
	r := engagement.NewRecorder(s, m, nil)
	ctx := context.Background()
	for _, id := range []string{"q1", "q2"} {
		if err := r.RecordEvent(ctx, store.Event{ID: id, Time: at, Kind: store.EventQuestion, User: "ana", Question: "q"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkForwarded(ctx, []string{engagement.StatementID("q1")}); err != nil {
		t.Fatal(err)
	}
	res, err := engagement.Forget(ctx, s, m, "ana", false, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 2 {
		t.Errorf("forgot %d events, want 2", res.Events)
	}
	pending, _ := s.PendingStatements(ctx, 10)
	var voided []string
	for _, p := range pending {
		if p.User != "" || strings.Contains(string(p.JSON), "ana") {
			t.Errorf("a statement in the outbox names the person: %+v", p)
		}
		voided = append(voided, p.Voids)
	}
	if want := []string{engagement.StatementID("q1"), engagement.StatementID("q2")}; !slices.Equal(voided, want) {
		t.Fatalf("outbox voids %q, want q1 and q2 voided and nothing else", voided)
	}
}

// Without a pseudonym key there is no Mapper: a forget still voids what
// was stored while there was one, under the default IRI base.
func TestForgetWithoutMapperVoids(t *testing.T) {
	s := openStore(t)
	r := engagement.NewRecorder(s, newMapper(t), nil)
	if err := r.RecordEvent(t.Context(), store.Event{ID: "q1", Time: at, Kind: store.EventQuestion, User: "ana", Question: "q"}); err != nil {
		t.Fatal(err)
	}
	res, err := engagement.Forget(t.Context(), s, nil, "ana", false, at.Add(time.Hour))
	if err != nil || res.Events != 1 || len(res.Statements) != 1 {
		t.Fatalf("forget = %+v, %v", res, err)
	}
	pending, _ := s.PendingStatements(t.Context(), 10)
	if len(pending) != 1 || pending[0].Voids != engagement.StatementID("q1") ||
		!strings.Contains(string(pending[0].JSON), engagement.DefaultIRIBase) {
		t.Errorf("outbox = %+v, want q1 voided under %s", pending, engagement.DefaultIRIBase)
	}
}

// flakyOutbox fails to queue statements while down is set, as a database
// that drops the connection at the wrong moment does.
type flakyOutbox struct {
	*sqlite.Store
	down bool
}

func (f *flakyOutbox) AddStatements(ctx context.Context, ss []store.Statement) error {
	if f.down {
		return store.ErrUnavailable
	}
	return f.Store.AddStatements(ctx, ss)
}

// A forget whose voiding statements cannot be queued fails without
// deleting what they would withdraw: run again, it voids every statement.
// Queued after the statements were deleted, they would be lost for good,
// since nothing would still know the ids to void.
func TestForgetThatCannotQueueVoidsCanBeRunAgain(t *testing.T) {
	s := openStore(t)
	m := newMapper(t)
	r := engagement.NewRecorder(s, m, nil)
	ctx := t.Context()
	for _, id := range []string{"q1", "q2"} {
		if err := r.RecordEvent(ctx, store.Event{ID: id, Time: at, Kind: store.EventQuestion, User: "ana", Question: "q"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkForwarded(ctx, []string{engagement.StatementID("q1"), engagement.StatementID("q2")}); err != nil {
		t.Fatal(err)
	}
	flaky := &flakyOutbox{Store: s, down: true}
	for _, keepCounts := range []bool{true, false} {
		if _, err := engagement.Forget(ctx, flaky, m, "ana", keepCounts, at.Add(time.Hour)); !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("forget (keep counts %v) with the outbox down = %v, want it to fail", keepCounts, err)
		}
	}
	flaky.down = false
	res, err := engagement.Forget(ctx, flaky, m, "ana", false, at.Add(time.Hour))
	if err != nil || res.Events != 2 || len(res.Statements) != 2 {
		t.Fatalf("forget again = %+v, %v; want 2 events and 2 statements removed", res, err)
	}
	pending, _ := s.PendingStatements(ctx, 10)
	var voided []string
	for _, p := range pending {
		voided = append(voided, p.Voids)
	}
	if want := []string{engagement.StatementID("q1"), engagement.StatementID("q2")}; !slices.Equal(voided, want) {
		t.Fatalf("outbox voids %q, want q1 and q2 voided", voided)
	}
	if left, _ := s.Statements(ctx, store.StatementFilter{User: "ana"}); len(left) != 0 {
		t.Errorf("statements of the person left: %d", len(left))
	}
}

// The same holds for a statement that retention deleted after forwarding
// it, of which only the id is kept: it is voided before the id goes.
func TestForgetThatCannotQueueVoidsKeepsForwardedIDs(t *testing.T) {
	s := openStore(t)
	m := newMapper(t)
	ctx := t.Context()
	if err := engagement.NewRecorder(s, m, nil).RecordEvent(ctx, store.Event{ID: "q1", Time: at, Kind: store.EventQuestion, User: "ana", Question: "q"}); err != nil {
		t.Fatal(err)
	}
	q1 := engagement.StatementID("q1")
	if err := s.MarkForwarded(ctx, []string{q1}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(ctx, at.AddDate(0, 0, 2)); err != nil {
		t.Fatal(err)
	}
	flaky := &flakyOutbox{Store: s, down: true}
	if _, err := engagement.Forget(ctx, flaky, m, "ana", false, at.AddDate(0, 0, 3)); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("forget with the outbox down = %v, want it to fail", err)
	}
	flaky.down = false
	if _, err := engagement.Forget(ctx, flaky, m, "ana", false, at.AddDate(0, 0, 3)); err != nil {
		t.Fatal(err)
	}
	pending, _ := s.PendingStatements(ctx, 10)
	if len(pending) != 1 || pending[0].Voids != q1 {
		t.Fatalf("outbox = %+v, want q1 voided", pending)
	}
}
