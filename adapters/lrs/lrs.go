// Package lrs forwards Lore's xAPI statements to a Learning Record Store.
//
// Statements wait in the store's outbox (store.Engagement) until the LRS
// has answered for them, so nothing is lost when the LRS or Lore is down:
// the next Flush picks up where the last one stopped. Batches go to
// POST {endpoint}/statements with X-Experience-API-Version 1.0.3 and Basic
// auth. 429 and 5xx answers and network failures are retried with
// exponential backoff (honouring Retry-After: a longer wait than the
// backoff's stops forwarding until then); a 413 splits the batch in
// two. Statement ids make forwarding idempotent: a 409 for a batch splits
// it, and a 409 for a single statement means the LRS already holds it,
// which is success. A 400 splits a batch too, down to the statement the
// LRS finds malformed, which is set aside (logged, kept in the store) so
// that it does not hold back the others for good. Redirects are not
// followed: an LRS answers where it is configured.
package lrs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lorehq/lore/knowledge/fetch"
	"github.com/lorehq/lore/store"
)

// Version is the xAPI version header every request carries.
const Version = "1.0.3"

// Outbox is where statements wait to be forwarded.
type Outbox interface {
	PendingStatements(ctx context.Context, limit int) ([]store.Statement, error)
	MarkForwarded(ctx context.Context, ids []string) error
}

var _ Outbox = store.Engagement(nil)

// Secret is a password or token; it never prints.
type Secret string

// String hides the secret from logs and error messages.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return "[redacted]" }

// LogValue hides the secret from slog, whose JSON handler would otherwise
// write the string itself.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalText hides the secret from encoding/json and the like.
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Config configures a Forwarder.
type Config struct {
	// Endpoint is the LRS's xAPI base URL; statements go to
	// Endpoint + "/statements". Required.
	Endpoint string
	Username string
	Password Secret
	// BatchSize is the most statements sent in one request; default 100.
	BatchSize int
	// MaxAttempts bounds the tries of one request on 429, 5xx and network
	// failures; default 6.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait between tries, which
	// doubles from MinBackoff with jitter; defaults 500 ms and 1 minute.
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// Client sends the requests; default one with a 30 s timeout.
	Client *http.Client
	Logger *slog.Logger // default slog.Default()
	// Sleep waits between tries; default a timer that ends with ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Clock reads the time, for Retry-After; default time.Now.
	Clock func() time.Time
}

// maxHold bounds how long a Retry-After keeps the forwarder from posting:
// a wrong header must not stop forwarding for days.
const maxHold = time.Hour

// Forwarder drains the outbox to an LRS.
type Forwarder struct {
	cfg      Config
	endpoint string
	outbox   Outbox

	mu sync.Mutex
	// notBefore is when the LRS said it takes requests again, when it
	// asked for a longer wait than MaxBackoff.
	notBefore time.Time
}

// Errors a Flush returns, wrapped with detail.
var (
	// ErrRetryLater means the LRS could not be reached or kept refusing
	// for now; the statements stay in the outbox.
	ErrRetryLater = errors.New("LRS unavailable, statements kept for later")
	// ErrRejected means the LRS refused a request for good (bad
	// credentials, a malformed statement); retrying will not help until
	// the configuration or the statement changes.
	ErrRejected = errors.New("LRS rejected the statements")
)

// New returns a Forwarder from outbox to the configured LRS.
func New(cfg Config, outbox Outbox) (*Forwarder, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("LRS endpoint: want an absolute http(s) URL")
	}
	if u.User != nil {
		return nil, errors.New("LRS endpoint: put the credentials in Username and Password, not in the URL")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(time.Minute, cfg.MinBackoff)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	// A redirect is not an LRS's answer: followed, a POST becomes a GET
	// of the target (a sign-in page, say) whose 200 would pass for
	// delivery. It is taken as the status it is, and refused.
	client := *cfg.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = &client
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Forwarder{cfg: cfg, endpoint: strings.TrimRight(cfg.Endpoint, "/") + "/statements", outbox: outbox}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// maxBlindRefusals is how many statements in a row the LRS may refuse as
// malformed, before it has accepted any in a Flush, until the Flush stops:
// an LRS that refuses everything (a proxy dropping the version header, say)
// is at fault, not the statements, which must then stay in the outbox.
const maxBlindRefusals = 5

// flushRun is what one Flush has seen of the LRS.
type flushRun struct {
	accepted int
	refused  []refusal // not yet set aside
}

// refusal is a single statement the LRS refused as malformed.
type refusal struct {
	id     string
	status int
	reason string
}

// Flush forwards every statement of the outbox, oldest first, and returns
// how many the LRS accepted. It stops at the first batch that cannot be
// delivered now, leaving it and the rest in the outbox.
//
// A statement the LRS refuses as malformed (400 or 422 for it alone) is
// set aside once the LRS has accepted another in the same Flush: it leaves
// the outbox, with an error in the log naming it and the LRS's reason, and
// stays in the store (lore export statements). Until the LRS accepts one,
// refused statements stay in the outbox and Flush returns ErrRejected.
//
// An LRS that asks for a longer wait (Retry-After) than MaxBackoff is not
// asked again before that time, up to an hour: Flush returns ErrRetryLater
// at once until then.
func (f *Forwarder) Flush(ctx context.Context) (int, error) {
	f.mu.Lock()
	notBefore := f.notBefore
	f.mu.Unlock()
	if now := f.cfg.Clock(); now.Before(notBefore) {
		return 0, fmt.Errorf("%w: the LRS asked for no request before %s", ErrRetryLater, notBefore.UTC().Format(time.RFC3339))
	}
	sent := 0
	run := &flushRun{}
	for {
		batch, err := f.outbox.PendingStatements(ctx, f.cfg.BatchSize)
		if err != nil {
			return sent, fmt.Errorf("read outbox: %w", err)
		}
		if len(batch) == 0 {
			return sent, nil
		}
		n, err := f.deliver(ctx, run, batch)
		sent += n
		if err != nil {
			return sent, err
		}
		if len(run.refused) > 0 {
			// Nothing was accepted to show that the LRS takes
			// statements at all.
			r := run.refused[0]
			return sent, fmt.Errorf("%w: HTTP %d for statement %s (%s), and the LRS has accepted none so far", ErrRejected, r.status, r.id, r.reason)
		}
	}
}

// statementRefused reports whether status refuses the statements
// themselves, rather than the request or the credentials.
func statementRefused(status int) bool {
	return status == http.StatusBadRequest || status == http.StatusUnprocessableEntity
}

// deliver sends batch, splitting it on 413, 409 and refusals, and marks
// what the LRS accepted as forwarded.
func (f *Forwarder) deliver(ctx context.Context, run *flushRun, batch []store.Statement) (int, error) {
	status, reason, err := f.post(ctx, batch)
	if err != nil {
		return 0, err
	}
	switch {
	case status == http.StatusOK || status == http.StatusNoContent ||
		(status == http.StatusConflict && len(batch) == 1):
		// 409 for one statement: the LRS holds this id already.
		ids := make([]string, len(batch))
		for i, s := range batch {
			ids[i] = s.ID
		}
		if err := f.outbox.MarkForwarded(ctx, ids); err != nil {
			return 0, fmt.Errorf("mark forwarded: %w", err)
		}
		run.accepted += len(batch)
		return len(batch), f.setAside(ctx, run)
	case (status == http.StatusRequestEntityTooLarge || status == http.StatusConflict || statementRefused(status)) && len(batch) > 1:
		half := len(batch) / 2
		n, err := f.deliver(ctx, run, batch[:half])
		if err != nil {
			return n, err
		}
		m, err := f.deliver(ctx, run, batch[half:])
		return n + m, err
	case status == http.StatusRequestEntityTooLarge:
		return 0, fmt.Errorf("%w: statement %s alone is larger than the LRS accepts (413)", ErrRejected, batch[0].ID)
	case statementRefused(status):
		run.refused = append(run.refused, refusal{id: batch[0].ID, status: status, reason: reason})
		if run.accepted == 0 && len(run.refused) >= maxBlindRefusals {
			return 0, fmt.Errorf("%w: HTTP %d for each of the first %d statements (the first %s: %s)", ErrRejected, status, len(run.refused), run.refused[0].id, run.refused[0].reason)
		}
		return 0, f.setAside(ctx, run)
	}
	return 0, fmt.Errorf("%w: HTTP %d for a batch of %d statements starting with %s", ErrRejected, status, len(batch), batch[0].ID)
}

// setAside takes the refused statements out of the outbox once the LRS has
// shown that it accepts others.
func (f *Forwarder) setAside(ctx context.Context, run *flushRun) error {
	if run.accepted == 0 || len(run.refused) == 0 {
		return nil
	}
	ids := make([]string, len(run.refused))
	for i, r := range run.refused {
		ids[i] = r.id
	}
	if err := f.outbox.MarkForwarded(ctx, ids); err != nil {
		return fmt.Errorf("set refused statements aside: %w", err)
	}
	for _, r := range run.refused {
		f.cfg.Logger.ErrorContext(ctx, "LRS refused a statement; it is not forwarded, and is kept in the store",
			"statement", r.id, "status", r.status, "reason", r.reason)
	}
	run.refused = run.refused[:0]
	return nil
}

// post sends one request, retrying 429, 5xx and network failures, and
// returns the final status with the start of the LRS's answer, for errors.
func (f *Forwarder) post(ctx context.Context, batch []store.Statement) (int, string, error) {
	var body bytes.Buffer
	body.WriteByte('[')
	for i, s := range batch {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(s.JSON)
	}
	body.WriteByte(']')
	wait := f.cfg.MinBackoff
	var last string
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint, bytes.NewReader(body.Bytes()))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Experience-API-Version", Version)
		if f.cfg.Username != "" || f.cfg.Password != "" {
			req.SetBasicAuth(f.cfg.Username, string(f.cfg.Password))
		}
		resp, err := f.cfg.Client.Do(req)
		retryAfter := time.Duration(0)
		if err == nil {
			answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode < 500 {
				return resp.StatusCode, excerpt(answer), nil
			}
			last = fmt.Sprintf("HTTP %d", resp.StatusCode)
			retryAfter = fetch.RetryAfter(resp.Header.Get("Retry-After"), f.cfg.Clock())
		} else {
			if ctx.Err() != nil {
				return 0, "", ctx.Err()
			}
			// The URL error names the endpoint, never the credentials,
			// which travel in a header.
			last = err.Error()
		}
		if retryAfter > f.cfg.MaxBackoff {
			// Asked again sooner, the LRS would refuse again, and count
			// it against Lore: the statements wait in the outbox.
			hold := min(retryAfter, maxHold)
			until := f.cfg.Clock().Add(hold)
			f.mu.Lock()
			f.notBefore = until
			f.mu.Unlock()
			return 0, "", fmt.Errorf("%w: %s, asking for no request before %s", ErrRetryLater, last, until.UTC().Format(time.RFC3339))
		}
		if attempt >= f.cfg.MaxAttempts {
			return 0, "", fmt.Errorf("%w: %s after %d attempts", ErrRetryLater, last, attempt)
		}
		d := min(max(retryAfter, wait/2+rand.N(wait/2+1)), f.cfg.MaxBackoff)
		f.cfg.Logger.WarnContext(ctx, "LRS refused statements; retrying", "status", last, "attempt", attempt, "wait", d)
		if err := f.cfg.Sleep(ctx, d); err != nil {
			return 0, "", err
		}
		wait = min(wait*2, f.cfg.MaxBackoff)
	}
}

// excerpt is the start of an LRS's answer on one line, for a log.
func excerpt(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), 300)]), "?")), " ")
	if len(b) > 300 {
		s += "…"
	}
	return s
}

// Run flushes the outbox every interval until ctx ends, for a process
// without a job queue; `lore serve` runs Flush as a periodic job instead.
func (f *Forwarder) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := f.Flush(ctx); err != nil {
			f.cfg.Logger.WarnContext(ctx, "forwarding statements failed", "sent", n, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
