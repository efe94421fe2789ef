package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/store"
)

func (a *app) migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Bring the database schema up to date",
		Long: `Apply the embedded schema migrations that the database lacks, and on
PostgreSQL those of the job queue (River). Safe to run from several replicas
at once: PostgreSQL migrations run under advisory locks. SQLite files are
migrated whenever they are opened. It prints the migrations it applied and
the schema version it left.`,
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
			m, ok := st.(interface{ Migrated() store.Migrated })
			if !ok {
				fmt.Fprintln(a.io.Out, "The database schema is up to date.")
				return nil
			}
			fmt.Fprintln(a.io.Out, migratedText(m.Migrated()))
			return nil
		},
	}
}

// migratedText says what 'lore migrate' did: "Applied 25 migrations (0001
// to 0025); the schema is now at version 25.", or "The database schema is
// up to date (version 25)." when nothing was pending. The range is left
// out when another process applied some of those in between.
func migratedText(m store.Migrated) string {
	n := len(m.Applied)
	if n == 0 {
		return fmt.Sprintf("The database schema is up to date (version %d).", m.Version)
	}
	first, last := m.Applied[0], m.Applied[n-1]
	which := ""
	switch {
	case n == 1:
		which = fmt.Sprintf(" (%04d)", first)
	case last-first+1 == n:
		which = fmt.Sprintf(" (%04d to %04d)", first, last)
	}
	return fmt.Sprintf("Applied %d %s%s; the schema is now at version %d.", n, plural(n, "migration", "migrations"), which, m.Version)
}
