package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// A synonym file widens questions for every command that answers; a
// broken one stops the command with its line, before anything is done.
func TestSynonymsFile(t *testing.T) {
	db := newDB(t)
	docs := t.TempDir()
	if err := os.WriteFile(filepath.Join(docs, "sick.md"), []byte("# Sick leave\n\n## Certificates\n\nFrom day 6 of an absence, send a certificate from your doctor.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db.run(t, "ingest", docs).wantCode(t, cli.ExitOK)
	const question = "when do I need a note from my GP?"

	syn := filepath.Join(t.TempDir(), "synonyms.txt")
	if err := os.WriteFile(syn, []byte("# the handbook says doctor\nGP, doctor\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LORE_SYNONYMS_FILE", syn)
	r := db.run(t, "ask", question)
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "day 6") {
		t.Errorf("with GP = doctor, the answer lacks the certificate rule:\n%s", r.out)
	}

	if err := os.WriteFile(syn, []byte("GP, doctor\nsick\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = db.run(t, "ask", question)
	r.wantCode(t, cli.ExitUsage)
	if !strings.Contains(r.err, "LORE_SYNONYMS_FILE") || !strings.Contains(r.err, "line 2") {
		t.Errorf("a broken synonym file: stderr %q, want the setting and the line named", r.err)
	}
	r = run(t, "config", "check")
	if r.code == cli.ExitOK || !strings.Contains(r.out+r.err, "LORE_SYNONYMS_FILE") {
		t.Errorf("config check passed a broken synonym file (exit %d):\n%s%s", r.code, r.out, r.err)
	}
}
