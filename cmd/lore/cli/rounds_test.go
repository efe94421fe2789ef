package cli_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/adapters/slack/slackfake"
	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// lore peers rounds turns a channel's rounds on (with the options of chat),
// lists them, as JSON too, and turns them off; bad channels and options
// are usage errors that change nothing.
func TestPeersRoundsCommand(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.run(t, "peers", "rounds", "list").wantCode(t, cli.ExitOK)
	r := db.run(t, "peers", "rounds", "on", "slack/T1/C0ROUND", "every", "2", "weeks", "size", "3-4", "time", "10:00")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "on in slack/T1/C0ROUND: biweekly, groups of 3-4, introductions at 10:00") {
		t.Errorf("on: %q", r.out)
	}
	for _, bad := range [][]string{
		{"on"},
		{"on", "slack/T1"},
		{"on", "slack//C1"},
		{"on", "slack/T1/C2", "hourly"},
		{"on", "slack/T1/C2", "size", "5"},
		{"off", "slack/T1/C0ROUND", "weekly"},
	} {
		db.run(t, append([]string{"peers", "rounds"}, bad...)...).wantCode(t, cli.ExitUsage)
	}
	r = db.run(t, "peers", "rounds", "list", "--json")
	r.wantCode(t, cli.ExitOK)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.out), &got); err != nil {
		t.Fatalf("list --json: %v: %s", err, r.out)
	}
	if len(got) != 1 || got[0]["channel"] != "C0ROUND" || got[0]["frequency"] != "biweekly" || got[0]["group_size"] != "3-4" ||
		got[0]["intro_hour"] != float64(10) || got[0]["enabled"] != true {
		t.Fatalf("list --json = %v", got)
	}
	db.run(t, "peers", "rounds", "off", "slack/T1/C0ROUND").wantCode(t, cli.ExitOK)
	r = db.run(t, "peers", "rounds", "list")
	if !strings.Contains(r.out, "slack/T1/C0ROUND") || !strings.Contains(r.out, "off") || !strings.Contains(r.out, "biweekly") {
		t.Errorf("list after off: %q", r.out)
	}
}

// LORE_ADMINS and LORE_ONBOARDING are checked with the rest of the
// configuration; every bad entry is named.
func TestRoundsAndOnboardingSettingsAreChecked(t *testing.T) {
	r := runEnv(t, map[string]string{
		"LORE_ADMINS":     "slack/U1,U2",
		"LORE_ONBOARDING": "*=security-basics,C0WELCOME",
	}, "config", "check")
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{"LORE_ADMINS", `"U2"`, "LORE_ONBOARDING", `"C0WELCOME"`} {
		if !strings.Contains(r.err, want) {
			t.Errorf("config check output lacks %q:\n%s", want, r.err)
		}
	}
	runEnv(t, map[string]string{"LORE_ADMINS": "slack/U1, discord/42", "LORE_ONBOARDING": "*=a+b, C0WELCOME=c"}, "config", "check").wantCode(t, cli.ExitOK)
}

// lore serve with Slack runs the pairing round of a channel with rounds on:
// it lists the channel's members through the Slack adapter, leaves out
// bots and Lore, and groups everyone else; and a new workspace member
// (team_join) is enrolled in the onboarding track LORE_ONBOARDING names.
func TestServeRunsSlackRoundsAndOnboarding(t *testing.T) {
	db := newDB(t)
	db.run(t, "tracks", "load", "../../../nudges/samples/tracks").wantCode(t, cli.ExitOK)
	db.run(t, "peers", "rounds", "on", "slack/"+slackfake.TeamID+"/C0ROUND").wantCode(t, cli.ExitOK)
	fake := slackfake.New()
	defer fake.Close()
	fake.SetChannelMembers("C0ROUND", "U0ANA", slackfake.BotUserID, "U0BEN", "U0BOT", "U0CAT", "U0DAN", "U0EVE")
	fake.SetBots("U0BOT")
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	env := map[string]string{
		"LORE_SLACK_MODE": "http", "LORE_SLACK_BOT_TOKEN": "xoxb-serve-test",
		"LORE_SLACK_SIGNING_SECRET": secret, "LORE_SLACK_API_URL": fake.URL(),
		"LORE_ONBOARDING": "*=security-basics",
	}
	srv := startServeEnv(t, func(k string) string { return env[k] }, db.flag())
	srv.waitReady(t, true, 10*time.Second)

	var round store.Round
	waitFor(t, "the round of C0ROUND", 30*time.Second, func() bool {
		rs, err := db.open(t).Rounds(t.Context(), "slack", slackfake.TeamID, "C0ROUND", 1)
		if err != nil || len(rs) == 0 {
			return false
		}
		round = rs[0]
		return true
	})
	var grouped []string
	for _, g := range round.Groups {
		grouped = append(grouped, g.Members...)
	}
	slices.Sort(grouped)
	if want := []string{"U0ANA", "U0BEN", "U0CAT", "U0DAN", "U0EVE"}; !slices.Equal(grouped, want) || len(round.Groups) != 2 || len(round.Unplaced) != 0 {
		t.Fatalf("round groups %+v (unplaced %v), want %v in a pair and a group of three", round.Groups, round.Unplaced, want)
	}
	if calls := fake.Calls("conversations.members"); len(calls) == 0 || calls[0].Arg("channel") != "C0ROUND" {
		t.Fatalf("conversations.members calls %+v", calls)
	}

	join, _ := json.Marshal(map[string]any{
		"type": "event_callback", "team_id": slackfake.TeamID, "event_id": "Ev0JOIN", "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "team_join", "user": map[string]any{"id": "U0NEW", "is_bot": false, "deleted": false, "tz": "Europe/Paris"}},
	})
	req, _ := http.NewRequest(http.MethodPost, srv.base+"/slack/events", bytes.NewReader(join))
	req.Header = slackfake.Sign(secret, join, time.Now())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("team_join: status %d", resp.StatusCode)
	}
	waitFor(t, "the enrolment of the new member", 10*time.Second, func() bool {
		l := store.Learner{Platform: "slack", Workspace: slackfake.TeamID, User: "U0NEW"}
		es, err := db.open(t).Enrolments(t.Context(), store.EnrolmentFilter{Learner: &l})
		return err == nil && len(es) == 1 && es[0].TrackID == "security-basics" && es[0].Source == "onboarding"
	})
}
