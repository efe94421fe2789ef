package shell

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge"
)

func TestDigestPrinterWritesTextAndChart(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	p := &DigestPrinter{Out: &out, Dir: dir}
	d := engagement.Digest{
		Since: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC),
		Headline: []engagement.Figure{{Label: "Active learners", Value: 12}},
		Gaps:     []engagement.Gap{{Gap: knowledge.Gap{Question: "vpn \x1b[2Jsetup", Count: 3}}},
	}
	chart := []byte("\x89PNG chart")
	m := engagement.Message{Digest: d, Reply: d.Reply(), Chart: chart, ChartName: "../lore-digest-2026-03-09.png"}
	if err := p.SendDigest(t.Context(), engagement.Destination{Platform: "shell"}, m); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	path := filepath.Join(dir, "..-lore-digest-2026-03-09.png") // inside dir, not above it
	if !strings.Contains(text, "Active learners: *12*") || !strings.Contains(text, "Chart: "+path) {
		t.Errorf("printed:\n%s", text)
	}
	if strings.Contains(text, "\x1b") {
		t.Errorf("a terminal escape from a question reached the output: %q", text)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, chart) {
		t.Errorf("chart file %q, %v", got, err)
	}

	out.Reset()
	m.Digest.Withheld = true
	if err := p.SendDigest(t.Context(), engagement.Destination{}, m); err != nil || strings.Contains(out.String(), "Chart:") {
		t.Errorf("withheld digest printed %q, %v", out.String(), err)
	}
}
