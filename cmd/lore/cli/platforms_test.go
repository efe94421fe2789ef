package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// A person, channel or platform typed at the command line on a platform
// Lore has no adapter for (mars) is a usage error that lists the known
// ones, and nothing is stored; the platforms Lore has are taken.
func TestUnknownPlatformsAreRefused(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	db.run(t, "migrate").wantCode(t, cli.ExitOK)
	profiles := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(profiles, []byte("user,name\nU1,Ana\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const chats = `Lore has no platform "mars"; it chats on slack, discord or shell`
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"ask", "how do I book leave?", "--as", "mars/U1"}, `--as: "mars/U1": ` + chats},
		{[]string{"ask", "how do I book leave?", "--as", "slack/T1/U1", "--channel", "mars/T1/C1"}, `--channel: "mars/T1/C1": ` + chats},
		{[]string{"roles", "grant", "mars/T1/U1", "curator"}, `person "mars/T1/U1": ` + chats},
		{[]string{"tracks", "enrol", "security-basics", "U1", "--platform", "mars"}, "--platform: " + chats},
		{[]string{"profiles", "import", profiles, "--platform", "mars"}, "--platform: " + chats},
		{[]string{"peers", "rounds", "on", "mars/T1/C1"}, `"mars/T1/C1": pairing rounds run on slack or discord, not "mars"`},
		// The shell has no channel members to list.
		{[]string{"peers", "rounds", "on", "shell/T1/C1"}, `pairing rounds run on slack or discord, not "shell"`},
	} {
		r := db.run(t, c.args...)
		if r.code != cli.ExitUsage || !strings.Contains(r.err, c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 saying %q", c.args, r.code, r.err, c.msg)
		}
	}
	if r := db.run(t, "peers", "rounds", "list", "--json"); strings.TrimSpace(r.out) != "[]" {
		t.Errorf("rounds stored after refusals: %s", r.out)
	}
	if r := db.run(t, "roles", "--json"); r.code != cli.ExitOK || strings.Contains(r.out, "mars") {
		t.Errorf("a role stored for mars: %s", r.out)
	}

	// Each platform Lore has is taken.
	for _, who := range []string{"slack/T1/U1", "discord/G1/42", "shell/alice"} {
		db.run(t, "ask", "how do I book leave?", "--as", who).wantCode(t, cli.ExitNoAnswer)
	}
	db.run(t, "peers", "rounds", "on", "discord/G1/C1").wantCode(t, cli.ExitOK)
	// Revoking and turning off undo what was stored, whatever its
	// platform: they are not refused for naming one.
	if r := db.run(t, "roles", "revoke", "mars/T1/U1", "curator"); strings.Contains(r.err, "no platform") {
		t.Errorf("revoke refused the platform: %s", r.err)
	}
	db.run(t, "peers", "rounds", "off", "mars/T1/C1").wantCode(t, cli.ExitOK)
}
