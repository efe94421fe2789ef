package cli_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// In the terminal chat, as in Slack and Discord (the bot routes the
// commands), a person sees what Lore keeps and has it forgotten after
// confirming with a button.
func TestChatPrivacyAndForgetMe(t *testing.T) {
	chatHome(t)
	t.Setenv("LORE_PSEUDONYM_KEY", testPseudonymKey)
	db := newDB(t)
	script := "how many days of annual leave do I get?\nprivacy\nforget me\n/press 1\nexit\n"
	r := runWithInput(t, strings.NewReader(script), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"What I keep about you", "2 records of your activity", "Are you sure?", "[1] Forget me", "Done: I deleted everything I kept about you: 2 records of your activity"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	if es := db.events(t, ""); len(es) != 0 {
		t.Errorf("events remain after forget me: %+v", es)
	}
}

// Opting out holds without a pseudonym key, when the bot makes no
// statements: the questions asked afterwards count, anonymously.
func TestChatOptOutWithoutPseudonymKey(t *testing.T) {
	chatHome(t)
	t.Setenv("LORE_PSEUDONYM_KEY", "")
	db := newDB(t)
	script := "optout analytics\nhow many days of annual leave do I get?\nexit\n"
	r := runWithInput(t, strings.NewReader(script), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "You are out of analytics") {
		t.Fatalf("opt-out not confirmed:\n%s", r.out)
	}
	if qs := db.events(t, store.EventQuestion); len(qs) != 1 {
		t.Errorf("question events = %+v, want the question counted once", qs)
	}
	for _, e := range db.events(t, "") {
		if e.User != "" || e.Thread != "" || e.Question != "" {
			t.Errorf("%s event of a person who opted out keeps user %q, thread %q, question %q", e.Kind, e.User, e.Thread, e.Question)
		}
	}
}

// The peer capability records through the same log as the bot: an expert
// who opted out is asked and introduced without an event or a statement
// under their id, and one who did not gets both.
func TestChatOptOutCoversPeerEvents(t *testing.T) {
	for _, optOut := range []bool{false, true} {
		t.Run(fmt.Sprintf("opted out %v", optOut), func(t *testing.T) {
			chatHome(t)
			t.Setenv("LORE_PSEUDONYM_KEY", testPseudonymKey)
			db := newDB(t)
			lines := []string{"/as ben", "profile can-help: VPN, networking", "profile available on"}
			if optOut {
				lines = append(lines, "optout analytics")
			}
			lines = append(lines, "/as ana", "connect vpn troubleshooting", "/press 1", "/as ben", "/press 1", "exit")
			r := runWithInput(t, strings.NewReader(strings.Join(lines, "\n")+"\n"), "chat", "--no-sample", "--user", "ana", db.flag())
			r.wantCode(t, cli.ExitOK)
			if !strings.Contains(r.out, "ana, meet ben") {
				t.Fatalf("no introduction:\n%s", r.out)
			}
			for _, kind := range []string{store.EventExpertAsked, store.EventIntroMade} {
				es := db.events(t, kind)
				if len(es) != 1 {
					t.Fatalf("%s events = %+v, want 1", kind, es)
				}
				if want := map[bool]string{false: "ben", true: ""}[optOut]; es[0].User != want {
					t.Errorf("%s event under %q, want %q", kind, es[0].User, want)
				}
			}
			sts, err := db.open(t).Statements(t.Context(), store.StatementFilter{User: "ben"})
			if err != nil {
				t.Fatal(err)
			}
			if optOut != (len(sts) == 0) {
				t.Errorf("ben's statements = %d with opt-out %v", len(sts), optOut)
			}
		})
	}
}
