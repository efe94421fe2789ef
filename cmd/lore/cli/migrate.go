package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Long: `Apply the embedded schema migrations that the database lacks, and on
PostgreSQL those of the job queue (River). Safe to run from several replicas
at once: PostgreSQL migrations run under advisory locks. SQLite files are
migrated whenever they are opened.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.migrate = true
			a.stopNote = func() string {
				return "each migration is applied whole or not at all, and the schema is left at the last one applied. Run 'lore migrate' again to finish"
			}
			st, err := a.openStore(cmd.Context(), a.databaseURL())
			if err != nil {
				return err
			}
			defer st.Close()
			fmt.Fprintln(a.io.Out, "The database schema is up to date.")
			return nil
		},
	}
}
