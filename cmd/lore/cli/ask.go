package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/shell"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// askJSON is the --json shape of lore ask; later checks rely on it.
type askJSON struct {
	Answer    string         `json:"answer"`
	Confident bool           `json:"confident"`
	Citations []citationJSON `json:"citations"`
	LatencyMS int64          `json:"latency_ms"`
}

type citationJSON struct {
	DocID   string  `json:"doc_id"`
	Title   string  `json:"title"`
	Heading string  `json:"heading"`
	Source  string  `json:"source"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// errEmptyQuestion refuses a question with no words in it, blank or only
// punctuation, with a hint on how to ask one.
var errEmptyQuestion = usageErrorf("the question is empty: lore ask \"How do I request leave?\"")

func (a *app) askCommand() *cobra.Command {
	var asJSON bool
	var as, channel string
	cmd := &cobra.Command{
		Use:   "ask QUESTION [--as PERSON [--channel CHANNEL]]",
		Short: "Answer a question from the knowledge base, with sources",
		Long: `Answer a question from the knowledge base, with numbered sources.
Exit status 0 when answered, 3 when Lore has no confident answer.

Without --as the answer draws on every published document. --as PERSON
(PLATFORM/[WORKSPACE/]USER, e.g. slack/T024BE7LD/U012AB3CD) answers exactly
as that person would be answered in a direct message, with their roles and
groups (LORE_ROLES, LORE_GROUPS) checked against collection audiences;
--channel CHANNEL (PLATFORM/[WORKSPACE/]CHANNEL) as they would be in that
channel, with its collection limits from LORE_SLACK_CHANNELS or
LORE_DISCORD_SETTINGS. Curators use it to check audiences.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			question := strings.Join(args, " ")
			if !utf8.ValidString(question) {
				return usageErrorf("the question is not valid UTF-8 text")
			}
			if strings.TrimSpace(question) == "" {
				return errEmptyQuestion
			}
			msg := bot.Message{Platform: "cli", Channel: "cli", User: os.Getenv("USER"), Text: question, Direct: true, Operator: true}
			if as != "" || channel != "" {
				var err error
				if msg, err = a.askAs(as, channel, question); err != nil {
					return err
				}
			}
			svc, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer svc.Close()
			if err := svc.knowledge.CheckQuestion(question); err != nil {
				if errors.Is(err, knowledge.ErrEmptyQuestion) {
					// Only punctuation or symbols: as empty as a blank one.
					return errEmptyQuestion
				}
				return usageErrorf("%v", err)
			}
			b := svc.bot
			if !msg.Operator {
				// A check of what someone would be told is not their
				// question: nothing is recorded in their name.
				if b, err = bot.New(bot.Config{Knowledge: svc.knowledge, Events: unrecorded{}, Directory: svc.directory, Logger: a.log}); err != nil {
					return err
				}
			}
			start := time.Now()
			reply := b.Ask(cmd.Context(), msg)
			latency := time.Since(start)
			if !msg.Operator {
				reply.Text = unrecordedText(reply.Text, as)
			}
			if asJSON {
				out := askJSON{Answer: reply.Text, Confident: reply.Grounded, LatencyMS: latency.Milliseconds(), Citations: []citationJSON{}}
				for _, c := range reply.Citations {
					out.Citations = append(out.Citations, citationJSON{DocID: c.DocID, Title: c.Title, Heading: c.Heading, Source: c.Source, Score: c.Score, Snippet: c.Snippet})
				}
				enc := json.NewEncoder(a.io.Out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(a.io.Out, shell.Sanitize(reply.Text))
				if len(reply.Citations) > 0 {
					fmt.Fprintln(a.io.Out, "\nSources:")
					for _, c := range reply.Citations {
						fmt.Fprintf(a.io.Out, "  [%d] %s\n", c.N, citationLine(c))
					}
				}
			}
			if !reply.Grounded {
				return &exitError{code: ExitNoAnswer}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON")
	cmd.Flags().StringVar(&as, "as", "", "answer as this person would be answered: PLATFORM/[WORKSPACE/]USER")
	cmd.Flags().StringVar(&channel, "channel", "", "with --as, in this channel rather than a direct message: PLATFORM/[WORKSPACE/]CHANNEL")
	return cmd
}

// askAs builds the message a chat adapter would hand the bot when person
// asks question in channel (a direct message when channel is empty), with
// the channel's collection limits from the adapter's settings.
func (a *app) askAs(person, channel, question string) (bot.Message, error) {
	if person == "" {
		return bot.Message{}, usageErrorf("--channel needs --as PERSON: whose question is it?")
	}
	who, err := audience.ParseRef(person)
	if err == nil {
		err = checkPlatform(who)
	}
	if err != nil {
		return bot.Message{}, usageErrorf("--as: %v", err)
	}
	msg := bot.Message{Platform: who.Platform, Workspace: who.Workspace, User: who.ID, Text: question, Direct: true, Channel: "direct"}
	if channel == "" {
		return msg, nil
	}
	where, err := audience.ParseRef(channel)
	if err == nil {
		err = checkPlatform(where)
	}
	if err != nil {
		return bot.Message{}, usageErrorf("--channel: %v", err)
	}
	if where.Platform != who.Platform || (who.Workspace != "" && where.Workspace != "" && who.Workspace != where.Workspace) {
		return bot.Message{}, usageErrorf("--as %s and --channel %s are on different platforms or workspaces", person, channel)
	}
	msg.Direct, msg.Channel = false, where.ID
	if msg.Workspace == "" {
		msg.Workspace = where.Workspace
	}
	allowed := true
	switch where.Platform {
	case "slack":
		settings, err := slack.ParseChannels(a.getenv(slack.EnvChannels))
		if err != nil {
			return bot.Message{}, &exitError{code: ExitUsage, err: err}
		}
		if len(settings) > 0 {
			s, ok := settings[where.ID]
			allowed, msg.Collections = ok, s.Collections
		}
	case "discord":
		if v := a.getenv(discord.EnvSettings); v != "" {
			var s discord.Settings
			if err := json.Unmarshal([]byte(v), &s); err != nil {
				return bot.Message{}, usageErrorf("%s: not valid settings JSON: %v", discord.EnvSettings, err)
			}
			// Which guild a channel belongs to is Discord's to say; the
			// workspace of --channel (or --as) names it here.
			allowed, msg.Collections = s.Place(msg.Workspace, where.ID)
		}
	}
	if !allowed {
		return bot.Message{}, usageErrorf("Lore does not answer in %s: its settings leave that channel out", channel)
	}
	return msg, nil
}

// citationLine shows a source on one line, without the control characters
// a document's title or path could hold.
func citationLine(c bot.Citation) string {
	s := oneLine(c.Title)
	if h := oneLine(c.Heading); h != "" {
		s += " › " + h
	}
	return s + " — " + oneLine(c.Source)
}

// unrecordedText is the reply to a question asked as person, which is not
// recorded: it says so instead of claiming the question was noted.
func unrecordedText(text, person string) string {
	return strings.Replace(text, knowledge.GapNotedText, "Asked as "+person+": nothing was recorded", 1)
}

// unrecorded is an event log that keeps nothing, for answers given as
// someone else (lore ask --as).
type unrecorded struct{}

func (unrecorded) RecordEvent(context.Context, store.Event) error { return nil }
func (unrecorded) Events(context.Context, store.EventFilter) ([]store.Event, error) {
	return nil, nil
}
