package slack

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/handbook"
	"github.com/lorehq/lore/store"
)

// A mention arrives over Socket Mode; a real bot over a real SQLite store
// with the bundled handbook answers in the thread with citations; a press
// of 👍 on that answer is recorded as feedback on it.
func TestEndToEndMentionAnswerFeedback(t *testing.T) {
	st := openStore(t)
	k := knowledge.New(st, knowledge.Options{})
	docs, _ := fs.Sub(handbook.Docs, "docs")
	if _, err := k.IngestFS(t.Context(), docs, "handbook", "handbook"); err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: k, Events: st})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, func(_ *Config, d *Deps) { d.Claims, d.People, d.Documents = st, st, st })
	h.runSocket(t)

	mention := eventJSON("Ev-e2e-1", mentionEvent("<@UBOT> how many days of annual leave do I get?", "1700000100.000100", ""))
	h.sendSocket(t, "events_api", mention)
	post := h.fake.waitCalls("chat.postMessage", 1)[0]
	if got := post.Form.Get("thread_ts"); got != "1700000100.000100" {
		t.Fatalf("answer posted with thread_ts %q, want the mention's ts", got)
	}
	if post.Form.Get("channel") != "C1" {
		t.Fatalf("answer posted in %q", post.Form.Get("channel"))
	}
	var sources, helpful string
	for _, bl := range post.blocks(t) {
		if strings.HasPrefix(bl["block_id"].(string), blockIDSourcePfx) {
			sources = bl["text"].(map[string]any)["text"].(string)
		}
		if bl["type"] == "actions" {
			for _, el := range bl["elements"].([]any) {
				el := el.(map[string]any)
				if el["action_id"] == bot.ActionHelpful {
					helpful = el["value"].(string)
				}
			}
		}
	}
	if !strings.Contains(sources, "*[1]* Annual Leave") || !strings.Contains(sources, "annual-leave.md") {
		t.Fatalf("sources block %q does not cite the annual leave page", sources)
	}
	if helpful == "" {
		t.Fatal("no 👍 Helpful button with a value on the answer")
	}

	// A redelivery of the same event (new envelope, same event_id) is not
	// answered twice.
	h.sendSocket(t, "events_api", mention)

	press, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U1", "team_id": "T1"}, "team": map[string]any{"id": "T1"},
		"channel":      map[string]any{"id": "C1"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1", "thread_ts": "1700000100.000100"},
		"response_url": h.fake.responseURL(),
		"actions":      []any{map[string]any{"action_id": bot.ActionHelpful, "block_id": blockIDButtons, "value": helpful, "type": "button"}},
	})
	h.sendSocket(t, "interactive", press)
	reply := h.fake.waitCalls("hooks/response", 1)[0]
	if reply.JSON["response_type"] != "ephemeral" {
		t.Errorf("feedback thanks is %v, want ephemeral", reply.JSON["response_type"])
	}
	var feedback []store.Event
	h.fake.waitFor("the feedback event", func() bool {
		feedback, err = st.Events(t.Context(), store.EventFilter{Kind: store.EventFeedback})
		return err == nil && len(feedback) == 1
	})
	if f := feedback[0]; f.Ref != helpful || f.Value != 1 || f.User != "U1" || f.Platform != "slack" || f.Channel != "C1" {
		t.Errorf("feedback event %+v, want +1 by U1 on answer %s", f, helpful)
	}
	// "Ask a person" on the same answer is recorded as a help request.
	ask := strings.Replace(string(press), bot.ActionHelpful, bot.ActionAskPerson, 1)
	h.sendSocket(t, "interactive", []byte(ask))
	h.fake.waitFor("the help request", func() bool {
		reqs, err := st.Events(t.Context(), store.EventFilter{Kind: store.EventHelpRequest})
		return err == nil && len(reqs) == 1 && reqs[0].Ref == helpful
	})

	answers, _ := st.Events(t.Context(), store.EventFilter{Kind: store.EventAnswer})
	if len(answers) != 1 || answers[0].ID != helpful || answers[0].Thread != "1700000100.000100" || answers[0].Workspace != "T1" {
		t.Errorf("answer events %+v, want one in the thread with id %s", answers, helpful)
	}
	if n := len(h.fake.callsOf("chat.postMessage")); n != 1 {
		t.Errorf("%d answers posted, want 1 despite the redelivery", n)
	}
	// The working reaction was added to the mention and taken off again
	// (after the answer was posted).
	h.fake.waitCalls("reactions.remove", 1)
	if len(h.fake.callsOf("reactions.add")) != 1 || len(h.fake.callsOf("reactions.remove")) != 1 {
		t.Errorf("reactions add/remove = %d/%d, want 1/1", len(h.fake.callsOf("reactions.add")), len(h.fake.callsOf("reactions.remove")))
	}
	// The asker's time zone was stored for scheduling.
	h.fake.waitFor("the time zone", func() bool {
		p, err := st.Person(t.Context(), "slack", "T1", "U1")
		return err == nil && p.TimeZone == "Europe/Berlin"
	})
}
