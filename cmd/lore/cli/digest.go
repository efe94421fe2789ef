package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// ownerSuggester names, for a content gap, the owner of the document that
// comes closest to the question: the person who curates that area.
// ownerSuggester suggests who should write what a content gap asks for:
// the owner of the closest document open to everyone.
func ownerSuggester(svc *services) func(ctx context.Context, question string) string {
	return engagement.OwnerSuggester(svc.knowledge, svc.store)
}

func (a *app) digestCommand() *cobra.Command {
	var period, until, format, out, chart, leadersFile, leaderName string
	cmd := &cobra.Command{
		Use:   "digest",
		Short: "Print the leaders' digest: headline figures, chart, content gaps, documents to review",
		Long: `Compute the digest of the period ending at --until (default: today, UTC)
for everyone, as leaders receive it each week.

--format text prints Markdown and writes the chart as a PNG (to --chart,
default a file in the temporary folder), whose path it prints; json prints
the digest as JSON; png writes the chart to --out (default
lore-digest-DATE.png) and prints its path.

--leaders FILE (a JSON or YAML list, as LORE_LEADERS_FILE: [{"name",
"time_zone", "hour", "weekday", "to": {...}}]) prints the digest each leader
receives on their local day (today, or the day of --until there), one after
another; --leader NAME picks one.

Reports cover whole UTC days that are over: --until is a date (the period
ends at its midnight, UTC, and today's midnight at the latest), and
--period a number of days. A leader's digest covers the seven UTC days
before the one in which their hour begins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "json", "png":
			default:
				return usageErrorf("--format %q: want text, json or png", format)
			}
			// A flag that would be ignored is refused, rather than leave
			// someone looking for a file that was never written.
			if out != "" && format != "png" {
				return usageErrorf("--out is for --format png; with --format %s the digest is printed (--chart names the chart's file)", format)
			}
			if chart != "" && format != "text" {
				return usageErrorf("--chart is for --format text")
			}
			if leadersFile != "" {
				return a.leaderDigests(cmd, leadersFile, leaderName, period, until, format)
			}
			if leaderName != "" {
				return usageErrorf("--leader needs --leaders FILE")
			}
			r, err := a.report(cmd, period, until)
			if err != nil {
				return err
			}
			d := engagement.BuildDigest(r)
			name := "lore-digest-" + r.Until.Format("2006-01-02") + ".png"
			switch format {
			case "json":
				js, err := d.JSON()
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.io.Out, "%s\n", js)
				return err
			case "png":
				if out == "" {
					out = name
				}
				return a.writeChart(d, out)
			}
			fmt.Fprint(a.io.Out, d.Text())
			if d.Withheld {
				return nil
			}
			if chart == "" {
				chart = filepath.Join(os.TempDir(), name)
			}
			fmt.Fprint(a.io.Out, "\nChart: ")
			return a.writeChart(d, chart)
		},
	}
	cmd.Flags().StringVar(&period, "period", "7d", "length of the period in whole days (7d, 4w)")
	cmd.Flags().StringVar(&until, "until", "", "end of the period, exclusive: a date, today at the latest (default: today, UTC)")
	cmd.Flags().StringVar(&format, "format", "text", "text, json or png")
	cmd.Flags().StringVar(&out, "out", "", "with --format png: the file to write")
	cmd.Flags().StringVar(&chart, "chart", "", "with --format text: where to write the chart")
	cmd.Flags().StringVar(&leadersFile, "leaders", "", "JSON or YAML file of the leaders who receive the digest (as LORE_LEADERS_FILE)")
	cmd.Flags().StringVar(&leaderName, "leader", "", "with --leaders: only this leader's digest")
	return cmd
}

// leaderDigests prints the digest of each leader of the file, or of one.
func (a *app) leaderDigests(cmd *cobra.Command, file, name, period, until, format string) error {
	if format != "text" && format != "json" {
		return usageErrorf("--leaders prints text or json")
	}
	leaders, err := loadLeaders(file)
	if err != nil {
		return err
	}
	d, err := parsePeriod(period)
	if err != nil {
		return err
	}
	at := time.Now()
	if until != "" {
		if at, err = parseDate("until", until); err != nil {
			return err
		}
	}
	k, err := a.privacyK()
	if err != nil {
		return err
	}
	svc, err := a.open(cmd.Context())
	if err != nil {
		return err
	}
	defer svc.Close()
	found := false
	for _, l := range leaders {
		if name != "" && l.Name != name {
			continue
		}
		found = true
		_, end, err := l.Due(at)
		if err != nil {
			return usageErrorf("%v", err)
		}
		// A leader whose hour today is still to come, on a later UTC day,
		// has not had that week's digest: the days reported are over.
		if today := store.Day(time.Now()); end.After(today) && until == "" {
			end = today
		}
		f := engagement.Filter{Since: end.Add(-d), Until: end}
		if err := engagement.CheckPeriod(f, time.Now()); err != nil {
			return usageErrorf("%v", err)
		}
		r, err := engagement.Compute(cmd.Context(), svc.store, f, engagement.Options{K: k, SuggestOwner: ownerSuggester(svc)})
		if err != nil {
			return err
		}
		dg := engagement.BuildDigest(r)
		if format == "json" {
			js, err := json.Marshal(map[string]any{"leader": l.Name, "digest": dg})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "%s\n", js)
			continue
		}
		fmt.Fprintf(a.io.Out, "== %s (%s) ==\n%s\n", l.Name, valueOr(l.TimeZone, "UTC"), dg.Text())
	}
	if !found {
		return usageErrorf("--leader %q is not in %s", name, file)
	}
	return nil
}

func (a *app) writeChart(d engagement.Digest, path string) error {
	png, err := d.PNG()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Errorf("write chart %w", writeFileError(err))
	}
	_, err = fmt.Fprintln(a.io.Out, path)
	return err
}
