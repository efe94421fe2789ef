package knowledge_test

import (
	"testing"

	"github.com/lorehq/lore/knowledge"
)

// askFrom loads files into a fresh service and asks it question, which
// must be answered.
func askFrom(t *testing.T, files map[string]string, question string) knowledge.Answer {
	t.Helper()
	svc, _ := newService(t, knowledge.Options{})
	dir := t.TempDir()
	writeFiles(t, dir, files)
	ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}})
	ans, err := svc.Ask(t.Context(), question)
	if err != nil {
		t.Fatalf("Ask(%q): %v", question, err)
	}
	if !ans.Confident || len(ans.Citations) == 0 {
		t.Fatalf("Ask(%q) is not answered: %q", question, ans.Text)
	}
	return ans
}

// A document of several level-1 headings is titled by the first, which a
// citation shows once: "Quokka Onboarding › Quokka Onboarding" repeats it.
func TestCitationHeadingDoesNotRepeatTitle(t *testing.T) {
	t.Parallel()
	files := map[string]string{"quokka.md": `# Quokka Onboarding

Quokka onboarding starts on Monday with a quokka welcome breakfast.

## Quokka buddies

Every quokka newcomer gets a quokka buddy from another team.

# Quokka Offboarding

Quokka offboarding ends with returning the quokka badge to reception.
`}
	for _, tt := range []struct{ question, heading string }{
		{"when does quokka onboarding start with the welcome breakfast?", ""},
		{"who is my quokka buddy from another team?", "Quokka buddies"},
		{"how does quokka offboarding end?", "Quokka Offboarding"},
	} {
		ans := askFrom(t, files, tt.question)
		c := ans.Citations[0]
		if c.Title != "Quokka Onboarding" || c.Heading != tt.heading {
			t.Errorf("%q cites %q › %q, want %q › %q", tt.question, c.Title, c.Heading, "Quokka Onboarding", tt.heading)
		}
	}
}
