package discord

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
)

// BenchmarkRenderLongAnswer renders a 7,000-character answer with ten
// sources: the work between the core's reply and the first REST call.
func BenchmarkRenderLongAnswer(b *testing.B) {
	r := sampleReply()
	r.Text = strings.Repeat("Full-time employees get 27 days of paid annual leave. ", 130)
	for i := 0; i < 8; i++ {
		r.Citations = append(r.Citations, bot.Citation{N: i + 3, Title: "Leave", Source: "handbook/leave.md", Snippet: strings.Repeat("passage ", 40)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(render(r)) < 4 {
			b.Fatal("not split")
		}
	}
}

// BenchmarkHandlerPing is the endpoint's fixed cost per request: read the
// body, verify the Ed25519 signature and the timestamp, parse, answer.
func BenchmarkHandlerPing(b *testing.B) {
	f := newFakeDiscord(b)
	var log testLog
	cfg := testConfig(f, &log)
	cfg.PublicKey = hexKey()
	cfg.Clock = func() time.Time { return testNow }
	a, err := New(cfg, &fakeCore{}, Deps{})
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"id": "1", "application_id": testApp, "type": 1, "token": "t", "version": 1})
	h := a.Handler()
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signed(body, testNow, testKey))
		if w.Code != 200 || !bytes.Contains(w.Body.Bytes(), []byte(`"type":1`)) {
			b.Fatalf("got %d", w.Code)
		}
	}
}
