package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/knowledge/sources"
	"github.com/lorehq/lore/store"
)

func (a *app) sourcesSetCommand() *cobra.Command {
	var owner, aud, interval, review string
	var approval bool
	var kind, location, collection string
	cmd := &cobra.Command{
		Use:   "set NAME [--owner O] [--every D|0] [--review-every D|0] [--approval=true|false] [--audience A]",
		Short: "Change a source's owner, schedule, review interval, approval or audience, keeping its documents",
		Long: `Change the settings of a registered source in place; what is not given is
kept, and so are the documents it has indexed.

  --every D|0          re-sync schedule of 'lore serve' (1h, 7d; at least 1m),
                       or 0 to sync only when asked; running replicas follow
                       it from the next minute, without a restart
  --review-every D|0   review interval of the documents it adds or changes
                       from now on (180d, 26w), or 0 for none
  --approval=BOOL      whether the documents it adds arrive as drafts
  --owner O            who answers for the content ("" for nobody)
  --audience A         the audience of the source's collection, for every
                       source that feeds it (as 'lore collections set')

The owner, review interval and approval rule apply to the documents the
source adds or changes from then on, as those given to 'lore sources add';
documents already indexed keep theirs until they next change.

A source's kind, location and collection cannot change: its documents were
read from that location into that collection. To change them, remove the
source ('lore sources remove NAME', which removes its documents) and add it
again. Each change is recorded in the audit log (source.update, and
collection.set for --audience).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			flags := cmd.Flags()
			for _, fixed := range []string{"kind", "location", "collection"} {
				if flags.Changed(fixed) {
					return usageErrorf("a source's kind, location and collection cannot be changed in place: remove it ('lore sources remove %s', which removes its documents) and add it again", name)
				}
			}
			var u store.SourceUpdate
			if flags.Changed("owner") {
				u.Owner = &owner
			}
			if flags.Changed("approval") {
				u.Approval = &approval
			}
			if flags.Changed("every") {
				d, err := parseInterval(interval)
				if err != nil {
					return usageErrorf("--every: %v", err)
				}
				u.Every = &d
			}
			if flags.Changed("review-every") {
				d, err := parseInterval(review)
				if err != nil {
					return usageErrorf("--review-every: %v", err)
				}
				u.ReviewEvery = &d
			}
			setAudience := flags.Changed("audience")
			var parsed audience.Audience
			if setAudience {
				var err error
				if parsed, err = audience.Parse(aud); err != nil {
					return &exitError{code: ExitUsage, err: err}
				}
				shown := parsed.String()
				u.Audience = &shown
			}
			if u.IsEmpty() {
				return usageErrorf("nothing to set: give --owner, --every, --review-every, --approval or --audience\nUsage: %s\nRun '%s --help' for more.", cmd.UseLine(), cmd.CommandPath())
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			ctx := cmd.Context()
			before, after, err := svc.store.UpdateSource(ctx, name, u)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return usageErrorf("no source named %q; 'lore sources' lists them", name)
			case errors.Is(err, store.ErrInvalidInput):
				return &exitError{code: ExitUsage, err: err}
			case err != nil:
				return err
			}
			changes := sources.Changes(before, after)
			if len(changes) == 0 {
				fmt.Fprintf(a.io.Out, "Source %q already had these settings.\n", name)
			} else {
				fmt.Fprintf(a.io.Out, "Changed source %q: %s.\n", name, strings.Join(changes, ", "))
			}
			fmt.Fprintln(a.io.Out, sourceSettings(after))
			if len(changes) > 0 {
				if err := a.recordAudit(ctx, svc.store, store.AuditSourceUpdate, name, strings.Join(changes, ", ")); err != nil {
					return err
				}
			}
			if !setAudience {
				return nil
			}
			// The audience enforced is the collection's, as with
			// 'lore sources add --audience' and 'lore collections set'.
			c, err := currentCollection(ctx, svc.store, after.Collection)
			if err != nil {
				return err
			}
			if cur, err := audience.Parse(c.Audience); err == nil && storedAudience(cur) == storedAudience(parsed) {
				// The collection already has it: nothing to change or record.
				return nil
			}
			c.Audience = storedAudience(parsed)
			if err := svc.store.SetCollection(ctx, c); err != nil {
				return fmt.Errorf("the source was changed, but setting the audience of collection %q failed: %w", after.Collection, err)
			}
			fmt.Fprintf(a.io.Out, "Collection %q: audience %s, for every source that feeds it.\n", after.Collection, parsed.String())
			return a.recordAudit(ctx, svc.store, store.AuditCollectionSet, after.Collection, fmt.Sprintf("audience %s, approval %t", parsed.String(), c.Approval))
		},
	}
	f := cmd.Flags()
	f.StringVar(&owner, "owner", "", "who answers for the content")
	f.StringVar(&interval, "every", "", "re-sync schedule for 'lore serve', such as 1h or 7d (0: only when asked)")
	f.StringVar(&review, "review-every", "", "review interval of the documents it adds or changes, such as 180d or 26w (0: none)")
	f.BoolVar(&approval, "approval", false, "documents the source adds arrive as drafts until 'lore approve' publishes them")
	f.StringVar(&aud, "audience", "", "who may be answered from the source's collection: sets the collection's audience (see 'lore collections set')")
	// Refused with an explanation rather than as unknown flags.
	f.StringVar(&kind, "kind", "", "cannot be changed: remove and add the source")
	f.StringVar(&location, "location", "", "cannot be changed: remove and add the source")
	f.StringVar(&collection, "collection", "", "cannot be changed: remove and add the source")
	for _, fixed := range []string{"kind", "location", "collection"} {
		_ = f.MarkHidden(fixed)
	}
	return cmd
}

// parseInterval reads a schedule or review interval: "0" for none, else a
// period such as 1h, 90m, 7d or 26w. lore sources add and set and lore
// serve all read their intervals with it.
func parseInterval(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "0" {
		return 0, nil
	}
	d, err := parsePeriod(strings.TrimSpace(s))
	if err != nil {
		var e *exitError
		if errors.As(err, &e) {
			return 0, e.err
		}
		return 0, err
	}
	return d, nil
}

// intervalValue is a flag holding an interval in the forms parseInterval
// reads, so that every command taking a schedule reads the same forms.
type intervalValue struct{ d *time.Duration }

// intervalVar defines the interval flag name, with default def, in p.
func intervalVar(f *pflag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	f.Var(intervalValue{p}, name, usage)
}

func (v intervalValue) Set(s string) error {
	d, err := parseInterval(s)
	if err != nil {
		return err
	}
	*v.d = d
	return nil
}

func (v intervalValue) String() string {
	if v.d == nil || *v.d == 0 {
		return "0"
	}
	return v.d.String()
}

func (intervalValue) Type() string { return "duration" }

// sourceSettings describes a source's settings in one sentence.
func sourceSettings(src store.Source) string {
	schedule := "re-synced by 'lore serve' every " + every(src.Every)
	if src.Every <= 0 {
		schedule = "synced only when asked"
	}
	review := "no review interval"
	if src.ReviewEvery > 0 {
		review = "documents due for review " + reviewInterval(src.ReviewEvery) + " after each change"
	}
	approval := "the documents it adds are published at once"
	if src.Approval {
		approval = "the documents it adds wait for 'lore approve'"
	}
	return fmt.Sprintf("Now: %s %s into collection %q, owner %s, audience %s; %s; %s; %s.",
		src.Kind, src.Location, src.Collection, orDash(src.Owner), orDash(src.Audience), schedule, approval, review)
}
