package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/review"
	"github.com/lorehq/lore/store/queue"
)

// Settings of owners' reminders.
const (
	envReviewDownvotes = "LORE_REVIEW_DOWNVOTES"
	envReviewers       = "LORE_REVIEWERS"
)

// parseReviewers reads LORE_REVIEWERS: people as PLATFORM/[WORKSPACE/]USER,
// comma-separated; every bad entry is reported.
func parseReviewers(v string) ([]audience.Ref, error) {
	var refs []audience.Ref
	var bad []string
	for e := range strings.SplitSeq(v, ",") {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		ref, err := audience.ParseRef(strings.TrimPrefix(e, "user:"))
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		refs = append(refs, ref)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return refs, nil
}

func checkReviewers(v string) error {
	_, err := parseReviewers(v)
	return err
}

// reviewService builds owners' reminders over svc: sent through the chat
// adapters lore serve runs, to owners, LORE_GROUPS members or
// LORE_REVIEWERS.
func (a *app) reviewService(svc *services) (*review.Service, error) {
	reviewers, err := parseReviewers(a.getenv(envReviewers))
	if err != nil {
		return nil, usageErrorf("%s: %v", envReviewers, err)
	}
	downvotes := review.DefaultDownvotes
	if v := a.getenv(envReviewDownvotes); v != "" {
		if downvotes, err = strconv.Atoi(v); err != nil || downvotes < 1 {
			return nil, usageErrorf("%s=%q: want a whole number of at least 1", envReviewDownvotes, v)
		}
	}
	return review.New(review.Config{Store: svc.store, Messenger: svc.router, Groups: svc.directory,
		Reviewers: reviewers, Downvotes: downvotes, Logger: a.log})
}

func (a *app) reviewCommand() *cobra.Command {
	var asJSON, send bool
	cmd := &cobra.Command{
		Use:   "review",
		Short: "List the documents due for review or drawing 👎, with their owner and where the reminder goes",
		Long: `List what needs owners now: published documents whose review date has come
(front matter review_by, or the source's --review-every), and documents cited
by answers that drew at least LORE_REVIEW_DOWNVOTES (default 3) 👎 in the last
7 days, with the questions that went badly.

Each owner is reminded by direct message once a day at most, and of each
document once a week for each reason, by 'lore serve'. An owner written as a
chat person (slack/T024BE7LD/U012AB3CD, user:discord/81384788765712384) gets
the message; an owner naming a group of LORE_GROUPS ("hr", "group:hr",
"People Team" for people-team) messages its members; any other owner's
documents go to LORE_REVIEWERS, and without reviewers they are only listed
here and logged.

--send queues the reminders for the replicas running 'lore serve', which hold
the chat connections, to send now (the once-a-week rule still holds).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			rs, err := a.reviewService(svc)
			if err != nil {
				return err
			}
			if send {
				q, err := a.openQueue(cmd.Context(), svc.store, queue.Config{})
				if err != nil {
					return err
				}
				defer q.close()
				res, err := q.Insert(cmd.Context(), review.RemindArgs{}, nil)
				if err != nil {
					return fmt.Errorf("queue reminders: %w", err)
				}
				fmt.Fprintf(a.io.Out, "Queued reminders job %d in the chat queue; a replica running 'lore serve' with chat adapters (not --workers-only) sends them.\n", res.Job.ID)
				return nil
			}
			items, err := rs.Items(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printReviewJSON(items)
			}
			if len(items) == 0 {
				fmt.Fprintln(a.io.Out, "Nothing needs a review: no document is due and none drew enough 👎 this week.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REASON\tDOCUMENT\tCOLLECTION\tOWNER\tREMINDER TO\tLAST REMINDED\tSOURCE")
			for _, it := range items {
				last := "never"
				if !it.LastSent.IsZero() {
					last = when(it.LastSent)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", reviewReason(it), cell(it.Document.Title), cell(it.Document.Collection),
					orDash(cell(it.Document.Owner)), reminderTo(it), last, cell(it.Document.Source))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, it := range items {
				if len(it.Questions) == 0 {
					continue
				}
				fmt.Fprintf(a.io.Out, "\n%s drew 👎 on:\n", cell(it.Document.Title))
				for _, q := range it.Questions {
					fmt.Fprintf(a.io.Out, "  - %s\n", q)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	cmd.Flags().BoolVar(&send, "send", false, "queue the reminders for 'lore serve' to send now")
	return cmd
}

// cell keeps document text on one line of a table, without control
// characters that a terminal would act on.
func cell(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}

func reviewReason(it review.Item) string {
	if it.Reason == "due" {
		return "due " + it.Document.ReviewBy.Format(time.DateOnly)
	}
	return fmt.Sprintf("%d 👎 this week", it.Downvotes)
}

func reminderTo(it review.Item) string {
	names := make([]string, len(it.Recipients))
	for i, r := range it.Recipients {
		names[i] = r.String()
	}
	switch it.Route {
	case review.RouteNone:
		return "no one (set LORE_REVIEWERS)"
	case review.RouteGroup:
		return "group " + it.Group + ": " + strings.Join(names, " ")
	case review.RouteReviewers:
		return "reviewers: " + strings.Join(names, " ")
	}
	return strings.Join(names, " ")
}

func (a *app) printReviewJSON(items []review.Item) error {
	type entry struct {
		Document   string     `json:"document"`
		Title      string     `json:"title"`
		Collection string     `json:"collection"`
		Source     string     `json:"source"`
		Owner      string     `json:"owner"`
		Reason     string     `json:"reason"`
		ReviewBy   *time.Time `json:"review_by"`
		Downvotes  int        `json:"downvotes"`
		Questions  []string   `json:"questions"`
		Route      string     `json:"route"`
		Group      string     `json:"group,omitempty"`
		Recipients []string   `json:"recipients"`
		LastSent   *time.Time `json:"last_reminded"`
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	out := make([]entry, 0, len(items))
	for _, it := range items {
		e := entry{Document: it.Document.ID, Title: it.Document.Title, Collection: it.Document.Collection,
			Source: it.Document.Source, Owner: it.Document.Owner, Reason: it.Reason, ReviewBy: opt(it.Document.ReviewBy),
			Downvotes: it.Downvotes, Questions: it.Questions, Route: it.Route, Group: it.Group,
			Recipients: []string{}, LastSent: opt(it.LastSent)}
		if e.Questions == nil {
			e.Questions = []string{}
		}
		for _, r := range it.Recipients {
			e.Recipients = append(e.Recipients, r.String())
		}
		out = append(out, e)
	}
	return a.printJSON(out)
}
