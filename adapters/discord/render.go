package discord

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/lorehq/lore/adapters/internal/textcut"
	"github.com/lorehq/lore/bot"
)

// Discord's limits on one message, in characters. Lengths are counted in
// UTF-16 code units, which is never less than Discord's own count.
const (
	maxContent          = 2000
	maxEmbeds           = 10
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedTotal       = 6000
	maxButtonLabel      = 80
	maxButtonsPerRow    = 5
	maxRows             = 5
	// maxMessages bounds how many messages one reply becomes; a longer
	// answer is cut with a note rather than flooding the channel.
	maxMessages = 10
	// maxSnippet keeps a source embed to a glance.
	maxSnippet = 300
)

// outMessage is one Discord message of a rendered reply.
type outMessage struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
}

// noMentions is allowed_mentions with nothing allowed: whatever the text
// says, no one is pinged.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// render turns a reply into the messages that show it: the text split at
// Discord's content limit, then the sources as embeds (ten at most per
// message), and the buttons on the last message (25 at most; more continue
// on a further message).
func render(r bot.Reply) []outMessage {
	var msgs []outMessage
	for _, chunk := range splitText(renderMarkdown(strings.TrimSpace(r.Text)), maxContent) {
		msgs = append(msgs, outMessage{Content: chunk})
	}
	if len(msgs) > maxMessages {
		msgs = msgs[:maxMessages]
		last := &msgs[maxMessages-1]
		last.Content = truncate(last.Content, maxContent-len(shortened)) + shortened
	}
	embeds := sourceEmbeds(r.Citations)
	for len(embeds) > 0 {
		if len(msgs) == 0 || !fits(msgs[len(msgs)-1], embeds[0]) {
			msgs = append(msgs, outMessage{})
		}
		last := &msgs[len(msgs)-1]
		last.Embeds = append(last.Embeds, embeds[0])
		embeds = embeds[1:]
	}
	// Five rows at most on a message: further buttons continue on another.
	for rows := buttonRows(r.Buttons); len(rows) > 0; {
		if len(msgs) == 0 || len(msgs[len(msgs)-1].Components) > 0 {
			msgs = append(msgs, outMessage{})
		}
		n := min(len(rows), maxRows)
		msgs[len(msgs)-1].Components = rows[:n]
		rows = rows[n:]
	}
	if len(msgs) == 0 {
		msgs = append(msgs, outMessage{Content: "…"})
	}
	return msgs
}

const shortened = "\n… (answer shortened)"

// fits reports whether one more embed may join m.
func fits(m outMessage, e *discordgo.MessageEmbed) bool {
	if len(m.Embeds) >= maxEmbeds {
		return false
	}
	total := embedSize(e)
	for _, x := range m.Embeds {
		total += embedSize(x)
	}
	return total <= maxEmbedTotal
}

func embedSize(e *discordgo.MessageEmbed) int {
	return units(e.Title) + units(e.Description)
}

// sourceEmbeds renders one embed per citation: its number and title, a link
// when the source is a web address, and the cited passage.
func sourceEmbeds(cs []bot.Citation) []*discordgo.MessageEmbed {
	var out []*discordgo.MessageEmbed
	for i, c := range cs {
		n := c.N
		if n <= 0 {
			n = i + 1
		}
		title := escapeLine(c.Title)
		if title == "" {
			title = escapeLine(c.DocID)
		}
		if h := escapeLine(c.Heading); h != "" {
			title += " › " + h
		}
		e := &discordgo.MessageEmbed{Title: truncate("["+strconv.Itoa(n)+"] "+title, maxEmbedTitle)}
		var desc []string
		if link, ok := webLink(c.Source); ok {
			e.URL = link
		} else if src := escapeLine(c.Source); src != "" {
			desc = append(desc, "`"+strings.ReplaceAll(src, "`", "'")+"`")
		}
		if snip := escapeLine(unmaskLinks(c.Snippet)); snip != "" {
			desc = append(desc, truncate(snip, maxSnippet))
		}
		e.Description = truncate(strings.Join(desc, "\n"), maxEmbedDescription)
		out = append(out, e)
	}
	return out
}

// webLink returns source when it is an http or https address Discord can
// link to.
func webLink(source string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(source))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	s := u.String()
	if len(s) > 2048 {
		return "", false
	}
	return s, true
}

// buttonRows renders the reply's buttons. A button whose action cannot be
// encoded within Discord's custom_id limit is left out rather than sent
// with a value that would not round-trip.
func buttonRows(bs []bot.Button) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	var row discordgo.ActionsRow
	for _, b := range bs {
		id, ok := encodeCustomID(b.ID, b.Value)
		if !ok {
			continue
		}
		label := truncate(escapeLine(b.Label), maxButtonLabel)
		if label == "" {
			label = b.ID
		}
		style := discordgo.SecondaryButton
		if b.ID == bot.ActionAskPerson {
			style = discordgo.PrimaryButton
		}
		row.Components = append(row.Components, discordgo.Button{Label: label, Style: style, CustomID: id})
		if len(row.Components) == maxButtonsPerRow {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// splitText cuts s into pieces of at most limit units, preferring to cut
// between paragraphs, then lines, then sentences, then words. A code block
// cut in two is closed at the end of one piece and reopened in the next, so
// each piece renders on its own.
func splitText(s string, limit int) []string {
	const fence, closeFence = "```", "\n```"
	var out []string
	open := false
	for s != "" {
		prefix := ""
		if open {
			prefix = fence + "\n"
		}
		room := limit - units(prefix)
		if units(s) <= room {
			out = append(out, prefix+s)
			break
		}
		cut := cutPoint(s, room-units(closeFence))
		piece := prefix + strings.TrimRight(s[:cut], " \n")
		s = strings.TrimLeft(s[cut:], " \n")
		open = strings.Count(piece, fence)%2 == 1
		if open {
			piece += closeFence
		}
		out = append(out, piece)
	}
	return out
}

// cutPoint returns the byte offset at which to cut s so that s[:cut] is at
// most room units and ends at the best boundary available.
func cutPoint(s string, room int) int {
	max, n := 0, 0
	for i, r := range s {
		w := 1
		if r >= 0x10000 {
			w = 2
		}
		if n+w > room {
			break
		}
		n += w
		max = i + utf8.RuneLen(r)
	}
	if max == 0 {
		_, size := utf8.DecodeRuneInString(s)
		return size
	}
	// Keep an emoji sequence, a flag or a letter and its accent whole,
	// unless the first grapheme alone is longer than room.
	if g := textcut.GraphemeStart(s, max); g > 0 {
		max = g
	}
	window := s[:max]
	for _, sep := range []string{"\n\n", "\n", ". ", " "} {
		// A boundary in the first half would leave a piece too short to
		// be worth it.
		if i := strings.LastIndex(window, sep); i > max/2 {
			return i + len(sep)
		}
	}
	return max
}

// truncate shortens s to at most n units, ending with an ellipsis when cut.
func truncate(s string, n int) string {
	if units(s) <= n {
		return s
	}
	return s[:cutPoint(s, n-1)] + "…"
}

// units is the length of s in UTF-16 code units.
func units(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
