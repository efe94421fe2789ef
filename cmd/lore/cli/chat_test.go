package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

// chatHome gives the chat a home folder of its own for its history file,
// and a known user name. t.Setenv: tests using it are not parallel.
func chatHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USER", "alice")
	t.Setenv("NO_COLOR", "1")
	return home
}

// A person whose id is too long for any store to keep (here 1,000 bytes)
// is still answered: their role lookup finds no grant rather than failing,
// and only the recording of the question is refused, with a warning that
// names the limit.
func TestChatAnswersAPersonWithAnOverlongID(t *testing.T) {
	chatHome(t)
	db := newDB(t)
	user := strings.Repeat("u", 1000)
	r := runWithInput(t, strings.NewReader("how many days of annual leave do I get?\nexit\n"), "chat", "--user", user, db.flag())
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "27 days") || strings.Contains(r.out, "Something went wrong") {
		t.Errorf("the question was not answered:\n%.2000s", r.out)
	}
	if !strings.Contains(r.err, "event user is 1000 bytes, longer than the 256 bytes an identifier may have") {
		t.Errorf("stderr does not say why the question was not recorded:\n%.2000s", r.err)
	}
	if got := db.events(t, store.EventQuestion); len(got) != 0 {
		t.Errorf("recorded %d questions of an id no store keeps", len(got))
	}
}

func TestChatLoadsHandbookOnceAndRecordsFeedback(t *testing.T) {
	home := chatHome(t)
	db := newDB(t)
	script := "how many days of annual leave do I get?\n+1\nexit\n"

	r := runWithInput(t, strings.NewReader(script), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.err, "The knowledge base is empty: loading the sample handbook") || !strings.Contains(r.err, "Loaded ") {
		t.Errorf("stderr does not say the handbook was loaded:\n%s", r.err)
	}
	for _, want := range []string{
		"alice@#general> ",
		"27 days",
		"Sources:",
		"handbook/annual-leave.md",
		"Thanks, glad it helped.",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	loaded := db.counts(t)
	if loaded.documents == 0 {
		t.Fatalf("the handbook was not stored")
	}

	answers := db.events(t, store.EventAnswer)
	feedback := db.events(t, store.EventFeedback)
	if len(answers) != 1 || !answers[0].Confident || answers[0].Platform != "shell" || answers[0].User != "alice" {
		t.Fatalf("recorded answers %+v, want one confident answer from alice in the shell", answers)
	}
	if len(feedback) != 1 || feedback[0].Value != 1 || feedback[0].Ref != answers[0].ID {
		t.Errorf("recorded feedback %+v, want +1 on answer %s", feedback, answers[0].ID)
	}

	history := filepath.Join(home, ".lore_history")
	info, err := os.Stat(history)
	if err != nil {
		t.Fatalf("no chat history: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("history file mode %v, want 0600", perm)
	}
	if data, _ := os.ReadFile(history); string(data) != script {
		t.Errorf("history %q, want %q", data, script)
	}

	again := runWithInput(t, strings.NewReader("exit\n"), "chat", db.flag())
	again.wantCode(t, cli.ExitOK)
	if strings.Contains(again.err, "loading the sample handbook") {
		t.Errorf("the handbook was loaded a second time:\n%s", again.err)
	}
	if after := db.counts(t); after.documents != loaded.documents || after.chunks != loaded.chunks {
		t.Errorf("the second chat changed the knowledge base: %+v, then %+v", loaded, after)
	}
}

// A knowledge base with content of its own is not given the handbook.
func TestChatKeepsCuratedContent(t *testing.T) {
	chatHome(t)
	db, _ := ingested(t)
	before := db.counts(t)
	r := runWithInput(t, strings.NewReader(vpnQuestion+"\n"), "chat", "--user", "bob", "--channel", "#it-help", db.flag())
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.err, "sample handbook") {
		t.Errorf("the handbook was loaded into a curated knowledge base:\n%s", r.err)
	}
	if !strings.Contains(r.out, "bob@#it-help> ") || !strings.Contains(r.out, vpnFact) {
		t.Errorf("chat as bob in #it-help did not answer from the curated content:\n%s", r.out)
	}
	if after := db.counts(t); after.documents != before.documents {
		t.Errorf("chat changed the knowledge base: %+v, then %+v", before, after)
	}
}

// With --no-sample an empty knowledge base stays empty: a production
// database must not receive the fictional handbook by accident.
func TestChatNoSampleKeepsAnEmptyBaseEmpty(t *testing.T) {
	chatHome(t)
	db := newDB(t)
	r := runWithInput(t, strings.NewReader(leaveQuestion+"\nexit\n"), "chat", "--no-sample", db.flag())
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.err, "sample handbook") {
		t.Errorf("the handbook was loaded despite --no-sample:\n%s", r.err)
	}
	if c := db.counts(t); c.documents != 0 {
		t.Errorf("%d documents after chat --no-sample, want 0", c.documents)
	}
	if !strings.Contains(r.out, "couldn't find an answer") {
		t.Errorf("an empty knowledge base should say it has no answer:\n%s", r.out)
	}
}

// A bad --user or --channel is bad input: exit 2, before anything is
// written.
func TestChatBadFlagsExitTwo(t *testing.T) {
	chatHome(t)
	for _, args := range [][]string{
		{"--user", "two words"},
		{"--user", "bob\xff"}, // ids are stored as text: every question would fail
		{"--channel", "dm"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			db := newDB(t)
			r := runWithInput(t, strings.NewReader("exit\n"), append([]string{"chat", db.flag()}, args...)...)
			if _, err := os.Stat(db.path); err == nil {
				if c := db.counts(t); c.documents != 0 {
					t.Errorf("a refused chat loaded %d documents", c.documents)
				}
			}
			if r.code != cli.ExitUsage {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, cli.ExitUsage, r.err)
			}
			if !strings.Contains(r.err, args[1]) && !strings.Contains(r.err, fmt.Sprintf("%q", args[1])) {
				t.Errorf("stderr does not name the bad value %q:\n%s", args[1], r.err)
			}
		})
	}
}

// Nudge times are given in the machine's zone by its name, never as Go's
// "Local": from TZ when it is set, else from /etc/localtime.
func TestChatNamesTheLocalTimeZone(t *testing.T) {
	chatHome(t)
	db := newDB(t)
	t.Setenv("TZ", "")
	os.Unsetenv("TZ")
	r := runWithInput(t, strings.NewReader("nudges\nexit\n"), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	if strings.Contains(r.out, "(Local)") {
		t.Errorf("the settings name the zone \"Local\":\n%s", r.out)
	}
	t.Setenv("TZ", "Asia/Tokyo")
	r = runWithInput(t, strings.NewReader("learn join security-basics\nexit\n"), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "on Monday to Friday (Asia/Tokyo)") {
		t.Errorf("joining a track does not name the zone TZ sets:\n%s", r.out)
	}
}
