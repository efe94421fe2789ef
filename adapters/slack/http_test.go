package slack

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
)

// Slack's documented example request (api.slack.com, "Verifying requests
// from Slack"): this secret, timestamp and body sign to this signature.
const (
	docSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
	docTimestamp = "1531420618"
	docBody      = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSignature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func TestVerifierSlackExample(t *testing.T) {
	at := func(d time.Duration) func() time.Time {
		return func() time.Time { return time.Unix(1531420618, 0).Add(d) }
	}
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", docTimestamp)
	h.Set("X-Slack-Signature", docSignature)
	if err := (Verifier{Secret: docSecret, Now: at(0)}).Verify(h, []byte(docBody)); err != nil {
		t.Fatalf("Slack's example: %v", err)
	}
	if got := (Verifier{Secret: docSecret}).Sign(docTimestamp, []byte(docBody)); got != docSignature {
		t.Errorf("Sign = %s, want Slack's %s", got, docSignature)
	}
	for _, c := range []struct {
		name   string
		now    time.Duration
		secret Secret
		body   string
		sig    string
		ts     string
		want   error
	}{
		{"four minutes late", 4 * time.Minute, docSecret, docBody, docSignature, docTimestamp, nil},
		{"six minutes late", 6 * time.Minute, docSecret, docBody, docSignature, docTimestamp, ErrStaleRequest},
		{"six minutes early", -6 * time.Minute, docSecret, docBody, docSignature, docTimestamp, ErrStaleRequest},
		{"body changed", 0, docSecret, docBody + "&x=1", docSignature, docTimestamp, ErrBadSignature},
		{"other secret", 0, "another-secret", docBody, docSignature, docTimestamp, ErrBadSignature},
		{"no signature", 0, docSecret, docBody, "", docTimestamp, ErrBadSignature},
		{"not hex", 0, docSecret, docBody, "v0=zz", docTimestamp, ErrBadSignature},
		{"v1 scheme", 0, docSecret, docBody, "v1=" + docSignature[3:], docTimestamp, ErrBadSignature},
		{"no timestamp", 0, docSecret, docBody, docSignature, "", ErrStaleRequest},
		{"timestamp changed", 0, docSecret, docBody, docSignature, "1531420619", ErrBadSignature},
		{"no secret configured", 0, "", docBody, docSignature, docTimestamp, ErrBadSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Slack-Request-Timestamp", c.ts)
			h.Set("X-Slack-Signature", c.sig)
			err := (Verifier{Secret: c.secret, Now: at(c.now)}).Verify(h, []byte(c.body))
			if c.want == nil && err != nil || c.want != nil && !errorsIs(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), docSecret) {
				t.Error("the error shows the secret")
			}
		})
	}
}

// signed builds a request signed as Slack would, at the harness clock.
func signed(t testing.TB, path, contentType string, body []byte, now time.Time, headers ...string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	ts := strconv.FormatInt(now.Unix(), 10)
	r.Header.Set("X-Slack-Request-Timestamp", ts)
	r.Header.Set("X-Slack-Signature", Verifier{Secret: testSecret}.Sign(ts, body))
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var httpNow = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func newHTTPHarness(t testing.TB, core Core, edit func(*Config, *Deps)) *harness {
	return newHarness(t, core, func(c *Config, d *Deps) {
		c.Mode, c.AppToken = ModeHTTP, ""
		c.Clock = func() time.Time { return httpNow }
		if edit != nil {
			edit(c, d)
		}
	})
}

func TestHTTPEvents(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, nil)
	srv := h.a.Handler()

	t.Run("url verification", func(t *testing.T) {
		body := []byte(`{"type":"url_verification","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","token":"x"}`)
		w := serve(srv, signed(t, "/slack/events", "application/json", body, httpNow))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
			t.Fatalf("challenge answer %d %q", w.Code, w.Body)
		}
	})

	body := eventJSON("Ev-http-1", mentionEvent("<@UBOT> where is the VPN guide?", "1700000200.000100", ""))
	t.Run("event acknowledged at once, answered in the background", func(t *testing.T) {
		release := make(chan struct{})
		core.reply = func(msg bot.Message, _ bot.StreamFunc) bot.Reply {
			<-release
			return bot.Reply{Text: "It is on the wiki."}
		}
		// The core is still blocked: the 200 below was sent before any
		// answering was done.
		w := serve(srv, signed(t, "/slack/events", "application/json", body, httpNow))
		if w.Code != 200 {
			t.Fatalf("status %d %q", w.Code, w.Body)
		}
		if len(h.fake.callsOf("chat.postMessage")) != 0 {
			t.Fatal("answered before the core finished")
		}
		close(release)
		post := h.fake.waitCalls("chat.postMessage", 1)[0]
		if post.Form.Get("thread_ts") != "1700000200.000100" {
			t.Errorf("thread_ts %q", post.Form.Get("thread_ts"))
		}
		if got := core.messages()[0]; got.Text != "where is the VPN guide?" || got.Channel != "C1" || got.User != "U1" || got.Workspace != "T1" {
			t.Errorf("core got %+v", got)
		}
	})

	t.Run("retries are answered once", func(t *testing.T) {
		for i := 1; i <= 3; i++ {
			w := serve(srv, signed(t, "/slack/events", "application/json", body, httpNow,
				"X-Slack-Retry-Num", strconv.Itoa(i), "X-Slack-Retry-Reason", "http_timeout"))
			if w.Code != 200 {
				t.Fatalf("retry %d: status %d", i, w.Code)
			}
		}
		_ = h.a.Wait(t.Context())
		if n := len(core.messages()); n != 1 {
			t.Errorf("core asked %d times, want 1", n)
		}
	})

	for _, c := range []struct {
		name string
		req  func() *http.Request
		code int
	}{
		{"forged signature", func() *http.Request {
			r := signed(t, "/slack/events", "application/json", eventJSON("Ev-forged", mentionEvent("<@UBOT> hi", "1", "")), httpNow)
			r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
			return r
		}, http.StatusUnauthorized},
		{"replayed after 10 minutes", func() *http.Request {
			return signed(t, "/slack/events", "application/json", eventJSON("Ev-old", mentionEvent("<@UBOT> hi", "1", "")), httpNow.Add(-10*time.Minute))
		}, http.StatusUnauthorized},
		{"unsigned", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader(`{"type":"event_callback"}`))
		}, http.StatusUnauthorized},
		{"malformed JSON", func() *http.Request {
			return signed(t, "/slack/events", "application/json", []byte(`{"type":`), httpNow)
		}, http.StatusBadRequest},
		{"binary body", func() *http.Request {
			return signed(t, "/slack/events", "application/json", []byte{0xff, 0xfe, 0, 1, 2}, httpNow)
		}, http.StatusBadRequest},
		{"huge body", func() *http.Request {
			return signed(t, "/slack/events", "application/json", bytes.Repeat([]byte("a"), maxPayload+1), httpNow)
		}, http.StatusRequestEntityTooLarge},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, "/slack/events", nil) }, http.StatusMethodNotAllowed},
	} {
		t.Run(c.name, func(t *testing.T) {
			if w := serve(srv, c.req()); w.Code != c.code {
				t.Errorf("status %d (%q), want %d", w.Code, w.Body, c.code)
			}
		})
	}
	_ = h.a.Wait(t.Context())
	if n := len(core.messages()); n != 1 {
		t.Errorf("core asked %d times after refused requests, want still 1", n)
	}
}

func commandForm(fake *fakeSlack, text string) []byte {
	return []byte(url.Values{
		"command": {"/lore"}, "text": {text}, "team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"},
		"response_url": {fake.responseURL()}, "trigger_id": {"1.2.3"},
	}.Encode())
}

func TestHTTPSlashCommands(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, func(_ *Config, d *Deps) {
		d.Commands = map[string]Command{"learn": {Summary: "start a learning path", Run: func(_ context.Context, msg bot.Message) bot.Reply {
			return bot.Reply{Text: "Learning " + msg.Text, Private: true}
		}}}
	})
	srv := h.a.Handler()
	for i, c := range []struct {
		text, want string
		private    bool
	}{
		{"help", "`/lore ask QUESTION`", true},
		{"", "`/lore learn`: start a learning path", true},
		{"frobnicate now", "I don't know `/lore frobnicate`", true},
		{"ask how do I book leave?", "You asked: ask how do I book leave?", true},
		{"learn security", "Learning security", true},
		{"ask", "Tell me what to look up", true},
	} {
		w := serve(srv, signed(t, "/slack/commands", "application/x-www-form-urlencoded", commandForm(h.fake, c.text), httpNow))
		if w.Code != 200 || w.Body.Len() != 0 {
			t.Fatalf("/lore %s: status %d body %q, want an empty 200", c.text, w.Code, w.Body)
		}
		resp := h.fake.waitCalls("hooks/response", i+1)[i]
		text := fmt.Sprint(resp.JSON["blocks"])
		if !strings.Contains(text, c.want) {
			t.Errorf("/lore %s answered %s, want it to contain %q", c.text, text, c.want)
		}
		if c.private != (resp.JSON["response_type"] == "ephemeral") {
			t.Errorf("/lore %s: response_type %v", c.text, resp.JSON["response_type"])
		}
		if strings.HasPrefix(c.text, "ask ") && !strings.Contains(text, actionShare) {
			t.Errorf("/lore ask has no Share in channel button: %s", text)
		}
	}
	// A forged response_url is not followed.
	bad := []byte(strings.ReplaceAll(string(commandForm(h.fake, "help")), url.QueryEscape(h.fake.responseURL()), url.QueryEscape("https://evil.example.com/x")))
	serve(srv, signed(t, "/slack/commands", "application/x-www-form-urlencoded", bad, httpNow))
	_ = h.a.Wait(t.Context())
	if n := len(h.fake.callsOf("hooks/response")); n != 6 {
		t.Errorf("%d responses, want 6: the forged response_url must not be posted to", n)
	}
	w := serve(srv, signed(t, "/slack/commands", "application/x-www-form-urlencoded", []byte("text=help"), httpNow))
	if w.Code != http.StatusBadRequest {
		t.Errorf("a command without user or channel: status %d", w.Code)
	}
}

// Slack checks the certificate of a slash command's Request URL with an
// unsigned form post of ssl_check=1 and the verification token, and wants
// a 200.
func TestHTTPSSLCheck(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, nil)
	srv := h.a.Handler()
	form := "application/x-www-form-urlencoded"
	unsigned := func(path, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Content-Type", form)
		return r
	}
	for _, c := range []struct {
		name string
		req  *http.Request
	}{
		{"as Slack sends it", unsigned("/slack/commands", "ssl_check=1&token=xyzz0WbapA4vBCDEFasx0q6G")},
		{"without a token", unsigned("/slack/commands", "ssl_check=1")},
		{"signed", signed(t, "/slack/commands", form, []byte("ssl_check=1&token=x"), httpNow)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if w := serve(srv, c.req); w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("status %d body %q, want an empty 200", w.Code, w.Body)
			}
		})
	}
	// Anything more than the check itself is an ordinary request and must
	// be signed.
	smuggled := "ssl_check=1&" + string(commandForm(h.fake, "ask how do I book leave?"))
	for _, c := range []struct {
		name string
		req  *http.Request
	}{
		{"with a command", unsigned("/slack/commands", smuggled)},
		{"with a payload", unsigned("/slack/commands", `ssl_check=1&payload={"type":"block_actions"}`)},
		{"ssl_check=0", unsigned("/slack/commands", "ssl_check=0&token=x")},
		{"ssl_check=true", unsigned("/slack/commands", "ssl_check=true&token=x")},
		{"ssl_check twice", unsigned("/slack/commands", "ssl_check=1&ssl_check=1")},
		{"token twice", unsigned("/slack/commands", "ssl_check=1&token=x&token=y")},
		{"malformed form", unsigned("/slack/commands", "ssl_check=1&token=%zz")},
		{"to the events URL", unsigned("/slack/events", "ssl_check=1&token=x")},
		{"to the interactivity URL", unsigned("/slack/interactivity", "ssl_check=1&token=x")},
	} {
		t.Run(c.name, func(t *testing.T) {
			if w := serve(srv, c.req); w.Code != http.StatusUnauthorized {
				t.Errorf("status %d (%q), want 401", w.Code, w.Body)
			}
		})
	}
	_ = h.a.Wait(t.Context())
	if n := len(core.messages()); n != 0 {
		t.Errorf("core asked %d times, want 0", n)
	}
	if n := len(h.fake.callsOf("hooks/response")); n != 0 {
		t.Errorf("%d command responses, want none", n)
	}
	// A signed command that also says ssl_check=1 is still run.
	w := serve(srv, signed(t, "/slack/commands", form, []byte(smuggled), httpNow))
	if w.Code != http.StatusOK {
		t.Fatalf("signed command with ssl_check: status %d %q", w.Code, w.Body)
	}
	h.fake.waitCalls("hooks/response", 1)
}

func TestHTTPShareInChannel(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, nil)
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"channel":{"id":"C1"},
		"container":{"type":"message","is_ephemeral":true,"channel_id":"C1","message_ts":"1"},
		"response_url":%q,"actions":[{"action_id":%q,"value":"how do I book leave?"}]}`, h.fake.responseURL(), actionShare)
	body := []byte(url.Values{"payload": {payload}}.Encode())
	w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", body, httpNow))
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	resp := h.fake.waitCalls("hooks/response", 1)[0]
	if resp.JSON["response_type"] != "in_channel" {
		t.Errorf("shared answer response_type %v, want in_channel", resp.JSON["response_type"])
	}
	if text := fmt.Sprint(resp.JSON["blocks"]); !strings.Contains(text, "<@U1> asked: how do I book leave?") || !strings.Contains(text, "You asked: ask how do I book leave?") {
		t.Errorf("shared answer %s", text)
	}
}

// Share in a direct message between two people (an id starting with D, but
// not Lore's own DM with the presser) posts for the other person too, so
// the answer must be scoped as in a channel; in Lore's own DM it is read by
// the asker alone. Where Lore may not answer, nothing is shared.
func TestHTTPShareScopeByConversation(t *testing.T) {
	press := func(h *harness, channel string) {
		t.Helper()
		payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"channel":{"id":%q},
			"container":{"type":"message","is_ephemeral":true,"channel_id":%q,"message_ts":"1"},
			"response_url":%q,"actions":[{"action_id":%q,"value":"salary bands?"}]}`, channel, channel, h.fake.responseURL(), actionShare)
		body := []byte(url.Values{"payload": {payload}}.Encode())
		if w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", body, httpNow)); w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
	}
	core := &fakeCore{}
	h := newHTTPHarness(t, core, nil)
	// The fake Slack opens DU1 as Lore's conversation with U1.
	for i, c := range []struct {
		channel string
		direct  bool
	}{{"D0HUMANS", false}, {"DU1", true}, {"C1", false}} {
		press(h, c.channel)
		h.fake.waitCalls("hooks/response", 2*(i+1)) // the shared answer, then the private one removed
		msgs := core.messages()
		if len(msgs) != i+1 {
			t.Fatalf("%d messages reached the core, want %d", len(msgs), i+1)
		}
		if got := msgs[i]; got.Channel != c.channel || got.Direct != c.direct {
			t.Errorf("share in %s reached the core with Direct %v, want %v", c.channel, got.Direct, c.direct)
		}
	}
	if n := len(h.fake.callsOf("conversations.open")); n != 1 {
		t.Errorf("conversations.open called %d times, want once: Lore's DM with a person is cached", n)
	}

	core = &fakeCore{}
	h = newHTTPHarness(t, core, func(c *Config, _ *Deps) {
		c.Channels = map[string]ChannelSettings{"C1": {}}
	})
	press(h, "C2")
	resp := h.fake.waitCalls("hooks/response", 1)[0]
	if len(core.messages()) != 0 || resp.JSON["response_type"] == "in_channel" {
		t.Errorf("shared in a channel Lore may not answer in: %d messages, response %v", len(core.messages()), resp.JSON)
	}
	// /lore ask there answers privately, without a Share button.
	form := []byte(strings.Replace(string(commandForm(h.fake, "ask how do I book leave?")), "channel_id=C1", "channel_id=C2", 1))
	serve(h.a.Handler(), signed(t, "/slack/commands", "application/x-www-form-urlencoded", form, httpNow))
	resp = h.fake.waitCalls("hooks/response", 2)[1]
	if text := fmt.Sprint(resp.JSON["blocks"]); resp.JSON["response_type"] != "ephemeral" || strings.Contains(text, actionShare) {
		t.Errorf("/lore ask where Lore may not answer: %v %s", resp.JSON["response_type"], text)
	}
}

// Share pressed twice on one private answer (a double click, or two
// devices) posts the answer for the channel once; the private answer is
// removed once shared, and the second press is told it was.
func TestHTTPShareTwicePostsOnce(t *testing.T) {
	core := &fakeCore{}
	h := newHTTPHarness(t, core, nil)
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"channel":{"id":"C1"},
		"container":{"type":"message","is_ephemeral":true,"channel_id":"C1","message_ts":"1700000000.000100"},
		"response_url":%q,"actions":[{"action_id":%q,"value":"how do I book leave?"}]}`, h.fake.responseURL(), actionShare)
	body := []byte(url.Values{"payload": {payload}}.Encode())
	for range 2 {
		if w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", body, httpNow)); w.Code != 200 {
			t.Fatalf("status %d", w.Code)
		}
	}
	_ = h.a.Wait(t.Context())
	if n := len(core.messages()); n != 1 {
		t.Errorf("the core answered %d times, want once", n)
	}
	var shared, deleted, told int
	for _, c := range h.fake.callsOf("hooks/response") {
		switch {
		case c.JSON["response_type"] == "in_channel":
			shared++
		case c.JSON["delete_original"] == true:
			deleted++
		case strings.Contains(fmt.Sprint(c.JSON["blocks"]), "shared this answer already"):
			told++
			if c.JSON["response_type"] != "ephemeral" {
				t.Errorf("the note to the second press is %v, want ephemeral", c.JSON["response_type"])
			}
		}
	}
	if shared != 1 || deleted != 1 || told != 1 {
		t.Errorf("responses: %d shared, %d private answers removed, %d notes; want 1 each: %+v", shared, deleted, told, h.fake.callsOf("hooks/response"))
	}
}
