package storetest

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/store"
)

var peerCases = []testCase{
	{"ProfileRoundTrip", testProfileRoundTrip},
	{"RequestsNewestFirstAndFiltered", testRequests},
	{"RequestsByWhenAsked", testRequestsAsked},
	{"SwapRequestOnce", testSwapRequest},
	{"ReplaceEventKeepsTheLatestAnswer", testReplaceEvent},
	{"RoundsCreatedOnce", testRoundsCreatedOnce},
	{"RoundConfigs", testRoundConfigs},
	{"DeletePersonForgetsEverything", testDeletePerson},
	{"DocumentsOwnedBy", testDocumentsOwnedBy},
}

func peersOf(t *testing.T, s store.Store) store.Peers {
	t.Helper()
	p, ok := s.(store.Peers)
	if !ok {
		t.Fatalf("%T does not implement store.Peers", s)
	}
	return p
}

var ana = store.PersonKey{Platform: "slack", Workspace: "T1", User: "ana"}

func testProfileRoundTrip(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	if _, err := ps.Profile(t.Context(), ana); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing profile: error = %v, want ErrNotFound", err)
	}
	p := store.Profile{
		PersonKey: ana, Name: "Ana", Team: "payments", TimeZone: "Europe/Lisbon", WorkStart: 8 * 60, WorkEnd: 16 * 60,
		CanHelp: []string{"golang", "negotiation"}, Learning: []string{"kubernetes"},
		Inferred: []string{"expenses", "sql"}, FromTracks: []string{"sql"}, Dismissed: []string{"vpn"}, InferConsent: true, Available: true,
		SnoozedUntil: base.Add(time.Hour), Blocked: []string{"ben"}, UpdatedAt: base,
	}
	if err := ps.PutProfile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	p.Learning = append(p.Learning, "sql")
	if err := ps.PutProfile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	got, err := ps.Profile(t.Context(), ana)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Learning, p.Learning) || !slices.Equal(got.CanHelp, p.CanHelp) || got.Team != p.Team ||
		!slices.Equal(got.Inferred, p.Inferred) || !slices.Equal(got.FromTracks, p.FromTracks) ||
		!got.SnoozedUntil.Equal(p.SnoozedUntil) || !slices.Equal(got.Blocked, p.Blocked) || !got.Available || !got.InferConsent {
		t.Errorf("profile = %+v, want %+v", got, p)
	}
	other := store.Profile{PersonKey: store.PersonKey{Platform: "slack", Workspace: "T2", User: "ana"}}
	if err := ps.PutProfile(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	list, err := ps.Profiles(t.Context(), "slack", "T1")
	if err != nil || len(list) != 1 || list[0].User != "ana" {
		t.Errorf("profiles of T1 = %+v, %v; want only ana", list, err)
	}
	bad := p
	bad.CanHelp = []string{"\xff"}
	wantErrorIs(t, ps.PutProfile(t.Context(), bad), store.ErrInvalidInput, "profile with invalid UTF-8")
	wantErrorIs(t, ps.PutProfile(t.Context(), store.Profile{}), store.ErrInvalidInput, "profile without user")
}

func testRequests(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	for i, r := range []store.PeerRequest{
		{ID: "r1", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "ben", Topic: "go", Status: store.RequestPending, CreatedAt: base},
		{ID: "r2", Platform: "slack", Workspace: "T1", Asker: "cy", Expert: "ben", Topic: "sql", Status: store.RequestPending, CreatedAt: base.Add(time.Minute)},
		{ID: "r3", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "dee", Topic: "go", Status: store.RequestPending, CreatedAt: base.Add(2 * time.Minute)},
	} {
		if err := ps.PutRequest(t.Context(), r); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	r1, err := ps.Request(t.Context(), "r1")
	if err != nil || r1.Topic != "go" {
		t.Fatalf("request r1 = %+v, %v", r1, err)
	}
	r1.Status = store.RequestAccepted
	if err := ps.PutRequest(t.Context(), r1); err != nil {
		t.Fatal(err)
	}
	ids := func(f store.RequestFilter) []string {
		got, err := ps.Requests(t.Context(), f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range got {
			out = append(out, r.ID)
		}
		return out
	}
	for _, c := range []struct {
		f    store.RequestFilter
		want []string
	}{
		{store.RequestFilter{}, []string{"r3", "r2", "r1"}},
		{store.RequestFilter{Expert: "ben"}, []string{"r2", "r1"}},
		{store.RequestFilter{Status: store.RequestAccepted}, []string{"r1"}},
		{store.RequestFilter{Since: base.Add(time.Minute)}, []string{"r3", "r2"}},
		{store.RequestFilter{Workspace: "T9"}, nil},
	} {
		if got := ids(c.f); !slices.Equal(got, c.want) {
			t.Errorf("requests %+v = %v, want %v", c.f, got, c.want)
		}
	}
	if _, err := ps.Request(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing request: error = %v, want ErrNotFound", err)
	}
}

func testRoundsCreatedOnce(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	r := store.Round{ID: "C1/2025-03-03", Platform: "slack", Workspace: "T1", Channel: "C1", StartedAt: base,
		CheckInAt: base.Add(72 * time.Hour),
		Groups:    []store.RoundGroup{{Members: []string{"ana", "ben"}, Reason: "ana can help ben with go", Starter: "What are you learning?", SendAt: base}}}
	created, err := ps.CreateRound(t.Context(), r)
	if err != nil || !created {
		t.Fatalf("create = %v, %v", created, err)
	}
	again := r
	again.Groups = nil
	if created, err := ps.CreateRound(t.Context(), again); err != nil || created {
		t.Fatalf("second create of the same id = %v, %v; want false", created, err)
	}
	r.Groups[0].SentAt = base.Add(time.Hour)
	r.Groups[0].CheckedInAt = base.Add(72 * time.Hour)
	r.CheckedIn = true
	if err := ps.UpdateRound(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	next := store.Round{ID: "C1/2025-03-10", Platform: "slack", Workspace: "T1", Channel: "C1", StartedAt: base.Add(7 * 24 * time.Hour)}
	if _, err := ps.CreateRound(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	got, err := ps.Rounds(t.Context(), "slack", "T1", "C1", 0)
	if err != nil || len(got) != 2 || got[0].ID != next.ID || got[1].ID != r.ID {
		t.Fatalf("rounds = %+v, %v; want newest first", got, err)
	}
	if !got[1].CheckedIn || len(got[1].Groups) != 1 || !got[1].Groups[0].SentAt.Equal(base.Add(time.Hour)) ||
		!got[1].Groups[0].CheckedInAt.Equal(base.Add(72*time.Hour)) {
		t.Errorf("updated round = %+v", got[1])
	}
	if got, _ := ps.Rounds(t.Context(), "slack", "T1", "C1", 1); len(got) != 1 {
		t.Errorf("limit 1 gave %d rounds", len(got))
	}
	if err := ps.UpdateRound(t.Context(), store.Round{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update of a missing round: error = %v, want ErrNotFound", err)
	}
	one, err := ps.Round(t.Context(), r.ID)
	if err != nil || one.Groups[0].Reason != r.Groups[0].Reason {
		t.Errorf("round = %+v, %v", one, err)
	}
}

func testRoundConfigs(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	c := store.RoundConfig{Platform: "slack", Workspace: "T1", Channel: "C1", Frequency: "weekly", GroupSize: 2, IntroHour: 10, AvoidRounds: 6, Enabled: true}
	if err := ps.PutRoundConfig(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	c.Frequency = "monthly"
	if err := ps.PutRoundConfig(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	got, err := ps.RoundConfigs(t.Context())
	if err != nil || len(got) != 1 || got[0] != c {
		t.Errorf("configs = %+v, %v; want [%+v]", got, err, c)
	}
	for _, bad := range []store.RoundConfig{
		{Channel: "C", Frequency: "daily", GroupSize: 2},
		{Channel: "C", Frequency: "weekly", GroupSize: 3},
		{Channel: "C", Frequency: "weekly", GroupSize: 2, IntroHour: 24},
	} {
		wantErrorIs(t, ps.PutRoundConfig(t.Context(), bad), store.ErrInvalidInput, "bad round config")
	}
}

func testDeletePerson(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	ben := store.PersonKey{Platform: "slack", Workspace: "T1", User: "ben"}
	for _, p := range []store.PersonKey{ana, ben} {
		if err := ps.PutProfile(t.Context(), store.Profile{PersonKey: p, CanHelp: []string{"go"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ps.PutRequest(t.Context(), store.PeerRequest{ID: "r1", Platform: "slack", Workspace: "T1", Asker: "ben", Expert: "ana", Status: store.RequestPending}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.CreateRound(t.Context(), store.Round{ID: "r", Platform: "slack", Workspace: "T1", Channel: "C1", StartedAt: base,
		Groups: []store.RoundGroup{{Members: []string{"ana", "ben", "cy"}, Reason: "Ana can help Ben with go", Starter: "Ana, how did you get started with go?"}}}); err != nil {
		t.Fatal(err)
	}
	mustRecord(t, s, store.Event{ID: "e1", Time: base, Kind: store.EventMet, Platform: "slack", Workspace: "T1", User: "ana", Value: 1})
	mustRecord(t, s, store.Event{ID: "e2", Time: base, Kind: store.EventQuestion, Platform: "slack", Workspace: "T1", User: "ana"})

	if err := ps.DeletePerson(t.Context(), ana); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Profile(t.Context(), ana); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("profile after delete: error = %v, want ErrNotFound", err)
	}
	if _, err := ps.Profile(t.Context(), ben); err != nil {
		t.Errorf("another person's profile was deleted: %v", err)
	}
	if got, _ := ps.Requests(t.Context(), store.RequestFilter{}); len(got) != 0 {
		t.Errorf("requests after delete = %+v", got)
	}
	r, err := ps.Round(t.Context(), "r")
	if err != nil || !slices.Equal(r.Groups[0].Members, []string{"ben", "cy"}) || r.Groups[0].Reason != "" || r.Groups[0].Starter != "" {
		t.Errorf("round after delete = %+v, %v; want ana gone, with the reason and starter naming her", r, err)
	}
	if got := eventIDs(mustEvents(t, s, store.EventFilter{User: "ana"})); !slices.Equal(got, []string{"e2"}) {
		t.Errorf("events after delete = %v, want only the question e2 (the peer event gone)", got)
	}
}

func testDocumentsOwnedBy(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	a := newDoc("a", "handbook")
	a.Owner, a.Tags = "ana@example.com", []string{"expenses"}
	b := newDoc("b", "handbook")
	b.Owner = "ben"
	// A draft of ana's is named nowhere, so it tells nothing of her skills.
	draft := newDoc("c", "proposals")
	draft.Owner, draft.Tags, draft.Status = "ana", []string{"reorganisation"}, store.StatusDraft
	mustReplace(t, s, a)
	mustReplace(t, s, b)
	mustReplace(t, s, draft)
	docs, err := ps.DocumentsOwnedBy(t.Context(), []string{"ana@example.com", "ana", ""})
	if err != nil || len(docs) != 1 || docs[0].ID != "a" || docs[0].Collection != "handbook" ||
		docs[0].Status != store.StatusPublished || !slices.Equal(docs[0].Tags, []string{"expenses"}) {
		t.Errorf("documents of ana = %+v, %v; want only the published a", docs, err)
	}
	if docs, err := ps.DocumentsOwnedBy(t.Context(), nil); err != nil || len(docs) != 0 {
		t.Errorf("documents of nobody = %+v, %v", docs, err)
	}
}

// testRequestsAsked: the weekly cap counts requests by when the expert was
// asked, which may be days after the suggestion was made.
func testRequestsAsked(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	day := 24 * time.Hour
	for _, r := range []store.PeerRequest{
		// Suggested eight days ago, asked today.
		{ID: "old", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "ben", Status: store.RequestPending, CreatedAt: base.Add(-8 * day), AskedAt: base},
		// Suggested and asked eight days ago.
		{ID: "done", Platform: "slack", Workspace: "T1", Asker: "cy", Expert: "ben", Status: store.RequestAccepted, CreatedAt: base.Add(-8 * day), AskedAt: base.Add(-8 * day)},
		// Suggested today, not asked.
		{ID: "new", Platform: "slack", Workspace: "T1", Asker: "dee", Expert: "ben", Status: store.RequestSuggested, CreatedAt: base},
	} {
		if err := ps.PutRequest(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ps.Requests(t.Context(), store.RequestFilter{Expert: "ben", AskedSince: base.Add(-7 * day)})
	if err != nil || len(got) != 1 || got[0].ID != "old" || !got[0].AskedAt.Equal(base) {
		t.Errorf("asked in the last week = %+v, %v; want only old, asked at %v", got, err, base)
	}
	if got, _ := ps.Requests(t.Context(), store.RequestFilter{Expert: "ben", Since: base.Add(-7 * day)}); len(got) != 1 || got[0].ID != "new" {
		t.Errorf("made in the last week = %+v; want only new", got)
	}
	if r, err := ps.Request(t.Context(), "new"); err != nil || !r.AskedAt.IsZero() {
		t.Errorf("a suggestion = %+v, %v; want no AskedAt", r, err)
	}
}

// testSwapRequest: a request moves from one status to the next once,
// however many presses race for it.
func testSwapRequest(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	r := store.PeerRequest{ID: "r1", Platform: "slack", Workspace: "T1", Asker: "ana", Expert: "ben", Topic: "go", Status: store.RequestSuggested, CreatedAt: base}
	if err := ps.PutRequest(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	asked := r
	asked.Status, asked.AskedAt = store.RequestPending, base.Add(time.Hour)
	const presses = 8
	var wg sync.WaitGroup
	won := make([]bool, presses)
	errs := make([]error, presses)
	for i := range presses {
		wg.Go(func() { won[i], errs[i] = ps.SwapRequest(t.Context(), asked, store.RequestSuggested) })
	}
	wg.Wait()
	wins := 0
	for i := range presses {
		if errs[i] != nil {
			t.Fatalf("swap %d: %v", i, errs[i])
		}
		if won[i] {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d swaps from suggested won, want 1", wins, presses)
	}
	got, err := ps.Request(t.Context(), "r1")
	if err != nil || got.Status != store.RequestPending || !got.AskedAt.Equal(asked.AskedAt) {
		t.Errorf("request after the swap = %+v, %v", got, err)
	}
	if n, _ := ps.Requests(t.Context(), store.RequestFilter{AskedSince: base}); len(n) != 1 {
		t.Errorf("the swap did not set when the expert was asked: %+v", n)
	}
	back := got
	back.Status, back.AskedAt = store.RequestSuggested, time.Time{}
	if ok, err := ps.SwapRequest(t.Context(), back, store.RequestAccepted); err != nil || ok {
		t.Errorf("swap from a status the request is not in = %v, %v; want false", ok, err)
	}
	if ok, err := ps.SwapRequest(t.Context(), back, store.RequestPending); err != nil || !ok {
		t.Errorf("swap back = %v, %v; want true", ok, err)
	}
	if n, _ := ps.Requests(t.Context(), store.RequestFilter{AskedSince: base}); len(n) != 0 {
		t.Errorf("a request swapped back to a suggestion still counts as asked: %+v", n)
	}
	missing := back
	missing.ID = "nope"
	if ok, err := ps.SwapRequest(t.Context(), missing, store.RequestSuggested); err != nil || ok {
		t.Errorf("swap of a missing request = %v, %v; want false", ok, err)
	}
}

// testReplaceEvent: a check-in answered three times leaves one event, the
// last answer.
func testReplaceEvent(t *testing.T, s store.Store) {
	ps := peersOf(t, s)
	met := store.Event{ID: "met/r1/ana", Kind: store.EventMet, Platform: "slack", Workspace: "T1", Channel: "C1", User: "ana", Ref: "r1"}
	for i, v := range []int{1, 1, -1} {
		e := met
		e.Time, e.Value = base.Add(time.Duration(i)*time.Hour), v
		if err := ps.ReplaceEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	got := mustEvents(t, s, store.EventFilter{Kind: store.EventMet})
	if len(got) != 1 || got[0].Value != -1 || !got[0].Time.Equal(base.Add(2*time.Hour)) || got[0].Ref != "r1" {
		t.Errorf("met events = %+v; want one, the last answer (-1)", got)
	}
	// An event of another kind or person under that id is not replaced.
	other := met
	other.User, other.Value, other.Time = "ben", 1, base.Add(3*time.Hour)
	if err := ps.ReplaceEvent(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	if got := mustEvents(t, s, store.EventFilter{Kind: store.EventMet}); len(got) != 1 || got[0].User != "ana" || got[0].Value != -1 {
		t.Errorf("met events = %+v; ben's answer replaced ana's", got)
	}
	wantErrorIs(t, ps.ReplaceEvent(t.Context(), store.Event{Kind: store.EventMet}), store.ErrInvalidInput, "event without id")

	// Someone who opted out of analytics is kept out of the event, and of
	// its id, which names them: each answer is a new anonymous event.
	if err := s.SetOptOut(t.Context(), "cy", true); err != nil {
		t.Fatal(err)
	}
	for i, v := range []int{1, -1} {
		e := store.Event{ID: "met/r1/cy", Kind: store.EventMet, Platform: "slack", Workspace: "T1", Channel: "C1", User: "cy", Thread: "t1",
			Ref: "r1", Value: v, Time: base.Add(time.Duration(4+i) * time.Hour)}
		if err := ps.ReplaceEvent(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	var anonymous int
	for _, e := range mustEvents(t, s, store.EventFilter{Kind: store.EventMet}) {
		switch {
		case e.User == "cy" || strings.Contains(e.ID, "cy") || e.Thread != "":
			t.Errorf("event %+v names cy, who opted out", e)
		case e.User == "":
			anonymous++
		}
	}
	if anonymous != 2 {
		t.Errorf("%d anonymous met events, want 2", anonymous)
	}
}
