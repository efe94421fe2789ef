package slack

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lorehq/lore/bot"
)

// BenchmarkHTTPEventAck is the time from a signed Events API request to
// its 200: reading, verifying and parsing it and handing the work to the
// background. Slack retries a delivery not acknowledged within 3 seconds.
// The event is of a type Lore ignores, so the background work is only the
// de-duplicating claim in SQLite.
func BenchmarkHTTPEventAck(b *testing.B) {
	h := newHTTPHarness(b, &fakeCore{}, nil)
	srv := h.a.Handler()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		body := eventJSON(fmt.Sprintf("Ev-bench-%d", i), map[string]any{"type": "team_join", "user": "U1"})
		if w := serve(srv, signed(b, "/slack/events", "application/json", body, httpNow)); w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
	b.StopTimer()
	_ = h.a.Wait(context.Background())
}

// BenchmarkRender is the cost of turning a long cited answer (about 10,000
// characters) into Block Kit messages.
func BenchmarkRender(b *testing.B) {
	r := bot.Reply{Text: strings.Repeat("Full-time employees get **27 days** of leave & more. ", 200), Grounded: true,
		Citations: []bot.Citation{{N: 1, Title: "Annual Leave", Heading: "Entitlement", Source: "https://wiki.example.com/leave"}},
		Buttons:   []bot.Button{{ID: bot.ActionHelpful, Label: "👍 Helpful", Value: "a"}}}
	b.ReportAllocs()
	for b.Loop() {
		render(r, renderOptions{})
	}
}
