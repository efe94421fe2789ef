package slack

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/store"
)

// A core that streams many partial answers quickly: the message is posted
// once, updated no more often than StreamInterval allows, and finally
// replaced by the complete answer with its sources and buttons.
func TestStreamingIsPaced(t *testing.T) {
	const (
		interval = 100 * time.Millisecond
		tokens   = 60
		gap      = 10 * time.Millisecond
	)
	var elapsed time.Duration
	core := &fakeCore{reply: func(_ bot.Message, stream bot.StreamFunc) bot.Reply {
		start := time.Now()
		text := ""
		for i := range tokens {
			text += fmt.Sprintf("word%d ", i)
			stream(text)
			time.Sleep(gap)
		}
		elapsed = time.Since(start)
		return bot.Reply{Text: text + "done.", Grounded: true,
			Citations: []bot.Citation{{N: 1, DocID: "d", Title: "VPN", Source: "handbook/vpn.md"}},
			Buttons:   []bot.Button{{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "a1"}}}
	}}
	h := newHarness(t, core, func(c *Config, _ *Deps) { c.StreamInterval = interval })
	h.deliver(t, readTestdata(t, "app_mention.json"))

	posts, updates := h.fake.callsOf("chat.postMessage"), h.fake.callsOf("chat.update")
	if len(posts) != 1 {
		t.Fatalf("%d messages posted, want 1 updated in place", len(posts))
	}
	if !strings.Contains(posts[0].Form.Get("blocks"), "writing…") {
		t.Errorf("the first post is not a partial answer: %s", posts[0].Form.Get("blocks"))
	}
	// One update per interval at most, plus the final one.
	if limit := int(elapsed/interval) + 2; len(updates) > limit || len(updates) < 2 {
		t.Fatalf("%d chat.update calls over %s at one per %s; want between 2 and %d", len(updates), elapsed, interval, limit)
	}
	final := updates[len(updates)-1]
	if final.Form.Get("ts") != "1700000000.000001" {
		t.Errorf("final update of %q, want the streamed message", final.Form.Get("ts"))
	}
	for _, want := range []string{"word59 done.", "*[1]* VPN", bot.ActionHelpful} {
		if !strings.Contains(final.Form.Get("blocks"), want) {
			t.Errorf("final message lacks %q: %s", want, final.Form.Get("blocks"))
		}
	}
	if strings.Contains(final.Form.Get("blocks"), "writing…") {
		t.Error("final message still says writing…")
	}
}

// A core that does not stream gets one post and no updates.
func TestNoStreamOnePost(t *testing.T) {
	h := newHarness(t, &fakeCore{}, nil)
	h.deliver(t, readTestdata(t, "app_mention.json"))
	if p, u := len(h.fake.callsOf("chat.postMessage")), len(h.fake.callsOf("chat.update")); p != 1 || u != 0 {
		t.Errorf("posts/updates = %d/%d, want 1/0", p, u)
	}
}

// In a channel limited to some collections, an answer citing another is
// never shown, not even while it is written: such a channel is not
// streamed, and only the withheld note is posted.
func TestNoStreamingInChannelLimitedToCollections(t *testing.T) {
	const secret = "Secret salary bands are"
	core := &fakeCore{reply: func(_ bot.Message, stream bot.StreamFunc) bot.Reply {
		for i := range 5 {
			stream(fmt.Sprintf("%s %d…", secret, i))
			time.Sleep(40 * time.Millisecond)
		}
		return bot.Reply{Text: secret + " these.", Grounded: true,
			Citations: []bot.Citation{{N: 1, DocID: "hr-doc", Title: "Salaries"}}}
	}}
	h := newHarness(t, core, func(cfg *Config, _ *Deps) {
		cfg.Channels = map[string]ChannelSettings{"C1": {Collections: []string{"handbook"}}}
		cfg.StreamInterval = 20 * time.Millisecond
	})
	if err := h.store.ReplaceDocument(t.Context(), store.Document{ID: "hr-doc", Collection: "hr", Source: "hr/salaries.md"}, nil); err != nil {
		t.Fatal(err)
	}
	h.deliver(t, readTestdata(t, "app_mention.json"))
	shown := append(h.fake.callsOf("chat.postMessage"), h.fake.callsOf("chat.update")...)
	for _, c := range shown {
		if strings.Contains(c.Form.Get("blocks")+c.Form.Get("text"), "Secret salary") {
			t.Fatalf("%s showed the answer from another collection: %s", c.Method, c.Form.Get("blocks"))
		}
	}
	if len(shown) != 1 || !strings.Contains(shown[0].Form.Get("blocks"), "isn't set up to cite") {
		t.Errorf("want the withheld note posted once, got %+v", shown)
	}
}

// A private reply the core hands to the streaming path is never left in
// the channel: the streamed message is deleted, or, when Slack refuses
// the deletion, replaced by a note that says nothing of the reply; the
// reply itself is shown only to the asker.
func TestStreamedPrivateReplyStaysPrivate(t *testing.T) {
	for _, deleteFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("delete fails %v", deleteFails), func(t *testing.T) {
			var h *harness
			core := &fakeCore{reply: func(_ bot.Message, stream bot.StreamFunc) bot.Reply {
				stream("Your quiz score")
				h.fake.waitCalls("chat.postMessage", 1)
				return bot.Reply{Text: "Your quiz score is 3 of 10.", Private: true}
			}}
			h = newHarness(t, core, nil)
			if deleteFails {
				h.fake.mu.Lock()
				h.fake.fail["chat.delete"] = "cant_delete_message"
				h.fake.mu.Unlock()
			}
			h.deliver(t, readTestdata(t, "app_mention.json"))

			streamed := h.fake.callsOf("chat.postMessage")
			if len(streamed) != 1 {
				t.Fatalf("%d posts, want only the streamed one", len(streamed))
			}
			del := h.fake.callsOf("chat.delete")
			if len(del) != 1 || del[0].Form.Get("ts") != "1700000000.000001" || del[0].Form.Get("channel") != "C1" {
				t.Fatalf("chat.delete calls %+v, want the streamed message deleted", del)
			}
			updates := h.fake.callsOf("chat.update")
			for _, u := range updates {
				if strings.Contains(u.Form.Get("blocks")+u.Form.Get("text"), "3 of 10") {
					t.Fatalf("the private reply was put in the channel: %s", u.Form.Get("blocks"))
				}
			}
			if deleteFails && (len(updates) != 1 || !strings.Contains(updates[0].Form.Get("blocks"), "only for the person who asked")) {
				t.Errorf("deletion refused: updates %+v, want the streamed text replaced by a note", updates)
			}
			if !deleteFails && len(updates) != 0 {
				t.Errorf("%d updates after the streamed message was deleted", len(updates))
			}
			eph := h.fake.callsOf("chat.postEphemeral")
			if len(eph) != 1 || eph[0].Form.Get("user") != "U1" || !strings.Contains(eph[0].Form.Get("blocks"), "3 of 10") {
				t.Errorf("ephemeral calls %+v, want the reply shown to the asker", eph)
			}
		})
	}
}
