package cli

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/engagement"
	"github.com/lorehq/lore/knowledge/audience"
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
	return fmt.Sprintf("%d events deleted, %d statements voided", res.Events, len(res.Statements))
}

func (a *app) forgetCommand() *cobra.Command {
	var optOut bool
	cmd := &cobra.Command{
		Use:   "forget USER",
		Short: "Remove a person's personal data and statements, or opt them out of analytics",
		Long: `Remove everything Lore keeps about USER (a platform user id such as
U012AB3CD, or PLATFORM/[WORKSPACE/]USER as other commands take it; the id
counts either way), on every platform and workspace, in one transaction: their engagement events and
xAPI statements; their analytics opt-out; their time zone; their peer
profile, the expert requests they made or were asked, and their place in
past pairing rounds; their learning-track enrolments, nudge settings, card
progress, deliveries, quiz answers and reflections; and the jobs queued for
them, such as planned nudges. Each removed statement gets a voiding
statement, queued for the forwarder: one the Learning Record Store holds,
or may be receiving right now, is withdrawn there; so does each forwarded
statement that retention has deleted, whose id Lore kept for this. They
are replaced by a
random pseudonym in the audit log and as the owner of documents and
sources, and the roles granted to them are deleted. Other people's block
lists keep the id, so that whoever blocked them is still never paired
with them.

No pseudonym key is needed: the audit log's pseudonym is random, and a
voiding statement names the statement it voids by id (under
LORE_XAPI_IRI_BASE), so a deployment without xAPI can forget people too.

With --opt-out the person is opted out of analytics instead: their past
and future events are kept only as anonymous counts (no user, thread or
question text), and their statements are removed and voided the same way.
Nothing else changes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			user := args[0]
			if strings.TrimSpace(user) == "" {
				return usageErrorf("USER is empty: name the person as PLATFORM/[WORKSPACE/]USER (slack/T024BE7LD/U012AB3CD) or by their user id")
			}
			if !utf8.ValidString(user) {
				return usageErrorf("USER %q is not valid UTF-8 text", user)
			}
			if strings.Contains(user, "/") {
				// The form other commands take: its user id is what
				// events, profiles and grants are keyed by.
				ref, err := audience.ParseRef(user)
				if err != nil {
					return usageErrorf("%v", err)
				}
				user = ref.ID
			}
			v, err := a.voider()
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
			res, err := engagement.Forget(ctx, svc.store, v, user, optOut, time.Now())
			if err != nil {
				return err
			}
			verb, rest := "deleted", "; profile, requests, rounds, tracks, nudges and queued jobs deleted"
			if optOut {
				verb, rest = "anonymised", ""
			}
			if _, err = fmt.Fprintf(a.io.Out, "%s: %d events %s, %d statements removed and queued for voiding at the LRS%s\n",
				user, res.Events, verb, len(res.Statements), rest); err != nil {
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
and channel (and the distinct people of each day), then delete the raw
events and the forwarded statements of that age. Retention works in whole
UTC days: the day the cut falls in is folded too, so no raw event is kept
longer than --keep. Charts and trends keep working from the counts. Of a
forwarded statement about a person only its id and the person's id are
left, with neither content nor time, so that 'lore forget' can still void
it at the Learning Record Store, which keeps it. Run it daily (or let
'lore serve' run it) to enforce the period.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// At least a day, as LORE_RETENTION: the cut is rounded up to
			// midnight, so a shorter period (1m typed for a month) would
			// fold every event of today too.
			d, err := retentionPeriod(keep)
			if err != nil {
				return usageErrorf("--keep %q: %v", keep, err)
			}
			a.stopNote = func() string {
				return "no event was folded or deleted (retention works in one transaction). Run it again"
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			cut := store.CeilDay(time.Now().Add(-d)) // whole days are folded
			n, err := svc.store.Compact(cmd.Context(), cut)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.io.Out, "%d events before %s folded into daily counts and deleted\n", n, cut.UTC().Format(time.RFC3339))
			return err
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "365d", "how long raw events are kept, at least a day (7d, 52w...)")
	return cmd
}
