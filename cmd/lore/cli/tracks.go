package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/nudges"
	"github.com/lorehq/lore/nudges/cards"
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
	cmd.AddCommand(a.tracksLoadCommand(), a.tracksListCommand(), a.tracksApproveCommand(), a.tracksEnrolCommand(), a.tracksDraftCommand())
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
			if err := emptyPath(paths); err != nil {
				return err
			}
			read := map[string]bool{} // absolute paths, so a file named twice counts once
			for _, p := range paths {
				info, err := os.Stat(p)
				if err != nil {
					return &exitError{code: ExitUsage, err: pathError(err)}
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
				for _, t := range ts {
					t.File = filepath.Join(dir, filepath.FromSlash(t.File))
					if abs, err := filepath.Abs(t.File); err == nil {
						if read[abs] {
							continue
						}
						read[abs] = true
					}
					all = append(all, t)
				}
			}
			// Tracks of different PATHs may share an id, which would
			// make one replace the other.
			if err := track.CheckIDs(all); err != nil {
				errs = append(errs, err)
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
				fmt.Fprintf(a.io.Out, "%-24s v%d %s (%d %s%s)\n", r.Track.ID, r.Version, state, len(r.Track.Cards), plural(len(r.Track.Cards), "card", "cards"), draft)
			}
			return nil
		},
	}
}

// prefixErrors puts the folder in front of every line of err, and of
// every file a duplicate track id names, so that the file names are the
// ones the curator typed.
func prefixErrors(dir string, err error) error {
	if dir == "." {
		return err
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixErrors(dir, e))
		}
		return errors.Join(out...)
	}
	if pe, ok := err.(*fs.PathError); ok {
		// "open a.md: no such file or directory" (a link to nothing):
		// the path goes first, the operation is left out.
		return fmt.Errorf("%s: %w", filepath.Join(dir, filepath.FromSlash(pe.Path)), pe.Err)
	}
	if dup, ok := err.(*track.DuplicateIDError); ok {
		files := make([]string, len(dup.Files))
		for i, f := range dup.Files {
			files[i] = filepath.Join(dir, filepath.FromSlash(f))
		}
		return &track.DuplicateIDError{ID: dup.ID, Files: files}
	}
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
				if aud := strings.TrimSpace(t.Audience); aud != "" && aud != "everyone" {
					draft += " [audience: " + aud + "]"
				}
				fmt.Fprintf(a.io.Out, "%-24s v%-3d %-14s %2d %-5s  %s%s\n", t.ID, t.Version, t.Cadence, len(t.Cards), plural(len(t.Cards), "card", "cards"), t.Title, draft)
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
			return a.recordAudit(cmd.Context(), svc.store, store.AuditTrackApprove, args[0], "")
		},
	}
}

func (a *app) tracksEnrolCommand() *cobra.Command {
	var platform, workspace, channel string
	cmd := &cobra.Command{
		Use:   "enrol TRACK [USER...] [--channel CHANNEL]",
		Short: "Enrol people in a track, as a curator: named people, or a channel's members",
		Long: `Enrol people in a track, as a curator. Name them by their platform user ids,
or give --channel to enrol every person in a Slack channel (conversations.members,
bots left out; LORE_SLACK_BOT_TOKEN) or a Discord channel (the server's members
who can see it; LORE_DISCORD_TOKEN and --workspace GUILD). People already
enrolled are left as they are. People outside the track's audience are
not enrolled, and are listed; a channel entry of the audience admits the
people enrolled through that channel.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && channel == "" {
				return usageErrorf("name the people to enrol, or a channel with --channel")
			}
			if err := knownPlatform(platform); err != nil {
				return usageErrorf("--platform: %v", err)
			}
			svc, err := a.openNudges(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			// Said here for the operator: the capability's refusal is
			// worded for a learner in chat.
			ts, err := svc.nudges.Tracks(cmd.Context())
			if err != nil {
				return err
			}
			if i := slices.IndexFunc(ts, func(v nudges.Version) bool { return v.ID == args[0] }); i < 0 {
				return usageErrorf("no track %q: 'lore tracks list' lists them", args[0])
			} else if ts[i].Draft {
				return usageErrorf("track %q is a draft, which nobody can follow: 'lore tracks approve %s' publishes it", args[0], args[0])
			}
			learners := func(users []string) []store.Learner {
				var ls []store.Learner
				for _, u := range users {
					ls = append(ls, store.Learner{Platform: platform, Workspace: workspace, User: u})
				}
				return ls
			}
			// People named are enrolled as themselves; a channel's members
			// through the channel, which the track's audience may name.
			reqs := []nudges.EnrolRequest{{TrackID: args[0], Source: "curator", Learners: learners(args[1:])}}
			if channel != "" {
				members, err := a.channelMembers(cmd.Context(), svc, platform, workspace, channel)
				if err != nil {
					return err
				}
				reqs = append(reqs, nudges.EnrolRequest{TrackID: args[0], Source: "curator", Channel: channel, Learners: learners(members)})
			}
			var total nudges.EnrolResult
			for _, r := range reqs {
				res, err := svc.nudges.EnrolAll(cmd.Context(), r)
				if err != nil {
					return usageErrorf("%v", err)
				}
				total.Joined, total.Already = total.Joined+res.Joined, total.Already+res.Already
				total.Refused = append(total.Refused, res.Refused...)
			}
			fmt.Fprintf(a.io.Out, "%d enrolled in %s (%d already were)\n", total.Joined, args[0], total.Already)
			if len(total.Refused) > 0 {
				var who []string
				for _, l := range total.Refused {
					who = append(who, l.User)
				}
				fmt.Fprintf(a.io.Out, "Not enrolled, outside the track's audience: %s\n", strings.Join(who, ", "))
				if total.Joined+total.Already == 0 {
					return usageErrorf("nobody named is in the audience of %s", args[0])
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "slack", "platform of the users: slack, discord or shell")
	cmd.Flags().StringVar(&workspace, "workspace", "", "Slack team or Discord guild id")
	cmd.Flags().StringVar(&channel, "channel", "", "enrol the people of this Slack or Discord channel")
	return cmd
}

// channelMembers lists the people of a channel through the platform's
// Web API, with the adapter's roster but without running the adapter.
func (a *app) channelMembers(ctx context.Context, svc *services, platform, workspace, channel string) ([]string, error) {
	switch platform {
	case "slack":
		if a.getenv(slack.EnvBotToken) == "" {
			return nil, usageErrorf("--channel on Slack needs %s", slack.EnvBotToken)
		}
		cfg, err := slack.ConfigFromEnv(a.getenv)
		if cfg.BotToken == "" || cfg.APIURL == "" && a.getenv(slack.EnvAPIURL) != "" {
			return nil, usageErrorf("slack configuration:\n%v", err)
		}
		// Only the Web API is used: the settings of a connection (Socket
		// Mode's app token, HTTP mode's signing secret) do not matter.
		cfg.Mode, cfg.AppToken, cfg.SigningSecret = slack.ModeHTTP, "", "unused"
		cfg.Logger = a.log
		sl, err := slack.New(cfg, svc.bot, slack.Deps{Claims: svc.store, People: svc.store})
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		if err := sl.Identify(ctx); err != nil {
			return nil, err
		}
		return sl.ChannelMembers(ctx, workspace, channel)
	case "discord":
		if a.getenv(discord.EnvToken) == "" {
			return nil, usageErrorf("--channel on Discord needs %s", discord.EnvToken)
		}
		cfg, err := discord.ConfigFromEnv(a.getenv)
		if err != nil {
			return nil, usageErrorf("discord configuration:\n%v", err)
		}
		cfg.Logger = a.log
		d, err := discord.New(cfg, svc.bot, discord.Deps{Claims: svc.claims})
		if err != nil {
			return nil, usageErrorf("%v", err)
		}
		defer d.Close()
		return d.ChannelMembers(ctx, workspace, channel)
	}
	return nil, usageErrorf("--channel works on slack and discord, not %q", platform)
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

func (a *app) tracksDraftCommand() *cobra.Command {
	var (
		o      cards.Options
		out    string
		noLoad bool
	)
	cmd := &cobra.Command{
		Use:   "draft --collection NAME",
		Short: "Draft review cards from a collection's documents, for a curator to approve",
		Long: `Draft quiz cards from the documents of a collection: without a language model,
cloze cards (a key sentence with its figure or distinctive term blanked out,
among distractors of the same kind from the collection); with one
(LORE_CHAT_MODEL), questions the model writes, and cloze cards where its
answer is unusable. The cards are loaded as a draft track that no learner sees
until a curator runs 'lore tracks approve TRACK'. --out also writes the track
file, to edit and load again with 'lore tracks load'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Collection == "" {
				return usageErrorf("name the collection to draft from with --collection")
			}
			if o.PerDocument < 1 {
				// cards.Options reads 0 as its default, 2.
				return usageErrorf("--per-doc %d: want 1 or more", o.PerDocument)
			}
			models, err := a.readModelSettings()
			if err != nil {
				return err
			}
			kopts, _, err := models.knowledgeOptions()
			if err != nil {
				return err
			}
			if kopts.Model != nil {
				o.Model = kopts.Model
			}
			svc, err := a.openNudges(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			res, err := cards.Draft(cmd.Context(), svc.store, o)
			if err != nil {
				if errors.Is(err, cards.ErrInvalid) {
					return usageErrorf("%v", err)
				}
				return err
			}
			if out != "" {
				if err := os.WriteFile(out, res.Markdown, 0o644); err != nil {
					return fmt.Errorf("--out %w", writeFileError(err))
				}
			}
			fmt.Fprintf(a.io.Out, "Drafted %d %s from %d %s", len(res.Track.Cards), plural(len(res.Track.Cards), "card", "cards"), res.Documents, plural(res.Documents, "document", "documents"))
			if o.Model != nil {
				fmt.Fprintf(a.io.Out, " (%d written by the model, %d cloze where its question was unusable)", res.ByModel, len(res.Track.Cards)-res.ByModel)
			}
			fmt.Fprintln(a.io.Out)
			if len(res.Skipped) > 0 {
				fmt.Fprintf(a.io.Out, "No card from %d documents without a usable sentence: %s\n", len(res.Skipped), strings.Join(res.Skipped, ", "))
			}
			if out != "" {
				fmt.Fprintf(a.io.Out, "Wrote %s\n", out)
			}
			if noLoad {
				return nil
			}
			if _, err := svc.nudges.Publish(cmd.Context(), []track.Track{res.Track}); err != nil {
				return err
			}
			fmt.Fprintf(a.io.Out, "Loaded draft track %s: no learner sees it until 'lore tracks approve %s'\n", res.Track.ID, res.Track.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Collection, "collection", "", "collection whose documents the cards come from")
	cmd.Flags().StringArrayVar(&o.DocIDs, "doc", nil, "only this document id of the collection (repeatable)")
	cmd.Flags().IntVar(&o.PerDocument, "per-doc", 2, "most cards from one document")
	cmd.Flags().StringVar(&o.TrackID, "track", "", "id of the draft track (default review-COLLECTION)")
	cmd.Flags().StringVar(&out, "out", "", "also write the track file here")
	cmd.Flags().BoolVar(&noLoad, "no-load", false, "draft (and write --out) without loading the track")
	return cmd
}
