package nudges

import (
	"context"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

type noKnowledge struct{}

func (noKnowledge) Ask(context.Context, string) (knowledge.Answer, error) {
	return knowledge.Answer{}, nil
}

// A person who joins the workspace is enrolled, through the core's join
// entry point, in the workspace's onboarding tracks; a person who joins an
// onboarding channel in the channel's; other channels enrol nobody, and a
// second join changes nothing.
func TestJoinsEnrolInOnboardingTracks(t *testing.T) {
	f := setup(t)
	svc, err := New(Config{Store: f.st, Clock: f.clock.Now, Onboarding: map[string][]string{
		WorkspaceOnboarding: {"security-basics"},
		"C0WELCOME":         {"security-basics"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: noKnowledge{}, Events: f.st, Learning: svc, Onboarding: svc})
	if err != nil {
		t.Fatal(err)
	}
	joins := []bot.Join{
		{Platform: "slack", Workspace: "T1", User: "UNEW"},
		{Platform: "slack", Workspace: "T1", User: "UNEW"}, // redelivered
		{Platform: "discord", Workspace: "42", Channel: "C0WELCOME", User: "123"},
		{Platform: "slack", Workspace: "T1", Channel: "CRANDOM", User: "UOTHER"},
	}
	for _, j := range joins {
		if err := b.HandleJoin(t.Context(), j); err != nil {
			t.Fatalf("HandleJoin(%+v): %v", j, err)
		}
	}
	es, err := f.st.Enrolments(t.Context(), store.EnrolmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range es {
		got[e.Platform+"/"+e.User] = e.TrackID + " " + e.Source
	}
	want := map[string]string{"slack/UNEW": "security-basics onboarding", "discord/123": "security-basics onboarding"}
	if len(got) != len(want) || got["slack/UNEW"] != want["slack/UNEW"] || got["discord/123"] != want["discord/123"] {
		t.Fatalf("enrolments %v, want %v", got, want)
	}
	if n := len(f.events(t, store.EventTrackJoined)); n != 2 {
		t.Errorf("%d track_joined events, want 2", n)
	}
}

// A workspace onboarding track that does not exist is an error for the
// log, naming the track; the person still joins the tracks that exist.
func TestJoinUnknownOnboardingTrack(t *testing.T) {
	f := setup(t)
	svc, err := New(Config{Store: f.st, Clock: f.clock.Now, Onboarding: map[string][]string{WorkspaceOnboarding: {"no-such-track", "security-basics"}}})
	if err != nil {
		t.Fatal(err)
	}
	err = svc.Joined(t.Context(), bot.Join{Platform: "slack", Workspace: "T1", User: "U1"})
	if err == nil || !strings.Contains(err.Error(), "no-such-track") {
		t.Fatalf("Joined = %v, want an error naming the track", err)
	}
	l := learner("U1")
	if es, _ := f.st.Enrolments(t.Context(), store.EnrolmentFilter{Learner: &l}); len(es) != 1 || es[0].TrackID != "security-basics" {
		t.Errorf("enrolments %+v, want security-basics despite the missing track", es)
	}
}
