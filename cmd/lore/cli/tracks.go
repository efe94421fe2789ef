package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/nudges/samples"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

func (a *app) tracksCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tracks",
		Short: "Load and list learning tracks for micro-learning nudges",
		Long: `Learning tracks are Markdown files of tip, quiz and reflection cards that
Lore sends to learners' direct messages (see docs/nudges.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.tracksLoadCommand(), a.tracksListCommand(), a.tracksApproveCommand(), a.tracksEnrolCommand())
	return cmd
}

// openNudges opens the store and the nudges capability over it.
func (a *app) openNudges(ctx context.Context) (*services, error) {
	svc, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	if svc.nudges == nil {
		svc.Close()
		return nil, errors.New("this database keeps no learning tracks")
	}
	return svc, nil
}

func (a *app) tracksLoadCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "load PATH...",
		Short: "Validate and load track files or folders",
		Long: `Validate every track under PATH (a *.md file, or a folder of them; a folder
holding track.md is one track whose cards continue in its other files) and
load them. Nothing is loaded if any file has a problem: each is reported with
its file and line. A track whose content changed becomes a new version;
learners keep their progress, which follows card ids.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			var all []track.Track
			var errs []error
			for _, p := range paths {
				info, err := os.Stat(p)
				if err != nil {
					return usageErrorf("%v", err)
				}
				dir, root := p, "."
				if !info.IsDir() {
					dir, root = filepath.Dir(p), filepath.Base(p)
				}
				ts, err := track.LoadFS(os.DirFS(dir), root)
				if err != nil {
					errs = append(errs, prefixErrors(dir, err))
					continue
				}
				all = append(all, ts...)
			}
			if len(errs) > 0 {
				return usageErrorf("nothing loaded:\n%v", errors.Join(errs...))
			}
			svc, err := a.openNudges(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			res, err := svc.nudges.Publish(cmd.Context(), all)
			if err != nil {
				return err
			}
			for _, r := range res {
				state := "unchanged"
				if r.New {
					state = "loaded"
				}
				draft := ""
				if r.Track.Draft {
					draft = ", draft: approve with 'lore tracks approve " + r.Track.ID + "'"
				}
				fmt.Fprintf(a.io.Out, "%-24s v%d %s (%d cards%s)\n", r.Track.ID, r.Version, state, len(r.Track.Cards), draft)
			}
			return nil
		},
	}
}

// prefixErrors puts the folder in front of every line of err, so that the
// file names are the ones the curator typed.
func prefixErrors(dir string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		if dir != "." {
			lines[i] = filepath.Join(dir, l)
		}
	}
	return errors.New(strings.Join(lines, "\n"))
}

func (a *app) tracksListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List loaded tracks and their latest versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := a.openNudges(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			ts, err := svc.nudges.Tracks(cmd.Context())
			if err != nil {
				return err
			}
			if len(ts) == 0 {
				fmt.Fprintln(a.io.Out, "No tracks loaded. Load some with 'lore tracks load PATH'.")
				return nil
			}
			for _, t := range ts {
				draft := ""
				if t.Draft {
					draft = " [draft]"
				}
				fmt.Fprintf(a.io.Out, "%-24s v%-3d %-14s %2d cards  %s%s\n", t.ID, t.Version, t.Cadence, len(t.Cards), t.Title, draft)
			}
			return nil
		},
	}
}

func (a *app) tracksApproveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "approve TRACK",
		Short: "Approve a draft track (such as generated review cards) so learners can see it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.openNudges(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.store.(nudges.Store).ApproveTrack(cmd.Context(), args[0]); errors.Is(err, store.ErrNotFound) {
				return usageErrorf("no track %q", args[0])
			} else if err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "%s approved\n", args[0])
			return nil
		},
	}
}

func (a *app) tracksEnrolCommand() *cobra.Command {
	var platform, workspace string
	cmd := &cobra.Command{
		Use:   "enrol TRACK USER...",
		Short: "Enrol people in a track, as a curator (for a channel or group: pass its members)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, err := a.openNudges(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			var ls []store.Learner
			for _, u := range args[1:] {
				ls = append(ls, store.Learner{Platform: platform, Workspace: workspace, User: u})
			}
			n, err := svc.nudges.Enrol(cmd.Context(), args[0], "curator", ls...)
			if err != nil {
				return usageErrorf("%v", err)
			}
			fmt.Fprintf(a.io.Out, "%d enrolled in %s (%d already were)\n", n, args[0], len(ls)-n)
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "slack", "platform of the users: slack, discord or shell")
	cmd.Flags().StringVar(&workspace, "workspace", "", "Slack team or Discord guild id")
	return cmd
}

// loadSampleTracks publishes the bundled tracks into a store that has none,
// so that the demo can show nudges.
func (a *app) loadSampleTracks(ctx context.Context, svc *services, skip bool) error {
	if skip || svc.nudges == nil {
		return nil
	}
	have, err := svc.nudges.Tracks(ctx)
	if err != nil || len(have) > 0 {
		return err
	}
	ts, err := track.LoadFS(samples.Tracks, "tracks")
	if err != nil {
		return err
	}
	if _, err := svc.nudges.Publish(ctx, ts); err != nil {
		return fmt.Errorf("load the sample tracks: %w", err)
	}
	fmt.Fprintf(a.io.Err, "Loaded %d sample learning tracks: type 'learn' to see them.\n", len(ts))
	return nil
}
