package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot/engagement"
)

var _ engagement.Sender = (*Adapter)(nil)

// chartAlt describes the digest's chart for screen readers.
const chartAlt = "Active learners and questions per day over eight weeks"

// digestImageWaits are the pauses before posting the digest again when
// Slack has not finished processing the chart just uploaded and refuses
// the image block (invalid_blocks). After the last, the digest goes out
// without its chart rather than not at all.
var digestImageWaits = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// SendDigest implements engagement.Sender: the leader's weekly digest as
// a Block Kit message, in a direct message with the leader
// (conversations.open) or in a channel. The chart is uploaded first
// (files.getUploadURLExternal, the upload, files.completeUploadExternal
// without sharing it anywhere), and an image block shows it by file id.
// All text from documents and people is escaped.
func (a *Adapter) SendDigest(ctx context.Context, to engagement.Destination, m engagement.Message) error {
	if to.Platform != Platform {
		return fmt.Errorf("send digest: destination is on %q, not slack", to.Platform)
	}
	channel, err := a.digestChannel(ctx, to)
	if err != nil {
		return fmt.Errorf("send digest: %w", err)
	}
	fileID := ""
	// A withheld digest shows no figures, so no chart either.
	if len(m.Chart) > 0 && !m.Digest.Withheld {
		if fileID, err = a.uploadChart(ctx, m); err != nil {
			return fmt.Errorf("send digest: upload chart: %w", err)
		}
	}
	fallback := truncate(plain(digestTitle(m.Digest)), maxFallback)
	for attempt := 0; ; attempt++ {
		_, err = a.post(ctx, channel, "", slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(digestBlocks(m.Digest, fileID)...))
		if err == nil || fileID == "" || !isInvalidBlocks(err) {
			break
		}
		if attempt == len(digestImageWaits) {
			a.log.WarnContext(ctx, "the digest's chart was not ready in time; sending the digest without it", "file", fileID)
			fileID = ""
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("send digest: %w", ctx.Err())
		case <-time.After(digestImageWaits[attempt]):
		}
	}
	if err != nil {
		return fmt.Errorf("send digest: %w", err)
	}
	return nil
}

func isInvalidBlocks(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err == "invalid_blocks"
	}
	return strings.Contains(err.Error(), "invalid_blocks")
}

// digestChannel is where a digest goes: the leader's direct message with
// Lore, or the channel named.
func (a *Adapter) digestChannel(ctx context.Context, to engagement.Destination) (string, error) {
	switch {
	case to.User != "" && to.Channel != "":
		return "", errors.New("destination names both a user and a channel")
	case to.Channel != "":
		if !channelIDPattern.MatchString(to.Channel) {
			return "", fmt.Errorf("%q is not a Slack channel id", to.Channel)
		}
		return to.Channel, nil
	case to.User == "":
		return "", errors.New("destination names no user or channel")
	case !userIDPattern.MatchString(to.User):
		return "", fmt.Errorf("%q is not a Slack user id", to.User)
	}
	var channel string
	err := a.call(ctx, "conversations.open", func(ctx context.Context) error {
		ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{to.User}, ReturnIM: true})
		if err != nil {
			return err
		}
		channel = ch.ID
		return nil
	})
	return channel, err
}

// chartFileName keeps an upload's name to safe characters.
var chartFileName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// uploadChart uploads the chart without sharing it and returns its file
// id, which the digest's image block refers to.
func (a *Adapter) uploadChart(ctx context.Context, m engagement.Message) (string, error) {
	name := chartFileName.ReplaceAllString(m.ChartName, "-")
	if name == "" || name == "-" {
		name = "lore-digest.png"
	}
	var up *slack.GetUploadURLExternalResponse
	if err := a.call(ctx, "files.getUploadURLExternal", func(ctx context.Context) (err error) {
		up, err = a.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{
			FileName: name, FileSize: len(m.Chart), AltTxt: chartAlt,
		})
		return err
	}); err != nil {
		return "", err
	}
	if err := a.call(ctx, "files.upload", func(ctx context.Context) error {
		return a.api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: up.UploadURL, Reader: bytes.NewReader(m.Chart), Filename: name})
	}); err != nil {
		return "", err
	}
	if err := a.call(ctx, "files.completeUploadExternal", func(ctx context.Context) error {
		_, err := a.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files: []slack.FileSummary{{ID: up.FileID, Title: "Lore weekly digest"}},
		})
		return err
	}); err != nil {
		return "", err
	}
	return up.FileID, nil
}

// digestTitle is the digest's one-line summary, also the notification
// text.
func digestTitle(d engagement.Digest) string {
	return fmt.Sprintf("Lore weekly digest, %s to %s", d.Since.Format("2 Jan"), d.Until.Add(-time.Second).Format("2 Jan 2006"))
}

// Lengths kept of text from people and documents in a digest.
const (
	maxDigestQuestion = 200
	maxDigestTitle    = 150
	maxDigestOwner    = 80
)

// digestBlocks lays the digest out: a header, the five figures as
// fields, the chart (when uploaded), the content gaps and the documents
// to review.
func digestBlocks(d engagement.Digest, chartFile string) []slack.Block {
	header := slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Lore weekly digest", false, false), slack.HeaderBlockOptionBlockID("digest_header"))
	period := slack.NewContextBlock("digest_period", slack.NewTextBlockObject(slack.MarkdownType,
		Escape(fmt.Sprintf("%s to %s", d.Since.Format("Mon 2 Jan"), d.Until.Add(-time.Second).Format("Mon 2 Jan 2006"))), false, true))
	blocks := []slack.Block{header, period}
	if d.Withheld {
		return append(blocks, section("digest_withheld", Escape(d.WithheldText())))
	}
	fields := make([]*slack.TextBlockObject, 0, len(d.Headline))
	for _, f := range d.Headline {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType,
			fmt.Sprintf("*%s*\n%s (%s)", Escape(f.Label), Escape(engagement.FormatValue(f)), Escape(engagement.FormatChange(f))), false, true))
	}
	if len(fields) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil, slack.SectionBlockOptionBlockID("digest_figures")))
	}
	if note := d.Note(); note != "" {
		blocks = append(blocks, slack.NewContextBlock("digest_days_left_out", slack.NewTextBlockObject(slack.MarkdownType, Escape(note), false, true)))
	}
	if chartFile != "" {
		blocks = append(blocks, slack.NewImageBlockSlackFile(&slack.SlackFileObject{ID: chartFile}, chartAlt, "digest_chart",
			slack.NewTextBlockObject(slack.PlainTextType, "Active learners and questions per day", false, false)))
	}
	if len(d.Gaps) > 0 || d.GapsWithheld > 0 {
		var b strings.Builder
		b.WriteString("*Top content gaps*")
		for _, g := range d.Gaps {
			fmt.Fprintf(&b, "\n• “%s”, asked %s", Escape(truncate(oneLine(g.Question), maxDigestQuestion)), engagement.Times(g.Count))
			if g.Owner != "" {
				fmt.Fprintf(&b, ", suggested owner %s", Escape(truncate(oneLine(g.Owner), maxDigestOwner)))
			}
		}
		if d.GapsWithheld > 0 {
			fmt.Fprintf(&b, "\n• %s", Escape(engagement.WithheldGaps(d.GapsWithheld)))
		}
		blocks = append(blocks, section("digest_gaps", truncate(b.String(), maxSectionText)))
	}
	if len(d.Review) > 0 {
		var b strings.Builder
		b.WriteString("*Documents to review*")
		for _, u := range d.Review {
			title := u.Title
			if title == "" {
				title = u.ID
			}
			fmt.Fprintf(&b, "\n• %s: cited %s, %d 👎", Escape(truncate(oneLine(title), maxDigestTitle)), engagement.Times(u.Citations), u.Unhelpful)
		}
		blocks = append(blocks, section("digest_review", truncate(b.String(), maxSectionText)))
	}
	return blocks
}

// oneLine folds line breaks, so that text from people stays within its
// bullet.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
