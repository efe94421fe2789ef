package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/lorehq/lore/adapters/discord"
	"github.com/lorehq/lore/adapters/slack"
	"github.com/lorehq/lore/adapters/web"
)

// adapterDrainTimeout bounds how long answers in flight may take to finish
// once lore serve stops.
var adapterDrainTimeout = 20 * time.Second

// chatAdapters are the chat platforms lore serve connects, and how to stop
// them.
type chatAdapters struct {
	names   []string
	wg      sync.WaitGroup
	stops   []func()
	closers []func() error
}

// chatSettingsErrors checks the settings of every chat adapter whose token
// is set, as lore serve will read them: a token without what its mode needs
// (Slack's app token in Socket Mode, its signing secret in HTTP mode,
// Discord's application id) is named before anything starts. Tokens are
// never echoed.
func (a *app) chatSettingsErrors() error {
	var errs []error
	if a.getenv(slack.EnvBotToken) != "" {
		if _, err := slack.ConfigFromEnv(a.getenv); err != nil {
			errs = append(errs, fmt.Errorf("slack configuration:\n%w", err))
		}
	}
	if a.getenv(discord.EnvToken) != "" {
		if _, err := discord.ConfigFromEnv(a.getenv); err != nil {
			errs = append(errs, fmt.Errorf("discord configuration:\n%w", err))
		}
	}
	return errors.Join(errs...)
}

// startAdapters connects every chat adapter whose token is configured,
// mounts their HTTP endpoints on mux and their readiness on health. Each
// adapter runs until ctx ends.
func (a *app) startAdapters(ctx context.Context, svc *services, mux *http.ServeMux, health *web.Health) (*chatAdapters, error) {
	ca := &chatAdapters{}
	if a.getenv(slack.EnvBotToken) != "" {
		cfg, err := slack.ConfigFromEnv(a.getenv)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: fmt.Errorf("slack configuration:\n%w", err)}
		}
		cfg.Logger = a.log
		sl, err := slack.New(cfg, measuredCore{svc.bot}, slack.Deps{Claims: svc.store, People: svc.store, Documents: svc.store, Joins: svc.bot,
			Commands: slackCommands(slackWordCommands(svc.bot, privacyWords), slackWordCommands(svc.bot, curationWords)), Saves: svc.bot})
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		health.Add("slack", sl.Ready)
		svc.router.add("slack", sl.SendDirect)
		svc.router.addThreaded("slack", sl.SendDirectThread)
		svc.rosters.add("slack", sl.ChannelMembers)
		svc.directory.SetPlatform("slack", sl)
		svc.digests.add("slack", sl)
		ca.names = append(ca.names, "slack ("+string(cfg.Mode)+" mode)")
		wait := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), adapterDrainTimeout)
			defer cancel()
			return sl.Wait(ctx)
		}
		if cfg.Mode == slack.ModeHTTP {
			// A wrong token fails at start rather than at the first event.
			if err := sl.Identify(ctx); err != nil {
				return nil, fmt.Errorf("slack: %w", err)
			}
			mux.Handle("/slack/", sl.Handler())
			ca.closers = append(ca.closers, wait)
		} else {
			ca.run(ctx, a, "slack", sl.Run, wait)
		}
	}
	if a.getenv(discord.EnvToken) != "" {
		cfg, err := discord.ConfigFromEnv(a.getenv)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: fmt.Errorf("discord configuration:\n%w", err)}
		}
		cfg.Logger = a.log
		cfg.Subcommands = append(cfg.Subcommands, discordWordSubcommands(privacyWords)...)
		cfg.Subcommands = append(cfg.Subcommands, discordWordSubcommands(curationWords)...)
		d, err := discord.New(cfg, measuredCore{svc.bot}, discord.Deps{Claims: svc.claims, Joins: svc.bot, Saves: svc.bot})
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		if cfg.PublicKey != "" {
			mux.Handle("POST /discord/interactions", d.Handler())
		}
		health.Add("discord", d.Ready)
		svc.router.add("discord", d.SendDirect)
		svc.router.addThreaded("discord", d.SendDirectThread)
		svc.router.setDedupeWindow("discord", discord.DedupeWindow)
		svc.rosters.add("discord", d.ChannelMembers)
		svc.directory.SetPlatform("discord", d)
		svc.digests.add("discord", d)
		ca.names = append(ca.names, "discord")
		ca.run(ctx, a, "discord", d.Run, d.Close)
	}
	svc.messenger.set(svc.router)
	return ca, nil
}

// slackCommands merges the /lore subcommands of several capabilities.
func slackCommands(sets ...map[string]slack.Command) map[string]slack.Command {
	out := map[string]slack.Command{}
	for _, set := range sets {
		maps.Copy(out, set)
	}
	return out
}

// run starts one adapter's Run in the background; stop waits for it.
func (ca *chatAdapters) run(ctx context.Context, a *app, name string, run func(context.Context) error, closeFn func() error) {
	ctx, cancel := context.WithCancel(ctx)
	ca.wg.Go(func() {
		if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.ErrorContext(ctx, "chat adapter stopped", "adapter", name, "err", err)
		}
	})
	ca.stops = append(ca.stops, func() { cancel() })
	ca.closers = append(ca.closers, closeFn)
}

// stop disconnects every adapter and waits for the answers in flight.
func (ca *chatAdapters) stop() {
	for _, s := range ca.stops {
		s()
	}
	ca.wg.Wait()
	for _, c := range ca.closers {
		_ = c()
	}
}
