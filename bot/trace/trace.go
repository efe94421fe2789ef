// Package trace carries a request id through the handling of one message
// or event, from the adapter that received it through the core to the
// store, and puts it on every log line written with that context, so that
// one question's path can be followed across a replica's logs.
package trace

import (
	"context"
	"crypto/rand"
	"log/slog"
)

type key struct{}

// WithRequestID returns ctx carrying id. Adapters use the platform's own
// id where there is one (a Slack event_id, a Discord interaction id), so
// that Lore's logs and the platform's name the same event.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// RequestID returns ctx's request id, or "" when it has none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}

// Ensure returns ctx with a request id, adding a new random one when it
// has none.
func Ensure(ctx context.Context) context.Context {
	if RequestID(ctx) != "" {
		return ctx
	}
	return WithRequestID(ctx, rand.Text()[:16])
}

// Handler wraps h so that records logged with a context carrying a request
// id get a request_id attribute.
func Handler(h slog.Handler) slog.Handler { return handler{h} }

type handler struct{ slog.Handler }

func (h handler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return handler{h.Handler.WithAttrs(attrs)}
}

func (h handler) WithGroup(name string) slog.Handler {
	return handler{h.Handler.WithGroup(name)}
}
