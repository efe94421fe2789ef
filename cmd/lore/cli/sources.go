package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/riverqueue/river"
	"github.com/spf13/cobra"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/knowledge/ingest"
	"github.com/lorehq/lore/knowledge/jobs"
	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

func (a *app) sourcesCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List the registered sources (folders, web pages, sitemaps, feeds) and their sync status",
		Long: `List the registered sources with their documents, chunks, last sync and last
error. Subcommands add, change (set), sync and remove sources; see
docs/sources.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			list, err := svc.store.ListSources(cmd.Context())
			if err != nil {
				return err
			}
			if err := collectionAudiences(cmd.Context(), svc.store, list); err != nil {
				return err
			}
			if asJSON {
				return a.printSourcesJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.io.Out, "No sources yet: add one with 'lore sources add NAME URL-or-PATH'.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tLOCATION\tCOLLECTION\tOWNER\tAUDIENCE\tEVERY\tREVIEW\tDOCS\tCHUNKS\tLAST SYNC\tSTATUS")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.Name, s.Kind, s.Location, s.Collection,
					orDash(s.Owner), orDash(s.Audience), every(s.Every), reviewEvery(s.ReviewEvery), s.Status.Documents, s.Status.Chunks,
					when(s.Status.LastSync), sourceState(s.Status))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the sources as JSON")
	cmd.AddCommand(a.sourcesAddCommand(), a.sourcesSetCommand(), a.sourcesSyncCommand(), a.sourcesRemoveCommand())
	return cmd
}

// collectionAudiences sets each source's Audience to its collection's
// audience, the one enforced ("everyone" without one): the audience given
// when a source was added may have been changed since, for the collection,
// by 'lore collections set' or another source.
func collectionAudiences(ctx context.Context, st store.Collections, list []store.Source) error {
	cs, err := st.ListCollections(ctx)
	if err != nil {
		return err
	}
	aud := make(map[string]string, len(cs))
	for _, c := range cs {
		aud[c.Name] = c.Audience
	}
	for i := range list {
		list[i].Audience = cmp.Or(aud[list[i].Collection], audience.Everyone)
	}
	return nil
}

func (a *app) printSourcesJSON(list []store.Source) error {
	type status struct {
		Documents   int        `json:"documents"`
		Chunks      int        `json:"chunks"`
		LastSync    *time.Time `json:"last_sync"`
		LastSuccess *time.Time `json:"last_success"`
		LastError   string     `json:"last_error"`
	}
	type source struct {
		Name       string `json:"name"`
		Kind       string `json:"kind"`
		Location   string `json:"location"`
		Collection string `json:"collection"`
		Owner      string `json:"owner"`
		Audience   string `json:"audience"`
		Approval   bool   `json:"approval"`
		Every      string `json:"every"`
		// ReviewEvery is "" when the source sets no review interval.
		ReviewEvery string `json:"review_every"`
		Status      status `json:"status"`
	}
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	out := make([]source, 0, len(list))
	for _, s := range list {
		out = append(out, source{s.Name, s.Kind, s.Location, s.Collection, s.Owner, s.Audience, s.Approval, everyJSON(s.Every), reviewInterval(s.ReviewEvery),
			status{s.Status.Documents, s.Status.Chunks, opt(s.Status.LastSync), opt(s.Status.LastSuccess), s.Status.LastError}})
	}
	enc := json.NewEncoder(a.io.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// every is a re-sync schedule as it reads after "every": "day",
// "6 hours", "manual".
func every(d time.Duration) string { return sources.Every(d) }

// everyJSON is the schedule in --json output, for programs to parse:
// "manual" or a Go duration ("24h0m0s").
func everyJSON(d time.Duration) string {
	if d <= 0 {
		return "manual"
	}
	return d.String()
}

// reviewEvery is the REVIEW column: the source's review interval in days.
func reviewEvery(d time.Duration) string { return sources.ReviewEvery(d) }

// reviewInterval writes a review interval as whole days ("180d") when it
// is one, else as a Go duration; "" when there is none.
func reviewInterval(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// sourceState is the STATUS column: ok, or the last error, shortened to
// fit a terminal line.
func sourceState(st store.SourceStatus) string {
	switch {
	case st.LastSync.IsZero():
		return "not synced yet"
	case st.LastError == "":
		return "ok"
	}
	msg := strings.Join(strings.Fields(st.LastError), " ")
	if r := []rune(msg); len(r) > 100 {
		msg = string(r[:99]) + "…"
	}
	if st.LastSuccess.Before(st.LastSync) {
		return "failed: " + msg
	}
	return "warning: " + msg
}

func (a *app) sourcesAddCommand() *cobra.Command {
	var kind, collection, owner, aud string
	var interval, review time.Duration
	var approval bool
	cmd := &cobra.Command{
		Use:   "add NAME URL-or-PATH",
		Short: "Register a source: a folder or file, a web page or PDF by URL, a sitemap, a site to crawl, or a feed",
		Long: `Register a source to keep in sync. Without --kind, the kind is guessed: an
existing path is "files"; a URL whose path mentions "sitemap" is "sitemap";
one that mentions "feed", "rss" or "atom" (or ends in .rss, .atom) is "feed";
any other URL is "url" (one page, PDF or text file). "site" (crawl the pages
linked under the URL's folder) is never guessed. Run 'lore sources sync
NAME' to load it now; 'lore serve' re-syncs it every --every.

--review-every gives each document the source adds or changes a review date
that long after the change, unless its front matter has a review_by of its
own; owners are reminded when it comes (see 'lore review').`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := store.Source{Name: args[0], Kind: kind, Location: args[1], Collection: collection,
				Owner: owner, Audience: aud, Every: interval, ReviewEvery: review, Approval: approval}
			if src.Collection == "" {
				src.Collection = knowledge.DefaultCollection
			}
			if err := store.CheckCollectionName(src.Collection); err != nil {
				return &exitError{code: ExitUsage, err: fmt.Errorf("--collection: %w", err)}
			}
			if err := resolveSource(&src); err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			if cmd.Flags().Changed("audience") {
				// An audience belongs to the collection: written here, it
				// is the collection's, for every source that feeds it.
				parsed, err := audience.Parse(aud)
				if err != nil {
					return &exitError{code: ExitUsage, err: err}
				}
				src.Audience = parsed.String()
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			err = svc.store.AddSource(cmd.Context(), src)
			if errors.Is(err, store.ErrSourceExists) {
				return usageErrorf("a source named %q already exists; remove it first or choose another name", src.Name)
			}
			if errors.Is(err, store.ErrInvalidInput) {
				return &exitError{code: ExitUsage, err: err}
			}
			if err != nil {
				return err
			}
			// The collection's audience changes only once the source is
			// in: a refused add changes nothing.
			if cmd.Flags().Changed("audience") {
				if err := setCollectionAudience(cmd.Context(), svc.store, src.Collection, src.Audience); err != nil {
					return fmt.Errorf("source %q was added, but setting its collection's audience failed: %w", src.Name, err)
				}
			}
			schedule := "re-synced by 'lore serve' every " + every(src.Every)
			if src.Every <= 0 {
				schedule = "synced only when asked"
			}
			if src.Approval {
				schedule += "; the documents it adds wait for 'lore approve'"
			}
			if src.ReviewEvery > 0 {
				schedule += "; its documents are due for review " + reviewInterval(src.ReviewEvery) + " after each change"
			}
			fmt.Fprintf(a.io.Out, "Added source %q (%s %s) into collection %q, %s. Run 'lore sources sync %s' to load it now.\n",
				src.Name, src.Kind, src.Location, src.Collection, schedule, src.Name)
			detail := fmt.Sprintf("%s %s into collection %s, %s, approval %t", src.Kind, src.Location, src.Collection, sources.Schedule(src.Every), src.Approval)
			if err := a.recordAudit(cmd.Context(), svc.store, store.AuditSourceAdd, src.Name, detail); err != nil {
				return err
			}
			if !cmd.Flags().Changed("audience") {
				return nil
			}
			return a.recordAudit(cmd.Context(), svc.store, store.AuditCollectionSet, src.Collection, "audience "+src.Audience+", set by adding source "+src.Name)
		},
	}
	cmd.Flags().StringVar(&kind, "kind", "", "files, url, sitemap, site (crawl from the URL) or feed (default: guessed from the location)")
	cmd.Flags().StringVar(&collection, "collection", "", "collection its documents go into (default \"default\")")
	cmd.Flags().StringVar(&owner, "owner", "", "who answers for the content")
	cmd.Flags().StringVar(&aud, "audience", "", "who may be answered from its collection: sets the collection's audience (see 'lore collections set')")
	intervalVar(cmd.Flags(), &interval, "every", 24*time.Hour, "re-sync schedule for 'lore serve', such as 1h or 7d (0: only when asked)")
	cmd.Flags().BoolVar(&approval, "approval", false, "documents the source adds arrive as drafts until 'lore approve' publishes them")
	intervalVar(cmd.Flags(), &review, "review-every", 0, "documents without a review_by of their own are due for review this long after each change, such as 180d or 26w (default: none)")
	return cmd
}

// resolveSource guesses the kind when it is not given and checks the
// location: files must exist and are stored as absolute paths, URLs must
// be http or https without credentials.
func resolveSource(src *store.Source) error {
	loc := strings.TrimSpace(src.Location)
	isURL := strings.Contains(loc, "://")
	if src.Kind != "" && !slices.Contains(store.SourceKinds, src.Kind) {
		return fmt.Errorf("--kind %q: want one of %s", src.Kind, strings.Join(store.SourceKinds, ", "))
	}
	if src.Kind == "" {
		lower := strings.ToLower(loc)
		switch {
		case !isURL:
			src.Kind = store.SourceFiles
		case strings.Contains(lower, "sitemap"):
			src.Kind = store.SourceSitemap
		case strings.Contains(lower, "feed") || strings.Contains(lower, "rss") || strings.Contains(lower, "atom"):
			src.Kind = store.SourceFeed
		default:
			src.Kind = store.SourceURL
		}
	}
	if src.Kind == store.SourceFiles {
		abs, err := filepath.Abs(loc)
		if err != nil {
			return err
		}
		info, err := os.Stat(abs)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // "no such file or directory", "permission denied"
			}
			return fmt.Errorf("%s: %w", loc, err)
		}
		// A folder may hold files of other types, skipped at each sync; a
		// single file that can never be read would sync to nothing, "ok".
		if !info.IsDir() && !ingest.Supported(abs) {
			return fmt.Errorf("%s: Lore cannot read %q files (it reads %s); a feed, sitemap or web page is added by its URL",
				loc, filepath.Ext(abs), strings.Join(ingest.Extensions(), ", "))
		}
		src.Location = abs
		return nil
	}
	if !isURL {
		return fmt.Errorf("%s: a %s source is read from the web: give its http or https URL", loc, src.Kind)
	}
	u, err := fetch.ParseURL(loc)
	if err != nil {
		return err
	}
	src.Location = u.String()
	return nil
}

func (a *app) sourcesSyncCommand() *cobra.Command {
	var allow []string
	cmd := &cobra.Command{
		Use:   "sync NAME",
		Short: "Sync one source now, printing each document read",
		Long: `Sync one source now: new and changed documents are stored, documents gone
upstream are removed, and the outcome is recorded on the source. If the
source cannot be read, nothing indexed before is lost and the error is
recorded. Internal addresses are refused unless named by --allow or
LORE_FETCH_ALLOW.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := a.fetchClient(allow)
			if err != nil {
				return &exitError{code: ExitUsage, err: err}
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			syncer := &sources.Syncer{Store: svc.store, Index: svc.knowledge, Fetch: client, PDF: a.pdfReader()}
			res, err := syncer.Sync(cmd.Context(), args[0], func(ev sources.Event) {
				if ev.Err != nil {
					// The error names the page too, for the source's
					// status; here the line already does.
					why := strings.TrimPrefix(ev.Err.Error(), ev.Location+": ")
					fmt.Fprintf(a.io.Err, "%-9s %s: %s\n", ev.Outcome, ev.Location, why)
					return
				}
				fmt.Fprintf(a.io.Err, "%-9s %s\n", ev.Outcome, ev.Location)
			})
			if errors.Is(err, store.ErrNotFound) {
				return usageErrorf("no source named %q; 'lore sources' lists them", args[0])
			}
			if err != nil {
				a.stopNote = func() string {
					return fmt.Sprintf("%d added, %d updated, %d unchanged before the stop, and kept; nothing was removed and the source's last sync is unchanged. Run 'lore sources sync %s' again to finish",
						res.Added, res.Updated, res.Unchanged, args[0])
				}
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintf(a.io.Err, "warning: %s\n", w)
			}
			fmt.Fprintf(a.io.Out, "Synced %q: %d added, %d updated, %d unchanged, %d removed, %d failed; it holds %d %s, %d %s (%.1fs).\n",
				args[0], res.Added, res.Updated, res.Unchanged, res.Removed, res.Failed,
				res.Documents, plural(res.Documents, "document", "documents"), res.Chunks, plural(res.Chunks, "chunk", "chunks"), res.Duration.Seconds())
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&allow, "allow", nil, "internal host, address or prefix this sync may fetch from (repeatable; adds to LORE_FETCH_ALLOW)")
	return cmd
}

// fetchClient builds the fetch client of source syncs, with the allow-list
// of the configuration and of the command line.
func (a *app) fetchClient(extra []string) (*fetch.Client, error) {
	allow := fetchAllowList(a.getenv("LORE_FETCH_ALLOW"))
	return fetch.New(fetch.Options{Allow: append(allow, extra...)})
}

func (a *app) sourcesRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a source and the documents it put in the index",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			ctx := cmd.Context()
			// The sync lock keeps a running sync from storing documents
			// that nothing would remove once the source is gone.
			syncer := &sources.Syncer{Store: svc.store}
			removed, kept, err := syncer.Remove(ctx, args[0])
			var held *store.LockHeldError
			switch {
			case errors.Is(err, store.ErrNotFound):
				return usageErrorf("no source named %q; 'lore sources' lists them", args[0])
			case errors.As(err, &held):
				return &exitError{code: ExitFailure, err: fmt.Errorf("source %q is being synced right now (by %s); nothing was removed. Run 'lore sources remove %s' again once the sync ends",
					args[0], held.Holder, args[0])}
			case err != nil:
				return err
			}
			docs := plural(removed, "document", "documents")
			detail := fmt.Sprintf("%d %s removed", removed, docs)
			if kept > 0 {
				fmt.Fprintf(a.io.Out, "Removed source %q and its %d %s; %d more %s, listed by other sources too.\n", args[0], removed, docs, kept, plural(kept, "stays", "stay"))
				detail += fmt.Sprintf(", %d kept for other sources", kept)
			} else {
				fmt.Fprintf(a.io.Out, "Removed source %q and its %d %s.\n", args[0], removed, docs)
			}
			return a.recordAudit(ctx, svc.store, store.AuditSourceRemove, args[0], detail)
		},
	}
}

// wireSourceSyncs registers the source sync worker of a lore serve replica
// and the worker of the periodic job, added to periodic, that queues the
// syncs of sources whose schedule is due.
func (a *app) wireSourceSyncs(svc *services, workers *river.Workers, periodic []*river.PeriodicJob, id string) ([]*river.PeriodicJob, error) {
	client, err := a.fetchClient(nil)
	if err != nil {
		return nil, &exitError{code: ExitUsage, err: err}
	}
	syncer := &sources.Syncer{Store: svc.store, Index: svc.knowledge, Fetch: client, Owner: id, PDF: a.pdfReader()}
	schedule := &jobs.ScheduleSourceSyncsWorker{Sources: svc.store, Queue: svc.syncs, Logger: a.log}
	if err := jobs.RegisterSources(workers, &jobs.SyncSourceWorker{Syncer: syncer, Logger: a.log}, schedule); err != nil {
		return nil, err
	}
	return append(periodic, jobs.PeriodicSourceSchedule()), nil
}
