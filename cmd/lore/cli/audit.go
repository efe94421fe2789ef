package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// cliActor names the operator at the command line in the audit log:
// "cli:" and their login. Whoever runs lore holds the database, so the
// login is taken as given.
func cliActor() string {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if name == "" {
		name = os.Getenv("USER")
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if name == "" {
		name = "unknown"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	return "cli:" + strings.ToValidUTF8(name, "")
}

// recordAudit records a change the command line made. The change is
// already done when it is recorded, so a failure says so rather than
// suggesting the change failed.
func (a *app) recordAudit(ctx context.Context, st store.Audit, action, target, detail string) error {
	err := st.RecordAudit(ctx, store.AuditEntry{Actor: cliActor(), Action: action, Target: clip(oneLine(target), 1000), Detail: clip(oneLine(detail), 2000)})
	if err != nil {
		return fmt.Errorf("the change was made, but recording it in the audit log failed: %w", err)
	}
	return nil
}

// clip cuts s to at most n bytes at a character boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

type auditJSON struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

func (a *app) auditCommand() *cobra.Command {
	var since, actor, action string
	var limit int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "audit [--since DURATION|DATE] [--actor ACTOR] [--action PREFIX] [--limit N] [--json]",
		Short: "Show who changed what: sources, collections, roles, approvals, forget requests",
		Long: `Show the audit log, newest first: who changed sources, collections, roles,
settings, approvals and forget requests, from chat, the command line or the
dashboard. An actor is a chat person (slack/T024BE7LD/U012AB3CD), the
operator at the command line (cli:LOGIN) or a dashboard user
(dashboard:EMAIL); a forgotten person appears as forgotten-XXXXXXXX.

--since takes a period back from now (24h, 7d, 4w) or a date (2026-03-01,
or an RFC 3339 time). --action takes an action (source.add) or its prefix
(source). See docs/governance.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.AuditFilter{Actor: actor, Action: strings.TrimSuffix(action, "."), Limit: limit}
			if limit < 0 {
				return usageErrorf("--limit %d: want 0 (no limit) or more", limit)
			}
			if since != "" {
				t, err := parseSince(since)
				if err != nil {
					return err
				}
				f.Since = t
			}
			if err := store.ValidateAuditFilter(f); err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			entries, err := svc.store.AuditLog(cmd.Context(), f)
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]auditJSON, len(entries))
				for i, e := range entries {
					out[i] = auditJSON(e)
				}
				return a.printJSON(out)
			}
			if len(entries) == 0 {
				fmt.Fprintln(a.io.Out, "No audit entries match.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tDETAIL")
			for _, e := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format("2006-01-02 15:04:05Z"), oneLine(e.Actor), e.Action,
					oneLine(e.Target), oneLine(e.Detail))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "entries from this long ago (24h, 7d) or this date (2026-03-01)")
	cmd.Flags().StringVar(&actor, "actor", "", "entries of this actor only (cli:alice, slack/T024BE7LD/U012AB3CD)")
	cmd.Flags().StringVar(&action, "action", "", "entries of this action or its prefix (source, role.grant)")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many entries (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: a list of {id, time, actor, action, target, detail}")
	return cmd
}

// parseSince reads a period back from now or a date.
func parseSince(s string) (time.Time, error) {
	if d, err := parsePeriod(s); err == nil {
		return time.Now().Add(-d), nil
	}
	if t, err := parseDate("--since", s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErrorf("--since %q: want a period (24h, 7d, 4w) or a date (2026-03-01)", s)
}

func (a *app) rolesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List who has which role; grant and revoke roles",
		Long: `List who has a role other than learner (everyone is a learner): admin,
curator or leader, from the configuration (LORE_ROLES, LORE_ADMINS), from
grants made here or by an admin in chat, and from the Slack user groups and
Discord roles of LORE_ROLE_MAP. 'lore roles grant' and 'lore roles revoke'
change the stored grants; each change is in the audit log ('lore audit').
An admin holds every role. See docs/governance.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			hs, err := svc.directory.Holders(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				type holderJSON struct {
					Who   string     `json:"who"`
					Role  string     `json:"role"`
					From  string     `json:"from"`
					By    string     `json:"granted_by,omitempty"`
					Since *time.Time `json:"since,omitempty"`
				}
				out := make([]holderJSON, len(hs))
				for i, h := range hs {
					out[i] = holderJSON{Who: h.Who, Role: h.Role, From: h.From, By: h.By}
					if !h.Since.IsZero() {
						out[i].Since = &hs[i].Since
					}
				}
				return a.printJSON(out)
			}
			if len(hs) == 0 {
				fmt.Fprintln(a.io.Out, "Nobody has a role besides learner. 'lore roles grant PERSON ROLE' gives one.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "WHO\tROLE\tFROM")
			for _, h := range hs {
				from := h.From
				if h.From == audience.FromGrant {
					from = fmt.Sprintf("granted by %s on %s", oneLine(h.By), h.Since.UTC().Format("2006-01-02"))
				}
				who := h.Who
				if h.From == audience.FromPlatformGroup {
					who = "members of " + who
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", who, h.Role, from)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: a list of {who, role, from, granted_by, since}")
	cmd.AddCommand(a.roleChangeCommand(true), a.roleChangeCommand(false))
	return cmd
}

func (a *app) roleChangeCommand(grant bool) *cobra.Command {
	use, short := "grant PERSON ROLE", "Give a person a role (admin, curator or leader)"
	if !grant {
		use, short = "revoke PERSON ROLE", "Take back a role given with 'lore roles grant' or from chat"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `. PERSON is PLATFORM/[WORKSPACE/]USER, such as
slack/T024BE7LD/U012AB3CD or discord/81384788765712384/80351110224678912;
without a workspace the role holds in every workspace of the platform. A
revocation must name the person as the grant did. Roles from the
configuration or from LORE_ROLE_MAP are changed there.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			who, err := audience.ParseRef(args[0])
			if err == nil && grant {
				// A revocation may name any platform: it removes what
				// was stored, whatever that was.
				err = checkPlatform(who)
			}
			if err != nil {
				return usageErrorf("person %v", err)
			}
			role := strings.ToLower(args[1])
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			var changed bool
			if grant {
				changed, err = svc.directory.Grant(cmd.Context(), who, role, cliActor())
			} else {
				changed, err = svc.directory.Revoke(cmd.Context(), who, role, cliActor())
			}
			var ge *audience.GrantError
			if errors.As(err, &ge) {
				return usageErrorf("%s", ge.Reason)
			}
			if err != nil {
				return err
			}
			switch {
			case grant && changed:
				fmt.Fprintf(a.io.Out, "%s is now %s.\n", who, withArticle(role))
			case grant:
				fmt.Fprintf(a.io.Out, "%s already had the role %s; nothing changed.\n", who, role)
			case changed:
				fmt.Fprintf(a.io.Out, "%s is no longer %s by grant.\n", who, withArticle(role))
			default:
				return usageErrorf("%s has no stored grant of %s to revoke; 'lore roles' shows where each role comes from", who, role)
			}
			return nil
		},
	}
}

// withArticle is "a curator", "an admin".
func withArticle(role string) string {
	if role != "" && strings.ContainsRune("aeiou", rune(role[0])) {
		return "an " + role
	}
	return "a " + role
}
