package cli_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// A file named on the command line or in a setting that cannot be read,
// or written, is named in plain words with why, never in the system's
// ("open x: no such file or directory", "read d: is a directory").
func TestUnusableFilesInPlainWords(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	noFolder := filepath.Join(dir, "no-folder", "out.png")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"config file missing", nil, []string{"--config", missing, "config", "check"}, cli.ExitUsage,
			"config file " + missing + ": no such file"},
		{"config file a folder", nil, []string{"--config", dir, "config", "check"}, cli.ExitUsage,
			"config file " + dir + " is a folder, not a file"},
		{"secret file missing", map[string]string{"LORE_SLACK_BOT_TOKEN_FILE": missing}, []string{"config", "check"}, cli.ExitUsage,
			"LORE_SLACK_BOT_TOKEN_FILE: cannot read the secret: " + missing + ": no such file"},
		{"synonym file missing", map[string]string{"LORE_SYNONYMS_FILE": missing}, []string{"config", "check"}, cli.ExitUsage,
			`LORE_SYNONYMS_FILE "` + missing + `": no such file`},
		{"synonym file a folder", map[string]string{"LORE_SYNONYMS_FILE": dir}, []string{"config", "check"}, cli.ExitUsage,
			`LORE_SYNONYMS_FILE "` + dir + `": is a folder, not a file`},
		{"leaders file missing", nil, []string{"digest", "--leaders", missing, db.flag()}, cli.ExitUsage,
			"leaders file " + missing + ": no such file"},
		{"leaders file a folder", nil, []string{"digest", "--leaders", dir, db.flag()}, cli.ExitUsage,
			"leaders file " + dir + " is a folder, not a file"},
		{"chart in a missing folder", nil, []string{"digest", "--format", "png", "--out", noFolder, db.flag()}, cli.ExitFailure,
			"write chart " + noFolder + ": the folder " + filepath.Dir(noFolder) + " does not exist"},
		{"chart to a folder", nil, []string{"digest", "--format", "png", "--out", dir, db.flag()}, cli.ExitFailure,
			"write chart " + dir + " is a folder: name a file in it"},
		{"CPU profile in a missing folder", nil, []string{"--cpuprofile", noFolder, "config", "check"}, cli.ExitFailure,
			"--cpuprofile " + noFolder + ": the folder " + filepath.Dir(noFolder) + " does not exist"},
		{"bench's CPU profile in a missing folder", nil, []string{"bench", "nudges", "--learners", "10", "--cpuprofile", noFolder}, cli.ExitFailure,
			"--cpuprofile " + noFolder + ": the folder " + filepath.Dir(noFolder) + " does not exist"},
	}
	for _, c := range cases {
		r := runEnv(t, c.env, c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d saying %q", c.name, r.code, r.err, c.code, c.want)
		}
		wantNoSystemWords(t, c.name, r.err)
	}
}

// A drafted track's --out in a folder that does not exist is named so.
func TestTracksDraftOutInAMissingFolder(t *testing.T) {
	t.Parallel()
	db, _ := ingested(t)
	out := filepath.Join(t.TempDir(), "no-folder", "review.md")
	r := db.run(t, "tracks", "draft", "--collection", "default", "--out", out)
	if want := "--out " + out + ": the folder " + filepath.Dir(out) + " does not exist"; r.code != cli.ExitFailure || !strings.Contains(r.err, want) {
		t.Errorf("exit %d, stderr %q; want exit 1 saying %q", r.code, r.err, want)
	}
	wantNoSystemWords(t, "tracks draft --out", r.err)
}

// wantNoSystemWords fails when stderr speaks the system's words about a
// file rather than plain ones.
func wantNoSystemWords(t *testing.T, name, stderr string) {
	t.Helper()
	for _, words := range []string{"open ", "stat ", "no such file or directory", "is a directory"} {
		if strings.Contains(stderr, words) {
			t.Errorf("%s: stderr %q speaks the system's words (%q)", name, stderr, words)
		}
	}
}
