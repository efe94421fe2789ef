// Command lore is Lore's command-line interface: serve the chat adapters
// and background jobs (lore serve), ingest and curate content, ask
// questions, chat in a terminal, evaluate and benchmark retrieval. The
// commands live in cmd/lore/cli; main only sets up the process.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/lorehq/lore/cmd/lore/cli"
	"github.com/lorehq/lore/knowledge/ingest/pdfproc"
)

// gcPercent replaces Go's default GOGC of 100 unless GOGC is set. Most of
// Lore's heap is its long-lived search index, which the default lets grow
// to twice its size before collecting; 50 costs a little CPU and keeps peak
// memory about a quarter lower (docs/benchmarks.md).
const gcPercent = 50

func main() {
	if pdfproc.IsChild() {
		os.Exit(pdfproc.Main())
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := cli.NotifyContext(context.Background(), os.Stderr)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
