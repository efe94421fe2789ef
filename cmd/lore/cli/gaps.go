package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/store"
)

func (a *app) gapsCommand() *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "gaps",
		Short: "List questions Lore could not answer, grouped by similarity",
		Long: `List every question Lore could not answer, grouped by similarity, in the
askers' own words: a curator's tool for writing the missing content, run by
an operator who can read the database anyway. Leaders' reports (the digest,
the dashboard, 'lore export csv --table gaps') quote only the gaps that at
least LORE_PRIVACY_K different people asked, since a question asked by one
person can say who asked it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return usageErrorf("--limit %d: want 0 (all) or more", limit)
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			gaps, err := contentGaps(cmd, svc.store)
			if err != nil {
				return err
			}
			if limit > 0 && len(gaps) > limit {
				gaps = gaps[:limit]
			}
			if asJSON {
				return a.printJSON(gaps)
			}
			if len(gaps) == 0 {
				fmt.Fprintln(a.io.Out, "No content gaps: every question so far had an answer.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COUNT\tLAST ASKED\tQUESTION")
			for _, g := range gaps {
				// Questions come from chat: no control characters reach the terminal.
				fmt.Fprintf(tw, "%d\t%s\t%s\n", g.Count, g.LastAsked.Local().Format("2006-01-02 15:04"), oneLine(g.Question))
				for _, ex := range g.Examples {
					fmt.Fprintf(tw, "\t\t  also: %s\n", oneLine(ex))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the gaps as JSON")
	cmd.Flags().IntVar(&limit, "limit", 50, "show at most this many gaps (0: all)")
	return cmd
}

func contentGaps(cmd *cobra.Command, st store.Events) ([]knowledge.Gap, error) {
	notConfident := false
	events, err := st.Events(cmd.Context(), store.EventFilter{Kind: store.EventAnswer, Confident: &notConfident})
	if err != nil {
		return nil, err
	}
	qs := make([]knowledge.Unanswered, len(events))
	for i, e := range events {
		qs[i] = knowledge.Unanswered{Question: e.Question, Time: e.Time}
	}
	return knowledge.Gaps(qs), nil
}
