package slack

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack/socketmode"
)

// Run connects over Socket Mode and handles deliveries until ctx ends. It
// looks up the bot's identity first, so a wrong bot token fails at once.
// Each delivery is acknowledged before it is worked on; Socket Mode
// reconnects on its own after network trouble. Work in flight when ctx
// ends is cancelled only after WorkTimeout; call Wait to let it finish.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.Mode != ModeSocket {
		return fmt.Errorf("slack: Run is for socket mode; in %s mode serve Handler", a.cfg.Mode)
	}
	if err := a.Identify(ctx); err != nil {
		return err
	}
	smc := socketmode.New(a.api, socketmode.OptionLog(discardLogger{}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- smc.RunContext(ctx) }()
	for {
		select {
		case err := <-errc:
			if errors.Is(err, context.Canceled) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack socket mode: %w", err)
		case evt := <-smc.Events:
			a.onSocketEvent(ctx, smc, evt)
		}
	}
}

func (a *Adapter) onSocketEvent(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.socketUp.Store(true)
		a.log.InfoContext(ctx, "socket mode connected")
		return
	case socketmode.EventTypeConnecting:
		a.socketUp.Store(false)
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		a.socketUp.Store(false)
		a.log.WarnContext(ctx, "socket mode trouble; reconnecting", "type", string(evt.Type), "err", evt.Data)
		return
	case socketmode.EventTypeInvalidAuth:
		a.socketUp.Store(false)
		a.log.ErrorContext(ctx, "socket mode refused the app-level token (invalid_auth)")
		return
	case socketmode.EventTypeErrorBadMessage:
		a.log.WarnContext(ctx, "socket mode delivery could not be read; Slack will retry it")
		return
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
	default:
		return
	}
	if evt.Request == nil {
		return
	}
	req := *evt.Request
	ack := func() {
		if err := smc.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
			a.log.WarnContext(ctx, "acknowledging a delivery failed", "err", err)
		}
	}
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		env, err := parseEnvelope(req.Payload)
		if err != nil {
			ack() // a malformed event would be malformed again
			a.log.WarnContext(ctx, "event dropped", "err", err)
			return
		}
		if env.Type != envelopeEvent {
			if env.Type == envelopeRateLimited {
				a.rateLimited(ctx, env)
			}
			ack()
			return
		}
		// Checked before it is acknowledged: without the database the
		// event is left unacknowledged, and Slack delivers it again. It
		// is claimed once acknowledged (claimEvent).
		done, err := a.admit(ctx, env)
		if err != nil {
			return
		}
		fresh, err := a.checkEvent(ctx, env)
		if err != nil {
			done()
			return
		}
		ack()
		if !fresh {
			done()
			return
		}
		a.background(ctx, "event", func(ctx context.Context) {
			defer done()
			if a.claimEvent(ctx, env) {
				a.handleEnvelope(ctx, env)
			}
		})
	case socketmode.EventTypeSlashCommand:
		ack()
		c, err := parseCommandJSON(req.Payload)
		if err != nil {
			a.log.WarnContext(ctx, "slash command dropped", "err", err)
			return
		}
		a.background(ctx, "command", func(ctx context.Context) { a.handleCommand(ctx, c) })
	case socketmode.EventTypeInteractive:
		ack()
		in, err := parseInteractionJSON(req.Payload)
		if err != nil {
			a.log.WarnContext(ctx, "interaction dropped", "err", err)
			return
		}
		a.background(ctx, "interaction", func(ctx context.Context) { a.handleInteraction(ctx, in) })
	}
}
