package cli_test

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The import rules of README.md's Architecture section, checked here
// because cli is the one package that wires every layer together.
// Test files may cross layers (a store test that builds its corpus with
// knowledge/synth); only what ships is checked.

const module = "github.com/lorehq/lore/"

// capabilityRoots are the layers that must work with any adapter;
// storeMayNotImport are the layers above the store.
var (
	capabilityRoots   = []string{"bot", "knowledge", "nudges", "store"}
	storeMayNotImport = []string{"bot", "knowledge", "nudges", "adapters"}
)

// importViolation says why package from may not import package to, both
// given relative to the module, or returns "" when it may.
func importViolation(from, to string) string {
	fromAdapter := adapterOf(from)
	switch {
	case layer(from) == "store" && slices.Contains(storeMayNotImport, layer(to)):
		return "store is the bottom layer: it imports no capability or adapter"
	case slices.Contains(capabilityRoots, layer(from)) && layer(to) == "adapters":
		return "capabilities never import adapters; define the interface they need where it is used"
	case fromAdapter != "" && adapterOf(to) != "" && adapterOf(to) != fromAdapter && adapterOf(to) != "internal":
		return "adapters never import each other; share code through adapters/internal"
	}
	return ""
}

// layer is the top-level directory of a module-relative import path.
func layer(path string) string {
	root, _, _ := strings.Cut(path, "/")
	return root
}

// adapterOf names the adapter a path belongs to (slack for
// adapters/slack/slackfake), "internal" for the adapters' shared helpers,
// or "" outside adapters.
func adapterOf(path string) string {
	rest, ok := strings.CutPrefix(path, "adapters/")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}

func TestImportsFollowTheArchitecture(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-f",
		`{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"...").Output()
	if err != nil {
		var stderr string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	packages := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		packages++
		from := strings.TrimPrefix(fields[0], module)
		for _, imp := range fields[1:] {
			to, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if why := importViolation(from, to); why != "" {
				t.Errorf("%s imports %s: %s", from, to, why)
			}
		}
	}
	if packages < 10 {
		t.Fatalf("go list found %d packages; is the test running inside the module?", packages)
	}
}

// The rules themselves, on imports that would break them, so that a
// mistake in importViolation cannot make the test above pass vacuously.
func TestImportViolation(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		allowed  bool
	}{
		{"bot", "adapters/slack", false},
		{"bot/peers", "adapters/internal/textcut", false},
		{"knowledge/jobs", "adapters/lrs", false},
		{"nudges", "adapters/discord", false},
		{"store/sqlite", "adapters/web", false},
		{"store/postgres", "bot", false},
		{"store/queue", "knowledge/audience", false},
		{"store", "nudges", false},
		{"adapters/slack", "adapters/discord", false},
		{"adapters/slack/slackfake", "adapters/lrs/lrstest", false},
		{"adapters/web", "adapters/shell", false},

		{"adapters/slack", "adapters/slack/slackfake", true},
		{"adapters/discord", "adapters/internal/textcut", true},
		{"adapters/slack", "bot", true},
		{"adapters/lrs", "knowledge/fetch", true},
		{"bot", "knowledge", true},
		{"nudges", "store/queue", true},
		{"store/queue", "store/sqlite", true},
		{"cmd/lore/cli", "adapters/slack", true},
	} {
		why := importViolation(tc.from, tc.to)
		if (why == "") != tc.allowed {
			t.Errorf("%s → %s: allowed %v, want %v (%q)", tc.from, tc.to, why == "", tc.allowed, why)
		}
	}
}
