package slack

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/store"
)

// homeBlocks builds the App Home tab: what Lore can do, the person's
// learning at a glance (filled in by the capabilities that add commands),
// and their settings.
func (a *Adapter) homeBlocks(ctx context.Context, team, user string) []slack.Block {
	md := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	header := func(s string) slack.Block {
		return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, s, true, false))
	}
	blocks := []slack.Block{
		header("What Lore can do"),
		slack.NewSectionBlock(md(strings.Join([]string{
			"I answer questions from the company knowledge base, always with sources.",
			"• *Ask me here* in the Messages tab, or mention me in a channel; follow-ups in my threads need no mention.",
			"• `/lore ask QUESTION` answers privately, with a button to share the answer.",
			"• Rate answers with 👍 / 👎, or press *Ask a person* when you need a human.",
		}, "\n")), nil, nil),
		slack.NewDividerBlock(),
		header("Your learning"),
	}
	names := make([]string, 0, len(a.deps.Commands))
	for name := range a.deps.Commands {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) == 0 {
		blocks = append(blocks, slack.NewSectionBlock(md("Nothing here yet: learning paths, nudges and digests appear here once they are enabled."), nil, nil))
	} else {
		var lines []string
		for _, n := range names {
			lines = append(lines, fmt.Sprintf("• `/lore %s`: %s", n, Escape(a.deps.Commands[n].Summary)))
		}
		blocks = append(blocks, slack.NewSectionBlock(md(strings.Join(lines, "\n")), nil, nil))
	}

	tz := "not known yet"
	p, err := a.deps.People.Person(ctx, Platform, team, user)
	switch {
	case err == nil && p.TimeZone != "":
		tz = "`" + Escape(p.TimeZone) + "`"
	case err != nil && !errors.Is(err, store.ErrNotFound):
		a.log.WarnContext(ctx, "loading a person failed", "user", user, "err", err)
	}
	blocks = append(blocks,
		slack.NewDividerBlock(),
		header("Settings"),
		slack.NewSectionBlock(
			md("*Time zone:* "+tz+"\nReminders are sent in your working hours; I take the zone from your Slack profile."),
			nil,
			slack.NewAccessory(button(actionRefreshTZ, "Update from my profile", "")),
		),
	)
	return blocks
}

// publishHome shows the App Home tab to user (views.publish).
func (a *Adapter) publishHome(ctx context.Context, team, user string) {
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: a.homeBlocks(ctx, team, user)}}
	_ = a.call(ctx, "views.publish", func(ctx context.Context) error {
		_, err := a.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: view})
		return err
	})
}
