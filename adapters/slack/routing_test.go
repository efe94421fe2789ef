package slack

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliver hands an event body to the adapter as either mode would, and
// waits for the work to finish.
func (h *harness) deliver(t *testing.T, body []byte) {
	t.Helper()
	env, err := parseEnvelope(body)
	if err != nil {
		t.Fatal(err)
	}
	if h.a.self.Load() == nil {
		if err := h.a.Identify(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := h.a.checkEvent(t.Context(), env)
	if err != nil {
		t.Fatalf("check the claim: %v", err)
	}
	if fresh {
		h.a.background(t.Context(), "test", func(ctx context.Context) {
			if h.a.claimEvent(ctx, env) {
				h.a.handleEnvelope(ctx, env)
			}
		})
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func withEvent(t *testing.T, name, eventID string, edit func(ev map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(readTestdata(t, name), &m); err != nil {
		t.Fatal(err)
	}
	m["event_id"] = eventID
	if edit != nil {
		edit(m["event"].(map[string]any))
	}
	b, _ := json.Marshal(m)
	return b
}

func TestDirectMessageAnsweredTopLevel(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, nil)
	h.deliver(t, readTestdata(t, "message_im.json"))
	msgs := core.messages()
	if len(msgs) != 1 || !msgs[0].Direct || msgs[0].Text != "How do I set up the VPN & SSO?" || msgs[0].Thread != "" {
		t.Fatalf("core got %+v, want one direct message with entities decoded", msgs)
	}
	post := h.fake.callsOf("chat.postMessage")
	if len(post) != 1 || post[0].Form.Get("channel") != "D024BE91L" || post[0].Form.Get("thread_ts") != "" {
		t.Fatalf("posted %+v", post)
	}
}

func TestIgnoredMessages(t *testing.T) {
	for _, c := range []struct {
		name       string
		body       func(t *testing.T) []byte
		answerBots bool
		want       int
	}{
		{"another bot", func(t *testing.T) []byte { return readTestdata(t, "message_bot.json") }, false, 0},
		{"another bot when allowed", func(t *testing.T) []byte { return readTestdata(t, "message_bot.json") }, true, 1},
		{"Lore's own message by bot_id", func(t *testing.T) []byte {
			return withEvent(t, "message_bot.json", "Ev-own", func(ev map[string]any) { ev["bot_id"] = "BBOT" })
		}, true, 0},
		{"Lore's own message by user", func(t *testing.T) []byte {
			return withEvent(t, "message_im.json", "Ev-own2", func(ev map[string]any) { ev["user"] = "UBOT" })
		}, true, 0},
		{"an edit", func(t *testing.T) []byte {
			return withEvent(t, "message_im.json", "Ev-edit", func(ev map[string]any) { ev["subtype"] = "message_changed" })
		}, false, 0},
		{"a channel message without a mention", func(t *testing.T) []byte {
			return withEvent(t, "message_im.json", "Ev-chan", func(ev map[string]any) { ev["channel_type"] = "channel"; ev["channel"] = "C1" })
		}, false, 0},
		{"a channel message that mentions Lore (app_mention answers it)", func(t *testing.T) []byte {
			return withEvent(t, "message_im.json", "Ev-chan2", func(ev map[string]any) {
				ev["channel_type"], ev["channel"], ev["text"] = "channel", "C1", "<@UBOT> hi?"
			})
		}, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			core := &fakeCore{}
			h := newHarness(t, core, func(cfg *Config, _ *Deps) { cfg.AnswerBots = c.answerBots })
			h.deliver(t, c.body(t))
			if got := len(core.messages()); got != c.want {
				t.Errorf("answered %d times, want %d", got, c.want)
			}
		})
	}
}

// After Lore answers a mention, a follow-up in that thread needs no
// mention; a reply in a thread Lore never answered is left alone.
func TestThreadFollowUps(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, nil)
	h.deliver(t, withEvent(t, "message_thread.json", "Ev-early", nil))
	if n := len(core.messages()); n != 0 {
		t.Fatalf("answered %d replies in a thread Lore had not answered", n)
	}
	h.deliver(t, readTestdata(t, "app_mention.json"))
	h.deliver(t, readTestdata(t, "message_thread.json"))
	msgs := core.messages()
	if len(msgs) != 2 || msgs[1].Text != "and for part-time staff?" || msgs[1].Thread != "1515449522.000016" {
		t.Fatalf("core got %+v, want the mention and then the follow-up", msgs)
	}
	posts := h.fake.callsOf("chat.postMessage")
	if len(posts) != 2 || posts[1].Form.Get("thread_ts") != "1515449522.000016" {
		t.Errorf("follow-up answer not in the thread: %+v", posts)
	}
}

func TestChannelSettings(t *testing.T) {
	question := func(id, channel, text string) []byte {
		return withEvent(t, "message_im.json", id, func(ev map[string]any) {
			ev["channel_type"], ev["channel"], ev["text"], ev["ts"] = "channel", channel, text, "1700000300.000"+id[len(id)-1:]
		})
	}
	core := &fakeCore{}
	h := newHarness(t, core, func(cfg *Config, _ *Deps) {
		cfg.Channels = map[string]ChannelSettings{"CALL": {Answer: AnswerAll}, "C1": {Answer: AnswerMentioned}}
	})
	h.deliver(t, question("Ev-a1", "CALL", "does anyone know the wifi password?"))
	h.deliver(t, question("Ev-a2", "CALL", "lunch is here"))
	h.deliver(t, question("Ev-a3", "C1", "does anyone know the wifi password?"))
	if msgs := core.messages(); len(msgs) != 1 || msgs[0].Channel != "CALL" {
		t.Fatalf("core got %+v, want only the question in the answer-all channel", msgs)
	}
	// A mention in a channel outside the allow-list gets a private hint.
	h.deliver(t, withEvent(t, "app_mention.json", "Ev-other", func(ev map[string]any) { ev["channel"] = "COTHER" }))
	if n := len(core.messages()); n != 1 {
		t.Errorf("answered in a channel outside the allow-list")
	}
	eph := h.fake.callsOf("chat.postEphemeral")
	if len(eph) != 1 || !strings.Contains(eph[0].Form.Get("blocks"), "not set up to answer in this channel") {
		t.Errorf("ephemeral hint %+v", eph)
	}
}

// A channel limited to some collections never shows an answer citing
// another.
func TestChannelCollections(t *testing.T) {
	core := &fakeCore{reply: func(bot.Message, bot.StreamFunc) bot.Reply {
		return bot.Reply{Text: "Secret salary bands are…", Grounded: true,
			Citations: []bot.Citation{{N: 1, DocID: "hr-doc", Title: "Salaries"}},
			Buttons:   []bot.Button{{ID: bot.ActionHelpful, Value: "a"}, {ID: bot.ActionAskPerson, Label: "Ask a person", Value: "a"}}}
	}}
	h := newHarness(t, core, func(cfg *Config, _ *Deps) {
		cfg.Channels = map[string]ChannelSettings{"C1": {Collections: []string{"handbook"}}}
	})
	for _, d := range []store.Document{{ID: "hr-doc", Collection: "hr", Source: "hr/salaries.md"}} {
		if err := h.store.ReplaceDocument(t.Context(), d, nil); err != nil {
			t.Fatal(err)
		}
	}
	h.deliver(t, readTestdata(t, "app_mention.json"))
	post := h.fake.waitCalls("chat.postMessage", 1)[0]
	blocks := post.Form.Get("blocks")
	if strings.Contains(blocks, "Secret salary") || !strings.Contains(blocks, "isn't set up to cite") {
		t.Fatalf("answer from another collection shown: %s", blocks)
	}
	if !strings.Contains(blocks, bot.ActionAskPerson) || strings.Contains(blocks, bot.ActionHelpful) {
		t.Errorf("withheld answer should keep only Ask a person: %s", blocks)
	}
}

func TestAppHome(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, func(_ *Config, d *Deps) {
		d.Commands = map[string]Command{"nudges": {Summary: "your reminders", Run: func(context.Context, bot.Message) bot.Reply { return bot.Reply{} }}}
	})
	h.deliver(t, readTestdata(t, "app_home_opened.json"))
	views := h.fake.callsOf("views.publish")
	if len(views) != 1 || views[0].JSON["user_id"] != "U2" {
		t.Fatalf("views.publish calls %+v", views)
	}
	view, _ := json.Marshal(views[0].JSON["view"])
	for _, want := range []string{`"type":"home"`, "What Lore can do", "Your learning", "/lore nudges", "Settings", "America/Chicago", actionRefreshTZ} {
		if !strings.Contains(string(view), want) {
			t.Errorf("home view lacks %q: %s", want, view)
		}
	}
	p, err := h.store.Person(t.Context(), "slack", "T1", "U2")
	if err != nil || p.TimeZone != "America/Chicago" {
		t.Errorf("stored person %+v, %v", p, err)
	}

	// The settings button reads the profile again, even when fresh.
	h.fake.mu.Lock()
	h.fake.tz["U2"] = "Asia/Tokyo"
	h.fake.mu.Unlock()
	press, _ := json.Marshal(map[string]any{"type": "block_actions", "user": map[string]any{"id": "U2", "team_id": "T1"},
		"container": map[string]any{"type": "view"}, "actions": []any{map[string]any{"action_id": actionRefreshTZ}}})
	in, err := parseInteractionJSON(press)
	if err != nil {
		t.Fatal(err)
	}
	h.a.handleInteraction(t.Context(), in)
	if p, _ := h.store.Person(t.Context(), "slack", "T1", "U2"); p.TimeZone != "Asia/Tokyo" {
		t.Errorf("time zone after refresh %q", p.TimeZone)
	}
	if n := len(h.fake.callsOf("views.publish")); n != 2 {
		t.Errorf("home not republished after refresh (%d publishes)", n)
	}
}

func TestUnknownTimeZoneStoredAsUnknown(t *testing.T) {
	h := newHarness(t, &fakeCore{}, nil)
	h.fake.tz["U1"] = "Mars/Olympus_Mons"
	if err := h.a.savePerson(t.Context(), "T1", "U1", true); err != nil {
		t.Fatal(err)
	}
	if p, err := h.store.Person(t.Context(), "slack", "T1", "U1"); err != nil || p.TimeZone != "" {
		t.Errorf("person %+v, %v; want an unknown zone stored as empty", p, err)
	}
}

func TestSendDirect(t *testing.T) {
	h := newHarness(t, &fakeCore{}, nil)
	if err := h.a.SendDirect(t.Context(), []string{"U1"}, bot.Reply{Text: "Time for your weekly review of *leave*."}); err != nil {
		t.Fatal(err)
	}
	if err := h.a.SendDirect(t.Context(), []string{"U1", "U2"}, bot.Reply{Text: "Meet your buddy!"}); err != nil {
		t.Fatal(err)
	}
	opens := h.fake.callsOf("conversations.open")
	posts := h.fake.callsOf("chat.postMessage")
	if len(opens) != 2 || opens[0].Form.Get("users") != "U1" || opens[1].Form.Get("users") != "U1,U2" {
		t.Fatalf("conversations.open calls %+v", opens)
	}
	if len(posts) != 2 || posts[0].Form.Get("channel") != "DU1" || posts[1].Form.Get("channel") != "GU1U2" {
		t.Fatalf("posts %+v", posts)
	}
	if !strings.Contains(posts[0].Form.Get("blocks"), "weekly review of _leave_") {
		t.Errorf("DM blocks %s", posts[0].Form.Get("blocks"))
	}
	for _, bad := range [][]string{nil, {"not-a-user"}, {"U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9"}} {
		if err := h.a.SendDirect(t.Context(), bad, bot.Reply{Text: "x"}); err == nil {
			t.Errorf("SendDirect(%v) succeeded", bad)
		}
	}
}

// A private reply to a channel message is shown only to the asker.
func TestPrivateReplyInChannelIsEphemeral(t *testing.T) {
	core := &fakeCore{reply: func(bot.Message, bot.StreamFunc) bot.Reply {
		return bot.Reply{Text: "Only you can see this.", Private: true}
	}}
	h := newHarness(t, core, nil)
	h.deliver(t, readTestdata(t, "app_mention.json"))
	eph := h.fake.callsOf("chat.postEphemeral")
	if len(eph) != 1 || eph[0].Form.Get("user") != "U1" || eph[0].Form.Get("thread_ts") != "1515449522.000016" {
		t.Fatalf("ephemeral calls %+v", eph)
	}
	if n := len(h.fake.callsOf("chat.postMessage")); n != 0 {
		t.Errorf("a private reply was posted for everyone (%d posts)", n)
	}
}

// TestEditedMentionIsNotAnsweredAgain: editing a message that mentions
// Lore makes Slack send its app_mention again, under a new event id and
// with "edited" set (a recorded delivery); the question was answered when
// it was posted, so the edit gets no second answer.
func TestEditedMentionIsNotAnsweredAgain(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, nil)
	h.deliver(t, readTestdata(t, "app_mention.json"))
	h.deliver(t, readTestdata(t, "app_mention_edited.json"))
	if n := len(core.messages()); n != 1 {
		t.Fatalf("core asked %d times, want once: %+v", n, core.messages())
	}
	if n := len(h.fake.callsOf("chat.postMessage")); n != 1 {
		t.Errorf("%d answers posted, want 1", n)
	}
	if n := len(h.fake.callsOf("reactions.add")); n != 1 {
		t.Errorf("%d working reactions, want 1", n)
	}
}
