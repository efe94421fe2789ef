package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/store"
)

// forgetTarget names a forget request's person in the audit log. The
// request is to stop keeping their id, so the entry must not keep it
// either: a full forget records the pseudonym that replaced them in the
// log (their earlier changes stay tied to it), an opt-out "a person".
func forgetTarget(res store.ForgetResult, optOut bool) string {
	if optOut || res.Pseudonym == "" {
		return "a person"
	}
	return res.Pseudonym
}

func forgetDetail(res store.ForgetResult, optOut bool) string {
	if optOut {
		return fmt.Sprintf("opted out of analytics: %d events anonymised", res.Events)
	}
	return fmt.Sprintf("%d events deleted, %d statements voided", res.Events, len(res.Forwarded))
}

func (a *app) forgetCommand() *cobra.Command {
	var optOut bool
	cmd := &cobra.Command{
		Use:   "forget USER",
		Short: "Remove a person's personal data and statements, or opt them out of analytics",
		Long: `Remove everything Lore keeps about USER (a platform user id): their
engagement events and xAPI statements. Statements already forwarded to a
Learning Record Store are voided there: a voiding statement for each is
queued for the forwarder. In the same transaction they are replaced by a
random pseudonym in the audit log and as the owner of documents and
sources, and the roles granted to them are deleted.

With --opt-out the person is opted out of analytics instead: their past
and future events are kept only as anonymous counts (no user, thread or
question text), and their statements are removed and voided the same way.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := args[0]
			m, err := a.requireMapper()
			if err != nil {
				return err
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			ctx := cmd.Context()
			if optOut {
				if err := svc.store.SetOptOut(ctx, user, true); err != nil {
					return err
				}
			}
			res, err := engagement.Forget(ctx, svc.store, m, user, optOut, time.Now())
			if err != nil {
				return err
			}
			verb := "deleted"
			if optOut {
				verb = "anonymised"
			}
			if _, err = fmt.Fprintf(a.io.Out, "%s: %d events %s, %d forwarded statements queued for voiding at the LRS\n",
				user, res.Events, verb, len(res.Forwarded)); err != nil {
				return err
			}
			return a.recordAudit(ctx, svc.store, store.AuditPersonForget, forgetTarget(res, optOut), forgetDetail(res, optOut))
		},
	}
	cmd.Flags().BoolVar(&optOut, "opt-out", false, "opt the person out of analytics, keeping anonymous counts")
	return cmd
}

func (a *app) retentionCommand() *cobra.Command {
	var keep string
	cmd := &cobra.Command{
		Use:   "retention --keep 365d",
		Short: "Fold engagement events older than the retention period into daily counts",
		Long: `Aggregate events older than --keep into daily counts per kind, platform
and channel, then delete the raw events and the forwarded statements of that
age. Charts and trends keep working from the counts; nothing personal is
left. Run it daily (or let 'lore serve' run it) to enforce the period.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parsePeriod(keep)
			if err != nil {
				return err
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			cut := time.Now().Add(-d)
			n, err := svc.store.Compact(cmd.Context(), cut)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.io.Out, "%d events before %s folded into daily counts and deleted\n", n, cut.UTC().Format(time.RFC3339))
			return err
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "365d", "how long raw events are kept (7d, 52w...)")
	return cmd
}
