package discord

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// APIError is a failed call to Discord, rebuilt from discordgo's error
// without the request: its URL can hold an interaction token and its
// headers the bot token.
type APIError struct {
	Op         string        // what Lore was doing, such as "send message"
	Status     int           // HTTP status; 0 when Discord was not reached
	Code       int           // Discord's JSON error code, when it sent one
	Message    string        // Discord's error message, or the network error
	RetryAfter time.Duration // for a rate limit
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("discord: " + e.Op + ": ")
	switch {
	case e.Status == 429:
		fmt.Fprintf(&b, "rate limited (retry after %s)", e.RetryAfter)
	case e.Status != 0:
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Code != 0 {
			fmt.Fprintf(&b, " code %d", e.Code)
		}
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	default:
		b.WriteString(e.Message)
	}
	return b.String()
}

// Retryable reports whether the same call may succeed later: rate limits,
// server errors and network failures. A 4xx such as "cannot send messages
// to this user" is permanent.
func (e *APIError) Retryable() bool {
	return e.Status == 0 || e.Status == 429 || e.Status >= 500
}

// apiError rebuilds err from a discordgo call as an *APIError whose text
// holds neither token; also lists further secrets to cut, such as an
// interaction's token. Context errors pass through so callers can tell a
// cancelled call.
func (a *Adapter) apiError(op string, err error, also ...string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("discord: %s: %w", op, contextErr(err))
	}
	e := &APIError{Op: op}
	var rest *discordgo.RESTError
	var rate *discordgo.RateLimitError
	var uerr *url.Error
	var nerr net.Error
	switch {
	case errors.As(err, &rate):
		e.Status = 429
		if rate.RateLimit != nil && rate.TooManyRequests != nil {
			e.RetryAfter = rate.RetryAfter
		}
	case errors.As(err, &rest):
		if rest.Response != nil {
			e.Status = rest.Response.StatusCode
		}
		if rest.Message != nil {
			e.Code, e.Message = rest.Message.Code, rest.Message.Message
		}
	case errors.As(err, &uerr):
		e.Message = uerr.Err.Error()
	case errors.As(err, &nerr):
		e.Message = nerr.Error()
	default:
		e.Message = err.Error()
	}
	e.Message = a.redact(e.Message, also...)
	return e
}

// contextErr returns the context error inside err without the rest of its
// text, which may name a URL.
func contextErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return context.Canceled
}

// redact removes the bot token and the secrets in also from text that
// came back from elsewhere.
func (a *Adapter) redact(s string, also ...string) string {
	for _, t := range append(also, a.cfg.Token.reveal()) {
		if t != "" {
			s = strings.ReplaceAll(s, t, redacted)
		}
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// retryAfter returns how long to wait before retrying err, and whether it
// is worth retrying at all.
func retryAfter(err error) (time.Duration, bool) {
	var e *APIError
	if !errors.As(err, &e) || !e.Retryable() {
		return 0, false
	}
	return e.RetryAfter, true
}
