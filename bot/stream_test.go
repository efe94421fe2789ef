package bot_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lorehq/lore/bot"
	"github.com/lorehq/lore/knowledge"
	"github.com/lorehq/lore/knowledge/llm"
	"github.com/lorehq/lore/knowledge/llm/llmtest"
	"github.com/lorehq/lore/store/sqlite"
)

// modelBot returns a bot over a knowledge service holding one VPN document
// whose language model is srv.
func modelBot(t testing.TB, srv *llmtest.Server) *bot.Bot {
	t.Helper()
	client, err := llm.New(llm.Config{BaseURL: srv.BaseURL(), APIKey: "sk-bot-test-key-123", ChatModel: "m", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	chat, err := llm.NewChat(client)
	if err != nil {
		t.Fatal(err)
	}
	st := openStoreTB(t)
	svc := knowledge.New(st, knowledge.Options{Model: chat})
	dir := t.TempDir()
	doc := "# VPN\n\n## Resetting your VPN password\n\nReset your VPN password from the self-service portal. Passwords expire every ninety days.\n"
	if err := os.WriteFile(filepath.Join(dir, "vpn.md"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Ingest(context.Background(), knowledge.IngestRequest{Paths: []string{dir}}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Config{Knowledge: svc, Events: st, Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandleMessageStreamStreamsModelAnswers(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(llmtest.ChatRequest) string {
		return "Reset it from the self-service portal [1]. Passwords expire every ninety days [1]."
	}
	srv.TokenDelay = 2 * time.Millisecond
	b := modelBot(t, srv)
	var mu sync.Mutex
	var got []string
	stream := func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() }
	reply := b.HandleMessageStream(t.Context(), shellMsg("alice", "#it", "How do I reset my VPN password?"), stream)
	if !reply.Grounded || reply.Fallback || len(reply.Citations) != 1 {
		t.Fatalf("reply %+v", reply)
	}
	if len(got) < 10 {
		t.Fatalf("%d streamed updates, want one per piece", len(got))
	}
	for i := 1; i < len(got); i++ {
		if len(got[i]) < len(got[i-1]) {
			t.Errorf("update %d shrank: %q after %q", i, got[i], got[i-1])
		}
	}
	if got[len(got)-1] != reply.Text {
		t.Errorf("last update %q, reply %q", got[len(got)-1], reply.Text)
	}
	got = nil
	if r := b.HandleMessageStream(t.Context(), shellMsg("alice", "#it", "help"), stream); !strings.Contains(r.Text, "ask") || len(got) != 0 {
		t.Errorf("a command was streamed: %q", got)
	}
}

func TestFallbackReply(t *testing.T) {
	srv := llmtest.New(t)
	srv.Fail("/chat/completions", llmtest.Fault{Status: 503})
	b := modelBot(t, srv)
	r := b.HandleMessageStream(t.Context(), shellMsg("alice", "#it", "How do I reset my VPN password?"), func(string) {})
	if !r.Fallback || !r.Grounded || !strings.HasSuffix(r.Text, knowledge.FallbackNote) {
		t.Errorf("reply %+v, want the extractive answer marked as a fallback", r)
	}
	if strings.Contains(r.Text, "sk-bot-test-key-123") {
		t.Error("the key reached the reply")
	}
}

func TestFollowUpUsesTheThreadsHistory(t *testing.T) {
	srv := llmtest.New(t)
	srv.Reply = func(r llmtest.ChatRequest) string {
		if strings.Contains(r.Messages[0].Content, "standalone question") {
			return "How often do VPN passwords expire?"
		}
		return "Every ninety days [1]."
	}
	b := modelBot(t, srv)
	msg := func(thread, text string) bot.Message {
		return bot.Message{Platform: "slack", Workspace: "T1", Channel: "C1", Thread: thread, User: "u", Text: text}
	}
	b.HandleMessage(t.Context(), msg("t1", "How do I reset my VPN password?"))
	b.HandleMessage(t.Context(), msg("t2", "What is the parental leave policy?"))
	b.HandleMessage(t.Context(), msg("", "Unrelated question about expenses?"))
	before := len(srv.Requests("/chat/completions"))
	r := b.HandleMessage(t.Context(), msg("t1", "and how often does it expire?"))
	if !r.Grounded {
		t.Fatalf("follow-up reply %+v", r)
	}
	reqs := srv.Requests("/chat/completions")[before:]
	if len(reqs) != 2 {
		t.Fatalf("%d model requests for a follow-up, want condense then answer", len(reqs))
	}
	condense := reqs[0].Request().Messages[1].Content
	if !strings.Contains(condense, "How do I reset my VPN password?") || strings.Contains(condense, "parental") ||
		strings.Contains(condense, "expenses") || strings.Count(condense, "and how often does it expire?") != 1 {
		t.Errorf("condensed with the wrong history:\n%s", condense)
	}
	if !strings.Contains(reqs[1].Body, "How often do VPN passwords expire?") {
		t.Error("the answer was not asked for the condensed question")
	}
	// Outside a thread there is no history to condense with.
	before = len(srv.Requests("/chat/completions"))
	b.HandleMessage(t.Context(), msg("", "How do I reset my VPN password?"))
	if n := len(srv.Requests("/chat/completions")) - before; n != 1 {
		t.Errorf("%d model requests outside a thread, want 1", n)
	}
}

// BenchmarkFirstTokenToAdapter measures the time from the fake model
// server writing the first token of an answer to the adapter's stream
// function receiving it, through the llm client, the knowledge service
// and the bot.
func BenchmarkFirstTokenToAdapter(b *testing.B) {
	srv := llmtest.New(b)
	srv.Reply = func(llmtest.ChatRequest) string { return "Reset it from the self-service portal [1]." }
	var sent time.Time
	srv.FirstTokenSent = func(t time.Time) { sent = t }
	bt := modelBot(b, srv)
	msg := shellMsg("alice", "#it", "How do I reset my VPN password?")
	var total, worst time.Duration
	for b.Loop() {
		var first time.Time
		bt.HandleMessageStream(context.Background(), msg, func(string) {
			if first.IsZero() {
				first = time.Now()
			}
		})
		d := first.Sub(sent)
		total += d
		worst = max(worst, d)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "first-token-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-first-token-ms")
}

func openStoreTB(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "lore.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
