package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// collectionsCommand lists collections with their audience and approval,
// and sets them.
func (a *app) collectionsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "collections",
		Short: "List collections with their audience, approval rule and documents",
		Long: `List every collection that holds documents or has settings: its audience
(who may be answered from it), whether new documents need approval, and its
published and draft documents. 'lore collections set' changes a collection;
see docs/governance.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			rows, err := collectionRows(cmd.Context(), svc.store)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.io.Out, "No collections yet: 'lore ingest PATH --collection NAME' creates one.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COLLECTION\tAUDIENCE\tAPPROVAL\tPUBLISHED\tDRAFTS")
			for _, r := range rows {
				approval := "no"
				if r.Approval {
					approval = "required"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", r.Name, r.Audience, approval, r.Published, r.Drafts)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the collections as JSON")
	cmd.AddCommand(a.collectionsSetCommand())
	return cmd
}

// collectionRow is one line of lore collections (and its JSON shape).
type collectionRow struct {
	Name      string `json:"name"`
	Audience  string `json:"audience"`
	Approval  bool   `json:"approval"`
	Published int    `json:"published"`
	Drafts    int    `json:"drafts"`
}

// collectionStore is what the collection commands read and write.
type collectionStore interface {
	store.Collections
	AllDocuments(ctx context.Context) ([]store.Document, error)
}

func collectionRows(ctx context.Context, st collectionStore) ([]collectionRow, error) {
	settings, err := st.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	docs, err := st.AllDocuments(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]*collectionRow{}
	row := func(name string) *collectionRow {
		r, ok := byName[name]
		if !ok {
			r = &collectionRow{Name: name, Audience: audience.Everyone}
			byName[name] = r
		}
		return r
	}
	for _, c := range settings {
		r := row(c.Name)
		r.Approval = c.Approval
		if a, err := audience.Parse(c.Audience); err == nil {
			r.Audience = a.String()
		} else {
			r.Audience = "invalid, closed to everyone: " + c.Audience
		}
	}
	for _, d := range docs {
		if d.Status == store.StatusDraft {
			row(d.Collection).Drafts++
		} else {
			row(d.Collection).Published++
		}
	}
	out := make([]collectionRow, 0, len(byName))
	for _, r := range byName {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b collectionRow) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (a *app) collectionsSetCommand() *cobra.Command {
	var aud string
	var approval bool
	cmd := &cobra.Command{
		Use:   "set NAME [--audience AUDIENCE] [--approval=true|false]",
		Short: "Set who may be answered from a collection, and whether its new documents need approval",
		Long: `Set a collection's audience, its approval rule, or both; what is not given is
kept. AUDIENCE is "everyone" or a list of entries separated by spaces or
commas:

  role:admin|curator|leader|learner    people with that role (LORE_ROLES)
  group:NAME                           members of a group (LORE_GROUPS)
  user:PLATFORM/[WORKSPACE/]USER       one person, e.g. user:slack/T024BE7LD/U012AB3CD
  channel:PLATFORM/[WORKSPACE/]CHANNEL one channel, e.g. channel:slack/T024BE7LD/C0123ABCD

An answer is read by everyone where it is posted: in a direct message a
role, group or user entry must match the asker; in a channel only a channel
entry naming it opens the collection there. With --approval, documents new
to the collection arrive as drafts that nobody is answered from until
'lore approve' publishes them. Check the result with 'lore ask --as'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := store.CheckCollectionName(name); err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			setAudience, setApproval := cmd.Flags().Changed("audience"), cmd.Flags().Changed("approval")
			if !setAudience && !setApproval {
				return usageErrorf("nothing to set: give --audience, --approval or both")
			}
			var parsed audience.Audience
			if setAudience {
				var err error
				if parsed, err = audience.Parse(aud); err != nil {
					return &exitError{code: ExitUsage, err: err}
				}
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			c, err := currentCollection(cmd.Context(), svc.store, name)
			if err != nil {
				return err
			}
			if setAudience {
				c.Audience = storedAudience(parsed)
			}
			if setApproval {
				c.Approval = approval
			}
			if err := svc.store.SetCollection(cmd.Context(), c); err != nil {
				if errors.Is(err, store.ErrInvalidInput) {
					return &exitError{code: ExitUsage, err: err}
				}
				return err
			}
			shown := c.Audience
			if shown == "" {
				shown = audience.Everyone
			}
			rule := "new documents are published at once"
			if c.Approval {
				rule = "new documents arrive as drafts for 'lore approve'"
			}
			fmt.Fprintf(a.io.Out, "Collection %q: audience %s; %s.\n", name, shown, rule)
			return a.recordAudit(cmd.Context(), svc.store, store.AuditCollectionSet, name, fmt.Sprintf("audience %s, approval %t", shown, c.Approval))
		},
	}
	cmd.Flags().StringVar(&aud, "audience", "", `who may be answered from the collection ("everyone", or role:, group:, user:, channel: entries)`)
	cmd.Flags().BoolVar(&approval, "approval", false, "documents new to the collection arrive as drafts until approved")
	return cmd
}

// storedAudience is how an audience is kept: "" for everyone, so that a
// collection set back to everyone looks like one never restricted.
func storedAudience(a audience.Audience) string {
	if a.Everyone {
		return ""
	}
	return a.String()
}

// currentCollection returns a collection's settings, or new ones.
func currentCollection(ctx context.Context, st store.Collections, name string) (store.Collection, error) {
	cs, err := st.ListCollections(ctx)
	if err != nil {
		return store.Collection{}, err
	}
	for _, c := range cs {
		if c.Name == name {
			c.UpdatedAt = time.Time{} // the store stamps the change
			return c, nil
		}
	}
	return store.Collection{Name: name}, nil
}

// setCollectionAudience sets the audience of a collection, keeping its
// approval rule.
func setCollectionAudience(ctx context.Context, st store.Collections, name, aud string) error {
	c, err := currentCollection(ctx, st, name)
	if err != nil {
		return err
	}
	if aud == audience.Everyone {
		aud = ""
	}
	c.Audience = aud
	return st.SetCollection(ctx, c)
}
