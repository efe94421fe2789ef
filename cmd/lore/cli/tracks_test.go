package cli_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/adapters/slack/slackfake"
	"github.com/lorehq/lore/cmd/lore/cli"
)

const goodTrack = `---
title: Expenses
cadence: weekly
---

## tip: Receipts {#receipts}
Keep every receipt.

## quiz: Who approves expenses?
- [ ] Nobody
- [x] Your manager
Explanation: Managers approve.
Source: handbook/expenses.md
`

func TestTracksLoadAndList(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "expenses.md"), []byte(goodTrack))

	r := db.run(t, "tracks", "load", dir)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "expenses") || !strings.Contains(r.out, "v1 loaded (2 cards)") {
		t.Fatalf("load output:\n%s", r.out)
	}
	r = db.run(t, "tracks", "load", filepath.Join(dir, "expenses.md"))
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "v1 unchanged") {
		t.Errorf("reload of an unchanged file:\n%s", r.out)
	}
	writeFile(t, filepath.Join(dir, "expenses.md"), []byte(strings.Replace(goodTrack, "Keep every receipt.", "Keep every receipt for 6 years.", 1)))
	r = db.run(t, "tracks", "load", dir)
	if !strings.Contains(r.out, "v2 loaded") {
		t.Errorf("reload of a changed file:\n%s", r.out)
	}
	r = db.run(t, "tracks", "list")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "expenses") || !strings.Contains(r.out, "v2") || !strings.Contains(r.out, "weekly") {
		t.Errorf("list:\n%s", r.out)
	}
	r = db.run(t, "tracks", "enrol", "expenses", "U1", "U2", "--workspace", "T1")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "2 enrolled") {
		t.Errorf("enrol:\n%s", r.out)
	}
	db.run(t, "tracks", "approve", "nope").wantCode(t, cli.ExitUsage)
}

// An operator enrolling people in a track that is missing or a draft is
// told so in the command line's words, not a learner's.
func TestTracksEnrolNamesAMissingOrDraftTrack(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "expenses.md"), []byte(strings.Replace(goodTrack, "cadence: weekly", "cadence: weekly\ndraft: true", 1)))
	db.run(t, "tracks", "load", dir).wantCode(t, cli.ExitOK)
	for _, c := range []struct{ track, want string }{
		{"nope", `no track "nope": 'lore tracks list' lists them`},
		{"expenses", `'lore tracks approve expenses'`},
	} {
		r := db.run(t, "tracks", "enrol", c.track, "U1")
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, c.want) || strings.Contains(r.err, "open to you") || strings.Contains(r.err, "Type `learn`") {
			t.Errorf("enrol in %s: stderr does not say %q in the command line's words:\n%s", c.track, c.want, r.err)
		}
	}
}

// A user id of kilobytes given to 'lore tracks enrol' is refused with the
// same short message on SQLite and PostgreSQL (whose index would otherwise
// fail on it), exit 2, nothing enrolled; 'lore forget' with it finds
// nothing to forget.
func TestTracksEnrolRefusesAnOverlongUserOnEveryDatabase(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 5))
	long := make([]byte, 5000)
	for i := range long {
		// Random letters: PostgreSQL compresses index entries, and
		// kilobytes of one letter would fit its index.
		long[i] = byte('a' + rng.IntN(26))
	}
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return newDB(t).flag() },
		"postgres": func(t *testing.T) string { return "--db=" + postgresURL(t) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := db(t)
			run(t, "migrate", db).wantCode(t, cli.ExitOK)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "expenses.md"), []byte(goodTrack))
			run(t, "tracks", "load", dir, db).wantCode(t, cli.ExitOK)
			r := run(t, "tracks", "enrol", "expenses", string(long), "--workspace", "T1", db)
			r.wantCode(t, cli.ExitUsage)
			want := "learner user is 5000 bytes, longer than the 256 bytes an identifier may have"
			// The error line must not echo the 5000-byte id; other lines
			// (a slow-statement warning on a busy machine) may come too.
			short := false
			for _, line := range strings.Split(r.err, "\n") {
				short = short || strings.Contains(line, want) && len(line) <= 300
			}
			if !short || strings.Contains(r.err, string(long)) {
				t.Errorf("stderr is not a short message saying %q:\n%.500s", want, r.err)
			}
			r = run(t, "tracks", "enrol", "expenses", "U1", "--workspace", "T1", db)
			if r.wantCode(t, cli.ExitOK); !strings.Contains(r.out, "1 enrolled in expenses (0 already were)") {
				t.Errorf("enrol after the refusal:\n%s", r.out)
			}
			r = run(t, "forget", string(long), db)
			if r.wantCode(t, cli.ExitOK); !strings.Contains(r.out, "0 events deleted") {
				t.Errorf("forget of an overlong id:\n%.300s", r.out)
			}
		})
	}
}

func TestTracksLoadRefusesBadFilesWithLines(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "good.md"), []byte(goodTrack))
	writeFile(t, filepath.Join(dir, "bad.md"), []byte("---\ntitle: Bad\n---\n\n## quiz: Which?\n- [ ] a\n- [ ] b\nExplanation: none\n"))
	writeFile(t, filepath.Join(dir, "binary.md"), []byte{0, 1, 2, 0xff})
	if err := os.Symlink(filepath.Join(dir, "gone.md"), filepath.Join(dir, "dangling.md")); err != nil {
		t.Fatal(err)
	}
	r := db.run(t, "tracks", "load", dir)
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{"nothing loaded", filepath.Join(dir, "bad.md") + ":5: quiz \"Which?\" has no correct option", "binary.md: file is binary",
		filepath.Join(dir, "dangling.md") + ": no such file or directory"} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	// Nothing was loaded, not even the good file.
	if out := db.run(t, "tracks", "list").out; !strings.Contains(out, "No tracks loaded") {
		t.Errorf("list after a refused load:\n%s", out)
	}
	db.run(t, "tracks", "load", filepath.Join(dir, "missing")).wantCode(t, cli.ExitUsage)
}

// Two files with one track id, given as separate paths or found in one
// folder, are refused naming both files and the id; nothing is loaded.
func TestTracksLoadRefusesOneIDInTwoFiles(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir, other := t.TempDir(), t.TempDir()
	first, second := filepath.Join(dir, "a.md"), filepath.Join(other, "b.md")
	writeFile(t, first, []byte(strings.Replace(goodTrack, "title: Expenses", "id: expenses\ntitle: Expenses", 1)))
	writeFile(t, second, []byte(strings.Replace(goodTrack, "title: Expenses", "id: expenses\ntitle: Expenses again", 1)))
	r := db.run(t, "tracks", "load", first, second)
	r.wantCode(t, cli.ExitUsage)
	if want := `track id "expenses" is used by both ` + first + " and " + second; !strings.Contains(r.err, want) {
		t.Errorf("separate paths: stderr lacks %q:\n%s", want, r.err)
	}
	// The same file named twice is one track, not a clash.
	db.run(t, "tracks", "load", first, dir).wantCode(t, cli.ExitOK)

	db = newDB(t)
	writeFile(t, filepath.Join(dir, "b.md"), []byte(strings.Replace(goodTrack, "title: Expenses", "id: expenses\ntitle: Expenses again", 1)))
	r = db.run(t, "tracks", "load", dir)
	r.wantCode(t, cli.ExitUsage)
	if want := `track id "expenses" is used by both ` + first + " and " + filepath.Join(dir, "b.md"); !strings.Contains(r.err, want) {
		t.Errorf("one folder: stderr lacks %q:\n%s", want, r.err)
	}
	if out := db.run(t, "tracks", "list").out; !strings.Contains(out, "No tracks loaded") {
		t.Errorf("list after a refused load:\n%s", out)
	}
}

func TestChatDemoShowsANudge(t *testing.T) { // t.Setenv: not parallel
	db := newDB(t)
	t.Setenv("HOME", t.TempDir())
	r := runWithInput(t, strings.NewReader("learn join security-basics\nnudge\n/press 2\n"), "chat", "--user", "ann", db.flag())
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"Report, don't worry", "Where do you report a suspicious email?", "(/press N)", "Right.",
		"2. Press the Report Phish button in your mail client\n", "[2] Press the Report Phish button in your mail client  [3]"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	// The card numbers the options and the terminal numbers the buttons;
	// a button is not numbered twice.
	if strings.Contains(r.out, "[1] 1.") {
		t.Errorf("chat output numbers a button twice:\n%s", r.out)
	}
	if n := len(db.events(t, "quiz_answered")); n != 1 {
		t.Errorf("%d quiz_answered events, want 1", n)
	}
}

func TestBenchNudges(t *testing.T) {
	t.Parallel()
	r := run(t, "bench", "nudges", "--learners", "200", "--json")
	r.wantCode(t, cli.ExitOK)
	obj := decodeObject(t, r.out)
	for _, k := range []string{"planned", "delivered", "duplicates", "missed", "nudges_per_s", "slot_error_p99_s"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("JSON lacks %q:\n%s", k, r.out)
		}
	}
	var got struct {
		Planned, Delivered, Duplicates, Missed int
		NudgesPerS                             float64 `json:"nudges_per_s"`
	}
	b, _ := json.Marshal(obj)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Planned != 200 || got.Delivered != 200 || got.Duplicates != 0 || got.Missed != 0 || got.NudgesPerS <= 0 {
		t.Errorf("bench = %+v", got)
	}
	exists := filepath.Join(t.TempDir(), "x.db")
	if err := os.WriteFile(exists, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, "bench", "nudges", "--learners", "10", "--db=sqlite:"+exists)
	r.wantCode(t, cli.ExitUsage)
	run(t, "bench", "nudges", "--learners", "0").wantCode(t, cli.ExitUsage)
}

// Review cards drafted from the ingested documents load as a draft that a
// curator approves; the written file is the same track.
func TestTracksDraftFromACollection(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	out := filepath.Join(t.TempDir(), "review.md")
	r := db.run(t, "tracks", "draft", "--collection", "default", "--out", out)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "Loaded draft track review-default") || !strings.Contains(r.out, "Drafted ") {
		t.Fatalf("draft output:\n%s", r.out)
	}
	r = db.run(t, "tracks", "list")
	if !strings.Contains(r.out, "review-default") || !strings.Contains(r.out, "[draft]") {
		t.Fatalf("list after drafting:\n%s", r.out)
	}
	// The file loads as the very track that was drafted.
	r = db.run(t, "tracks", "load", out)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "v1 unchanged") {
		t.Fatalf("loading the drafted file:\n%s", r.out)
	}
	db.run(t, "tracks", "approve", "review-default").wantCode(t, cli.ExitOK)
	if r = db.run(t, "tracks", "list"); strings.Contains(r.out, "[draft]") {
		t.Fatalf("still a draft after approval:\n%s", r.out)
	}
	if r = db.run(t, "audit", "--action", "track.approve"); !strings.Contains(r.out, "review-default") {
		t.Errorf("the track's approval is not in the audit log:\n%s", r.out)
	}

	db.run(t, "tracks", "draft").wantCode(t, cli.ExitUsage)
	r = db.run(t, "tracks", "draft", "--collection", "nope")
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, `collection "nope" has no documents`) {
		t.Fatalf("unknown collection: %s", r.err)
	}
}

// A curator enrols a Slack channel's people in a track: its members as
// conversations.members lists them, without bots or Lore itself.
func TestTracksEnrolAChannel(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "expenses.md"), []byte(goodTrack))
	db.run(t, "tracks", "load", dir).wantCode(t, cli.ExitOK)

	fake := slackfake.New()
	defer fake.Close()
	fake.SetChannelMembers("C0WELCOME", "UANA", "UBEN", "UBOTX", slackfake.BotUserID)
	fake.SetBots("UBOTX")
	env := map[string]string{"LORE_SLACK_BOT_TOKEN": "xoxb-test", "LORE_SLACK_API_URL": fake.URL()}
	r := runEnv(t, env, "tracks", "enrol", "expenses", "--channel", "C0WELCOME", "--workspace", slackfake.TeamID, db.flag())
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "2 enrolled in expenses") {
		t.Fatalf("enrol a channel: %s %s", r.out, r.err)
	}
	r = runEnv(t, env, "tracks", "enrol", "expenses", "--channel", "C0WELCOME", "--workspace", slackfake.TeamID, db.flag())
	if !strings.Contains(r.out, "0 enrolled in expenses (2 already were)") {
		t.Fatalf("enrol the channel again: %s %s", r.out, r.err)
	}
	runEnv(t, map[string]string{}, "tracks", "enrol", "expenses", "--channel", "C0WELCOME", db.flag()).wantCode(t, cli.ExitUsage)
	db.run(t, "tracks", "enrol", "expenses").wantCode(t, cli.ExitUsage)
	db.run(t, "tracks", "enrol", "expenses", "--platform", "shell", "--channel", "x").wantCode(t, cli.ExitUsage)
}

// A track for the hr group enrols hr's members and lists the others as
// outside its audience; cards drafted from a restricted collection carry
// the collection's audience.
func TestTracksAudiences(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	env := map[string]string{"LORE_GROUPS": "hr=slack/T1/U1"}
	lore := func(args ...string) result {
		t.Helper()
		return runEnv(t, env, append(args, db.flag())...)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "payroll.md"), []byte(strings.Replace(goodTrack, "title: Expenses", "id: payroll\ntitle: Payroll\naudience: group:hr", 1)))
	lore("tracks", "load", dir).wantCode(t, cli.ExitOK)
	r := lore("tracks", "enrol", "payroll", "U1", "U2", "--workspace", "T1")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "1 enrolled in payroll") || !strings.Contains(r.out, "outside the track's audience: U2") {
		t.Errorf("enrol into a restricted track:\n%s", r.out)
	}
	r = lore("tracks", "enrol", "payroll", "U2", "--workspace", "T1")
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.out, "U2") || !strings.Contains(r.err, "nobody named is in the audience") {
		t.Errorf("enrol only outsiders: %s %s", r.out, r.err)
	}
	writeFile(t, filepath.Join(dir, "payroll.md"), []byte(strings.Replace(goodTrack, "title: Expenses", "id: payroll\ntitle: Payroll\naudience: group:HR", 1)))
	if r := lore("tracks", "load", dir); r.code != cli.ExitUsage || !strings.Contains(r.err, "payroll.md:4: front matter: audience") {
		t.Errorf("a bad audience loads: %d %s", r.code, r.err)
	}

	lore("collections", "set", "default", "--audience", "group:hr").wantCode(t, cli.ExitOK)
	lore("tracks", "draft", "--collection", "default").wantCode(t, cli.ExitOK)
	if r := lore("tracks", "list"); !strings.Contains(r.out, "review-default") || !strings.Contains(r.out, "[audience: group:hr]") {
		t.Errorf("the drafted track does not carry the collection's audience:\n%s", r.out)
	}
}

// A track of one card says so in the singular when loaded and listed.
func TestTracksLoadAndListOneCard(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "office.md"), []byte("---\ntitle: Office life\ncadence: weekly\n---\n\n## tip: Coffee {#coffee}\nThe machine is descaled on Fridays.\n"))
	r := db.run(t, "tracks", "load", dir)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "v1 loaded (1 card)") {
		t.Errorf("load output:\n%s", r.out)
	}
	r = db.run(t, "tracks", "list")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, " 1 card   Office life") {
		t.Errorf("list:\n%s", r.out)
	}
	docs := t.TempDir()
	writeFile(t, filepath.Join(docs, "expenses.md"), []byte("# Expenses\n\nSubmit expenses within 30 days through the Ledgerly app.\n"))
	db.run(t, "ingest", docs).wantCode(t, cli.ExitOK)
	r = db.run(t, "tracks", "draft", "--collection", "default", "--per-doc", "1", "--no-load")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "Drafted 1 card from 1 document") {
		t.Errorf("draft:\n%s", r.out)
	}
}
