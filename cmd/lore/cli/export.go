package cli

import (
	"bufio"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

func (a *app) exportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export engagement data: xAPI statements or CSV tables",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(a.exportStatementsCommand(), a.exportCSVCommand())
	return cmd
}

func (a *app) exportStatementsCommand() *cobra.Command {
	var since, until string
	cmd := &cobra.Command{
		Use:   "statements --since DATE",
		Short: "Write the stored xAPI statements as NDJSON, oldest first",
		Long: `Write the xAPI 1.0.3 statements recorded since DATE (and before --until),
one JSON object a line, oldest first, including voiding statements. Actors
are pseudonymous accounts; no user id leaves the database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.StatementFilter{Limit: 5000}
			var err error
			if since == "" {
				return usageErrorf("--since is required, for example --since 2026-01-01")
			}
			if f.Since, err = parseDate("since", since); err != nil {
				return err
			}
			if until != "" {
				if f.Until, err = parseDate("until", until); err != nil {
					return err
				}
				if !f.Until.After(f.Since) {
					return usageErrorf("--until %s is not after --since %s: the period is empty", until, since)
				}
			}
			written := 0
			a.stopNote = func() string {
				return fmt.Sprintf("the output is incomplete: it holds the first %d statements. Export again", written)
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			w := bufio.NewWriterSize(a.io.Out, 1<<16)
			for {
				page, err := svc.store.Statements(cmd.Context(), f)
				if err != nil {
					_ = w.Flush() // whole lines, which the note counts
					return err
				}
				for _, s := range page {
					w.Write(s.JSON)
					w.WriteByte('\n')
				}
				written += len(page)
				if len(page) < f.Limit {
					break
				}
				f.After = page[len(page)-1].ID
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "first day to export (2006-01-02 or an RFC 3339 time)")
	cmd.Flags().StringVar(&until, "until", "", "export statements before this day or time (default: all)")
	return cmd
}

func (a *app) exportCSVCommand() *cobra.Command {
	var period, until, table string
	cmd := &cobra.Command{
		Use:   "csv",
		Short: "Write an engagement table as CSV, for spreadsheets",
		Long: `Write one table of the engagement report of a period of whole UTC days
as CSV: figures
(each metric with its previous value and change, left empty when the
period before had fewer people than the privacy threshold), daily (active
learners and questions per day), documents (citations and 👎 per
document), gaps (unanswered questions, clustered; only gaps that at least
as many people as the threshold asked) or breakdown (by platform and
channel, groups under the privacy threshold merged). Aggregates only, over
everyone: 'lore gaps' lists every unanswered question for curators. A day
with fewer people than the privacy threshold counts in no table (its daily
row is empty), and days are reported once they are over: --until is a date,
today at the latest.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, ok := engagement.CSVTables[table]; !ok {
				return usageErrorf("--table %q: want one of %s", table, quoteList(engagement.CSVTableNames()))
			}
			r, err := a.report(cmd, period, until)
			if err != nil {
				return err
			}
			if err := engagement.WriteCSV(a.io.Out, table, r); err != nil {
				return err
			}
			for _, n := range csvNotes(table, r) {
				fmt.Fprintf(a.io.Err, "note: %s\n", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&period, "period", "7d", "length of the period in whole days (7d, 4w)")
	cmd.Flags().StringVar(&until, "until", "", "end of the period, exclusive: a date, today at the latest (default: today, UTC)")
	cmd.Flags().StringVar(&table, "table", "figures", "table to write: "+quoteList(engagement.CSVTableNames()))
	return cmd
}

// csvNotes says, on stderr, what the privacy threshold left out of a CSV
// table, which would otherwise read as a period with nothing in it.
func csvNotes(table string, r engagement.Report) []string {
	period := fmt.Sprintf("%s to %s", r.Since.Format("2 Jan 2006"), r.Until.Add(-time.Second).Format("2 Jan 2006"))
	var notes []string
	switch {
	case r.Withheld && table == "daily":
		notes = append(notes, fmt.Sprintf("no day from %s had %d people or more using Lore: days with fewer than %d are left empty", period, r.K, r.K))
	case r.Withheld:
		notes = append(notes, fmt.Sprintf("no day from %s had %d people or more using Lore, too few to report on without identifying them: the table is withheld (LORE_PRIVACY_K)", period, r.K))
	case r.WithheldDays > 0:
		notes = append(notes, engagement.DaysLeftOut(r.WithheldDays, r.K)+" (those within the daily table's weeks have empty rows), so that no period can be subtracted from another to give one of them")
	}
	switch {
	case r.Withheld:
	case table == "figures" && r.PreviousWithheld:
		notes = append(notes, fmt.Sprintf("no day of the period before had %d people or more using Lore, so previous, delta and relative_change are left empty", r.K))
	case table == "gaps" && r.GapsWithheld > 0:
		notes = append(notes, "left out: "+engagement.WithheldGaps(r.GapsWithheld))
	}
	return notes
}

// report computes the engagement report of the flags' period, for
// everyone: leaders' reports are not narrowed to a platform or channel,
// since narrowed reports subtracted from the whole reveal small channels;
// the breakdown table shows groups instead.
func (a *app) report(cmd *cobra.Command, period, until string) (engagement.Report, error) {
	d, err := parsePeriod(period)
	if err != nil {
		return engagement.Report{}, err
	}
	var end time.Time
	if until != "" {
		if end, err = parseDate("until", until); err != nil {
			return engagement.Report{}, err
		}
	}
	f := reportFilter(end, d)
	if until != "" {
		// Not reportFilter's default: 0001-01-01 is Go's zero time.
		f = engagement.Filter{Since: end.Add(-d), Until: end}
	}
	if err := engagement.CheckPeriod(f, time.Now()); err != nil {
		return engagement.Report{}, usageErrorf("%v", err)
	}
	k, err := a.privacyK()
	if err != nil {
		return engagement.Report{}, err
	}
	svc, err := a.open(cmd.Context())
	if err != nil {
		return engagement.Report{}, err
	}
	defer svc.Close()
	return engagement.Compute(cmd.Context(), svc.store, f, engagement.Options{K: k, SuggestOwner: ownerSuggester(svc)})
}
