package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/bot/engagement"
)

var _ engagement.Sender = (*Adapter)(nil)

// Embed limits (Discord's); maxEmbedDescription is with the sources' embeds.
const (
	maxEmbedFieldName  = 256
	maxEmbedFieldValue = 1024
)

// digestColor is the embed's accent.
const digestColor = 0x1f77b4

// SendDigest implements engagement.Sender: the leader's weekly digest as
// an embed, its figures as inline fields and the chart attached to the
// message and shown as the embed's image (attachment://NAME), in a direct
// message with the leader or in a channel. Text from documents and people
// is escaped and can mention no one.
//
// Unlike SendDirect, a failure is returned rather than queued here: the
// digest runs as a job that the queue retries.
func (a *Adapter) SendDigest(ctx context.Context, to engagement.Destination, m engagement.Message) error {
	if to.Platform != "discord" {
		return fmt.Errorf("discord: send digest: destination is on %q, not discord", to.Platform)
	}
	var channel string
	switch {
	case to.User != "" && to.Channel != "":
		return errors.New("discord: send digest: destination names both a user and a channel")
	case to.Channel != "":
		if !isSnowflake(to.Channel) {
			return fmt.Errorf("discord: send digest: %q is not a Discord channel id", to.Channel)
		}
		channel = to.Channel
	case to.User == "":
		return errors.New("discord: send digest: destination names no user or channel")
	case !isSnowflake(to.User):
		return fmt.Errorf("discord: send digest: %q is not a Discord user id", to.User)
	default:
		ch, err := a.dmChannel(to.User)(ctx)
		if err != nil {
			return err
		}
		channel = ch
	}
	_, err := a.session.ChannelMessageSendComplex(channel, digestMessage(m), proactive(ctx)...)
	return a.apiError("send digest", err)
}

// attachmentName keeps an attachment's name to what attachment:// URLs
// accept.
var attachmentName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// digestMessage is the digest as one message: the embed and, when there
// is a chart, the PNG it shows.
func digestMessage(m engagement.Message) *discordgo.MessageSend {
	d := m.Digest
	embed := &discordgo.MessageEmbed{
		Type:  discordgo.EmbedTypeRich,
		Title: "Lore weekly digest",
		Color: digestColor,
		Footer: &discordgo.MessageEmbedFooter{
			Text: fmt.Sprintf("%s to %s", d.Since.Format("Mon 2 Jan"), d.Until.Add(-time.Second).Format("Mon 2 Jan 2006")),
		},
	}
	send := &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{embed}, AllowedMentions: noMentions()}
	if d.Withheld {
		embed.Description = d.WithheldText()
		return send
	}
	for _, f := range d.Headline {
		embed.Fields = append(embed.Fields, &discordgo.MessageEmbedField{
			Name: truncate(escapeMarkdown(escapeLine(f.Label)), maxEmbedFieldName),
			// Lore's own figures: nothing to escape.
			Value:  fmt.Sprintf("%s (%s)", engagement.FormatValue(f), engagement.FormatChange(f)),
			Inline: true,
		})
	}
	var b strings.Builder
	if note := d.Note(); note != "" {
		// Lore's own words: nothing to escape.
		fmt.Fprintf(&b, "*%s*", note)
	}
	if len(d.Gaps) > 0 || d.GapsWithheld > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("**Top content gaps**")
		for _, g := range d.Gaps {
			fmt.Fprintf(&b, "\n- “%s”, asked %s", escapeMarkdown(truncate(escapeLine(g.Question), 200)), engagement.Times(g.Count))
			if g.Owner != "" {
				fmt.Fprintf(&b, ", suggested owner %s", escapeMarkdown(truncate(escapeLine(g.Owner), 80)))
			}
		}
		if d.GapsWithheld > 0 {
			fmt.Fprintf(&b, "\n- %s", engagement.WithheldGaps(d.GapsWithheld))
		}
	}
	if len(d.Review) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString("**Documents to review**")
		for _, u := range d.Review {
			title := u.Title
			if title == "" {
				title = u.ID
			}
			fmt.Fprintf(&b, "\n- %s: cited %s, %d 👎", escapeMarkdown(truncate(escapeLine(title), 150)), engagement.Times(u.Citations), u.Unhelpful)
		}
	}
	embed.Description = truncate(b.String(), maxEmbedDescription)
	if len(m.Chart) > 0 {
		name := attachmentName.ReplaceAllString(m.ChartName, "-")
		if name == "" || name == "-" || !strings.HasSuffix(name, ".png") {
			name = "lore-digest.png"
		}
		send.Files = []*discordgo.File{{Name: name, ContentType: "image/png", Reader: bytes.NewReader(m.Chart)}}
		embed.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + name}
	}
	return send
}

// markdownSpecial are the characters Discord's Markdown gives a meaning:
// emphasis, code, spoilers, quotes, headings, lists and masked links.
var markdownSpecial = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `~`, `\~`, `|`, `\|`,
	`>`, `\>`, `#`, `\#`, `[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`, `-`, `\-`,
)

// escapeMarkdown shows text from people and documents as written, rather
// than as Markdown (a title "[click](https://…)" stays text, not a link).
func escapeMarkdown(s string) string {
	return markdownSpecial.Replace(s)
}
