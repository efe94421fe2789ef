package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// Questions the test corpus answers, with a fact each answer must hold.
const (
	leaveQuestion = "how many days of paid annual leave do full-time employees get?"
	leaveFact     = "27 days"
	vpnQuestion   = "how do I fix the VPN disconnecting?"
	vpnFact       = "tunnelwise doctor"
)

// result is what one in-process run of the lore command produced.
type result struct {
	code    int
	out     string
	err     string
	elapsed time.Duration
}

// run executes lore with args and an empty stdin.
func run(t testing.TB, args ...string) result {
	t.Helper()
	return runWithInput(t, strings.NewReader(""), args...)
}

// runWithInput executes lore with args, reading stdin from in.
func runWithInput(t testing.TB, in io.Reader, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.Run(t.Context(), args, cli.Stdio{In: in, Out: &out, Err: &errOut})
	return result{code: code, out: out.String(), err: errOut.String(), elapsed: time.Since(start)}
}

// wantCode fails the test unless r exited with code.
func (r result) wantCode(t testing.TB, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.out, r.err)
	}
}

// testDB is a database file of its own for one test.
type testDB struct {
	path string
}

func newDB(t *testing.T) testDB {
	t.Helper()
	return testDB{path: filepath.Join(t.TempDir(), "lore.db")}
}

// flag is the --db argument that points lore at the database.
func (d testDB) flag() string { return "--db=sqlite:" + d.path }

// run executes lore against the database.
func (d testDB) run(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, append(args, d.flag())...)
}

// open opens the database directly, as another process would.
func (d testDB) open(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), d.path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", d.path, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// counts is what the database holds: documents, chunks and events.
type counts struct {
	documents, chunks, events int
}

func (d testDB) counts(t *testing.T) counts {
	t.Helper()
	st, err := sqlite.Open(t.Context(), d.path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s: %v", d.path, err)
	}
	defer st.Close()
	stats, err := st.Stats(t.Context())
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	events, err := st.Events(t.Context(), store.EventFilter{})
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	return counts{documents: stats.Documents, chunks: stats.Chunks, events: len(events)}
}

// events lists the recorded events of one kind, newest first.
func (d testDB) events(t *testing.T, kind string) []store.Event {
	t.Helper()
	st, err := sqlite.Open(t.Context(), d.path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s: %v", d.path, err)
	}
	defer st.Close()
	events, err := st.Events(t.Context(), store.EventFilter{Kind: kind})
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	return events
}

// copyCorpus copies testdata/corpus into a fresh folder that the test may
// change: three small documents, one each of Markdown with front matter,
// plain text and HTML.
func copyCorpus(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "corpus")
	if err := os.CopyFS(dir, os.DirFS("testdata/corpus")); err != nil {
		t.Fatalf("copy corpus: %v", err)
	}
	return dir
}

// ingested returns a database holding the test corpus.
func ingested(t *testing.T) (testDB, string) {
	t.Helper()
	db := newDB(t)
	dir := copyCorpus(t)
	db.run(t, "ingest", dir).wantCode(t, cli.ExitOK)
	return db, dir
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// summary is the closing line of lore ingest.
type summary struct {
	added, updated, unchanged, removed, skipped, chunks int
}

var summaryLine = regexp.MustCompile(`(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed, (\d+) skipped; (\d+) chunks? written`)

func parseSummary(t *testing.T, out string) summary {
	t.Helper()
	m := summaryLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ingest summary in output:\n%s", out)
	}
	n := make([]int, len(m)-1)
	for i, s := range m[1:] {
		n[i], _ = strconv.Atoi(s)
	}
	return summary{added: n[0], updated: n[1], unchanged: n[2], removed: n[3], skipped: n[4], chunks: n[5]}
}

// decodeObject parses out as one JSON object and checks that it has
// exactly the keys want.
func decodeObject(t *testing.T, out string, want ...string) map[string]json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatalf("output is not a JSON object: %v\n%s", err, out)
	}
	if want != nil {
		if got := sortedKeys(obj); !slices.Equal(got, sorted(want)) {
			t.Fatalf("JSON keys %v, want %v\n%s", got, sorted(want), out)
		}
	}
	return obj
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sorted(keys)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestHelpExitsZeroWithUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args  []string
		usage string
	}{
		{[]string{"--help"}, "lore [command]"},
		{[]string{"ingest", "--help"}, "lore ingest PATH..."},
		{[]string{"ask", "--help"}, "lore ask QUESTION"},
		{[]string{"chat", "--help"}, "lore chat"},
		{[]string{"gaps", "--help"}, "lore gaps"},
		{[]string{"eval", "--help"}, "lore eval --corpus FILE --queries FILE --qrels FILE"},
		{[]string{"bench", "--help"}, "lore bench --chunks N"},
		{[]string{"help", "ask"}, "lore ask QUESTION"},
		{[]string{"ask", "-h"}, "lore ask QUESTION"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := run(t, c.args...)
			r.wantCode(t, cli.ExitOK)
			if !strings.Contains(r.out, "Usage:") || !strings.Contains(r.out, c.usage) {
				t.Errorf("help does not show the usage %q:\n%s", c.usage, r.out)
			}
			// Every format lore ingest reads is named where ingest is described.
			if c.args[0] == "--help" || c.args[0] == "ingest" {
				if !strings.Contains(r.out, "PDF") {
					t.Errorf("help describes ingest without naming PDF:\n%s", r.out)
				}
			}
			// Help opens no database, not even the default lore.db.
			if _, err := os.Stat("lore.db"); err == nil {
				t.Errorf("help created lore.db in the working directory")
			}
		})
	}
}

func TestNoArgumentsShowsHelp(t *testing.T) {
	t.Parallel()
	r := run(t)
	r.wantCode(t, cli.ExitOK)
	for _, cmd := range []string{"ingest", "ask", "chat", "gaps", "eval", "bench"} {
		if !strings.Contains(r.out, cmd) {
			t.Errorf("root help does not list %q:\n%s", cmd, r.out)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown root flag", []string{"--frobnicate"}, "unknown flag: --frobnicate"},
		{"unknown ingest flag", []string{"ingest", "--frobnicate", "."}, "unknown flag: --frobnicate"},
		{"unknown ask flag", []string{"ask", "--frobnicate", "question"}, "unknown flag: --frobnicate"},
		{"unknown shorthand", []string{"gaps", "-z"}, "unknown shorthand flag: 'z'"},
		{"flag without value", []string{"gaps", "--limit"}, "flag needs an argument"},
		{"bad flag value", []string{"gaps", "--limit", "many"}, "invalid argument"},
		{"ingest without path", []string{"ingest"}, "requires at least 1 arg"},
		{"ask without question", []string{"ask"}, "requires at least 1 arg"},
		{"gaps with argument", []string{"gaps", "extra"}, "unknown command"},
		{"unknown export table", []string{"export", "bogus"}, `unknown command "bogus" for "lore export"`},
		{"unknown config subcommand", []string{"config", "bogus"}, `unknown command "bogus" for "lore config"`},
		{"unknown completion shell", []string{"completion", "bogus"}, `unknown command "bogus" for "lore completion"`},
		{"unknown sources subcommand", []string{"sources", "bogus"}, "unknown command"},
		{"empty ingest path", []string{"ingest", "testdata/corpus", ""}, "a PATH is empty: name a file or folder"},
		{"empty track path", []string{"tracks", "load", ""}, "a PATH is empty: name a file or folder"},
		{"empty forget user", []string{"forget", ""}, "USER is empty"},
		{"forget user not UTF-8", []string{"forget", "bob\xff"}, `USER "bob\xff" is not valid UTF-8 text`},
		{"unknown source kind", []string{"sources", "add", "wiki", "testdata/corpus", "--kind", "nope"}, `--kind "nope": want one of files, url, sitemap, site, feed`},
		{"no cards per document", []string{"tracks", "draft", "--collection", "default", "--per-doc", "0"}, "--per-doc 0: want 1 or more"},
		{"unknown help topic", []string{"help", "frobnicate"}, `unknown command "frobnicate" for "lore"`},
		{"unknown help subtopic", []string{"help", "sources", "bogus"}, `unknown command "bogus" for "lore sources"`},
		{"negative gaps limit", []string{"gaps", "--limit", "-1"}, "--limit -1"},
		{"empty export period", []string{"export", "statements", "--since", "2026-02-01", "--until", "2026-01-01"}, "is not after --since"},
		{"digest --out with text", []string{"digest", "--out", "d.txt"}, "--out is for --format png"},
		{"digest --chart with json", []string{"digest", "--format", "json", "--chart", "c.png"}, "--chart is for --format text"},
		{"eval without flags", []string{"eval"}, "required flag"},
		{"unknown database scheme", []string{"gaps", "--db", "mysql://localhost/lore"}, "unrecognised database"},
		{"unrecognised database", []string{"gaps", "--db", "mysql://localhost/lore"}, "unrecognised database"},
	}
	// The parallel cases run inside a group, which returns only when they
	// have all finished, so the check below sees what they left.
	t.Run("cases", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				args := c.args
				if !slices.ContainsFunc(args, func(a string) bool { return a == "--db" }) {
					args = append([]string{db.flag()}, args...)
				}
				r := run(t, args...)
				r.wantCode(t, cli.ExitUsage)
				if !strings.Contains(r.err, c.msg) {
					t.Errorf("stderr does not say %q:\n%s", c.msg, r.err)
				}
				if r.out != "" {
					t.Errorf("usage error wrote to stdout:\n%s", r.out)
				}
			})
		}
	})
	if _, err := os.Stat(db.path); err == nil {
		t.Errorf("a usage error created the database %s", db.path)
	}
}

// A flag value that does not parse is refused in plain words, without
// Go's parser messages.
func TestFlagValueErrorsSpeakPlainly(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"ask", "--json=maybe", leaveQuestion}, `invalid argument "maybe" for --json: want true or false`},
		{[]string{"--migrate=maybe", "gaps"}, `invalid argument "maybe" for --migrate: want true or false`},
		{[]string{"gaps", "--limit", "many"}, `invalid argument "many" for --limit: want a whole number`},
		{[]string{"audit", "--limit", "99999999999999999999"}, `invalid argument "99999999999999999999" for --limit: the number is out of range`},
		{[]string{"bench", "nudges", "--rate", "fast"}, `invalid argument "fast" for --rate: want a number`},
	}
	for _, c := range cases {
		r := run(t, append([]string{db.flag()}, c.args...)...)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, c.msg) || strings.Contains(r.err, "strconv") || strings.Contains(r.err, "syntax") {
			t.Errorf("%v: stderr does not say %q plainly:\n%s", c.args, c.msg, r.err)
		}
	}
}

// A wrong number of arguments shows the form the command takes, or the
// commands of a group, not only cobra's count.
func TestArgumentCountErrorsShowTheForm(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"ask"}, "Usage: lore ask QUESTION"},
		{[]string{"forget"}, "Usage: lore forget USER"},
		{[]string{"forget", "U1", "U2"}, "Usage: lore forget USER"},
		{[]string{"sources", "add", "handbook"}, "Usage: lore sources add NAME URL-or-PATH"},
		{[]string{"roles", "grant", "slack/U1"}, "Usage: lore roles grant PERSON ROLE"},
		{[]string{"tracks", "approve"}, "Usage: lore tracks approve TRACK"},
		{[]string{"export", "bogus"}, "Commands: csv, statements"},
	} {
		r := run(t, append([]string{db.flag()}, c.args...)...)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, c.want) || !strings.Contains(r.err, "--help' for more") {
			t.Errorf("lore %s: stderr does not say %q and where to read more:\n%s", strings.Join(c.args, " "), c.want, r.err)
		}
	}
}

func TestEnvironmentSelectsDatabase(t *testing.T) {
	// t.Setenv: not parallel.
	db, _ := ingested(t)
	t.Setenv("LORE_DATABASE_URL", "sqlite:"+db.path)
	r := run(t, "ask", leaveQuestion)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, leaveFact) {
		t.Errorf("answer from $LORE_DATABASE_URL lacks the fact:\n%s", r.out)
	}
}

func TestCancelledContextStops(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := copyCorpus(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errOut bytes.Buffer
	code := cli.Run(ctx, []string{"ingest", dir, db.flag()}, cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if code != cli.ExitInterrupted {
		t.Fatalf("ingest with a cancelled context: exit status %d, want %d:\n%s", code, cli.ExitInterrupted, out.String())
	}
	if !strings.Contains(errOut.String(), "lore: stopped before it finished") {
		t.Errorf("stderr does not say the run was cancelled:\n%s", errOut.String())
	}
}

// A mistyped flag or subcommand is a usage error that suggests the close
// ones, at every level of the command tree; nothing close, no suggestion.
func TestMistypedFlagsAndSubcommandsSuggest(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for _, c := range []struct {
		args []string
		want string // "" for no suggestion
	}{
		{[]string{"ingest", "--colection", "x", "."}, "Did you mean --collection?"},
		{[]string{"ask", "--jsn", "hi"}, "Did you mean --json?"},
		{[]string{"gaps", "--dbb", "x"}, "Did you mean --db?"},
		{[]string{"sources", "add", "x", "y", "--kin", "url"}, "Did you mean --kind?"},
		{[]string{"gaps", "--zzzzzz"}, ""},
		{[]string{"sources", "synk", "x"}, "Did you mean this?\n\tsync\n"},
		{[]string{"tracks", "lst"}, "Did you mean this?\n\tlist\n"},
		{[]string{"export", "bogus"}, ""},
	} {
		r := run(t, append([]string{db.flag()}, c.args...)...)
		r.wantCode(t, cli.ExitUsage)
		if c.want == "" && strings.Contains(r.err, "Did you mean") || !strings.Contains(r.err, c.want) {
			t.Errorf("lore %s: stderr does not suggest %q:\n%s", strings.Join(c.args, " "), c.want, r.err)
		}
	}
}
