package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lorehq/lore/adapters/shell"
	"github.com/lorehq/lore/knowledge"
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
			if err := a.useSampleSynonyms(ctx, svc); err != nil {
				return err
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

// useSampleSynonyms gives the demo the sample handbook's synonyms while
// the knowledge base holds the handbook and no synonym file is set, so
// that its paraphrased questions ("a note from my GP") find the
// handbook's words ("doctor") as a curated deployment's would.
func (a *app) useSampleSynonyms(ctx context.Context, svc *services) error {
	if strings.TrimSpace(a.getenv("LORE_SYNONYMS_FILE")) != "" {
		return nil
	}
	docs, err := svc.store.DocumentRefs(ctx, "handbook")
	if err != nil || len(docs) == 0 {
		return err
	}
	syn, err := knowledge.ParseSynonyms(strings.NewReader(handbook.Synonyms))
	if err != nil {
		return fmt.Errorf("the sample handbook's synonyms: %w", err)
	}
	svc.knowledge.UseSynonyms(syn)
	return nil
}
