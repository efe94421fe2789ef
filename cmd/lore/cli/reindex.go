package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/queue"
)

func (a *app) reindexCommand() *cobra.Command {
	var queued bool
	cmd := &cobra.Command{
		Use:   "reindex",
		Short: "Embed every chunk again with the configured embedding model",
		Long: `Embed every chunk again with the configured embedding model
(LORE_EMBEDDING_MODEL, or the offline embedder when none is set) and swap
the new vectors in at once. Until the swap, questions are answered from
the vectors the knowledge base already holds, and documents ingested
meanwhile are embedded too. Interrupted, it continues where it stopped
when run again. --queue hands the work to the replicas running 'lore
serve' (which also queue it themselves at start when the model changed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			if queued {
				q, err := a.openQueue(cmd.Context(), svc.store, queue.Config{})
				if err != nil {
					return err
				}
				defer q.close()
				res, err := q.Insert(cmd.Context(), jobs.ReindexArgs{}, nil)
				if err != nil {
					return fmt.Errorf("queue reindex: %w", err)
				}
				if res.UniqueSkippedAsDuplicate {
					fmt.Fprintf(a.io.Out, "A reindex is already queued as job %d (%s).\n", res.Job.ID, res.Job.State)
					return nil
				}
				fmt.Fprintf(a.io.Out, "Queued reindex job %d; a replica running 'lore serve' will work it.\n", res.Job.ID)
				return nil
			}
			progress := newReindexProgress(a.io.Err)
			sum, err := svc.knowledge.Reindex(cmd.Context(), "", progress)
			progress.finish()
			if err != nil {
				a.stopNote = func() string {
					return fmt.Sprintf("%d of %d chunks embedded again and kept; answers still use the old vectors. Run 'lore reindex' again to continue where it stopped",
						progress.n, max(progress.total, progress.n))
				}
				return err
			}
			if sum.UpToDate {
				fmt.Fprintf(a.io.Out, "Up to date: the vectors already come from %s.\n", spaceText(sum.To))
				return nil
			}
			fmt.Fprintf(a.io.Out, "Reindexed %d chunks from %s to %s in %.1fs.\n",
				sum.Chunks, spaceText(sum.From), spaceText(sum.To), sum.Duration.Seconds())
			return nil
		},
	}
	cmd.Flags().BoolVar(&queued, "queue", false, "queue the reindex as a background job for a 'lore serve' replica")
	return cmd
}

func spaceText(sp store.EmbeddingSpace) string {
	return fmt.Sprintf("%s (%d dimensions)", sp.Embedder, sp.Dimensions)
}

// reindexProgress draws a progress bar of chunks on a terminal.
type reindexProgress struct {
	w   io.Writer
	tty bool
	bar *progressbar.ProgressBar
	// n is the chunks embedded so far, of total.
	n, total int
}

func newReindexProgress(w io.Writer) *reindexProgress {
	p := &reindexProgress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *reindexProgress) Total(chunks int) {
	p.total = chunks
	if !p.tty {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(chunks,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("reindexing"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("chunks"),
			progressbar.OptionClearOnFinish(),
		)
		return
	}
	p.bar.ChangeMax(chunks) // chunks were ingested meanwhile
}

func (p *reindexProgress) Done(chunks int) {
	p.n += chunks
	if p.bar != nil {
		_ = p.bar.Add(chunks)
	}
}

func (p *reindexProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
