package shell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/lorehq/lore/bot/engagement"
)

var _ engagement.Sender = (*DigestPrinter)(nil)

// DigestPrinter is the terminal's digest delivery: it prints a digest's
// text (cleaned of terminal escapes like every reply) and writes its chart
// as a PNG file, printing the file's path, since a terminal cannot show
// the image. `lore digest --leaders` uses it.
type DigestPrinter struct {
	Out   io.Writer
	Dir   string // where charts are written; default os.TempDir()
	Color bool   // bold Markdown on a terminal
}

// chartName keeps a chart's file name to safe characters, so that a name
// cannot leave Dir.
var chartName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// SendDigest implements engagement.Sender. The destination is not used:
// the terminal is the only place the shell reaches.
func (p *DigestPrinter) SendDigest(_ context.Context, _ engagement.Destination, m engagement.Message) error {
	if p.Out == nil {
		return errors.New("shell: digest printer without output")
	}
	if err := printReply(p.Out, m.Reply, p.Color && isTerminal(p.Out)); err != nil {
		return err
	}
	if len(m.Chart) == 0 || m.Digest.Withheld {
		return nil
	}
	dir := p.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	name := filepath.Base(chartName.ReplaceAllString(m.ChartName, "-"))
	if name == "" || name == "." || name == "-" || name == ".." {
		name = "lore-digest.png"
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, m.Chart, 0o644); err != nil {
		return fmt.Errorf("write digest chart: %w", err)
	}
	_, err := fmt.Fprintf(p.Out, "\nChart: %s\n", sanitizeLine(path))
	return err
}
