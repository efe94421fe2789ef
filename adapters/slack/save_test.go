package slack

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/curation"
	"github.com/lorehq/lore/knowledge"
)

// fakeSaver records the saves the adapter hands the core.
type fakeSaver struct {
	mu    sync.Mutex
	saves []bot.SaveRequest
	reply string
}

func (s *fakeSaver) HandleSave(_ context.Context, req bot.SaveRequest) bot.Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves = append(s.saves, req)
	return bot.Reply{Text: s.reply}
}

func (s *fakeSaver) got() []bot.SaveRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.SaveRequest(nil), s.saves...)
}

// shortcutPayload is a message_action payload as Slack sends it for the
// Save to knowledge shortcut on message (ts, threadTS) by author.
func shortcutPayload(f *fakeSlack, callbackID, author, botID, ts, threadTS, text string) string {
	msg := map[string]any{"type": "message", "user": author, "ts": ts, "text": text}
	if botID != "" {
		msg["bot_id"] = botID
	}
	if threadTS != "" {
		msg["thread_ts"] = threadTS
	}
	return toJSON(map[string]any{
		"type": "message_action", "callback_id": callbackID, "trigger_id": "13345224609.738474920.8088930838d88f008e0",
		"team": map[string]any{"id": "T1", "domain": "example"}, "channel": map[string]any{"id": "C1", "name": "help"},
		"user": map[string]any{"id": "USAVER", "team_id": "T1"}, "message_ts": ts, "message": msg,
		"response_url": f.responseURL(),
	})
}

func interactivityBody(payload string) []byte {
	return []byte(url.Values{"payload": {payload}}.Encode())
}

// Save to knowledge on a colleague's reply in a thread sends the core the
// reply and the thread's first message, over the same signed endpoint as
// button presses, and answers the saver alone, escaped.
func TestSaveShortcutOverHTTP(t *testing.T) {
	saver := &fakeSaver{reply: "Saved <!here> @channel as a draft."}
	h := newHTTPHarness(t, &fakeCore{}, func(_ *Config, d *Deps) { d.Saves = saver })
	h.fake.replies["1700000000.000100"] = []map[string]any{
		{"type": "message", "user": "UASK", "ts": "1700000000.000100", "text": "How do I get a parking pass &amp; a badge?"},
	}
	payload := shortcutPayload(h.fake, callbackSave, "UANS", "", "1700000000.000200", "1700000000.000100", "Ask <@U7> at reception &lt;desk 2&gt;, see <https://wiki.example.com/parking|the wiki> or <#C9|facilities>.")

	// A forged or stale request is refused before anything is read.
	forged := signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", interactivityBody(payload), httpNow)
	forged.Header.Set("X-Slack-Signature", "v0=00")
	if w := serve(h.a.Handler(), forged); w.Code != http.StatusUnauthorized {
		t.Errorf("forged shortcut: status %d", w.Code)
	}

	w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", interactivityBody(payload), httpNow))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	resp := h.fake.waitCalls("hooks/response", 1)[0]
	got := saver.got()
	if len(got) != 1 {
		t.Fatalf("saves %+v", got)
	}
	want := bot.SaveRequest{
		Platform: "slack", Workspace: "T1", Channel: "C1", Thread: "1700000000.000100", User: "USAVER",
		Question: "How do I get a parking pass & a badge?", QuestionAuthor: "UASK",
		Answer: "Ask @U7 at reception <desk 2>, see the wiki (https://wiki.example.com/parking) or #facilities.", AnswerAuthor: "UANS", AnswerID: "1700000000.000200",
		Permalink: "https://t1.slack.com/archives/C1/p1700000000000200", Public: true,
	}
	if got[0] != want {
		t.Errorf("save request\n got %+v\nwant %+v", got[0], want)
	}
	if r := h.fake.callsOf("conversations.replies"); len(r) != 1 || r[0].Form.Get("ts") != "1700000000.000100" || r[0].Form.Get("channel") != "C1" {
		t.Errorf("conversations.replies calls %+v", r)
	}
	if resp.JSON["response_type"] != "ephemeral" {
		t.Errorf("response_type %v, want ephemeral", resp.JSON["response_type"])
	}
	text := fmt.Sprint(resp.JSON["blocks"]) + fmt.Sprint(resp.JSON["text"])
	if strings.Contains(text, "<!here>") || strings.Contains(text, " @channel") || !strings.Contains(text, "&lt;!here&gt;") {
		t.Errorf("the reply is not escaped: %s", text)
	}
}

// A save from a private channel is marked as not public, so that the
// core keeps it to that channel's readers.
func TestSaveShortcutFromAPrivateChannel(t *testing.T) {
	saver := &fakeSaver{reply: "saved"}
	h := newHTTPHarness(t, &fakeCore{}, func(_ *Config, d *Deps) { d.Saves = saver })
	h.fake.private["C1"] = true
	h.fake.replies["1700000000.000100"] = []map[string]any{{"type": "message", "user": "UASK", "ts": "1700000000.000100", "text": "Where is the VPN guide?"}}
	payload := shortcutPayload(h.fake, callbackSave, "UANS", "", "1700000000.000200", "1700000000.000100", "In the IT space.")
	if w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", interactivityBody(payload), httpNow)); w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	h.fake.waitCalls("hooks/response", 1)
	if got := saver.got(); len(got) != 1 || got[0].Public || got[0].Question == "" {
		t.Errorf("saves %+v, want one from a channel that is not public", got)
	}
	if r := h.fake.callsOf("conversations.info"); len(r) != 1 || r[0].Form.Get("channel") != "C1" {
		t.Errorf("conversations.info calls %+v", r)
	}
}

// Over Socket Mode too; Lore's own message and a message outside a thread
// reach the core as such, without reading any thread.
func TestSaveShortcutOverSocketMode(t *testing.T) {
	saver := &fakeSaver{reply: "refused"}
	h := newHarness(t, &fakeCore{}, func(_ *Config, d *Deps) { d.Saves = saver })
	h.runSocket(t)
	h.sendSocket(t, "interactive", []byte(shortcutPayload(h.fake, callbackSave, "UBOT", "BBOT", "1700000000.000300", "1700000000.000100", "An answer of Lore's")))
	h.sendSocket(t, "interactive", []byte(shortcutPayload(h.fake, callbackSave, "UANS", "", "1700000000.000400", "", "A message of its own")))
	h.fake.waitCalls("hooks/response", 2)
	got := saver.got()
	// The two are handled concurrently.
	slices.SortFunc(got, func(a, b bot.SaveRequest) int { return strings.Compare(a.AnswerID, b.AnswerID) })
	if len(got) != 2 || !got[0].AnswerByLore || got[0].Question != "" || got[1].AnswerByLore || got[1].Question != "" {
		t.Errorf("saves %+v", got)
	}
	if n := len(h.fake.callsOf("conversations.replies")); n != 0 {
		t.Errorf("%d conversations.replies calls", n)
	}
}

func TestSaveShortcutProblems(t *testing.T) {
	saver := &fakeSaver{reply: "saved"}
	h := newHTTPHarness(t, &fakeCore{}, func(_ *Config, d *Deps) { d.Saves = saver })
	post := func(payload string) string {
		t.Helper()
		before := len(h.fake.callsOf("hooks/response"))
		if w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", interactivityBody(payload), httpNow)); w.Code != http.StatusOK {
			t.Fatalf("status %d", w.Code)
		}
		resp := h.fake.waitCalls("hooks/response", before+1)[before]
		return fmt.Sprint(resp.JSON["text"])
	}
	// A thread Slack will not show Lore: nothing is saved, and the saver
	// is told why.
	if got := post(shortcutPayload(h.fake, callbackSave, "UANS", "", "1700000000.000200", "1700000000.000999", "answer")); !strings.Contains(got, "couldn't read this thread") {
		t.Errorf("unreadable thread: %q", got)
	}
	if got := post(shortcutPayload(h.fake, "some_other_shortcut", "UANS", "", "1700000000.000200", "", "answer")); !strings.Contains(got, "don't know that shortcut") {
		t.Errorf("other shortcut: %q", got)
	}
	if n := len(saver.got()); n != 0 {
		t.Errorf("%d saves", n)
	}
	// A payload without its message is malformed.
	bad := `{"type":"message_action","callback_id":"save_to_knowledge","user":{"id":"U1"},"channel":{"id":"C1"}}`
	if w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", interactivityBody(bad), httpNow)); w.Code != http.StatusBadRequest {
		t.Errorf("malformed shortcut: status %d", w.Code)
	}
	// Without a saver the shortcut says saving is not set up.
	bare := newHTTPHarness(t, &fakeCore{}, nil)
	serve(bare.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded",
		interactivityBody(shortcutPayload(bare.fake, callbackSave, "UANS", "", "1700000000.000200", "1700000000.000100", "answer")), httpNow))
	if resp := bare.fake.waitCalls("hooks/response", 1)[0]; !strings.Contains(fmt.Sprint(resp.JSON["text"]), "not set up") {
		t.Errorf("without a saver: %v", resp.JSON["text"])
	}
}

// Save to knowledge over Socket Mode, through a real bot with the curation
// capability over a real SQLite store: the thread's question and the reply
// become a draft credited to the reply's author.
func TestEndToEndSaveToKnowledge(t *testing.T) {
	st := openStore(t)
	k := knowledge.New(st, knowledge.Options{})
	cur, err := curation.New(curation.Config{Store: st, Roles: curation.DirectoryRoles{}, Events: st, Index: k})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: k, Events: st, Curation: cur})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, func(_ *Config, d *Deps) { d.Claims, d.People, d.Documents, d.Saves = st, st, st, b })
	h.fake.replies["1700000000.000100"] = []map[string]any{
		{"type": "message", "user": "UASK", "ts": "1700000000.000100", "text": "Where do I book a meeting room?"},
	}
	h.runSocket(t)
	h.sendSocket(t, "interactive", []byte(shortcutPayload(h.fake, callbackSave, "UANS", "", "1700000000.000200", "1700000000.000100", "In the Rooms app, under Book.")))
	resp := h.fake.waitCalls("hooks/response", 1)[0]
	if text := fmt.Sprint(resp.JSON["text"]); !strings.Contains(text, "Saved to knowledge as a draft") || resp.JSON["response_type"] != "ephemeral" {
		t.Fatalf("reply %v", resp.JSON)
	}
	drafts, err := st.Drafts(t.Context())
	if err != nil || len(drafts) != 1 {
		t.Fatalf("drafts %+v, %v", drafts, err)
	}
	if d := drafts[0]; d.Title != "Where do I book a meeting room?" || d.Owner != "slack/T1/UANS" || d.Collection != "suggestions" ||
		d.Source != "https://t1.slack.com/archives/C1/p1700000000000200" {
		t.Errorf("draft %+v", d)
	}
}
