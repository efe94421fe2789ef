package slack

import (
	"encoding/json"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/bot/trace"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/handbook"
)

// A mention's event_id is the request id of every log line its handling
// writes, in the adapter and in the core, so that one question can be
// followed through a replica's logs.
func TestEventIDFollowsTheQuestionThroughTheLogs(t *testing.T) {
	st := openStore(t)
	k := knowledge.New(st, knowledge.Options{})
	docs, _ := fs.Sub(handbook.Docs, "docs")
	if _, err := k.IngestFS(t.Context(), docs, "handbook", "handbook"); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	log := slog.New(trace.Handler(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	b, err := bot.New(bot.Config{Knowledge: k, Events: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, b, func(c *Config, d *Deps) { c.Logger = log; d.Claims, d.People, d.Documents = st, st, st })
	h.runSocket(t)

	h.sendSocket(t, "events_api", eventJSON("Ev-trace-1", mentionEvent("<@UBOT> how many days of annual leave do I get?", "1700000100.000100", "")))
	h.fake.waitCalls("chat.postMessage", 1)
	var answered map[string]any
	h.fake.waitFor("the core's log line for the answer", func() bool {
		for line := range strings.Lines(logs.String()) {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "question answered" {
				answered = rec
				return true
			}
		}
		return false
	})
	if answered["request_id"] != "Ev-trace-1" || answered["platform"] != "slack" || answered["grounded"] != true {
		t.Fatalf("the answer's log line does not carry the event's id: %v", answered)
	}
	if strings.Contains(logs.String(), "annual leave") {
		t.Fatalf("a question's text reached the log:\n%s", logs.String())
	}
}
