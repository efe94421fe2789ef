// Package slackfake is an in-process stand-in for the Slack Web API
// methods Lore calls, for load tests and end-to-end tests of lore serve on
// loopback: it records every call and can answer 429 or 500 on demand.
package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bot identity the fake reports from auth.test.
const (
	BotUserID = "UL0RE0BOT"
	BotID     = "BL0RE0BOT"
	TeamID    = "TL0RE0TEAM"
)

// Call is one Web API call as the fake received it.
type Call struct {
	Method string
	Args   map[string]any // form fields, or the JSON body's fields
	At     time.Time
}

// Arg returns a string argument of the call.
func (c Call) Arg(name string) string {
	v, _ := c.Args[name].(string)
	return v
}

// Server is the fake Web API.
type Server struct {
	srv *httptest.Server
	mu  sync.Mutex
	// calls by method
	calls map[string][]Call
	ts    atomic.Int64
	// fault, when set, is returned instead of the method's answer.
	fault func(method string) (status int, retryAfter string, ok bool)
	// members of channels (conversations.members) and bot users
	// (users.info), for pairing rounds.
	members map[string][]string
	bots    map[string]bool
}

// SetChannelMembers sets the members conversations.members lists for a
// channel (in one page).
func (f *Server) SetChannelMembers(channel string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.members == nil {
		f.members = map[string][]string{}
	}
	f.members[channel] = append([]string(nil), users...)
}

// SetBots makes users.info report these users as bots.
func (f *Server) SetBots(users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bots == nil {
		f.bots = map[string]bool{}
	}
	for _, u := range users {
		f.bots[u] = true
	}
}

// New starts a fake Web API on loopback; Close stops it.
func New() *Server {
	f := &Server{calls: map[string][]Call{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// URL is the API base to give Lore (LORE_SLACK_API_URL), ending in "/".
func (f *Server) URL() string { return f.srv.URL + "/api/" }

// Close stops the server.
func (f *Server) Close() { f.srv.Close() }

// FailWith makes the fake answer calls with fn's status (429 with a
// Retry-After in seconds, or 5xx) whenever fn returns ok; nil clears it.
func (f *Server) FailWith(fn func(method string) (status int, retryAfter string, ok bool)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fn
}

// Calls returns the calls of one method so far.
func (f *Server) Calls(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls[method]...)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	args := map[string]any{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &args)
	} else if form, err := url.ParseQuery(string(body)); err == nil {
		for k, v := range form {
			args[k] = strings.Join(v, ",")
		}
	}
	f.mu.Lock()
	fault := f.fault
	f.mu.Unlock()
	if fault != nil {
		if status, retryAfter, ok := fault(method); ok {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"ok":false,"error":"ratelimited"}`))
			return
		}
	}
	f.mu.Lock()
	f.calls[method] = append(f.calls[method], Call{Method: method, Args: args, At: time.Now()})
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	var resp any
	switch method {
	case "auth.test":
		resp = map[string]any{"ok": true, "user_id": BotUserID, "bot_id": BotID, "team_id": TeamID, "user": "lore", "team": "Fake"}
	case "chat.postMessage", "chat.update":
		channel, _ := args["channel"].(string)
		ts, _ := args["ts"].(string)
		if ts == "" {
			ts = fmt.Sprintf("%d.%06d", time.Now().Unix(), f.ts.Add(1))
		}
		resp = map[string]any{"ok": true, "channel": channel, "ts": ts}
	case "conversations.open":
		resp = map[string]any{"ok": true, "channel": map[string]any{"id": "DL0RE" + fmt.Sprint(f.ts.Add(1))}}
	case "users.info":
		user, _ := args["user"].(string)
		f.mu.Lock()
		bot := f.bots[user]
		f.mu.Unlock()
		resp = map[string]any{"ok": true, "user": map[string]any{"id": user, "tz": "Europe/London", "tz_offset": 0, "is_bot": bot}}
	case "conversations.members":
		channel, _ := args["channel"].(string)
		f.mu.Lock()
		members := append([]string{}, f.members[channel]...)
		f.mu.Unlock()
		resp = map[string]any{"ok": true, "members": members, "response_metadata": map[string]any{"next_cursor": ""}}
	default:
		resp = map[string]any{"ok": true}
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// Sign returns the headers Slack puts on a request to an app: the
// timestamp and the v0 HMAC-SHA256 signature of "v0:timestamp:body" with
// the signing secret.
func Sign(secret string, body []byte, now time.Time) http.Header {
	ts := fmt.Sprint(now.Unix())
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// MentionEvent is an Events API delivery of an app_mention of Lore in a
// channel, as JSON.
func MentionEvent(eventID, channel, user, text, ts string) []byte {
	b, _ := json.Marshal(map[string]any{
		"token": "unused", "team_id": TeamID, "api_app_id": "AL0RE", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{
			"type": "app_mention", "user": user, "channel": channel, "ts": ts, "event_ts": ts,
			"text": "<@" + BotUserID + "> " + text,
		},
	})
	return b
}
