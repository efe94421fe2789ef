package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/lorehq/lore/bot"
)

// longAnswer is an answer far longer than five messages can hold, with a
// code block that the cut falls in, its sources and its buttons.
func longAnswer(sentences int) bot.Reply {
	var b strings.Builder
	for i := range sentences {
		fmt.Fprintf(&b, "Sentence %d: leave is booked in the HR portal before the first day off.\n\n", i)
		if i%500 == 0 {
			b.WriteString("```\nportal --book leave\n" + strings.Repeat("step\n", 400) + "```\n\n")
		}
	}
	return bot.Reply{Text: b.String(), Grounded: true,
		Citations: []bot.Citation{{N: 1, DocID: "d1", Title: "Leave", Source: "https://wiki.example.com/leave"}},
		Buttons:   []bot.Button{{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "a1"}}}
}

// An answer that needs more messages than allowed is cut, with a marker,
// its sources and buttons kept; each message stays within Slack's limits,
// and an answer that fits is not touched.
func TestRenderFitsMaxMessages(t *testing.T) {
	r := longAnswer(1000) // ~80,000 characters
	if n := len(render(r, renderOptions{})); n <= maxResponseURLUses {
		t.Fatalf("the answer takes only %d messages; the test needs more than %d", n, maxResponseURLUses)
	}
	for _, limit := range []int{1, 4, 5} {
		msgs := render(r, renderOptions{maxMessages: limit, share: true, question: "leave?"})
		if len(msgs) > limit {
			t.Fatalf("limit %d: %d messages", limit, len(msgs))
		}
		for i, m := range msgs {
			total := 0
			for _, b := range m.Blocks {
				total += blockText(b)
			}
			if total > maxMessageText || len(m.Blocks) > maxBlocks {
				t.Errorf("limit %d: message %d has %d blocks, %d characters", limit, i, len(m.Blocks), total)
			}
		}
		raw, _ := json.Marshal(msgs[len(msgs)-1].Blocks)
		for _, want := range []string{shortenedMarker, "wiki.example.com/leave", bot.ActionHelpful, actionShare} {
			if !strings.Contains(string(raw), want) {
				t.Errorf("limit %d: the last message lacks %q", limit, want)
			}
		}
		// The messages are nearly full: packing, not dropping.
		var shown int
		for _, m := range msgs {
			for _, b := range m.Blocks {
				if s, ok := b.(*slack.SectionBlock); ok && strings.HasPrefix(s.BlockID, blockIDAnswerPfx) {
					shown += utf8.RuneCountInString(s.Text.Text)
					if strings.Count(s.Text.Text, fence)%2 == 1 {
						t.Errorf("limit %d: a section leaves a code block open", limit)
					}
				}
			}
		}
		if shown < limit*maxMessageText*9/10 {
			t.Errorf("limit %d: only %d characters of answer shown", limit, shown)
		}
	}
	short := bot.Reply{Text: "Book leave in the HR portal."}
	raw, _ := json.Marshal(render(short, renderOptions{maxMessages: 1}))
	if strings.Contains(string(raw), shortenedMarker) || !strings.Contains(string(raw), "HR portal.") {
		t.Errorf("a short answer was changed: %s", raw)
	}
}

// A private /lore ask answer too long for the five uses of a
// response_url arrives in at most five, cut with a marker, with its
// sources, buttons and Share button.
func TestLongSlashAnswerFitsResponseURLUses(t *testing.T) {
	core := &fakeCore{reply: func(bot.Message, bot.StreamFunc) bot.Reply { return longAnswer(1000) }}
	h := newHTTPHarness(t, core, nil)
	w := serve(h.a.Handler(), signed(t, "/slack/commands", "application/x-www-form-urlencoded", commandForm(h.fake, "ask how do I book leave?"), httpNow))
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	_ = h.a.Wait(t.Context())
	resp := h.fake.callsOf("hooks/response")
	if len(resp) == 0 || len(resp) > maxResponseURLUses {
		t.Fatalf("%d uses of the response_url, want 1 to %d", len(resp), maxResponseURLUses)
	}
	last := fmt.Sprint(resp[len(resp)-1].JSON["blocks"])
	for _, want := range []string{"answer shortened", "wiki.example.com/leave", bot.ActionHelpful, actionShare} {
		if !strings.Contains(last, want) {
			t.Errorf("the last response lacks %q", want)
		}
	}
	for i, r := range resp {
		if r.JSON["response_type"] != "ephemeral" {
			t.Errorf("response %d: response_type %v", i, r.JSON["response_type"])
		}
	}
}

// Sharing a long answer leaves one use of the button's response_url for
// removing the private answer: at most four messages, then the removal.
func TestLongSharedAnswerLeavesAUseForTheRemoval(t *testing.T) {
	core := &fakeCore{reply: func(bot.Message, bot.StreamFunc) bot.Reply { return longAnswer(1000) }}
	h := newHTTPHarness(t, core, nil)
	payload := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U1","team_id":"T1"},"channel":{"id":"C1"},
		"container":{"type":"message","is_ephemeral":true,"channel_id":"C1","message_ts":"1"},
		"response_url":%q,"actions":[{"action_id":%q,"value":"how do I book leave?"}]}`, h.fake.responseURL(), actionShare)
	body := []byte(url.Values{"payload": {payload}}.Encode())
	if w := serve(h.a.Handler(), signed(t, "/slack/interactivity", "application/x-www-form-urlencoded", body, httpNow)); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	_ = h.a.Wait(t.Context())
	resp := h.fake.callsOf("hooks/response")
	if len(resp) < 2 || len(resp) > maxResponseURLUses {
		t.Fatalf("%d uses of the response_url, want 2 to %d", len(resp), maxResponseURLUses)
	}
	if resp[len(resp)-1].JSON["delete_original"] != true {
		t.Errorf("the last use does not remove the private answer: %v", resp[len(resp)-1].JSON)
	}
	if last := fmt.Sprint(resp[len(resp)-2].JSON["blocks"]); !strings.Contains(last, "answer shortened") || !strings.Contains(last, "wiki.example.com/leave") {
		t.Errorf("the last shared message lacks the marker or the sources: %.300s", last)
	}
}
