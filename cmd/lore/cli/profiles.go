package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
)

// maxImportFile bounds a profile import file; an HR export of the largest
// company fits many times over.
const maxImportFile = 64 << 20

func (a *app) profilesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profiles",
		Short: "Manage people's peer profiles (what they can help with and want to learn)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.profilesImportCommand())
	return cmd
}

func (a *app) profilesImportCommand() *cobra.Command {
	var platform, workspace string
	var skipInvalid, dryRun bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import profiles from a CSV file or an HR export",
		Long: `Import profiles from a CSV file with a header row. Columns are matched by
name, in any order; others are ignored:

  user (user_id, slack_id, discord_id, id)   required: the chat user id
  platform, workspace                         default --platform, --workspace
  name (full_name), team (department)
  timezone (tz)                               for example Europe/Paris
  hours (working_hours)                       for example 09:00-17:00
  can_help (expertise, skills)                a list: "go; negotiation"
  learning (learning_goals, interests)
  available (open_to_requests)                yes or no

An empty cell keeps what the profile holds. Every bad line is reported with
its number; by default nothing is imported when any line is bad
(--skip-invalid imports the good ones).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if platform != "" {
				if err := knownPlatform(platform); err != nil {
					return usageErrorf("--platform: %v", err)
				}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return &exitError{code: ExitUsage, err: fileError(err)}
			}
			defer f.Close()
			switch fi, err := f.Stat(); {
			case err != nil: // reading it will say why
			case fi.IsDir():
				return usageErrorf("%s is a folder: name the CSV file in it", args[0])
			case fi.Size() > maxImportFile:
				return usageErrorf("%s is %d MiB; the limit is %d MiB", args[0], fi.Size()>>20, maxImportFile>>20)
			}
			skills := peers.NewSkills(peers.DefaultSynonyms)
			rows, errs := skills.ReadProfilesCSV(io.LimitReader(f, maxImportFile), store.PersonKey{Platform: platform, Workspace: workspace})
			for _, e := range errs {
				fmt.Fprintf(a.io.Err, "%s: %v\n", args[0], e)
			}
			if len(errs) > 0 && (!skipInvalid || len(rows) == 0) {
				return &exitError{code: ExitUsage, err: fmt.Errorf("%d bad %s in %s: nothing imported (fix them, or pass --skip-invalid)", len(errs), plural(len(errs), "line", "lines"), args[0])}
			}
			if dryRun {
				fmt.Fprintf(a.io.Out, "%d profiles would be imported (dry run: nothing written).\n", len(rows))
				return nil
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			ps, ok := svc.store.(store.Peers)
			if !ok {
				return fmt.Errorf("this database does not keep profiles")
			}
			res, err := peers.ImportProfiles(cmd.Context(), ps, rows, time.Now())
			if err != nil {
				return fmt.Errorf("import stopped at %w (%d created, %d updated before it; running the import again finishes it)", err, res.Created, res.Updated)
			}
			fmt.Fprintf(a.io.Out, "Imported %d profiles: %d new, %d updated.", len(rows), res.Created, res.Updated)
			if len(errs) > 0 {
				fmt.Fprintf(a.io.Out, " %d bad %s skipped.", len(errs), plural(len(errs), "line", "lines"))
			}
			fmt.Fprintln(a.io.Out)
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "platform of rows without a platform column: slack, discord or shell")
	cmd.Flags().StringVar(&workspace, "workspace", "", "workspace (Slack team, Discord guild) of rows without a workspace column")
	cmd.Flags().BoolVar(&skipInvalid, "skip-invalid", false, "import the good lines even when some are bad")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check the file and report, writing nothing")
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
