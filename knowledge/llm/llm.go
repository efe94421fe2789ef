// Package llm reaches language models and embedding models through any
// OpenAI-compatible API (OpenAI, Azure OpenAI, Ollama, vLLM, LocalAI) with
// github.com/sashabaranov/go-openai.
//
// It provides an Embedder for knowledge/embed and a Chat model for the
// knowledge capability's grounded answers. Both retry what is worth
// retrying (429, honouring Retry-After; 5xx; timeouts; an unreachable
// endpoint) with exponential backoff, bound every request by a timeout, and
// classify failures into the sentinel errors below so that callers can fall
// back to the offline path. The API key is a Secret: it never appears in an
// error, a log line or a printed Config.
package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/lorehq/lore/knowledge/fetch"
)

// Secret is a credential. Every way of printing it prints "[redacted]".
type Secret string

const redacted = "[redacted]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }
func (s Secret) reveal() string             { return string(s) }
func (s Secret) redactFrom(text string) string {
	if len(s) < 4 { // a one-letter "key" would redact every occurrence of a letter
		return text
	}
	return strings.ReplaceAll(text, string(s), redacted)
}

// Config says which endpoint and models to use. Zero durations and counts
// take the defaults named on each field.
type Config struct {
	// BaseURL is the API root, for example https://api.openai.com/v1 or
	// http://localhost:11434/v1 (Ollama). Required. Without a path it
	// means the server's /v1 (except for Azure).
	BaseURL string
	// APIKey is sent as a bearer token (or as api-key for Azure). Local
	// servers usually need none.
	APIKey Secret
	// Azure selects Azure OpenAI: BaseURL is the resource endpoint and
	// model names are deployment names. APIVersion defaults to 2024-06-01.
	Azure      bool
	APIVersion string
	// ChatModel answers questions; empty disables model answers.
	ChatModel string
	// EmbeddingModel embeds chunks and questions; empty keeps the offline
	// embedder. EmbeddingDimensions is the length of its vectors (required
	// with EmbeddingModel); it is requested from text-embedding-3 models
	// and checked on every response.
	EmbeddingModel      string
	EmbeddingDimensions int
	// Timeout bounds one HTTP request. Default 30 s.
	Timeout time.Duration
	// MaxRetries is how many times a failed request is retried when the
	// failure is worth retrying. Default 3; negative means none.
	MaxRetries int
	// Backoff is the first retry's wait, doubled after each retry (with
	// jitter) and capped at MaxBackoff; a Retry-After header overrides it.
	// Defaults 500 ms and 20 s.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// BatchSize is how many texts go into one embeddings request. Default 64.
	BatchSize int
	// Concurrency is how many embeddings requests run at once. Default 4.
	Concurrency int
	// HTTPClient is the transport; default a new http.Client.
	HTTPClient *http.Client
}

// String describes the configuration without the key, nor the user
// information of a base URL (a proxy's password).
func (c Config) String() string {
	return fmt.Sprintf("llm.Config{BaseURL: %q, APIKey: %s, ChatModel: %q, EmbeddingModel: %q, EmbeddingDimensions: %d}",
		redactURL(c.BaseURL), redacted, c.ChatModel, c.EmbeddingModel, c.EmbeddingDimensions)
}

// GoString is String, so that %#v hides the same.
func (c Config) GoString() string { return c.String() }

// LogValue is String, so that slog's JSON handler hides the same.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Validate reports every problem of the configuration, in plain words.
func (c Config) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("the base URL is empty"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("the base URL %q is not an http(s) URL", redactURL(c.BaseURL)))
	}
	if c.EmbeddingModel != "" && c.EmbeddingDimensions <= 0 {
		errs = append(errs, fmt.Errorf("the embedding model %q needs its dimension (LORE_EMBEDDING_DIMENSIONS), for example 1536", c.EmbeddingModel))
	}
	if c.EmbeddingDimensions < 0 {
		errs = append(errs, fmt.Errorf("the embedding dimension %d is negative", c.EmbeddingDimensions))
	}
	return errors.Join(errs...)
}

// apiRoot is the API root of an OpenAI-compatible base URL: a URL with
// no path (http://localhost:11434, as Ollama's and vLLM's are often
// written) means its /v1, where these servers serve the API; any other
// path is kept. The result has no trailing slash.
func apiRoot(base string) string {
	u, err := url.Parse(base)
	if err == nil && strings.Trim(u.Path, "/") == "" && u.RawQuery == "" {
		u.Path, u.RawPath = "/v1", ""
		return u.String()
	}
	return strings.TrimRight(base, "/")
}

// azureRoot is the resource endpoint of an Azure OpenAI URL, as the
// client builds its requests on it, and the API version the URL names.
// The address Azure's portal shows for a deployment
// (https://NAME.openai.azure.com/openai/deployments/D/chat/completions?api-version=V)
// is what people paste; used as the root, its path would be doubled.
func azureRoot(base string) (root, version string) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return strings.TrimRight(base, "/"), ""
	}
	version = u.Query().Get("api-version")
	if i := strings.Index(u.Path, "/openai"); i >= 0 && (len(u.Path) == i+len("/openai") || u.Path[i+len("/openai")] == '/') {
		u.Path = u.Path[:i]
	}
	u.Path, u.RawPath, u.RawQuery, u.Fragment = strings.TrimRight(u.Path, "/"), "", "", ""
	return u.String(), version
}

// redactURL drops any user information from a URL before it is shown.
// A URL that does not parse (a password with a space, a slash or a bad
// escape in it) loses all it holds before its last "@". One that parses
// without user information may still hold a password that url.Parse read
// as the host and a fragment or query (lore:#pw@proxy parses as host
// "lore:"): it loses all before the last "@" ahead of its path.
func redactURL(s string) string {
	u, err := url.Parse(s)
	end := len(s)
	if err == nil && u.Host != "" {
		if u.User != nil {
			u.User = url.User(redacted)
			return u.String()
		}
		if i := strings.Index(s, "//"); i >= 0 {
			if j := strings.IndexByte(s[i+len("//"):], '/'); j >= 0 {
				end = i + len("//") + j
			}
		}
	}
	at := strings.LastIndex(s[:end], "@")
	if at < 0 {
		return s
	}
	start := 0
	if i := strings.Index(s[:at], "://"); i >= 0 {
		start = i + len("://")
	}
	return s[:start] + redacted + s[at:]
}

// Failure classes. Errors returned by this package wrap one of them.
var (
	// ErrUnavailable: the endpoint could not be reached, timed out, or
	// failed on its side (5xx), even after retries.
	ErrUnavailable = errors.New("the model endpoint is unavailable")
	// ErrRateLimited: the endpoint kept answering 429 after the retries.
	ErrRateLimited = errors.New("the model endpoint is rate limiting requests")
	// ErrUnauthorized: the endpoint refused the API key (401 or 403).
	ErrUnauthorized = errors.New("the model endpoint refused the API key")
	// ErrModelNotFound: the endpoint does not serve the model (404).
	ErrModelNotFound = errors.New("the model endpoint does not serve this model")
	// ErrMalformed: the response could not be understood.
	ErrMalformed = errors.New("the model endpoint sent a malformed response")
	// ErrDimension: an embedding has another length than configured.
	ErrDimension = errors.New("the embedding model returned vectors of the wrong dimension")
	// ErrRejected: the endpoint refused the request itself (another 4xx).
	ErrRejected = errors.New("the model endpoint rejected the request")
	// ErrIncomplete: the model stopped before finishing its reply (its
	// token limit, finish_reason "length"), or a streamed reply ended
	// before the model said it had finished.
	ErrIncomplete = errors.New("the model's reply is incomplete")
	// ErrFiltered: the endpoint's content filter withheld the reply
	// (finish_reason "content_filter").
	ErrFiltered = errors.New("the model endpoint's content filter withheld the reply")
)

// Client is a configured connection to one endpoint, shared by the
// Embedder and the Chat model.
type Client struct {
	cfg   Config
	api   *openai.Client
	sleep func(context.Context, time.Duration) error
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model configuration: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 20 * time.Second
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	var oc openai.ClientConfig
	if cfg.Azure {
		var version string
		cfg.BaseURL, version = azureRoot(cfg.BaseURL)
		if cfg.APIVersion == "" {
			cfg.APIVersion = version
		}
		oc = openai.DefaultAzureConfig(cfg.APIKey.reveal(), cfg.BaseURL)
		// Model names are deployment names, used as written: go-openai
		// would otherwise drop the dots of a name with "3.5" in it.
		oc.AzureModelMapperFunc = func(model string) string { return model }
		if cfg.APIVersion != "" {
			oc.APIVersion = cfg.APIVersion
		} else {
			oc.APIVersion = "2024-06-01"
		}
	} else {
		oc = openai.DefaultConfig(cfg.APIKey.reveal())
		cfg.BaseURL = apiRoot(cfg.BaseURL)
		oc.BaseURL = cfg.BaseURL
	}
	oc.HTTPClient = hintingDoer{httpClient}
	return &Client{cfg: cfg, api: openai.NewClientWithConfig(oc), sleep: sleepCtx}, nil
}

// Config returns the client's configuration, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Models lists the model ids the endpoint serves.
func (c *Client) Models(ctx context.Context) ([]string, error) {
	var ids []string
	err := c.retry(ctx, "list models", func(ctx context.Context) error {
		list, err := c.api.ListModels(ctx)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, m := range list.Models {
			ids = append(ids, m.ID)
		}
		return nil
	})
	return ids, err
}

// retryHint carries what the HTTP layer saw of a response to the retry
// loop and the stream reader; go-openai's errors do not keep response
// headers, and its stream does not say whether it ended with data: [DONE].
type retryHint struct {
	after time.Duration
	done  bool // a server-sent event stream's data: [DONE] was read
}

type hintKey struct{}

// hintingDoer records a response's Retry-After in the request's hint, and
// watches an event stream for its closing data: [DONE].
type hintingDoer struct{ inner *http.Client }

func (d hintingDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.inner.Do(req)
	h, ok := req.Context().Value(hintKey{}).(*retryHint)
	if err != nil || !ok {
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		h.after = fetch.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		resp.Body = &doneWatcher{ReadCloser: resp.Body, hint: h}
	}
	return resp, err
}

// doneWatcher sets its hint's done when a line "data: [DONE]" passes.
type doneWatcher struct {
	io.ReadCloser
	hint *retryHint
	line []byte // the start of the current line, at most 32 bytes
	long bool   // the current line is longer than that
}

func (w *doneWatcher) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	for _, b := range p[:n] {
		if b == '\n' || b == '\r' {
			if !w.long && isDone(w.line) {
				w.hint.done = true
			}
			w.line, w.long = w.line[:0], false
			continue
		}
		if len(w.line) < 32 {
			w.line = append(w.line, b)
		} else {
			w.long = true
		}
	}
	return n, err
}

func isDone(line []byte) bool {
	rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("data:"))
	return ok && string(bytes.TrimSpace(rest)) == "[DONE]"
}

// streamDone reports whether the event stream read under ctx (an
// attempt's context in retry) ended with data: [DONE].
func streamDone(ctx context.Context) bool {
	h, ok := ctx.Value(hintKey{}).(*retryHint)
	return ok && h.done
}

// retry runs attempt with the per-request timeout until it succeeds, fails
// for good, or the retries are spent. The returned error is classified and
// carries no secret.
func (c *Client) retry(ctx context.Context, op string, attempt func(context.Context) error) error {
	backoff := c.cfg.Backoff
	for try := 0; ; try++ {
		hint := &retryHint{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, hintKey{}, hint), c.cfg.Timeout)
		err := attempt(actx)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return nil
		}
		class, retryable := classify(err, timedOut)
		if ctx.Err() != nil {
			return c.wrap(op, fmt.Errorf("%w: %w", ErrUnavailable, context.Cause(ctx)), err)
		}
		if !retryable || try >= c.cfg.MaxRetries {
			return c.wrap(op, class, err)
		}
		wait := hint.after
		if wait <= 0 {
			// Full jitter around the doubling backoff, so that many
			// clients rejected at once do not return at once.
			wait = backoff/2 + rand.N(backoff/2+1)
			backoff = min(backoff*2, c.cfg.MaxBackoff)
		}
		wait = min(wait, c.cfg.MaxBackoff)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			// The retry would come after the caller has stopped waiting:
			// say now what went wrong rather than when time is up.
			return c.wrap(op, class, err)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return c.wrap(op, fmt.Errorf("%w: %w", ErrUnavailable, err), nil)
		}
	}
}

// classify maps a go-openai or transport error to a failure class and
// whether retrying may help.
func classify(err error, timedOut bool) (error, bool) {
	class, retryable := classifyCause(err, timedOut)
	if errors.Is(err, errNoRetry) {
		retryable = false
	}
	return class, retryable
}

func classifyCause(err error, timedOut bool) (error, bool) {
	if errors.Is(err, ErrMalformed) || errors.Is(err, ErrDimension) || errors.Is(err, ErrIncomplete) || errors.Is(err, ErrFiltered) {
		return err, false
	}
	status := 0
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr):
		status = reqErr.HTTPStatusCode
	}
	switch {
	case status == http.StatusTooManyRequests:
		return ErrRateLimited, true
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrUnauthorized, false
	case status == http.StatusNotFound:
		return ErrModelNotFound, false
	case status == http.StatusRequestTimeout || status >= 500:
		return ErrUnavailable, true
	case status >= 400:
		return ErrRejected, false
	case status >= 200 && status < 300:
		return ErrMalformed, false
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, errEmptyResponse) {
		return ErrMalformed, false
	}
	var netErr net.Error
	if timedOut || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) {
		return ErrUnavailable, true
	}
	// Connection refused, reset, DNS: all net.Error or *url.Error above;
	// anything else is treated as an unreadable response.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return ErrUnavailable, true
	}
	return ErrMalformed, false
}

var errEmptyResponse = errors.New("the response holds no choices")

// wrap returns an error wrapping class with op and the cause, the key
// removed from its text.
func (c *Client) wrap(op string, class, cause error) error {
	msg := fmt.Sprintf("%s (%s): %v", op, redactURL(c.cfg.BaseURL), class)
	if cause != nil && !errors.Is(cause, class) {
		msg += ": " + cause.Error()
	}
	return &modelError{msg: c.cfg.APIKey.redactFrom(msg), class: class}
}

// modelError is a classified error whose text has been redacted. It
// unwraps to its class only: the cause may hold the key.
type modelError struct {
	msg   string
	class error
}

func (e *modelError) Error() string { return e.msg }
func (e *modelError) Unwrap() error { return e.class }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
