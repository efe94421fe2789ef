package discord

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// commandName is the one top-level slash command; everything Lore does is a
// subcommand of it, so Lore takes one name in a server's command list.
const commandName = "lore"

// Subcommand is a /lore subcommand. Using it sends the core the message
// "Name Option-value", the same text a person could type, so a capability
// that understands a chat command gets its slash command by adding one
// Subcommand (learn, nudges, connect, profile, digest, ...).
type Subcommand struct {
	Name        string // lower case, 1-32 letters, digits, - or _
	Description string // 1-100 characters
	// Option, when set, is the name of the one text option the subcommand
	// takes; OptionDescription describes it and Required makes it
	// mandatory.
	Option            string
	OptionDescription string
	Required          bool
}

// builtinSubcommands are the subcommands the core understands today.
var builtinSubcommands = []Subcommand{
	{Name: "ask", Description: "Ask Lore a question about the knowledge base", Option: "question", OptionDescription: "Your question", Required: true},
	{Name: "help", Description: "What Lore can do"},
}

var commandWord = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

func (s Subcommand) validate() error {
	if !commandWord.MatchString(s.Name) {
		return fmt.Errorf("subcommand %q: a name is 1-32 lower-case letters, digits, - or _", s.Name)
	}
	if n := units(s.Description); n < 1 || n > 100 {
		return fmt.Errorf("subcommand %q: the description must be 1-100 characters", s.Name)
	}
	if s.Option != "" && !commandWord.MatchString(s.Option) {
		return fmt.Errorf("subcommand %q: option %q: a name is 1-32 lower-case letters, digits, - or _", s.Name, s.Option)
	}
	return nil
}

// subcommands returns the built-in subcommands followed by the configured
// ones; a configured subcommand of the same name replaces a built-in one.
func (c Config) subcommands() []Subcommand {
	out := make([]Subcommand, 0, len(builtinSubcommands)+len(c.Subcommands))
	seen := map[string]int{}
	for _, s := range append(append([]Subcommand{}, builtinSubcommands...), c.Subcommands...) {
		if i, ok := seen[s.Name]; ok {
			out[i] = s
			continue
		}
		seen[s.Name] = len(out)
		out = append(out, s)
	}
	return out
}

// applicationCommands is what Run registers with
// ApplicationCommandBulkOverwrite: /lore with its subcommands, and the
// Save to knowledge message command when withSave.
func applicationCommands(subs []Subcommand, withSave bool) []*discordgo.ApplicationCommand {
	dm := true
	// Servers and Lore's own DMs only: in a group DM or a DM between other
	// people (a user-installed app) an answer would be read by others than
	// the asker, whose own audience it was scoped to.
	contexts := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	cmd := &discordgo.ApplicationCommand{
		Name:         commandName,
		Description:  "Lore answers questions from your company's knowledge, with sources",
		Type:         discordgo.ChatApplicationCommand,
		DMPermission: &dm,
		Contexts:     contexts,
	}
	save := &discordgo.ApplicationCommand{Name: saveCommandName, Type: discordgo.MessageApplicationCommand, DMPermission: &dm, Contexts: contexts}
	for _, s := range subs {
		opt := &discordgo.ApplicationCommandOption{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        s.Name,
			Description: s.Description,
		}
		if s.Option != "" {
			desc := s.OptionDescription
			if desc == "" {
				desc = s.Option
			}
			opt.Options = []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: s.Option, Description: desc,
				Required: s.Required, MaxLength: maxQuestion,
			}}
		}
		cmd.Options = append(cmd.Options, opt)
	}
	if !withSave {
		return []*discordgo.ApplicationCommand{cmd}
	}
	return []*discordgo.ApplicationCommand{cmd, save}
}

// saveCommandName is the message context-menu command (Apps → Save to
// knowledge) that saves a colleague's answer with its question.
const saveCommandName = "Save to knowledge"

// maxQuestion is the longest option text Discord lets a person type; the
// core answers longer text with a "too long" hint anyway.
const maxQuestion = 2000

// commandText turns a /lore interaction into the chat message it stands
// for, such as "ask How do I reset my password?". ok is false for a
// command Lore did not register.
func commandText(d discordgo.ApplicationCommandInteractionData, subs []Subcommand) (string, bool) {
	if d.Name != commandName || len(d.Options) != 1 || d.Options[0] == nil {
		return "", false
	}
	sub := d.Options[0]
	for _, s := range subs {
		if s.Name != sub.Name {
			continue
		}
		text := s.Name
		if s.Option != "" {
			for _, o := range sub.Options {
				if o != nil && o.Name == s.Option {
					if v, ok := o.Value.(string); ok {
						text += " " + strings.TrimSpace(v)
					}
				}
			}
		}
		return text, true
	}
	return "", false
}
