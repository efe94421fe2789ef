package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lorehq/lore/adapters/shell"
	"github.com/lorehq/lore/knowledge/handbook"
)

func (a *app) chatCommand() *cobra.Command {
	var user, channel string
	var noSample bool
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "Chat with Lore in the terminal",
		Long: `Chat with Lore in the terminal, through the same core as Slack and Discord.
Each line is a message; /as NAME switches user, /dm toggles direct-message
mode, /help lists the shell commands, exit leaves. With an empty knowledge
base, the bundled sample handbook is loaded first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			svc, err := a.open(ctx)
			if err != nil {
				return err
			}
			defer svc.Close()
			color := false
			if f, ok := a.io.Out.(*os.File); ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == "" {
				color = true
			}
			history := ""
			if home, err := os.UserHomeDir(); err == nil {
				history = filepath.Join(home, ".lore_history")
			}
			sh, err := shell.New(shell.Config{
				In: a.io.In, Out: a.io.Out, Handler: svc.bot,
				User: user, Channel: channel, HistoryFile: history, Color: color,
			})
			if errors.Is(err, shell.ErrInvalidConfig) {
				return usageErrorf("%v", err)
			}
			if err != nil {
				return err
			}
			svc.messenger.set(sh)
			stats, err := svc.store.Stats(ctx)
			if err != nil {
				return err
			}
			if stats.Documents == 0 && !noSample {
				docs, _ := fs.Sub(handbook.Docs, "docs")
				fmt.Fprintln(a.io.Err, "The knowledge base is empty: loading the sample handbook...")
				sum, err := svc.knowledge.IngestFS(ctx, docs, "handbook", "handbook")
				if err != nil {
					return fmt.Errorf("load the sample handbook: %w", err)
				}
				fmt.Fprintf(a.io.Err, "Loaded %d documents (%d chunks) in %.1fs.\n", sum.Added, sum.Chunks, sum.Duration.Seconds())
			}
			if err := a.loadSampleTracks(ctx, svc, noSample); err != nil {
				return err
			}
			return sh.Run(ctx)
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "who you are in the chat (default $USER)")
	cmd.Flags().StringVar(&channel, "channel", "general", "channel to start in")
	cmd.Flags().BoolVar(&noSample, "no-sample", false, "do not load the sample handbook into an empty knowledge base")
	return cmd
}
