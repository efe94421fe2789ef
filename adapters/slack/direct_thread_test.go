package slack

import (
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
)

// SendDirectThread returns the ts of the message it posted, and a reply in
// that message's thread reaches the core as a direct message in that
// thread: how a learner's answer to a nudge finds the nudge.
func TestSendDirectThreadAndTheReplyInIt(t *testing.T) {
	core := &fakeCore{}
	h := newHarness(t, core, nil)
	ts, err := h.a.SendDirectThread(t.Context(), "U1", bot.Reply{Text: "🤔 *Your last odd message*\nReply in this thread."})
	if err != nil {
		t.Fatal(err)
	}
	posts := h.fake.callsOf("chat.postMessage")
	if ts == "" || len(posts) != 1 || posts[0].Form.Get("channel") != "DU1" || posts[0].Form.Get("thread_ts") != "" {
		t.Fatalf("ts %q, posts %+v", ts, posts)
	}
	if _, err := h.a.SendDirectThread(t.Context(), "not-a-user", bot.Reply{Text: "x"}); err == nil || !strings.Contains(err.Error(), "not a Slack user id") {
		t.Fatalf("a bad user id: %v", err)
	}

	h.deliver(t, withEvent(t, "message_im.json", "Ev-thread-reply", func(ev map[string]any) {
		ev["thread_ts"], ev["text"] = ts, "A parcel text asking for my card"
	}))
	msgs := core.messages()
	if len(msgs) != 1 || !msgs[0].Direct || msgs[0].Thread != ts {
		t.Fatalf("core got %+v, want a direct message in thread %s", msgs, ts)
	}
}
