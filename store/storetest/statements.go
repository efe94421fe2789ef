package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var engagementCases = []testCase{
	{"StatementsRoundTripAndImmutable", testStatementsRoundTrip},
	{"StatementsFilterAndPage", testStatementsPage},
	{"OutboxDrainsOldestFirst", testOutbox},
	{"StatementRefusesBadInput", testStatementBadInput},
	{"OptOut", testOptOut},
	{"OptedOutEventsAreAnonymous", testOptedOutEvents},
	{"ForgetDeletes", testForgetDeletes},
	{"ForgetKeepsAnonymousCounts", testForgetKeepsCounts},
	{"CompactRollsUp", testCompact},
	{"ForgetVoidsWhatRetentionRemoved", testForgetAfterCompact},
	{"DailyActivity", testDailyActivity},
	{"DailyActivityFollowsEvents", testDailyActivityFollowsEvents},
	{"RolledUpDaysCountPeople", testRolledUpDaysCountPeople},
	{"LateEventsNeverInflatePeople", testLateEventsNeverInflatePeople},
	{"ScanEventsOldestFirst", testScanEvents},
	{"AllDocuments", testAllDocuments},
	{"RecordEventsInBulk", testRecordEvents},
}

func stmt(id string, at time.Time, user string) store.Statement {
	return store.Statement{ID: id, Time: at, User: user, JSON: []byte(fmt.Sprintf(`{"id":%q}`, id))}
}

func mustAddStatements(t *testing.T, s store.Store, ss ...store.Statement) {
	t.Helper()
	if err := s.AddStatements(t.Context(), ss); err != nil {
		t.Fatalf("add statements: %v", err)
	}
}

func statementIDs(ss []store.Statement) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

func mustStatements(t *testing.T, s store.Store, f store.StatementFilter) []store.Statement {
	t.Helper()
	ss, err := s.Statements(t.Context(), f)
	if err != nil {
		t.Fatalf("statements %+v: %v", f, err)
	}
	return ss
}

func mustPending(t *testing.T, s store.Store, n int) []string {
	t.Helper()
	ss, err := s.PendingStatements(t.Context(), n)
	if err != nil {
		t.Fatalf("pending statements: %v", err)
	}
	return statementIDs(ss)
}

func testStatementsRoundTrip(t *testing.T, s store.Store) {
	a := stmt("s1", base, "ana")
	a.JSON = []byte(`{"id":"s1","verb":{"id":"http://adlnet.gov/expapi/verbs/asked"},"text":"héllo"}`)
	v := store.Statement{ID: "s2", Time: base.Add(time.Second), Voids: "s1", JSON: []byte(`{"id":"s2"}`)}
	mustAddStatements(t, s, a, v)
	// A second statement with a stored id changes nothing: statements are
	// immutable.
	changed := stmt("s1", base.Add(time.Hour), "ben")
	mustAddStatements(t, s, changed)
	got := mustStatements(t, s, store.StatementFilter{})
	if len(got) != 2 {
		t.Fatalf("statements = %v, want s1, s2", statementIDs(got))
	}
	if g := got[0]; g.ID != "s1" || !g.Time.Equal(base) || g.User != "ana" || string(g.JSON) != string(a.JSON) {
		t.Errorf("first statement = %+v (JSON %s), want %+v", g, g.JSON, a)
	}
	if g := got[1]; g.Voids != "s1" || g.User != "" {
		t.Errorf("voiding statement = %+v", g)
	}
	if p := mustPending(t, s, 10); !slices.Equal(p, []string{"s1", "s2"}) {
		t.Errorf("outbox = %v, want s1 s2 once each", p)
	}
}

func testStatementsPage(t *testing.T, s store.Store) {
	var all []store.Statement
	for i := range 7 {
		user := "ana"
		if i%2 == 1 {
			user = "ben"
		}
		// Two statements share each second, to show paging breaks ties.
		all = append(all, stmt(fmt.Sprintf("p%d", i), base.Add(time.Duration(i/2)*time.Second), user))
	}
	mustAddStatements(t, s, all...)
	var paged []string
	after := ""
	for range 10 {
		page := mustStatements(t, s, store.StatementFilter{After: after, Limit: 3})
		if len(page) == 0 {
			break
		}
		paged = append(paged, statementIDs(page)...)
		after = page[len(page)-1].ID
	}
	if want := statementIDs(all); !slices.Equal(paged, want) {
		t.Errorf("paged = %v, want %v", paged, want)
	}
	if got := statementIDs(mustStatements(t, s, store.StatementFilter{User: "ben"})); !slices.Equal(got, []string{"p1", "p3", "p5"}) {
		t.Errorf("ben's statements = %v", got)
	}
	got := statementIDs(mustStatements(t, s, store.StatementFilter{Since: base.Add(time.Second), Until: base.Add(3 * time.Second)}))
	if !slices.Equal(got, []string{"p2", "p3", "p4", "p5"}) {
		t.Errorf("statements in [1s, 3s) = %v", got)
	}
}

func testOutbox(t *testing.T, s store.Store) {
	mustAddStatements(t, s, stmt("o1", base.Add(2*time.Second), "ana"), stmt("o2", base, "ana"))
	mustAddStatements(t, s, stmt("o3", base.Add(time.Second), "ana"))
	// The outbox keeps the order of storing, not of timestamps, so a late
	// statement about the past is still forwarded.
	if got := mustPending(t, s, 2); !slices.Equal(got, []string{"o1", "o2"}) {
		t.Errorf("first batch = %v, want o1 o2", got)
	}
	if err := s.MarkForwarded(t.Context(), []string{"o1", "unknown"}); err != nil {
		t.Fatal(err)
	}
	if got := mustPending(t, s, 10); !slices.Equal(got, []string{"o2", "o3"}) {
		t.Errorf("after forwarding o1 = %v, want o2 o3", got)
	}
	if err := s.MarkForwarded(t.Context(), []string{"o2", "o3"}); err != nil {
		t.Fatal(err)
	}
	if got := mustPending(t, s, 10); len(got) != 0 {
		t.Errorf("outbox after forwarding all = %v", got)
	}
	// Forwarded statements are still stored.
	if got := mustStatements(t, s, store.StatementFilter{}); len(got) != 3 {
		t.Errorf("statements = %v, want all three kept", statementIDs(got))
	}
	_, err := s.PendingStatements(t.Context(), 0)
	wantErrorIs(t, err, store.ErrInvalidInput, "pending with limit 0")
}

func testStatementBadInput(t *testing.T, s store.Store) {
	for name, bad := range map[string]store.Statement{
		"no id":        {JSON: []byte(`{}`)},
		"no JSON":      {ID: "x"},
		"invalid UTF8": {ID: "x", JSON: []byte("{\"a\":\"\xff\"}")},
	} {
		err := s.AddStatements(t.Context(), []store.Statement{stmt("good", base, "ana"), bad})
		wantErrorIs(t, err, store.ErrInvalidInput, name)
	}
	if got := mustStatements(t, s, store.StatementFilter{}); len(got) != 0 {
		t.Errorf("a refused batch stored %v", statementIDs(got))
	}
}

func testOptOut(t *testing.T, s store.Store) {
	opted := func(user string) bool {
		t.Helper()
		out, err := s.OptedOut(t.Context(), user)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if opted("ana") {
		t.Fatal("ana opted out before asking")
	}
	for range 2 { // twice: idempotent
		if err := s.SetOptOut(t.Context(), "ana", true); err != nil {
			t.Fatal(err)
		}
	}
	if !opted("ana") || opted("ben") {
		t.Errorf("opted out: ana %v, ben %v; want only ana", opted("ana"), opted("ben"))
	}
	if err := s.SetOptOut(t.Context(), "ana", false); err != nil {
		t.Fatal(err)
	}
	if opted("ana") {
		t.Error("ana still opted out after opting back in")
	}
	wantErrorIs(t, s.SetOptOut(t.Context(), "", true), store.ErrInvalidInput, "opt-out of no one")
}

// testOptedOutEvents checks that every way of writing events drops a
// person who opted out, so that no capability needs to check the opt-out
// itself.
func testOptedOutEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.SetOptOut(ctx, ann.User, true); err != nil {
		t.Fatal(err)
	}
	own := func(id, kind string, at time.Duration) store.Event {
		return store.Event{ID: id, Time: base.Add(at), Kind: kind, Platform: ann.Platform, Workspace: ann.Workspace,
			Channel: "C1", Thread: "t1", User: ann.User, Question: "how do I appeal my review?", Value: 1, Ref: "r1"}
	}
	mustRecord(t, s, own("one", store.EventQuestion, 0))
	if err := s.RecordEvents(ctx, []store.Event{own("bulk", store.EventQuestion, time.Minute),
		{ID: "ben", Time: base.Add(time.Minute), Kind: store.EventQuestion, Platform: "slack", Channel: "C1", Thread: "t2", User: "ben", Question: "q"}}); err != nil {
		t.Fatal(err)
	}
	n := nudgesOf(t, s)
	enrol(t, n, ann)
	d := store.Delivery{ID: "d1", Learner: ann, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "q1", Version: 1}}}
	if ok, err := claim(ctx, n, d, claimAt("a", base)); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d1", Claim: "a", Status: store.DeliverySent, At: base,
		Events: []store.Event{own("delivered", store.EventNudgeDelivered, 2*time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if got := mustEvents(t, s, store.EventFilter{User: ann.User}); len(got) != 0 {
		t.Errorf("%d events kept under the id of a person who opted out: %+v", len(got), got)
	}
	byID := map[string]store.Event{}
	for _, e := range mustEvents(t, s, store.EventFilter{}) {
		byID[e.ID] = e
	}
	for _, id := range []string{"one", "bulk", "delivered"} {
		e, ok := byID[id]
		if !ok {
			t.Errorf("event %s not kept: an opted-out person's activity still counts", id)
			continue
		}
		if e.User != "" || e.Thread != "" || e.Question != "" || e.Channel != "C1" || e.Value != 1 {
			t.Errorf("event %s = %+v, want user, thread and question cleared, the rest kept", id, e)
		}
	}
	if e := byID["ben"]; e.User != "ben" || e.Thread != "t2" || e.Question != "q" {
		t.Errorf("ben, who did not opt out, lost his event's details: %+v", e)
	}
	days, err := s.DailyActivity(ctx, store.ActivityFilter{Since: store.Day(base), Until: store.Day(base).Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].Active != 1 || days[0].Questions != 3 {
		t.Errorf("daily activity = %+v, want 1 active person (ben) and 3 questions", days)
	}
	if err := s.SetOptOut(ctx, ann.User, false); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, own("back", store.EventQuestion, 3*time.Minute))
	if got := mustEvents(t, s, store.EventFilter{User: ann.User}); len(got) != 1 || got[0].Question == "" {
		t.Errorf("after opting back in, events = %+v, want the new question under the id", got)
	}
}

func seedPerson(t *testing.T, s store.Store) {
	t.Helper()
	for i, user := range []string{"ana", "ben", "ana"} {
		mustRecord(t, s, store.Event{
			ID: fmt.Sprintf("e%d", i), Time: base.Add(time.Duration(i) * time.Minute), Kind: store.EventQuestion,
			Platform: "slack", Channel: "C1", Thread: "t", User: user, Question: "secret question of " + user,
		})
	}
	mustAddStatements(t, s, stmt("sent", base, "ana"), stmt("queued", base.Add(time.Minute), "ana"), stmt("other", base, "ben"))
	if err := s.MarkForwarded(t.Context(), []string{"sent"}); err != nil {
		t.Fatal(err)
	}
}

func testForgetDeletes(t *testing.T, s store.Store) {
	seedPerson(t, s)
	if err := s.SetOptOut(t.Context(), "ana", true); err != nil {
		t.Fatal(err)
	}
	res, err := s.Forget(t.Context(), "ana", false)
	if err != nil {
		t.Fatal(err)
	}
	// The queued statement too: the forwarder may be posting it right now.
	if res.Events != 2 || !slices.Equal(res.Statements, []string{"sent", "queued"}) {
		t.Errorf("forget = %+v, want 2 events and both statements to void, 'sent' and 'queued'", res)
	}
	if got := eventIDs(mustEvents(t, s, store.EventFilter{})); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("events left = %v, want ben's e1", got)
	}
	if got := statementIDs(mustStatements(t, s, store.StatementFilter{})); !slices.Equal(got, []string{"other"}) {
		t.Errorf("statements left = %v, want ben's", got)
	}
	if got := mustPending(t, s, 10); !slices.Equal(got, []string{"other"}) {
		t.Errorf("outbox = %v: ana's queued statement must not be forwarded any more", got)
	}
	if out, _ := s.OptedOut(t.Context(), "ana"); out {
		t.Error("the opt-out record still names ana")
	}
	wantErrorIs(t, func() error { _, err := s.Forget(t.Context(), "", false); return err }(), store.ErrInvalidInput, "forget no one")
}

func testForgetKeepsCounts(t *testing.T, s store.Store) {
	seedPerson(t, s)
	res, err := s.Forget(t.Context(), "ana", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events != 2 {
		t.Errorf("anonymised %d events, want 2", res.Events)
	}
	events := mustEvents(t, s, store.EventFilter{})
	if len(events) != 3 {
		t.Fatalf("events = %d, want all 3 kept as counts", len(events))
	}
	anonymous := 0
	for _, e := range events {
		if e.User == "ana" {
			t.Errorf("event %s still names ana", e.ID)
		}
		if e.User == "" {
			anonymous++
			if e.Question != "" || e.Thread != "" || e.Kind != store.EventQuestion || e.Channel != "C1" {
				t.Errorf("anonymised event = %+v, want kind and channel kept, question and thread cleared", e)
			}
		}
	}
	if anonymous != 2 {
		t.Errorf("%d anonymous events, want 2", anonymous)
	}
}

func testCompact(t *testing.T, s store.Store) {
	day1 := base.Truncate(24 * time.Hour)
	for i, e := range []struct {
		at         time.Time
		kind, user string
	}{
		{day1.Add(time.Hour), store.EventQuestion, "ana"},
		{day1.Add(2 * time.Hour), store.EventQuestion, "ana"},
		{day1.Add(3 * time.Hour), store.EventQuestion, "ben"},
		{day1.Add(4 * time.Hour), store.EventAnswer, "ben"},
		{day1.Add(26 * time.Hour), store.EventQuestion, "cy"},
		{day1.Add(50 * time.Hour), store.EventQuestion, "dee"}, // after the cut
	} {
		mustRecord(t, s, store.Event{ID: fmt.Sprintf("c%d", i), Time: e.at, Kind: e.kind, Platform: "slack", Channel: "C1", User: e.user})
	}
	mustAddStatements(t, s, stmt("old-sent", day1.Add(time.Hour), "ana"), stmt("old-queued", day1.Add(time.Hour), "ana"))
	if err := s.MarkForwarded(t.Context(), []string{"old-sent"}); err != nil {
		t.Fatal(err)
	}
	cut := day1.Add(48 * time.Hour)
	n, err := s.Compact(t.Context(), cut)
	if err != nil {
		t.Fatal(err)
	}
	if n != 5 {
		t.Errorf("compacted %d events, want 5", n)
	}
	if got := eventIDs(mustEvents(t, s, store.EventFilter{})); !slices.Equal(got, []string{"c5"}) {
		t.Errorf("events left = %v, want c5", got)
	}
	if got := statementIDs(mustStatements(t, s, store.StatementFilter{})); !slices.Equal(got, []string{"old-queued"}) {
		t.Errorf("statements left = %v: a statement still in the outbox must survive retention", got)
	}
	rollups, err := s.Rollups(t.Context(), day1, cut)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Rollup{
		{Day: day1, Kind: "", Platform: "slack", Channel: "C1", Events: 4, Users: 2},
		{Day: day1, Kind: store.EventAnswer, Platform: "slack", Channel: "C1", Events: 1, Users: 1},
		{Day: day1, Kind: store.EventQuestion, Platform: "slack", Channel: "C1", Events: 3, Users: 2},
		{Day: day1.Add(24 * time.Hour), Kind: "", Platform: "slack", Channel: "C1", Events: 1, Users: 1},
		{Day: day1.Add(24 * time.Hour), Kind: store.EventQuestion, Platform: "slack", Channel: "C1", Events: 1, Users: 1},
	}
	if len(rollups) != len(want) {
		t.Fatalf("rollups = %+v, want %+v", rollups, want)
	}
	for i := range want {
		if g := rollups[i]; !g.Day.Equal(want[i].Day) || g.Kind != want[i].Kind || g.Events != want[i].Events || g.Users != want[i].Users || g.Channel != "C1" {
			t.Errorf("rollup %d = %+v, want %+v", i, g, want[i])
		}
	}
	// Daily activity reads the rollups where raw events are gone.
	days, err := s.DailyActivity(t.Context(), store.ActivityFilter{Since: day1, Until: day1.Add(72 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []store.DayActivity{day(day1, 3, 2), day(day1.Add(24*time.Hour), 1, 1), day(day1.Add(48*time.Hour), 1, 1)}
	if !sameDays(days, wantDays) {
		t.Errorf("daily activity = %+v, want %+v", days, wantDays)
	}
}

func mustForwardedIDs(t *testing.T, s store.Store, user, after string, limit int) []string {
	t.Helper()
	ids, err := s.ForwardedIDs(t.Context(), user, after, limit)
	if err != nil {
		t.Fatalf("forwarded ids of %s: %v", user, err)
	}
	return ids
}

// A statement forwarded to an LRS and then deleted by retention is still
// listed for voiding when its person is forgotten, from a record of its id
// and person alone, which the forget deletes.
func testForgetAfterCompact(t *testing.T, s store.Store) {
	day1 := base.Truncate(24 * time.Hour)
	old := day1.Add(time.Hour)
	void := store.Statement{ID: "void-x", Time: old, Voids: "x", JSON: []byte(`{"id":"void-x"}`)}
	mustAddStatements(t, s, stmt("ana-2", old, "ana"), stmt("ana-1", old, "ana"), stmt("ana-queued", old, "ana"),
		stmt("ben-1", old, "ben"), void, stmt("ana-recent", day1.Add(72*time.Hour), "ana"))
	if err := s.MarkForwarded(t.Context(), []string{"ana-1", "ana-2", "ben-1", "void-x", "ana-recent"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(t.Context(), day1.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := statementIDs(mustStatements(t, s, store.StatementFilter{})); !slices.Equal(got, []string{"ana-queued", "ana-recent"}) {
		t.Fatalf("statements left = %v, want the queued and the recent one", got)
	}
	// In id order, paged; a voiding statement is about no one and kept
	// for no one.
	if got := mustForwardedIDs(t, s, "ana", "", 10); !slices.Equal(got, []string{"ana-1", "ana-2"}) {
		t.Errorf("ana's forwarded ids = %v, want ana-1 ana-2", got)
	}
	if got := mustForwardedIDs(t, s, "ana", "ana-1", 1); !slices.Equal(got, []string{"ana-2"}) {
		t.Errorf("ana's forwarded ids after ana-1 = %v, want ana-2", got)
	}
	if got := mustForwardedIDs(t, s, "ben", "", 10); !slices.Equal(got, []string{"ben-1"}) {
		t.Errorf("ben's forwarded ids = %v, want ben-1", got)
	}
	_, err := s.ForwardedIDs(t.Context(), "", "", 10)
	wantErrorIs(t, err, store.ErrInvalidInput, "forwarded ids of no one")
	_, err = s.ForwardedIDs(t.Context(), "ana", "", 0)
	wantErrorIs(t, err, store.ErrInvalidInput, "forwarded ids with limit 0")

	// A statement stored again after retention deleted it is listed once.
	mustAddStatements(t, s, stmt("ana-2", old, "ana"))
	res, err := s.Forget(t.Context(), "ana", false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ana-queued", "ana-recent", "ana-2", "ana-1"}; !slices.Equal(res.Statements, want) {
		t.Errorf("forget lists %v to void, want %v: the LRS keeps what retention removed here", res.Statements, want)
	}
	if got := mustForwardedIDs(t, s, "ana", "", 10); len(got) != 0 {
		t.Errorf("ana's forwarded ids after the forget = %v, want none", got)
	}
	// An analytics opt-out voids them too.
	res, err = s.Forget(t.Context(), "ben", true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Statements, []string{"ben-1"}) {
		t.Errorf("opt-out lists %v to void, want ben-1", res.Statements)
	}
	if got := mustForwardedIDs(t, s, "ben", "", 10); len(got) != 0 {
		t.Errorf("ben's forwarded ids after opting out = %v, want none", got)
	}
	// Voided once, the ids are known nowhere: a second forget lists none.
	if res := mustForget(t, s, "ana", false); len(res.Statements) != 0 {
		t.Errorf("a second forget lists %v to void, want none", res.Statements)
	}
}

func day(d time.Time, questions, active int) store.DayActivity {
	return store.DayActivity{Day: d, Questions: questions, Active: active}
}

func sameDays(got, want []store.DayActivity) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].Day.Equal(want[i].Day) || got[i].Questions != want[i].Questions || got[i].Active != want[i].Active {
			return false
		}
	}
	return true
}

func testDailyActivity(t *testing.T, s store.Store) {
	day1 := base.Truncate(24 * time.Hour)
	for i, e := range []struct {
		h                   int
		kind, user, channel string
	}{
		{1, store.EventQuestion, "ana", "C1"},
		{2, store.EventAnswer, "ana", "C1"},
		{3, store.EventQuestion, "ben", "C2"},
		{4, store.EventFeedback, "cy", "C1"},
		{5, store.EventQuestion, "", "C1"}, // anonymous: counted, not a person
		{25, store.EventQuestion, "ana", "C1"},
	} {
		mustRecord(t, s, store.Event{ID: fmt.Sprintf("d%d", i), Time: day1.Add(time.Duration(e.h) * time.Hour), Kind: e.kind, Platform: "slack", Channel: e.channel, User: e.user})
	}
	days, err := s.DailyActivity(t.Context(), store.ActivityFilter{Since: day1.Add(time.Hour), Until: day1.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.DayActivity{day(day1, 3, 3), day(day1.Add(24*time.Hour), 1, 1)}; !sameDays(days, want) {
		t.Errorf("daily activity = %+v, want %+v (since rounds down to the day)", days, want)
	}
	days, err = s.DailyActivity(t.Context(), store.ActivityFilter{Since: day1, Until: day1.Add(24 * time.Hour), Channel: "C1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.DayActivity{day(day1, 2, 2)}; !sameDays(days, want) {
		t.Errorf("daily activity in C1 = %+v, want %+v", days, want)
	}
}

func testAllDocuments(t *testing.T, s store.Store) {
	b := newDoc("b", "policies")
	b.Owner, b.Tags = "hr-team", []string{"leave"}
	mustReplace(t, s, b, newChunk(0, "b", []string{"b"}, basis(0)))
	mustReplace(t, s, newDoc("a", "handbook"), newChunk(0, "a", []string{"a"}, basis(1)))
	docs, err := s.AllDocuments(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].ID != "a" || docs[1].ID != "b" || docs[1].Owner != "hr-team" || !slices.Equal(docs[1].Tags, []string{"leave"}) {
		t.Errorf("documents = %+v", docs)
	}
}

func testRecordEvents(t *testing.T, s store.Store) {
	mustRecord(t, s, store.Event{ID: "b0", Time: base, Kind: store.EventQuestion, Question: "first"})
	batch := []store.Event{
		{ID: "b0", Time: base.Add(time.Hour), Kind: store.EventQuestion, Question: "again"}, // already recorded
		{ID: "b1", Time: base.Add(time.Minute), Kind: store.EventAnswer, Platform: "slack", User: "ana", Confident: true,
			DocIDs: []string{"leave"}, LatencyMS: 12, Value: -1, Ref: "b0", Direct: true, Question: "q"},
		{ID: "b2", Time: base.Add(2 * time.Minute), Kind: store.EventFeedback, User: "ben", Value: 1, Ref: "b1"},
	}
	if err := s.RecordEvents(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	got := mustEvents(t, s, store.EventFilter{})
	if ids := eventIDs(got); !slices.Equal(ids, []string{"b2", "b1", "b0"}) {
		t.Fatalf("events = %v", ids)
	}
	if got[2].Question != "first" {
		t.Errorf("a batch replaced a recorded event: %+v", got[2])
	}
	b1 := got[1]
	if b1.User != "ana" || !b1.Confident || !slices.Equal(b1.DocIDs, []string{"leave"}) || b1.LatencyMS != 12 || b1.Value != -1 || !b1.Direct || b1.Ref != "b0" {
		t.Errorf("b1 = %+v", b1)
	}
	err := s.RecordEvents(t.Context(), []store.Event{{ID: "b3", Kind: store.EventQuestion}, {Kind: store.EventQuestion}})
	wantErrorIs(t, err, store.ErrInvalidInput, "batch with an event without id")
	if n := len(mustEvents(t, s, store.EventFilter{})); n != 3 {
		t.Errorf("a refused batch recorded part of itself: %d events", n)
	}
}
