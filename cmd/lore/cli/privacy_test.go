package cli_test

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
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
	for _, want := range []string{"What I keep about you", "2 records of your activity", "Are you sure?", "[1] Forget me", "Done: I deleted 2 records about you."} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	if es := db.events(t, ""); len(es) != 0 {
		t.Errorf("events remain after forget me: %+v", es)
	}
}
