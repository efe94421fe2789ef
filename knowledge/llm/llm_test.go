package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/llm/llmtest"
)

const testKey = "sk-test-0123456789abcdef"

// newClient returns a client of srv whose waits between retries are
// recorded instead of slept.
func newClient(t *testing.T, srv *llmtest.Server, edit func(*Config)) (*Client, *[]time.Duration) {
	t.Helper()
	cfg := Config{
		BaseURL: srv.BaseURL(), APIKey: testKey, ChatModel: "chat-model",
		EmbeddingModel: "embed-model", EmbeddingDimensions: srv.Dimensions,
		Timeout: 2 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	waits := &[]time.Duration{}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		*waits = append(*waits, d)
		mu.Unlock()
		return ctx.Err()
	}
	return c, waits
}

func TestEmbedBatchesInOrder(t *testing.T) {
	srv := llmtest.New(t)
	c, _ := newClient(t, srv, func(c *Config) { c.BatchSize = 3; c.Concurrency = 2 })
	e, err := NewEmbedder(c)
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, 10)
	for i := range texts {
		texts[i] = fmt.Sprintf("text %d", i)
	}
	texts[4] = "" // blank input is sent as a space, not refused
	vecs, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests("/embeddings")); got != 4 {
		t.Errorf("%d requests for 10 texts in batches of 3, want 4", got)
	}
	for i, v := range vecs {
		input := texts[i]
		if input == "" {
			input = " "
		}
		want := llmtest.Vector("embed-model\x00"+input, srv.Dimensions)
		if fmt.Sprint(v) != fmt.Sprint(want) {
			t.Fatalf("vector %d is not the embedding of text %d", i, i)
		}
	}
	if e.Name() != "openai:embed-model" || e.Dimensions() != 8 {
		t.Errorf("Name, Dimensions = %q, %d", e.Name(), e.Dimensions())
	}
	if got := srv.Requests("/embeddings")[0].Authorization; got != "Bearer "+testKey {
		t.Errorf("Authorization header %q", got)
	}
}

func TestEmbedConcurrencyLimit(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := llmtest.New(t)
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		inner.ServeHTTP(w, r)
		mu.Lock()
		inFlight--
		mu.Unlock()
	})
	c, _ := newClient(t, srv, func(c *Config) { c.BatchSize = 1; c.Concurrency = 3 })
	e, _ := NewEmbedder(c)
	if _, err := e.Embed(context.Background(), make([]string, 12)); err != nil {
		t.Fatal(err)
	}
	if peak > 3 || peak < 2 {
		t.Errorf("peak of %d requests in flight, want 2 or 3 (limit 3)", peak)
	}
}

func TestRetryAfterOn429IsHonoured(t *testing.T) {
	srv := llmtest.New(t)
	srv.Fail("/embeddings", llmtest.Fault{Status: 429, RetryAfter: "7"}, llmtest.Fault{Status: 429, RetryAfter: "0.25"})
	c, waits := newClient(t, srv, func(c *Config) { c.MaxBackoff = time.Minute })
	e, _ := NewEmbedder(c)
	if _, err := e.Embed(context.Background(), []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(*waits) != "[7s 250ms]" {
		t.Errorf("waited %v, want [7s 250ms] as the Retry-After headers asked", *waits)
	}
}

func TestPersistent429IsRateLimited(t *testing.T) {
	srv := llmtest.New(t)
	srv.Fail("/embeddings", llmtest.Fault{Status: 429}, llmtest.Fault{Status: 429}, llmtest.Fault{Status: 429})
	c, waits := newClient(t, srv, func(c *Config) { c.MaxRetries = 2; c.Backoff = 100 * time.Millisecond })
	e, _ := NewEmbedder(c)
	_, err := e.Embed(context.Background(), []string{"a"})
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want ErrRateLimited", err)
	}
	if len(*waits) != 2 {
		t.Errorf("%d waits for 2 retries", len(*waits))
	}
	// Without Retry-After the backoff doubles (with jitter of half).
	if w := *waits; w[0] < 50*time.Millisecond || w[0] > 100*time.Millisecond || w[1] < 100*time.Millisecond || w[1] > 200*time.Millisecond {
		t.Errorf("backoff waits %v, want about 100ms then 200ms", w)
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name   string
		faults []llmtest.Fault
		want   error
		tries  int
	}{
		{"5xx retried then given up", []llmtest.Fault{{Status: 500}, {Status: 502}, {Status: 503}, {Status: 500}}, ErrUnavailable, 4},
		{"5xx once then fine", []llmtest.Fault{{Status: 500}}, nil, 2},
		{"malformed JSON not retried", []llmtest.Fault{{Malformed: true}}, ErrMalformed, 1},
		{"wrong dimension not retried", []llmtest.Fault{{WrongDimension: true}}, ErrDimension, 1},
		{"rejected key", []llmtest.Fault{{Status: 401}}, ErrUnauthorized, 1},
		{"unknown model", []llmtest.Fault{{Status: 404}}, ErrModelNotFound, 1},
		{"bad request", []llmtest.Fault{{Status: 400}}, ErrRejected, 1},
		{"slow server times out and retries", []llmtest.Fault{{Delay: time.Second}}, nil, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.New(t)
			srv.Fail("/embeddings", tc.faults...)
			c, _ := newClient(t, srv, func(c *Config) { c.Timeout = 200 * time.Millisecond })
			e, _ := NewEmbedder(c)
			_, err := e.Embed(context.Background(), []string{"a"})
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got := len(srv.Requests("/embeddings")); got != tc.tries {
				t.Errorf("%d requests, want %d", got, tc.tries)
			}
		})
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	url := ln.URL
	ln.Close() // nothing listens there any more
	c, err := New(Config{BaseURL: url + "/v1", APIKey: testKey, ChatModel: "m", MaxRetries: -1, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := NewChat(c)
	_, err = ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "hi"}}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// TestKeyNeverLeaks uses an endpoint that echoes the Authorization header
// in its error bodies, as some proxies do, and checks errors, the printed
// config and log lines.
func TestKeyNeverLeaks(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"error":{"message":"bad key %s","type":"auth"}}`, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, `not json: %s`, r.Header.Get("Authorization"))
	}))
	defer garbled.Close()
	for _, base := range []string{echo.URL, garbled.URL} {
		cfg := Config{BaseURL: base + "/v1", APIKey: testKey, ChatModel: "m", EmbeddingModel: "e", EmbeddingDimensions: 4, MaxRetries: -1}
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ch, _ := NewChat(c)
		_, chatErr := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "hi"}}, func(string) {})
		e, _ := NewEmbedder(c)
		_, embErr := e.Embed(context.Background(), []string{"x"})
		_, modelsErr := c.Models(context.Background())
		var logs bytes.Buffer
		slog.New(slog.NewTextHandler(&logs, nil)).Error("failed", "err", chatErr, "config", cfg, "key", cfg.APIKey)
		for _, s := range []string{fmt.Sprint(chatErr), fmt.Sprint(embErr), fmt.Sprint(modelsErr), fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.APIKey), logs.String()} {
			if strings.Contains(s, testKey) || strings.Contains(s, "0123456789abcdef") {
				t.Errorf("the key leaked: %s", s)
			}
		}
		if chatErr == nil || embErr == nil || modelsErr == nil {
			t.Errorf("errors expected: %v, %v, %v", chatErr, embErr, modelsErr)
		}
	}
}

// A base URL may carry a proxy's credentials; printed or logged, the
// configuration shows neither them nor the key.
func TestConfigHidesBaseURLCredentials(t *testing.T) {
	cfg := Config{BaseURL: "https://lore:proxy-secret@proxy.example/v1", APIKey: testKey, ChatModel: "m"}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("models", "config", cfg)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("models", "config", cfg)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg), text.String(), js.String()} {
		if strings.Contains(s, "proxy-secret") || strings.Contains(s, testKey) {
			t.Errorf("a credential leaked: %s", s)
		}
		if !strings.Contains(s, "proxy.example") {
			t.Errorf("the endpoint is not shown: %s", s)
		}
	}
}

// A base URL that does not parse (a proxy password with a space, a slash
// or a bad escape in it) is refused by Validate, which quotes it: the
// password stays hidden there too, as in String.
func TestMalformedBaseURLHidesItsCredentials(t *testing.T) {
	for _, base := range []string{
		"https://lore:proxy secret@proxy.example/v1",
		"https://lore:proxy/secret@proxy.example/v1",
		"https://lore:proxy%zzsecret@proxy.example/v1",
	} {
		cfg := Config{BaseURL: base, APIKey: testKey, ChatModel: "m"}
		err := cfg.Validate()
		if err == nil {
			t.Fatalf("%s: Validate accepted it", base)
		}
		for _, s := range []string{err.Error(), cfg.String()} {
			if strings.Contains(s, "secret") {
				t.Errorf("the proxy password leaked: %s", s)
			}
			if !strings.Contains(s, "proxy.example") {
				t.Errorf("the endpoint is not shown: %s", s)
			}
		}
	}
}

func TestChatStreams(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(r llmtest.ChatRequest) string {
		return "You get 27 days [1]. Ask " + r.Messages[len(r.Messages)-1].Content
	}
	c, _ := newClient(t, srv, nil)
	ch, _ := NewChat(c)
	var pieces []string
	text, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "system", Content: "rules"}, {Role: "user", Content: "more."}}, func(d string) {
		pieces = append(pieces, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if text != "You get 27 days [1]. Ask more." || strings.Join(pieces, "") != text || len(pieces) != 7 {
		t.Errorf("text %q from pieces %q", text, pieces)
	}
	// Not streamed: one plain request.
	text, err = ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, nil)
	if err != nil || text != "You get 27 days [1]. Ask x" {
		t.Errorf("plain completion %q, %v", text, err)
	}
}

func TestChatStreamMalformedAndFailures(t *testing.T) {
	srv := llmtest.New(t)
	srv.Fail("/chat/completions", llmtest.Fault{Malformed: true})
	c, _ := newClient(t, srv, nil)
	ch, _ := NewChat(c)
	_, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, func(string) {})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed stream: err = %v", err)
	}
	srv.Fail("/chat/completions", llmtest.Fault{Status: 500}, llmtest.Fault{Status: 429, RetryAfter: "1"})
	text, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, func(string) {})
	if err != nil || text != "answer [1]" {
		t.Errorf("after a 500 and a 429: %q, %v", text, err)
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{BaseURL: "ftp://x", EmbeddingModel: "e"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "not an http(s) URL") || !strings.Contains(err.Error(), "needs its dimension") {
		t.Errorf("Validate = %v", err)
	}
	if err := (Config{BaseURL: "http://u:secretpw@host/v1"}).Validate(); err != nil {
		t.Errorf("valid config refused: %v", err)
	}
	if err := (Config{BaseURL: "http://u:secretpw@"}).Validate(); err == nil || strings.Contains(err.Error(), "secretpw") {
		t.Errorf("Validate = %v: want an error without the password", err)
	}
}

func TestChatReplyIsBounded(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(llmtest.ChatRequest) string {
		return strings.Repeat(strings.Repeat("x", 1000)+" ", MaxReplyBytes/1000+8)
	}
	c, _ := newClient(t, srv, nil)
	ch, _ := NewChat(c)
	for _, stream := range []func(string){nil, func(string) {}} {
		if _, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, stream); !errors.Is(err, ErrMalformed) {
			t.Errorf("an endless reply (streamed %v): %v", stream != nil, err)
		}
	}
}

// TestChatIncompleteReplies: a reply the model did not finish (cut off by
// its token limit, withheld by a content filter, or a stream whose
// response ended before the model said it had finished) is an error, not
// an answer, whether streamed or not.
func TestChatIncompleteReplies(t *testing.T) {
	cases := []struct {
		name   string
		fault  llmtest.Fault
		stream bool
		want   error
	}{
		{"length", llmtest.Fault{FinishReason: "length"}, false, ErrIncomplete},
		{"length streamed", llmtest.Fault{FinishReason: "length"}, true, ErrIncomplete},
		{"content filter", llmtest.Fault{FinishReason: "content_filter"}, false, ErrFiltered},
		{"content filter streamed", llmtest.Fault{FinishReason: "content_filter"}, true, ErrFiltered},
		{"stream ends halfway", llmtest.Fault{CutAfter: 3}, true, ErrIncomplete},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := llmtest.New(t)
			srv.Reply = func(llmtest.ChatRequest) string { return "You get 27 days of leave [1] and more besides." }
			srv.Fail("/chat/completions", tc.fault)
			c, _ := newClient(t, srv, nil)
			ch, _ := NewChat(c)
			var onDelta func(string)
			if tc.stream {
				onDelta = func(string) {}
			}
			text, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, onDelta)
			if !errors.Is(err, tc.want) {
				t.Fatalf("text %q, err = %v, want %v", text, err, tc.want)
			}
			if got := len(srv.Requests("/chat/completions")); got != 1 {
				t.Errorf("%d requests: an unfinished reply is not asked again", got)
			}
		})
	}
	t.Run("stream with [DONE] and no finish_reason", func(t *testing.T) {
		srv := llmtest.New(t)
		srv.OmitFinishReason = true
		c, _ := newClient(t, srv, nil)
		ch, _ := NewChat(c)
		text, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, func(string) {})
		if err != nil || text != "answer [1]" {
			t.Errorf("%q, %v", text, err)
		}
	})
}

// TestBaseURLWithoutV1: an endpoint given as its root (http://host:11434,
// as Ollama's and vLLM's are often written) is reached at /v1, where
// OpenAI-compatible servers serve the API; a base URL with a path is used
// as it is.
func TestBaseURLWithoutV1(t *testing.T) {
	for base, want := range map[string]string{"": "/v1/chat/completions", "/": "/v1/chat/completions", "/v1": "/v1/chat/completions", "/api/v1/": "/api/v1/chat/completions"} {
		var mu sync.Mutex
		var paths []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.Path)
			mu.Unlock()
			if r.URL.Path != want {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"OK"}}]}`)
		}))
		c, err := New(Config{BaseURL: srv.URL + base, ChatModel: "m", MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		ch, _ := NewChat(c)
		text, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "hi"}}, nil)
		if err != nil || text != "OK" {
			t.Errorf("base URL %q: %q, %v (requested %q)", srv.URL+base, text, err, paths)
		}
		srv.Close()
	}
}

// azureServer answers every chat request "OK"; last returns the latest
// request it had.
func azureServer(t *testing.T) (srv *httptest.Server, last func() *http.Request) {
	var mu sync.Mutex
	var got *http.Request
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"OK"}}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() *http.Request {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// TestAzureDeploymentNamesAreUsedAsGiven: with Azure, model names are
// deployment names, sent as they are written (go-openai's default would
// drop the dot of a "3.5" name) with the API version and the key as
// api-key.
func TestAzureDeploymentNamesAreUsedAsGiven(t *testing.T) {
	srv, last := azureServer(t)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, Azure: true, ChatModel: "chat-gpt-3.5-turbo.prod", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := NewChat(c)
	if _, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "hi"}}, nil); err != nil {
		t.Fatal(err)
	}
	r := last()
	if r.URL.Path != "/openai/deployments/chat-gpt-3.5-turbo.prod/chat/completions" || r.URL.Query().Get("api-version") != "2024-06-01" || r.Header.Get("api-key") != testKey {
		t.Errorf("requested %s with api-key %q", r.URL, r.Header.Get("api-key"))
	}
}

// TestAzureDeploymentAddressAsBaseURL: the address Azure's portal shows
// for a deployment, pasted as the base URL, is cut to its resource
// endpoint, and its API version is used unless one is set.
func TestAzureDeploymentAddressAsBaseURL(t *testing.T) {
	srv, last := azureServer(t)
	for _, c := range []struct{ base, version, want string }{
		{srv.URL + "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", "", "2024-10-21"},
		{srv.URL + "/openai/", "2025-01-01-preview", "2025-01-01-preview"},
		{srv.URL + "/", "", "2024-06-01"},
	} {
		client, err := New(Config{BaseURL: c.base, APIKey: testKey, Azure: true, APIVersion: c.version, ChatModel: "gpt-4o", MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		ch, _ := NewChat(client)
		if _, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "hi"}}, nil); err != nil {
			t.Fatalf("%s: %v", c.base, err)
		}
		r := last()
		if r.URL.Path != "/openai/deployments/gpt-4o/chat/completions" || r.URL.Query().Get("api-version") != c.want {
			t.Errorf("base %s: requested %s, want the deployment's path once with api-version %s", c.base, r.URL, c.want)
		}
	}
}

// TestRetryAfterPastTheDeadlineGivesUpAtOnce: a wait that would end after
// the caller's deadline (a person waiting for an answer) is not waited
// for: the request fails at once, with what the server said.
func TestRetryAfterPastTheDeadlineGivesUpAtOnce(t *testing.T) {
	srv := llmtest.New(t)
	srv.Fail("/chat/completions", llmtest.Fault{Status: 429, RetryAfter: "30"})
	c, waits := newClient(t, srv, func(c *Config) { c.MaxBackoff = time.Minute })
	ch, _ := NewChat(c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := ch.Complete(ctx, []knowledge.ChatMessage{{Role: "user", Content: "x"}}, nil)
	if !errors.Is(err, ErrRateLimited) || len(*waits) != 0 {
		t.Errorf("err = %v after waits %v; want ErrRateLimited without waiting", err, *waits)
	}
	// Without a deadline the wait is taken.
	srv.Fail("/chat/completions", llmtest.Fault{Status: 429, RetryAfter: "30"})
	if _, err := ch.Complete(context.Background(), []knowledge.ChatMessage{{Role: "user", Content: "x"}}, nil); err != nil || fmt.Sprint(*waits) != "[30s]" {
		t.Errorf("err = %v after waits %v; want a wait of 30s", err, *waits)
	}
}

// A proxy password that begins with "#" or "?" (or digits and then one of
// them) makes a base URL that parses, with "lore:" as its host and the
// password in its fragment or query; it is hidden all the same.
func TestBaseURLPasswordReadAsAFragmentIsHidden(t *testing.T) {
	for _, base := range []string{
		"https://lore:#proxy-secret@proxy.example/v1",
		"https://lore:?proxy-secret@proxy.example/v1",
		"https://lore:12#proxy-secret@proxy.example/v1",
	} {
		cfg := Config{BaseURL: base, APIKey: testKey, ChatModel: "m"}
		s := cfg.String()
		if strings.Contains(s, "proxy-secret") {
			t.Errorf("the proxy password leaked: %s", s)
		}
		if !strings.Contains(s, "@proxy.example/v1") {
			t.Errorf("the endpoint is not shown: %s", s)
		}
	}
	// An "@" after the path's first "/" ends no password.
	for _, base := range []string{"https://proxy.example/v1?team=a@b", "https://proxy.example:8443/@org/v1"} {
		if got := redactURL(base); got != base {
			t.Errorf("redactURL(%q) = %q", base, got)
		}
	}
}
