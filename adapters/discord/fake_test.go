package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/lorehq/lore/bot"
)

// Identities of the fake Discord.
const (
	testToken = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GxYz12.abcdefghijklmnopqrstuvwxyz0123456"
	testApp   = "1111"
	testGuild = "2222"
	testBot   = "3333"
)

// recorded is one REST request Lore made.
type recorded struct {
	Method, Path, Auth string
	Body               []byte
}

func (r recorded) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v: %s", r.Method, r.Path, err, r.Body)
	}
	return m
}

// fakeDiscord is Discord's REST API and gateway on an httptest server.
// REST calls are recorded and answered plausibly; fail, when set, may
// answer a request instead. The gateway says HELLO, reads IDENTIFY, sends
// READY and then whatever the test dispatches.
type fakeDiscord struct {
	srv *httptest.Server

	mu       sync.Mutex
	requests []recorded
	channels map[string]map[string]any // GET /channels/{id}
	guilds   map[string]map[string]any // GET /guilds/{id}
	// roles and members answer GET /guilds/{id}/roles and GET
	// /guilds/{id}/members/{user}, keyed "guild" and "guild/user"; others
	// are 404.
	roles   map[string][]map[string]any
	members map[string]map[string]any
	// messages, when set, answer GET /channels/{id}/messages/{id}, keyed
	// "channel/message"; others are 404.
	messages map[string]map[string]any
	fail     func(r recorded) (status int, body string, ok bool)
	// nonces are the messages created with an enforced nonce, by nonce:
	// a message sent again with one is not created twice, as on Discord.
	nonces   map[string]string
	nextID   int
	identify []byte
	seq      int

	events chan []byte
	conns  chan struct{}
}

func newFakeDiscord(t testing.TB) *fakeDiscord {
	f := &fakeDiscord{channels: map[string]map[string]any{}, guilds: map[string]map[string]any{}, nextID: 9000, events: make(chan []byte, 16), conns: make(chan struct{}, 4)}
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway-ws/", f.gateway)
	mux.HandleFunc("/", f.rest)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client is an HTTP client that sends every request for discord.com to
// the fake.
func (f *fakeDiscord) client() *http.Client {
	target, _ := url.Parse(f.srv.URL)
	return &http.Client{Timeout: 5 * time.Second, Transport: rewrite{target: target}}
}

type rewrite struct{ target *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.target.Scheme, rw.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func (f *fakeDiscord) id() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return fmt.Sprint(f.nextID)
}

var (
	reCommands   = regexp.MustCompile(`^/api/v9/applications/\d+(/guilds/\d+)?/commands$`)
	reCallback   = regexp.MustCompile(`^/api/v9/interactions/[^/]+/[^/]+/callback$`)
	reOriginal   = regexp.MustCompile(`^/api/v9/webhooks/\d+/[^/]+/messages/@original$`)
	reFollowup   = regexp.MustCompile(`^/api/v9/webhooks/\d+/[^/]+$`)
	reMessages   = regexp.MustCompile(`^/api/v9/channels/(\w+)/messages$`)
	reMessage    = regexp.MustCompile(`^/api/v9/channels/(\w+)/messages/(\w+)$`)
	reMsgThread  = regexp.MustCompile(`^/api/v9/channels/(\w+)/messages/(\w+)/threads$`)
	reThreads    = regexp.MustCompile(`^/api/v9/channels/(\w+)/threads$`)
	reMember     = regexp.MustCompile(`^/api/v9/channels/(\w+)/thread-members/(\w+)$`)
	reChannel    = regexp.MustCompile(`^/api/v9/channels/(\w+)$`)
	reDMChannels = regexp.MustCompile(`^/api/v9/users/@me/channels$`)
	reGuild      = regexp.MustCompile(`^/api/v9/guilds/(\d+)$`)
	reGuildRoles = regexp.MustCompile(`^/api/v9/guilds/(\d+)/roles$`)
	reGuildMemb  = regexp.MustCompile(`^/api/v9/guilds/(\d+)/members/(\d+)$`)
)

func (f *fakeDiscord) rest(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body}
	if r.URL.Path == "/api/v9/gateway" {
		writeJSON(w, map[string]string{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway-ws"})
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, rec)
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		if status, body, ok := fail(rec); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
	}
	p := r.URL.Path
	switch {
	case reCommands.MatchString(p) && r.Method == http.MethodPut:
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	case reCallback.MatchString(p), reMember.MatchString(p), r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
	case reOriginal.MatchString(p), reFollowup.MatchString(p):
		writeJSON(w, map[string]any{"id": f.id(), "channel_id": "0"})
	case reMsgThread.MatchString(p):
		m := reMsgThread.FindStringSubmatch(p)
		writeJSON(w, map[string]any{"id": m[2], "type": 11, "parent_id": m[1], "owner_id": testBot})
	case reMessages.MatchString(p):
		var req struct {
			Nonce        string `json:"nonce"`
			EnforceNonce bool   `json:"enforce_nonce"`
		}
		json.Unmarshal(body, &req)
		channel := reMessages.FindStringSubmatch(p)[1]
		if !req.EnforceNonce || req.Nonce == "" {
			writeJSON(w, map[string]any{"id": f.id(), "channel_id": channel})
			return
		}
		f.mu.Lock()
		id, ok := f.nonces[req.Nonce]
		f.mu.Unlock()
		if !ok {
			id = f.id()
			f.mu.Lock()
			if f.nonces == nil {
				f.nonces = map[string]string{}
			}
			f.nonces[req.Nonce] = id
			f.mu.Unlock()
		}
		writeJSON(w, map[string]any{"id": id, "channel_id": channel, "nonce": req.Nonce})
	case reMessage.MatchString(p) && r.Method == http.MethodGet && f.messages != nil:
		m := reMessage.FindStringSubmatch(p)
		f.mu.Lock()
		msg, ok := f.messages[m[1]+"/"+m[2]]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Unknown Message","code":10008}`, http.StatusNotFound)
			return
		}
		writeJSON(w, msg)
	case reMessage.MatchString(p):
		m := reMessage.FindStringSubmatch(p)
		writeJSON(w, map[string]any{"id": m[2], "channel_id": m[1]})
	case reThreads.MatchString(p):
		writeJSON(w, map[string]any{"id": f.id(), "type": 12, "parent_id": reThreads.FindStringSubmatch(p)[1], "owner_id": testBot})
	case reDMChannels.MatchString(p):
		var req struct {
			Recipient string `json:"recipient_id"`
		}
		json.Unmarshal(body, &req)
		writeJSON(w, map[string]any{"id": "77" + req.Recipient, "type": 1})
	case reChannel.MatchString(p) && r.Method == http.MethodGet:
		f.mu.Lock()
		ch, ok := f.channels[reChannel.FindStringSubmatch(p)[1]]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Unknown Channel","code":10003}`, http.StatusNotFound)
			return
		}
		writeJSON(w, ch)
	case reGuild.MatchString(p) && r.Method == http.MethodGet:
		f.mu.Lock()
		g, ok := f.guilds[reGuild.FindStringSubmatch(p)[1]]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Unknown Guild","code":10004}`, http.StatusNotFound)
			return
		}
		writeJSON(w, g)
	case reGuildRoles.MatchString(p) && r.Method == http.MethodGet:
		f.mu.Lock()
		roles, ok := f.roles[reGuildRoles.FindStringSubmatch(p)[1]]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Unknown Guild","code":10004}`, http.StatusNotFound)
			return
		}
		writeJSON(w, roles)
	case reGuildMemb.MatchString(p) && r.Method == http.MethodGet:
		m := reGuildMemb.FindStringSubmatch(p)
		f.mu.Lock()
		member, ok := f.members[m[1]+"/"+m[2]]
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"Unknown Member","code":10007}`, http.StatusNotFound)
			return
		}
		writeJSON(w, member)
	default:
		http.Error(w, `{"message":"404: Not Found","code":0}`, http.StatusNotFound)
	}
}

// setChannel makes GET /channels/{id} answer; a thread has a parent and an
// owner.
func (f *fakeDiscord) setChannel(id string, ch map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch["id"] = id
	f.channels[id] = ch
}

func (f *fakeDiscord) setFail(fn func(r recorded) (int, string, bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

// recorded returns the requests so far that match method and path pattern.
func (f *fakeDiscord) recorded(method string, path *regexp.Regexp) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.requests {
		if (method == "" || r.Method == method) && (path == nil || path.MatchString(r.Path)) {
			out = append(out, r)
		}
	}
	return out
}

// waitFor polls until at least n requests match, and returns them.
func (f *fakeDiscord) waitFor(t *testing.T, n int, method string, path *regexp.Regexp) []recorded {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := f.recorded(method, path)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d %s %s, got %d; all requests: %s", n, method, path, len(got), f.dump())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fakeDiscord) dump() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, r := range f.requests {
		fmt.Fprintf(&b, "\n  %s %s %s", r.Method, r.Path, r.Body)
	}
	return b.String()
}

// checkNoMentions fails the test unless every message Lore sent or edited
// allowed no mentions.
func (f *fakeDiscord) checkNoMentions(t *testing.T) {
	t.Helper()
	for _, r := range f.recorded("", nil) {
		sends := (r.Method == http.MethodPost && (reMessages.MatchString(r.Path) || reFollowup.MatchString(r.Path))) ||
			(r.Method == http.MethodPatch && (reMessage.MatchString(r.Path) || reOriginal.MatchString(r.Path)))
		if !sends {
			continue
		}
		var m struct {
			AllowedMentions *struct {
				Parse []string `json:"parse"`
			} `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(r.Body, &m); err != nil || m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
			t.Errorf("%s %s without allowed_mentions {parse: []}: %s", r.Method, r.Path, r.Body)
		}
	}
}

var upgrader = websocket.Upgrader{}

// gateway speaks enough of the gateway protocol for one session.
func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	var wmu sync.Mutex
	send := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return conn.WriteJSON(v)
	}
	if send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}}) != nil {
		return
	}
	_, identify, err := conn.ReadMessage()
	if err != nil {
		return
	}
	f.mu.Lock()
	f.identify = identify
	f.mu.Unlock()
	if send(f.dispatchFrame("READY", map[string]any{
		"v": 9, "session_id": "session-1", "resume_gateway_url": "ws://unused",
		"user": map[string]any{"id": testBot, "username": "Lore", "bot": true}, "guilds": []any{},
	})) != nil {
		return
	}
	f.conns <- struct{}{}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var op struct {
				Op int `json:"op"`
			}
			if json.Unmarshal(msg, &op) == nil && op.Op == 1 {
				send(map[string]any{"op": 11})
			}
		}
	}()
	for {
		select {
		case <-closed:
			return
		case ev := <-f.events:
			wmu.Lock()
			err := conn.WriteMessage(websocket.TextMessage, ev)
			wmu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (f *fakeDiscord) dispatchFrame(typ string, d any) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return map[string]any{"op": 0, "t": typ, "s": f.seq, "d": d}
}

// dispatch sends an event to the connected adapter.
func (f *fakeDiscord) dispatch(t *testing.T, typ string, d any) {
	t.Helper()
	b, err := json.Marshal(f.dispatchFrame(typ, d))
	if err != nil {
		t.Fatal(err)
	}
	f.events <- b
}

// identified returns the IDENTIFY payload Lore sent.
func (f *fakeDiscord) identified() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.identify
}

// fakeCore answers every message with reply, streaming stream first, and
// records what it was given.
type fakeCore struct {
	mu       sync.Mutex
	messages []bot.Message
	actions  []bot.Action
	stream   []string
	pause    time.Duration // between stream updates
	reply    func(bot.Message) bot.Reply
	action   func(bot.Action) bot.Reply
	before   func() // runs before the reply is returned
}

var _ Core = (*fakeCore)(nil)

func (c *fakeCore) HandleMessage(ctx context.Context, m bot.Message) bot.Reply {
	return c.HandleMessageStream(ctx, m, nil)
}

func (c *fakeCore) HandleMessageStream(_ context.Context, m bot.Message, stream bot.StreamFunc) bot.Reply {
	c.mu.Lock()
	c.messages = append(c.messages, m)
	c.mu.Unlock()
	if stream != nil {
		for _, s := range c.stream {
			stream(s)
			time.Sleep(c.pause)
		}
	}
	if c.before != nil {
		c.before()
	}
	if c.reply != nil {
		return c.reply(m)
	}
	return sampleReply()
}

func (c *fakeCore) HandleAction(_ context.Context, a bot.Action) bot.Reply {
	c.mu.Lock()
	c.actions = append(c.actions, a)
	c.mu.Unlock()
	if c.action != nil {
		return c.action(a)
	}
	return bot.Reply{Text: "Thanks, glad it helped.", Private: true}
}

func (c *fakeCore) gotMessages() []bot.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bot.Message(nil), c.messages...)
}

func (c *fakeCore) gotActions() []bot.Action {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]bot.Action(nil), c.actions...)
}

func sampleReply() bot.Reply {
	return bot.Reply{
		Text:     "Full-time employees get 27 days of paid annual leave. [1]",
		Grounded: true,
		Citations: []bot.Citation{
			{N: 1, DocID: "d1", Title: "Annual Leave", Heading: "Your entitlement", Source: "https://handbook.example.com/leave", Snippet: "27 days"},
			{N: 2, DocID: "d2", Title: "Public Holidays", Source: "handbook/public-holidays.md", Snippet: "Eight days"},
		},
		Buttons: []bot.Button{
			{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "answer-1"},
			{ID: bot.ActionNotHelpful, Label: "👎 Not helpful", Value: "answer-1"},
			{ID: bot.ActionAskPerson, Label: "Ask a person", Value: "answer-1"},
		},
	}
}

// testLog captures everything the adapter logs, at every level.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *testLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testConfig is a valid configuration talking to f.
func testConfig(f *fakeDiscord, log *testLog) Config {
	return Config{
		Token: testToken, AppID: testApp, GuildID: testGuild,
		HTTPClient: f.client(), Logger: log.logger(), StreamInterval: 20 * time.Millisecond,
	}
}

// newTestAdapter returns an adapter over f that knows its own user id, as
// it does after READY, for tests that call its handlers directly.
func newTestAdapter(t *testing.T, cfg Config, core Core) *Adapter {
	t.Helper()
	a, err := New(cfg, core, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	a.retries.base = 5 * time.Millisecond
	t.Cleanup(func() { a.Close() })
	a.mu.Lock()
	a.botUserID = testBot
	a.mu.Unlock()
	return a
}

// checkNoToken fails the test when the token shows in s.
func checkNoToken(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, testToken) {
		t.Errorf("%s contains the bot token: %s", what, s)
	}
}

func httptestBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
