package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/store"
)

// draftJSON is the --json shape of lore drafts.
type draftJSON struct {
	ID         string `json:"id"`
	Collection string `json:"collection"`
	Title      string `json:"title"`
	Source     string `json:"source"`
	Owner      string `json:"owner"`
}

func (a *app) draftsCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "drafts",
		Short: "List the documents waiting for approval",
		Long: `List the draft documents: documents new to a collection that requires
approval ('lore collections set NAME --approval'). Nobody is answered from a
draft until 'lore approve' publishes it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			drafts, err := svc.store.Drafts(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]draftJSON, 0, len(drafts))
				for _, d := range drafts {
					out = append(out, draftJSON{ID: d.ID, Collection: d.Collection, Title: d.Title, Source: d.Source, Owner: d.Owner})
				}
				return a.printJSON(out)
			}
			if len(drafts) == 0 {
				fmt.Fprintln(a.io.Out, "No drafts: every document is published.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCOLLECTION\tTITLE\tSOURCE\tOWNER")
			for _, d := range drafts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.ID, d.Collection, oneLine(d.Title), d.Source, orDash(d.Owner))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintln(a.io.Out, "\nPublish one with 'lore approve ID' (or its source).")
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the drafts as JSON")
	return cmd
}

func (a *app) approveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "approve DOC...",
		Short: "Publish draft documents, so that answers may cite them",
		Long: `Publish draft documents, named by id or by source (file path or URL) as
'lore drafts' lists them. Approving a published document changes nothing.
An unknown document is a usage error (exit 2); the others are still
approved.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			ctx := cmd.Context()
			drafts, err := svc.store.Drafts(ctx)
			if err != nil {
				return err
			}
			var unknown []error
			for _, arg := range args {
				id := arg
				for _, d := range drafts {
					if d.Source == arg {
						id = d.ID
					}
				}
				doc, err := svc.store.Document(ctx, id)
				if errors.Is(err, store.ErrNotFound) {
					unknown = append(unknown, fmt.Errorf("no document %q: 'lore drafts' lists the drafts by id and source", arg))
					continue
				}
				if err != nil {
					return err
				}
				if doc.Status == store.StatusPublished {
					fmt.Fprintf(a.io.Out, "%s is already published.\n", doc.ID)
					continue
				}
				if err := svc.store.PublishDocument(ctx, doc.ID); err != nil {
					return err
				}
				fmt.Fprintf(a.io.Out, "Published %s (%s) in collection %q.\n", doc.ID, oneLine(doc.Title), doc.Collection)
				if err := a.recordAudit(ctx, svc.store, store.AuditDocumentApprove, doc.ID, fmt.Sprintf("%s in collection %s", doc.Source, doc.Collection)); err != nil {
					return err
				}
			}
			if len(unknown) > 0 {
				return &exitError{code: ExitUsage, err: errors.Join(unknown...)}
			}
			return nil
		},
	}
}

// oneLine folds white space, so that a title from a document cannot break
// a table row or print control characters.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}
