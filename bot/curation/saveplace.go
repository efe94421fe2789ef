package curation

import (
	"context"
	"slices"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge/audience"
	"github.com/lorehq/lore/store"
)

// saveCollection is where a saved answer goes. An answer from a channel
// everyone may read joins the suggestions collection, open to everyone
// once approved. One from anywhere else (a private channel, a channel
// shared with another organisation, or one the adapter could not check)
// would otherwise reach, with one approval, people who could never read
// it: it goes to a collection of that channel's own, whose audience is the
// channel, until a curator decides otherwise (lore collections set).
func (s *Service) saveCollection(ctx context.Context, req bot.SaveRequest) (name string, r bot.Reply, failed bool) {
	if req.Public {
		return s.cfg.SuggestionsCollection, bot.Reply{}, false
	}
	name = s.cfg.SuggestionsCollection + "." + req.Platform + "." + req.Channel
	existing, err := s.cfg.Store.ListCollections(ctx)
	if err != nil {
		r = s.failed(ctx, "saving the draft", err)
		r.Private = true
		return "", r, true
	}
	if slices.ContainsFunc(existing, func(c store.Collection) bool { return c.Name == name }) {
		return name, bot.Reply{}, false // a curator's settings stand
	}
	channel := audience.Audience{Channels: []audience.Ref{{Platform: req.Platform, Workspace: req.Workspace, ID: req.Channel}}}
	if _, err := audience.Parse(channel.String()); err != nil || req.Channel == "" {
		return "", bot.Reply{Text: "I couldn't tell which channel this came from, so I saved nothing.", Private: true}, true
	}
	if err := s.cfg.Store.SetCollection(ctx, store.Collection{Name: name, Audience: channel.String(), Approval: true}); err != nil {
		r = s.failed(ctx, "saving the draft", err)
		r.Private = true
		return "", r, true
	}
	return name, bot.Reply{}, false
}
