package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var nudgeCases = []testCase{
	{"TrackVersions", testTrackVersions},
	{"DraftApproval", testDraftApproval},
	{"Enrolments", testEnrolments},
	{"Preferences", testPreferences},
	{"CardStates", testCardStates},
	{"DeliveryOnce", testDeliveryOnce},
	{"DeliveryClaimExclusive", testDeliveryClaimExclusive},
	{"DeliveryClaimOnePerLearner", testDeliveryClaimOnePerLearner},
	{"DeliveryInDoubt", testDeliveryInDoubt},
	{"ClaimRefusedWithoutEnrolment", testClaimWithoutEnrolment},
	{"DeliveryCardsSent", testDeliveryCardsSent},
	{"QuizAnswerWithReview", testQuizAnswerWithReview},
	{"DeliveryInThread", testDeliveryInThread},
	{"AnswerOnce", testAnswerOnce},
	{"ClaimCancelledForPausedLearner", testClaimPaused},
	{"InvalidLearner", testInvalidLearner},
	{"TextNoBackendKeeps", testNudgeTextNoBackendKeeps},
}

func nudgesOf(t *testing.T, s store.Store) store.Nudges {
	t.Helper()
	n, ok := s.(store.Nudges)
	if !ok {
		t.Fatalf("%T does not implement store.Nudges", s)
	}
	return n
}

var ann = store.Learner{Platform: "slack", Workspace: "T1", User: "U-ann"}

// deliveryLease is the lease of the suite's delivery claims.
const deliveryLease = 5 * time.Minute

// claimAt is the claim of the attempt token made at t.
func claimAt(token string, t time.Time) store.DeliveryClaim {
	return store.DeliveryClaim{Token: token, At: t, Until: t.Add(deliveryLease)}
}

// claim claims d for the attempt c and says whether c holds it.
func claim(ctx context.Context, n store.Nudges, d store.Delivery, c store.DeliveryClaim) (bool, error) {
	h, err := n.ClaimDelivery(ctx, d, c)
	return h.Held, err
}

// enrol enrols learners in the track "sec": a delivery is claimed only
// for a learner with an enrolment in its workspace.
func enrol(t *testing.T, n store.Nudges, learners ...store.Learner) {
	t.Helper()
	for _, l := range learners {
		if err := n.SaveEnrolment(t.Context(), store.Enrolment{Learner: l, TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base}); err != nil {
			t.Fatal(err)
		}
	}
}

func testTrackVersions(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	v1, isNew, err := n.PublishTrack(ctx, store.TrackVersion{TrackID: "sec", Hash: "h1", Title: "Security", Content: []byte(`{"a":1}`), LoadedAt: base})
	if err != nil || !isNew || v1.Version != 1 {
		t.Fatalf("first publish = %+v, %v, %v", v1, isNew, err)
	}
	again, isNew, err := n.PublishTrack(ctx, store.TrackVersion{TrackID: "sec", Hash: "h1", Title: "Security", Content: []byte(`{"a":1}`)})
	if err != nil || isNew || again.Version != 1 || string(again.Content) != `{"a":1}` {
		t.Fatalf("unchanged publish = %+v, %v, %v; want version 1 kept", again, isNew, err)
	}
	v2, isNew, err := n.PublishTrack(ctx, store.TrackVersion{TrackID: "sec", Hash: "h2", Title: "Security 2", Content: []byte(`{"a":2}`), LoadedAt: base})
	if err != nil || !isNew || v2.Version != 2 {
		t.Fatalf("changed publish = %+v, %v, %v", v2, isNew, err)
	}
	if _, _, err := n.PublishTrack(ctx, store.TrackVersion{TrackID: "leave", Hash: "x", Title: "Leave", Content: []byte(`{}`), LoadedAt: base}); err != nil {
		t.Fatal(err)
	}
	latest, err := n.TrackVersion(ctx, "sec", 0)
	if err != nil || latest.Version != 2 || latest.Title != "Security 2" || !latest.LoadedAt.Equal(base) {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	old, err := n.TrackVersion(ctx, "sec", 1)
	if err != nil || string(old.Content) != `{"a":1}` {
		t.Errorf("version 1 = %+v, %v", old, err)
	}
	_, err = n.TrackVersion(ctx, "sec", 9)
	wantErrorIs(t, err, store.ErrNotFound, "missing version")
	_, err = n.TrackVersion(ctx, "nope", 0)
	wantErrorIs(t, err, store.ErrNotFound, "missing track")
	all, err := n.Tracks(ctx)
	if err != nil || len(all) != 2 || all[0].TrackID != "leave" || all[1].Version != 2 {
		t.Errorf("tracks = %+v, %v", all, err)
	}
}

func testDraftApproval(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	if _, _, err := n.PublishTrack(ctx, store.TrackVersion{TrackID: "gen", Hash: "h", Title: "Generated", Draft: true, Content: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	got, _ := n.TrackVersion(ctx, "gen", 0)
	if !got.Draft {
		t.Fatal("draft flag lost")
	}
	if err := n.ApproveTrack(ctx, "gen"); err != nil {
		t.Fatal(err)
	}
	got, _ = n.TrackVersion(ctx, "gen", 0)
	if got.Draft {
		t.Error("approved track is still a draft")
	}
	wantErrorIs(t, n.ApproveTrack(ctx, "missing"), store.ErrNotFound, "approve a missing track")
}

func testEnrolments(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	bob := store.Learner{Platform: "discord", Workspace: "G1", User: "bob"}
	e := store.Enrolment{Learner: ann, TrackID: "sec", Status: store.EnrolmentActive, Source: "self", JoinedAt: base}
	for _, x := range []store.Enrolment{e, {Learner: bob, TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base, Channel: "C7"}} {
		if err := n.SaveEnrolment(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	e.Seen, e.LastNewAt = []string{"c1", "c2"}, base.Add(time.Hour)
	if err := n.SaveEnrolment(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := n.Enrolments(ctx, store.EnrolmentFilter{Learner: &ann})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], e) {
		t.Fatalf("ann's enrolments = %+v, %v; want [%+v]", got, err, e)
	}
	all, _ := n.Enrolments(ctx, store.EnrolmentFilter{Status: store.EnrolmentActive, TrackID: "sec"})
	if len(all) != 2 || all[0].User != "bob" || all[0].Channel != "C7" || all[1].Channel != "" {
		t.Errorf("active = %+v; want ann's and bob's, bob's through channel C7", all)
	}
	e.Status = store.EnrolmentLeft
	_ = n.SaveEnrolment(ctx, e)
	active, _ := n.Enrolments(ctx, store.EnrolmentFilter{Status: store.EnrolmentActive})
	if len(active) != 1 || active[0].User != "bob" {
		t.Errorf("active after ann left = %+v", active)
	}
}

func testPreferences(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	_, err := n.Preferences(ctx, ann)
	wantErrorIs(t, err, store.ErrNotFound, "preferences never set")
	p := store.Preferences{Learner: ann, TimeZone: "Europe/Paris", DeliveryMinute: 570, Weekdays: 0b0111110, DailyCap: 3,
		QuietFrom: base, QuietUntil: base.Add(48 * time.Hour), SnoozedUntil: base.Add(time.Hour), Paused: true}
	if err := n.SavePreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Paused, p.Stopped, p.StopReason = false, true, "left the workspace"
	if err := n.SavePreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := n.Preferences(ctx, ann)
	if err != nil || !reflect.DeepEqual(got, p) {
		t.Errorf("preferences = %+v, %v; want %+v", got, err, p)
	}
	all, err := n.AllPreferences(ctx)
	if err != nil || len(all) != 1 || !reflect.DeepEqual(all[0], p) {
		t.Errorf("all preferences = %+v, %v", all, err)
	}
}

func testCardStates(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	c := store.CardState{Learner: ann, TrackID: "sec", CardID: "q1", Due: base.Add(24 * time.Hour), Stability: 2.3065,
		Difficulty: 2.1181, ScheduledDays: 2, Reps: 1, State: 2, LastReview: base, SeenAt: base}
	tip := store.CardState{Learner: ann, TrackID: "sec", CardID: "t1", SeenAt: base}
	for _, x := range []store.CardState{c, tip} {
		if err := n.SaveCardState(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	c.Reps, c.Lapses = 2, 1
	_ = n.SaveCardState(ctx, c)
	got, err := n.CardStates(ctx, ann, "sec")
	if err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], c) || !reflect.DeepEqual(got[1], tip) {
		t.Fatalf("card states = %+v, %v", got, err)
	}
	due, err := n.DueCards(ctx, base.Add(25*time.Hour))
	if err != nil || len(due) != 1 || due[0].CardID != "q1" {
		t.Errorf("due = %+v, %v; want q1 only (a tip is never due)", due, err)
	}
	if due, _ := n.DueCards(ctx, base.Add(24*time.Hour)); len(due) != 0 {
		t.Errorf("due before its time: %+v", due)
	}
}

func testDeliveryOnce(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	enrol(t, n, ann)
	d := store.Delivery{ID: "d1", Learner: ann, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "q1", Version: 2, Fingerprint: "ab"}}}
	ok, err := claim(ctx, n, d, claimAt("a", base))
	if err != nil || !ok {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	// A retry after a failed send, which released its claim, may claim
	// again; once sent, never.
	if err := n.ReleaseDelivery(ctx, "d1", "a", false); err != nil {
		t.Fatal(err)
	}
	if ok, err := claim(ctx, n, d, claimAt("b", base)); err != nil || !ok {
		t.Fatalf("claim of a released delivery = %v, %v", ok, err)
	}
	e := store.Enrolment{Learner: ann, TrackID: "sec", Status: store.EnrolmentActive, Seen: []string{"q1"}, LastNewAt: base, JoinedAt: base}
	st := store.CardState{Learner: ann, TrackID: "sec", CardID: "q1", Due: base.Add(24 * time.Hour), SeenAt: base}
	ev := store.Event{ID: "ev-d1", Time: base, Kind: store.EventNudgeDelivered, Platform: "slack", Workspace: "T1", User: "U-ann", Direct: true, Value: 1, Ref: "d1"}
	for range 2 { // a retried completion records the event once
		if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d1", Claim: "b", Status: store.DeliverySent, At: base.Add(time.Second),
			Enrolments: []store.Enrolment{e}, States: []store.CardState{st}, Events: []store.Event{ev}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustEvents(t, s, store.EventFilter{Kind: store.EventNudgeDelivered}); len(got) != 1 || !reflect.DeepEqual(got[0], ev) {
		t.Errorf("events = %+v, want [%+v]", got, ev)
	}
	if ok, err := claim(ctx, n, d, claimAt("c", base.Add(time.Hour))); err != nil || ok {
		t.Fatalf("claim of a sent delivery = %v, %v; want false", ok, err)
	}
	got, err := n.Delivery(ctx, "d1")
	d.Status, d.SentAt = store.DeliverySent, base.Add(time.Second)
	if err != nil || !reflect.DeepEqual(got, d) {
		t.Errorf("delivery = %+v, %v; want %+v", got, err, d)
	}
	if es, _ := n.Enrolments(ctx, store.EnrolmentFilter{Learner: &ann}); len(es) != 1 || !reflect.DeepEqual(es[0].Seen, []string{"q1"}) {
		t.Errorf("progress not saved with the delivery: %+v", es)
	}
	if cs, _ := n.CardStates(ctx, ann, "sec"); len(cs) != 1 || !cs[0].Due.Equal(st.Due) {
		t.Errorf("card state not saved with the delivery: %+v", cs)
	}
	recent, err := n.RecentDeliveries(ctx, ann, 5)
	if err != nil || len(recent) != 1 || recent[0].ID != "d1" {
		t.Errorf("recent = %+v, %v", recent, err)
	}
	err = n.CompleteDelivery(ctx, store.DeliveryDone{ID: "unknown", Claim: "a", Status: store.DeliverySent, At: base})
	wantErrorIs(t, err, store.ErrNotFound, "complete an unclaimed delivery")
	_, err = n.Delivery(ctx, "unknown")
	wantErrorIs(t, err, store.ErrNotFound, "load an unknown delivery")

	// A delivery too late to send is recorded as missed: never claimed
	// again, and not among the learner's recent deliveries.
	late := store.Delivery{ID: "d2", Learner: ann, Slot: base.Add(24 * time.Hour)}
	if ok, err := claim(ctx, n, late, claimAt("a", base.Add(30*time.Hour))); err != nil || !ok {
		t.Fatalf("claim d2 = %v, %v", ok, err)
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d2", Claim: "a", Status: store.DeliveryMissed, At: base.Add(30 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := claim(ctx, n, late, claimAt("b", base.Add(31*time.Hour))); err != nil || ok {
		t.Errorf("claim of a missed delivery = %v, %v; want false", ok, err)
	}
	if recent, _ := n.RecentDeliveries(ctx, ann, 5); len(recent) != 1 {
		t.Errorf("recent = %+v; want the sent delivery only", recent)
	}
}

// A learner has one delivery being sent at a time, whatever its id (a
// scheduled nudge, an on-demand one): while one is held under a live
// lease, claiming another of theirs is refused with the holder named, and
// nothing is written; other learners are not held up. Once the first is
// recorded, or its lease has ended, the other may be claimed.
func testDeliveryClaimOnePerLearner(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	bob := store.Learner{Platform: "slack", Workspace: "T1", User: "U-bob"}
	annElsewhere := store.Learner{Platform: "slack", Workspace: "T2", User: "U-ann"}
	enrol(t, n, ann, bob, annElsewhere)
	card := []store.DeliveryCard{{TrackID: "sec", CardID: "q1", Version: 1}}
	planned := store.Delivery{ID: "planned", Learner: ann, Slot: base, Cards: card}
	if ok, err := claim(ctx, n, planned, claimAt("a", base)); err != nil || !ok {
		t.Fatalf("claim of the planned delivery = %v, %v", ok, err)
	}
	now := store.Delivery{ID: "now", Learner: ann, Slot: base.Add(time.Second), Cards: card}
	ok, err := claim(ctx, n, now, claimAt("b", base.Add(time.Second)))
	var held *store.LockHeldError
	if ok || !errors.As(err, &held) || held.Holder != "a" || !held.Until.Equal(base.Add(deliveryLease)) {
		t.Fatalf("claim of another delivery to ann while one is sent = %v, %v; want a *LockHeldError naming a until %v",
			ok, err, base.Add(deliveryLease))
	}
	if _, err := n.Delivery(ctx, "now"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused delivery was recorded: %v", err)
	}
	for _, l := range []store.Learner{bob, annElsewhere} {
		d := store.Delivery{ID: "now-" + l.Workspace + l.User, Learner: l, Slot: base, Cards: card}
		if ok, err := claim(ctx, n, d, claimAt("c", base.Add(time.Second))); err != nil || !ok {
			t.Errorf("claim for %+v while ann's is sent = %v, %v", l, ok, err)
		}
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "planned", Claim: "a", Status: store.DeliverySent, At: base.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if ok, err := claim(ctx, n, now, claimAt("b", base.Add(2*time.Second))); err != nil || !ok {
		t.Fatalf("claim once the other was recorded = %v, %v", ok, err)
	}
	// An attempt that died holding a delivery holds the others only
	// until its lease ends.
	later := store.Delivery{ID: "later", Learner: ann, Slot: base.Add(time.Hour), Cards: card}
	if ok, err := claim(ctx, n, later, claimAt("d", base.Add(deliveryLease))); !errors.Is(err, store.ErrLocked) || ok {
		t.Fatalf("claim during b's lease = %v, %v; want ErrLocked", ok, err)
	}
	if ok, err := claim(ctx, n, later, claimAt("d", base.Add(2*time.Second+deliveryLease))); err != nil || !ok {
		t.Errorf("claim once b's lease ended = %v, %v", ok, err)
	}
}

// Two live attempts never both hold a delivery: while one's lease runs the
// other is refused with the holder named; an attempt whose lease has ended
// is presumed dead and taken over, and can then neither complete nor
// release the delivery.
func testDeliveryClaimExclusive(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	enrol(t, n, ann)
	d := store.Delivery{ID: "d1", Learner: ann, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "q1", Version: 1}}}
	if ok, err := claim(ctx, n, d, claimAt("a", base)); err != nil || !ok {
		t.Fatalf("claim by a = %v, %v", ok, err)
	}
	ok, err := claim(ctx, n, d, claimAt("b", base.Add(deliveryLease-time.Millisecond)))
	if ok {
		t.Fatal("b claimed a delivery a holds under a live lease")
	}
	var held *store.LockHeldError
	if !errors.As(err, &held) || !errors.Is(err, store.ErrLocked) || held.Holder != "a" || !held.Until.Equal(base.Add(deliveryLease)) {
		t.Fatalf("claim by b during a's lease: %v; want a *LockHeldError naming a until %v", err, base.Add(deliveryLease))
	}
	if ok, err := claim(ctx, n, d, claimAt("b", base.Add(deliveryLease))); err != nil || !ok {
		t.Fatalf("claim by b once a's lease ended = %v, %v", ok, err)
	}
	// a wakes up: its release leaves b's lease alone, and it cannot
	// complete.
	if err := n.ReleaseDelivery(ctx, "d1", "a", false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ClaimDelivery(ctx, d, claimAt("c", base.Add(deliveryLease+time.Minute))); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("claim by c during b's lease: %v; want ErrLocked", err)
	}
	err = n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d1", Claim: "a", Status: store.DeliverySent, At: base.Add(deliveryLease)})
	wantErrorIs(t, err, store.ErrNotFound, "completion by an attempt taken over")
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d1", Claim: "b", Status: store.DeliverySent, At: base.Add(deliveryLease)}); err != nil {
		t.Fatalf("completion by b: %v", err)
	}
	if ok, err := claim(ctx, n, d, claimAt("c", base.Add(time.Hour))); err != nil || ok {
		t.Errorf("claim of a sent delivery = %v, %v; want false", ok, err)
	}

	// A delivery taken over after the learner paused is cancelled.
	d2 := store.Delivery{ID: "d2", Learner: ann, Slot: base.Add(24 * time.Hour)}
	if ok, err := claim(ctx, n, d2, claimAt("a", base.Add(24*time.Hour))); err != nil || !ok {
		t.Fatalf("claim d2 = %v, %v", ok, err)
	}
	if err := n.SavePreferences(ctx, store.Preferences{Learner: ann, DeliveryMinute: 570, Weekdays: 62, DailyCap: 3, Paused: true}); err != nil {
		t.Fatal(err)
	}
	if ok, err := claim(ctx, n, d2, claimAt("b", base.Add(25*time.Hour))); err != nil || ok {
		t.Errorf("take-over while paused = %v, %v; want false", ok, err)
	}
	if got, err := n.Delivery(ctx, "d2"); err != nil || got.Status != store.DeliveryCancelled {
		t.Errorf("d2 = %+v, %v; want it cancelled", got, err)
	}
	_, err = n.ClaimDelivery(ctx, d2, store.DeliveryClaim{At: base})
	wantErrorIs(t, err, store.ErrInvalidInput, "claim without a token")
}

// A delivery is in doubt, for the attempt that claims it next, when an
// earlier attempt may have sent it: it held the delivery until its lease
// ran out, or released it saying its message may have gone out. It stays
// in doubt, since the first such attempt's claim, whatever later attempts
// do; a release after a failed send leaves it as it was.
func testDeliveryInDoubt(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	enrol(t, n, ann)
	d := store.Delivery{ID: "d1", Learner: ann, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "q1", Version: 1}}}
	hold := func(token string, at time.Time) store.DeliveryHold {
		t.Helper()
		h, err := n.ClaimDelivery(ctx, d, claimAt(token, at))
		if err != nil || !h.Held {
			t.Fatalf("claim by %s = %+v, %v", token, h, err)
		}
		return h
	}
	if h := hold("a", base); !h.InDoubt.IsZero() {
		t.Errorf("a new delivery is in doubt since %v", h.InDoubt)
	}
	if err := n.ReleaseDelivery(ctx, "d1", "a", false); err != nil {
		t.Fatal(err)
	}
	bAt := base.Add(time.Minute)
	if h := hold("b", bAt); !h.InDoubt.IsZero() {
		t.Errorf("a delivery whose send failed is in doubt since %v", h.InDoubt)
	}
	// b dies holding it.
	if h := hold("c", bAt.Add(deliveryLease)); !h.InDoubt.Equal(bAt) {
		t.Errorf("taken over from a dead attempt: in doubt since %v, want %v (its claim)", h.InDoubt, bAt)
	}
	if err := n.ReleaseDelivery(ctx, "d1", "c", false); err != nil {
		t.Fatal(err)
	}
	if h := hold("d", bAt.Add(2*deliveryLease)); !h.InDoubt.Equal(bAt) {
		t.Errorf("after a later failed send: in doubt since %v, want still %v", h.InDoubt, bAt)
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d1", Claim: "d", Status: store.DeliverySent, At: bAt.Add(2 * deliveryLease)}); err != nil {
		t.Fatal(err)
	}

	// An attempt unsure whether its send went out says so.
	d = store.Delivery{ID: "d2", Learner: ann, Slot: base.Add(24 * time.Hour)}
	hold("a", base)
	if err := n.ReleaseDelivery(ctx, "d2", "a", true); err != nil {
		t.Fatal(err)
	}
	if h := hold("b", base.Add(time.Second)); !h.InDoubt.Equal(base) {
		t.Errorf("released unsure: in doubt since %v, want %v", h.InDoubt, base)
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d2", Claim: "b", Status: store.DeliverySent, At: base.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	// Only the holder's release counts.
	d = store.Delivery{ID: "d3", Learner: ann, Slot: base.Add(48 * time.Hour)}
	hold("a", base)
	if err := n.ReleaseDelivery(ctx, "d3", "someone", true); err != nil {
		t.Fatal(err)
	}
	if err := n.ReleaseDelivery(ctx, "d3", "a", false); err != nil {
		t.Fatal(err)
	}
	if h := hold("b", base.Add(time.Second)); !h.InDoubt.IsZero() {
		t.Errorf("a stranger's release put the delivery in doubt since %v", h.InDoubt)
	}
}

// A delivery of a learner with no enrolment in its workspace (forgotten
// since it was planned) is not claimed and nothing of it is written; an
// enrolment in another workspace does not count.
func testClaimWithoutEnrolment(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	elsewhere := ann
	elsewhere.Workspace = "T2"
	enrol(t, n, elsewhere)
	if h, err := n.ClaimDelivery(ctx, store.Delivery{ID: "d1", Learner: ann, Slot: base}, claimAt("a", base)); err != nil || h.Held {
		t.Errorf("claim without an enrolment = %+v, %v; want it refused", h, err)
	}
	if d, err := n.Delivery(ctx, "d1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delivery of a learner without an enrolment = %+v, %v; want none", d, err)
	}
	enrol(t, n, ann)
	if ok, err := claim(ctx, n, store.Delivery{ID: "d1", Learner: ann, Slot: base}, claimAt("a", base)); err != nil || !ok {
		t.Errorf("claim once enrolled = %v, %v", ok, err)
	}
}

// A completion may record the cards actually sent, when some claimed were
// no longer due; without them the claimed cards stay.
func testDeliveryCardsSent(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	enrol(t, n, ann)
	cards := []store.DeliveryCard{{TrackID: "sec", CardID: "t1", Version: 1}, {TrackID: "sec", CardID: "q1", Version: 1, Review: true}}
	for i, sent := range [][]store.DeliveryCard{cards[1:], nil} {
		id := []string{"d1", "d2"}[i]
		d := store.Delivery{ID: id, Learner: ann, Slot: base.Add(time.Duration(i) * time.Hour), Cards: cards}
		if ok, err := claim(ctx, n, d, claimAt("a", base)); err != nil || !ok {
			t.Fatalf("claim %s = %v, %v", id, ok, err)
		}
		if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: "a", Status: store.DeliverySent, At: base, Cards: sent}); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := n.Delivery(ctx, "d1"); err != nil || !reflect.DeepEqual(got.Cards, cards[1:]) {
		t.Errorf("d1's cards = %+v, %v; want the one sent", got.Cards, err)
	}
	if got, err := n.Delivery(ctx, "d2"); err != nil || !reflect.DeepEqual(got.Cards, cards) {
		t.Errorf("d2's cards = %+v, %v; want those claimed", got.Cards, err)
	}
}

// A quiz answer and the review it makes are written together: the first
// answer to a card of a delivery saves the card's state; a second answer,
// or one computed from a state another answer has since replaced, changes
// nothing.
func testQuizAnswerWithReview(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	seen := store.CardState{Learner: ann, TrackID: "sec", CardID: "q1", Due: base, SeenAt: base}
	if err := n.SaveCardState(ctx, seen); err != nil {
		t.Fatal(err)
	}
	at := base.Add(25 * time.Hour)
	reviewed := seen
	reviewed.Due, reviewed.Stability, reviewed.Reps, reviewed.State, reviewed.LastReview = at.Add(72*time.Hour), 3.17, 1, 2, at
	a := store.Answer{DeliveryID: "d2", CardID: "sec/q1", Learner: ann, Choice: "2", Correct: true, At: at}
	first, err := n.RecordQuizAnswer(ctx, store.QuizReview{Answer: a, State: reviewed})
	if err != nil || !first {
		t.Fatalf("first answer = %v, %v", first, err)
	}
	if got, _ := n.CardStates(ctx, ann, "sec"); len(got) != 1 || !reflect.DeepEqual(got[0], reviewed) {
		t.Errorf("card state = %+v; want %+v", got, reviewed)
	}
	again := reviewed
	again.Reps, again.Lapses, again.LastReview = 2, 1, at.Add(time.Minute)
	b := a
	b.Choice, b.Correct, b.At = "1", false, at.Add(time.Minute)
	// The same delivery's card again.
	if ok, err := n.RecordQuizAnswer(ctx, store.QuizReview{Answer: b, State: again, Prev: reviewed.LastReview}); err != nil || ok {
		t.Errorf("second answer to d2 = %v, %v; want it refused", ok, err)
	}
	// Another delivery's copy of the card, reviewed from the state before
	// the first answer: refused, and its answer not kept either.
	b.DeliveryID = "d1"
	if ok, err := n.RecordQuizAnswer(ctx, store.QuizReview{Answer: b, State: again}); err != nil || ok {
		t.Errorf("answer computed from a replaced state = %v, %v; want it refused", ok, err)
	}
	if got, _ := n.Answers(ctx, "d1"); len(got) != 0 {
		t.Errorf("answers to d1 = %+v; want none kept", got)
	}
	if got, _ := n.Answers(ctx, "d2"); len(got) != 1 || !reflect.DeepEqual(got[0], a) {
		t.Errorf("answers to d2 = %+v; want the first", got)
	}
	if got, _ := n.CardStates(ctx, ann, "sec"); len(got) != 1 || !reflect.DeepEqual(got[0], reviewed) {
		t.Errorf("card state = %+v; want the first review's", got)
	}
	// A card never delivered before is saved with its first answer.
	fresh := store.CardState{Learner: ann, TrackID: "sec", CardID: "q2", Due: at.Add(48 * time.Hour), Reps: 1, LastReview: at, SeenAt: at}
	if ok, err := n.RecordQuizAnswer(ctx, store.QuizReview{Answer: store.Answer{DeliveryID: "d2", CardID: "sec/q2", Learner: ann, Choice: "1", At: at}, State: fresh}); err != nil || !ok {
		t.Errorf("answer to a card without a state = %v, %v", ok, err)
	}
}

func testAnswerOnce(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	a := store.Answer{DeliveryID: "d1", CardID: "q1", Learner: ann, Choice: "2", Correct: true, At: base}
	first, err := n.RecordAnswer(ctx, a)
	if err != nil || !first {
		t.Fatalf("first answer = %v, %v", first, err)
	}
	b := a
	b.Choice, b.Correct = "1", false
	if again, err := n.RecordAnswer(ctx, b); err != nil || again {
		t.Fatalf("second answer = %v, %v; want it refused", again, err)
	}
	got, err := n.Answers(ctx, "d1")
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], a) {
		t.Errorf("answers = %+v, %v; want the first only", got, err)
	}
}

func testInvalidLearner(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	err := n.SaveEnrolment(ctx, store.Enrolment{TrackID: "sec", Status: store.EnrolmentActive})
	wantErrorIs(t, err, store.ErrInvalidInput, "enrolment without a learner")
	_, err = n.ClaimDelivery(ctx, store.Delivery{Learner: ann}, claimAt("a", base))
	if !errors.Is(err, store.ErrInvalidInput) {
		t.Errorf("delivery without id: %v", err)
	}
}

// Text that is not valid UTF-8 is refused as invalid input by every
// nudges write, in every backend, and nothing of the write is kept (SQLite
// kept it, PostgreSQL failed on it with its own error); a NUL byte is kept
// or refused as invalid input, as the backend's rules say.
func testNudgeTextNoBackendKeeps(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	enrol(t, n, ann)
	if _, err := n.ClaimDelivery(ctx, store.Delivery{ID: "d1", Learner: ann, Slot: base}, claimAt("a", base)); err != nil {
		t.Fatal(err)
	}
	writes := func(bad string) map[string]error {
		return map[string]error{
			"track title": func() error {
				_, _, err := n.PublishTrack(ctx, store.TrackVersion{TrackID: "t", Hash: "h", Title: bad, Content: []byte("x\x00\xff")})
				return err
			}(),
			"enrolment channel": n.SaveEnrolment(ctx, store.Enrolment{Learner: ann, TrackID: "t", Status: store.EnrolmentActive, Channel: bad, JoinedAt: base}),
			"enrolment seen":    n.SaveEnrolment(ctx, store.Enrolment{Learner: ann, TrackID: "t", Status: store.EnrolmentActive, Seen: []string{bad}, JoinedAt: base}),
			"time zone":         n.SavePreferences(ctx, store.Preferences{Learner: ann, TimeZone: bad, Weekdays: 62, DailyCap: 1}),
			"card id":           n.SaveCardState(ctx, store.CardState{Learner: ann, TrackID: "t", CardID: bad}),
			"delivery thread": func() error {
				// Once d1's lease has ended: a learner has one delivery
				// being sent at a time.
				_, err := n.ClaimDelivery(ctx, store.Delivery{ID: "d2", Learner: ann, Slot: base, Thread: bad}, claimAt("a", base.Add(deliveryLease)))
				return err
			}(),
			"delivered enrolment": n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d1", Claim: "a", Status: store.DeliverySent, At: base,
				Enrolments: []store.Enrolment{{Learner: ann, TrackID: bad, Status: store.EnrolmentActive, JoinedAt: base}}}),
			"answer choice": func() error {
				_, err := n.RecordAnswer(ctx, store.Answer{DeliveryID: "d1", CardID: "c", Learner: ann, Choice: bad, At: base})
				return err
			}(),
		}
	}
	for name, err := range writes("a\xffb") {
		if !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s not valid UTF-8: %v, want ErrInvalidInput", name, err)
		}
	}
	if tracks, err := n.Tracks(ctx); err != nil || len(tracks) != 0 {
		t.Errorf("tracks = %+v, %v; want none", tracks, err)
	}
	if es, err := n.Enrolments(ctx, store.EnrolmentFilter{}); err != nil || len(es) != 1 || es[0].TrackID != "sec" {
		t.Errorf("enrolments = %+v, %v; want ann's in sec only", es, err)
	}
	if d, err := n.Delivery(ctx, "d1"); err != nil || d.Status != store.DeliverySending {
		t.Errorf("delivery whose completion was refused = %+v, %v; want it still being sent", d, err)
	}
	if _, err := n.Delivery(ctx, "d2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delivery whose claim was refused: %v, want ErrNotFound", err)
	}
	if as, err := n.Answers(ctx, "d1"); err != nil || len(as) != 0 {
		t.Errorf("answers = %+v, %v; want none", as, err)
	}
	if err := n.ApproveTrack(ctx, "a\xffb"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("approve a track id no track has: %v, want ErrNotFound", err)
	}
	if err := n.ReleaseDelivery(ctx, "a\xffb", "a", false); err != nil {
		t.Errorf("release a delivery id no delivery has: %v", err)
	}
	for name, err := range writes("a\x00b") {
		if err != nil && !errors.Is(err, store.ErrInvalidInput) {
			t.Errorf("%s with a NUL byte: %v, want it kept or ErrInvalidInput", name, err)
		}
	}
}

func testClaimPaused(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	enrol(t, n, ann)
	p := store.Preferences{Learner: ann, DeliveryMinute: 570, Weekdays: 62, DailyCap: 3, SnoozedUntil: base.Add(time.Hour)}
	if err := n.SavePreferences(ctx, p); err != nil {
		t.Fatal(err)
	}
	early := store.Delivery{ID: "early", Learner: ann, Slot: base}
	if ok, err := claim(ctx, n, early, claimAt("a", base)); err != nil || ok {
		t.Fatalf("claim inside the snooze = %v, %v; want false", ok, err)
	}
	if d, err := n.Delivery(ctx, "early"); err != nil || d.Status != store.DeliveryCancelled {
		t.Errorf("snoozed delivery = %+v, %v; want it recorded cancelled", d, err)
	}
	if ok, err := claim(ctx, n, store.Delivery{ID: "late", Learner: ann, Slot: base.Add(2 * time.Hour)}, claimAt("a", base)); err != nil || !ok {
		t.Errorf("claim after the snooze = %v, %v", ok, err)
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "late", Claim: "a", Status: store.DeliverySent, At: base}); err != nil {
		t.Fatal(err)
	}
	p.Paused = true
	_ = n.SavePreferences(ctx, p)
	if ok, err := claim(ctx, n, store.Delivery{ID: "paused", Learner: ann, Slot: base.Add(3 * time.Hour)}, claimAt("a", base)); err != nil || ok {
		t.Errorf("claim while paused = %v, %v; want false", ok, err)
	}
}

// A sent delivery is found by the message it was sent as, for its learner
// only; an unsent one or another learner's is not.
func testDeliveryInThread(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	bob := store.Learner{Platform: "slack", Workspace: "T1", User: "U-bob"}
	enrol(t, n, ann, bob)
	for _, d := range []store.Delivery{
		{ID: "d-ann", Learner: ann, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "r1", Version: 1}}},
		{ID: "d-bob", Learner: bob, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "r1", Version: 1}}},
	} {
		if ok, err := claim(ctx, n, d, claimAt("a", base)); err != nil || !ok {
			t.Fatalf("claim %s = %v, %v", d.ID, ok, err)
		}
	}
	for id, thread := range map[string]string{"d-ann": "1700000000.000100", "d-bob": "1700000000.000200"} {
		if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: id, Claim: "a", Status: store.DeliverySent, At: base, Thread: thread}); err != nil {
			t.Fatal(err)
		}
	}
	unsent := store.Delivery{ID: "d-unsent", Learner: ann, Slot: base.Add(time.Hour)}
	if ok, err := claim(ctx, n, unsent, claimAt("a", base)); err != nil || !ok {
		t.Fatalf("claim d-unsent = %v, %v", ok, err)
	}
	got, err := n.DeliveryInThread(ctx, ann, "1700000000.000100")
	if err != nil || got.ID != "d-ann" || got.Thread != "1700000000.000100" {
		t.Fatalf("ann's delivery by thread = %+v, %v", got, err)
	}
	for _, c := range []struct {
		l      store.Learner
		thread string
	}{{ann, "1700000000.000200"}, {ann, ""}, {ann, "unknown"}, {bob, "1700000000.000100"}} {
		if d, err := n.DeliveryInThread(ctx, c.l, c.thread); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeliveryInThread(%s, %q) = %+v, %v; want ErrNotFound", c.l.User, c.thread, d, err)
		}
	}
}
