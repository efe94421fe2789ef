package peers_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// roles is an AdminChecker standing in for a later roles system: admins
// per workspace.
type roles map[string]bool

func (r roles) IsAdmin(_ context.Context, platform, workspace, user string) bool {
	return r[platform+"/"+workspace+"/"+user]
}

// The admin check is an interface: a roles system can replace the
// configured list, and only its admins change rounds; everyone else is
// refused plainly and changes nothing, but anyone can see the schedule.
func TestRoundsAdminCheckIsReplaceable(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := peers.New(peers.Config{Store: st, Events: st, Messenger: &fakeMessenger{},
		Admins:     []string{"slack/listed"}, // ignored: AdminCheck decides
		AdminCheck: roles{"slack/T1/boss": true},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	say := func(user, workspace, text string) string {
		_, rest, _ := strings.Cut(text, " ")
		return svc.Command(t.Context(), bot.Message{Platform: "slack", Workspace: workspace, Channel: "C1", User: user, Text: text}, "connect", rest).Text
	}
	for _, who := range [][2]string{{"listed", "T1"}, {"boss", "T2"}, {"ana", "T1"}} {
		if got := say(who[0], who[1], "connect rounds on every 2 weeks size 3-4 time 10:00"); !strings.Contains(got, "Only an admin") {
			t.Errorf("%s in %s: %q, want a refusal", who[0], who[1], got)
		}
	}
	if cs, _ := st.RoundConfigs(t.Context()); len(cs) != 0 {
		t.Fatalf("refused commands saved %+v", cs)
	}
	if got := say("boss", "T1", "connect rounds on every 2 weeks size 3-4 time 10:00"); !strings.Contains(got, "biweekly, groups of 3-4, introductions at 10:00") {
		t.Fatalf("admin enabling: %q", got)
	}
	if got := say("ana", "T1", "connect rounds"); !strings.Contains(got, "biweekly, groups of 3-4") {
		t.Errorf("anyone showing: %q", got)
	}
	if got := say("boss", "T1", "connect rounds on every fortnight"); !strings.Contains(got, "every 2 weeks") {
		t.Errorf("bad frequency: %q", got)
	}
	cs, _ := st.RoundConfigs(t.Context())
	want := store.RoundConfig{Platform: "slack", Workspace: "T1", Channel: "C1", Frequency: "biweekly", GroupSize: 4, IntroHour: 10, AvoidRounds: peers.DefaultAvoidRounds, Enabled: true}
	if len(cs) != 1 || cs[0] != want {
		t.Fatalf("configs %+v, want %+v", cs, want)
	}
	if got := say("boss", "T1", "connect rounds off"); !strings.Contains(got, "off") {
		t.Errorf("admin disabling: %q", got)
	}
}

// LORE_ADMINS entries are platform/user; every bad one is named.
func TestParseAdminList(t *testing.T) {
	l, err := peers.ParseAdminList("slack/U012AB3CD, discord/80351110224678912\nslack/W0ENTERPRISE")
	if err != nil || l.Len() != 3 || !l.IsAdmin(t.Context(), "discord", "any", "80351110224678912") || l.IsAdmin(t.Context(), "discord", "any", "U012AB3CD") {
		t.Fatalf("list %+v, %v", l, err)
	}
	_, err = peers.ParseAdminList("slack/U1,U2,Slack/U3,discord/,/x,slack/a/b")
	for _, bad := range []string{`"U2"`, `"Slack/U3"`, `"discord/"`, `"/x"`, `"slack/a/b"`} {
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("error %v does not name %s", err, bad)
		}
	}
	if _, err := peers.New(peers.Config{Store: nil}); err == nil {
		t.Error("New without a store succeeded")
	}
}
