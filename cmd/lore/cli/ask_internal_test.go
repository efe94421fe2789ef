package cli

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/knowledge"
)

// Both texts that tell the asker their question was noted, extractive
// and model, lose that claim when nothing was recorded.
func TestUnrecordedReplyText(t *testing.T) {
	t.Parallel()
	for _, text := range []string{knowledge.NoAnswerText, knowledge.ModelNoAnswerText} {
		got := unrecordedText(text, "slack/T1/U2")
		if strings.Contains(got, "noted") || !strings.Contains(got, "Asked as slack/T1/U2: nothing was recorded") {
			t.Errorf("unrecordedText(%q) = %q", text, got)
		}
	}
	const answer = "Salaries are paid on the 25th. [1]"
	if got := unrecordedText(answer, "slack/T1/U2"); got != answer {
		t.Errorf("an answer was changed: %q", got)
	}
}
