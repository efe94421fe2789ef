package knowledge_test

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
)

func TestParseSynonymsRefusesMistakesByLine(t *testing.T) {
	for text, want := range map[string]string{
		"GP, doctor\n\nsick":      "line 3: \"sick\" names one word",
		"# comment\nvacation => ": "line 2: an empty entry",
		"a => b => c":             "more than one =>",
		"GP, , doctor":            "an empty entry",
		"what, how":               "\"what\" has no word that search uses",
		"GP, doctor\nx, " + strings.Repeat("y", 5000): "synonyms line 2: longer than 4096 bytes",
	} {
		_, err := knowledge.ParseSynonyms(strings.NewReader(text))
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "bufio") {
			t.Errorf("ParseSynonyms(%.40q) = %v, want an error containing %q", text, err, want)
		}
	}
	if _, err := knowledge.ParseSynonyms(strings.NewReader("# only a comment\n\n")); err != nil {
		t.Errorf("a file of comments: %v", err)
	}
}

// A question in other words than the document's is answered once a
// synonym names the document's words, and only then.
func TestSynonymsAnswerAQuestionInOtherWords(t *testing.T) {
	files := map[string]string{
		"sick.md": "# Sick leave\n\n## Certificates\n\nFrom day 6 of an absence, send us a certificate from your doctor.\n",
		"vpn.md":  "# VPN\n\n## Connecting\n\nOpen Tunnelwise and sign in with your security key before you connect.\n",
	}
	const question = "when do I need a note from my GP?"
	ask := func(syn *knowledge.Synonyms) knowledge.Answer {
		t.Helper()
		svc, _ := newService(t, knowledge.Options{Synonyms: syn})
		dir := t.TempDir()
		writeFiles(t, dir, files)
		ingestDir(t, svc, knowledge.IngestRequest{Paths: []string{dir}})
		ans, err := svc.Ask(t.Context(), question)
		if err != nil {
			t.Fatal(err)
		}
		return ans
	}
	without := ask(nil)
	syn, err := knowledge.ParseSynonyms(strings.NewReader("GP, doctor, physician\nvacation => annual leave\n"))
	if err != nil {
		t.Fatal(err)
	}
	with := ask(syn)
	if !with.Confident || !strings.Contains(with.Text, "day 6") || len(with.Citations) == 0 || with.Citations[0].Source == "" {
		t.Fatalf("with GP = doctor: %q (confidence %.2f), want the certificate rule cited", with.Text, with.Confidence)
	}
	if with.Confidence <= without.Confidence {
		t.Errorf("confidence %.2f with the synonym, %.2f without: want the synonym to count as the question's word", with.Confidence, without.Confidence)
	}
}
