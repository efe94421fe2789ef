package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var freshnessCases = []testCase{
	{"ReviewByRoundTrip", testReviewByRoundTrip},
	{"DueForReview", testDueForReview},
	{"RatedAnswers", testRatedAnswers},
	{"ReviewNoticesOncePerPeriod", testReviewNotices},
	{"ReviewClaimIsALease", testReviewClaimLease},
}

func testReviewByRoundTrip(t *testing.T, s store.Store) {
	due := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	doc := newDoc("leave", "handbook")
	doc.ReviewBy = due
	mustReplace(t, s, doc, newChunk(0, "Leave", []string{"leav"}, basis(0)))
	got, err := s.Document(t.Context(), "leave")
	if err != nil || !got.ReviewBy.Equal(due) {
		t.Fatalf("review by = %v, %v; want %v", got.ReviewBy, err, due)
	}
	// A new version without a date has none: the date follows the content.
	doc.ReviewBy = time.Time{}
	mustReplace(t, s, doc, newChunk(0, "Leave", []string{"leav"}, basis(0)))
	if got, _ := s.Document(t.Context(), "leave"); !got.ReviewBy.IsZero() {
		t.Fatalf("review by = %v after a version without one, want none", got.ReviewBy)
	}
}

func testDueForReview(t *testing.T, s store.Store) {
	day := func(d int) time.Time { return time.Date(2025, 6, d, 0, 0, 0, 0, time.UTC) }
	for _, d := range []struct {
		id, status string
		review     time.Time
	}{
		{"b-late", "", day(20)},
		{"a-early", "", day(1)},
		{"c-same", "", day(1)},
		{"none", "", time.Time{}},
		{"draft", store.StatusDraft, day(1)},
	} {
		doc := newDoc(d.id, "handbook")
		doc.Owner, doc.Status, doc.ReviewBy = "owner of "+d.id, d.status, d.review
		mustReplace(t, s, doc, newChunk(0, "text", []string{"text"}, basis(0)))
	}
	ids := func(by time.Time) []string {
		t.Helper()
		docs, err := s.DueForReview(t.Context(), by)
		if err != nil {
			t.Fatalf("due for review by %v: %v", by, err)
		}
		var out []string
		for _, d := range docs {
			out = append(out, d.ID)
			if d.Owner != "owner of "+d.ID || d.Title != "Title of "+d.ID || d.Collection != "handbook" || d.Source == "" {
				t.Errorf("due document %+v lacks its owner, title, collection or source", d)
			}
		}
		return out
	}
	if got := ids(day(1).Add(-time.Millisecond)); got != nil {
		t.Errorf("due before any date: %v, want none", got)
	}
	// Inclusive, earliest first then by id; drafts and undated never due.
	if got, want := ids(day(1)), []string{"a-early", "c-same"}; !reflect.DeepEqual(got, want) {
		t.Errorf("due by the 1st: %v, want %v", got, want)
	}
	if got, want := ids(day(30)), []string{"a-early", "c-same", "b-late"}; !reflect.DeepEqual(got, want) {
		t.Errorf("due by the 30th: %v, want %v", got, want)
	}
}

func testRatedAnswers(t *testing.T, s store.Store) {
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	vote := func(id string, m int, user, ref string, v int) store.Event {
		return store.Event{ID: id, Time: at(m), Kind: store.EventFeedback, Platform: "slack", Workspace: "T1", User: user, Value: v, Ref: ref}
	}
	for _, e := range []store.Event{
		{ID: "a1", Time: at(0), Kind: store.EventAnswer, Platform: "slack", Workspace: "T1", User: "ana",
			Question: "how much leave?", Confident: true, DocIDs: []string{"leave", "pay"}},
		{ID: "a2", Time: at(1), Kind: store.EventAnswer, Platform: "slack", Workspace: "T1", User: "cy",
			Question: "vpn?", Confident: true, DocIDs: []string{"vpn"}},
		{ID: "a3", Time: at(2), Kind: store.EventAnswer, Platform: "slack", Workspace: "T1", User: "dan", Question: "unrated"},
		vote("old", 3, "dan", "a2", -1), // before since: not counted
		vote("f1", 10, "ana", "a1", 1),
		vote("f2", 11, "ana", "a1", -1), // ana changed her mind: one 👎
		vote("f3", 12, "ben", "a1", -1),
		vote("f4", 13, "cy", "a2", 1),
		vote("f5", 14, "cy", "a2", 1), // pressed twice: one 👍
		vote("f6", 15, "eve", "gone", -1),
	} {
		mustRecord(t, s, e)
	}
	got, err := s.RatedAnswers(t.Context(), at(10))
	if err != nil {
		t.Fatalf("rated answers: %v", err)
	}
	var summary []string
	for _, r := range got {
		summary = append(summary, fmt.Sprintf("%s:+%d-%d", r.Answer.ID, r.Helpful, r.Unhelpful))
	}
	if want := []string{"a2:+1-0", "a1:+0-2"}; !reflect.DeepEqual(summary, want) {
		t.Fatalf("rated answers = %v, want %v (newest answer first, last vote per person)", summary, want)
	}
	a1 := got[1].Answer
	if a1.Question != "how much leave?" || !reflect.DeepEqual(a1.DocIDs, []string{"leave", "pay"}) || !a1.Time.Equal(at(0)) || !a1.Confident {
		t.Errorf("answer a1 read back as %+v", a1)
	}
	if got, err := s.RatedAnswers(t.Context(), at(16)); err != nil || len(got) != 0 {
		t.Errorf("rated answers after the last vote = %v, %v; want none", got, err)
	}
}

const reviewLease = 15 * time.Minute

func testReviewNotices(t *testing.T, s store.Store) {
	t0 := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	// claim claims the notices at at, and marks those it got sent, as a
	// delivered reminder does.
	claim := func(at time.Time, ns ...store.ReviewNotice) []store.ReviewNotice {
		t.Helper()
		for i := range ns {
			ns[i].SentAt = at
		}
		got, err := s.ClaimReviewNotices(t.Context(), ns, reviewLease, week)
		if err != nil {
			t.Fatalf("claim at %v: %v", at, err)
		}
		if err := s.MarkReviewNoticesSent(t.Context(), got); err != nil {
			t.Fatalf("mark sent at %v: %v", at, err)
		}
		return got
	}
	due := store.ReviewNotice{DocID: "leave", Reason: store.ReviewDue}
	down := store.ReviewNotice{DocID: "leave", Reason: store.ReviewDownvoted}
	if got := claim(t0, due, down); len(got) != 2 {
		t.Fatalf("first claim recorded %v, want both", got)
	}
	if got := claim(t0.Add(6*24*time.Hour), due); len(got) != 0 {
		t.Fatalf("claim within the week recorded %v, want none", got)
	}
	other := store.ReviewNotice{DocID: "vpn", Reason: store.ReviewDue}
	// A send that failed is released, and the next run claims it again.
	got, err := s.ClaimReviewNotices(t.Context(), []store.ReviewNotice{
		{DocID: "leave", Reason: store.ReviewDue, SentAt: t0.Add(week)}, {DocID: "vpn", Reason: store.ReviewDue, SentAt: t0.Add(week)},
	}, reviewLease, week)
	if err != nil || len(got) != 2 || got[0].DocID != "leave" || !got[0].SentAt.Equal(t0.Add(week)) {
		t.Fatalf("claim a week later recorded %v, %v; want leave and vpn", got, err)
	}
	if err := s.MarkReviewNoticesSent(t.Context(), got[:1]); err != nil {
		t.Fatalf("mark sent: %v", err)
	}
	if err := s.ReleaseReviewNotices(t.Context(), got[1:]); err != nil {
		t.Fatalf("release: %v", err)
	}
	list, err := s.ReviewNotices(t.Context(), t0)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	want := []store.ReviewNotice{
		{DocID: "leave", Reason: store.ReviewDownvoted, SentAt: t0},
		{DocID: "leave", Reason: store.ReviewDue, SentAt: t0.Add(week)},
	}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("notices = %+v, want %+v", list, want)
	}
	// Releasing a notice that was sent does not forget it.
	if err := s.ReleaseReviewNotices(t.Context(), got[:1]); err != nil {
		t.Fatalf("release a sent notice: %v", err)
	}
	if list, _ := s.ReviewNotices(t.Context(), t0); len(list) != 2 {
		t.Errorf("releasing a sent notice changed the notices: %+v", list)
	}
	if got := claim(t0.Add(week+time.Hour), other); len(got) != 1 {
		t.Errorf("claim after release recorded %v, want it", got)
	}
	_, err = s.ClaimReviewNotices(t.Context(), []store.ReviewNotice{{DocID: "leave", Reason: "bored", SentAt: t0}}, reviewLease, week)
	wantErrorIs(t, err, store.ErrInvalidInput, "unknown reason")
	_, err = s.ClaimReviewNotices(t.Context(), []store.ReviewNotice{{DocID: "leave", Reason: store.ReviewDue, SentAt: t0}}, 0, week)
	wantErrorIs(t, err, store.ErrInvalidInput, "no lease")
}

// testReviewClaimLease: a claim is a short lease. One that ran out
// without being marked sent (a replica stopped between claim and send)
// is claimed again; one marked sent keeps the week quiet.
func testReviewClaimLease(t *testing.T, s store.Store) {
	ctx := t.Context()
	t0 := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	claim := func(at time.Time) []store.ReviewNotice {
		t.Helper()
		got, err := s.ClaimReviewNotices(ctx, []store.ReviewNotice{{DocID: "leave", Reason: store.ReviewDue, SentAt: at}}, reviewLease, week)
		if err != nil {
			t.Fatalf("claim at %v: %v", at, err)
		}
		return got
	}
	first := claim(t0)
	if len(first) != 1 {
		t.Fatalf("first claim = %v, want it", first)
	}
	if got := claim(t0.Add(reviewLease - time.Minute)); len(got) != 0 {
		t.Fatalf("claim within the lease = %v, want none: another replica is sending it", got)
	}
	if list, _ := s.ReviewNotices(ctx, t0); len(list) != 0 {
		t.Errorf("a pending claim is listed as sent: %+v", list)
	}
	// The claimer stopped: the lease runs out and the notice is free.
	second := claim(t0.Add(reviewLease))
	if len(second) != 1 || !second[0].SentAt.Equal(t0.Add(reviewLease)) {
		t.Fatalf("claim after the lease ran out = %v, want it again", second)
	}
	// The stale claim marks nothing; the live one marks it sent.
	if err := s.MarkReviewNoticesSent(ctx, first); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ReviewNotices(ctx, t0); len(list) != 0 {
		t.Errorf("a claim whose lease ran out marked the notice sent: %+v", list)
	}
	if err := s.MarkReviewNoticesSent(ctx, second); err != nil {
		t.Fatal(err)
	}
	list, err := s.ReviewNotices(ctx, t0)
	if err != nil || len(list) != 1 || !list[0].SentAt.Equal(t0.Add(reviewLease)) {
		t.Fatalf("notices after marking sent = %+v, %v", list, err)
	}
	// Sent: quiet for the week, long after the lease.
	if got := claim(t0.Add(reviewLease + 6*24*time.Hour)); len(got) != 0 {
		t.Errorf("claim within the week of a sent notice = %v, want none", got)
	}
	if got := claim(t0.Add(reviewLease + week)); len(got) != 1 {
		t.Errorf("claim a week after it was sent = %v, want it", got)
	}
}
