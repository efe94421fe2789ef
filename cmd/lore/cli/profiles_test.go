package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/store"
)

func writeCSV(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func profileOf(t *testing.T, db testDB, user string) store.Profile {
	t.Helper()
	p, err := db.open(t).Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: user})
	if err != nil {
		t.Fatalf("profile %s: %v", user, err)
	}
	return p
}

func TestProfilesImport(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	file := writeCSV(t, "\ufeffEmployee ID,Slack ID,Full Name,Department,Time Zone,Working Hours,Expertise,Learning Goals,Open to requests\n"+
		"E1,U1,Ana Silva,Payments,Europe/Lisbon,08:00-16:00,\"Go; negotiation\",K8s,yes\n"+
		"E2,U2,Ben Ode,Platform,,,,\"public speaking, sql\",no\n")
	r := db.run(t, "profiles", "import", file, "--platform", "slack", "--workspace", "T1")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "Imported 2 profiles: 2 new, 0 updated.") {
		t.Errorf("output: %q", r.out)
	}
	ana := profileOf(t, db, "U1")
	if ana.Name != "Ana Silva" || ana.Team != "Payments" || ana.TimeZone != "Europe/Lisbon" || ana.WorkStart != 480 ||
		!slices.Equal(ana.CanHelp, []string{"golang", "negotiation"}) || !slices.Equal(ana.Learning, []string{"kubernetes"}) || !ana.Available {
		t.Errorf("ana = %+v", ana)
	}

	// Re-importing updates declared fields, keeps what empty cells and
	// missing columns do not set, and never touches consent or inferred
	// skills.
	st := db.open(t)
	ana.Inferred, ana.InferConsent = []string{"vpn"}, true
	if err := st.PutProfile(t.Context(), ana); err != nil {
		t.Fatal(err)
	}
	st.Close()
	again := writeCSV(t, "user,team,can_help\nU1,Risk,\nU3,Ops,sql\n")
	r = db.run(t, "profiles", "import", again, "--platform", "slack", "--workspace", "T1")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "1 new, 1 updated") {
		t.Errorf("output: %q", r.out)
	}
	ana = profileOf(t, db, "U1")
	if ana.Team != "Risk" || !slices.Equal(ana.CanHelp, []string{"golang", "negotiation"}) || ana.Name != "Ana Silva" ||
		!slices.Equal(ana.Inferred, []string{"vpn"}) || !ana.InferConsent {
		t.Errorf("ana after re-import = %+v", ana)
	}
}

func TestProfilesImportReportsEveryBadLine(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	file := writeCSV(t, "user,platform,timezone,hours,available,can_help\n"+
		"U1,slack,Europe/Paris,09:00-17:00,yes,go\n"+ // line 2: good
		"U2,slack,Mars/Olympus,,,\n"+ // 3: time zone
		",slack,,,,\n"+ // 4: no user
		"U4,slack,,9 to 5,,\n"+ // 5: hours
		"U5,slack,,,maybe,\n"+ // 6: available
		"U6,slack\n"+ // 7: field count
		"U1,slack,,,,\n"+ // 8: duplicate
		"U8,,,,,\n"+ // 9: no platform
		"U9,slack,,,,"+strings.Repeat("x", 70)+"\n"+ // 10: skill too long
		"U10,slack,,,,sq\xffl\n") // 11: invalid UTF-8
	r := db.run(t, "profiles", "import", file, "--workspace", "T1")
	r.wantCode(t, cli.ExitUsage)
	for _, want := range []string{
		"line 3: unknown time zone", "line 4: no user", "line 5: hours", "line 6: available",
		"line 7: wrong number of fields", "line 8: user U1 is already on line 2", "line 9: no platform",
		"line 10: can_help: a skill is at most 60", "line 11: can_help is not valid text", "nothing imported",
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.err)
		}
	}
	if _, err := db.open(t).Profile(t.Context(), store.PersonKey{Platform: "slack", Workspace: "T1", User: "U1"}); err == nil {
		t.Error("a file with bad lines imported its good ones without --skip-invalid")
	}
	r = db.run(t, "profiles", "import", file, "--workspace", "T1", "--skip-invalid")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "Imported 1 profiles") || !strings.Contains(r.out, "9 bad lines skipped") {
		t.Errorf("skip-invalid output: %q", r.out)
	}
	profileOf(t, db, "U1")
}

func TestProfilesImportUnusableFiles(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	for name, tc := range map[string]struct{ body, want string }{
		"empty":     {"", "empty"},
		"no user":   {"name,team\nAna,Payments\n", "no user column"},
		"bad quote": {"user,name\nU1,\"Ana\n", "extraneous or missing"},
		"binary":    {"\x00\x01\x02PK\x03\x04", "no user column"},
	} {
		r := db.run(t, "profiles", "import", writeCSV(t, tc.body), "--platform", "slack")
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, tc.want) {
			t.Errorf("%s: stderr %q lacks %q", name, r.err, tc.want)
		}
	}
	// A file that cannot be opened is named in plain words, not the
	// system's ("open x: no such file or directory").
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.csv")
	for path, want := range map[string]string{missing: missing + ": no such file", dir: dir + " is a folder: name the CSV file in it"} {
		r := db.run(t, "profiles", "import", path)
		r.wantCode(t, cli.ExitUsage)
		if !strings.Contains(r.err, want) || strings.Contains(r.err, "open ") {
			t.Errorf("import %s: stderr %q, want it to say %q", path, r.err, want)
		}
	}
	db.run(t, "profiles", "import").wantCode(t, cli.ExitUsage)
	r := db.run(t, "profiles", "import", writeCSV(t, "user\nU1\n"), "--platform", "slack", "--dry-run")
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "1 profiles would be imported") {
		t.Errorf("dry run: %q", r.out)
	}
}
