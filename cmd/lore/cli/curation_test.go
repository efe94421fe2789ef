package cli_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lorehq/lore/cmd/lore/cli"
)

// In lore chat a learner is refused the curators' commands and may
// suggest; the suggestion waits in lore drafts, credited to them. A
// curator adds a source, which lore sources lists.
func TestChatCurationAndSuggestions(t *testing.T) {
	chatHome(t)
	db := newDB(t)
	r := runWithInput(t, strings.NewReader("sources\nsuggest The canteen serves soup on Fridays.\nexit\n"), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"Only curators can list the sources", "A curator will review it"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	drafts := db.run(t, "drafts")
	drafts.wantCode(t, cli.ExitOK)
	if !strings.Contains(drafts.out, "suggestions") || !strings.Contains(drafts.out, "shell/alice") || !strings.Contains(drafts.out, "The canteen serves soup") {
		t.Errorf("lore drafts:\n%s", drafts.out)
	}

	t.Setenv("LORE_ROLES", "shell/alice=curator")
	r = runWithInput(t, strings.NewReader("add https://wiki.example.com/canteen food\napprove\nexit\n"), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	for _, want := range []string{"Added source `wiki-example-com-canteen`", "lore sources sync wiki-example-com-canteen", "Drafts waiting for approval** (1)"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, r.out)
		}
	}
	src := db.run(t, "sources")
	if !strings.Contains(src.out, "wiki-example-com-canteen") || !strings.Contains(src.out, "food") || !strings.Contains(src.out, "shell/alice") {
		t.Errorf("lore sources:\n%s", src.out)
	}
	// The changes made from chat are in the audit log, with the person
	// in chat as the actor.
	audit := db.run(t, "audit")
	audit.wantCode(t, cli.ExitOK)
	for _, want := range []string{"shell/alice", "document.suggest", "source.add", "wiki-example-com-canteen"} {
		if !strings.Contains(audit.out, want) {
			t.Errorf("lore audit lacks %q:\n%s", want, audit.out)
		}
	}
}

// LORE_FETCH_ALLOW opens internal hosts to source syncs, which curators
// set up, not to suggestions, which anyone makes.
func TestSuggestionsIgnoreTheFetchAllowList(t *testing.T) {
	chatHome(t)
	db := newDB(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "Internal build secrets.")
	}))
	defer srv.Close()
	t.Setenv("LORE_FETCH_ALLOW", "127.0.0.1")
	r := runWithInput(t, strings.NewReader("suggest "+srv.URL+"/secrets.txt\nexit\n"), "chat", db.flag())
	r.wantCode(t, cli.ExitOK)
	if !strings.Contains(r.out, "inside the company network") {
		t.Errorf("chat output:\n%s", r.out)
	}
	if drafts := db.run(t, "drafts"); strings.Contains(drafts.out, "secrets") {
		t.Errorf("an internal page became a draft:\n%s", drafts.out)
	}
}
