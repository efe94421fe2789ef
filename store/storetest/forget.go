package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

// forgetCases are what a full Forget deletes beyond events, statements
// and the audit log (covered with them), on every platform and workspace
// the id appears in, and what it leaves of everyone else.
var forgetCases = []testCase{
	{"DeletesPlatformFacts", testForgetPeople},
	{"DeletesPeerData", testForgetPeers},
	{"ClearsPastRounds", testForgetRounds},
	{"DeletesNudgeData", testForgetNudges},
	{"WaitsForNudgeBeingSent", testForgetWaitsForDelivery},
	{"OutlivedAttemptWritesNothing", testForgetOutlivesAttempt},
	{"OptOutKeepsTheRest", testOptOutKeepsTheRest},
}

// The forgotten person is U1 in a Slack workspace and a Discord server;
// U2 is someone else.
var (
	slackU1   = store.PersonKey{Platform: "slack", Workspace: "T1", User: "U1"}
	discordU1 = store.PersonKey{Platform: "discord", Workspace: "G1", User: "U1"}
	slackU2   = store.PersonKey{Platform: "slack", Workspace: "T1", User: "U2"}
)

func learnerOf(p store.PersonKey) store.Learner {
	return store.Learner{Platform: p.Platform, Workspace: p.Workspace, User: p.User}
}

func mustForget(t *testing.T, s store.Store, user string, keepCounts bool) store.ForgetResult {
	t.Helper()
	res, err := s.Forget(t.Context(), user, keepCounts)
	if err != nil {
		t.Fatalf("forget %s: %v", user, err)
	}
	return res
}

func testForgetPeople(t *testing.T, s store.Store) {
	for _, p := range []store.PersonKey{slackU1, discordU1, slackU2} {
		mustSavePerson(t, s, store.Person{Platform: p.Platform, Workspace: p.Workspace, User: p.User, TimeZone: "Europe/Berlin"})
	}
	mustForget(t, s, "U1", false)
	for _, p := range []store.PersonKey{slackU1, discordU1} {
		_, err := s.Person(t.Context(), p.Platform, p.Workspace, p.User)
		wantErrorIs(t, err, store.ErrNotFound, "the time zone of a forgotten person on "+p.Platform)
	}
	mustPerson(t, s, "slack", "T1", "U2")
}

func testForgetPeers(t *testing.T, s store.Store) {
	ps, ctx := peersOf(t, s), t.Context()
	for _, p := range []store.Profile{
		{PersonKey: slackU1, Name: "Ulla One", Team: "Payroll", CanHelp: []string{"kubernetes"}, Blocked: []string{"U3"}, Available: true},
		{PersonKey: discordU1, Name: "Ulla", Available: true},
		// U2 blocked U1: the block is U2's protection and stays.
		{PersonKey: slackU2, Name: "Uwe Two", Blocked: []string{"U1"}},
	} {
		if err := ps.PutProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []store.PeerRequest{
		{ID: "asked", Platform: "slack", Workspace: "T1", Asker: "U1", Expert: "U2", Topic: "my visa paperwork", Status: store.RequestPending},
		{ID: "answered", Platform: "discord", Workspace: "G1", Asker: "U3", Expert: "U1", Topic: "helm charts", Status: store.RequestAccepted},
		{ID: "others", Platform: "slack", Workspace: "T1", Asker: "U3", Expert: "U2", Topic: "go", Status: store.RequestPending},
	} {
		if err := ps.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mustForget(t, s, "U1", false)
	for _, p := range []store.PersonKey{slackU1, discordU1} {
		if got, err := ps.Profile(ctx, p); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("profile on %s after forget = %+v, %v; want ErrNotFound", p.Platform, got, err)
		}
	}
	u2, err := ps.Profile(ctx, slackU2)
	if err != nil || !slices.Equal(u2.Blocked, []string{"U1"}) {
		t.Errorf("U2's profile = %+v, %v; want it kept with its block of U1", u2, err)
	}
	reqs, err := ps.Requests(ctx, store.RequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].ID != "others" {
		t.Errorf("requests after forget = %+v, want only the one between U3 and U2", reqs)
	}
}

func testForgetRounds(t *testing.T, s store.Store) {
	ps, ctx := peersOf(t, s), t.Context()
	round := store.Round{ID: "slack/T1/C1/2025-W10", Platform: "slack", Workspace: "T1", Channel: "C1", StartedAt: base,
		Groups: []store.RoundGroup{
			{Members: []string{"U1", "U2", "U3"}, Reason: "Ulla One can help Uwe Two with kubernetes", Starter: "Ulla One, how did you get started with kubernetes?"},
			{Members: []string{"U4", "U5"}, Reason: "you work in different teams", Starter: "What's a tool you couldn't work without?"},
		},
		Unplaced: []string{"U6"},
	}
	other := store.Round{ID: "discord/G1/C9/2025-W10", Platform: "discord", Workspace: "G1", Channel: "C9", StartedAt: base,
		Groups:   []store.RoundGroup{{Members: []string{"U7", "U8"}, Reason: "r"}},
		Unplaced: []string{"U1"},
	}
	for _, r := range []store.Round{round, other} {
		if _, err := ps.CreateRound(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mustForget(t, s, "U1", false)
	got, err := ps.Round(ctx, round.ID)
	if err != nil {
		t.Fatal(err)
	}
	// U2 and U3 still met: they are not paired again soon. The reason and
	// starter named U1 and go with them.
	if g := got.Groups[0]; !slices.Equal(g.Members, []string{"U2", "U3"}) || g.Reason != "" || g.Starter != "" {
		t.Errorf("U1's group after forget = %+v, want U2 and U3 without the reason and starter naming U1", g)
	}
	if g := got.Groups[1]; !slices.Equal(g.Members, []string{"U4", "U5"}) || g.Reason != round.Groups[1].Reason || g.Starter != round.Groups[1].Starter {
		t.Errorf("another group after forget = %+v, want it unchanged", g)
	}
	if !slices.Equal(got.Unplaced, []string{"U6"}) {
		t.Errorf("unplaced = %v, want U6", got.Unplaced)
	}
	if got, err := ps.Round(ctx, other.ID); err != nil || len(got.Unplaced) != 0 || !slices.Equal(got.Groups[0].Members, []string{"U7", "U8"}) {
		t.Errorf("round on another platform after forget = %+v, %v; want U1 gone from the unplaced", got, err)
	}
}

func testForgetNudges(t *testing.T, s store.Store) {
	n, ctx := nudgesOf(t, s), t.Context()
	seedLearner(t, s, slackU1, "d1")
	seedLearner(t, s, discordU1, "d2")
	seedLearner(t, s, slackU2, "d3")
	mustForget(t, s, "U1", false)
	for _, p := range []store.PersonKey{slackU1, discordU1} {
		l := learnerOf(p)
		if es, err := n.Enrolments(ctx, store.EnrolmentFilter{Learner: &l}); err != nil || len(es) != 0 {
			t.Errorf("enrolments on %s after forget = %+v, %v", p.Platform, es, err)
		}
		_, err := n.Preferences(ctx, l)
		wantErrorIs(t, err, store.ErrNotFound, "nudge preferences after forget on "+p.Platform)
		if cs, err := n.CardStates(ctx, l, "sec"); err != nil || len(cs) != 0 {
			t.Errorf("card states on %s after forget = %+v, %v", p.Platform, cs, err)
		}
		if ds, err := n.RecentDeliveries(ctx, l, 10); err != nil || len(ds) != 0 {
			t.Errorf("deliveries on %s after forget = %+v, %v", p.Platform, ds, err)
		}
	}
	for _, d := range []string{"d1", "d2"} {
		if as, err := n.Answers(ctx, d); err != nil || len(as) != 0 {
			t.Errorf("answers of %s after forget = %+v, %v; want the reflection gone", d, as, err)
		}
	}
	wantLearnerKept(t, s, slackU2, "d3")
	if due, err := n.DueCards(ctx, base.Add(48*time.Hour)); err != nil || len(due) != 1 || due[0].User != "U2" {
		t.Errorf("due cards after forget = %+v, %v; want U2's only", due, err)
	}
}

// testOptOutKeepsTheRest: an analytics opt-out is about analytics only;
// the person keeps their profile, tracks and settings.
func testOptOutKeepsTheRest(t *testing.T, s store.Store) {
	mustSavePerson(t, s, store.Person{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "Europe/Berlin"})
	if err := peersOf(t, s).PutProfile(t.Context(), store.Profile{PersonKey: slackU1, Name: "Ulla One"}); err != nil {
		t.Fatal(err)
	}
	seedLearner(t, s, slackU1, "d1")
	mustForget(t, s, "U1", true)
	mustPerson(t, s, "slack", "T1", "U1")
	if _, err := peersOf(t, s).Profile(t.Context(), slackU1); err != nil {
		t.Errorf("profile after an opt-out: %v", err)
	}
	wantLearnerKept(t, s, slackU1, "d1")
}

// seedLearner gives p an enrolment, preferences, a card state due in a
// day, a delivery and a reflection written to it.
func seedLearner(t *testing.T, s store.Store, p store.PersonKey, delivery string) {
	t.Helper()
	n, ctx, l := nudgesOf(t, s), t.Context(), learnerOf(p)
	if err := n.SaveEnrolment(ctx, store.Enrolment{Learner: l, TrackID: "sec", Status: store.EnrolmentActive, Source: "self", JoinedAt: base}); err != nil {
		t.Fatal(err)
	}
	if err := n.SavePreferences(ctx, store.Preferences{Learner: l, TimeZone: "Europe/Berlin", DeliveryMinute: 570, Weekdays: 0b0111110, DailyCap: 3}); err != nil {
		t.Fatal(err)
	}
	if err := n.SaveCardState(ctx, store.CardState{Learner: l, TrackID: "sec", CardID: "q1", Due: base.Add(24 * time.Hour), SeenAt: base}); err != nil {
		t.Fatal(err)
	}
	d := store.Delivery{ID: delivery, Learner: l, Slot: base, Cards: []store.DeliveryCard{{TrackID: "sec", CardID: "r1", Version: 1}}}
	if ok, err := claim(ctx, n, d, claimAt("a", base)); err != nil || !ok {
		t.Fatalf("claim %s = %v, %v", delivery, ok, err)
	}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: delivery, Claim: "a", Status: store.DeliverySent, At: base, Thread: "1.2"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := n.RecordAnswer(ctx, store.Answer{DeliveryID: delivery, CardID: "r1", Learner: l, Choice: "I struggle with my manager", At: base}); err != nil || !ok {
		t.Fatalf("answer %s = %v, %v", delivery, ok, err)
	}
}

// wantLearnerKept checks that what seedLearner gave p is all there.
func wantLearnerKept(t *testing.T, s store.Store, p store.PersonKey, delivery string) {
	t.Helper()
	n, ctx, l := nudgesOf(t, s), t.Context(), learnerOf(p)
	if es, err := n.Enrolments(ctx, store.EnrolmentFilter{Learner: &l}); err != nil || len(es) != 1 {
		t.Errorf("enrolments of %s = %+v, %v; want one", p.User, es, err)
	}
	if _, err := n.Preferences(ctx, l); err != nil {
		t.Errorf("preferences of %s: %v", p.User, err)
	}
	if cs, err := n.CardStates(ctx, l, "sec"); err != nil || len(cs) != 1 {
		t.Errorf("card states of %s = %+v, %v; want one", p.User, cs, err)
	}
	if ds, err := n.RecentDeliveries(ctx, l, 10); err != nil || len(ds) != 1 {
		t.Errorf("deliveries of %s = %+v, %v; want one", p.User, ds, err)
	}
	if as, err := n.Answers(ctx, delivery); err != nil || len(as) != 1 {
		t.Errorf("answers of %s = %+v, %v; want the reflection", p.User, as, err)
	}
}

// A full forget does not return while a nudge to the person is being sent
// (claimed, its lease running): the attempt records its send first, and
// the forget then deletes that too. After the forget, an attempt whose
// job was fetched before it cannot claim the person's delivery, and
// writes nothing.
func testForgetWaitsForDelivery(t *testing.T, s store.Store) {
	n, ctx, l := nudgesOf(t, s), t.Context(), learnerOf(slackU1)
	seedLearner(t, s, slackU1, "d1")
	now := time.Now()
	cards := []store.DeliveryCard{{TrackID: "sec", CardID: "q2", Version: 1}}
	if h, err := n.ClaimDelivery(ctx, store.Delivery{ID: "d-now", Learner: l, Slot: now, Cards: cards},
		store.DeliveryClaim{Token: "live", At: now, Until: now.Add(deliveryLease)}); err != nil || !h.Held {
		t.Fatalf("claim = %+v, %v", h, err)
	}
	// An analytics opt-out deletes no delivery and does not wait.
	optOut := make(chan error, 1)
	go func() { _, err := s.Forget(ctx, "U1", true); optOut <- err }()
	select {
	case err := <-optOut:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an analytics opt-out waited for a nudge being sent")
	}
	done := make(chan error, 1)
	go func() { _, err := s.Forget(ctx, "U1", false); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("forget returned (%v) while a nudge to the person was being sent", err)
	case <-time.After(300 * time.Millisecond):
	}
	ev := store.Event{ID: "ev-d-now", Time: now, Kind: store.EventNudgeDelivered, Platform: l.Platform, Workspace: l.Workspace, User: l.User, Value: 1, Ref: "d-now"}
	if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d-now", Claim: "live", Status: store.DeliverySent, At: now,
		States: []store.CardState{{Learner: l, TrackID: "sec", CardID: "q2", Due: now.Add(24 * time.Hour), SeenAt: now}},
		Events: []store.Event{ev}}); err != nil {
		t.Fatalf("recording the send the forget waits for: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("forget still waiting after the nudge was recorded")
	}
	wantNothingOf(t, s, l, "d-now")

	// A job fetched before the forget claims the person's next nudge.
	later := store.Delivery{ID: "d-later", Learner: l, Slot: now.Add(time.Hour), Cards: cards}
	if h, err := n.ClaimDelivery(ctx, later, store.DeliveryClaim{Token: "late", At: now, Until: now.Add(deliveryLease)}); err != nil || h.Held {
		t.Errorf("claim after the forget = %+v, %v; want it refused", h, err)
	}
	wantNothingOf(t, s, l, "d-later")
}

// An attempt whose lease ended before the forget (presumed dead) is not
// waited for, and if it lives on, what it records is refused: no
// delivery, card state, preferences or event of the person comes back.
func testForgetOutlivesAttempt(t *testing.T, s store.Store) {
	n, ctx, l := nudgesOf(t, s), t.Context(), learnerOf(slackU1)
	seedLearner(t, s, slackU1, "d1")
	now := time.Now()
	if h, err := n.ClaimDelivery(ctx, store.Delivery{ID: "d-slow", Learner: l, Slot: now},
		store.DeliveryClaim{Token: "slow", At: now.Add(-2 * deliveryLease), Until: now.Add(-deliveryLease)}); err != nil || !h.Held {
		t.Fatalf("claim = %+v, %v", h, err)
	}
	start := time.Now()
	mustForget(t, s, "U1", false)
	if waited := time.Since(start); waited > store.ForgetWaitForDelivery/2 {
		t.Errorf("forget waited %v for an attempt whose lease had ended", waited)
	}
	p := store.Preferences{Learner: l, DeliveryMinute: 570, Weekdays: 62, DailyCap: 3, Stopped: true, StopReason: "left"}
	err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: "d-slow", Claim: "slow", Status: store.DeliveryGone, At: now, Preferences: &p,
		States: []store.CardState{{Learner: l, TrackID: "sec", CardID: "q2", SeenAt: now}},
		Events: []store.Event{{ID: "ev-slow", Time: now, Kind: store.EventLearnerStopped, Platform: l.Platform, Workspace: l.Workspace, User: l.User}}})
	wantErrorIs(t, err, store.ErrNotFound, "completion of a forgotten person's delivery")
	if err := n.ReleaseDelivery(ctx, "d-slow", "slow", true); err != nil {
		t.Errorf("release after the forget: %v", err)
	}
	wantNothingOf(t, s, l, "d-slow")
	if _, err := n.Preferences(ctx, l); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("preferences after the forget: %v; want ErrNotFound", err)
	}
}

// wantNothingOf checks that no delivery, card state, enrolment or event
// of l is stored, delivery id included.
func wantNothingOf(t *testing.T, s store.Store, l store.Learner, delivery string) {
	t.Helper()
	n, ctx := nudgesOf(t, s), t.Context()
	if _, err := n.Delivery(ctx, delivery); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delivery %s after the forget: %v; want ErrNotFound", delivery, err)
	}
	if ds, err := n.RecentDeliveries(ctx, l, 10); err != nil || len(ds) != 0 {
		t.Errorf("deliveries after the forget = %+v, %v", ds, err)
	}
	if cs, err := n.CardStates(ctx, l, "sec"); err != nil || len(cs) != 0 {
		t.Errorf("card states after the forget = %+v, %v", cs, err)
	}
	if es, err := n.Enrolments(ctx, store.EnrolmentFilter{Learner: &l}); err != nil || len(es) != 0 {
		t.Errorf("enrolments after the forget = %+v, %v", es, err)
	}
	if es := mustEvents(t, s, store.EventFilter{User: l.User}); len(es) != 0 {
		t.Errorf("events after the forget: %+v", es)
	}
}
