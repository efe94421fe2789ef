package slack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// pacer queues Web API calls so that a burst is spread out rather than
// lost: at most a fixed number are in flight, and when Slack answers 429 it
// holds every call until the Retry-After has passed and then retries the
// refused one. Slack's limits are per method and workspace; pausing all
// calls on any 429 is coarser than needed but never makes things worse.
// A server error (5xx) is retried too, after a back-off of its own, since
// it says nothing about other calls.
type pacer struct {
	slots   chan struct{}
	mu      sync.Mutex
	until   time.Time // no call starts before this
	retries int       // attempts after the first for one call
	// serverBackoff is the wait after a call's first server error,
	// doubled after each further one.
	serverBackoff time.Duration
	sleep         func(ctx context.Context, d time.Duration) error
	now           func() time.Time
}

// maxServerRetries bounds the retries of one call after server errors: a
// Slack outage longer than the back-off's minute or so is reported.
const maxServerRetries = 6

func newPacer(concurrent int) *pacer {
	return &pacer{
		slots:         make(chan struct{}, concurrent),
		retries:       20,
		serverBackoff: time.Second,
		sleep:         sleepCtx,
		now:           time.Now,
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do runs call, waiting for a slot and for any rate-limit pause, and
// retries it after each 429 until it succeeds, fails otherwise, or the
// context ends.
func (p *pacer) do(ctx context.Context, method string, call func(ctx context.Context) error) error {
	serverErrors := 0
	for attempt := 0; ; attempt++ {
		// The slot is taken before the pause is checked, so a call queued
		// for a slot cannot slip out after another call's 429.
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			return fmt.Errorf("slack %s: %w", method, ctx.Err())
		}
		if err := p.wait(ctx); err != nil {
			<-p.slots
			return fmt.Errorf("slack %s: %w", method, err)
		}
		err := redactURL(call(ctx))
		<-p.slots
		var rl *slack.RateLimitedError
		var status slack.StatusCodeError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &status) && status.Code >= 500 && serverErrors < maxServerRetries:
			// A 5xx on chat.postMessage may, rarely, have posted: a
			// possible double beats a certain loss.
			if err := p.sleep(ctx, p.serverBackoff<<serverErrors); err != nil {
				return fmt.Errorf("slack %s: %w", method, err)
			}
			serverErrors++
			continue
		case !errors.As(err, &rl):
			return fmt.Errorf("slack %s: %w", method, err)
		}
		if attempt >= p.retries {
			return fmt.Errorf("slack %s: still rate limited after %d retries: %w", method, attempt, err)
		}
		p.hold(max(rl.RetryAfter, time.Second))
	}
}

func (p *pacer) hold(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := p.now().Add(d); until.After(p.until) {
		p.until = until
	}
}

func (p *pacer) wait(ctx context.Context) error {
	for {
		p.mu.Lock()
		d := p.until.Sub(p.now())
		p.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := p.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// redactedError is an error whose message no longer shows the address it
// was about; errors.Is and errors.As still see the original.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactURL hides the path and query of the address in a failed request's
// error. A response_url or a file upload address is a credential: whoever
// holds it may post as Lore for a while, so it must not reach a log.
func redactURL(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) || ue.URL == "" {
		return err
	}
	shown := "the address"
	if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
		shown = u.Scheme + "://" + u.Host + "/…"
	}
	return &redactedError{err: err, msg: strings.ReplaceAll(err.Error(), ue.URL, shown)}
}
