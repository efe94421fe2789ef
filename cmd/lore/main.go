// Command lore is Lore's command-line interface: ingest content, ask
// questions, chat in a terminal, evaluate and benchmark retrieval.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lorehq/lore/cmd/lore/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
