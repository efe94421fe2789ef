package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/slacktest"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
	"github.com/lorehq/lore/store/sqlite"
)

// Test tokens; TestSecretsNeverLogged checks none of them reaches a log.
const (
	testBotToken = "xoxb-test-bot-token-0123456789"
	testAppToken = "xapp-test-app-token-0123456789"
	testSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
)

// apiCall is one Web API request the fake received.
type apiCall struct {
	Method string
	Form   url.Values     // form-encoded calls
	JSON   map[string]any // JSON calls (views.publish, response_url)
}

// blocks decodes the Block Kit blocks of a call.
func (c apiCall) blocks(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	if raw := c.Form.Get("blocks"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatalf("%s blocks: %v", c.Method, err)
		}
		return out
	}
	if bs, ok := c.JSON["blocks"].([]any); ok {
		for _, b := range bs {
			out = append(out, b.(map[string]any))
		}
	}
	return out
}

// fakeSlack is a Slack Web API and Socket Mode server on slacktest, with a
// handler of its own for every method the adapter calls.
type fakeSlack struct {
	t   testing.TB
	srv *slacktest.Server

	mu    sync.Mutex
	calls []apiCall
	ts    int
	// limit, when set, decides whether a call is refused with 429 and the
	// Retry-After seconds to send.
	limit func(method string) (refuse bool, retryAfter int)
	tz    map[string]string // users.info time zones by user id
	// replies are the messages of threads, by thread ts, for
	// conversations.replies.
	replies map[string][]map[string]any
	// private marks channels conversations.info reports as private; an
	// id starting with "X" makes it fail.
	private map[string]bool
	// fail makes a method answer ok:false with the given error.
	fail map[string]string

	socketOut  chan []byte   // envelopes to send over Socket Mode
	acks       chan string   // envelope ids acknowledged
	dropSocket chan struct{} // closes the current socket, as Slack does to rotate connections
	changed    chan struct{}
}

func newFakeSlack(t testing.TB) *fakeSlack {
	t.Helper()
	f := &fakeSlack{
		t: t, tz: map[string]string{"U1": "Europe/Berlin", "U2": "America/Chicago"}, replies: map[string][]map[string]any{}, private: map[string]bool{}, fail: map[string]string{},
		socketOut: make(chan []byte, 16), acks: make(chan string, 16), changed: make(chan struct{}, 1),
		dropSocket: make(chan struct{}),
	}
	respond := func(method string, reply func(r *http.Request, call apiCall) any) func(slacktest.Customize) {
		return func(c slacktest.Customize) {
			c.Handle("/"+method, func(w http.ResponseWriter, r *http.Request) {
				call := f.record(method, r)
				if f.limit != nil {
					if refuse, after := f.limit(method); refuse {
						w.Header().Set("Retry-After", fmt.Sprint(after))
						w.WriteHeader(http.StatusTooManyRequests)
						return
					}
				}
				w.Header().Set("Content-Type", "application/json")
				f.mu.Lock()
				failure := f.fail[method]
				f.mu.Unlock()
				if failure != "" {
					_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": failure})
					return
				}
				_ = json.NewEncoder(w).Encode(reply(r, call))
			})
		}
	}
	ok := func(extra map[string]any) func(*http.Request, apiCall) any {
		return func(*http.Request, apiCall) any {
			m := map[string]any{"ok": true}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
	}
	posted := func(_ *http.Request, c apiCall) any {
		return map[string]any{"ok": true, "channel": c.Form.Get("channel"), "ts": f.nextTS()}
	}
	f.srv = slacktest.NewTestServer(
		respond("auth.test", ok(map[string]any{"user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "lore"})),
		respond("chat.postMessage", posted),
		respond("chat.update", func(_ *http.Request, c apiCall) any {
			return map[string]any{"ok": true, "channel": c.Form.Get("channel"), "ts": c.Form.Get("ts")}
		}),
		respond("chat.delete", func(_ *http.Request, c apiCall) any {
			return map[string]any{"ok": true, "channel": c.Form.Get("channel"), "ts": c.Form.Get("ts")}
		}),
		respond("chat.postEphemeral", func(*http.Request, apiCall) any {
			return map[string]any{"ok": true, "message_ts": f.nextTS()}
		}),
		respond("reactions.add", ok(nil)),
		respond("reactions.remove", ok(nil)),
		respond("conversations.open", func(_ *http.Request, c apiCall) any {
			id := "D" + strings.ReplaceAll(c.Form.Get("users"), ",", "")
			if strings.Contains(c.Form.Get("users"), ",") {
				id = "G" + id[1:]
			}
			return map[string]any{"ok": true, "channel": map[string]any{"id": id}}
		}),
		respond("views.publish", ok(map[string]any{"view": map[string]any{"id": "V1"}})),
		respond("users.info", func(_ *http.Request, c apiCall) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			return map[string]any{"ok": true, "user": map[string]any{"id": c.Form.Get("user"), "tz": f.tz[c.Form.Get("user")]}}
		}),
		respond("hooks/response", ok(nil)),
		respond("conversations.replies", func(_ *http.Request, c apiCall) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			msgs, found := f.replies[c.Form.Get("ts")]
			if !found {
				return map[string]any{"ok": false, "error": "thread_not_found"}
			}
			return map[string]any{"ok": true, "messages": msgs, "has_more": false}
		}),
		respond("conversations.info", func(_ *http.Request, c apiCall) any {
			f.mu.Lock()
			defer f.mu.Unlock()
			id := c.Form.Get("channel")
			if strings.HasPrefix(id, "X") {
				return map[string]any{"ok": false, "error": "channel_not_found"}
			}
			return map[string]any{"ok": true, "channel": map[string]any{"id": id, "is_channel": true, "is_private": f.private[id]}}
		}),
		respond("chat.getPermalink", func(r *http.Request, _ apiCall) any {
			q := r.URL.Query() // a GET
			return map[string]any{"ok": true, "channel": q.Get("channel"),
				"permalink": "https://t1.slack.com/archives/" + q.Get("channel") + "/p" + strings.ReplaceAll(q.Get("message_ts"), ".", "")}
		}),
		func(c slacktest.Customize) {
			c.Handle("/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
				f.record("apps.connections.open", r)
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "url": "ws://" + f.srv.ServerAddr + "/socket"})
			})
			c.Handle("/socket", slacktest.Websocket(f.serveSocket))
		},
	)
	f.srv.Start()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeSlack) nextTS() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ts++
	return fmt.Sprintf("1700000000.%06d", f.ts)
}

func (f *fakeSlack) record(method string, r *http.Request) apiCall {
	body, _ := io.ReadAll(r.Body)
	call := apiCall{Method: method}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &call.JSON)
	} else {
		call.Form, _ = url.ParseQuery(string(body))
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
	return call
}

// serveSocket is Slack's side of Socket Mode: hello, then each envelope
// queued on socketOut; acknowledgements go to acks.
func (f *fakeSlack) serveSocket(c *websocket.Conn) {
	if err := c.WriteJSON(map[string]any{"type": "hello", "num_connections": 1}); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var ack struct {
				EnvelopeID string `json:"envelope_id"`
			}
			if err := c.ReadJSON(&ack); err != nil {
				return
			}
			f.acks <- ack.EnvelopeID
		}
	}()
	for {
		select {
		case env := <-f.socketOut:
			if err := c.WriteMessage(websocket.TextMessage, env); err != nil {
				return
			}
		case <-f.dropSocket:
			return
		case <-done:
			return
		}
	}
}

// callsOf returns the calls of one method so far.
func (f *fakeSlack) callsOf(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// waitFor waits until cond holds over the calls, failing after a while.
func (f *fakeSlack) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case <-f.changed:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			f.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (f *fakeSlack) waitCalls(method string, n int) []apiCall {
	f.t.Helper()
	f.waitFor(fmt.Sprintf("%d %s calls", n, method), func() bool { return len(f.callsOf(method)) >= n })
	return f.callsOf(method)
}

func (f *fakeSlack) responseURL() string { return f.srv.GetAPIURL() + "hooks/response" }

// fakeCore is a core whose answers the test chooses; it records what it
// was asked.
type fakeCore struct {
	mu      sync.Mutex
	msgs    []bot.Message
	actions []bot.Action
	reply   func(msg bot.Message, stream bot.StreamFunc) bot.Reply
}

func (c *fakeCore) HandleMessage(ctx context.Context, msg bot.Message) bot.Reply {
	return c.HandleMessageStream(ctx, msg, func(string) {})
}

func (c *fakeCore) HandleMessageStream(_ context.Context, msg bot.Message, stream bot.StreamFunc) bot.Reply {
	c.mu.Lock()
	c.msgs = append(c.msgs, msg)
	reply := c.reply
	c.mu.Unlock()
	if reply != nil {
		return reply(msg, stream)
	}
	return bot.Reply{Text: "You asked: " + msg.Text, Grounded: true,
		Citations: []bot.Citation{{N: 1, DocID: "d1", Title: "Leave", Heading: "Entitlement", Source: "https://wiki.example.com/leave"}},
		Buttons:   []bot.Button{{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "a1"}}}
}

func (c *fakeCore) HandleAction(_ context.Context, a bot.Action) bot.Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.actions = append(c.actions, a)
	return bot.Reply{Text: "Thanks, glad it helped.", Private: true}
}

func (c *fakeCore) messages() []bot.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bot.Message(nil), c.msgs...)
}

// logBuffer collects every log line, for tests that read them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// openStore opens a fresh SQLite store for a test.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

type harness struct {
	fake  *fakeSlack
	core  Core
	store store.Store
	a     *Adapter
	logs  *logBuffer
}

// newHarness builds an adapter on a fake Slack and a fresh store; edit
// changes the configuration first.
func newHarness(t testing.TB, core Core, edit func(*Config, *Deps)) *harness {
	t.Helper()
	h := &harness{fake: newFakeSlack(t), core: core, store: openStore(t), logs: &logBuffer{}}
	cfg := Config{
		Mode: ModeSocket, AppToken: testAppToken, BotToken: testBotToken, SigningSecret: testSecret,
		APIURL: h.fake.srv.GetAPIURL(), ResponseURLPrefixes: []string{h.fake.srv.GetAPIURL() + "hooks/"},
		StreamInterval: 50 * time.Millisecond,
		Logger:         slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	deps := Deps{Claims: h.store, People: h.store, Documents: h.store}
	if edit != nil {
		edit(&cfg, &deps)
	}
	a, err := New(cfg, core, deps)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Wait(ctx)
		if strings.Contains(h.logs.String(), testBotToken) || strings.Contains(h.logs.String(), testAppToken) ||
			strings.Contains(h.logs.String(), testSecret) {
			t.Errorf("a secret reached the log:\n%s", h.logs.String())
		}
	})
	return h
}

// runSocket starts Run and waits for the connection.
func (h *harness) runSocket(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- h.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	h.fake.waitCalls("apps.connections.open", 1)
}

// sendSocket delivers a payload over Socket Mode and waits for its ack.
func (h *harness) sendSocket(t *testing.T, kind string, payload []byte) {
	t.Helper()
	id := fmt.Sprintf("env-%d", time.Now().UnixNano())
	env, _ := json.Marshal(map[string]any{"envelope_id": id, "type": kind, "payload": json.RawMessage(payload), "accepts_response_payload": false})
	h.fake.socketOut <- env
	select {
	case got := <-h.fake.acks:
		if got != id {
			t.Fatalf("ack for %q, want %q", got, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery was not acknowledged")
	}
}

// eventJSON is an Events API envelope around inner.
func eventJSON(eventID string, inner map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"type": "event_callback", "team_id": "T1", "event_id": eventID, "event": inner})
	return b
}

func mentionEvent(text, ts, thread string) map[string]any {
	e := map[string]any{"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": "C1", "event_ts": ts}
	if thread != "" {
		e["thread_ts"] = thread
	}
	return e
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
