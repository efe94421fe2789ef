package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/queue"
)

func (a *app) ingestCommand() *cobra.Command {
	var collection string
	var prune, queued bool
	cmd := &cobra.Command{
		Use:   "ingest PATH...",
		Short: "Load Markdown, text, HTML and PDF files or folders into the knowledge base",
		Long: `Load Markdown (with YAML front matter), plain text, HTML and PDF files (the
text layer, cited by page), or folders of them, into a collection. Re-ingest
is incremental: unchanged files are skipped and changed ones replaced
atomically. --prune removes documents whose file under the given paths is
gone from disk (never those of a registered source). Binary, oversized,
unreadable files and files without text are skipped with a warning. A PATH
that is a link to a folder is walked as the folder; links to folders inside
it are not followed. --queue hands the work to the replicas running 'lore
serve': the same request queued twice
while the first is pending is queued once.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if collection != "" {
				if err := store.CheckCollectionName(collection); err != nil {
					return &exitError{code: ExitUsage, err: err}
				}
			}
			if err := emptyPath(args); err != nil {
				return err
			}
			if err := ingest.CheckPaths(args); err != nil {
				return pathError(err)
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			if queued {
				return a.queueIngest(cmd.Context(), svc, args, collection, prune)
			}
			progress := newIngestProgress(a.io.Err)
			sum, err := svc.knowledge.Ingest(cmd.Context(), knowledge.IngestRequest{
				Paths: args, Collection: collection, Prune: prune,
			}, progress)
			progress.finish()
			if errors.Is(err, fs.ErrNotExist) && ingest.CheckPaths(args) != nil {
				// A path removed since the check above.
				return pathError(err)
			}
			if err != nil {
				a.stopNote = func() string {
					note := fmt.Sprintf("%d added, %d updated, %d unchanged and %d skipped before the stop, each document stored whole; the rest was not read",
						sum.Added, sum.Updated, sum.Unchanged, sum.Skipped)
					if prune {
						note += " and nothing was pruned"
					}
					return note + ". Run the same command again to finish"
				}
				return err
			}
			for _, w := range sum.Warnings {
				fmt.Fprintf(a.io.Err, "warning: %s\n", w)
			}
			fmt.Fprintf(a.io.Out, "Ingested into %q: %d added, %d updated, %d unchanged, %d removed, %d skipped; %d %s written in %.1fs.",
				orDefault(collection), sum.Added, sum.Updated, sum.Unchanged, sum.Removed, sum.Skipped, sum.Chunks, plural(sum.Chunks, "chunk", "chunks"), sum.Duration.Seconds())
			// The ingest is committed: an interrupt now must not turn
			// the totals into zeros.
			if st, err := svc.store.Stats(context.WithoutCancel(cmd.Context())); err == nil {
				fmt.Fprintf(a.io.Out, " The knowledge base holds %d %s, %d %s.", st.Documents, plural(st.Documents, "document", "documents"), st.Chunks, plural(st.Chunks, "chunk", "chunks"))
			}
			fmt.Fprintln(a.io.Out)
			return nil
		},
	}
	cmd.Flags().StringVar(&collection, "collection", "", "collection to load into (default \"default\")")
	cmd.Flags().BoolVar(&prune, "prune", false, "remove documents whose file under PATH no longer exists")
	cmd.Flags().BoolVar(&queued, "queue", false, "queue the ingest as a background job for a 'lore serve' replica instead of running it here")
	return cmd
}

// emptyPath refuses a PATH given as "" (a script's unset variable), which
// the system reports as ": no such file or directory".
func emptyPath(paths []string) error {
	if slices.Contains(paths, "") {
		return usageErrorf("a PATH is empty: name a file or folder")
	}
	return nil
}

// pathError is the error of a PATH that cannot be ingested: a missing one
// is bad input (exit 2); one that cannot be read is a failure (exit 1)
// that says so, not that it is missing.
func pathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", pe.Path, pe.Err) // "docs: permission denied"
	}
	if errors.Is(err, fs.ErrNotExist) {
		return &exitError{code: ExitUsage, err: err}
	}
	return err
}

func orDefault(collection string) string {
	if collection == "" {
		return knowledge.DefaultCollection
	}
	return collection
}

// ingestProgress draws a progress bar on a terminal and prints warnings
// either way.
type ingestProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
	tty bool
}

func newIngestProgress(w io.Writer) *ingestProgress {
	p := &ingestProgress{w: w}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
	}
	return p
}

func (p *ingestProgress) Total(files int) {
	if p.tty {
		p.bar = progressbar.NewOptions(files,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("ingesting"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("files"),
			progressbar.OptionClearOnFinish(),
		)
	}
}

func (p *ingestProgress) Done(string) {
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

func (p *ingestProgress) Warn(path string, err error) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	// A parser's error names the file too (for a source's status); the
	// line already does.
	fmt.Fprintf(p.w, "warning: skipped %s: %s\n", path, strings.TrimPrefix(err.Error(), path+": "))
}

func (p *ingestProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// queueIngest inserts an ingest job for the replicas running lore serve.
func (a *app) queueIngest(ctx context.Context, svc *services, paths []string, collection string, prune bool) error {
	args, err := jobs.NewIngestArgs(paths, collection, prune)
	if err != nil {
		return &exitError{code: ExitUsage, err: err}
	}
	q, err := a.openQueue(ctx, svc.store, queue.Config{})
	if err != nil {
		return err
	}
	defer q.close()
	res, err := q.Insert(ctx, args, nil)
	if err != nil {
		return fmt.Errorf("queue ingest: %w", err)
	}
	if res.UniqueSkippedAsDuplicate {
		fmt.Fprintf(a.io.Out, "The same ingest is already queued as job %d (%s); not queued again.\n", res.Job.ID, res.Job.State)
		return nil
	}
	fmt.Fprintf(a.io.Out, "Queued ingest job %d into %q; a replica running 'lore serve' will work it.\n", res.Job.ID, args.Collection)
	return nil
}
