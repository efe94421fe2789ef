package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/bot/peers"
	"github.com/lorehq/lore/store"
)

func (a *app) peersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "peers",
		Short: "Manage peer connections: pairing rounds",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	rounds := &cobra.Command{
		Use:   "rounds",
		Short: "Show, enable and disable channels' pairing rounds",
		Long: `Pairing rounds introduce the members of a channel to each other on a
schedule (docs/peers.md). Admins (lore roles) can do the same from
chat with "connect rounds on|off" in the channel; here a channel is named
PLATFORM/WORKSPACE/CHANNEL, for example slack/T0123ABCD/C0456EFGH or
discord/GUILD_ID/CHANNEL_ID.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	rounds.AddCommand(a.roundsListCommand(), a.roundsSetCommand(true), a.roundsSetCommand(false))
	cmd.AddCommand(rounds)
	return cmd
}

// roundsJSON is one schedule in lore peers rounds list --json.
type roundsJSON struct {
	Platform    string `json:"platform"`
	Workspace   string `json:"workspace"`
	Channel     string `json:"channel"`
	Enabled     bool   `json:"enabled"`
	Frequency   string `json:"frequency"`
	GroupSize   string `json:"group_size"`
	IntroHour   int    `json:"intro_hour"`
	AvoidRounds int    `json:"avoid_rounds"`
}

func (a *app) roundsListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the channels' pairing schedules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ps, closeFn, err := a.peersStore(cmd)
			if err != nil {
				return err
			}
			defer closeFn()
			cs, err := ps.RoundConfigs(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]roundsJSON, 0, len(cs))
				for _, c := range cs {
					out = append(out, roundsJSON{c.Platform, c.Workspace, c.Channel, c.Enabled, c.Frequency, groupSize(c), c.IntroHour, c.AvoidRounds})
				}
				return a.printJSON(out)
			}
			if len(cs) == 0 {
				fmt.Fprintln(a.io.Out, "No channel has pairing rounds. Enable them with 'lore peers rounds on PLATFORM/WORKSPACE/CHANNEL'.")
				return nil
			}
			tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CHANNEL\tSTATE\tFREQUENCY\tGROUPS\tINTRODUCTIONS\tNO REPEAT OF")
			for _, c := range cs {
				state := "on"
				if !c.Enabled {
					state = "off"
				}
				fmt.Fprintf(tw, "%s/%s/%s\t%s\t%s\t%s\t%02d:00\tlast %d rounds\n", c.Platform, c.Workspace, c.Channel, state, c.Frequency, groupSize(c), c.IntroHour, c.AvoidRounds)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the schedules as JSON")
	return cmd
}

func groupSize(c store.RoundConfig) string {
	if c.GroupSize > 2 {
		return "3-4"
	}
	return "2"
}

func (a *app) roundsSetCommand(on bool) *cobra.Command {
	use, short := "off PLATFORM/WORKSPACE/CHANNEL", "Stop a channel's pairing rounds (its schedule is kept)"
	if on {
		use, short = "on PLATFORM/WORKSPACE/CHANNEL [weekly|biweekly|monthly|every 2 weeks] [size 2|3-4] [time HH:00] [avoid K]", "Enable pairing rounds in a channel"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long: short + `.

Options are those of "connect rounds on" in chat; unchanged ones keep the
channel's previous schedule, else the defaults: weekly, pairs, 09:00 in
each group's shared morning, no repeat of the last 6 rounds.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("name the channel: PLATFORM/WORKSPACE/CHANNEL")
			}
			if !on && len(args) > 1 {
				return usageErrorf("'off' takes only the channel")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			parts := strings.Split(args[0], "/")
			if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
				return usageErrorf("%q: name the channel as PLATFORM/WORKSPACE/CHANNEL, such as slack/T0123ABCD/C0456EFGH", args[0])
			}
			// Rounds list the channel's members through its platform's
			// adapter. Turning off stays possible whatever is stored.
			if on && !slices.Contains(rosterPlatforms, parts[0]) {
				return usageErrorf("%q: pairing rounds run on %s, not %q", args[0], orList(rosterPlatforms), parts[0])
			}
			c := store.RoundConfig{Platform: parts[0], Workspace: parts[1], Channel: parts[2],
				Frequency: peers.DefaultFrequency, GroupSize: peers.DefaultGroupSize, IntroHour: peers.DefaultIntroHour, AvoidRounds: peers.DefaultAvoidRounds}
			ps, closeFn, err := a.peersStore(cmd)
			if err != nil {
				return err
			}
			defer closeFn()
			cs, err := ps.RoundConfigs(cmd.Context())
			if err != nil {
				return err
			}
			found := false
			for _, old := range cs {
				if old.Platform == c.Platform && old.Workspace == c.Workspace && old.Channel == c.Channel {
					c, found = old, true
				}
			}
			if !on && !found {
				fmt.Fprintf(a.io.Out, "Pairing rounds were not on in %s; nothing changed.\n", args[0])
				return nil
			}
			c.Enabled = on
			if on {
				if err := peers.ParseRoundOptions(&c, strings.Join(args[1:], " ")); err != nil {
					return usageErrorf("%v", err)
				}
			}
			if err := (store.Rules{}).ValidateRoundConfig(c); err != nil {
				if errors.Is(err, store.ErrInvalidInput) {
					return usageErrorf("%v", err)
				}
				return err
			}
			if err := ps.PutRoundConfig(cmd.Context(), c); err != nil {
				return err
			}
			detail := "off"
			if on {
				fmt.Fprintf(a.io.Out, "Pairing rounds are on in %s: %s, groups of %s, introductions at %02d:00 in each group's shared morning, no repeat of the last %d rounds.\n",
					args[0], c.Frequency, groupSize(c), c.IntroHour, c.AvoidRounds)
				detail = fmt.Sprintf("on: %s, groups of %s, at %02d:00, no repeat of the last %d rounds", c.Frequency, groupSize(c), c.IntroHour, c.AvoidRounds)
			} else {
				fmt.Fprintf(a.io.Out, "Pairing rounds are off in %s.\n", args[0])
			}
			if au, ok := ps.(store.Audit); ok {
				return a.recordAudit(cmd.Context(), au, store.AuditRoundsSet, args[0], detail)
			}
			return nil
		},
	}
}

// peersStore opens the database's peer store.
func (a *app) peersStore(cmd *cobra.Command) (store.Peers, func(), error) {
	st, err := a.openStore(cmd.Context(), a.databaseURL())
	if err != nil {
		return nil, nil, err
	}
	ps, ok := st.(store.Peers)
	if !ok {
		st.Close()
		return nil, nil, errors.New("this database does not keep pairing rounds")
	}
	return ps, func() { st.Close() }, nil
}
