package storetest

import (
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
