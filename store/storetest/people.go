package storetest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var peopleCases = []testCase{
	{"SaveAndLoad", testPersonRoundTrip},
	{"SaveReplaces", testPersonReplace},
	{"KeyHasThreeParts", testPersonKey},
	{"UnknownIsNotFound", testPersonNotFound},
	{"BadInputRefused", testPersonBadInput},
	{"Workspaces", testPersonWorkspaces},
}

func mustSavePerson(t *testing.T, s store.Store, p store.Person) {
	t.Helper()
	if err := s.SavePerson(t.Context(), p); err != nil {
		t.Fatalf("save person %+v: %v", p, err)
	}
}

func mustPerson(t *testing.T, s store.Store, platform, workspace, user string) store.Person {
	t.Helper()
	p, err := s.Person(t.Context(), platform, workspace, user)
	if err != nil {
		t.Fatalf("person %s/%s/%s: %v", platform, workspace, user, err)
	}
	return p
}

func testPersonRoundTrip(t *testing.T, s store.Store) {
	want := store.Person{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "Europe/Berlin",
		UpdatedAt: base.Add(1500 * time.Millisecond)}
	mustSavePerson(t, s, want)
	got := mustPerson(t, s, "slack", "T1", "U1")
	if got != want {
		t.Errorf("person = %+v, want %+v", got, want)
	}
}

func testPersonReplace(t *testing.T, s store.Store) {
	mustSavePerson(t, s, store.Person{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "Europe/Berlin", UpdatedAt: base})
	mustSavePerson(t, s, store.Person{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "America/Chicago", UpdatedAt: base.Add(time.Hour)})
	got := mustPerson(t, s, "slack", "T1", "U1")
	if got.TimeZone != "America/Chicago" || !got.UpdatedAt.Equal(base.Add(time.Hour)) {
		t.Errorf("person after replace = %+v", got)
	}
}

func testPersonKey(t *testing.T, s store.Store) {
	for i, p := range []store.Person{
		{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "Asia/Tokyo"},
		{Platform: "slack", Workspace: "T2", User: "U1", TimeZone: "Europe/Paris"},
		{Platform: "discord", Workspace: "T1", User: "U1", TimeZone: "UTC"},
		{Platform: "slack", Workspace: "", User: "U1", TimeZone: ""},
	} {
		p.UpdatedAt = base.Add(time.Duration(i) * time.Second)
		mustSavePerson(t, s, p)
	}
	for _, c := range []struct{ platform, workspace, tz string }{
		{"slack", "T1", "Asia/Tokyo"}, {"slack", "T2", "Europe/Paris"}, {"discord", "T1", "UTC"}, {"slack", "", ""},
	} {
		if got := mustPerson(t, s, c.platform, c.workspace, "U1"); got.TimeZone != c.tz {
			t.Errorf("%s/%s: time zone %q, want %q", c.platform, c.workspace, got.TimeZone, c.tz)
		}
	}
}

func testPersonNotFound(t *testing.T, s store.Store) {
	_, err := s.Person(t.Context(), "slack", "T1", "U-nobody")
	wantErrorIs(t, err, store.ErrNotFound, "unknown person")
}

func testPersonBadInput(t *testing.T, s store.Store) {
	for _, p := range []store.Person{
		{Workspace: "T1", User: "U1"},
		{Platform: "slack", Workspace: "T1"},
		{Platform: "slack", Workspace: "T1", User: "U\xff"},
		{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: strings.Repeat("x", store.MaxTimeZone+1)},
	} {
		wantErrorIs(t, s.SavePerson(t.Context(), p), store.ErrInvalidInput, "save "+p.User)
	}
	_, err := s.Person(t.Context(), "", "T1", "U1")
	wantErrorIs(t, err, store.ErrInvalidInput, "person without a platform")
}

func testPersonStampedByClock(t *testing.T, s store.Store, c *fakeClock) {
	mustSavePerson(t, s, store.Person{Platform: "slack", Workspace: "T1", User: "U1", TimeZone: "UTC"})
	if got := mustPerson(t, s, "slack", "T1", "U1"); !got.UpdatedAt.Equal(c.Now()) {
		t.Errorf("UpdatedAt = %v, want the clock's %v", got.UpdatedAt, c.Now())
	}
}

// A person's workspaces are those where they have an enrolment, left or
// not, nudge preferences, a sent nudge, a peer profile, a request for help
// made or asked, or an event: the newest nudge's first, then the rest by
// workspace. Learning records without a workspace count; peer records
// and events without one do not. Another person, the same id on another
// platform, an event of someone opted out and a nudge only being sent do
// not count either; once the person is forgotten, none is left.
func testPersonWorkspaces(t *testing.T, s store.Store) {
	n, ps, ctx := nudgesOf(t, s), peersOf(t, s), t.Context()
	in := func(workspace string) store.Learner {
		return store.Learner{Platform: "discord", Workspace: workspace, User: "111"}
	}
	for _, e := range []store.Enrolment{
		{Learner: in("G-enrolled"), TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base},
		{Learner: in("G-left"), TrackID: "sec", Status: store.EnrolmentLeft, JoinedAt: base},
		{Learner: in("G-older"), TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base},
		{Learner: in("G-newest"), TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base},
		{Learner: in(""), TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base},
		{Learner: store.Learner{Platform: "discord", Workspace: "G-other", User: "222"}, TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base},
		{Learner: store.Learner{Platform: "slack", Workspace: "T-slack", User: "111"}, TrackID: "sec", Status: store.EnrolmentActive, JoinedAt: base},
	} {
		if err := n.SaveEnrolment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.SavePreferences(ctx, store.Preferences{Learner: in("G-prefs"), DeliveryMinute: 570, Weekdays: 0b0111110, DailyCap: 3}); err != nil {
		t.Fatal(err)
	}
	// Two nudges in G-older, the newer one before G-newest's; one in
	// G-enrolled is still being sent, so G-enrolled has no last nudge.
	for _, d := range []struct {
		id, workspace string
		sent          time.Time
	}{
		{"d-older-1", "G-older", base},
		{"d-older-2", "G-older", base.Add(time.Hour)},
		{"d-newest", "G-newest", base.Add(2 * time.Hour)},
		{"d-sending", "G-enrolled", time.Time{}},
	} {
		if ok, err := claim(ctx, n, store.Delivery{ID: d.id, Learner: in(d.workspace), Slot: base}, claimAt("a", base)); err != nil || !ok {
			t.Fatalf("claim %s = %v, %v", d.id, ok, err)
		}
		if d.sent.IsZero() {
			continue
		}
		if err := n.CompleteDelivery(ctx, store.DeliveryDone{ID: d.id, Claim: "a", Status: store.DeliverySent, At: d.sent}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []store.Profile{
		{PersonKey: store.PersonKey{Platform: "discord", Workspace: "G-profile", User: "111"}, UpdatedAt: base},
		{PersonKey: store.PersonKey{Platform: "discord", Workspace: "", User: "111"}, UpdatedAt: base},
		{PersonKey: store.PersonKey{Platform: "discord", Workspace: "G-theirs", User: "222"}, UpdatedAt: base},
	} {
		if err := ps.PutProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []store.PeerRequest{
		{ID: "r-asked", Platform: "discord", Workspace: "G-asker", Asker: "111", Expert: "222", Status: store.RequestSuggested, CreatedAt: base, UpdatedAt: base},
		{ID: "r-expert", Platform: "discord", Workspace: "G-expert", Asker: "222", Expert: "111", Status: store.RequestPending, CreatedAt: base, UpdatedAt: base},
		{ID: "r-dm", Platform: "discord", Workspace: "", Asker: "111", Expert: "222", Status: store.RequestSuggested, CreatedAt: base, UpdatedAt: base},
	} {
		if err := ps.PutRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range []store.Event{
		{Workspace: "G-asked", User: "111"},
		{Workspace: "G-asked", User: "111"},
		{Workspace: "", User: "111", Direct: true},
		{Workspace: "G-someone", User: "222"},
		{Workspace: "G-anonymous", User: ""},
	} {
		e.ID, e.Time, e.Kind, e.Platform = "ev-"+string(rune('a'+i)), base, store.EventQuestion, "discord"
		if err := s.RecordEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PersonWorkspaces(ctx, "discord", "111")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.PersonWorkspace{
		{Workspace: "G-newest", LastSent: base.Add(2 * time.Hour)},
		{Workspace: "G-older", LastSent: base.Add(time.Hour)},
		{Workspace: ""},
		{Workspace: "G-asked"},
		{Workspace: "G-asker"},
		{Workspace: "G-enrolled"},
		{Workspace: "G-expert"},
		{Workspace: "G-left"},
		{Workspace: "G-prefs"},
		{Workspace: "G-profile"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("workspaces = %+v\nwant %+v", got, want)
	}
	if got, err := s.PersonWorkspaces(ctx, "discord", "333"); err != nil || len(got) != 0 {
		t.Errorf("workspaces of a stranger = %+v, %v; want none", got, err)
	}
	_, err = s.PersonWorkspaces(ctx, "discord", "")
	wantErrorIs(t, err, store.ErrInvalidInput, "workspaces of no user")

	mustForget(t, s, "111", false)
	if got, err := s.PersonWorkspaces(ctx, "discord", "111"); err != nil || len(got) != 0 {
		t.Errorf("workspaces of a forgotten person = %+v, %v; want none", got, err)
	}
}
