package postgres

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type requestKey struct{}

// recordingHandler keeps each record's message, attributes and the
// request id its context carried.
type recordingHandler struct {
	mu      sync.Mutex
	records []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	id, _ := ctx.Value(requestKey{}).(string)
	b.WriteString(" ctx_request=" + id)
	h.mu.Lock()
	h.records = append(h.records, b.String())
	h.mu.Unlock()
	return nil
}

func (h *recordingHandler) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.records, "\n")
}

// A slow statement is logged with the caller's context, so a request id
// reaches the line, and without its arguments.
func TestSlowStatementsAreLoggedWithTheirContext(t *testing.T) {
	h := &recordingHandler{}
	s := openTest(t, Options{Logger: slog.New(h), SlowStatement: 20 * time.Millisecond})
	ctx := context.WithValue(t.Context(), requestKey{}, "Ev42")

	if _, err := s.Pool().Exec(ctx, "SELECT $1::text", "quick question"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.all(), "SELECT $1::text") {
		t.Fatalf("a fast statement was logged:\n%s", h.all())
	}
	if _, err := s.Pool().Exec(ctx, "SELECT pg_sleep(0.05), $1::text", "private question"); err != nil {
		t.Fatal(err)
	}
	logged := h.all()
	if !strings.Contains(logged, "slow database statement") || !strings.Contains(logged, "pg_sleep(0.05)") ||
		!strings.Contains(logged, "ctx_request=Ev42") {
		t.Fatalf("the slow statement was not logged with its request id:\n%s", logged)
	}
	if strings.Contains(logged, "private question") {
		t.Fatalf("a statement's arguments were logged:\n%s", logged)
	}
}

func TestAbbreviateKeepsRunesWhole(t *testing.T) {
	if got := abbreviate("SELECT 'é'", 9); got != "SELECT '…" {
		t.Fatalf("abbreviate cut a rune: %q", got)
	}
	if got := abbreviate("short", 10); got != "short" {
		t.Fatalf("abbreviate changed a short string: %q", got)
	}
}
