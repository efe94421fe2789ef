package nudges

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/nudges/track"
	"github.com/lorehq/lore/store"
)

// ActionQuizAnswer is the id of a quiz option button; its value is
// "DELIVERY|TRACK|CARD|OPTION" (or, when that is too long, "DELIVERY|KEY|
// OPTION"), so a press names exactly what was asked and an old or repeated
// press is recognised.
const ActionQuizAnswer = "quiz_answer"

// maxButtonValue bounds a quiz button's value, so that it fits what chat
// platforms carry back on a press (Discord's custom_id holds 100
// characters with the adapter's prefix and the action id). A longer value
// names the card by cardKey instead: "DELIVERY|KEY|OPTION".
const maxButtonValue = 64

// cardKey names a card of a delivery in a few characters.
func cardKey(trackID, cardID string) string {
	h := sha256.Sum256([]byte(trackID + "/" + cardID))
	return "~" + hex.EncodeToString(h[:6])
}

// sentCard is a card of a delivery with the track version it was sent in.
type sentCard struct {
	store.DeliveryCard
	card  track.Card
	track track.Track
}

// render turns a delivery's cards into one message. Cards that no longer
// load (a track removed since planning) are left out.
func (s *Service) render(ctx context.Context, id string, planned []store.DeliveryCard) (bot.Reply, []sentCard) {
	var (
		b     strings.Builder
		reply bot.Reply
		sent  []sentCard
	)
	for _, dc := range planned {
		v, err := s.tracks.get(ctx, dc.TrackID, dc.Version)
		if err != nil {
			s.log.WarnContext(ctx, "a planned card's track cannot be loaded", "track", dc.TrackID, "version", dc.Version, "err", err)
			continue
		}
		c, ok := v.Card(dc.CardID)
		if !ok {
			continue
		}
		sent = append(sent, sentCard{DeliveryCard: dc, card: c, track: v.Track})
	}
	if len(sent) == 0 {
		return reply, nil
	}
	b.WriteString("📚 **Your learning nudge**")
	if len(sent) > 1 {
		fmt.Fprintf(&b, " (%d cards)", len(sent))
	}
	b.WriteString("\n")
	for _, sc := range sent {
		c := sc.card
		fmt.Fprintf(&b, "\n_%s_", sc.track.Title)
		if sc.Review {
			b.WriteString(" · review")
		}
		b.WriteString("\n")
		switch c.Kind {
		case track.KindTip:
			fmt.Fprintf(&b, "💡 **%s**\n%s\n", c.Title, c.Text)
			if c.Link != "" {
				fmt.Fprintf(&b, "Read more: %s\n", c.Link)
			}
		case track.KindQuiz:
			fmt.Fprintf(&b, "❓ **%s**\n", c.Title)
			if c.Text != "" {
				b.WriteString(c.Text + "\n")
			}
			for i, o := range c.Options {
				fmt.Fprintf(&b, "%d. %s\n", i+1, o.Text)
			}
			if c.Multiple() {
				b.WriteString("Choose all that apply: reply `answer 1,3` with the numbers.\n")
				continue
			}
			for i, o := range c.Options {
				value := strings.Join([]string{id, sc.TrackID, c.ID, strconv.Itoa(i)}, "|")
				if len(value) > maxButtonValue {
					value = strings.Join([]string{id, cardKey(sc.TrackID, c.ID), strconv.Itoa(i)}, "|")
				}
				reply.Buttons = append(reply.Buttons, bot.Button{ID: ActionQuizAnswer, Label: buttonLabel(o.Text), Value: value})
			}
		case track.KindReflection:
			fmt.Fprintf(&b, "🤔 **%s**\n", c.Title)
			if c.Text != "" {
				b.WriteString(c.Text + "\n")
			}
			b.WriteString("Reply in this thread, or with `reflect YOUR THOUGHTS`; only you will see your answer.\n")
		}
	}
	b.WriteString("\n`nudges snooze 1d` · `nudges pause` · `nudges` for your settings")
	reply.Text = b.String()
	reply.Private = true
	return reply, sent
}

// buttonLabel fits an option on a button (Slack allows 75 characters). The
// label is the option's text alone: the card's text numbers the options
// already, and an adapter that numbers buttons itself (the terminal's
// "[N]" for /press N) would otherwise number them twice.
func buttonLabel(text string) string {
	label := text
	if r := []rune(label); len(r) > 70 {
		label = string(r[:69]) + "…"
	}
	return label
}
